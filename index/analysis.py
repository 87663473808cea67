"""Text analysis shared by indexing and querying: one place, so they cannot drift.

Two analyzers, both in Whoosh's composable style:

- the **word analyzer** (:class:`JiebaTokenizer`): jieba in accurate mode, one
  token per word, positions 0, 1, 2, … so phrase queries are exact;
- the **bigram analyzer** (:class:`BigramTokenizer`): overlapping two-character
  grams over the letters, digits and CJK characters, for substring recall
  ("处理" finds "待处理"; any copied string becomes a phrase over bigrams).

Both fold the text the same way first (:func:`fold`: NFKC, lowercase, then
traditional → simplified Chinese, character by character) and report
``startchar``/``endchar`` as offsets into the *original* string, for
highlighting.  Both ignore Whoosh's ``mode``: a
query is analysed exactly like a document.

The word analyzer's dictionary is jieba's own plus ``data/userdict.txt`` (domain
terms) plus the *extra words* of one index (agency names), kept in
``userdict.txt`` inside the index directory.  An analyzer carries its whole word
list, and Whoosh pickles analyzers into the index's schema, so a searcher that
opens the index segments queries with exactly the dictionary the documents were
indexed with.  The jieba dictionary itself is never pickled; it is loaded
(once per process and word list) on first use.

Typical use::

    analysis = Analysis.for_index(index_dir)        # indexer
    analysis.add_words(agency_names)
    analysis.save(index_dir)
    word, bigram = analysis.analyzers()
    schema = Schema(body=TEXT(analyzer=word), body_bi=TEXT(analyzer=bigram), …)

    ix = open_dir(index_dir)                          # searcher
    QueryParser("body", ix.schema)                    # uses the pickled analyzers
    for v in variants(user_text): …                   # abbreviation rewrites

Synonyms (:func:`variants`) are data too: ``data/synonyms.txt``.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
from whoosh.analysis import CompositeAnalyzer, Token, Tokenizer

from index.chinese import simplifiable, simplify

__all__ = [
    "Analysis",
    "BigramTokenizer",
    "JiebaTokenizer",
    "SpanTokenizer",
    "USERDICT_FILE",
    "bigram_analyzer",
    "fold",
    "fold_with_origin",
    "load_synonyms",
    "load_userdict",
    "make_analyzers",
    "preload",
    "save_userdict",
    "simplify",
    "stream",
    "variants",
    "word_analyzer",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
BUILTIN_USERDICT = DATA_DIR / "userdict.txt"
SYNONYMS = DATA_DIR / "synonyms.txt"
# Name of the extra-words file inside an index directory.
USERDICT_FILE = "userdict.txt"

# jieba logs "Building prefix dict…" to stderr on every dictionary load.
jieba.setLogLevel(logging.WARNING)

# A word is a run of letters, digits or ideographs; "_" counts as punctuation.
_WORD_RUN = re.compile(r"[^\W_]+")
# jieba only looks words up inside runs of these characters (its re_han_default,
# after our lowercasing), so a dictionary word with anything else never matches.
_JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-z0-9+#&._%\-]+")
# How jieba itself splits a text into the blocks it segments one by one.
_JIEBA_SPLIT = jieba.re_han_default
_cut_cache: dict[str, dict[str, tuple[str, ...]]] = {}  # word list key -> block -> words
_CUT_CACHE_SIZE = 300_000  # blocks; a few tens of MB

Entry = tuple[str, int | None]  # (word, frequency or None for jieba's suggestion)


# --------------------------------------------------------------------------
# Folding


class _FoldTable(dict):
    """``str.translate`` table: code point -> NFKC + lowercase + simplified of that
    character.  Filled lazily and kept, so each folding step costs once per
    distinct character per process, not per character of text."""

    def __missing__(self, code: int) -> str:
        folded = simplify(unicodedata.normalize("NFKC", chr(code)).lower())
        self[code] = folded
        return folded


_FOLD = _FoldTable()


@lru_cache(maxsize=1)
def _folding() -> re.Pattern:
    """Runs of the characters :func:`fold` may change: every character outside the
    Basic Multilingual Plane, and in it those NFKC or lowercasing change or that
    have a simplified form.  Most of a report is none of these, so folding only
    these runs (regular-expression speed) spares ``str.translate``'s per-character
    table lookups over the rest: for a 9 MB report, most of a search's time."""
    bmp = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    changing = {ch for ch in bmp if unicodedata.normalize("NFKC", ch).lower() != ch}
    changing |= simplifiable([ch for ch in bmp if ord(ch) >= 0x2E80])
    codes = sorted(map(ord, changing))
    ranges, start = [], codes[0]
    for prev, code in zip(codes, codes[1:] + [None]):
        if code != prev + 1:
            ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
            start = code
    return re.compile(f"[{''.join(ranges)}\U00010000-\U0010FFFF]+")


def fold(text: str) -> str:
    """NFKC + lowercase + traditional → simplified, applied character by character
    (full-width → half-width, 處 → 处).

    Per character rather than per string so that every output character comes
    from exactly one input character, which is what keeps offsets mappable; the
    only difference from whole-string NFKC is that combining marks are not
    composed, which does not occur in these reports.
    """
    return _folding().sub(lambda m: m.group().translate(_FOLD), text)


def fold_with_origin(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, for each of its characters, the index in ``text`` it
    came from; ``None`` when that is the identity (the usual case).

    Folding maps every character to one or more characters (never none), so equal
    lengths mean one-to-one.  The rare expanding ones (⑩ → 10, ㈠ → (一), ㎡ → m2,
    … → ...) map all their output characters back to the one input character,
    so a token's offsets then cover that whole input character and never fall
    outside the string.
    """
    folded = fold(text)
    if len(folded) == len(text):
        return folded, None
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(_FOLD[ord(ch)]))
    return folded, origin


def _span(origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Map a span of the folded text to a span of the original text."""
    if origin is None:
        return start, end
    return origin[start], origin[end - 1] + 1


# --------------------------------------------------------------------------
# Dictionaries


def _clean_words(words: Iterable[str]) -> list[str]:
    """Fold ``words`` and cut each into the pieces jieba can match as one word.

    "淄博市（高新区）应急管理局" becomes ["淄博市", "高新区", "应急管理局"]: jieba splits
    text at punctuation before looking words up, so a word containing any could
    never be found.  Single characters are dropped: they gain nothing.
    """
    out: list[str] = []
    for word in words:
        for piece in _JIEBA_BLOCK.findall(fold(word)):
            if len(piece) >= 2 and _WORD_RUN.search(piece):
                out.append(piece)
    return out


def _parse_userdict(text: str) -> list[Entry]:
    """Lines in jieba's user-dictionary format: ``word [freq] [tag]``."""
    entries: list[Entry] = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        freq = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
        entries.extend((piece, freq) for piece in _clean_words([fields[0]]))
    return entries


@lru_cache(maxsize=1)
def _builtin_entries() -> tuple[Entry, ...]:
    return tuple(_parse_userdict(BUILTIN_USERDICT.read_text(encoding="utf-8")))


def load_userdict(index_dir: str | os.PathLike[str]) -> list[str]:
    """The extra words saved in ``index_dir`` (empty when none were saved)."""
    path = Path(index_dir) / USERDICT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [word for word, _ in _parse_userdict(text)]


def save_userdict(index_dir: str | os.PathLike[str], words: Iterable[str]) -> Path:
    """Write ``words`` (folded, deduplicated, sorted) to ``index_dir``; atomically,
    because a reader must never see half a dictionary."""
    directory = Path(index_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / USERDICT_FILE
    body = "".join(f"{w}\n" for w in sorted(set(_clean_words(words))))
    fd, tmp = tempfile.mkstemp(prefix=".userdict.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_base_jieba: jieba.Tokenizer | None = None
_jieba_cache: dict[str, jieba.Tokenizer] = {}
_JIEBA_CACHE_SIZE = 4  # one or two word lists per process in practice
_jieba_lock = threading.Lock()


def _entries_key(entries: tuple[Entry, ...]) -> str:
    return hashlib.sha1(repr(entries).encode("utf-8")).hexdigest()


def _jieba_for(key: str, entries: tuple[Entry, ...]) -> jieba.Tokenizer:
    """A private jieba tokenizer with ``entries`` added, cached by ``key``.

    Never the global ``jieba.dt``: words added there would leak into anything
    else in the process that uses jieba.  Loading jieba's main dictionary takes
    about a second, so it is loaded once and copied (tens of milliseconds) for
    each word list.
    """
    global _base_jieba
    tok = _jieba_cache.get(key)
    if tok is not None:
        return tok
    with _jieba_lock:
        tok = _jieba_cache.get(key)
        if tok is not None:
            return tok
        if _base_jieba is None:
            base = jieba.Tokenizer()
            base.initialize()
            _base_jieba = base
        tok = jieba.Tokenizer()
        # Same state initialize() would build from the cache file (jieba 0.42.1).
        tok.FREQ = dict(_base_jieba.FREQ)
        tok.total = _base_jieba.total
        tok.initialized = True
        # Order matters: a suggested frequency depends on the words added before.
        for word, freq in entries:
            tok.add_word(word, freq)
        if len(_jieba_cache) >= _JIEBA_CACHE_SIZE:
            _jieba_cache.pop(next(iter(_jieba_cache)))
        _jieba_cache[key] = tok
        return tok


# --------------------------------------------------------------------------
# Tokenizers


class SpanTokenizer(Tokenizer):
    """A Whoosh tokenizer made from ``spans(text)``: (token, start, end) triples.

    Positions are ordinals; offsets point into the original text.  Whoosh's
    ``mode`` is ignored on purpose: a query is analysed exactly like a document.
    """

    def spans(self, text: str) -> Iterator[tuple[str, int, int]]:
        raise NotImplementedError

    def terms(self, text: str) -> list[str]:
        """The token texts of ``spans(text)``, in order (position = list index),
        without the offsets: what indexing needs, computed faster."""
        return [t for t, _, _ in self.spans(text)]

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        assert isinstance(value, str), f"{value!r} is not str"
        if not tokenize:
            yield from _whole(value, positions, chars, keeporiginal, removestops,
                              start_pos, start_char, mode, **kwargs)
            return
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, start, end) in enumerate(self.spans(value), start_pos):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class JiebaTokenizer(SpanTokenizer):
    """Words by jieba in accurate mode; positions are ordinals, offsets original.

    Punctuation and whitespace are dropped (also inside a jieba token: "3.5%"
    gives 3 and 5), single digits and letters are kept, nothing is stemmed.
    The text is folded before segmenting, so full-width and upper-case input
    segment exactly like their half-width lower-case forms.  HMM new-word
    discovery is off: it guesses differently for a word seen alone (a query)
    and in context (a document), which breaks phrases.
    """

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.entries: tuple[Entry, ...] = tuple((w, f) for w, f in entries)
        self._key = _entries_key(self.entries)

    # Whoosh pickles analyzers into the index's TOC; keep only the word list.
    def __getstate__(self) -> dict[str, Any]:
        return {"entries": self.entries}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["entries"])

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._key == self._key  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{len(self.entries)} words, {self._key[:8]}>)"

    @property
    def segmenter(self) -> jieba.Tokenizer:
        """The private jieba tokenizer for this word list (loaded on first use)."""
        return _jieba_for(self._key, self.entries)

    def cut(self, folded: str) -> list[str]:
        """``segmenter.cut(folded, HMM=False)``, remembering each block's cut.

        jieba splits its input into blocks (runs of ideographs, letters and
        digits, and what lies between) and segments each block on its own, so
        cutting block by block gives exactly its answer.  Reports repeat most
        of their blocks (table labels, boilerplate clauses), and segmenting is
        the costly part, so each block is segmented once per process.
        """
        cache = _cut_cache.setdefault(self._key, {})
        if len(cache) > _CUT_CACHE_SIZE:
            cache.clear()
        out: list[str] = []
        segmenter = None
        for block in _JIEBA_SPLIT.split(folded):
            if not block:
                continue
            words = cache.get(block)
            if words is None:
                segmenter = segmenter or self.segmenter
                words = cache[block] = tuple(segmenter.cut(block, HMM=False))
            out.extend(words)
        return out

    def spans(self, text: str) -> Iterator[tuple[str, int, int]]:
        """(word, start, end) with offsets into ``text``."""
        folded, origin = fold_with_origin(text)
        offset = 0
        for piece in self.cut(folded):
            for m in _WORD_RUN.finditer(piece):
                start, end = _span(origin, offset + m.start(), offset + m.end())
                yield m.group(), start, end
            offset += len(piece)

    def terms(self, text: str) -> list[str]:
        find = _WORD_RUN.findall
        return [word for piece in self.cut(fold(text)) for word in find(piece)]



def preload(analyzer) -> None:
    """Load now the jieba dictionary ``analyzer`` (a word analyzer of
    :func:`make_analyzers`) segments with, instead of on the first text it
    meets that no earlier one had."""
    for item in getattr(analyzer, "items", (analyzer,)):
        if hasattr(item, "segmenter"):
            item.segmenter  # noqa: B018 (a property that loads)


def stream(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The characters bigrams are made of: folded letters, digits and ideographs,
    and the span of ``text`` each came from.

    ``literal`` occurs in ``text`` for the bigram field exactly when
    ``stream(literal)[0]`` is a substring of ``stream(text)[0]``.
    """
    folded, origin = fold_with_origin(text)
    kept = [i for i, ch in enumerate(folded) if ch.isalnum()]
    chars = "".join(folded[i] for i in kept)
    if origin is None:  # the usual case: folding kept every character in place
        return chars, [(i, i + 1) for i in kept]
    return chars, [_span(origin, i, i + 1) for i in kept]


class BigramTokenizer(SpanTokenizer):
    """Overlapping character bigrams over the folded letters, digits and CJK.

    Whitespace and punctuation are skipped, so the stream runs across them:
    "如对本报告有疑问，请与" and "2023 年" become phrases that match wherever the
    same characters appear in that order.  A one-character input gives that
    character.  Position = index of the gram's first character in the stream.
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @staticmethod
    def spans(text: str) -> Iterator[tuple[str, int, int]]:
        """(gram, start, end) with offsets into ``text``."""
        chars, where = stream(text)
        if len(chars) == 1:
            yield chars, where[0][0], where[0][1]
            return
        for i in range(len(chars) - 1):
            yield chars[i : i + 2], where[i][0], where[i + 1][1]

    def terms(self, text: str) -> list[str]:
        chars = "".join(filter(str.isalnum, fold(text)))  # stream(text)[0]
        if len(chars) == 1:
            return [chars]
        return [chars[i : i + 2] for i in range(len(chars) - 1)]



def _whole(value: str, positions: bool, chars: bool, keeporiginal: bool,
           removestops: bool, start_pos: int, start_char: int, mode: str,
           **kwargs: Any) -> Iterator[Token]:
    """The ``tokenize=False`` case (Whoosh uses it for range ends): one folded token."""
    t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
    t.text = fold(value)
    t.boost = 1.0
    if keeporiginal:
        t.original = value
    if positions:
        t.pos = start_pos
    if chars:
        t.startchar = start_char
        t.endchar = start_char + len(value)
    yield t


# --------------------------------------------------------------------------
# Factories


def word_analyzer(extra_words: Iterable[str] = ()) -> CompositeAnalyzer:
    """The word analyzer for the built-in dictionary plus ``extra_words``."""
    return Analysis(extra_words).word_analyzer()


def bigram_analyzer() -> CompositeAnalyzer:
    """The bigram analyzer (it has no dictionary)."""
    return CompositeAnalyzer(BigramTokenizer())


class Analysis:
    """The analyzers of one index: built-in dictionary + that index's extra words.

    Extra words are kept folded and sorted, so the same set gives the same
    segmentation whatever order it was added in.  Add words *before* building
    the schema: an analyzer is a snapshot of the words at the time it is made.
    """

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._extra: set[str] = set()
        self._word: CompositeAnalyzer | None = None
        self.add_words(extra_words)

    @classmethod
    def for_index(cls, index_dir: str | os.PathLike[str]) -> Analysis:
        """The analysis an index was (or will be) built with."""
        return cls(load_userdict(index_dir))

    def save(self, index_dir: str | os.PathLike[str]) -> Path:
        return save_userdict(index_dir, self._extra)

    @property
    def extra_words(self) -> tuple[str, ...]:
        return tuple(sorted(self._extra))

    def add_words(self, words: Iterable[str]) -> list[str]:
        """Add dictionary words (e.g. agency names); return the ones that are new
        (neither added before nor in the built-in dictionary)."""
        if isinstance(words, str):
            raise TypeError("add_words() takes an iterable of words, not one str")
        builtin = {w for w, _ in _builtin_entries()}
        new = sorted(set(_clean_words(words)) - self._extra - builtin)
        if new:
            self._extra.update(new)
            self._word = None
        return new

    def word_analyzer(self) -> CompositeAnalyzer:
        entries = _builtin_entries() + tuple((w, None) for w in self.extra_words)
        return CompositeAnalyzer(JiebaTokenizer(entries))

    def bigram_analyzer(self) -> CompositeAnalyzer:
        return bigram_analyzer()

    def analyzers(self) -> tuple[CompositeAnalyzer, CompositeAnalyzer]:
        """(word analyzer, bigram analyzer)."""
        return self.word_analyzer(), self.bigram_analyzer()

    def words(self, text: str) -> list[str]:
        """The word tokens of ``text``, as indexed and as queried."""
        if self._word is None:
            self._word = self.word_analyzer()
        return [t.text for t in self._word(text)]

    @staticmethod
    def bigrams(text: str) -> list[str]:
        """The bigram tokens of ``text``, as indexed and as queried."""
        return [gram for gram, _, _ in BigramTokenizer.spans(text)]


def make_analyzers(
    source: str | os.PathLike[str] | Iterable[str] | None = None,
) -> tuple[CompositeAnalyzer, CompositeAnalyzer]:
    """(word analyzer, bigram analyzer) for an index directory (a ``str`` or path:
    its saved extra words) or for a list of extra words."""
    if source is None:
        return Analysis().analyzers()
    if isinstance(source, (str, os.PathLike)):
        return Analysis.for_index(source).analyzers()
    return Analysis(source).analyzers()


# --------------------------------------------------------------------------
# Synonyms


def load_synonyms(path: str | os.PathLike[str] = SYNONYMS) -> dict[str, tuple[str, ...]]:
    """member -> its whole group (in file order), from a synonyms file.

    A member in two groups is an error: rewriting through one group and then
    the other would join names that are not equivalent.
    """
    groups: dict[str, tuple[str, ...]] = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        members = tuple(dict.fromkeys(fold(m) for m in line.split("#", 1)[0].split()))
        if len(members) < 2:
            continue
        for m in members:
            if m in groups:
                raise ValueError(f"{path}:{lineno}: {m!r} is already in another group")
            groups[m] = members
    return groups


@lru_cache(maxsize=1)
def _default_synonyms() -> tuple[dict[str, tuple[str, ...]], tuple[int, ...]]:
    groups = load_synonyms()
    return groups, tuple(sorted({len(m) for m in groups}, reverse=True))


def _occurrences(text: str, groups: dict[str, tuple[str, ...]],
                 lengths: tuple[int, ...]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Leftmost-longest, non-overlapping group members in ``text``:
    (start, end, the other members of its group)."""
    found = []
    i = 0
    while i < len(text):
        for n in lengths:
            member = text[i:i + n]
            if len(member) == n and member in groups:
                found.append((i, i + n, tuple(m for m in groups[member] if m != member)))
                i += n
                break
        else:
            i += 1
    return found


def variants(text: str, limit: int = 16) -> list[str]:
    """``text`` and its rewritings through ``data/synonyms.txt``, at most ``limit``.

    The original comes first, then rewritings with one replacement, then two,
    and so on, so a cap drops the most remote forms:
    "高新区发改局" → ["高新区发改局", "高新技术产业开发区发改局", …,
    "高新区发展改革局", …, "高新技术产业开发区发展改革局", …].
    Members are matched as typed: simplified CJK, which the rest of folding
    leaves alone, so pass traditional text through :func:`simplify` first.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    groups, lengths = _default_synonyms()
    occ = _occurrences(text, groups, lengths)
    out = [text]
    seen = {text}
    for k in range(1, len(occ) + 1):
        for chosen in itertools.combinations(range(len(occ)), k):
            for picks in itertools.product(*(occ[j][2] for j in chosen)):
                if len(out) >= limit:
                    return out
                parts, last = [], 0
                for j, replacement in zip(chosen, picks):
                    start, end, _ = occ[j]
                    parts += [text[last:start], replacement]
                    last = end
                parts.append(text[last:])
                v = "".join(parts)
                if v not in seen:
                    seen.add(v)
                    out.append(v)
    return out
