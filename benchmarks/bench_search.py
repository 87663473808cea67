"""Search over HTTP at 1k / 10k / 100k reports, for 1, 8 and 32 clients.

    .venv/bin/python benchmarks/bench_search.py --sizes 1000,10000 [--work DIR] [--baseline-rev REV]

For each size: a corpus (``benchmarks/corpus.make_corpus``), its index (built
by the indexer, ``index.build.build_index``), then ``nianbao serve`` started as
a subprocess on a free 127.0.0.1 port.  It prints:

- the time from starting ``serve`` to its first search answer, and the
  server's peak RSS;
- the latency of each query's first request (cold: matched and scored);
- latency p50/p95/p99 of ``/search.json`` (a page of 20 hits with passages and
  all 13 facets) over queries of every kind × filter sets, for 1, 8 and 32
  concurrent clients (threads, one keep-alive connection each), and errors.
  These queries were seen before in the same commit, so their matches are
  reused: this is the cost of paging, sorting and clicking facets;
- baselines measured in the same run: a bare Whoosh search for the same query
  (top 20, no facets, no passages, in process), and, with ``--baseline-rev``,
  the same HTTP figures for the engine of an earlier commit on the same index.

Everything stays on the loopback interface.  The machine is shared: compare
the ratios, not the milliseconds.  ``--work`` keeps corpora and indexes between
runs; ``--index`` searches an index built already (the 100k one takes hours
to build: ``bench_index.py --keep`` leaves its own).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

QUERIES = {
    "word": "行政处罚",
    "AND": "应急管理 信息公开",
    "phrase": '"政府信息公开申请"',
    "OR": "行政处罚 OR 行政许可",
    "NOT": "公开 -复议",
    "range": "new_received:>0",
    "empty": "",
}
FILTERS = [
    {},
    {"year": ["2023"]},
    {"province": ["山东省"], "new_received": ["0"]},
    {"year": ["2023", "2022"], "consistent": ["yes"]},
    {"penalty": ["10-99", "100+"]},
]
CLIENTS = {1: 70, 8: 16, 32: 5}  # clients -> requests each (bounded: 70, 128, 160 in all)


def urls() -> list[str]:
    out = []
    for q in QUERIES.values():
        for f in FILTERS:
            params = [("q", q)] + [(k, v) for k, vs in f.items() for v in vs]
            out.append("/search.json?" + urlencode(params))
    return out


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


# ------------------------------------------------------------------ corpus and index


def corpus(work: Path, n: int) -> Path:
    from corpus import make_corpus

    folder = work / f"corpus-{n}"
    if not folder.exists():
        tmp = work / f"corpus-{n}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        make_corpus(tmp, n, seed=7)
        tmp.rename(folder)
    return folder


def index(work: Path, n: int) -> Path:
    """The index ``nianbao index`` builds of the corpus (kept in ``work``)."""
    from index.build import build_index

    target = work / f"ix-{n}"
    if not target.exists():
        tmp = work / f"ix-{n}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        summary = build_index([corpus(work, n)], tmp)
        tmp.rename(target)
        print(f"  indexed: {summary.line()}", flush=True)
    return target


# ------------------------------------------------------------------ the server


class Server:
    """``nianbao serve`` in a subprocess (optionally an older checkout's)."""

    def __init__(self, index_dir: Path, code: Path = ROOT, log: Path | None = None, processes: int = 1) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(code)}
        self.log = open(log or os.devnull, "wb")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nianbao", "serve", "--index", str(index_dir), "--port", str(self.port),
             *(["--processes", str(processes)] if processes > 1 else [])],
            cwd=code, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def first_answer(self, url: str, timeout: float = 300) -> float:
        """Seconds from start to the first 200 for ``url``."""
        while time.perf_counter() - self.started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.02)
        raise TimeoutError("no answer")

    def peak_rss_mb(self) -> float:
        """The server's peak RSS: each of its processes' own peak, summed (``serve``
        forks its processes; an upper bound on what they held at once)."""
        from bench_index import tree_memory

        return tree_memory(self.proc.pid, "VmHWM") / 2**20

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def load(port: int, clients: int, per_client: int, plan: list[str]) -> tuple[list[float], int]:
    """``clients`` threads, each sending ``per_client`` requests; (latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def client(k: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in range(per_client):
            url = plan[(k * per_client + i) % len(plan)]
            t = time.perf_counter()
            try:
                conn.request("GET", url)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and "facets" in json.loads(body)
            except (OSError, http.client.HTTPException, ValueError):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                latencies.append(time.perf_counter() - t)
                errors += not ok
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def measure_http(label: str, index_dir: Path, code: Path, work: Path, clients: dict[int, int], processes: int = 1) -> dict:
    plan = urls()
    server = Server(index_dir, code, work / f"serve-{label}.log", processes)
    try:
        first = server.first_answer(plan[-1])  # an empty query: nothing cached by it for later
        # Each query once, in order: its first request is cold (matched and
        # scored), the other filter sets reuse its matches.
        seen = [load(server.port, 1, 1, [url])[0][0] for url in plan]
        out = {"first": first, "levels": {}, "cold": dict(zip(QUERIES, seen[:: len(FILTERS)]))}
        for n, per_client in clients.items():
            t = time.perf_counter()
            lat, errors = load(server.port, n, per_client, plan)
            out["levels"][n] = {"lat": lat, "errors": errors, "wall": time.perf_counter() - t}
        out["rss"] = server.peak_rss_mb()
        return out
    finally:
        server.stop()


def bare_whoosh(index_dir: Path) -> dict[str, float]:
    """p50 seconds of a bare Whoosh search (top 20, our query compiler), per query."""
    from whoosh import query as Q

    from index.build import open_index
    from search.query import compile_query, parse_query

    ix = open_index(index_dir)
    out = {}
    with ix.searcher() as s:
        for name, q in QUERIES.items():
            query = Q.And([Q.Term("kind", "report"), compile_query(parse_query(q), s.schema)])
            s.search(query, limit=20)
            times = []
            for _ in range(5):
                t = time.perf_counter()
                s.search(query, limit=20)
                times.append(time.perf_counter() - t)
            out[name] = statistics.median(times)
    return out


def report(label: str, n: int, m: dict, bare_p50: float | None) -> None:
    print(f"  {label} at {n}: server peak RSS {m['rss']:.0f} MB (its processes' peaks summed); first request of each query (cold, ms): "
          + ", ".join(f"{k} {1000 * v:.0f}" for k, v in m["cold"].items()))  # fmt: skip
    one = statistics.median(m["levels"][1]["lat"]) if 1 in m["levels"] else float("nan")
    for clients, level in m["levels"].items():
        lat = level["lat"]
        p50, p95, p99 = (percentile(lat, p) for p in (50, 95, 99))
        ratio = f"{p50 / bare_p50:6.1f}" if bare_p50 else "     -"
        print(f"  {label:<9} {n:>7} {clients:>4} {len(lat):>5} {1000 * p50:8.0f} {1000 * p95:8.0f} {1000 * p99:8.0f} "
              f"{level['errors']:>4} {m['first']:7.2f} {ratio} {p95 / one:8.1f} {len(lat) / level['wall']:7.1f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (e.g. 1000,10000,100000)")
    ap.add_argument("--work", type=Path, help="folder for corpora and indexes, kept between runs (default: a temporary one)")
    ap.add_argument("--baseline-rev", help="also serve the engine of this git revision on the same index (e.g. af0b06f)")
    ap.add_argument("--processes", type=int, default=1, help="serve with this many processes (nianbao serve --processes)")
    ap.add_argument("--index", type=Path, help="search this index instead of building one (e.g. the one `bench_index.py --keep` left); one size, its report count")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    if args.index and len(sizes) != 1:
        ap.error("--index takes one size: the number of reports in that index")
    work = args.work or Path(tempfile.mkdtemp(prefix="nianbao-bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    old_code = None
    if args.baseline_rev:
        old_code = work / f"code-{args.baseline_rev}"
        if not old_code.exists():
            old_code.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline_rev], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old_code)], input=archive, check=True)
    try:
        rows = []
        for n in sizes:
            ix = args.index or index(work, n)
            bare = bare_whoosh(ix)
            bare_p50 = statistics.median(bare.values())
            print(f"\n{n} reports; bare Whoosh top-20 per query (ms): " + ", ".join(f"{k} {1000 * v:.1f}" for k, v in bare.items()), flush=True)
            rows.append(("nianbao", n, measure_http("nianbao", ix, ROOT, work, CLIENTS, args.processes), bare_p50))
            if old_code:
                rows.append((args.baseline_rev, n, measure_http(args.baseline_rev, ix, old_code, work, {1: 35, 32: 2}, args.processes), bare_p50))
            print(f"  {'engine':<9} {'reports':>7} {'cli':>4} {'reqs':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'err':>4} "
                  f"{'first s':>7} {'p50/bare':>6} {'p95/1-cl p50':>8} {'req/s':>7}")  # fmt: skip
            for label, size, m, b in rows[-2 if old_code else -1 :]:
                report(label, size, m, b)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
