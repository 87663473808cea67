"""One agency across the years, and the red flags that compare it with itself.

The index gives every report an ``agency_key`` (``index/agency.py``: region +
normalised name).  Here, once per index generation, over the columns of every
report (``search/columns.py``), the key is checked against the data: when two
reports of one key carry different printed names *and the same year*, the
key joined two agencies that both exist, and its reports are split by their
printed name (``key｜name``).  A merge the data cannot decide is never made.

Per resolved agency, each report's *previous* report is the same agency's
report of the latest earlier year in the index (a missing year is skipped).
The cross-year red flags compare a report with that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from index.agency import SEP, SPLIT
from index.build import unpack
from index.model import Report
from index.template import KEY_FIGURES
from search.columns import NONE, Columns

if TYPE_CHECKING:  # the engine imports this module
    from search.engine import Engine


COPY_THRESHOLD = 0.8  # share of a report's paragraphs found in the previous report, numbers aside
COPY_MIN_PARAGRAPHS = 3  # a report with fewer narrative paragraphs is not judged


@dataclass(frozen=True)
class Flag:
    name: str
    label: str  # the facet value's label
    explanation: str  # plain Chinese, shown on the report page


FLAGS = (
    Flag("copied_text", "文字大量沿用上年", f"这份报告至少 {COPY_THRESHOLD:.0%} 的段落与同一机关上一年度的报告相同（只有其中的数字不同）。"),
    Flag("same_numbers", "数字与上年完全相同", "这份报告第二、三、四部分表格中的每一个数字都与同一机关上一年度的报告相同（全为 0 的不算）。"),
    Flag("signature_date", "落款日期异常", "落款日期早于所报告年度的年底，或晚于其后一整年：报告可能不是这一年度的，或日期有误。"),
    Flag("period_year", "标题年度与统计期限不符", "标题中的年度与正文“统计期限”一句中的年度不同。"),
    Flag("inconsistent", "第三部分数字不一致", "报告表格中的数字不满足它自身的勾稽关系（见报告页“数据核对”）。"),
)
FLAG_NAMES = tuple(f.name for f in FLAGS)
BY_FLAG = {f.name: f for f in FLAGS}


@dataclass(frozen=True)
class Rate:
    """A share of one report's headline figures: Σ numerator / Σ denominator."""

    label: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]

    def parts(self, figures: dict) -> tuple[float, float] | None:
        values = [figures.get(n) for n in (*self.numerator, *self.denominator)]
        if any(v is None for v in values):
            return None
        return sum(values[: len(self.numerator)]), sum(values[len(self.numerator) :])

    def sums(self, number) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`parts` over many reports at once: Σ numerator and Σ
        denominator per report (``number(name)``: a headline figure's array),
        NaN where a part was not printed."""
        return tuple(np.sum([number(n) for n in names], axis=0) for names in (self.numerator, self.denominator))

    def of(self, figures: dict) -> float | None:
        """None when a part was not printed, or the denominator is 0 (no requests, no share)."""
        parts = self.parts(figures)
        return parts[0] / parts[1] if parts and parts[1] else None


RATES = {
    "withheld_share": Rate("不予公开占办理总计", ("withheld",), ("processed_total",)),
    "unavailable_share": Rate("无法提供占办理总计", ("unavailable",), ("processed_total",)),
    "corrected_share": Rate("复议、诉讼被纠正的占比", ("review_corrected", "litigation_corrected"), ("review", "litigation")),
}


@dataclass(frozen=True)
class Agencies:
    """Every document's resolved agency, previous report and flags (global document numbers)."""

    keys: list[str]  # distinct resolved keys
    codes: np.ndarray  # (docs,) code into ``keys``, NONE for no agency
    previous: np.ndarray  # (docs,) the previous report's document number, -1 for none
    flags: np.ndarray  # (docs, len(FLAGS)) bool
    copied: np.ndarray  # (docs,) share of paragraphs found in the previous report, NaN when not judged
    order: np.ndarray  # reports with a key and a year, by agency, then year
    starts: np.ndarray  # (len(keys) + 1,): agency i's reports are order[starts[i]:starts[i + 1]]

    def flags_of(self, doc: int) -> list[Flag]:
        return [f for f, on in zip(FLAGS, self.flags[doc]) if on]

    @cached_property
    def _code(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.keys)}

    def docs_of(self, key: str) -> np.ndarray | None:
        """The reports of a resolved agency, oldest first; None for an unknown key."""
        i = self._code.get(key)
        return None if i is None else self.order[self.starts[i] : self.starts[i + 1]]


def agencies(columns: Columns) -> Agencies:
    """Computed once per generation (cached on the columns)."""
    return columns.derived("agencies", _resolve)


def _resolve(c: Columns) -> Agencies:
    keys, codes = _resolved_keys(c)
    year = c.number("year")
    previous = np.full(c.size, -1, dtype=np.int64)
    with_key = c.reports[(codes[c.reports] != NONE) & ~np.isnan(year[c.reports])]
    order = with_key[np.lexsort((with_key, year[with_key], codes[with_key]))]
    if len(order) > 1:
        same = (codes[order[1:]] == codes[order[:-1]]) & (year[order[1:]] > year[order[:-1]])
        previous[order[1:][same]] = order[:-1][same]
    starts = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    copied = _copied(c, previous)
    return Agencies(keys, codes, previous, _flags(c, previous, copied), copied, order, starts)


def _resolved_keys(c: Columns) -> tuple[list[str], np.ndarray]:
    """(distinct resolved keys, each document's code into them or NONE)."""
    docs = c.reports
    key_values, key_codes = c.label("agency_key")
    names, name_codes = c.label("agency")
    k, a, y = key_codes[docs].astype(np.int64), name_codes[docs].astype(np.int64) + 1, c.number("year")[docs]
    # A key is ambiguous when one year of it has two printed names.  (key, year,
    # name) as one integer, then (key, year): two 1-d uniques, far cheaper than axis=0.
    known = (k != NONE) & ~np.isnan(y)
    kk, yy, aa = k[known], y[known].astype(np.int64), a[known]
    yy -= yy.min() if len(yy) else 0
    span, width = (int(yy.max()) + 1 if len(yy) else 1), len(names) + 1
    triples = np.unique((kk * span + yy) * width + aa)
    pairs, per_pair = np.unique(triples // width, return_counts=True)
    ambiguous = np.zeros(len(key_values) + 1, dtype=bool)  # the extra last slot answers k == NONE (-1)
    ambiguous[pairs[per_pair > 1] // span] = True
    # Resolved: the key, or (key, printed name) under an ambiguous key.
    pair_id = np.where(k == NONE, -1, k * width + np.where(ambiguous[k], a, 0))
    distinct, inverse = np.unique(pair_id, return_inverse=True)
    keys = [key_values[p // width] if p % width == 0 else f"{key_values[p // width]}{SPLIT}{names[p % width - 1]}"
            for p in distinct.tolist() if p >= 0]  # fmt: skip
    codes = np.full(c.size, NONE, dtype=np.int64)
    codes[docs] = inverse - (1 if len(distinct) and distinct[0] < 0 else 0)  # the -1 pair (no key) becomes NONE
    return keys, codes


def _flags(c: Columns, previous: np.ndarray, copied: np.ndarray) -> np.ndarray:
    flags = np.zeros((c.size, len(FLAGS)), dtype=bool)
    has_prev = previous >= 0
    tables = c.number("tables_hash")
    figures = np.column_stack([c.number(n) for n in KEY_FIGURES]) if c.size else np.empty((0, len(KEY_FIGURES)))
    nonzero = (np.nan_to_num(figures) != 0).any(axis=1)
    with np.errstate(invalid="ignore"):
        flags[:, FLAG_NAMES.index("copied_text")] = copied >= COPY_THRESHOLD
        flags[:, FLAG_NAMES.index("same_numbers")] = has_prev & (tables == tables[np.where(has_prev, previous, 0)]) & nonzero  # NaN ≠ NaN
        flags[:, FLAG_NAMES.index("signature_date")] = c.number("signature_date") == 1
        flags[:, FLAG_NAMES.index("period_year")] = c.number("period_year") == 1
        flags[:, FLAG_NAMES.index("inconsistent")] = c.number("consistent") == 0
    return flags & c.is_report[:, None]


def agency_keys(columns: Columns, docs: list[int]) -> list[str | None]:
    """The resolved agency key of each of ``docs``."""
    ag = agencies(columns)
    return [ag.keys[c] if c != NONE else None for c in ag.codes[docs].tolist()] if docs else []


def _paragraphs_of(c: Columns, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``docs`` of each fingerprint, the fingerprints) of ``docs``, one after another."""
    starts, ends = c.paragraph_bounds[docs], c.paragraph_bounds[docs + 1]
    lengths = ends - starts
    owner = np.repeat(np.arange(len(docs)), lengths)
    first = np.cumsum(lengths) - lengths
    index = np.arange(lengths.sum()) - np.repeat(first, lengths) + np.repeat(starts, lengths)
    return owner, c.paragraphs[index]


_MIX = np.uint64(0x9E3779B97F4A7C15)  # spreads a pair's number over the 64 bits


def _copied(c: Columns, previous: np.ndarray) -> np.ndarray:
    """Per document with a previous report: the share of its paragraphs whose
    fingerprint is among the previous report's (NaN otherwise, or when it has
    fewer than COPY_MIN_PARAGRAPHS).  All pairs in one vectorised pass: each
    fingerprint is mixed with its pair's number, so one search tests them all."""
    out = np.full(c.size, np.nan)
    docs = np.flatnonzero(previous >= 0)
    if not len(docs) or not len(c.paragraphs):
        return out
    owner, mine = _paragraphs_of(c, docs)
    prev_owner, theirs = _paragraphs_of(c, previous[docs])
    with np.errstate(over="ignore"):
        mine, theirs = mine ^ (owner.astype(np.uint64) * _MIX), np.sort(theirs ^ (prev_owner.astype(np.uint64) * _MIX))
    if not len(theirs):
        return out
    # Membership by binary search, the queries sorted too (the search then walks
    # the set in order): several times faster than np.isin's hashing here.
    order = np.argsort(mine)
    ordered = mine[order]
    found = np.empty(len(mine), dtype=bool)
    found[order] = theirs[np.minimum(np.searchsorted(theirs, ordered), len(theirs) - 1)] == ordered
    total = np.bincount(owner, minlength=len(docs))
    same = np.bincount(owner, weights=found, minlength=len(docs))
    judged = total >= COPY_MIN_PARAGRAPHS
    out[docs[judged]] = same[judged] / total[judged]
    return out


# ------------------------------------------------------------------ one agency, every year


def figure_cell(report: Report, figure: str) -> str | None:
    """The contract path of the cell a headline figure is read from (the first
    of a group's rows for a group total), for a link to where it was printed."""
    rows = {"withheld": "withheld_", "unavailable": "unavailable_", "not_processed": "not_processed_", "other_processed": "other"}
    review = {"review": "review.total", "review_corrected": "review.corrected",
              "litigation": "litigation_direct.total", "litigation_corrected": "litigation_direct.corrected"}  # fmt: skip
    proactive = {"licensing": "licensing.decisions", "penalty": "penalty.decisions", "coercion": "coercion.decisions", "fee_amount_wan": "fees.fee_amount_wan"}
    if figure in review:
        return f"review_litigation.{review[figure]}"
    if figure in proactive:
        return f"proactive.{proactive[figure]}"
    prefix = rows.get(figure)
    row = next((r for r in (report.applications or {}) if r.startswith(prefix)), None) if prefix else figure
    return f"applications.{row}.total" if row else None


@dataclass
class YearCell:
    value: float | None
    change: float | None = None  # from the agency's previous report, across a gap (None when either is unknown)
    passage: str | None = None  # where it was printed in that year's report


@dataclass
class SeriesRow:
    name: str  # a KEY_FIGURES key or a RATES key
    label: str
    kind: str  # "figure" | "rate"
    cells: dict[int, YearCell] = field(default_factory=dict)  # year → cell; a missing year is absent


@dataclass
class AgencyYear:
    year: int
    report_id: str
    agency: str | None
    flags: list[str]


@dataclass
class AgencyHistory:
    key: str
    agency: str | None  # the name it printed most recently
    names: list[str]  # every printed name, oldest first
    region: dict
    years: list[int]  # first to last, every year between: a gap is a year without a report
    reports: dict[int, AgencyYear]
    rows: list[SeriesRow]

    def to_dict(self) -> dict:
        return {
            "agency_key": self.key,
            "agency": self.agency,
            "names": self.names,
            "region": self.region,
            "years": self.years,
            "reports": {str(y): vars(r) for y, r in self.reports.items()},
            "rows": [
                {"name": r.name, "label": r.label, "kind": r.kind,
                 "values": {str(y): (vars(r.cells[y]) if y in r.cells else None) for y in self.years}}  # fmt: skip
                for r in self.rows
            ],
        }


def history(reports: list[tuple[str, Report]], key: str, flags: dict[str, list[str]]) -> AgencyHistory:
    """The table of one agency: ``reports`` are (id, report) oldest first, one per year."""
    by_year = {r.year: (rid, r) for rid, r in reports}
    years = list(range(min(by_year), max(by_year) + 1))
    rows = [SeriesRow(name, label, "figure") for name, label in KEY_FIGURES.items()]
    rows += [SeriesRow(name, rate.label, "rate") for name, rate in RATES.items()]
    for year, (rid, report) in by_year.items():
        figures = report.key_figures()
        provenance = report.figures()
        for row in rows:
            if row.kind == "figure":
                path = figure_cell(report, row.name)
                cell = provenance.get(path) if path else None
                row.cells[year] = YearCell(figures[row.name], passage=cell.passage if cell else None)
            else:
                row.cells[year] = YearCell(RATES[row.name].of(figures))
    for row in rows:
        last = None
        for year in years:
            cell = row.cells.get(year)
            if cell is None:
                continue
            if last is not None and cell.value is not None and last.value is not None:
                cell.change = cell.value - last.value
            last = cell
    last_report = by_year[years[-1]][1]
    names = list(dict.fromkeys(r.agency for _, r in reports if r.agency))
    agency_years = {y: AgencyYear(y, rid, r.agency, flags.get(rid, [])) for y, (rid, r) in sorted(by_year.items())}
    return AgencyHistory(key, last_report.agency, names, vars(last_report.region), years, agency_years, rows)


def display_name(key: str) -> str:
    """The agency name part of a key, for a page title when nothing else is known."""
    return key.split(SPLIT, 1)[-1] if SPLIT in key else key.rsplit(SEP, 1)[-1]


# ------------------------------------------------------------------ read through the engine


@dataclass
class ReportAgency:
    """What the report page shows of a report's agency: its key, its previous report, its flags."""

    key: str | None
    previous_id: str | None
    previous_year: int | None
    flags: list[Flag]
    copied_share: float | None  # share of paragraphs found in the previous report

    def to_dict(self) -> dict:
        return {
            "agency_key": self.key,
            "previous": {"id": self.previous_id, "year": self.previous_year} if self.previous_id else None,
            "flags": [{"name": f.name, "label": f.label, "explanation": f.explanation} for f in self.flags],
            "copied_share": self.copied_share,
        }


def _id(view, doc: int) -> str:
    return view.searcher.stored_fields(doc)["id"]


def report_agency(engine: Engine, report_id: str) -> ReportAgency | None:
    with engine.view() as view:
        doc = view.searcher.document_number(id=report_id, kind="report")
        if doc is None:
            return None
        ag = agencies(view.columns)
        code, prev = ag.codes[doc], int(ag.previous[doc])
        year = view.columns.number("year")
        copied = ag.copied[doc]
        return ReportAgency(
            ag.keys[code] if code != NONE else None,
            _id(view, prev) if prev >= 0 else None,
            int(year[prev]) if prev >= 0 else None,
            ag.flags_of(doc),
            None if np.isnan(copied) else float(copied),
        )


def agency_history(engine: Engine, key: str) -> AgencyHistory | None:
    """Every report of the agency with this resolved key, as one table; None for an unknown key."""
    with engine.view() as view:
        ag = agencies(view.columns)
        docs = ag.docs_of(key)
        if docs is None or not len(docs):
            return None
        stored = [view.searcher.stored_fields(int(d)) for d in docs]
        flags = {s["id"]: [f.name for f in ag.flags_of(int(d))] for s, d in zip(stored, docs)}
    reports = [(s["id"], Report.from_dict(unpack(s["data"]))) for s in stored]
    return history(reports, key, flags)
