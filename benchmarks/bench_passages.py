"""Passage selection on long reports: is the work linear in the report's size?

    .venv/bin/python benchmarks/bench_passages.py [--sizes 1,10,100,1000]

A sample report's text and passages repeated N times (N × ~6 KB, up to ~6 MB)
is searched for a few queries.  Printed per size: the time of
``best_passages`` (matching, the set cover, the highlighted HTML of the picks)
per MB of text, and its ratio to the baseline measured in the same run, the
literals' matches alone (``match_spans``, one regular-expression pass per
literal).  A flat time per MB, and a flat ratio, mean linear work.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench import timed  # noqa: E402
from index.parse import parse_file  # noqa: E402
from search.passages import best_passages, match_spans  # noqa: E402

QUERIES = [["公开"], ["依申请公开", "不予公开"], ["行政处罚", "行政复议", "本年新收", "结转"]]


def repeated(report, n: int):
    """``report`` with its text and passages ``n`` times over (tables once)."""
    size = len(report.text) + 1
    passages = [replace(p, id=f"p{k * 1000 + i}", start=p.start + k * size, end=p.end + k * size)
                for k in range(n) for i, p in enumerate(report.passages)]  # fmt: skip
    return replace(report, text="\n".join([report.text] * n), original="", offsets=None, passages=passages)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1,10,100,1000", help="repetitions of the sample")
    args = ap.parse_args()
    base = parse_file(ROOT / "samples" / "zibo-jiguan-shiwu-2023.txt")
    print(f"{'copies':>7} {'MB':>6} {'passages':>9} {'query':<24} {'best_passages':>14} {'per MB':>9} {'matches only':>13} {'ratio':>6}")
    for n in map(int, args.sizes.split(",")):
        report = repeated(base, n)
        mb = len(report.text.encode("utf-8")) / 1e6
        repeat = 5 if n < 100 else 1
        for literals in QUERIES:
            alone = timed(lambda: match_spans(report, literals), repeat)
            full = timed(lambda: best_passages(report, literals), repeat)
            print(f"{n:>7} {mb:>6.2f} {len(report.passages):>9} {' '.join(literals):<24} {full * 1000:>11.1f} ms {full / mb * 1000:>6.0f} ms {alone * 1000:>10.1f} ms {full / alone:>6.1f}")


if __name__ == "__main__":
    main()
