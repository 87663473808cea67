"""An exact phrase that is fast on bigram fields.

Whoosh's own :class:`~whoosh.query.Phrase` checks positions through generic
span objects, pair by pair, in Python: on a bigram field, where a common
four-character string occurs fifty times in a report, that dominates search
time.  Here the documents holding every term come from Whoosh's intersection
of postings, and the positions are checked with set arithmetic: the phrase
starts at ``p`` when term ``k`` occurs at ``p + k`` for every ``k``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import reduce
from itertools import accumulate
from pickle import loads

from whoosh import matching
from whoosh.query import Phrase, Term
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.system import _INT_SIZE


class ExactPhrase(Phrase):
    """The words at consecutive positions (no slop); same API as Whoosh's Phrase.

    ``offsets`` (default 0, 1, 2, …) say where each word stands relative to
    the first: a bigram phrase needs only every other gram, plus the last, to
    pin down the whole string (see :func:`covering_grams`).
    """

    def __init__(self, fieldname: str, words: list[str], boost: float = 1.0, offsets: list[int] | None = None):
        super().__init__(fieldname, words, slop=1, boost=boost)
        self.offsets = list(offsets) if offsets is not None else list(range(len(words)))

    def __eq__(self, other):
        return super().__eq__(other) and getattr(other, "offsets", None) == self.offsets

    __hash__ = Phrase.__hash__

    def matcher(self, searcher, context=None):
        field = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None
        if field is None or not field.format or not field.format.supports("positions"):
            return matching.NullMatcher()
        reader = searcher.reader()
        terms = []
        for word in self.words:
            if (self.fieldname, field.to_bytes(word)) not in reader:
                return matching.NullMatcher()  # a word that occurs nowhere
            terms.append(Term(self.fieldname, word).matcher(searcher, context))
        both = reduce(matching.IntersectionMatcher, terms)
        m = _ConsecutiveMatcher(both, terms, self.offsets)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _ConsecutiveMatcher(SpanWrappingMatcher):
    def __init__(self, child, terms, offsets):
        self._terms = terms  # the leaves of ``child``, positioned on its current document
        self._offsets = offsets
        super().__init__(child)

    def copy(self):
        return _ConsecutiveMatcher(self.child.copy(), self._terms, self._offsets)

    def replace(self, minquality=0):
        # Whoosh may swap sub-matchers for cheaper ones; ours must keep its leaves.
        return self if self.is_active() else matching.NullMatcher()

    def _get_spans(self):
        starts: set[int] | None = None
        for k, term in zip(self._offsets, self._terms):
            shifted = {p - k for p in positions(term.value())}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                return []
        n = self._offsets[-1]
        return [Span(s, s + n) for s in sorted(starts)]


def positions(value: bytes) -> Iterator[int]:
    """A posting's positions, as ``whoosh.formats.Positions.decode_positions``
    reads them (the count, then the pickled deltas) but summed by
    ``itertools.accumulate`` instead of a Python loop: decoding positions was
    the largest part of a cold phrase search."""
    deltas = value[_INT_SIZE:]
    return accumulate(loads(deltas if deltas.endswith(b".") else deltas + b"."))


def covering_grams(grams: list[str]) -> tuple[list[str], list[int]]:
    """The fewest overlapping bigrams that still fix a whole string.

    Grams 0, 2, 4, … and the last cover every character, so requiring them at
    their offsets matches exactly where all the grams would, with half the
    postings to read.
    """
    keep = list(range(0, len(grams), 2))
    if keep[-1] != len(grams) - 1:
        keep.append(len(grams) - 1)
    return [grams[i] for i in keep], keep
