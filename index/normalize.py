"""Normalise report text, keeping a map back to where each character was printed.

What changes:

- full-width ASCII (``０-９``, ``（）：；，．／``…) becomes half-width, the
  ideographic and no-break spaces become plain spaces;
- export artefacts go: ``[bookmark: _Hlk66973412]``, zero-width characters,
  control characters other than tab and newline; ``\\r\\n`` becomes ``\\n``;
- spaces inside quantities go: ``2023 年`` → ``2023年``, ``自 2023 年`` →
  ``自2023年``, ``109 号`` → ``109号``.  A number standing alone between
  spaces or tabs (a table cell, as in ``0 0 0``) keeps its spaces.
- a report printed in traditional characters is simplified, one character
  for one (:func:`index.chinese.is_traditional`), so it parses like the
  others; a simplified report is left as printed.

Tabs and line breaks are kept: they carry the table layout.  Every change is
a one-for-one replacement or a deletion, so the map back to the printed text
is a short list of kept runs (:class:`OffsetMap`), not one entry per character.
"""

from __future__ import annotations

import bisect
import re

from index.chinese import is_traditional, simplify_report

BOOKMARK = r"\[bookmark:[^\]\[\n]*\]"  # no "[" inside: "[bookmark:" repeated is read once, not once per match tried
# Control characters other than tab, newline and a lone \r; invisible format characters.
JUNK = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff\u00ad]|\r(?=\n)"
DELETE = re.compile(f"{BOOKMARK}|{JUNK}")

HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
HALF_WIDTH.update({ord(c): " " for c in "\u3000\u00a0\u2002\u2003\u2009\u202f\u205f"})

# Units and counters that follow a number in prose (not in a table cell).
UNITS = "年月日号时分秒件条次个项人名家场篇期份万元亿%室楼层座天周岁户所类批起宗卷本册"
CJK = "\u4e00-\u9fff"
QUANTITY_SPACE = re.compile(
    rf"(?<=\d)[ ]+(?=[{UNITS}])"  # "2023 年"
    rf"|(?<=[{CJK}(:,;、])[ ]+(?=[+-]?\d[\d.]*[ ]*[{UNITS}])"  # "自 2023年"
)


class OffsetMap:
    """Normalised position → printed position, stored as runs of kept characters."""

    def __init__(self, runs: list[tuple[int, int]], length: int):
        self._starts = [n for n, _ in runs]  # where each run starts in the normalised text
        self._origins = [o for _, o in runs]  # and in the printed text
        self._length = length

    def __len__(self) -> int:
        return self._length

    def to_list(self) -> list:
        """``[run starts, their printed positions, length]``: what :meth:`from_list`
        takes back, so a stored report need not be normalised again to map offsets."""
        return [self._starts, self._origins, self._length]

    @classmethod
    def from_list(cls, data: list) -> OffsetMap:
        starts, origins, length = data
        return cls(list(zip(starts, origins)), length)

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self._length:
            raise IndexError(i)
        r = bisect.bisect_right(self._starts, i) - 1
        return self._origins[r] + (i - self._starts[r])

    def segments(self, start: int, end: int) -> list[tuple[int, int]]:
        """The printed spans that normalised ``[start, end)`` was made from, in order."""
        if start >= end:
            return []
        first = bisect.bisect_right(self._starts, start) - 1
        out = []
        for r in range(first, len(self._starts)):
            a = max(start, self._starts[r])
            b = min(end, self._starts[r + 1] if r + 1 < len(self._starts) else self._length)
            if a >= end:
                break
            if a < b:
                out.append((self._origins[r] + a - self._starts[r], self._origins[r] + b - self._starts[r]))
        return out


def _delete(text: str, pattern: re.Pattern) -> tuple[str, list[tuple[int, int]]]:
    """Remove every match of ``pattern``; return the text and the kept segments of ``text``."""
    kept, pos = [], 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            kept.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        kept.append((pos, len(text)))
    return "".join(text[a:b] for a, b in kept), kept


def _runs(kept: list[tuple[int, int]], before: OffsetMap | None) -> list[tuple[int, int]]:
    """The runs of the text left after deleting, in printed coordinates.

    A kept segment may straddle an earlier deletion, so it is cut at the
    earlier map's run boundaries.
    """
    runs, out = [], 0
    for a, b in kept:
        cuts = [a] + ([s for s in before._starts if a < s < b] if before else []) + [b]
        for x, y in zip(cuts, cuts[1:]):
            runs.append((out + x - a, before[x] if before else x))
        out += b - a
    return runs or [(0, 0)]


def normalize(text: str) -> tuple[str, OffsetMap]:
    """Return (normalised text, offsets): ``out[i]`` was printed at ``text[offsets[i]]``."""
    first, kept = _delete(text.translate(HALF_WIDTH), DELETE)
    first = first.replace("\r", "\n")  # an old Mac line end: one for one
    step = OffsetMap(_runs(kept, None), len(first))
    out, kept = _delete(first, QUANTITY_SPACE)
    if is_traditional(out):
        out = simplify_report(out)  # one for one: the offsets do not move
    return out, OffsetMap(_runs(kept, step), len(out))
