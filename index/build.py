"""Build and update the index: files in, Whoosh documents out.

    summary = build_index(["samples/"], "var/index")

Incremental: a file is read again only when its size or mtime changed, or when
it was parsed by another parser version (``PARSER_VERSION``); it is parsed
again only when its bytes changed (SHA-256) or the parser did.  The index
remembers every file it has read (a ``source`` document: hash, size, mtime,
which report it became, or why it failed), so a version bump re-parses from
the bytes without the indexer hashing them again (the parser still hashes what
it reads, for the report's ``source``), and a touched file is hashed, not parsed.
A file that disappeared from a folder being indexed leaves the index; two files
that hold the same report (same agency, place and year, e.g. the PDF and the web
page) are one report listing both sources.

The cost per file does not grow with the index: the source records are loaded
once, the report → files map is kept in memory, a fresh report is never
looked up in the index, deletions are batched (one query per commit), and
segments are merged by size class (``index/segments.py``), not on every commit.
Reading, parsing, analysis and segment writing run in worker processes, one
segment each; this process decides what each commit keeps.

Crash-safe: work is committed in batches (every ``batch_size`` files or
``batch_seconds``, whichever comes first), and a commit is atomic (the new
table of contents is renamed into place last).  Killing the indexer at any
moment leaves the last commit searchable; the next run picks up what is left,
because a file counts as done only once its batch is committed.  A commit that
fails (a full disk) is cancelled and the files written for it removed; what a
killed run left is removed at the start of the next.  Commits are fsynced
(``index/storage.py``).  A worker stuck on one file past its budget is
replaced (:func:`stop_after`); the files of its lost segment are sent again.

One indexer at a time: a second one gets :class:`IndexBusy`, with the pid of
the one already running.
"""

from __future__ import annotations

import bisect
import errno
import fcntl
import functools
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.query import Or, Term

from index import segments as seg
from index import storage
from index.agency import agency_key
from index.analysis import Analysis, fold
from index.errors import ReportError
from index.flags import period_year, signature_date, tables_hash
from index.model import Report
from index.paragraphs import narrative, pack_fingerprints
from index.parse import parse_file
from index.read import find_files, read_bytes
from index.region import load_table
from index.schema import column_values, layout, make_schema, pack_labels, pack_numbers
from index.sector import sector_of

INDEX_NAME = "reports"
LOCK_FILE = "indexer.lock"
# Bump when parsing changes what a file yields: every file is then parsed again.
# 5: reports printed in traditional characters are simplified before parsing; agency
# key, red flags and paragraph fingerprints stored.
PARSER_VERSION = 5
# Bump when what the indexer stores for a file changes (same effect, separate reason).
# 3: each record has its report's fingerprint (versions); text folded traditional →
# simplified; city/county labels are place paths.
RECORD_LAYOUT = 3
CHUNK = 8  # files sent to a worker at a time
IN_FLIGHT = 2  # chunks queued per worker: enough to keep it busy, little to lose


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
    versioned: int = 0  # of them, reports whose files differ (numbers or text): kept as versions
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed; "
            f"{self.reports} reports in the index, {self.versioned} with differing versions ({self.seconds:.1f} s)"
        )


# ------------------------------------------------------------------ storage helpers


def pack(obj: object) -> bytes:
    # surrogateescape: a file name that is not valid UTF-8 (a GBK name from an
    # unzipped archive) arrives as lone surrogates; it must round-trip, not fail.
    return zlib.compress(json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogateescape"), 6)


def unpack(blob: bytes) -> object:
    return json.loads(zlib.decompress(blob).decode("utf-8", "surrogateescape"))


def pack_record(record: dict) -> bytes:
    """A source record for the ``source_record`` column (small: not compressed)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogateescape")


def load_records(ix) -> dict[str, dict]:
    """path → source record, for every file the index has read (the
    ``source_record`` column; an index written without it has another layout
    and is built again instead, see :func:`build_index`)."""
    out: dict[str, dict] = {}
    with ix.searcher() as s:
        for leaf, _ in s.reader().leaf_readers():  # segment by segment: much cheaper per document
            if ("kind", "source") not in leaf:
                continue
            column = column_values(leaf, "source_record")
            for d in leaf.postings("kind", "source").all_ids():
                rec = json.loads(column[d].decode("utf-8", "surrogateescape"))
                out[rec["path"]] = rec
    return out


def report_id(report: Report, sha256: str) -> str:
    """One id per report: agency, place and year when known, else the file's bytes.

    The place is part of it because county agencies of different cities share
    names (鼓楼区应急管理局 in 南京市 and in 福州市)."""
    if not (report.agency and report.year):
        key = sha256
    else:
        r = report.region
        key = f"{report.agency}|{report.year}|{r.province or ''}|{r.city or ''}|{r.county or ''}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_id(path: str) -> str:
    """The id of a file's ``source`` document (Whoosh terms must be valid UTF-8)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "source:#" + hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()
    return f"source:{path}"


def analysis() -> Analysis:
    """The analysis every index is built with: domain terms plus all place names,
    so an agency name segments as place + department (卫滨区/应急管理局)."""
    table = load_table()
    return Analysis([*table.by_name, *table.by_short])


@functools.cache
def current_layout() -> dict[str, tuple]:
    """The layout this version writes (``index.schema.layout``)."""
    return layout(make_schema())


def open_index(index_dir: str | Path, *, create: bool = False):
    """Open the index in ``index_dir`` (its files fsynced as they are written);
    create it when asked and missing.  Raises ``storage.DamagedIndex`` when its
    table of contents or a segment cannot be read."""
    index_dir = Path(index_dir)
    if storage.exists(index_dir, INDEX_NAME):
        return storage.open_checked(index_dir, INDEX_NAME)
    if not create:
        raise FileNotFoundError(f"no index in {index_dir}: run `nianbao index PATH --index {index_dir}` first")
    index_dir.mkdir(parents=True, exist_ok=True)
    return storage.open_storage(index_dir).create_index(make_schema(analysis()), INDEX_NAME)


@contextmanager
def indexer_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            # A POSIX lock, not flock(): it belongs to this process alone, so the
            # worker processes forked below do not keep holding it if this one is killed.
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise IndexBusy(f"another nianbao indexer (pid {pid}) is updating {index_dir}; wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed process releases it too


# ------------------------------------------------------------------ documents


def report_document(
    report: dict, sources: list[str], versions: list[tuple[list[str], dict]] = (), model: Report | None = None
) -> dict:
    """The Whoosh document of one report (``report`` is ``Report.to_stored()``;
    ``model`` the ``Report`` itself when at hand, else rebuilt from ``report``);
    its stored data gains the ``agency_key``.

    ``versions``: when the report's files differ, each version's files and
    report, ``report``'s own first.  It stays one document (one hit, counted
    once in totals and facets) with ``report``'s numbers; its text fields hold
    every version's text, so a word printed in one version only finds it."""
    if model is None:
        # Without the printed text and its offset map, which nothing here needs.
        model = Report.from_dict({**report, "original": "", "offsets": None})
    region = report["region"]
    sector = sector_of(report["agency"])
    figures = model.key_figures()
    report = {**report, "agency_key": agency_key(report["agency"], region)}
    flags = {"signature_date": signature_date(model), "period_year": period_year(model), "tables_hash": tables_hash(model)}
    meta = {
        "id": report["id"],
        "agency_key": report["agency_key"],
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
        "failed_checks": sum(1 for c in report["checks"] if not c["ok"]),
        "versions": max(1, len(versions)),
        "figures": figures,
        **flags,  # so that numbers read back from meta (an index without the column) have them too
    }
    if len(versions) > 1:
        report = {**report, "versions": [{"sources": files, "report": None if n == 0 else other} for n, (files, other) in enumerate(versions)]}
    # A blank line between versions: no phrase reads across from one into the next.
    text = "\n\n".join([report["text"], *(other["text"] for _, other in versions[1:])])
    doc = {
        "kind": "report",
        "id": report["id"],
        "body": text,
        "body_bi": text,
        "agency": report["agency"] or "",
        "agency_words": report["agency"] or "",
        "sector": sector,
        "meta": json.dumps(meta, ensure_ascii=False).encode("utf-8"),
        "labels": pack_labels(meta),
        "numbers": pack_numbers({**meta, **figures, **flags}),
        "paragraphs": pack_fingerprints(narrative(model)),
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


def quality(report: dict) -> list[int]:
    """How cleanly a file was read: fewer warnings, then more numbers traced to the text."""
    known = sum(1 for p in report["provenance"].values() if p["start"] >= 0)
    return [len(report["warnings"]), -known]


def cleanest_first(records: list[dict]) -> list[dict]:
    """Files holding one report, the one read most cleanly first."""
    return sorted(records, key=lambda rec: (rec.get("quality") or [1 << 30, 0], rec["path"]))


_ALNUM = re.compile(r"[^\W_]+")  # what str.isalnum() keeps (re's \w is isalnum() and "_")


def version_fingerprint(report: dict) -> str:
    """What makes two files of one report the same version: the same numbers and
    the same text, folded, letters, digits and ideographs only (how an export
    breaks lines, spaces or punctuates does not make a version)."""
    numbers = [report[name] for name in ("proactive", "applications", "review_litigation")]
    text = "".join(_ALNUM.findall(fold(report["text"])))
    blob = json.dumps([numbers, text], ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogateescape")
    return hashlib.sha1(blob).hexdigest()


def versions_of(records: list[dict]) -> list[list[dict]]:
    """Files of one report grouped by :func:`version_fingerprint`, each group cleanest
    file first, the group of the cleanest file first."""
    groups: dict[str | None, list[dict]] = {}
    for rec in cleanest_first(records):
        groups.setdefault(rec.get("fingerprint"), []).append(rec)
    return list(groups.values())


def count_versioned(holders: dict[str, set[str]], records: dict[str, dict]) -> int:
    """How many reports have files that differ (more than one fingerprint)."""
    return sum(1 for paths in holders.values() if len({records[p].get("fingerprint") for p in paths}) > 1)


# ------------------------------------------------------------------ one file (in a worker)


FILE_SECONDS = 60.0  # parse budget per file: past it the file is reported, the worker goes on
WORKER_MEMORY_MB = 2048  # address-space cap per worker (RLIMIT_AS); jieba's dictionary needs ~300 MB


class _OverBudget(BaseException):  # not Exception: a parser's own ``except Exception`` must not eat it
    pass


def _over_budget(signum, frame):
    raise _OverBudget


def limit_worker_memory(megabytes: int) -> None:
    """Cap this process's address space, so a file that inflates without end
    raises MemoryError in its parse instead of taking the machine."""
    cap = megabytes * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def stop_after(seconds: float) -> float:
    """How long a worker may be on one file before the indexer stops it: the
    file's budget and a margin.  SIGALRM fails a slow parse at the budget;
    this catches one stuck in a single long call into C, where no signal gets in."""
    return seconds + max(1.0, seconds / 2)


def parse_within(path: str, data: bytes, seconds: float, megabytes: int):
    """``parse_file`` under a wall-clock budget (SIGALRM, so the worker and the
    segment it holds survive) and the worker's memory cap."""
    previous = signal.signal(signal.SIGALRM, _over_budget)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return parse_file(path, data)
    except _OverBudget:
        raise ReportError(f"took longer than {seconds:g} s") from None
    except MemoryError:
        raise ReportError(f"needed more than {megabytes} MB") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_and_parse(
    path: str, old: dict | None, trust_sha: bool, seconds: float = FILE_SECONDS, megabytes: int = WORKER_MEMORY_MB
) -> tuple[str, dict, dict | None, dict | None]:
    """Read one file; parse it unless its bytes are what ``old`` says they were.

    Returns (status, record, report as ``to_stored()`` or None, the ``Report``
    itself or None); status is
    "unchanged" (touched, not changed: only its mtime is new), "failed" or "parsed".
    ``trust_sha``: size and mtime are as recorded, so the recorded hash holds
    (a parser version bump: read the bytes again, do not hash them).
    """
    record: dict = {"path": path, "version": PARSER_VERSION, "layout": RECORD_LAYOUT}
    try:
        st = os.stat(path)
        data = read_bytes(Path(path))
    except (OSError, ReportError) as e:
        record["error"] = e.reason if isinstance(e, ReportError) else f"cannot read file: {e.strerror}"
        return "failed", record, None, None
    sha = old["sha256"] if trust_sha else None
    current = old is not None and (old.get("version"), old.get("layout")) == (PARSER_VERSION, RECORD_LAYOUT)
    if current and not trust_sha:  # touched or changed: the hash tells
        sha = content_hash(data)
        if old.get("sha256") == sha:
            return "unchanged", {**old, "mtime_ns": st.st_mtime_ns}, None, None
    record.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    try:
        report = parse_within(path, data, seconds, megabytes)
    except ReportError as e:
        record["error"] = e.reason
        return "failed", record, None, None
    except Exception as e:  # a parser bug must not stop the run: report it with the file
        record["error"] = f"internal error while parsing: {type(e).__name__}: {e}"
        return "failed", record, None, None
    sha = record["sha256"] = sha or report.source.sha256  # the parser hashes what it reads
    data_dict = report.to_stored()
    record["report"] = data_dict["id"] = report_id(report, sha)
    record["quality"] = quality(data_dict)
    record["fingerprint"] = version_fingerprint(data_dict)
    return "parsed", record, data_dict, report


def index_file(writer, job: tuple[str, dict | None, bool, float, int]) -> tuple[str, dict, int | None]:
    """Worker side: read and parse one file, add its source document and,
    provisionally, its report document to ``writer``'s segment.  Returns
    (status, record, the report document's number in the segment or None)."""
    limit_worker_memory(job[4])  # cheap; this runs only in worker processes
    status, record, report, model = read_and_parse(*job)
    docnum = None
    if report is not None:
        docnum = writer.docnum
        writer.add_document(**report_document(report, [record["path"]], model=model))
    writer.add_document(kind="source", id=source_id(record["path"]), source_record=pack_record(record))
    return status, record, docnum


# ------------------------------------------------------------------ the run


def build_index(
    paths: list[str | Path],
    index_dir: str | Path,
    *,
    batch_size: int = 1000,
    batch_seconds: float = 60.0,
    workers: int | None = None,
    on_file: Callable[[str, str, str], None] | None = None,
    files: list[str | Path] | None = None,
    file_seconds: float = FILE_SECONDS,
    worker_memory_mb: int = WORKER_MEMORY_MB,
) -> Summary:
    """Index the report files under ``paths`` into ``index_dir``.

    ``on_file(path, status, reason)`` is called once per file as it is decided
    (status: added, updated, unchanged, removed, failed), for progress display.
    ``workers``: processes that read, parse and write segments (default: one per core).
    ``file_seconds`` / ``worker_memory_mb``: a file whose parse passes either is
    failed with the limit it hit; its worker and the rest of the batch go on.
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    if storage.exists(index_dir, INDEX_NAME) and layout(open_index(index_dir).schema) != current_layout():
        # Written by an earlier nianbao with other fields (search still reads it, from
        # ``meta`` where a column is missing or narrower); new documents could not be
        # added to it, so it is built again beside it and swapped in when done.
        return rebuild_index(paths, index_dir, batch_size=batch_size, batch_seconds=batch_seconds, workers=workers,
                             on_file=on_file, files=files, file_seconds=file_seconds, worker_memory_mb=worker_memory_mb)
    roots = [Path(p).resolve() for p in paths]
    with indexer_lock(index_dir):
        ix = open_index(index_dir, create=True)
        seg.clean(ix)  # what a killed or failed run left: unlisted segments, temporary files
        try:
            run = _Run(ix, on_file or (lambda *_: None))
            found = real_paths(files if files is not None else find_files(paths))
            present = set(found)
            for path in sorted(run.records):
                if path not in present and any(Path(path).is_relative_to(r) for r in roots):
                    run.remove(path)
            jobs = [(*job, file_seconds, worker_memory_mb) for job in map(run.examine, found) if job]
            if jobs:
                run.index(jobs, workers or os.cpu_count() or 1, batch_size, batch_seconds)
            elif run.changed:
                run.commit([])
        finally:
            # A failed commit (a full disk) was cancelled: the last TOC still
            # stands, and the files written for the batch it would have listed go.
            seg.clean(ix)
        summary = run.summary
        summary.reports = sum(1 for h in run.holders.values() if h)
        summary.versioned = count_versioned(run.holders, run.records)
    summary.seconds = time.monotonic() - started
    return summary


REBUILD_FOLDER = "rebuild.tmp"  # inside the index folder: same disk, so its files move over by rename


def rebuild_index(paths: list[str | Path], index_dir: str | Path, **options) -> Summary:
    """Build a fresh index of ``paths`` next to the one in ``index_dir`` (damaged
    or not) and swap it in only once it is complete: a rebuild that fails or is
    killed leaves the old index as it was.  ``options`` as for :func:`build_index`."""
    index_dir = Path(index_dir)
    staging = index_dir / REBUILD_FOLDER
    with indexer_lock(index_dir):
        shutil.rmtree(staging, ignore_errors=True)  # a killed rebuild's
        try:
            summary = build_index(paths, staging, **options)
            storage.swap_in(staging, index_dir, INDEX_NAME)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return summary


def real_paths(files: list[str | Path]) -> list[str]:
    """Absolute paths, symbolic links in folders resolved: each folder once
    (resolving each file costs an lstat per path component)."""
    real: dict[str, str] = {}
    out = []
    for f in map(os.fspath, files):
        parent, name = os.path.split(f)
        folder = real.get(parent)
        if folder is None:
            folder = real[parent] = os.path.realpath(parent or ".")
        out.append(os.path.join(folder, name))
    return out


class _Run:
    """One indexing run: what the index holds, what this run changed, and commits.

    ``records`` (path → source record) and ``holders`` (report id → paths) are
    loaded once and kept up to date in memory; ``live`` is the set of report ids
    that have a committed document.  Everything a batch changed waits in
    ``deleted_sources``, ``affected`` and ``provisional`` until its commit.
    """

    def __init__(self, ix, notify: Callable[[str, str, str], None]) -> None:
        self.ix = ix
        self.notify = notify
        self.summary = Summary()
        try:
            self.records = load_records(ix)
        except PermissionError:
            raise
        except Exception as e:  # a record Whoosh cannot give back: the index is damaged, not this run
            raise storage.DamagedIndex(ix.storage.folder, f"the record of a file it has read cannot be read: {storage.plain(e)}") from None
        self.holders: dict[str, set[str]] = {}
        for path, rec in self.records.items():
            if rec.get("report"):
                self.holders.setdefault(rec["report"], set()).add(path)
        self.live = set(self.holders)
        self.deleted_sources: set[str] = set()  # paths whose committed source document goes
        self.affected: set[str] = set()  # report ids whose document must be decided again
        self.provisional: dict[str, list[tuple[int, int, str]]] = {}  # report id -> (worker, docnum, path)
        self.merged = None  # (segments as they were, merged segment) from a worker, for the next commit
        self.todo: list[list] = []  # chunks of jobs not yet sent, the next one last
        self.jobs: dict[str, tuple] = {}  # path -> its job, to send again if its worker is stopped
        self.unapplied: dict[int, list] = {}  # worker -> its answers since its last segment
        self.shown: set[str] = set()  # paths whose progress was told
        self.orphans: list[dict] = []  # records of files whose worker was stopped, for the next commit
        self.stop_seconds = stop_after(FILE_SECONDS)

    @property
    def changed(self) -> bool:
        return bool(self.deleted_sources or self.affected)

    # ---------------------------------------------------------- deciding what to read

    def examine(self, path: str) -> tuple[str, dict | None, bool] | None:
        """A worker job for a file that must be read, or None (unchanged)."""
        old = self.records.get(path)
        try:
            st = os.stat(path)
        except OSError:
            return (path, old, False)  # the worker reports why
        same = old is not None and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns
        current = old is not None and (old.get("version"), old.get("layout")) == (PARSER_VERSION, RECORD_LAYOUT)
        if same and current:
            self.summary.unchanged.append(path)
            self.notify(path, "unchanged", "")
            return None
        return (path, old, same and "sha256" in old)

    def remove(self, path: str) -> None:
        old = self.records.pop(path)
        self.deleted_sources.add(path)
        if old.get("report"):
            self._unhold(old["report"], path)
        self.summary.removed.append(path)
        self.notify(path, "removed", "")

    def _unhold(self, rid: str, path: str) -> None:
        self.holders.get(rid, set()).discard(path)
        self.affected.add(rid)

    def told(self, status: str, record: dict) -> None:
        """Progress for a file a worker answered: at once, and once (a file
        sent again after its worker was stopped is not told twice)."""
        path = record["path"]
        if path not in self.shown:
            self.shown.add(path)
            if status == "parsed":
                status = "updated" if path in self.records else "added"
            self.notify(path, status, record.get("error", ""))

    def done(self, worker: int, status: str, record: dict, docnum: int | None) -> None:
        """A worker's answer for one file, applied once the segment holding it is in."""
        path = record["path"]
        old = self.records.get(path)
        self.records[path] = record
        if old is not None:
            self.deleted_sources.add(path)
        if status == "unchanged":
            self.summary.unchanged.append(path)
            return
        if old and old.get("report"):
            self._unhold(old["report"], path)
        if status == "failed":
            self.summary.failed.append((path, record["error"]))
            return
        rid = record["report"]
        self.holders.setdefault(rid, set()).add(path)
        self.affected.add(rid)
        self.provisional.setdefault(rid, []).append((worker, docnum, path))
        getattr(self.summary, "updated" if old else "added").append(path)

    def stopped(self, worker: int, job: tuple) -> None:
        """The file a worker was stopped on: failed with its limit, and the
        failure kept (its source document is written by the next commit, the
        worker's segment being gone), so it is not read again until it changes."""
        path, seconds = job[0], job[3]
        record = {"path": path, "version": PARSER_VERSION, "layout": RECORD_LAYOUT}
        record["error"] = f"took longer than {seconds:g} s (stuck where the time limit could not interrupt it: its worker was stopped)"
        try:
            st = os.stat(path)
            record.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
        except OSError:
            pass
        self.told("failed", record)
        self.done(worker, "failed", record, None)
        self.orphans.append(record)

    # ---------------------------------------------------------- the worker loop

    def index(self, jobs: list, n: int, batch_size: int, batch_seconds: float) -> None:
        self.jobs = {job[0]: job for job in jobs}
        self.stop_seconds = stop_after(max(job[3] for job in jobs))
        pool = seg.Workers(n, str(self.ix.storage.folder), open_index, index_file)
        try:
            self._index(pool, jobs, batch_size, batch_seconds)
        finally:
            pool.close()

    def _index(self, pool: seg.Workers, jobs: list, batch_size: int, batch_seconds: float) -> None:
        todo = self.todo = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)][::-1]  # pop() takes them in order
        merger: int | None = None  # the worker busy merging, if any
        while todo or merger is not None or self.merged is not None:
            # Fill: keep every free worker IN_FLIGHT chunks ahead until the batch is full.
            deadline, sent, used = time.monotonic() + batch_seconds, 0, set()
            while todo and sent < batch_size and time.monotonic() < deadline:
                for w in range(len(pool.pids)):
                    while todo and w != merger and pool.pending[w] < IN_FLIGHT and sent < batch_size:
                        chunk = todo.pop()
                        pool.send(w, ("files", chunk))
                        sent += len(chunk)
                        used.add(w)
                merger = self._collect(pool, merger, timeout=0.5)
            # Finish: every worker that got files closes its segment; commit them together.
            for w in used:
                pool.send(w, ("finish",))
            segments: dict[int, object] = {}
            while len(segments) < len(used):
                merger = self._collect(pool, merger, timeout=1.0, segments=segments)
            if used or self.merged is not None:
                committed = self.commit([segments[w] for w in sorted(segments)])
                group = seg.pick_merge(committed) if merger is None else []
                if group:  # right after a commit no worker has a segment open
                    merger = pool.least_busy()
                    pool.send(merger, ("merge", group))
            elif merger is not None and not todo:
                merger = self._collect(pool, merger, timeout=1.0)

    def _collect(self, pool: seg.Workers, merger: int | None, timeout: float, segments: dict | None = None) -> int | None:
        for reply in pool.replies(timeout):
            if reply.kind == "files":
                for status, record, docnum in reply.value:
                    self.told(status, record)
                self.unapplied.setdefault(reply.worker, []).extend(reply.value)
            elif reply.kind == "segment":
                assert segments is not None
                for answer in self.unapplied.pop(reply.worker, []):
                    self.done(reply.worker, *answer)
                segments[reply.worker] = (reply.worker, reply.value)
            elif reply.kind == "merged":
                self.merged = reply.value
                merger = None
        for w in pool.stuck(self.stop_seconds):
            merger = self._replace(pool, w, merger, segments)
        return merger

    def _replace(self, pool: seg.Workers, w: int, merger: int | None, segments: dict | None) -> int | None:
        """Stop a worker stuck on one file; the files of its lost segment go back in the queue."""
        job, unanswered = pool.replace(w, self.stop_seconds)
        if job is not None:
            self.stopped(w, job)
        again = [self.jobs[record["path"]] for _, record, _ in self.unapplied.pop(w, [])]
        again += [j for msg in unanswered if msg[0] == "files" for j in msg[1]]
        self.todo += [again[i : i + CHUNK] for i in range(0, len(again), CHUNK)]
        if segments is not None:  # waiting for segments: this one will not come; its files go in the next batch
            segments[w] = (w, None)
        return None if merger == w else merger

    # ---------------------------------------------------------- commit

    def commit(self, worker_segments: list[tuple[int, object]]) -> list:
        """Apply one batch: deletions, the report documents it decided, its segments."""
        by_worker = {w: s for w, s in worker_segments if s is not None}
        writer = seg.FastSegmentWriter(self.ix, "commit", lock=True)
        try:
            gone = [Term("id", source_id(p)) for p in self.deleted_sources]
            rebuild: list[str] = []
            for rid in self.affected:
                paths = self.holders.get(rid) or set()
                mine = self.provisional.get(rid, [])
                keep = len(paths) == 1 and len(mine) == 1 and mine[0][2] in paths
                for w, docnum, _ in (mine if not keep else []):
                    by_worker[w].delete_document(docnum)
                if rid in self.live:
                    gone.append(Term("id", rid))
                if paths and not keep:
                    rebuild.append(rid)
            if gone:
                writer.delete_by_query(Or(gone))
            for record in self.orphans:
                writer.add_document(kind="source", id=source_id(record["path"]), source_record=pack_record(record))
            for rid in rebuild:
                self._rebuild(writer, rid)
            replaced = self._merged_into(writer)
            committed = seg.commit_segments(writer, [by_worker[w] for w in sorted(by_worker)], replaced)
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        for rid in self.affected:
            (self.live.add if self.holders.get(rid) else self.live.discard)(rid)
        self.deleted_sources.clear()
        self.affected.clear()
        self.provisional.clear()
        self.orphans.clear()
        self.ix = self.ix.refresh()
        return committed

    def _rebuild(self, writer, rid: str) -> None:
        """The document of a report held by several files (or left with one that
        was read in an earlier run): each version (files with one fingerprint)
        parsed again here from its cleanest file; identical files cost one parse."""
        paths = sorted(self.holders[rid])
        versions: list[tuple[list[str], dict]] = []
        for group in versions_of([self.records[p] for p in paths]):
            for rec in group:
                try:
                    report = parse_file(rec["path"]).to_stored()
                except Exception:  # changed or gone since: try the next one
                    continue
                report["id"] = rid
                versions.append((sorted(r["path"] for r in group), report))
                break
        if versions:
            writer.add_document(**report_document(versions[0][1], paths, versions if len(versions) > 1 else []))

    def _merged_into(self, writer) -> dict[str, object]:
        """The finished merge, as segment id → merged segment, with the documents
        deleted since the merge started deleted in it too."""
        if self.merged is None:
            return {}
        snapshot, merged = self.merged
        self.merged = None
        current = {s.segment_id(): s for s in writer.segments}
        if any(s.segment_id() not in current for s in snapshot):
            return {}  # cannot happen: only merges change the segment list
        base = 0
        for s in snapshot:
            was = set(s.deleted_docs())
            now = set(current[s.segment_id()].deleted_docs())
            before = sorted(was)
            for d in sorted(now - was):
                merged.delete_document(base + d - bisect.bisect_left(before, d))
            base += s.doc_count_all() - len(was)
        return {s.segment_id(): merged for s in snapshot}

