"""A query matched over whole posting lists at once, with numpy.

Whoosh matches a query one document at a time: every matcher of the query
tree is asked, in Python, for its next document, its positions and its
score.  A word of ours is a phrase in four fields (``search/query.py``), so a
two-word query is a tree of some twenty matchers, and on a corpus where most
reports hold both words that is hundreds of calls per report: seconds at
100 000 reports, for a query's first request.

Here each term's postings are read a block at a time
(:func:`index.schema.term_postings`) into arrays of document numbers and
weights; Or, And and Not are operations on sorted arrays; an exact phrase is
an intersection of ``(document, start)`` keys.  Scores are Whoosh's: BM25F of
each term, summed as its matchers sum them (a phrase scores as the sum of its
terms), times any boost.  A test compares the documents and scores of every
kind of query the parser makes with Whoosh's own search.

:func:`match` returns None for a query with a part it does not know; the
caller then asks Whoosh.  It leans on Whoosh 2.7.4's query internals
(``MultiTerm._btexts``, ``NumericRange._compile_query``, ``BM25F._field_B``);
whoosh is pinned.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from itertools import chain
from pickle import loads

import numpy as np
from whoosh import query as Q
from whoosh.query.qcore import _NullQuery
from whoosh.scoring import BM25F
from whoosh.system import _INT_SIZE

from index.schema import term_postings
from search.phrase import ExactPhrase

_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))


class _Unknown(Exception):
    """A query node this module does not evaluate."""


class Kept:
    """One generation's recent results of the query parts that read postings
    (a term, a phrase, a prefix or range), per segment, so that a query that
    changes around the same words (another word added, one negated) reads
    only the new ones.  At most ``BUDGET`` bytes of arrays, least recently
    used dropped first.  Scores depend on the whole index's statistics, so a
    Kept serves one generation only."""

    BUDGET = 64 * 1024 * 1024

    def __init__(self) -> None:
        self._entries: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key, found: tuple[np.ndarray, np.ndarray]) -> None:
        with self._lock:
            if key in self._entries:
                return
            for array in found:
                array.flags.writeable = False  # shared by every query that reuses it
            self._entries[key] = found
            self._size += found[0].nbytes + found[1].nbytes
            while self._size > self.BUDGET and self._entries:
                docs, scores = self._entries.popitem(last=False)[1]
                self._size -= docs.nbytes + scores.nbytes


def match(searcher, query: Q.Query, lengths: Callable[[str], np.ndarray], kept: Kept | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(document numbers, ascending; their scores) of every document, deleted
    ones included, that ``query`` matches, or None if it has a part not known here.

    ``lengths(field)``: each document's length of a scored field (what
    Whoosh's BM25F reads, ``byte_to_length`` of its length byte), indexed by
    the searcher's document numbers.  ``kept``: the generation's :class:`Kept`."""
    if not isinstance(searcher.weighting, BM25F):
        return None
    parts, kept = [], kept or Kept()
    try:
        for leaf, offset in searcher.reader().leaf_readers():
            parts.append(_Leaf(searcher, leaf, offset, lengths, kept).eval(query))
    except _Unknown:
        return None
    if not parts:
        return _EMPTY
    return np.concatenate([d for d, _ in parts]), np.concatenate([s for _, s in parts])


_READS_POSTINGS = (ExactPhrase, Q.Term, Q.MultiTerm)


class _Leaf:
    """One segment's evaluation; document numbers are the searcher's (``offset`` added)."""

    def __init__(self, searcher, leaf, offset: int, lengths: Callable[[str], np.ndarray], kept: Kept) -> None:
        self.searcher, self.leaf, self.offset, self.lengths, self.kept = searcher, leaf, offset, lengths, kept

    def eval(self, q: Q.Query) -> tuple[np.ndarray, np.ndarray]:
        key = (self.offset, q) if isinstance(q, _READS_POSTINGS) else None
        found = self.kept.get(key) if key else None
        if found is None:
            found = self._eval(q)
            boost = getattr(q, "boost", 1.0)
            if boost != 1.0 and not isinstance(q, Q.ConstantScoreQuery):
                found = found[0], found[1] * boost
            if key:
                self.kept.put(key, found)
        return found

    def _eval(self, q: Q.Query) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(q, _NullQuery):
            return _EMPTY
        if isinstance(q, ExactPhrase):
            return self._phrase(q)
        if isinstance(q, Q.Term):
            return self._term(q.fieldname, q.text)
        if isinstance(q, Q.NumericRange):  # before MultiTerm: a NumericRange is one
            return self.eval(q._compile_query(self.leaf))
        if isinstance(q, Q.MultiTerm):  # Prefix, TermRange: the terms it stands for
            return self._multi(q)
        if isinstance(q, Q.ConstantScoreQuery):
            docs, _ = self.eval(q.child)
            return docs, np.full(len(docs), q.score)
        if isinstance(q, Q.AndNot):
            (docs, scores), (out, _) = self.eval(q.a), self.eval(q.b)
            keep = ~np.isin(docs, out, assume_unique=True)
            return docs[keep], scores[keep]
        if isinstance(q, Q.And):
            return _intersection([self.eval(s) for s in q.subqueries])
        if isinstance(q, Q.Or) and not q.scale:  # scale: Whoosh's coordination bonus
            return _union([self.eval(s) for s in q.subqueries])
        if isinstance(q, Q.Not):
            docs, _ = self.eval(q.query)
            every = self._every()
            rest = every[~np.isin(every, docs, assume_unique=True)]
            return rest, np.ones(len(rest))
        if isinstance(q, Q.Every) and q.fieldname in (None, "", "*"):
            every = self._every()
            return every, np.ones(len(every))  # the boost is applied by eval
        raise _Unknown(type(q).__name__)

    def _every(self) -> np.ndarray:
        return np.arange(self.offset, self.offset + self.leaf.doc_count_all(), dtype=np.int64)

    def _postings(self, fieldname: str, text, values: bool = False):
        """(docnums, weights, values) of a term in this segment, or None if it has none."""
        schema = self.leaf.schema
        if fieldname not in schema:
            return None
        try:
            btext = schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        if (fieldname, btext) not in self.leaf:
            return None
        ids, weights, vals = term_postings(self.leaf, fieldname, btext, values)
        return np.array(ids, dtype=np.int64) + self.offset, np.array(weights, dtype=np.float64), vals

    def _score(self, fieldname: str, text, docs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Whoosh's BM25F (``whoosh.scoring.bm25``) of one term in each of ``docs``."""
        searcher, field = self.searcher, self.searcher.schema[fieldname]
        if not field.scorable:
            return weights  # Whoosh's WeightScorer
        w = searcher.weighting
        b, k1 = w._field_B.get(fieldname, w.B), w.K1
        idf = searcher.idf(fieldname, text)
        avgfl = searcher.avg_field_length(fieldname) or 1
        fl = self.lengths(fieldname)[docs]
        return idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * fl / avgfl)))

    def _term(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        found = self._postings(fieldname, text)
        if found is None:
            return _EMPTY
        docs, weights, _ = found
        return docs, self._score(fieldname, text, docs, weights)

    def _multi(self, q: Q.MultiTerm) -> tuple[np.ndarray, np.ndarray]:
        texts = [t for t in q._btexts(self.leaf) if t]
        if len(texts) == 1:  # Whoosh scores a lone term as itself
            return self._term(q.field(), texts[0])
        # The sum of the terms' BM25, as Whoosh scores it in a segment of over
        # 5 000 documents (in a smaller one its Or of three or more terms
        # gives each document the same score instead).
        return _union([self._term(q.field(), t) for t in texts])

    def _phrase(self, q: ExactPhrase) -> tuple[np.ndarray, np.ndarray]:
        """Documents where term k occurs at start + offset k for every k; scored
        as the sum of the terms (Whoosh's phrase matcher scores as the
        intersection of its terms)."""
        found = [self._postings(q.fieldname, word, values=True) for word in q.words]
        if any(f is None for f in found):
            return _EMPTY
        both = found[0][0]
        for docs, _, _ in found[1:]:
            both = _common(both, docs)
        starts = None
        for (docs, _, vals), k in zip(found, q.offsets):
            keep = np.flatnonzero(np.isin(docs, both, assume_unique=True))
            keys = _start_keys(docs[keep], [vals[i] for i in keep.tolist()], k)
            starts = keys if starts is None else _common(starts, keys)
            if not len(starts):
                return _EMPTY
        matched = np.unique(starts >> 32)
        total = np.zeros(len(matched))
        for (docs, weights, _), word in zip(found, q.words):
            at = np.searchsorted(docs, matched)
            total += self._score(q.fieldname, word, matched, weights[at])
        return matched, total


def _start_keys(docs: np.ndarray, values: list[bytes], offset: int) -> np.ndarray:
    """``doc << 32 | position - offset`` of each position of each posting, those
    that could start the phrase (position ≥ offset); ascending."""
    counts, deltas = _deltas(values)
    running = np.cumsum(deltas)
    ends = np.cumsum(counts)
    before = np.concatenate([[0], running[ends[:-1] - 1]]) if len(ends) else np.empty(0, dtype=np.int64)
    positions = running - np.repeat(before, counts) - offset
    keys = (np.repeat(docs, counts) << 32) | np.where(positions >= 0, positions, 0)
    return keys[positions >= 0]


_MARK, _STOP, _PROTO, _PROTOCOL_2 = ord("("), b".", 0x80, b"\x80\x02"


def _deltas(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(each posting's number of positions, all their position deltas one
    after another).

    Decoding one value at a time was most of a phrase's time, so the values'
    ints are cut out (:func:`_cut_ints`) and loaded as the items of one list.
    Values not of the usual shape, or ints that do not add up to the counts,
    are decoded one by one as Whoosh decodes them."""
    cut = _cut_ints(values)
    if cut is not None:
        counts, ints = cut
        with suppress(Exception):
            flat = loads(_PROTOCOL_2 + b"](" + ints + b"e" + _STOP)
            if len(flat) == counts.sum():
                return counts, np.array(flat, dtype=np.int64)
    counts = np.array([int.from_bytes(v[:_INT_SIZE], "big") for v in values], dtype=np.int64)
    lists = [loads(v[_INT_SIZE:] if v.endswith(_STOP) else v[_INT_SIZE:] + _STOP) for v in values]
    return counts, np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))


def _cut_ints(values: list[bytes]) -> tuple[np.ndarray, bytes] | None:
    """Each value's count, and the pickled ints of every value one after
    another; None when a value is not of the usual shape.

    A value is Whoosh's ``Positions.encode``: the count (4 bytes, big-endian),
    then the deltas pickled (protocol 2): the header, an empty list and its
    memo, then either one int and APPEND or MARK, the ints, APPENDS (and more
    MARK … APPENDS past 1 000), then STOP.  The values are joined once and
    cut with numpy, not checked and sliced one by one in Python (over 174 000
    postings of a 100 000-report index, :func:`_deltas` 93 → 67 ms)."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if not (lengths >= _INT_SIZE + 8).all():  # the shortest: count, header, list, memo, one int, APPEND, STOP
        return None
    buf = np.frombuffer(b"".join(values), dtype=np.uint8)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    if not ((buf[ends - 1] == _STOP[0]) & (buf[starts + _INT_SIZE] == _PROTO) & (buf[starts + _INT_SIZE + 1] == 2)).all():
        return None
    first = starts + _INT_SIZE + 5 + (buf[starts + _INT_SIZE + 5] == _MARK)  # after the memo, and MARK if any
    if not (first < ends - 2).all():
        return None
    edges = np.zeros(len(buf) + 1, dtype=np.int8)
    edges[first], edges[ends - 2] = 1, -1  # up to APPEND(S) and STOP
    counts = (buf[starts[:, None] + np.arange(_INT_SIZE)].astype(np.int64) << np.array([24, 16, 8, 0])).sum(axis=1)
    return counts, buf[np.cumsum(edges[:-1], dtype=np.int8).view(bool)].tobytes()


def _common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values in both of two ascending arrays of distinct values (numpy's
    intersect1d sorts the two together: slower for long arrays sorted already)."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    at = np.searchsorted(b, a)
    at[at == len(b)] = 0
    return a[b[at] == a]


def _union(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Or: every document of any part, scored as the sum of the parts that hold it."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return _EMPTY
    if len(parts) == 1:
        return parts[0]
    docs, where = np.unique(np.concatenate([d for d, _ in parts]), return_inverse=True)
    return docs, np.bincount(where, weights=np.concatenate([s for _, s in parts]), minlength=len(docs))


def _intersection(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """And: the documents of every part, scored as the sum of the parts."""
    docs = parts[0][0]
    for d, _ in parts[1:]:
        docs = _common(docs, d)
    total = np.zeros(len(docs))
    for d, s in parts:
        total += s[np.searchsorted(d, docs)]
    return docs, total
