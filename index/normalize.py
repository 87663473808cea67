"""Normalise report text, keeping a map back to where each character was printed.

What changes:

- full-width ASCII (``０-９``, ``（）：；，．／``…) becomes half-width, the
  ideographic and no-break spaces become plain spaces;
- export artefacts go: ``[bookmark: _Hlk66973412]``, zero-width characters,
  control characters other than tab and newline; ``\\r\\n`` becomes ``\\n``;
- spaces inside quantities go: ``2023 年`` → ``2023年``, ``自 2023 年`` →
  ``自2023年``, ``109 号`` → ``109号``.  A number standing alone between
  spaces or tabs (a table cell, as in ``0 0 0``) keeps its spaces.

Tabs and line breaks are kept: they carry the table layout.
"""

from __future__ import annotations

import re

BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]")
DELETE = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\r"}
SPACES = {"\u3000", "\u00a0", "\u2002", "\u2003", "\u2009", "\u202f", "\u205f"}

# Units and counters that follow a number in prose (not in a table cell).
UNITS = "年月日号时分秒件条次个项人名家场篇期份万元亿%室楼层座天周岁户所类批起宗起卷本册"
CJK = "\u4e00-\u9fff"
SPACE_BEFORE_UNIT = re.compile(rf"(?<=\d)[ ]+(?=[{UNITS}])")
SPACE_BEFORE_QUANTITY = re.compile(rf"(?<=[{CJK}(:,;、])[ ]+(?=[+-]?\d[\d.]*[ ]*[{UNITS}])")


def _half_width(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if ch in SPACES:
        return " "
    return ch


def normalize(text: str) -> tuple[str, list[int]]:
    """Return (normalised text, offsets): ``out[i]`` was printed at ``text[offsets[i]]``."""
    dropped = bytearray(len(text))
    for m in BOOKMARK.finditer(text):
        dropped[m.start() : m.end()] = b"\x01" * (m.end() - m.start())

    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if dropped[i] or ch in DELETE or (ch < " " and ch not in "\t\n"):
            continue
        chars.append(_half_width(ch))
        offsets.append(i)

    out = "".join(chars)
    gaps = [m.span() for m in SPACE_BEFORE_UNIT.finditer(out)]
    gaps += [m.span() for m in SPACE_BEFORE_QUANTITY.finditer(out)]
    if not gaps:
        return out, offsets
    keep = bytearray(b"\x01" * len(out))
    for a, b in gaps:
        keep[a:b] = b"\x00" * (b - a)
    return "".join(c for c, k in zip(out, keep) if k), [o for o, k in zip(offsets, keep) if k]
