"""Export a result set: one row per report, every structured field, streamed.

CSV is UTF-8 with a byte-order mark, so Excel opens the Chinese correctly;
JSON lines carry the same rows.  Rows are produced one report at a time, so
there is no cap on how many are exported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from html import unescape

from index.model import Report
from index.sector import sector_of
from index.template import APPLICANT_COLUMNS, APPLICATION_ROWS, KEY_FIGURES, PROACTIVE_LAYOUT, REVIEW_GROUPS, REVIEW_RESULTS
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
    "id", "agency", "year", "province", "city", "county", "sector", "template", "published", "consistent",
    "failed_checks", "warnings", *KEY_FIGURES, "best_passage", "link", "sources", *_cell_columns(),
]  # fmt: skip


def row(report_id: str, report: Report, passages: list[PassageHit], sources: list[str], base_url: str = "") -> dict:
    """One report as a flat row of COLUMNS."""
    best = passages[0] if passages else None
    out = {
        "id": report_id,
        "agency": report.agency,
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
        "link": f"{base_url}/report/{report_id}" + (f"#{best.id}" if best else ""),
        "sources": "; ".join(sources),
    }
    out.update({path: fig.value for path, fig in report.figures().items()})
    return {c: out.get(c) for c in COLUMNS}


def _plain(html: str) -> str:
    return unescape(html.replace("<mark>", "").replace("</mark>", ""))


def to_csv(rows: Iterable[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, extrasaction="ignore")
    yield "\ufeff"
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv_value(v) for k, v in r.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# A spreadsheet runs a cell that starts with one of these as a formula
# (OWASP "CSV injection"); agency names and passages come from the documents.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v  # shown as text, the quote marks it as escaped
    return "" if v is None else v


def to_jsonl(rows: Iterable[dict]) -> Iterator[str]:
    for r in rows:
        yield json.dumps(r, ensure_ascii=False) + "\n"
