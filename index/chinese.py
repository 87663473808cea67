"""Traditional → simplified Chinese (繁→简), one character for one.

OpenCC's "t2s" table applied character by character, not OpenCC's phrase
conversion: one character in, one out, so offsets into the printed text stay
mappable.  Two users:

- the analyzer (:mod:`index.analysis`) folds every text and query, so 行政處罰
  finds 行政处罚 (乾 and 干 then become one character to search, in the query
  as in the report);
- the normaliser (:mod:`index.normalize`) simplifies a report printed in
  traditional characters before it is parsed (:func:`simplify_report`), so its
  labels, agency and region read as in a simplified one.  Only a
  mostly-traditional text is changed: a simplified report keeps the few
  characters t2s would also change (著作权, 乾县) as printed.
"""

from __future__ import annotations

import opencc

_T2S = opencc.OpenCC("t2s")

# Share of Han characters that t2s changes above which a text counts as printed
# in traditional characters.  In traditional text it is about a quarter; in a
# simplified report only the odd 著/乾/於 changes (well under 1%).
TRADITIONAL_SHARE = 0.05
_SAMPLE = 20_000  # characters looked at to decide: enough, and bounded for a 10 MB report
_HAN = (0x4E00, 0x9FFF)


class _SimplifyTable(dict):
    """``str.translate`` table: code point -> its simplified form (itself for most)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        simplified = _T2S.convert(ch) if code >= 0x2E80 else ch  # below: no Han characters
        self[code] = simplified = simplified if len(simplified) == 1 else ch
        return simplified


_SIMPLIFY = _SimplifyTable()


def simplify(text: str) -> str:
    """Traditional characters folded to simplified, one for one: 行政處罰 → 行政处罚."""
    return text.translate(_SIMPLIFY)


def simplifiable(characters: list[str]) -> set[str]:
    """Those of ``characters`` that :func:`simplify` changes, found with one OpenCC
    call (a line each: OpenCC never matches a phrase across a line break)."""
    converted = _T2S.convert("\n".join(characters)).split("\n")
    return {a for a, b in zip(characters, converted, strict=True) if ord(a) >= 0x2E80 and len(b) == 1 and a != b}


def is_traditional(text: str) -> bool:
    """Whether ``text`` is printed mostly in traditional characters."""
    sample = text[:_SAMPLE]
    simplified = simplify(sample)
    if simplified == sample:
        return False
    han = sum(1 for ch in sample if _HAN[0] <= ord(ch) <= _HAN[1])
    changed = sum(1 for a, b in zip(sample, simplified) if a != b)
    return han > 0 and changed / han >= TRADITIONAL_SHARE


def simplify_report(text: str) -> str:
    """A whole report in traditional characters, simplified with OpenCC's phrase
    table where that keeps every character in place (反覆申請 → 反复申请, which the
    character table leaves as 反覆), else character by character."""
    phrased = _T2S.convert(text)
    return phrased if len(phrased) == len(text) else simplify(text)
