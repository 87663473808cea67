"""Export a result set: one row per report, every structured field, streamed.

CSV is UTF-8 with a byte-order mark, so Excel opens the Chinese correctly,
with 是/否 for yes/no and its columns named by their contract paths
(``COLUMNS``) or in Chinese (``HEADERS``, what the web site serves).  JSON
lines carry the same rows under the contract paths.  Rows are produced one
report at a time, so there is no cap on how many are exported.  The web names
source files relative to the folder that holds every indexed file
(:func:`source_names`), never by the server's absolute path.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from html import unescape

from index.model import Report
from index.sector import sector_of
from index.template import (
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    KEY_FIGURES,
    PROACTIVE_COLUMNS,
    PROACTIVE_ITEMS,
    PROACTIVE_LAYOUT,
    REVIEW_GROUPS,
    REVIEW_RESULTS,
    ROWS_BY_KEY,
    row_group,
)
from search.passages import PassageHit


def _cell_columns() -> list[str]:
    cols: list[str] = []
    for layout in PROACTIVE_LAYOUT.values():
        for item, columns in layout.items():
            cols += [f"proactive.{item}.{c}" for c in columns if f"proactive.{item}.{c}" not in cols]
    cols += [f"applications.{r.key}.{c}" for r in APPLICATION_ROWS for c in APPLICANT_COLUMNS]
    cols += [f"review_litigation.{g}.{r}" for g in REVIEW_GROUPS for r in REVIEW_RESULTS]
    return cols


COLUMNS = [
    "id", "agency", "agency_key", "year", "province", "city", "county", "sector", "template", "published", "consistent",
    "failed_checks", "warnings", *KEY_FIGURES, "best_passage", "link", "sources", *_cell_columns(),
]  # fmt: skip


# The section-3 sub-rows (1.属于国家秘密 …) belong to the (三)–(六) row above them.
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+\.)")
_GROUP_NUMBERING = re.compile(r"^（[一二三四五六七八九十]+）")


def _application_row_label(row) -> str:
    """A section-3 row in a column header, without its numbering: 不予公开·属于国家秘密."""
    label = _NUMBERING.sub("", row.label)
    group = row_group(row.key)
    group = group and _GROUP_NUMBERING.sub("", group)
    return f"{group}·{label}" if group and group != label else label


def _header(column: str) -> str:
    """The Chinese header of one column: 申请·不予公开·属于国家秘密·自然人."""
    table, _, rest = column.partition(".")
    if not rest:
        return TOP_HEADERS.get(column) or KEY_FIGURES[column]
    key, _, col = rest.partition(".")
    if table == "proactive":
        return f"主动公开·{PROACTIVE_ITEMS[key][0]}·{PROACTIVE_COLUMNS[col][0]}"
    if table == "applications":
        return f"申请·{_application_row_label(ROWS_BY_KEY[key])}·{APPLICANT_COLUMNS[col]}"
    return f"{REVIEW_GROUPS[key]}·{REVIEW_RESULTS[col]}"


TOP_HEADERS = {
    "id": "编号", "agency": "机关", "agency_key": "机关标识（跨年度）", "year": "年度", "province": "省份", "city": "城市", "county": "区县",
    "sector": "领域", "template": "模板版本", "published": "落款日期", "consistent": "勾稽关系一致",
    "failed_checks": "未通过的核对项数", "warnings": "解析提示数", "best_passage": "最相关段落",
    "link": "报告链接", "sources": "原始文件",
}  # fmt: skip
HEADERS = {c: _header(c) for c in COLUMNS}  # all different (tests/test_web.py checks)


def source_names(paths: list[str], root: str) -> list[str]:
    """Each path relative to ``root`` (its file name when it lies outside): never absolute."""
    root = root.rstrip(os.sep) + os.sep if root else ""
    return [p[len(root) :] if root and p.startswith(root) else os.path.basename(p) for p in paths]


def row(report_id: str, report: Report, passages: list[PassageHit], sources: list[str], agency_key: str | None = None,
        base_url: str = "") -> dict:  # fmt: skip
    """One report as a flat row of COLUMNS (``sources`` as :func:`source_names` gives them)."""
    best = passages[0] if passages else None
    out = {
        "id": report_id,
        "agency": report.agency,
        "agency_key": agency_key,
        "year": report.year,
        "province": report.region.province,
        "city": report.region.city,
        "county": report.region.county,
        "sector": sector_of(report.agency),
        "template": report.template,
        "published": report.published,
        "consistent": report.consistent,
        "failed_checks": sum(1 for c in report.checks if not c.ok),
        "warnings": len(report.warnings),
        **report.key_figures(),
        "best_passage": _plain(best.html) if best else None,
        "link": f"{base_url}/report/{report_id}" + (f"#{best.anchor}" if best else ""),
        "sources": "; ".join(sources),
    }
    out.update({path: fig.value for path, fig in report.figures().items()})
    return {c: out.get(c) for c in COLUMNS}


def _plain(html: str) -> str:
    return unescape(html.replace("<mark>", "").replace("</mark>", ""))


def to_csv(rows: Iterable[dict], headers: str = "keys") -> Iterator[str]:
    """CSV text, the columns named by their contract paths, or in Chinese (``headers="zh"``, the web's default)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, extrasaction="ignore")
    yield "\ufeff"
    writer.writerow(HEADERS if headers == "zh" else dict(zip(COLUMNS, COLUMNS, strict=True)))
    for r in rows:
        writer.writerow({k: csv_value(v) for k, v in r.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# A spreadsheet runs a cell that starts with one of these as a formula
# (OWASP "CSV injection"); agency names and passages come from the documents.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_value(v):
    """A value as a CSV cell: 是/否, whole numbers without ".0", and text a
    spreadsheet would run as a formula quoted."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v  # shown as text, the quote marks it as escaped
    return "" if v is None else v


def to_jsonl(rows: Iterable[dict]) -> Iterator[str]:
    for r in rows:
        yield json.dumps(r, ensure_ascii=False) + "\n"
