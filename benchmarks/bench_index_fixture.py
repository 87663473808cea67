"""A search benchmark's index, written fast: the report documents the real
indexer writes (``index.build.report_document`` of each parsed file, with the
same report id), through one Whoosh writer and one commit.

    .venv/bin/python benchmarks/bench_index_fixture.py CORPUS_DIR INDEX_DIR

What it leaves out is only the indexer's bookkeeping (``source`` documents,
incremental updates, batches), which search never reads.  Two files holding
one report (same agency and year) are one report, as in the real index; this
keeps the first file where the indexer keeps the cleanest.
"""

from __future__ import annotations

import hashlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _document(path: str) -> dict | None:
    from index.build import report_document, report_id
    from index.errors import ReportError
    from index.parse import parse_file

    data = Path(path).read_bytes()
    try:
        report = parse_file(path, data)
    except ReportError:
        return None
    as_dict = report.to_dict()
    as_dict["id"] = report_id(report, hashlib.sha256(data).hexdigest())
    return report_document(as_dict, [path])


def build(corpus: Path, index_dir: Path, log=print) -> int:
    """Index every file of ``corpus`` into a new index in ``index_dir``; the number of reports."""
    from index.build import open_index

    files = sorted(str(p) for p in corpus.iterdir() if p.is_file())
    ix = open_index(index_dir, create=True)
    writer = ix.writer(limitmb=256)
    seen: set[str] = set()
    started = time.monotonic()
    # Parsing in a worker process, analysis (jieba) and writing here: both cores busy.
    with ProcessPoolExecutor(1) as pool:
        for n, doc in enumerate(pool.map(_document, files, chunksize=16), 1):
            if doc is not None and doc["id"] not in seen:
                seen.add(doc["id"])
                writer.add_document(**doc)
            if n % 1000 == 0:
                log(f"  {n}/{len(files)} files, {time.monotonic() - started:.0f} s")
    writer.commit()
    return len(seen)


if __name__ == "__main__":
    n = build(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{n} reports indexed into {sys.argv[2]}")
