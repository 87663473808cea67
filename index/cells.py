"""Normalised text → a stream of cells, the unit the table parser reads.

A line is split on tabs; a piece that ends in numbers separated by spaces (PDF
text: ``(七) 总计 0 0 0``) is split further, so a number is always a cell of its
own.  Whatever the layout (one row per line, one cell per line, rows broken
mid-label), the cells come out in reading order, which is all the table parser
needs.  Blank cells are kept: in a table they may stand for "not applicable".
Text whose cells run together (crawled pages) keeps a row's digits as one
"run" cell, for the table's arithmetic to split (``index/runs.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.model import Figure, Number

# At most 15 digits before the point: no count or amount in a report is larger, and
# a longer run of digits (Python refuses int() past 4 300 of them) is no number.
VALUE = re.compile(r"^(?P<num>[+-]?(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,15})(?:\.\d{1,6})?)(?P<unit>万元|万|元|件|个|条|项|次|%)?$")
# Not applicable: stored as null, never as 0.
NOT_APPLICABLE = re.compile(r"^(?:/|\\|—+|-+|–|―|不适用|无|空|null)$")


@dataclass(frozen=True)
class Cell:
    text: str  # stripped
    start: int  # span in the normalised text
    end: int
    line: int  # 0-based line number
    kind: str  # "value" | "na" | "blank" | "text" | "run" (a row's digits run together)

    @property
    def is_number(self) -> bool:
        return self.kind in ("value", "na", "run")

    @property
    def squashed(self) -> str:
        """The text without any whitespace, for matching broken labels."""
        return re.sub(r"\s+", "", self.text)

    def figure(self, passage: str | None = None) -> Figure:
        return Figure(parse_number(self.text), self.text, self.start, self.end, passage)


def parse_number(text: str) -> Number | None:
    """A cell's number as printed: ``+34`` → 34, ``25.96万元`` → 25.96, ``/`` → None."""
    m = VALUE.match(text.strip())
    if not m:
        return None
    num = m["num"].replace(",", "")
    value: Number = float(num) if "." in num else int(num)
    if m["unit"] == "元":  # a yuan amount where the table wants 万元
        value = round(value / 10000, 6)
    return value


def classify(text: str) -> str:
    if not text:
        return "blank"
    if VALUE.match(text):
        return "value"
    if NOT_APPLICABLE.match(text):
        return "na"
    return "text"


# The digits of a row run together, as crawled text prints them: "1400000 14", "2832995元".
RUN = re.compile(r"^(?:[+-]?\d|/|—)[\d.,/— +-]*(?:万元|元)?$")


def split_cells(text: str, run_together: bool = False) -> list[Cell]:
    """The cells of ``text``; with ``run_together``, a piece after a tab that is all digits is one run cell."""
    cells: list[Cell] = []
    pos = 0
    for lineno, line in enumerate(text.split("\n")):
        col = pos
        for n, piece in enumerate(line.split("\t")):
            stripped = piece.strip()
            if run_together and n and RUN.match(stripped):
                start = col + piece.index(stripped[0])
                cells.append(Cell(stripped, start, start + len(stripped), lineno, "run"))
            else:
                cells.extend(_piece_cells(piece, col, lineno))
            col += len(piece) + 1
        pos += len(line) + 1
    return cells


TOKEN = re.compile(r"\S+")


def _piece_cells(piece: str, offset: int, lineno: int) -> list[Cell]:
    tokens = [(m.group(), offset + m.start(), offset + m.end()) for m in TOKEN.finditer(piece)]
    if not tokens:
        return [Cell("", offset, offset, lineno, "blank")]
    # Peel numbers off the end: "(七) 总计 0 0 0" → "(七) 总计", "0", "0", "0";
    # a leading "1." of "1. 属于国家秘密" is not a number and stays with its label.
    tail: list[Cell] = []
    while tokens and classify(tokens[-1][0]) != "text":
        word, a, b = tokens.pop()
        tail.append(Cell(word, a, b, lineno, classify(word)))
    tail.reverse()
    if not tokens:
        return tail
    a, b = tokens[0][1], tokens[-1][2]
    return [Cell(piece[a - offset : b - offset], a, b, lineno, "text")] + tail
