"""The per-generation cost of the across-report features, at 10k and 100k reports.

    .venv/bin/python benchmarks/bench_agency.py --sizes 10000,100000

What is timed is what a new index generation costs the search layer: resolving
every report's agency, its previous report and the cross-year red flags
(``search.agency.agencies``), and then one ranking of every agency over
every report (``search.rank.rank``, the engine replaced by the columns).  The columns are synthetic (same shapes as
``search/columns.py`` builds: one agency per four reports, four years each,
20 paragraph fingerprints per report, half of them kept from the year before),
so the figure is the numpy work alone, without reading an index.  The baseline
measured in the same run is building the generation's other facet tables
(``search.facets.table`` without the two new facets), so compare the ratio.
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np

from index.schema import LABELS, NUMBERS
from search import facets as F
from search.agency import agencies
from search.columns import Columns, _Segment
from search.rank import rank

PARAGRAPHS = 20


def synthetic(n: int, seed: int = 0) -> Columns:
    rnd = np.random.default_rng(seed)
    agencies_n = n // 4
    agency = np.repeat(np.arange(agencies_n), 4)[:n]
    year = (2020 + np.tile(np.arange(4), agencies_n))[:n]
    values_ = []
    codes = np.zeros((len(LABELS), n), dtype=np.int32)
    for j, name in enumerate(LABELS):
        if name in ("agency", "agency_key"):
            values_.append(tuple(f"{name}{i}" for i in range(agencies_n)))
            codes[j] = agency
        else:
            values_.append(("x",))
    numbers = rnd.integers(0, 50, size=(n, len(NUMBERS))).astype(float)
    numbers[:, NUMBERS.index("year")] = year
    numbers[:, NUMBERS.index("consistent")] = 1
    base = rnd.integers(0, 2**63, size=(agencies_n, PARAGRAPHS), dtype=np.uint64)
    fresh = rnd.integers(0, 2**63, size=(n, PARAGRAPHS), dtype=np.uint64)
    keep = rnd.random((n, PARAGRAPHS)) < 0.5
    paragraphs = np.where(keep, base[agency], fresh).astype("<u8").ravel()
    ends = np.arange(1, n + 1, dtype=np.int64) * PARAGRAPHS
    return Columns([_Segment(tuple(values_), codes, numbers, np.arange(n, dtype=np.int64), paragraphs, ends)], n)


class _Columns:
    """What ``rank`` needs of an engine, over given columns: every report is the result set."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns

    @contextmanager
    def view(self):
        yield SimpleNamespace(columns=self.columns)

    def result_set(self, view, request):
        return view.columns.reports


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    others = [s for s in F.FACETS if s.name not in ("agency_key", "flag")]
    print(f"{'reports':>8} {'agencies+flags':>15} {'per report':>11} {'rank (all)':>11} {'other facets':>13} {'ratio':>6}")
    for n in map(int, args.sizes.split(",")):
        cols = [synthetic(n) for _ in range(3)]
        it = iter(cols)
        resolve = best(lambda: agencies(next(it)))  # a fresh Columns each time: nothing cached
        c = cols[0]
        ranking = best(lambda: rank(_Columns(c), None, "withheld_share", min_n=0, limit=100))
        facets = best(lambda: [s.column(c) for s in others])
        print(f"{n:>8} {resolve * 1000:>12.1f} ms {resolve / n * 1e6:>8.2f} µs {ranking * 1000:>8.1f} ms {facets * 1000:>10.1f} ms {resolve / facets:>6.2f}")


if __name__ == "__main__":
    main()
