"""Build and update the index: files in, Whoosh documents out.

    summary = build_index(["samples/"], "var/index")

Incremental: a file is parsed again only when its bytes changed (size and
mtime first, then the SHA-256); a file that disappeared from a folder being
indexed leaves the index; two files that hold the same report (same agency and
year, e.g. the PDF and the web page) are one report listing both sources.

Crash-safe: work is committed in batches (every 200 files or 20 seconds,
whichever comes first), and a Whoosh commit is atomic (the
new table of contents is renamed into place last).  Killing the indexer at any
moment leaves the last commit searchable; the next run picks up what is left,
because a file counts as done only once its batch is committed.

One indexer at a time: a second one gets :class:`IndexBusy`, with the pid of
the one already running.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from index.analysis import Analysis
from index.errors import ReportError
from index.model import Report
from index.parse import parse_file
from index.read import find_files, read_bytes
from index.region import load_table
from index.schema import make_schema, pack_labels, pack_numbers
from index.sector import sector_of

INDEX_NAME = "reports"
LOCK_FILE = "indexer.lock"
# Bump when parsing changes what a file yields: every file is then parsed again.
PARSER_VERSION = 1


class IndexBusy(Exception):
    """Another indexer holds the index."""


@dataclass
class Summary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    reports: int = 0  # reports in the index after the run
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed; "
            f"{self.reports} reports in the index ({self.seconds:.1f} s)"
        )


# ------------------------------------------------------------------ storage helpers


def pack(obj: object) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False).encode("utf-8"), 6)


def unpack(blob: bytes) -> object:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def report_id(report: Report, sha256: str) -> str:
    """One id per report: agency and year when known, else the file's bytes."""
    key = f"{report.agency}|{report.year}" if report.agency and report.year else sha256
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def analysis() -> Analysis:
    """The analysis every index is built with: domain terms plus all place names,
    so an agency name segments as place + department (卫滨区/应急管理局)."""
    table = load_table()
    return Analysis([*table.by_name, *table.by_short])


def open_index(index_dir: str | Path, *, create: bool = False):
    """Open the index in ``index_dir``; create it when asked and missing."""
    index_dir = Path(index_dir)
    if whoosh_index.exists_in(index_dir, INDEX_NAME):
        return whoosh_index.open_dir(index_dir, INDEX_NAME)
    if not create:
        raise FileNotFoundError(f"no index in {index_dir}: run `nianbao index PATH --index {index_dir}` first")
    index_dir.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(index_dir, make_schema(analysis()), INDEX_NAME)


@contextmanager
def indexer_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise IndexBusy(f"another nianbao indexer (pid {pid}) is updating {index_dir}; wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed process releases it too


# ------------------------------------------------------------------ documents


def report_document(report: dict, sources: list[str]) -> dict:
    """The Whoosh document of one report (``report`` is ``Report.to_dict()``)."""
    model = Report.from_dict(report)
    region = report["region"]
    sector = sector_of(report["agency"])
    figures = model.key_figures()
    meta = {
        "id": report["id"],
        "agency": report["agency"],
        "year": report["year"],
        "province": region["province"],
        "city": region["city"],
        "county": region["county"],
        "sector": sector,
        "template": report["template"],
        "consistent": report["consistent"],
        "published": report["published"],
        "warnings": len(report["warnings"]),
        "figures": figures,
    }
    doc = {
        "kind": "report",
        "id": report["id"],
        "body": report["text"],
        "body_bi": report["text"],
        "agency": report["agency"] or "",
        "agency_words": report["agency"] or "",
        "sector": sector,
        "meta": json.dumps(meta, ensure_ascii=False).encode("utf-8"),
        "labels": pack_labels(meta),
        "numbers": pack_numbers({**meta, **figures}),
        "data": pack(report),
        "record": {"sources": sources},
    }
    for name in ("province", "city", "county"):
        if region[name]:
            doc[name] = region[name]
    if report["year"]:
        doc["year"] = report["year"]
    for name, value in figures.items():
        if value is not None:
            doc[name] = float(value)
    return doc


def best_source(records: list[dict]) -> dict:
    """Of several files holding one report, the one read most cleanly."""

    def quality(rec: dict) -> tuple:
        report = rec["report_data"]
        known = sum(1 for p in report["provenance"].values() if p["start"] >= 0)
        return (len(report["warnings"]), -known, rec["path"])

    return min(records, key=quality)


# ------------------------------------------------------------------ the run


def build_index(
    paths: list[str | Path],
    index_dir: str | Path,
    *,
    batch_size: int = 200,
    batch_seconds: float = 20.0,
    on_file: Callable[[str, str, str], None] | None = None,
    files: list[Path] | None = None,
) -> Summary:
    """Index the report files under ``paths`` into ``index_dir``.

    ``on_file(path, status, reason)`` is called once per file as it is decided
    (status: added, updated, unchanged, removed, failed), for progress display.
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    roots = [Path(p).resolve() for p in paths]
    with indexer_lock(index_dir):
        ix = open_index(index_dir, create=True)
        records = load_sources(ix)  # path -> source record
        found = [f.resolve() for f in (files if files is not None else find_files(paths))]
        summary = Summary()
        notify = on_file or (lambda *_: None)

        pending: list[tuple[str, dict | None]] = []  # (path, new record or None for removal)

        last_commit = time.monotonic()

        def flush() -> None:
            nonlocal last_commit
            if pending:
                commit(ix, records, pending)
                pending.clear()
            last_commit = time.monotonic()

        present = {str(f) for f in found}
        for path in sorted(records):
            if path not in present and any(Path(path).is_relative_to(r) for r in roots):
                pending.append((path, None))
                summary.removed.append(path)
                notify(path, "removed", "")
        flush()

        for f in found:
            path = str(f)
            old = records.get(path)
            status, record = examine(f, old)
            if status == "unchanged":
                summary.unchanged.append(path)
                if record:  # touched: remember the new mtime so it is not hashed again
                    pending.append((path, record))
            else:
                if record and record.get("error"):
                    summary.failed.append((path, record["error"]))
                    status = "failed"
                else:
                    status = "updated" if old else "added"
                    getattr(summary, status).append(path)
                pending.append((path, record))
            notify(path, status, record.get("error", "") if record else "")
            # Commit often enough that a crash loses little, seldom enough that
            # Whoosh is not busy merging small segments.
            if len(pending) >= batch_size or time.monotonic() - last_commit > batch_seconds:
                flush()
        flush()
        with ix.searcher() as s:
            summary.reports = sum(1 for _ in s.document_numbers(kind="report"))
    summary.seconds = time.monotonic() - started
    return summary


def load_sources(ix) -> dict[str, dict]:
    with ix.searcher() as s:
        return {fields["record"]["path"]: fields["record"] for fields in s.documents(kind="source")}


def examine(path: Path, old: dict | None) -> tuple[str, dict | None]:
    """Decide whether a file changed; parse it if so.  Returns (status, record)."""
    current = old is not None and old.get("version") == PARSER_VERSION
    record: dict = {"path": str(path), "version": PARSER_VERSION}
    try:
        st = path.stat()
        if current and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns:
            return "unchanged", None
        data = read_bytes(path)
    except (OSError, ReportError) as e:
        record["error"] = e.reason if isinstance(e, ReportError) else f"cannot read file: {e.strerror}"
        return "updated", record
    sha = hashlib.sha256(data).hexdigest()
    if current and old.get("sha256") == sha:
        # Touched, not changed: keep what it yielded, remember the new mtime.
        return "unchanged", {**old, "mtime_ns": st.st_mtime_ns}
    record.update(sha256=sha, size=st.st_size, mtime_ns=st.st_mtime_ns)
    try:
        report = parse_file(path, data)
    except ReportError as e:
        record["error"] = e.reason
        return "updated", record
    data_dict = report.to_dict()
    record["report"] = data_dict["id"] = report_id(report, sha)
    record["report_data"] = data_dict
    return "updated", record


def commit(ix, records: dict[str, dict], changes: list[tuple[str, dict | None]]) -> None:
    """Apply file changes and rebuild the reports they touch, in one commit."""
    affected: set[str] = set()
    writer = ix.writer()
    try:
        for path, record in changes:
            old = records.pop(path, None)
            if old and old.get("report"):
                affected.add(old["report"])
            writer.delete_by_term("id", f"source:{path}")
            if record is not None:
                records[path] = record
                if record.get("report"):
                    affected.add(record["report"])
                stored = dict(record)
                if isinstance(record.get("report_data"), dict):
                    stored["report_data"] = pack(record["report_data"])
                writer.add_document(kind="source", id=f"source:{path}", record=stored)
        for rid in affected:
            writer.delete_by_term("id", rid)
            holders = [_with_data(r) for r in records.values() if r.get("report") == rid]
            if holders:
                best = best_source(holders)
                writer.add_document(**report_document(best["report_data"], sorted(r["path"] for r in holders)))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def _with_data(record: dict) -> dict:
    """A source record with its parsed report unpacked (stored records keep it packed)."""
    data = record.get("report_data")
    if isinstance(data, bytes):
        record["report_data"] = unpack(data)
    return record

