"""Indexing speed at 1k, 10k, 100k reports, beside the obvious build in the same run.

    .venv/bin/python benchmarks/bench_index.py --sizes 1000,10000

For each size, a corpus from ``benchmarks/corpus.py`` is indexed twice, each in
its own process:

- the **obvious build**: jieba's stock ``ChineseAnalyzer``, one Whoosh writer,
  one ``body`` TEXT field, one commit (no parsing, no bigrams, nothing stored);
- **nianbao**: ``nianbao index`` (parse, check, word + bigram fields, facets,
  the stored report), then run again with nothing changed, and again with a
  tenth of the files changed (a sentence appended: parsed and written again,
  their old documents deleted, their figures the same).

It prints reports/s and the ratio of the two, the cost per report relative to
the smallest size (flat = 1.00), CPU time per report (user + system, workers
included: less sensitive to other load than wall time), the peak RSS of each (the indexer and its
worker processes together), the no-change rerun, and bytes on disk per report.
After the build and after the changed run, every report's headline figures
in the index are compared with what the generator wrote.  The machine is shared: compare
ratios, not seconds.  ``--obvious-max`` skips the obvious build above that size
(at 100k it alone takes over an hour); the ratio then uses its rate at the
largest size it ran, and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from whoosh.query import Term

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds, the process and its children together
    peak_rss: int  # bytes, the process and its children together
    disk: int = 0  # bytes of the index


def tree_memory(pid: int, field: str = "VmRSS") -> int:
    """Bytes of a ``/proc/PID/status`` memory field (``VmRSS`` resident now,
    ``VmHWM`` each process's own peak) over ``pid`` and all its descendants, summed."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(f"{field}:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def committed(index_dir: Path) -> int:
    """Files committed so far (each has a ``source`` document, each report one more)."""
    from whoosh.index import open_dir

    try:
        ix = open_dir(str(index_dir), "reports")
        return sum(s.doc_count() for s in ix._segments()) // 2
    except Exception:  # no table of contents yet, or one being replaced
        return 0


def measured(cmd: list[str], log: Path, index_dir: Path | None = None, every: float = 120.0) -> Run:
    """Run ``cmd``, sampling the RSS of its process tree; fail loudly if it fails.
    With ``index_dir``, print progress every ``every`` seconds (a long run can be read while it goes)."""
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        peak, shown = 0, started
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # usage includes the workers it waited for
            if pid:
                break
            peak = max(peak, tree_memory(proc.pid))
            if index_dir is not None and time.perf_counter() - shown >= every:
                shown = time.perf_counter()
                done = committed(index_dir)
                print(f"    {shown - started:6.0f} s: ~{done} files committed ({done / (shown - started):.1f}/s), "
                      f"peak RSS so far {peak / 2**20:.0f} MB, load {os.getloadavg()[0]:.1f}", flush=True)
            time.sleep(0.2)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(cmd)} failed ({status}); see {log}:\n{log.read_text(errors='replace')[-2000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak)


def disk_usage(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def obvious_build(corpus: Path, index_dir: Path) -> None:
    """What anyone would write first: stock ChineseAnalyzer, one writer, one field."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    index_dir.mkdir(parents=True)
    ix = index.create_in(str(index_dir), Schema(path=ID(stored=True, unique=True), body=TEXT(analyzer=ChineseAnalyzer())))
    writer = ix.writer()
    for f in sorted(corpus.rglob("*.txt")):
        writer.add_document(path=str(f), body=f.read_text(encoding="utf-8"))
    writer.commit()


UPDATE = "\n本报告内容如有更新，以门户网站发布为准。\n"  # a sentence more, the tables untouched


def change_some(corpus: Path, every: int = 10) -> int:
    """Append a sentence to every ``every``-th file (a crawl fetched again, a
    tenth of its pages edited): those reports are parsed and written again,
    their old documents deleted, the headline figures the same."""
    files = sorted(corpus.rglob("*.txt"))[::every]
    for f in files:
        with open(f, "a", encoding="utf-8") as out:
            out.write(UPDATE)
    return len(files)


def check_index(index_dir: Path, expected) -> int:
    """Compare every report's headline figures in the index with what the
    generator wrote into its file; the number of reports that differ (or are missing)."""
    want = {str(e.path.resolve()): e.figures for e in expected}
    got = index_figures(index_dir)
    return sum(1 for path, figures in want.items() if got.get(path) != figures)


def index_figures(index_dir: Path) -> dict[str, dict]:
    """Every source file's report's headline figures, as the index holds them."""
    from whoosh.index import open_dir

    got = {}
    with open_dir(str(index_dir), "reports").searcher() as s:
        reader = s.reader()
        column = reader.column_reader("meta")
        for d in s.docs_for_query(Term("kind", "report")):
            figures = json.loads(column[d])["figures"]
            for path in s.stored_fields(d)["record"]["sources"]:
                got[path] = figures
    return got


def bench(sizes: list[int], seed: int, obvious_max: int, work: Path, keep: bool = False) -> list[str]:
    """Run every size; print and return the table lines as each size is done.
    ``keep``: leave each corpus and index in ``work`` (``corpus-N``, ``nianbao-N``),
    e.g. for ``bench_search.py --index``."""
    from benchmarks.corpus import make_corpus

    rows, lines, obvious_ref = [], [HEADER], None
    for n in sizes:
        corpus = work / f"corpus-{n}"
        t = time.perf_counter()
        expected = make_corpus(corpus, n, seed=seed)
        print(f"[{n}] corpus generated in {time.perf_counter() - t:.0f} s", flush=True)
        row: dict = {"n": n}
        if n <= obvious_max:
            ob_ix = work / f"obvious-{n}"
            ob = measured([sys.executable, __file__, "--obvious", str(corpus), str(ob_ix)], work / f"obvious-{n}.log")
            ob.disk = disk_usage(ob_ix)
            shutil.rmtree(ob_ix)
            row["obvious"] = ob
            print(f"[{n}] obvious build {ob.seconds:.0f} s", flush=True)
        ix = work / f"nianbao-{n}"
        nb = measured([sys.executable, "-m", "nianbao", "index", str(corpus), "--index", str(ix)], work / f"nianbao-{n}.log", ix)
        nb.disk = disk_usage(ix)
        row["nianbao"] = nb
        print(f"[{n}] nianbao build {nb.seconds:.0f} s", flush=True)
        row["rerun"] = measured([sys.executable, "-m", "nianbao", "index", str(corpus), "--index", str(ix)], work / f"rerun-{n}.log")
        row["wrong"] = check_index(ix, expected)
        print(f"[{n}] no-change rerun {row['rerun'].seconds:.1f} s; {row['wrong']} reports with figures unlike the generator's", flush=True)
        changed = change_some(corpus)
        row["update"] = measured([sys.executable, "-m", "nianbao", "index", str(corpus), "--index", str(ix)], work / f"update-{n}.log", ix)
        row["wrong"] += check_index(ix, expected)
        print(f"[{n}] {changed} files changed, rerun {row['update'].seconds:.1f} s; {row['wrong']} reports wrong in all", flush=True)
        rows.append(row)
        obvious_ref = (n, row["obvious"]) if "obvious" in row else obvious_ref
        lines.append(table_row(row, rows[0], obvious_ref))
        print("\n".join(lines), flush=True)
        if not keep:
            shutil.rmtree(ix)
            shutil.rmtree(corpus)
    return lines


HEADER = (
    "| reports | nianbao s | reports/s | obvious reports/s | ratio | cost/report vs first | CPU ms/report | obvious CPU ms/report "
    "| peak RSS | obvious peak RSS | no-change rerun | a tenth changed | bytes/report | obvious bytes/report | figures wrong |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def table_row(row: dict, first: dict, obvious_ref: tuple[int, Run] | None) -> str:
    """One size's line; ``obvious_ref``: (size, run) of the obvious build to compare with."""
    n, nb, ob = row["n"], row["nianbao"], row.get("obvious")
    ob_rate = obvious_ref[0] / obvious_ref[1].seconds if obvious_ref else None
    note = "" if ob or not obvious_ref else f" (at {obvious_ref[0]})"
    flat = (nb.seconds / n) / (first["nianbao"].seconds / first["n"])
    return (
        f"| {n} | {nb.seconds:.0f} | {n / nb.seconds:.1f} | {f'{ob_rate:.1f}' if ob_rate else '—'}{note} "
        f"| {f'{(n / nb.seconds) / ob_rate:.2f}×' if ob_rate else '—'} | {flat:.2f} "
        f"| {1000 * nb.cpu / n:.1f} | {f'{1000 * ob.cpu / n:.1f}' if ob else '—'} "
        f"| {nb.peak_rss / 2**20:.0f} MB | {f'{ob.peak_rss / 2**20:.0f} MB' if ob else '—'} "
        f"| {row['rerun'].seconds:.1f} s | {row['update'].seconds:.1f} s | {nb.disk / n / 1024:.1f} KB | {f'{ob.disk / n / 1024:.1f} KB' if ob else '—'} | {row['wrong']} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (default 1000,10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--obvious-max", type=int, default=10_000, help="largest size to run the obvious build at")
    ap.add_argument("--work", type=Path, help="working folder (default: a new temporary one, removed after)")
    ap.add_argument("--keep", action="store_true", help="keep each corpus and index in --work (corpus-N, nianbao-N)")
    ap.add_argument("--obvious", nargs=2, type=Path, metavar=("CORPUS", "INDEX"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.obvious:
        obvious_build(*args.obvious)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    try:
        if args.keep and not args.work:
            ap.error("--keep needs --work")
        lines = bench([int(s) for s in args.sizes.split(",")], args.seed, args.obvious_max, work, args.keep)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
