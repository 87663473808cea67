"""The one data model every layer shares: a parsed annual report.

Files become a :class:`Report` here in ``index/``; the index stores it, ``search/``
reads it back, ``web/`` shows it.  ``Report.to_dict()`` is the JSON data contract
described in DESIGN.md: numbers appear there as plain values, and where each one
was printed is listed beside them under ``provenance``.

Offsets (``start``/``end``) are character positions in ``Report.text``, the
normalised text.  ``Report.printed()`` gives a span back as it was printed,
so a passage can be shown exactly as the agency wrote it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, fields
from typing import Any

from index.normalize import OffsetMap, normalize

Number = int | float


@dataclass(frozen=True, slots=True)
class Figure:
    """One number in one table cell, and where it came from.

    ``value`` is None when the cell was printed as not applicable (``/``, ``—``,
    ``不适用``) or left blank: such a cell is unknown, never zero.
    ``deduced`` marks a cell that was not printed at all but follows from the
    report's own consistency rules (see ``index/tables.py``); it has no span.
    """

    value: Number | None
    raw: str = ""
    start: int = -1
    end: int = -1
    passage: str | None = None
    deduced: bool = False


# row or item -> column -> Figure
Table = dict[str, dict[str, Figure]]


@dataclass
class Region:
    province: str | None = None
    city: str | None = None
    county: str | None = None


@dataclass
class Check:
    """One consistency rule (勾稽关系) applied to one row, column or group."""

    rule: str  # e.g. "balance", "row_total", "outcomes_sum", "review_total"
    ok: bool
    detail: str  # plain Chinese: "“自然人”列：本年新收 3 + 上年结转 0 应等于 办理总计 2 + 结转下年度 0，相差 1"
    where: str = ""  # the row/column/group the rule was applied to
    cells: list[str] = field(default_factory=list)  # contract paths of the figures it compares


@dataclass
class Section:
    number: int  # 1..6 (一 … 六)
    title: str  # as printed in the heading
    start: int
    end: int


@dataclass(slots=True)
class Passage:
    """A paragraph, heading or table row: the unit a search hit links to."""

    id: str  # "p12"; stable for the same file bytes
    kind: str  # "title" | "heading" | "paragraph" | "row" | "table"
    start: int
    end: int
    section: int | None = None
    row: str | None = None  # for kind "row": e.g. "applications.new_received"
    page: int | None = None  # PDF page (1-based) the passage starts on
    location: str | None = None  # HTML/DOCX element position, e.g. "table 2, row 5"


@dataclass
class Source:
    """The file a report was read from."""

    path: str
    sha256: str
    format: str  # "txt" | "html" | "docx" | "pdf"
    encoding: str | None = None
    size: int = 0


@dataclass
class Version:
    """One of several files of one report (same agency, place and year) whose
    numbers or text differ: a corrected or re-issued report.  Files identical
    after normalisation are one version listing them all.  ``report`` is that
    version as read; None for the version the report itself is (the first)."""

    sources: list[str]
    report: Report | None = None


@dataclass
class Report:
    agency: str | None = None
    year: int | None = None
    published: str | None = None  # ISO date of the signature
    posted: str | None = None  # ISO date the page was posted, where the file says (a crawler's header)
    template: str | None = None  # "2019" | "2021"
    title: str | None = None
    region: Region = field(default_factory=Region)
    contact: dict[str, str] = field(default_factory=dict)
    proactive: Table | None = None  # section 2, 主动公开
    applications: Table | None = None  # section 3, 依申请公开
    review_litigation: Table | None = None  # section 4, 复议诉讼
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # normalised text; all offsets point into it
    offsets: OffsetMap | None = field(default=None, repr=False)  # text[i] was printed at original[offsets[i]]
    original: str = field(default="", repr=False)  # the text as printed (decoded)
    sections: list[Section] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    source: Source | None = None
    # Set by the index when files of this report differ: every version, this one first; else empty.
    versions: list[Version] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return all(c.ok for c in self.checks)

    def passage(self, passage_id: str) -> Passage | None:
        # ids number the passages in order from p1 (index.structure.build_passages):
        # one look, not a walk through a long report's passages for every table row
        n = int(passage_id[1:]) if passage_id[1:].isdigit() else 0
        if 0 < n <= len(self.passages) and self.passages[n - 1].id == passage_id:
            return self.passages[n - 1]
        return next((p for p in self.passages if p.id == passage_id), None)

    def passage_at(self, offset: int) -> Passage | None:
        # passages are in order and do not overlap (index.structure.build_passages)
        i = bisect_right(self.passages, offset, key=_start) - 1
        p = self.passages[i] if i >= 0 else None
        return p if p is not None and offset < p.end else None

    def printed(self, start: int, end: int) -> str:
        """The text of a span as printed: full-width characters and spaces as the
        agency typed them, without export artefacts (``[bookmark: …]``)."""
        if not self.offsets:
            return self.text[start:end]
        pieces, last = [], None
        for a, b in self.offsets.segments(start, end):
            gap = self.original[last:a] if last is not None else ""
            if gap.isspace():  # a space normalisation removed ("2023 年"): it was printed
                pieces.append(gap)
            pieces.append(self.original[a:b])
            last = b
        return "".join(pieces)

    def figures(self) -> dict[str, Figure]:
        """Every number of the report by its contract path, e.g. ``applications.new_received.total``."""
        out: dict[str, Figure] = {}
        for name in ("proactive", "applications", "review_litigation"):
            table = getattr(self, name)
            for row, cells in (table or {}).items():
                for col, fig in cells.items():
                    out[f"{name}.{row}.{col}"] = fig
        return out

    def value(self, path: str) -> Number | None:
        fig = self.figures().get(path)
        return fig.value if fig else None

    def key_figures(self) -> dict[str, Number | None]:
        """The headline numbers people filter and sort by.

        Group totals (withheld = the eight 不予公开 rows, …) are None when any
        of their cells is missing: a partial sum would pass for a real one.
        """

        def total(*rows: str, prefix: str = "") -> Number | None:
            app = self.applications or {}
            keys = [k for k in app if prefix and k.startswith(prefix)] if prefix else list(rows)
            cells = [app[k]["total"].value if k in app else None for k in keys]
            return None if not cells or any(v is None for v in cells) else sum(cells)  # type: ignore[arg-type]

        def rl(group: str, result: str) -> Number | None:
            cell = (self.review_litigation or {}).get(group, {}).get(result)
            return cell.value if cell else None

        def both(result: str) -> Number | None:
            a, b = rl("litigation_direct", result), rl("litigation_after_review", result)
            return None if a is None or b is None else a + b

        def proactive(item: str, column: str) -> Number | None:
            cell = (self.proactive or {}).get(item, {}).get(column)
            return cell.value if cell else None

        return {
            "new_received": total("new_received"),  # 本年新收
            "carried_over": total("carried_over"),  # 上年结转
            "disclosed": total("disclosed"),  # 予以公开
            "partially_disclosed": total("partially_disclosed"),  # 部分公开
            "withheld": total(prefix="withheld_"),  # 不予公开
            "unavailable": total(prefix="unavailable_"),  # 无法提供
            "not_processed": total(prefix="not_processed_"),  # 不予处理
            "other_processed": total(prefix="other"),  # 其他处理
            "processed_total": total("processed_total"),  # （七）总计
            "carried_forward": total("carried_forward"),  # 结转下年度
            "review": rl("review", "total"),  # 行政复议
            "review_corrected": rl("review", "corrected"),
            "litigation": both("total"),  # 行政诉讼
            "litigation_corrected": both("corrected"),
            "licensing": proactive("licensing", "decisions"),  # 行政许可
            "penalty": proactive("penalty", "decisions"),  # 行政处罚
            "coercion": proactive("coercion", "decisions"),  # 行政强制
            "fee_amount_wan": proactive("fees", "fee_amount_wan"),  # 行政事业性收费（万元）
        }

    def to_dict(self, *, text: bool = True) -> dict[str, Any]:
        """The JSON data contract (see DESIGN.md), plus provenance and structure."""

        def values(table: Table | None) -> dict | None:
            if table is None:
                return None
            return {row: {col: f.value for col, f in cells.items()} for row, cells in table.items()}

        provenance = {  # keyed by Figure's own field names: from_dict passes them back as keywords
            path: {"raw": f.raw, "start": f.start, "end": f.end, "passage": f.passage, "deduced": f.deduced}
            for path, f in self.figures().items()
        }
        out: dict[str, Any] = {
            "agency": self.agency,
            "year": self.year,
            "published": self.published,
            "posted": self.posted,
            "template": self.template,
            "title": self.title,
            "region": shallow_dict(self.region),
            "contact": dict(self.contact),
            "proactive": values(self.proactive),
            "applications": values(self.applications),
            "review_litigation": values(self.review_litigation),
            "consistent": self.consistent,
            "checks": [{**shallow_dict(c), "cells": list(c.cells)} for c in self.checks],
            "warnings": list(self.warnings),
            "provenance": provenance,
            "sections": [shallow_dict(s) for s in self.sections],
            "passages": [shallow_dict(p) for p in self.passages],
            "source": shallow_dict(self.source) if self.source else None,
        }
        if self.versions:
            out["versions"] = [{"sources": list(v.sources), "report": v.report.to_dict(text=text) if v.report else None} for v in self.versions]
        if text:
            out["text"] = self.text
            out["original"] = self.original
        return out

    def to_stored(self) -> dict[str, Any]:
        """``to_dict()`` plus the map from the text back to the printed text, as the
        index stores a report: rebuilding it then costs no second normalisation
        (for a 9 MB report that was most of a search showing it)."""
        out = self.to_dict()
        if self.offsets is not None:
            out["offsets"] = self.offsets.to_list()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, checks: bool = True) -> Report:
        """Rebuild a report from ``to_dict()`` output (as stored in the index).

        ``checks=False`` leaves the consistency checks out: a search hit shows
        none, and they are a fifth of the rebuilding and of the memory a rebuilt
        report holds.
        """
        original = data.get("original", "")
        if data.get("offsets"):  # as :meth:`to_stored` keeps them
            offsets = OffsetMap.from_list(data["offsets"])
        else:
            offsets = normalize(original)[1] if original else None
        prov = data.get("provenance") or {}

        def table(name: str) -> Table | None:
            raw = data.get(name)
            if raw is None:
                return None
            out: Table = {}
            for row, cells in raw.items():
                prefix, out[row] = f"{name}.{row}.", {}
                for col, value in cells.items():
                    p = prov.get(prefix + col)  # as to_dict wrote it: Figure's own field names
                    out[row][col] = Figure(value) if p is None else Figure(value, **p)
            return out

        return cls(
            agency=data.get("agency"),
            year=data.get("year"),
            published=data.get("published"),
            posted=data.get("posted"),
            template=data.get("template"),
            title=data.get("title"),
            region=Region(**(data.get("region") or {})),
            contact=dict(data.get("contact") or {}),
            proactive=table("proactive"),
            applications=table("applications"),
            review_litigation=table("review_litigation"),
            checks=[Check(**c) for c in data.get("checks") or []] if checks else [],
            warnings=list(data.get("warnings") or []),
            text=data.get("text", ""),
            offsets=offsets,
            original=original,
            sections=[Section(**s) for s in data.get("sections") or []],
            passages=[Passage(**p) for p in data.get("passages") or []],
            source=Source(**data["source"]) if data.get("source") else None,
            versions=[
                Version(list(v["sources"]), cls.from_dict(v["report"], checks=checks) if v.get("report") else None)
                for v in data.get("versions") or []
            ],
        )


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def shallow_dict(obj) -> dict[str, Any]:
    """``dataclasses.asdict`` one level deep: the fields of ``obj`` copied, any
    list or dict in them shared, not copied (asdict's deep copy of every value was
    a tenth of indexing a report, for its sixty passages, and a tenth of a
    search's JSON).  Nested dataclasses are the caller's to convert."""
    names = _FIELD_NAMES.get(type(obj))
    if names is None:
        names = _FIELD_NAMES[type(obj)] = tuple(f.name for f in fields(obj))
    return {name: getattr(obj, name) for name in names}


def _start(p: Passage) -> int:
    return p.start
