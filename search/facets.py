"""Facets: the ways to narrow a result set, and their counts.

Every facet reads a report's ``meta`` (see ``index/schema.py``).  A *value*
facet offers the values found (年份, 省份, 机关 …); a *bucket* facet offers
fixed ranges of a count (0 / 1–9 / 10–99 / 100+ applications); a *flag* facet
offers yes/no properties a report may have several of (有行政复议, 被纠正 …).

Selecting several values of one facet widens the result (OR); selecting in
several facets narrows it (AND).  So a facet's counts are taken over the
results filtered by every *other* facet: they say how many reports each value
would add or keep, and never drop to zero just because a sibling is selected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Meta = dict

UNKNOWN = "unknown"  # bucket of reports whose number was not printed or not readable


@dataclass(frozen=True)
class FacetSpec:
    name: str  # URL parameter
    label: str
    kind: str  # "value" | "bucket" | "flag"
    values: Callable[[Meta], list[str]]  # the facet values one report has
    fixed: tuple[tuple[str, str], ...] = ()  # (value, label), in display order, for bucket/flag
    top: int = 0  # show only the top N values (0 = all); the rest via search-within

    def label_of(self, value: str) -> str:
        return dict(self.fixed).get(value, value)


def _field(name: str) -> Callable[[Meta], list[str]]:
    def values(meta: Meta) -> list[str]:
        value = meta.get(name)
        return [] if value in (None, "") else [str(value)]

    return values


BUCKETS = (("0", "0"), ("1-9", "1–9"), ("10-99", "10–99"), ("100+", "100 及以上"), (UNKNOWN, "未填报/不详"))


def bucket_of(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    if value <= 0:
        return "0"
    if value < 10:
        return "1-9"
    if value < 100:
        return "10-99"
    return "100+"


def _bucket(figure: str) -> Callable[[Meta], list[str]]:
    return lambda meta: [bucket_of(meta["figures"].get(figure))]


def _outcomes(meta: Meta) -> list[str]:
    f = meta["figures"]
    out = []
    if (f.get("review") or 0) > 0:
        out.append("review")
    if (f.get("litigation") or 0) > 0:
        out.append("litigation")
    if (f.get("review_corrected") or 0) + (f.get("litigation_corrected") or 0) > 0:
        out.append("corrected")
    return out


def _consistent(meta: Meta) -> list[str]:
    return ["yes" if meta["consistent"] else "no"]


FACETS: list[FacetSpec] = [
    FacetSpec("year", "年度", "value", _field("year")),
    FacetSpec("province", "省份", "value", _field("province")),
    FacetSpec("city", "城市", "value", _field("city"), top=15),
    FacetSpec("county", "区县", "value", _field("county"), top=15),
    FacetSpec("sector", "领域", "value", _field("sector"), top=15),
    FacetSpec("agency", "机关", "value", _field("agency"), top=10),
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
    FacetSpec("template", "模板版本", "value", _field("template"), (("2021", "2021 版"), ("2019", "2019 版"))),
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


def values_of(meta: Meta) -> dict[str, frozenset[str]]:
    """Every facet's values for one report; computed once per report and kept."""
    return {spec.name: frozenset(spec.values(meta)) for spec in FACETS}


def count_all(docs: Iterable[dict[str, frozenset[str]]], filters: dict[str, list[str]], within: dict[str, str]) -> list[Facet]:
    """Every facet's counts over ``docs`` (each report's ``values_of``).

    A report counts toward facet F when it passes every filter but F's own.
    One pass: a report failing no filter counts everywhere, one failing only
    F's filter counts for F alone, one failing two counts nowhere.
    """
    chosen = {name: set(values) for name, values in filters.items() if values}
    counts: dict[str, Counter[str]] = {spec.name: Counter() for spec in FACETS}
    for values in docs:
        failed = [name for name, sel in chosen.items() if not values[name] & sel]
        if not failed:
            for name, c in counts.items():
                c.update(values[name])
        elif len(failed) == 1:
            counts[failed[0]].update(values[failed[0]])
    return [_facet(spec, counts[spec.name], filters.get(spec.name, []), within.get(spec.name, "")) for spec in FACETS]


def passes(values: dict[str, frozenset[str]], filters: dict[str, list[str]]) -> bool:
    return all(values[name] & set(chosen) for name, chosen in filters.items() if chosen)


def _facet(spec: FacetSpec, counts: Counter[str], selected: list[str], within: str) -> Facet:
    if spec.fixed:
        order = [v for v, _ in spec.fixed]
        values = [v for v in order if counts[v] or v in selected]
    elif spec.name == "year":
        values = sorted(counts, reverse=True)
    else:
        values = sorted(counts, key=lambda v: (-counts[v], v))
    values += [v for v in selected if v not in values]  # still shown, to be deselected
    if within:
        values = [v for v in values if within in v]
    shown = values
    if spec.top and len(values) > spec.top:
        shown = values[: spec.top] + [v for v in values[spec.top :] if v in selected]
    more = len(set(values) - set(shown))  # within the search, if any: what the reader could still reveal
    return Facet(
        spec.name,
        spec.label,
        spec.kind,
        [FacetValue(v, spec.label_of(v), counts[v], v in selected) for v in shown],
        more,
        within,
    )
