"""Speed figures, each beside a baseline measured in the same run.

    .venv/bin/python benchmarks/bench.py [--reports 1000]

These machines are shared and noisy, so absolute times vary; the ratios to the
baselines are what to compare between runs:

- indexing: seconds per report, and the ratio to merely reading and decoding
  the same files (the I/O floor);
- parsing: the share of indexing time spent in the parser;
- searching: latency of a full search (query + every facet + highlighted
  passages for a page of 20), and its ratio to a bare Whoosh search for the
  same query, and to a brute-force scan of every report's text (what a
  spreadsheet or grep would do).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
QUERIES = ["行政处罚", "应急管理 信息公开", '"政府信息公开申请"', "处理 -复议", "year:2021..2023 依申请公开", "new_received:>0", "发改局 OR 应急局", ""]


def synthetic_corpus(folder: Path, n: int, seed: int = 7) -> None:
    """``n`` distinct reports made from the samples: agency names and numbers varied."""
    rnd = random.Random(seed)
    texts = [(p.read_text(encoding="utf-8"), p) for p in SAMPLES]
    folder.mkdir(parents=True)
    for i in range(n):
        text, _ = texts[i % len(texts)]
        first = text.strip().split("\n")[0]
        agency = first.split("2")[0].strip() or "某局"
        text = text.replace(agency, f"{agency[:2]}第{i}{agency[2:]}")
        text = text.replace("行政处罚\t11", f"行政处罚\t{rnd.randrange(200)}")
        (folder / f"report-{i:05d}.txt").write_text(text, encoding="utf-8")


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

    from index.build import build_index
    from index.formats.text import extract
    from index.parse import parse_file
    from search.engine import Engine, SearchRequest
    from search.passages import find

    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    try:
        corpus = work / "corpus"
        synthetic_corpus(corpus, args.reports)
        files = sorted(corpus.iterdir())

        # -- indexing
        t_samples = timed(lambda: build_index([ROOT / "samples"], work / "ix-samples"))
        t_read = timed(lambda: [extract(f.read_bytes()) for f in files], repeat=3)
        t_parse = timed(lambda: [parse_file(f) for f in files])
        t_index = timed(lambda: build_index([corpus], work / "ix"))
        t_noop = timed(lambda: build_index([corpus], work / "ix"))
        n = len(files)
        print(f"index  samples: {len(SAMPLES)} reports in {t_samples:.2f} s (includes loading jieba's dictionary)")
        print(f"index  synthetic: {n} reports in {t_index:.1f} s = {1000 * t_index / n:.1f} ms/report, {n / t_index:.0f} reports/s")
        print(f"       ratio to reading+decoding the files: {t_index / t_read:.0f}x;  parsing is {100 * t_parse / t_index:.0f}% of it")
        print(f"       second run, nothing changed: {t_noop:.2f} s ({t_noop / t_index:.3f} of a full run)")

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
