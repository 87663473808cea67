"""Facets: the ways to narrow a result set, and their counts.

Every facet is read from the generation's columns (``search/columns.py``),
as one array over all reports: counting is numpy over the result set's
document numbers, not a walk over per-report records.  A *value*
facet offers the values found (年份, 省份, 机关 …); a *bucket* facet offers
fixed ranges of a count (0 / 1–9 / 10–99 / 100+ applications); a *flag* facet
offers yes/no properties a report may have several of (有行政复议, 被纠正 …).
City and county values are place paths (福建省/福州市/鼓楼区, labelled
鼓楼区 · 福州市), so same-named places are separate values; a bare name
selects every place of that name.

Selecting several values of one facet widens the result (OR); selecting in
several facets narrows it (AND).  So a facet's counts are taken over the
results filtered by every *other* facet: they say how many reports each value
would add or keep, and never drop to zero just because a sibling is selected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from index.agency import key_label
from index.region import place_label, place_leaf
from search.agency import FLAG_NAMES, FLAGS, agencies
from search.columns import NONE, Columns

UNKNOWN = "unknown"  # bucket of reports whose number was not printed or not readable


class FacetColumn:
    """One facet over every document of a generation: its distinct ``values``
    and, per document, either the code of its one value (``codes``, NONE for
    none) or a row of yes/no per value (``flags``, for facets where a report
    may have several)."""

    def __init__(self, values: list[str], codes: np.ndarray | None = None, flags: np.ndarray | None = None,
                 leaf: Callable[[str], str] | None = None) -> None:
        self.values, self.codes, self.flags = values, codes, flags
        self.index = {v: i for i, v in enumerate(values)}
        # A place facet's values are paths (福建省/福州市/鼓楼区); a bare name (鼓楼区,
        # as old bookmarks have it) selects every place of that name.
        self.by_leaf: dict[str, list[int]] = {}
        if leaf:
            for i, v in enumerate(values):
                self.by_leaf.setdefault(leaf(v), []).append(i)

    def codes_of(self, value: str) -> list[int]:
        """The value codes ``value`` selects: itself, or every place of that bare name."""
        if value in self.index:
            return [self.index[value]]
        return self.by_leaf.get(value, [])

    def same_named(self, value: str) -> list[str]:
        """The places a bare name selects (none for a value that is itself a place)."""
        return [] if value in self.index else [self.values[i] for i in self.by_leaf.get(value, [])]

    @cached_property
    def rank(self) -> np.ndarray:
        """Each value's position in string order, to sort values without comparing strings."""
        rank = np.empty(len(self.values), dtype=np.int64)
        rank[sorted(range(len(self.values)), key=self.values.__getitem__)] = np.arange(len(self.values))
        return rank

    def has(self, docs: np.ndarray, selected: list[str]) -> np.ndarray:
        """Which of ``docs`` have any of the ``selected`` values."""
        chosen = [i for v in selected for i in self.codes_of(v)]
        if self.flags is not None:
            return self.flags[docs][:, chosen].any(axis=1)
        return np.isin(self.codes[docs], chosen)

    def counts(self, docs: np.ndarray) -> np.ndarray:
        """How many of ``docs`` have each value."""
        if self.flags is not None:
            return self.flags[docs].sum(axis=0)
        return np.bincount(self.codes[docs] + 1, minlength=len(self.values) + 1)[1:]


@dataclass(frozen=True)
class FacetSpec:
    name: str  # URL parameter
    label: str
    kind: str  # "value" | "bucket" | "flag"
    column: Callable[[Columns], FacetColumn]  # the facet over a generation's reports
    fixed: tuple[tuple[str, str], ...] = ()  # (value, label), in display order, for bucket/flag
    top: int = 0  # show only the top N values (0 = all); the rest via search-within
    place: bool = False  # values are place paths (福建省/福州市/鼓楼区), labelled 鼓楼区 · 福州市
    labels: Callable[[str], str] | None = None  # how a value reads, when not as itself

    def label_of(self, value: str) -> str:
        if self.place:
            return place_label(value)
        if self.labels:
            return self.labels(value)
        return dict(self.fixed).get(value, value)


def _label(name: str) -> Callable[[Columns], FacetColumn]:
    return lambda columns: FacetColumn(*columns.label(name))


def _place(name: str) -> Callable[[Columns], FacetColumn]:
    return lambda columns: FacetColumn(*columns.label(name), leaf=place_leaf)


def narrowed(spec: FacetSpec, chosen: list[str], value: str) -> list[str] | None:
    """``chosen`` with the bare name ``value`` is one place of replaced by
    ``value`` (鼓楼区 → 福建省/福州市/鼓楼区): picking one of the same-named places
    narrows to it rather than adding what is already selected.  None when no
    bare name in ``chosen`` covers ``value``."""
    if not spec.place or value in chosen or place_leaf(value) not in chosen:
        return None
    return [value if v == place_leaf(value) else v for v in chosen]


def _year(columns: Columns) -> FacetColumn:
    years = columns.number("year")
    known = ~np.isnan(years)
    distinct, inverse = np.unique(years[known].astype(np.int64), return_inverse=True)
    codes = np.full(len(years), NONE, dtype=np.int64)
    codes[known] = inverse
    return FacetColumn([str(y) for y in distinct.tolist()], codes)


def _consistent(columns: Columns) -> FacetColumn:
    ok = columns.number("consistent")
    return FacetColumn(["yes", "no"], np.where(np.isnan(ok), NONE, np.where(ok > 0, 0, 1)))


def _versions(columns: Columns) -> FacetColumn:
    return FacetColumn(["differ"], flags=(np.nan_to_num(columns.number("versions")) > 1)[:, None])


BUCKETS = (("0", "0"), ("1-9", "1–9"), ("10-99", "10–99"), ("100+", "100 及以上"), (UNKNOWN, "未填报/不详"))


def bucket_codes(values: np.ndarray) -> np.ndarray:
    """Each number's position in BUCKETS (NaN, not printed, is UNKNOWN)."""
    with np.errstate(invalid="ignore"):
        return np.select([np.isnan(values), values <= 0, values < 10, values < 100], [4, 0, 1, 2], 3)


def _bucket(figure: str) -> Callable[[Columns], FacetColumn]:
    return lambda columns: FacetColumn([v for v, _ in BUCKETS], bucket_codes(columns.number(figure)))


def _outcomes(columns: Columns) -> FacetColumn:
    def some(*names: str) -> np.ndarray:
        return sum(np.nan_to_num(columns.number(n)) for n in names) > 0

    return FacetColumn(["review", "litigation", "corrected"],
                       flags=np.column_stack([some("review"), some("litigation"), some("review_corrected", "litigation_corrected")]))  # fmt: skip


def _agency_key(columns: Columns) -> FacetColumn:
    found = agencies(columns)
    return FacetColumn(found.keys, found.codes)


def _red_flags(columns: Columns) -> FacetColumn:
    return FacetColumn(list(FLAG_NAMES), flags=agencies(columns).flags)


FACETS: list[FacetSpec] = [
    FacetSpec("year", "年度", "value", _year),
    FacetSpec("province", "省份", "value", _label("province")),
    FacetSpec("city", "城市", "value", _place("city"), top=15, place=True),
    FacetSpec("county", "区县", "value", _place("county"), top=15, place=True),
    FacetSpec("sector", "领域", "value", _label("sector"), top=15),
    FacetSpec("agency", "机关", "value", _label("agency"), top=10),
    FacetSpec("new_received", "本年新收申请", "bucket", _bucket("new_received"), BUCKETS),
    FacetSpec("withheld", "不予公开", "bucket", _bucket("withheld"), BUCKETS),
    FacetSpec("licensing", "行政许可决定", "bucket", _bucket("licensing"), BUCKETS),
    FacetSpec("penalty", "行政处罚决定", "bucket", _bucket("penalty"), BUCKETS),
    FacetSpec(
        "outcome",
        "复议诉讼",
        "flag",
        _outcomes,
        (("review", "有行政复议"), ("litigation", "有行政诉讼"), ("corrected", "复议或诉讼被纠正")),
    ),
    FacetSpec("consistent", "数据核对", "value", _consistent, (("yes", "勾稽关系一致"), ("no", "勾稽关系不一致"))),
    FacetSpec("versions", "版本", "flag", _versions, (("differ", "多个版本不一致"),)),
    FacetSpec("template", "模板版本", "value", _label("template"), (("2021", "2021 版"), ("2019", "2019 版"))),
    FacetSpec("agency_key", "同一机关（跨年度）", "value", _agency_key, top=10, labels=key_label),
    FacetSpec("flag", "红旗", "flag", _red_flags, tuple((f.name, f.label) for f in FLAGS)),
]
BY_NAME = {f.name: f for f in FACETS}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    kind: str
    values: list[FacetValue]
    more: int = 0  # values left out by ``top`` or by the search within the facet
    within: str = ""  # the search within this facet, if any


def table(columns: Columns) -> dict[str, FacetColumn]:
    """Every facet over a generation; built once per generation and shared."""
    return columns.derived("facets", lambda c: {spec.name: spec.column(c) for spec in FACETS})


def passes(facets: dict[str, FacetColumn], docs: np.ndarray, filters: dict[str, list[str]]) -> np.ndarray:
    """Which of ``docs`` pass every filter."""
    keep = np.ones(len(docs), dtype=bool)
    for name, chosen in filters.items():
        if chosen:
            keep &= facets[name].has(docs, chosen)
    return keep


def count_all(facets: dict[str, FacetColumn], docs: np.ndarray, filters: dict[str, list[str]], within: dict[str, str]) -> list[Facet]:
    """Every facet's counts over ``docs``.

    A report counts toward facet F when it passes every filter but F's own.
    """
    chosen = {name: values for name, values in filters.items() if values}
    passing = {name: facets[name].has(docs, values) for name, values in chosen.items()}
    everywhere = np.logical_and.reduce(list(passing.values())) if passing else np.ones(len(docs), dtype=bool)
    out = []
    for spec in FACETS:
        if spec.name in passing:
            others = [m for name, m in passing.items() if name != spec.name]
            keep = np.logical_and.reduce(others) if others else np.ones(len(docs), dtype=bool)
        else:
            keep = everywhere
        col = facets[spec.name]
        out.append(_facet(spec, col, col.counts(docs[keep]), filters.get(spec.name, []), within.get(spec.name, "")))
    return out


def _facet(spec: FacetSpec, col: FacetColumn, counts: np.ndarray, selected: list[str], within: str) -> Facet:
    def count(v: str) -> int:
        return int(sum(counts[i] for i in col.codes_of(v)))

    def label(v: str) -> str:
        places = col.same_named(v)
        return f"{spec.label_of(v)}（{len(places)} 处同名）" if len(places) > 1 else spec.label_of(v)

    selected = list(dict.fromkeys(selected))
    # A selected bare name keeps its places in view, to pick one of them.
    keep = set(selected) | {p for v in selected for p in col.same_named(v)}
    # The values in display order: ``codes`` (a value facet's, by code and not
    # by name: an agency facet has a value per agency), then ``names``.
    if spec.fixed:
        codes = np.empty(0, dtype=np.int64)
        names = [v for v, _ in spec.fixed if count(v) or v in selected]
    else:
        present = np.flatnonzero(counts)
        if spec.name == "year":  # newest first
            codes = present[np.argsort(-col.rank[present], kind="stable")]
        else:  # most reports first, then by name
            codes = present[np.lexsort((col.rank[present], -counts[present]))]
        names = []
    # Still shown, to be deselected: a selected value no report here has.
    names += [v for v in selected if v not in names and not (v in col.index and counts[col.index[v]])]
    if within:
        codes = codes[np.array([within in col.values[i] for i in codes.tolist()], dtype=bool)]
        names = [v for v in names if within in v]
    # Past the first ``top`` values only those to keep in view are shown.
    top = spec.top or len(codes) + len(names)
    head, tail = codes[:top], codes[top:]
    tail = tail[np.isin(tail, [col.index[v] for v in keep if v in col.index])]
    shown = [col.values[i] for i in head.tolist() + tail.tolist()]
    room = top - len(head)
    shown += names[:room] + [v for v in names[room:] if v in keep]
    more = len(codes) + len(names) - len(shown)  # within the search, if any: what the reader could still reveal
    return Facet(
        spec.name,
        spec.label,
        spec.kind,
        [FacetValue(v, label(v), count(v), v in selected) for v in shown],
        more,
        within,
    )
