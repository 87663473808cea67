"""PDF files: reports printed to PDF, or scanned.

Quirks of the format and how this reader handles them:

- **No structure.**  A PDF holds positioned characters and drawn lines, not
  paragraphs and tables.  Tables in reports are drawn with ruled lines, which
  pdfplumber's ``find_tables()`` turns into cells (a merged cell appears once,
  in its top-left position, with ``None`` where it spans -- printed here as an
  empty cell).  Each table comes out one row per line, cells separated by tabs,
  in its vertical place among the page's text lines; the characters inside
  table boxes are left out of the running text so nothing is printed twice.
  A one-column "table" is a box drawn round text, and is read as text.
- **Wrapped lines.**  A paragraph's lines break at the right margin.  A line
  that reaches the margin (or stops short because the next line's first Latin
  word or number did not fit) is joined with the next line, unless that one is
  indented (Chinese paragraphs indent their first line) or starts like a
  heading ("二、", "（三）", "1．"), so paragraphs come out one per line and
  headings stay on lines of their own.  Inside a cell, wrapped label lines
  are joined the same way.
- **Fake bold.**  Titles are often "bolded" by printing every character twice,
  slightly offset; ``dedupe_chars()`` keeps one copy.
- **Page furniture.**  A lone page number as the first or last line of a page
  is dropped, so a table that runs over a page break continues as one table.
- **Provenance.**  A :class:`Mark` with the 1-based page number starts every
  page, and every table row carries its page and "table T, row R".
- **Bounds.**  More than :data:`MAX_PAGES` pages, or a page of more than
  :data:`MAX_PAGE_OBJECTS` characters and drawn lines, is refused with the
  limit it hit before the page's tables are looked for.
- **Scans.**  A PDF whose pages are images has (almost) no characters:
  :class:`NeedsOCR`.  Encrypted (password-protected), truncated or otherwise
  corrupt files raise :class:`UnreadableFile`; no pdfminer/pdfplumber
  exception escapes.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from index.errors import NeedsOCR, ReportError, UnreadableFile
from index.formats import SPACES, Extracted, Mark, join_cjk

# pdfminer logs a warning for every flaw it works round in a damaged file; the
# reader's own error (or its silence when the text came out) is what counts.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

# Bounds on one file's work: a report runs to 5-40 pages of a few thousand
# characters and lines each; the table finder's cost grows faster than the
# number of lines and rectangles on a page.
MAX_PAGES = 300
MAX_PAGE_OBJECTS = 50_000  # characters, lines, rectangles and curves on one page
MIN_CHARS_PER_PAGE = 20  # fewer non-space characters than this on average: a scan
# a line that starts like a heading or list item begins a paragraph, wherever it stands
NEW_PARAGRAPH = re.compile(r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、](?!\d)|第[一二三四五六七八九十\d]+[章节条部分])")
DASH = "-—–－―─"
PAGE_NUMBER = re.compile(rf"^[{DASH}\s]*(第\s*)?\d{{1,4}}\s*页?\s*([/／共]\s*\d{{1,4}}\s*页?)?[{DASH}\s]*$")
# "- 1 -" sharing a line with text (a header or footer on the same baseline as a title or signature)
PAGE_NUMBER_AROUND = re.compile(rf"^[{DASH}]\s*\d{{1,4}}\s*[{DASH}]\s*(?=\S)|(?<=\S)\s*[{DASH}]\s*\d{{1,4}}\s*[{DASH}]$")


def cell(value: str | None) -> str:
    return join_cjk(value.split("\n")) if value else ""


def page_items(page: Any) -> list[tuple[float, str, Any]]:
    """The page's text lines and tables, top to bottom: (top, "line"|"table", payload)."""
    tables = []
    for table in page.find_tables():
        rows = [[cell(c) for c in row] for row in table.extract()]
        if max((len(r) for r in rows), default=0) >= 2:  # a one-column "table" is a box drawn round text
            tables.append((table.bbox, [r for r in rows if any(r)]))
    boxes = [bbox for bbox, _ in tables]

    def outside_tables(obj: dict) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    text_page = page.filter(outside_tables) if boxes else page
    items: list[tuple[float, str, Any]] = [(line["top"], "line", line) for line in text_page.extract_text_lines()]
    items += [(bbox[1], "table", rows) for bbox, rows in tables if rows]
    items.sort(key=lambda item: item[0])
    # a lone page number at the top or bottom of the page is furniture
    while items and items[-1][1] == "line" and PAGE_NUMBER.match(items[-1][2]["text"]):
        items.pop()
    while items and items[0][1] == "line" and PAGE_NUMBER.match(items[0][2]["text"]):
        items.pop(0)
    return items


def leading_word_width(line: dict) -> float:
    """Width of the Latin word or number a line starts with (such words wrap whole)."""
    chars = line.get("chars") or []
    run = []
    for c in chars:
        if c["text"].isspace() or ord(c["text"][0]) > 0x2E7F:
            break
        run.append(c)
    return run[-1]["x1"] - run[0]["x0"] if run else 0.0


class Writer:
    """Lays pages out as text and keeps the marks; state carries over page breaks."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.marks: list[Mark] = []
        self.pos = 0  # offset of the next line
        self.tables = 0
        self.rows = 0
        self.state: str | None = None  # what the text so far ends with: "line" | "table"
        self.gap = 0.0  # how far the last line stopped short of the right margin
        self.size = 0.0  # and its height
        self.open_columns = 0  # columns of the table that ended the last page
        self.left = 0.0  # the text's margins, from the last page with enough lines
        self.right: float | None = None

    def put(self, line: str, mark: Mark | None = None) -> None:
        if mark:
            mark.offset = self.pos
            self.marks.append(mark)
        self.lines.append(line)
        self.pos += len(line) + 1

    def page(self, number: int, items: list[tuple[float, str, Any]]) -> None:
        lines = [payload for _, kind, payload in items if kind == "line"]
        if len(lines) >= 5 or self.right is None:  # enough lines to tell the page's margins
            self.left = min((line["x0"] for line in lines), default=0.0)
            self.right = max((line["x1"] for line in lines), default=0.0)
        left, right = self.left, self.right  # else those of the pages before
        # a table at the top of the page with as many columns as the one that ended the last page goes on
        continued = bool(items) and items[0][1] == "table" and self.open_columns == len(items[0][2][0])
        marked = False
        for i, (_, kind, payload) in enumerate(items):
            if kind == "line":
                text = PAGE_NUMBER_AROUND.sub("", SPACES.sub(" ", payload["text"]).strip())
                size = max(payload["bottom"] - payload["top"], 1.0)
                at_margin = payload["x0"] <= left + size * 0.8
                # the last line was full: it reached the margin, or the word this line starts with did not fit there
                full = self.gap <= self.size * 1.5 or leading_word_width(payload) > self.gap
                if self.state == "line" and full and at_margin and not NEW_PARAGRAPH.match(text):  # it goes on
                    old = self.lines[-1]
                    joined = join_cjk([old, text])
                    if not marked:  # the page begins mid-paragraph
                        self.marks.append(Mark(self.pos - 1 + len(joined) - len(old) - len(text), number))
                        marked = True
                    self.lines[-1] = joined
                    self.pos += len(joined) - len(old)
                else:
                    if self.state == "table":
                        self.put("")
                    if not marked or self.state == "table":  # after a table: no row location any more
                        self.marks.append(Mark(self.pos, number))
                        marked = True
                    self.put(text)
                self.gap, self.size = right - payload["x1"], size
                self.state = "line"
                continue
            if not (i == 0 and continued):
                self.tables += 1
                self.rows = 0
                if self.lines and self.lines[-1] != "":
                    self.put("")
            if not marked:
                self.marks.append(Mark(self.pos, number))
                marked = True
            for row in payload:
                self.rows += 1
                self.put("\t".join(row), Mark(0, number, f"table {self.tables}, row {self.rows}"))
            self.state = "table"
        if not marked:  # a page without text
            self.marks.append(Mark(self.pos, number))
        self.open_columns = len(items[-1][2][0]) if items and items[-1][1] == "table" else 0


def extract(data: bytes) -> Extracted:
    try:
        return read(data)
    except ReportError:
        raise
    except Exception as e:
        raise UnreadableFile(reason(e)) from None


def read(data: bytes) -> Extracted:
    import pdfplumber

    writer = Writer()
    chars = 0
    graphics = False
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = pdf.pages
        if not pages:
            raise UnreadableFile("corrupt PDF: no pages")
        if len(pages) > MAX_PAGES:
            raise UnreadableFile(f"PDF of {len(pages)} pages (limit {MAX_PAGES}): longer than any report")
        for number, original in enumerate(pages, 1):
            objects = sum(len(original.objects.get(kind, ())) for kind in ("char", "line", "rect", "curve"))
            if objects > MAX_PAGE_OBJECTS:
                raise UnreadableFile(f"PDF page {number} holds {objects} characters and drawn lines (limit {MAX_PAGE_OBJECTS})")
            page = original.dedupe_chars()
            chars += sum(1 for c in page.chars if not c["text"].isspace())
            graphics = graphics or bool(page.images) or len(page.curves) > 20
            writer.page(number, page_items(page))
            original.close()  # free the page's parsed objects
    if chars < MIN_CHARS_PER_PAGE * len(pages):
        if graphics:
            raise NeedsOCR("scanned PDF without a text layer: needs OCR")
        raise UnreadableFile("PDF without text: its pages hold no characters")
    text = "\n".join(writer.lines).strip("\n") + "\n"
    return Extracted(text, "pdf", None, writer.marks)


def reason(e: BaseException) -> str:
    """A one-line reason for a pdfminer/pdfplumber failure."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psexceptions import PSEOF
    from pdfplumber.utils.exceptions import PdfminerException

    while isinstance(e, PdfminerException) and e.args and isinstance(e.args[0], BaseException):
        e = e.args[0]
    if isinstance(e, PDFPasswordIncorrect):
        return "encrypted PDF: it needs a password to open"
    if isinstance(e, PDFEncryptionError):
        return f"encrypted PDF: {one_line(e)}"
    if isinstance(e, PSEOF):
        return "corrupt PDF: the file ends too early (truncated download?)"
    return f"corrupt PDF: {one_line(e)}"


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())[:200]
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
