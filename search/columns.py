"""Every report's facet strings and headline numbers as arrays, per generation.

Search reads these for every report of a result set (facet counts, filters,
sorting), so they are numpy arrays indexed by Whoosh document number, not
per-report objects.  They come from the ``labels`` and ``numbers`` columns
(``index/schema.py``) and are read once per *segment*: a segment never
changes after it is written (only its deletions grow), so after a commit only
the new segments are read.  A :class:`Columns` is immutable and shared by every
thread searching that generation.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import _lenfield
from whoosh.util.numeric import byte_to_length

from index.paragraphs import FINGERPRINT_DTYPE
from index.schema import (
    LABEL_SEP,
    LABELS,
    NUMBERS,
    NUMBERS_DTYPE,
    column_bytes,
    column_values,
    field_lengths,
    fixed_column,
    pack_labels,
    pack_numbers,
    term_postings,
)

NONE = -1  # code of "no value" in a label array
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


@dataclass(frozen=True)
class _Segment:
    values: tuple[tuple[str, ...], ...]  # per label: the segment's distinct strings
    codes: np.ndarray  # (len(LABELS), docs) int32 into ``values``, NONE for ""
    numbers: np.ndarray  # (docs, len(NUMBERS)) float64, NaN = not printed
    reports: np.ndarray  # live (not deleted) report documents, segment-local numbers
    paragraphs: np.ndarray  # every document's paragraph fingerprints, one after another (uint64)
    paragraph_ends: np.ndarray  # (docs,) int64: document d's are paragraphs[ends[d-1]:ends[d]]
    lengths: dict[str, bytes]  # index.schema.field_lengths


def _blobs(leaf, n: int) -> tuple[list[bytes], bytes]:
    """The segment's ``labels`` blobs and its ``numbers`` bytes."""
    if "labels" in leaf.schema and "numbers" in leaf.schema:
        labels = column_values(leaf, "labels") if leaf.has_column("labels") else [b""] * n
        numbers = fixed_column(leaf, "numbers") if leaf.has_column("numbers") else b""
        if len(numbers) in (0, n * 8 * len(NUMBERS)):
            return labels, numbers
    # An index written before these columns existed (or with fewer NUMBERS): derive them from ``meta``.
    metas = [json.loads(m) if m else None for m in leaf.column_reader("meta", translate=False)] if leaf.has_column("meta") else [None] * n
    empty = pack_numbers({})
    return ([pack_labels(m) if m else b"" for m in metas],
            b"".join(pack_numbers({**m, **m["figures"]}) if m else empty for m in metas))  # fmt: skip


def _codes(values: list, empty="") -> tuple[tuple, np.ndarray]:
    """(the distinct values but ``empty``, in order of first appearance; each
    value's code among them, NONE for ``empty``), by dict and map: no Python
    statement per value."""
    distinct = dict.fromkeys(values)
    distinct.pop(empty, None)
    code = dict(zip(distinct, range(len(distinct))))
    code[empty] = NONE
    return tuple(distinct), np.fromiter(map(code.__getitem__, values), dtype=np.int32, count=len(values))


def _label_codes(labels: list[bytes]) -> tuple[tuple[tuple[str, ...], ...], np.ndarray]:
    """Each label's distinct strings in a segment, and each document's code of
    each, (len(LABELS), docs), with no Python statement per document or per
    blob: at 100 000 reports this was the largest part of a server's first answer."""
    blobs, blob_of = _codes(labels, b"")  # reports of one agency share theirs across years
    width, sep = len(LABELS), LABEL_SEP.encode()
    fields = sep.join(blobs).decode("utf-8").split(LABEL_SEP)
    if len(fields) != width * len(blobs):  # blobs of a version with other LABELS: as many fields as these, each
        fields = [f for blob in blobs for f in (blob.decode("utf-8") + LABEL_SEP * width).split(LABEL_SEP)[:width]]
    values, per_blob = [], np.empty((width, len(blobs) + 1), dtype=np.int32)
    for j in range(width):
        distinct, per_blob[j, :-1] = _codes(fields[j::width])
        values.append(distinct)
    per_blob[:, -1] = NONE  # what an empty blob (a source record's), code NONE, picks
    return tuple(values), per_blob[:, blob_of]


def _read_segment(leaf) -> _Segment:
    n = leaf.doc_count_all()
    labels, raw = _blobs(leaf, n)
    numbers = np.frombuffer(raw, dtype=NUMBERS_DTYPE).reshape(-1, len(NUMBERS)) if raw else np.full((n, len(NUMBERS)), np.nan)
    values, codes = _label_codes(labels)
    if ("kind", "report") in leaf:
        reports = np.array(term_postings(leaf, "kind", b"report")[0], dtype=np.int64)
        if leaf.has_deletions():
            reports = np.setdiff1d(reports, np.fromiter(leaf._perdoc.deleted_docs(), dtype=np.int64))
    else:  # a segment of source records only
        reports = np.empty(0, dtype=np.int64)
    if "paragraphs" in leaf.schema and leaf.has_column("paragraphs"):
        data, lengths = column_bytes(leaf, "paragraphs")
        paragraphs, ends = np.frombuffer(data, dtype=FINGERPRINT_DTYPE), np.cumsum(lengths, dtype=np.int64) // 8
    else:
        paragraphs, ends = np.empty(0, dtype=FINGERPRINT_DTYPE), np.zeros(n, dtype=np.int64)
    return _Segment(values, codes, numbers, reports, paragraphs, ends, field_lengths(leaf))


class Columns:
    """One generation's arrays, global document numbers."""

    def __init__(self, segments: list[_Segment], size: int) -> None:
        self.size = size
        self.numbers = np.concatenate([s.numbers for s in segments]) if segments else np.empty((0, len(NUMBERS)))
        offsets = np.cumsum([0] + [len(s.numbers) for s in segments])
        self.reports = np.concatenate([s.reports + o for s, o in zip(segments, offsets)]) if segments else np.empty(0, dtype=np.int64)
        self.is_report = np.zeros(size, dtype=bool)
        self.is_report[self.reports] = True
        self.paragraphs = np.concatenate([s.paragraphs for s in segments]) if segments else np.empty(0, dtype=FINGERPRINT_DTYPE)
        starts = np.cumsum([0] + [len(s.paragraphs) for s in segments])
        ends = np.concatenate([s.paragraph_ends + o for s, o in zip(segments, starts)]) if segments else np.empty(0, dtype=np.int64)
        self.paragraph_bounds = np.concatenate([[0], ends]).astype(np.int64)  # doc d: bounds[d]:bounds[d+1]
        self._labels: dict[str, tuple[list[str], np.ndarray]] = {}
        for j, name in enumerate(LABELS):
            distinct = dict.fromkeys(itertools.chain.from_iterable(s.values[j] for s in segments))
            index = dict(zip(distinct, range(len(distinct))))
            parts = []
            for s in segments:
                remap = np.fromiter(itertools.chain(map(index.__getitem__, s.values[j]), [NONE]), dtype=np.int32, count=len(s.values[j]) + 1)
                parts.append(remap[s.codes[j]])  # NONE (-1) picks the trailing NONE
            codes = np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)
            self._labels[name] = (list(distinct), codes)
        self._length_bytes = [(s.lengths, len(s.numbers)) for s in segments]
        self._derived: dict[object, object] = {}
        self._lock = threading.RLock()  # re-entrant: one derived table may be made from another

    def label(self, name: str) -> tuple[list[str], np.ndarray]:
        """(distinct values, code of each document's value or NONE)."""
        return self._labels[name]

    def number(self, name: str) -> np.ndarray:
        """Each document's value of a ``NUMBERS`` entry, NaN when not printed."""
        return self.numbers[:, NUMBERS.index(name)]

    def fingerprints(self, doc: int) -> np.ndarray:
        """A report's paragraph fingerprints (``index/paragraphs.py``), in order."""
        return self.paragraphs[self.paragraph_bounds[doc] : self.paragraph_bounds[doc + 1]]

    def field_lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length of a scored field as BM25 reads it (the
        length byte Whoosh stores, through ``byte_to_length``); float64."""

        def make(c: Columns) -> np.ndarray:
            key = _lenfield(fieldname)
            raw = b"".join(lengths.get(key, bytes(n)) for lengths, n in c._length_bytes)
            return _LENGTH_OF_BYTE[np.frombuffer(raw, dtype=np.uint8)]

        return self.derived(("field_lengths", fieldname), make)

    def derived(self, key, make):
        """``make(self)``, computed once per generation (facet tables, sort ranks)."""
        with self._lock:
            if key not in self._derived:
                self._derived[key] = make(self)
            return self._derived[key]


class SegmentCache:
    """Segments read so far, by segment id and live-document count (deletions
    change the second), so a new generation reads only what changed."""

    def __init__(self) -> None:
        self._segments: dict[tuple, _Segment] = {}
        self._lock = threading.Lock()

    def columns(self, reader) -> Columns:
        size = reader.doc_count_all()
        if not size:
            return Columns([], 0)
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        keys = [(leaf.segment().segment_id(), leaf.doc_count()) for leaf in leaves]
        with self._lock:
            known = dict(self._segments)
        segments = [known.get(k) or _read_segment(leaf) for k, leaf in zip(keys, leaves)]
        with self._lock:
            self._segments = dict(zip(keys, segments))  # what older generations used is dropped
        return Columns(segments, size)

    def lend_lengths(self, reader) -> None:
        """Give ``reader``'s segments their field lengths from memory.

        When Whoosh scores (a query :mod:`search.postings` leaves to it) it
        reads a field length for every matching document and field, each
        from the file (the index is not memory-mapped, ``index/storage.py``):
        a fifth of a cold search.  A segment's lengths never change, so one
        copy serves every searcher of it."""
        with self._lock:
            known = dict(self._segments)
        for leaf, _ in reader.leaf_readers():
            if leaf.segment() is None:  # an index with no segment yet
                continue
            segment = known.get((leaf.segment().segment_id(), leaf.doc_count()))
            if segment is not None:
                leaf._perdoc._readers.update(segment.lengths)  # what Whoosh's _cached_reader would return: [docnum] → the length byte
