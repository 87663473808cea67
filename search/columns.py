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

import json
import threading
from dataclasses import dataclass

import numpy as np
from whoosh.reading import TermNotFound

from index.paragraphs import FINGERPRINT_DTYPE
from index.schema import LABEL_SEP, LABELS, NUMBERS, NUMBERS_DTYPE, column_values, field_lengths, fixed_column, pack_labels, pack_numbers

NONE = -1  # code of "no value" in a label array


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


def _read_segment(leaf) -> _Segment:
    n = leaf.doc_count_all()
    labels, raw = _blobs(leaf, n)
    numbers = np.frombuffer(raw, dtype=NUMBERS_DTYPE).reshape(-1, len(NUMBERS)) if raw else np.full((n, len(NUMBERS)), np.nan)
    # Reports of one agency share their labels across years: split each distinct blob once.
    distinct: dict[bytes, int] = {}
    blob_of = np.fromiter((distinct.setdefault(b, len(distinct)) for b in labels), dtype=np.int32, count=n)
    tables: list[dict[str, int]] = [{} for _ in LABELS]
    per_blob = np.full((len(distinct), len(LABELS)), NONE, dtype=np.int32)
    for i, blob in enumerate(distinct):
        if blob:
            for j, value in enumerate(blob.decode("utf-8").split(LABEL_SEP)):
                if value:
                    per_blob[i, j] = tables[j].setdefault(value, len(tables[j]))
    codes = per_blob[blob_of].T.copy() if n else np.empty((len(LABELS), 0), dtype=np.int32)
    try:
        reports = np.fromiter(leaf.postings("kind", "report").all_ids(), dtype=np.int64)
    except TermNotFound:  # a segment of source records only
        reports = np.empty(0, dtype=np.int64)
    blobs = column_values(leaf, "paragraphs") if "paragraphs" in leaf.schema and leaf.has_column("paragraphs") else []
    paragraphs = np.frombuffer(b"".join(blobs), dtype=FINGERPRINT_DTYPE)
    ends = np.cumsum([len(b) // 8 for b in blobs], dtype=np.int64) if blobs else np.zeros(n, dtype=np.int64)
    return _Segment(tuple(tuple(t) for t in tables), codes, numbers, reports, paragraphs, ends, field_lengths(leaf))


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
            index: dict[str, int] = {}
            parts = []
            for s in segments:
                remap = np.array([index.setdefault(v, len(index)) for v in s.values[j]] + [NONE], dtype=np.int32)
                parts.append(remap[s.codes[j]])  # NONE (-1) picks the trailing NONE
            codes = np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)
            self._labels[name] = (list(index), codes)
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

        Scoring reads a field length for every matching document and field,
        and Whoosh reads each from the file (the index is not memory-mapped,
        ``index/storage.py``): a fifth of a cold search.  A segment's lengths
        never change, so one copy serves every searcher of it."""
        with self._lock:
            known = dict(self._segments)
        for leaf, _ in reader.leaf_readers():
            if leaf.segment() is None:  # an index with no segment yet
                continue
            segment = known.get((leaf.segment().segment_id(), leaf.doc_count()))
            if segment is not None:
                leaf._perdoc._readers.update(segment.lengths)  # what Whoosh's _cached_reader would return: [docnum] → the length byte
