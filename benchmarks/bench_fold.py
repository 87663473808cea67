"""What folding traditional → simplified costs the analyzers, as a same-run ratio.

    .venv/bin/python benchmarks/bench_fold.py [--repeat 5]

Tokenizes the bundled samples' text (word and bigram analyzers, as indexing
does) with the fold table that simplifies and with one that does not, in
alternating rounds, and prints the median time of each and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import analysis  # noqa: E402
from index.parse import parse_file  # noqa: E402


class _NoSimplify(dict):
    def __missing__(self, code: int) -> str:
        self[code] = folded = unicodedata.normalize("NFKC", chr(code)).lower()
        return folded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    texts = [parse_file(p).text for p in sorted((ROOT / "samples").glob("*.txt"))]
    word, bigram = analysis.Analysis().analyzers()
    words, grams = word[0], bigram[0]

    def run() -> float:
        t = time.perf_counter()
        for text in texts:
            words.terms(text)
            grams.terms(text)
            list(words.spans(text))
        return time.perf_counter() - t

    tables = {"simplify": analysis._FOLD, "no simplify": _NoSimplify()}
    run()  # jieba's dictionary and the cut cache warm for both
    times: dict[str, list[float]] = {name: [] for name in tables}
    for _ in range(args.repeat):
        for name, table in tables.items():
            analysis._FOLD = table
            times[name].append(run())
    analysis._FOLD = tables["simplify"]
    chars = sum(map(len, texts))
    for name, ts in times.items():
        print(f"{name:12s} {statistics.median(ts) * 1000:8.1f} ms  ({chars / statistics.median(ts) / 1e6:.2f} M chars/s)")
    print(f"ratio simplify / no simplify: {statistics.median(times['simplify']) / statistics.median(times['no simplify']):.3f}")


if __name__ == "__main__":
    main()
