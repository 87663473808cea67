"""Cut a report into sections and passages, the units a search hit links to.

A passage is a heading, a paragraph (one line of prose) or a table row (from
its label to its last number, however many lines the export spread it over).
Table headers become one "table" passage each.  Passage ids are numbered in
reading order, so the same file always yields the same ids.
"""

from __future__ import annotations

from index.formats import Extracted
from index.model import Passage, Section
from index.normalize import OffsetMap
from index.tables import TableRead
from index.template import heading_number


def find_sections(text: str) -> list[Section]:
    found: list[tuple[int, str, int]] = []
    pos = 0
    for line in text.split("\n"):
        number = heading_number(line)
        # Sections come in order; a numbered list item further down is not a heading.
        if number and (not found or number > found[-1][0]):
            found.append((number, line.strip(), pos + len(line) - len(line.lstrip())))
        pos += len(line) + 1
    sections = []
    for i, (number, title, start) in enumerate(found):
        end = found[i + 1][2] if i + 1 < len(found) else len(text)
        sections.append(Section(number, title, start, end))
    return sections


def build_passages(
    text: str,
    title_span: tuple[int, int] | None,
    tables: list[TableRead],
    sections: list[Section],
    extracted: Extracted | None = None,
    offsets: OffsetMap | None = None,
) -> list[Passage]:
    spans: list[tuple[int, int, str, str | None]] = []  # start, end, kind, row
    claimed: list[tuple[int, int]] = []
    for t in tables:
        first_row = min((r.start for r in t.rows), default=t.end)
        if first_row > t.start:
            spans.append((t.start, first_row, "table", None))
        for r in t.rows:
            spans.append((r.start, r.end, "row", r.key))
        claimed.append((t.start, max([t.end] + [r.end for r in t.rows])))
    if title_span:
        spans.append((title_span[0], title_span[1], "title", None))
        claimed.append(title_span)
    heading_starts = {s.start for s in sections}

    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            a = pos + len(line) - len(line.lstrip())
            b = a + len(stripped)
            if not any(a < ce and cs < b for cs, ce in claimed):
                spans.append((a, b, "heading" if a in heading_starts else "paragraph", None))
        pos += len(line) + 1

    spans.sort()
    passages = []
    for i, (a, b, kind, row) in enumerate(spans, 1):
        section = next((s.number for s in reversed(sections) if s.start <= a), None)
        page = location = None
        if extracted and extracted.marks and offsets:
            mark = extracted.mark_at(offsets[min(a, len(offsets) - 1)])
            if mark:
                page, location = mark.page, mark.location
        passages.append(Passage(f"p{i}", kind, a, b, section, row, page, location))
    return passages
