"""Two reports side by side: tables 二/三/四 cell by cell, the narrative paragraph by paragraph.

    c = compare(last_year, this_year)
    c.summary()            # "78% 的段落与上年相同"
    [d for d in c.cells if d.changed]

Cells are matched by their contract path (``applications.withheld_third_party.total``):
the same cell of the national template, whatever line it was printed on.  A cell
one report has and the other has not (the 2019 and 2021 templates differ) is
shown as changed from or to "—".

Paragraphs are the narrative of ``index/paragraphs.py`` (the rule the copied-text
flag uses), aligned with difflib: *same* (equal without spaces), *changed*
(the changed words marked; ``numbers_only`` when only digits differ), *new*
(only in the later report) or *removed*.  The work is bounded: at most
``MAX_PARAGRAPHS`` per report are aligned, and a pair of paragraphs longer
than ``MAX_TOKENS`` tokens is marked changed as a whole, not word by word.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

from index.model import Report
from index.paragraphs import narrative, shape
from index.template import column_label, row_label

TABLES = {"proactive": "二、主动公开政府信息情况", "applications": "三、收到和处理政府信息公开申请情况",
          "review_litigation": "四、政府信息公开行政复议、行政诉讼情况"}  # fmt: skip
MAX_PARAGRAPHS = 2000
MAX_TOKENS = 3000
SIMILAR = 0.5  # below this, a replaced paragraph is "removed" + "new", not "changed"
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+|\S")  # a number, a latin word, or one character


@dataclass
class CellDiff:
    path: str  # the contract path
    table: str
    row: str
    column: str
    row_label: str
    column_label: str
    a: float | None
    b: float | None
    a_passage: str | None  # where each report printed it
    b_passage: str | None
    in_a: bool = True
    in_b: bool = True

    @property
    def changed(self) -> bool:
        return self.a != self.b or self.in_a != self.in_b


@dataclass
class Piece:
    text: str
    changed: bool  # removed (on the a side) or added (on the b side)


@dataclass
class ParagraphDiff:
    status: str  # "same" | "changed" | "new" | "removed"
    a: list[Piece] = field(default_factory=list)
    b: list[Piece] = field(default_factory=list)
    numbers_only: bool = False  # changed, but equal with every number taken out


@dataclass
class Comparison:
    cells: list[CellDiff]
    paragraphs: list[ParagraphDiff]
    truncated: bool = False  # more than MAX_PARAGRAPHS paragraphs: the rest not aligned

    def count(self, status: str) -> int:
        return sum(1 for p in self.paragraphs if p.status == status)

    @property
    def same_share(self) -> float | None:
        """The share of the later report's paragraphs found unchanged in the earlier one."""
        later = sum(1 for p in self.paragraphs if p.status != "removed")
        return self.count("same") / later if later else None

    def summary(self, previous_year: bool = True) -> str:
        share = self.same_share
        if share is None:
            return "没有可比较的段落。"
        than = "上年" if previous_year else "对比报告"
        return f"{share:.0%} 的段落与{than}相同"

    def changed_cells(self) -> list[CellDiff]:
        return [c for c in self.cells if c.changed]

    def to_dict(self) -> dict:
        return {
            "summary": self.summary(),
            "same_share": self.same_share,
            "paragraph_counts": {s: self.count(s) for s in ("same", "changed", "new", "removed")},
            "numbers_only": sum(1 for p in self.paragraphs if p.numbers_only),
            "truncated": self.truncated,
            "cells": [{**asdict(c), "changed": c.changed} for c in self.cells],
            "paragraphs": [asdict(p) for p in self.paragraphs],
        }


# ------------------------------------------------------------------ cells


def _labels(table: str, row: str, column: str) -> tuple[str, str]:
    return row_label(table, row), column_label(table, column)


def compare_cells(a: Report, b: Report) -> list[CellDiff]:
    """Every cell either report has, in the later report's order, then the earlier's extra ones."""
    fa, fb = a.figures(), b.figures()
    out = []
    for path in dict.fromkeys([*fb, *fa]):
        table, row, column = path.split(".", 2)
        x, y = fa.get(path), fb.get(path)
        out.append(CellDiff(path, table, row, column, *_labels(table, row, column),
                            x.value if x else None, y.value if y else None,
                            x.passage if x else None, y.passage if y else None, x is not None, y is not None))  # fmt: skip
    return out


# ------------------------------------------------------------------ paragraphs


def _words(x: str, y: str) -> tuple[list[Piece], list[Piece]]:
    """``x`` and ``y`` as pieces, the tokens only one of them has marked."""
    tx, ty = _TOKEN.findall(x), _TOKEN.findall(y)
    if len(tx) > MAX_TOKENS or len(ty) > MAX_TOKENS:
        return [Piece(x, True)], [Piece(y, True)]
    px: list[Piece] = []
    py: list[Piece] = []

    def add(pieces: list[Piece], tokens: list[str], changed: bool) -> None:
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1].changed == changed:
            pieces[-1].text += text
        else:
            pieces.append(Piece(text, changed))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, tx, ty, autojunk=False).get_opcodes():
        add(px, tx[i1:i2], op != "equal")
        add(py, ty[j1:j2], op != "equal")
    return px, py


def _similar(x: str, y: str) -> bool:
    """Alike enough to be one paragraph changed.  ``quick_ratio`` only bounds the
    real ratio (two unrelated paragraphs share most common characters), so the
    real one decides, but for paragraphs too long for it to be cheap."""
    matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return False
    return max(len(x), len(y)) > MAX_TOKENS or matcher.ratio() >= SIMILAR


def compare_paragraphs(pa: list[str], pb: list[str]) -> list[ParagraphDiff]:
    out: list[ParagraphDiff] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes():
        if op == "equal":
            out += [ParagraphDiff("same", [Piece(x, False)], [Piece(x, False)]) for x in pa[i1:i2]]
            continue
        xs, ys = pa[i1:i2], pb[j1:j2]
        for k in range(max(len(xs), len(ys))):
            x, y = (xs[k] if k < len(xs) else None), (ys[k] if k < len(ys) else None)
            if x is not None and y is not None and _similar(x, y):
                px, py = _words(x, y)
                out.append(ParagraphDiff("changed", px, py, shape(x) == shape(y)))
                continue
            if x is not None:
                out.append(ParagraphDiff("removed", a=[Piece(x, True)]))
            if y is not None:
                out.append(ParagraphDiff("new", b=[Piece(y, True)]))
    return out


def compare(a: Report, b: Report) -> Comparison:
    """``a`` the earlier report, ``b`` the later (the order only names the sides)."""
    pa, pb = narrative(a), narrative(b)
    truncated = len(pa) > MAX_PARAGRAPHS or len(pb) > MAX_PARAGRAPHS
    return Comparison(compare_cells(a, b), compare_paragraphs(pa[:MAX_PARAGRAPHS], pb[:MAX_PARAGRAPHS]), truncated)
