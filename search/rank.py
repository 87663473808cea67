"""Agencies ranked by a figure or a rate, over a result set (same query and filters as search).

    ranking = rank(engine, SearchRequest(filters={"year": ["2023"]}), "withheld_share", min_n=10)
    ranking.rows[0].agency, ranking.rows[0].value, ranking.rows[0].n

Computed over the generation's columns (``numbers``, and the resolved agency
of ``search/agency.py``), never by decoding reports.  An agency's value pools
its reports in the result set:

- a share (``withheld_share`` …): Σ numerator / Σ denominator over the reports
  that printed both; ``n`` is Σ denominator (e.g. requests handled), so one
  request withheld of one does not top the list: ``min_n`` (default 10) drops
  rows with a smaller n;
- ``requests_per_year``: the mean of 本年新收 over its reports; ``n`` is the number of reports;
- ``new_received_change``: 本年新收 of its latest report minus that of the one
  before it (both in the result set); ``n`` is the two years' requests together;
- any headline figure (``penalty``, ``review`` …): its total; ``n`` is the number of reports.

A row whose value cannot be computed (nothing printed, a denominator of 0) is
left out and counted in ``unranked``.  Order: value (largest first, or
smallest with ``ascending``), then larger n, then the agency key in string
order: the same data always gives the same list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from index.template import KEY_FIGURES
from search.agency import RATES, agencies
from search.columns import NONE, Columns

if TYPE_CHECKING:
    from search.engine import Engine, SearchRequest


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    kind: str  # "rate" | "mean" | "change" | "total"
    n_label: str  # what n counts
    min_n: int  # the default minimum n


METRICS = {
    **{name: Metric(name, r.label, "rate", "件（分母合计）", 10) for name, r in RATES.items()},
    "requests_per_year": Metric("requests_per_year", "每年新收申请（平均）", "mean", "份报告", 1),
    "new_received_change": Metric("new_received_change", "新收申请比上一年的变化", "change", "件（两年合计）", 10),
    **{name: Metric(name, f"{label}（合计）", "total", "份报告", 1) for name, label in KEY_FIGURES.items()},
}
DEFAULT = "withheld_share"
LIMIT_MAX = 1000


@dataclass
class RankRow:
    rank: int
    agency_key: str
    agency: str | None  # as printed in its latest report of the result set
    province: str | None
    city: str | None
    county: str | None
    value: float
    n: float
    reports: int  # its reports in the result set
    numerator: float | None = None  # for a share
    denominator: float | None = None


@dataclass
class Ranking:
    metric: Metric
    min_n: float
    ascending: bool
    rows: list[RankRow]
    total: int  # rows passing min_n (rows holds at most ``limit`` of them)
    below_min_n: int  # agencies with a value but n < min_n
    unranked: int  # agencies of the result set without a value

    def to_dict(self) -> dict:
        return {
            "by": self.metric.name,
            "label": self.metric.label,
            "kind": self.metric.kind,
            "n_means": self.metric.n_label,
            "min_n": self.min_n,
            "order": "asc" if self.ascending else "desc",
            "total": self.total,
            "below_min_n": self.below_min_n,
            "unranked": self.unranked,
            "rows": [asdict(r) for r in self.rows],
        }


def values(c: Columns, docs: np.ndarray, metric: Metric) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per resolved agency code (``agencies(c).keys``): (value, n, numerator, denominator, reports in ``docs``); NaN value: none."""
    ag = agencies(c)
    size = len(ag.keys)
    docs = docs[ag.codes[docs] != NONE]
    codes = ag.codes[docs]
    reports = np.bincount(codes, minlength=size).astype(float)
    num = den = np.full(size, np.nan)
    if metric.kind == "rate":
        rate = RATES[metric.name]
        top, bottom = rate.sums(lambda name: c.number(name)[docs])
        ok = ~np.isnan(top) & ~np.isnan(bottom)
        num = np.bincount(codes[ok], weights=top[ok], minlength=size)
        den = np.bincount(codes[ok], weights=bottom[ok], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 0, num / den, np.nan)
        return value, den, num, den, reports
    figure = c.number("new_received" if metric.kind in ("mean", "change") else metric.name)[docs]
    ok = ~np.isnan(figure)
    if metric.kind == "change":
        value, n = np.full(size, np.nan), np.zeros(size)
        kept, v, year = codes[ok], figure[ok], c.number("year")[docs][ok]
        order = np.lexsort((docs[ok], year, kept))
        kept, v = kept[order], v[order]
        last = np.flatnonzero(np.r_[kept[1:] != kept[:-1], True])  # each agency's latest
        has_two = last > 0
        has_two[has_two] = kept[last[has_two] - 1] == kept[last[has_two]]
        latest, before = last[has_two], last[has_two] - 1
        value[kept[latest]] = v[latest] - v[before]
        n[kept[latest]] = v[latest] + v[before]
        return value, n, num, den, reports
    total = np.bincount(codes[ok], weights=figure[ok], minlength=size)
    count = np.bincount(codes[ok], minlength=size).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(count > 0, total / count if metric.kind == "mean" else total, np.nan)
    return value, count, num, den, reports


def _key_rank(c: Columns) -> np.ndarray:
    """Each resolved key's position in string order (once per generation)."""
    keys = agencies(c).keys
    out = np.empty(len(keys), dtype=np.int64)
    out[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return out


def _latest(c: Columns, docs: np.ndarray) -> np.ndarray:
    """Per agency code: its latest report among ``docs`` (the one that names it), -1 for none."""
    ag = agencies(c)
    docs = docs[ag.codes[docs] != NONE]
    out = np.full(len(ag.keys), -1, dtype=np.int64)
    ordered = docs[np.lexsort((docs, np.nan_to_num(c.number("year")[docs], nan=-1), ag.codes[docs]))]
    codes = ag.codes[ordered]
    last = np.r_[codes[1:] != codes[:-1], True] if len(codes) else np.empty(0, dtype=bool)
    out[codes[last]] = ordered[last]
    return out


def rank(engine: Engine, request: SearchRequest, by: str = DEFAULT, *, min_n: float | None = None, ascending: bool = False, limit: int = 100) -> Ranking:
    """The agencies of ``request``'s result set ranked by metric ``by`` (a key of METRICS)."""
    metric = METRICS[by]
    min_n = metric.min_n if min_n is None else min_n
    with engine.view() as view:
        c = view.columns
        docs = engine.result_set(view, request)
        value, n, num, den, reports = values(c, docs, metric)
        ag = agencies(c)
        present = reports > 0
        valued = present & ~np.isnan(value)
        kept = np.flatnonzero(valued & (n >= min_n))
        key_rank = c.derived("agency_key_rank", _key_rank)
        signed = value[kept] if ascending else -value[kept]
        order = kept[np.lexsort((key_rank[kept], -n[kept], signed))]
        latest = _latest(c, docs)
        labels = {name: c.label(name) for name in ("agency", "province", "city", "county")}

        def label(name: str, doc: int) -> str | None:
            values_, codes = labels[name]
            return values_[codes[doc]] if codes[doc] != NONE else None

        rows = []
        for i, code in enumerate(order[:limit].tolist(), 1):
            d = latest[code]
            rate = metric.kind == "rate"
            rows.append(RankRow(i, ag.keys[code], label("agency", d), label("province", d), label("city", d), label("county", d),
                                float(value[code]), float(n[code]), int(reports[code]),
                                float(num[code]) if rate else None, float(den[code]) if rate else None))  # fmt: skip
    return Ranking(metric, min_n, ascending, rows, len(order), int((valued & (n < min_n)).sum()), int((present & ~valued).sum()))
