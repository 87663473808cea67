"""Readers: the bytes of one file in, plain text out.

Every reader returns an :class:`Extracted`: the report's text, with tables laid
out the way a Word export lays them out (one table row per line, cells separated
by tabs, a merged cell printed once and left blank where it spans), so that one
table parser (``index/tables.py``) reads every format.  ``marks`` record where
each page (PDF) or element (HTML, DOCX) begins, for provenance.  Crawled text
(``crawled.py``) cannot separate its cells: it puts each table row's digits in
one cell and says so with ``run_together``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
SPACES = re.compile(r"\s+")


@dataclass
class Mark:
    """From ``offset`` in ``Extracted.text`` on, text comes from this page/element."""

    offset: int
    page: int | None = None  # 1-based PDF page
    location: str | None = None  # e.g. "table 1, row 3" or "paragraph 12"


@dataclass
class Extracted:
    text: str
    format: str  # "txt" | "html" | "docx" | "pdf"
    encoding: str | None = None
    marks: list[Mark] = field(default_factory=list)
    # Table cells run together with no separator (crawled text): a row's digits
    # are one cell, split by the table's arithmetic (index/runs.py).
    run_together: bool = False
    posted: str | None = None  # ISO date the page says it was posted (a crawler's header), if any
    warnings: list[str] = field(default_factory=list)  # what reading it had to work round (bad bytes)

    def mark_at(self, offset: int) -> Mark | None:
        """The last mark at or before ``offset``."""
        found = None
        for m in self.marks:
            if m.offset > offset:
                break
            found = m
        return found


def join_cjk(parts: list[str]) -> str:
    """Join pieces of one line or cell: no space between Chinese pieces, one between others.

    Word, HTML and PDF all break Chinese text into runs (styling, line wraps);
    a space inserted between two Chinese runs would be a space the agency never
    typed.
    """
    out = ""
    for part in (SPACES.sub(" ", p).strip() for p in parts):
        if not part:
            continue
        if out and not (re.match(f"[{CJK}]", out[-1]) or re.match(f"[{CJK}]", part[0])):
            out += " "
        out += part
    return out
