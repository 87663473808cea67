"""An exact phrase that is fast on bigram fields.

Whoosh's own :class:`~whoosh.query.Phrase` checks positions through generic
span objects, pair by pair, in Python: on a bigram field, where a common
four-character string occurs fifty times in a report, that dominates search
time.  Here the documents holding every term come from Whoosh's intersection
of postings, and the positions are checked with set arithmetic: the phrase
starts at ``p`` when term ``k`` occurs at ``p + k`` for every ``k``.
"""

from __future__ import annotations

from functools import reduce

from whoosh import matching
from whoosh.query import Phrase, Term
from whoosh.query.spans import Span, SpanWrappingMatcher


class ExactPhrase(Phrase):
    """The words at consecutive positions (no slop); same API as Whoosh's Phrase."""

    def __init__(self, fieldname: str, words: list[str], boost: float = 1.0):
        super().__init__(fieldname, words, slop=1, boost=boost)

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
        m = _ConsecutiveMatcher(both, terms)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _ConsecutiveMatcher(SpanWrappingMatcher):
    def __init__(self, child, terms):
        self._terms = terms  # the leaves of ``child``, positioned on its current document
        super().__init__(child)

    def copy(self):
        return _ConsecutiveMatcher(self.child.copy(), self._terms)

    def replace(self, minquality=0):
        # Whoosh may swap sub-matchers for cheaper ones; ours must keep its leaves.
        return self if self.is_active() else matching.NullMatcher()

    def _get_spans(self):
        starts: set[int] | None = None
        for k, term in enumerate(self._terms):
            shifted = {p - k for p in term.value_as("positions")}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                return []
        n = len(self._terms)
        return [Span(s, s + n - 1) for s in sorted(starts)]
