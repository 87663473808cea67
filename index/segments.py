"""Whoosh segments written in worker processes, and committed by the one indexer.

Whoosh lets one writer change an index, and its writer does everything in the
calling process: analysis, posting pooling, segment writing, merging.  Here the
expensive part runs in :class:`Workers`, each with its own segment:

- a worker reads, hashes and parses a file, and adds its ``source`` document
  and (provisionally) its ``report`` document to the segment it is writing;
- on ``finish`` it closes that segment and hands it (a small picklable object
  naming files already on disk) to the indexer, which decides which of its
  documents stay (see ``index/build.py``) by marking the others deleted;
- on ``merge`` it rewrites a few committed segments as one.

Only :func:`commit_segments` makes segments part of the index, by writing a
new table of contents (Whoosh renames it into place: atomic).  A segment not yet
listed in a table of contents is invisible; if the run dies, its files are
removed by the next run's :func:`clean`.

This module leans on Whoosh 2.7.4 internals (``SegmentWriter._finalize_segment``,
``TOC``); whoosh is pinned.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import ctypes.util
import heapq
import itertools
import math
import multiprocessing
import os
import shutil
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from whoosh import columns
from whoosh.formats import Positions
from whoosh.index import TOC, clean_files
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from index import storage
from index.analysis import SpanTokenizer
from index.codec import Codec, RawBlock, copies_blocks
from index.schema import column_values, decode_block, fixed_column, length_bytes, raw_blocks, segment_terms, stored_bytes, term_blocks

# Tiered merging: once MERGE_FACTOR segments of one size class exist, they are
# merged into one of the next class.  Segments of MERGE_MAX documents or more
# are left alone, so a document is rewritten at most twice whatever the corpus
# size.  A merge cost about a third of what indexing the same reports cost
# when it re-encoded every posting block, a seventh since it copies full
# blocks (index/codec.py); the factor is wide: up to 100 000 reports (200 000
# documents with their sources) a document is rewritten once, and the index
# ends in about twenty segments instead of one per batch.
MERGE_FACTOR = 16
MERGE_BASE = 1000  # documents in a segment of class 0: about what a worker writes per batch (500 files)
MERGE_MAX = 30_000


class TermPool:
    """The postings of one segment, grouped by term as they are added.

    Whoosh's own pool sorts every posting and spills sorted runs to disk
    (pickled) past a memory limit; documents arrive here in docnum order, so
    grouping by (field, term) and sorting the terms once gives the same
    stream, without the pickling.  Memory is that of one segment: a batch.
    """

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], list] = {}

    def add(self, fieldname: str, docnum: int, items) -> int:
        """Add one document's ``field.index()`` items; the sum of their frequencies."""
        terms, length = self.terms, 0
        for tbytes, freq, weight, vbytes in items:
            length += freq
            postings = terms.get((fieldname, tbytes))
            if postings is None:
                terms[(fieldname, tbytes)] = [docnum, weight, vbytes]
            else:
                postings += (docnum, weight, vbytes)
        return length

    def iter_terms(self) -> Iterator[tuple[str, bytes, list]]:
        """(field, term, [(docnums, weights, values)]) in (field, term) order (see :func:`write_terms`)."""
        terms, self.terms = self.terms, {}
        for key in sorted(terms):
            flat = terms.pop(key)
            yield key[0], key[1], [(flat[0::3], flat[1::3], flat[2::3])]

    def cleanup(self) -> None:
        self.terms = {}


class _Lengths:
    """Field lengths of a new segment, read once per field (Whoosh looks one up
    for every posting it writes)."""

    def __init__(self, reader, doc_count: int) -> None:
        self.reader, self.doc_count, self.columns = reader, doc_count, {}

    def column(self, fieldname: str) -> list[int]:
        column = self.columns.get(fieldname)
        if column is None:
            raw = length_bytes(self.reader, fieldname, self.doc_count) or bytes(self.doc_count)
            column = self.columns[fieldname] = [byte_to_length(b) if b else 0 for b in raw]
        return column


def write_terms(fieldwriter, schema, lengths: _Lengths, terms) -> None:
    """Whoosh's ``FieldWriter.add_postings`` for postings already grouped by
    term: (fieldname, btext, parts), each part a run of postings (docnums,
    weights, values) or a block to copy (:class:`index.codec.RawBlock`).
    Runs are cut into Whoosh's blocks and handed to the postings writer a
    block at a time instead of one call and four asserts per posting (under
    cProfile, a fifth of a worker's time); a block to copy ends the block
    before it.  A test reads every posting back and compares it with what
    Whoosh's own writer wrote."""
    lastfield, postwriter, column, limit = None, None, [], 0

    def add(ids, weights, values):
        known = [n for n in map(column.__getitem__, ids) if n]
        postwriter.add_block(ids, weights, values, min(known) if known else None, max(known) if known else 0)

    for fieldname, btext, parts in terms:
        if fieldname != lastfield:
            if lastfield is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lastfield, postwriter = fieldname, fieldwriter._postwriter
            column, limit = lengths.column(fieldname), postwriter._blocklimit
        fieldwriter.start_term(btext)
        ids: list[int] = []  # postings not yet in a block
        weights: list[float] = []
        values: list = []
        for part in parts:
            if isinstance(part, RawBlock):
                if ids:
                    add(ids, weights, values)
                    ids, weights, values = [], [], []
                postwriter.add_raw(part)
                continue
            ids += part[0]
            weights += part[1]
            values += part[2]
            if len(ids) >= limit:
                full = len(ids) - len(ids) % limit
                for start in range(0, full, limit):
                    add(ids[start : start + limit], weights[start : start + limit], values[start : start + limit])
                ids, weights, values = ids[full:], weights[full:], values[full:]
        if ids:
            add(ids, weights, values)
        fieldwriter.finish_term()  # writes the last block
    if lastfield is not None:
        fieldwriter.finish_field()


_ONE_POSITION: dict[int, bytes] = {}  # Positions.encode([p]): most terms occur once in a report


def _fast_items(field, value):
    """``field.index(value)`` for our text fields, from the tokenizer's term list
    (the same tokens, without a Whoosh Token object per token); None for other fields."""
    analyzer = getattr(field, "analyzer", None)
    items = getattr(analyzer, "items", None)
    if not (type(field.format) is Positions and items and len(items) == 1 and isinstance(items[0], SpanTokenizer)):
        return None
    positions: dict[str, list[int]] = {}
    for pos, term in enumerate(items[0].terms(value)):
        p = positions.get(term)
        if p is None:
            positions[term] = [pos]
        else:
            p.append(pos)
    boost, encode, once = field.format.field_boost, field.format.encode, _ONE_POSITION
    out = []
    for term, p in positions.items():
        if len(p) == 1:
            vbytes = once.get(p[0])
            if vbytes is None:
                vbytes = once[p[0]] = encode(p)
        else:
            vbytes = encode(p)
        out.append((term.encode("utf-8"), len(p), len(p) * boost, vbytes))
    return out


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter for one new segment: the index lock only for the
    indexer's own writer (``lock``), a private temporary folder (Whoosh's
    default one is shared by every writer of an index, and each removes it when
    done), the pool above, and the analysis of our text fields without
    per-token objects."""

    def __init__(self, ix, tag: str, lock: bool = False) -> None:
        super().__init__(ix, _lk=lock, codec=Codec())
        self._tempstorage = ix.storage.temp_storage(f"{ix.indexname}.{tag}.{os.getpid()}.tmp")
        self.pool = TermPool()

    def add_document(self, **fields) -> None:
        # SegmentWriter.add_document, with _fast_items for the analysis; no
        # vectors, spelling or per-field boosts (the schema uses none).
        perdoc, schema, docnum, pool = self.perdocwriter, self.schema, self.docnum, self.pool
        perdoc.start_doc(docnum)
        for fieldname in sorted(fields):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                items = _fast_items(field, value)
                length = pool.add(fieldname, docnum, field.index(value) if items is None else items)
                if not field.scorable:
                    length = 0
            perdoc.add_field(fieldname, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(fieldname, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        try:
            write_terms(self.fieldwriter, self.schema, _Lengths(pdr, self.docnum), self.pool.iter_terms())
        finally:
            pdr.close()
        self.fieldwriter.close()


def finish_segment(writer: SegmentWriter):
    """Close ``writer``'s segment; the segment, or None if it holds nothing."""
    segment = writer._finalize_segment() if writer._added else None
    if segment is None:
        writer._close_segment()
    writer._tempstorage.destroy()
    return segment


class _MergedPostings:
    """The postings of several segments as one stream of terms, for a merge
    (see :func:`write_terms`): each segment's terms are sorted already, so
    they are interleaved (heapq.merge) rather than pooled and sorted again;
    memory stays small whatever the size of the segments.  A full block
    whose documents all stay is copied as it lies (:mod:`index.codec`); the
    others are decoded, their deleted documents dropped."""

    def __init__(self, blocklimit: int) -> None:
        self.streams: list = []
        self.blocklimit = blocklimit

    def add_segment(self, reader, base: int, docmap: dict | None) -> None:
        """``docmap``: old → new docnum of the live documents (None: no deletions, add ``base``)."""
        copies, limit, schema = copies_blocks(reader), self.blocklimit, reader.schema
        deleted = [d for d in range(reader.doc_count_all()) if reader.is_deleted(d)] if docmap is not None else []

        def moved(ids, weights, values):
            if docmap is None:
                return [base + d for d in ids], weights, values
            live = [i for i, d in enumerate(ids) if d in docmap]
            return [docmap[ids[i]] for i in live], [weights[i] for i in live], [values[i] for i in live]

        def terms():
            for fieldname, btext, info in segment_terms(reader):
                fixed = schema[fieldname].format.fixed_value_size()
                if info.is_inlined():
                    parts = [moved(*next(term_blocks(reader, info, fixed)))]
                else:
                    parts, decoded, before, kept = [], 0.0, -1, False
                    for header, data in raw_blocks(reader, info):
                        count, last = header[0], header[1]
                        # Copied: a full block, none of whose documents is deleted, and which either
                        # opens the term here (its first docnum is the term info's) or follows postings
                        # kept (so it does not open the term in the merged segment: see add_raw).
                        if (
                            copies and count == limit and (before < 0 or kept)
                            and bisect.bisect(deleted, last) == bisect.bisect(deleted, before)
                        ):  # fmt: skip
                            shift = base if docmap is None else docmap[last] - last
                            parts.append(RawBlock(count, last + shift, *header[2:], data, first=info.min_id() + shift if before < 0 else None))
                        else:
                            ids, weights, values = decode_block(header, data, fixed, copies)
                            decoded += sum(weights)
                            parts.append(moved(ids, weights, values))
                        kept = kept or isinstance(parts[-1], RawBlock) or bool(parts[-1][0])
                        before = last
                    copied = [p for p in parts if isinstance(p, RawBlock)]
                    if copied:
                        copied[0].weight = info.weight() - decoded
                parts = [p for p in parts if isinstance(p, RawBlock) or p[0]]
                if parts:
                    yield fieldname, btext, parts

        self.streams.append(terms())

    def iter_terms(self):
        """As ``TermPool.iter_terms``, with blocks to copy among the parts."""
        merged = heapq.merge(*self.streams, key=itemgetter(0, 1))  # stable: segment order is docnum order
        for (fieldname, text), runs in itertools.groupby(merged, key=itemgetter(0, 1)):
            yield fieldname, text, [part for _, _, parts in runs for part in parts]

    def cleanup(self) -> None:
        self.streams = []


def write_per_doc(writer: SegmentWriter, fieldnames: set[str], reader) -> dict[int, int] | None:
    """``SegmentWriter.write_per_doc`` (a merge's copy of one segment's
    lengths, columns and stored fields) a column at a time.  Whoosh asks the
    reader for each document's every length and column value with a read of
    its own, and unpickles and recompresses the stored fields: a fifth of a
    merge under cProfile.  Here each column is read in one go and the stored
    fields are copied as they lie.  Returns old → new docnum of the live
    documents, None when none is deleted (as Whoosh's does)."""
    schema, perdoc, n = writer.schema, writer.perdocwriter, reader.doc_count_all()
    live = [d for d in range(n) if not reader.is_deleted(d)] if reader.has_deletions() else range(n)
    docmap = {d: writer.docnum + i for i, d in enumerate(live)} if reader.has_deletions() else None
    lengths = [(name, schema[name], raw) for name in sorted(fieldnames)
               if schema[name].scorable and (raw := length_bytes(reader._perdoc, name, n))]  # fmt: skip
    values = [(name, schema[name].column_type, _column(reader, name, schema[name].column_type)) for name in sorted(fieldnames)
              if schema[name].column_type and reader.has_column(name)]  # fmt: skip
    stored, stored_column = stored_bytes(reader), perdoc._colwriters["_stored"]._child
    assert type(stored_column) is columns.CompressedBytesColumn.Writer, stored_column  # whoosh is pinned
    for d in live:
        perdoc.start_doc(writer.docnum)
        for name, field, raw in lengths:
            if raw[d]:
                perdoc.add_field(name, field, None, byte_to_length(raw[d]))
        for name, column_type, column in values:
            perdoc.add_column_value(name, column_type, column[d])
        if stored[d]:  # past the compressing writer's own add: the bytes are deflated already
            columns.VarBytesColumn.Writer.add(stored_column, writer.docnum, stored[d])
        perdoc.finish_doc()
        writer.docnum += 1
    return docmap


def _column(reader, name: str, column_type) -> list:
    """Every document's raw value of one column (what Whoosh's merge copies)."""
    if type(column_type) is columns.VarBytesColumn:
        return column_values(reader, name)
    if type(column_type) is columns.FixedBytesColumn:
        raw, width = fixed_column(reader, name), column_type._fixedlen
        return [raw[i : i + width] for i in range(0, len(raw), width)]
    column = reader.column_reader(name, column_type)
    return list(column.raw_column() if isinstance(column, columns.TranslatingColumnReader) else column)


def merge(ix, segments: list) -> Any:
    """One segment with the live documents of ``segments`` (deleted ones dropped)."""
    writer = FastSegmentWriter(ix, "merge")
    writer.pool = postings = _MergedPostings(writer.codec._blocklimit)
    readers = []
    try:
        for seg in segments:
            reader = SegmentReader(ix.storage, writer.schema, seg)
            readers.append(reader)
            names = set(writer.schema.names()) | {f for f in reader.indexed_field_names() if f in writer.schema}
            base = writer.docnum
            postings.add_segment(reader, base, write_per_doc(writer, names, reader))
        writer._added = True
        return finish_segment(writer)
    except BaseException:
        writer._close_segment()
        writer._tempstorage.destroy()
        raise
    finally:
        for reader in readers:
            reader.close()


def commit_segments(writer: SegmentWriter, added: list, replaced: dict[str, Any] | None = None) -> list:
    """Commit ``writer`` (the indexer's, holding the lock) together with the
    worker segments ``added``; ``replaced`` maps the ids of merged segments to
    the segment that replaces them.  Returns the committed segment list.

    Leftover files are not removed here: workers may be writing segments the
    table of contents does not list yet.  :func:`clean` does it once they are idle.
    """
    replaced = replaced or {}
    segments, done = [], set()
    for seg in writer.segments:
        new = replaced.get(seg.segment_id())
        if new is None:
            segments.append(seg)
        elif id(new) not in done:
            done.add(id(new))
            segments.append(new)
    own = finish_segment(writer)
    segments += [s for s in (own, *added) if s is not None]
    TOC(writer.schema, segments, writer.generation).write(writer.storage, writer.indexname)
    if writer.writelock:
        writer.writelock.release()
    writer.is_closed = True
    return segments


def clean(ix) -> None:
    """Remove files no table of contents lists (merged-away segments, a killed
    run's) and the temporary folders; only when no worker is writing."""
    toc = ix._read_toc()
    clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    folder = ix.storage.folder
    for name in os.listdir(folder):
        if name.startswith(f"{ix.indexname}.") and name.endswith(".tmp"):
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
    for name in storage.toc_leftovers(folder, ix.indexname):  # a TOC write cut off before its rename
        with contextlib.suppress(OSError):  # as clean_files: never fail a run over a leftover
            os.remove(os.path.join(folder, name))


def size_class(doc_count: int) -> int:
    """0 below MERGE_BASE × MERGE_FACTOR documents, 1 below that × MERGE_FACTOR, …"""
    return int(math.log(max(doc_count, MERGE_BASE) / MERGE_BASE, MERGE_FACTOR))


def merge_size(segment) -> int:
    """The documents a segment counts for merging: all it holds, deleted ones
    too (what rewriting it costs); its live ones once more than half are
    deleted, so that it is merged with segments of that size and its deleted
    documents are dropped.  Counting live documents only, an update of a
    tenth of a 100 000-report index moved its 16 000-document segments into
    the class below, where they were merged with the new worker segments:
    87 000 documents rewritten."""
    total, live = segment.doc_count_all(), segment.doc_count()
    return live if 2 * live < total else total


def pick_merge(segments: list) -> list:
    """Segments to merge now: MERGE_FACTOR of the same size class (by
    :func:`merge_size`), smallest class first; none if no class is full."""
    classes: dict[int, list] = {}
    for seg in segments:
        if seg.doc_count() < MERGE_MAX:
            classes.setdefault(size_class(merge_size(seg)), []).append(seg)
    for _, group in sorted(classes.items()):
        if len(group) >= MERGE_FACTOR:
            return sorted(group, key=merge_size)[:MERGE_FACTOR]
    return []


# ---------------------------------------------------------------------- workers


@dataclass
class Reply:
    worker: int
    kind: str  # "files" | "segment" | "merged" | "error"
    value: Any


def _serve(index_dir: str, open_index: Callable, handle_file: Callable, conn, slot: int, started, position) -> None:
    """A worker's loop: ("files", jobs) | ("finish",) | ("merge", segments) | None.

    While it handles a file it keeps ``started[slot]`` (when it began, on the
    monotonic clock every process shares) and ``position[slot]`` (which job of
    the message) up to date, so the indexer can tell a file it is stuck on."""
    _die_with_parent()
    ix = open_index(index_dir)  # read through the file, not mapped (storage.open_storage says why)
    writer = None
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # the indexer is gone
            msg = None
        if msg is None:
            break
        try:
            if msg[0] == "files":
                if writer is None:
                    writer = FastSegmentWriter(ix, "w")
                results = []
                try:
                    for i, job in enumerate(msg[1]):
                        position[slot] = i
                        started[slot] = time.monotonic()
                        results.append(handle_file(writer, job))
                finally:
                    started[slot] = 0.0
                conn.send(("files", results))
            elif msg[0] == "finish":
                segment = finish_segment(writer) if writer is not None else None
                writer = None
                conn.send(("segment", segment))
            elif msg[0] == "merge":
                conn.send(("merged", (msg[1], merge(ix, msg[1]))))
        except Exception as e:
            # An OSError (a full disk) goes back as itself, to be told in one
            # line; anything else is a bug, and its traceback goes with it.
            os_error = (e.errno, e.strerror, e.filename) if isinstance(e, OSError) else None
            conn.send(("error", (os_error, traceback.format_exc())))
    if writer is not None:  # unfinished (its batch failed): no TOC will list it, and clean() removes its files
        writer._tempstorage.destroy()


def _die_with_parent() -> None:
    """Linux: be killed when the indexer dies (even by SIGKILL), so that no
    orphan goes on writing files into the index folder."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the closed pipe ends the loop instead


class Workers:
    """Worker processes, each writing its own segment.

    Messages to one worker are handled in the order sent, so every ``files``
    reply that comes before a ``segment`` reply is in that segment.

    A worker stuck on one file where no signal reaches (a long call into C)
    is found by :meth:`stuck` and replaced by :meth:`replace`; what it had
    written since its last segment is lost with it, and the caller sends
    those files again.
    """

    def __init__(self, n: int, index_dir: str, open_index: Callable, handle_file: Callable) -> None:
        # fork: the children share the parent's loaded jieba dictionary and
        # division table instead of loading their own.
        self.ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        self.args = (index_dir, open_index, handle_file)
        self.started = self.ctx.Array("d", n, lock=False)  # written by one worker each, read here
        self.position = self.ctx.Array("i", n, lock=False)
        self.conns: list = [None] * n
        self.procs: list = [None] * n
        self.sent: list[deque] = [deque() for _ in range(n)]  # messages sent and not answered, per worker
        for w in range(n):
            self._start(w)

    def _start(self, w: int) -> None:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_serve, args=(*self.args, child, w, self.started, self.position), daemon=True)
        self.started[w] = 0.0
        proc.start()
        child.close()
        self.conns[w], self.procs[w] = parent, proc
        self.sent[w].clear()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    @property
    def pending(self) -> list[int]:
        """Messages sent and not answered, per worker."""
        return [len(s) for s in self.sent]

    def send(self, worker: int, msg) -> None:
        self.conns[worker].send(msg)
        self.sent[worker].append(msg)

    def least_busy(self) -> int:
        return min(range(len(self.conns)), key=lambda w: len(self.sent[w]))

    def stuck(self, seconds: float) -> list[int]:
        """The workers that have been on one file for more than ``seconds``."""
        now = time.monotonic()
        return [w for w, t in enumerate(self.started) if t and now - t > seconds]

    def replace(self, w: int, seconds: float) -> tuple[Any, list]:
        """Kill worker ``w`` and start another in its place.  Returns (the job
        it was stuck on for more than ``seconds``, or None if it moved on just
        before it was killed; the messages it had not answered, that job left out)."""
        proc = self.procs[w]
        proc.kill()
        proc.join()
        self.conns[w].close()
        unanswered = list(self.sent[w])
        job = None
        t = self.started[w]
        if t and time.monotonic() - t > seconds and unanswered and unanswered[0][0] == "files":
            jobs, at = unanswered[0][1], self.position[w]
            job, unanswered[0] = jobs[at], ("files", jobs[:at] + jobs[at + 1 :])
        self._start(w)
        return job, unanswered

    def replies(self, timeout: float | None = None) -> Iterator[Reply]:
        """The replies available now (waiting up to ``timeout`` for the first)."""
        busy = [c for w, c in enumerate(self.conns) if self.sent[w]]
        for conn in multiprocessing.connection.wait(busy, timeout):
            w = self.conns.index(conn)
            kind, value = conn.recv()
            self.sent[w].popleft()
            if kind == "error":
                os_error, trace = value
                if os_error is not None:
                    raise OSError(*os_error)
                raise RuntimeError(f"indexer worker {w} failed:\n{trace}")
            yield Reply(w, kind, value)

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
