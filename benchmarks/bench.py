"""Search speed, each figure beside a baseline measured in the same run.

    .venv/bin/python benchmarks/bench.py [--reports 1000]

Indexing speed has its own benchmark: ``benchmarks/bench_index.py``.

These machines are shared and noisy, so absolute times vary; the ratios to the
baselines are what to compare between runs: latency of a full search (query +
every facet + highlighted passages for a page of 20), and its ratio to a bare
Whoosh search for the same query, and to a brute-force scan of every report's
text (what a spreadsheet or grep would do).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUERIES = ["行政处罚", "应急管理 信息公开", '"政府信息公开申请"', "处理 -复议", "year:2021..2023 依申请公开", "new_received:>0", "发改局 OR 应急局", ""]


def timed(fn, repeat: int = 1) -> float:
    best = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best.append(time.perf_counter() - t)
    return statistics.median(best)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=1000, help="size of the synthetic corpus")
    args = ap.parse_args()

    from benchmarks.corpus import make_corpus
    from index.build import build_index
    from index.parse import parse_file
    from search.engine import Engine, SearchRequest
    from search.passages import find

    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    try:
        corpus = work / "corpus"
        files = [e.path for e in make_corpus(corpus, args.reports)]
        n = len(files)
        build_index([corpus], work / "ix")

        # -- searching
        engine = Engine(work / "ix")
        texts = [parse_file(f).text for f in files[:: max(1, n // 200)]]  # a slice for the brute-force baseline
        scale = n / len(texts)
        print(f"search over {n} reports (median of 5 runs per query; page of 20, all {13} facets, passages):")
        print(f"  {'query':<28} {'full ms':>8} {'bare ms':>8} {'full/bare':>9} {'scan/full':>9} {'hits':>6}")
        s = engine.ix.searcher()
        for q in QUERIES:
            req = lambda: SearchRequest(q=q)  # noqa: E731
            engine.search(req())  # warm
            t_full = timed(lambda: engine.search(req()), repeat=5)
            from search.query import compile_query, parse_query

            query = compile_query(parse_query(q), s.schema)
            t_bare = timed(lambda: s.search(query, limit=20), repeat=5)
            literals = parse_query(q).literals() or [""]
            t_scan = timed(lambda: [all(find(t, lit) for lit in literals) for t in texts], repeat=3) * scale
            total = engine.search(req()).total
            label = q or "(everything)"
            print(f"  {label:<28} {1000 * t_full:8.1f} {1000 * t_bare:8.1f} {t_full / t_bare:9.1f} {t_scan / t_full:9.1f} {total:6d}")
        s.close()
        engine.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
