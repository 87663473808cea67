"""Word (.docx) files: the format most agencies write their report in.

Quirks of the format and how this reader handles them:

- **Order.**  python-docx lists paragraphs and tables separately; the report
  needs them in document order, so the reader walks the body's XML children
  (``w:p``, ``w:tbl``, and the ``w:sdt``/``w:customXml`` wrappers that content
  controls put around them).
- **Merged cells.**  A horizontal merge is one ``w:tc`` with ``w:gridSpan``; it
  prints once, followed by empty cells for the grid columns it covers.  A
  vertical merge repeats a ``w:tc`` with ``w:vMerge`` in every row it covers;
  the continuation cells print empty.  ``w:gridBefore``/``w:gridAfter`` leave
  empty cells at a row's ends.  So every row of a table has the same number of
  tab-separated cells, as in a Word-to-text export.
- **Cell text.**  A cell's paragraphs (a label wrapped by hand: "结果" /
  "维持") are joined on one line, with no space between Chinese pieces.
- **Nested tables.**  A table with one cell per row is a frame around content
  (documents pasted from web pages): its content is read as if it stood in the
  body.  A table nested inside a real table's cell is flattened into that cell.
- **Run text.**  Text is read from ``w:t``, ``w:tab`` (a space in paragraphs:
  a tab would look like a table row), ``w:br``/``w:cr`` (a new line).  Text
  boxes and the duplicate ``mc:Fallback`` copies of drawings are skipped.
- **Corrupt files.**  A bad zip, a missing part or invalid XML raise
  :class:`UnreadableFile` ("corrupt DOCX: ..."); nothing else escapes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from index.errors import ReportError, UnreadableFile
from index.formats import Extracted, Mark

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
P, TBL, TR, TC = W + "p", W + "tbl", W + "tr", W + "tc"
WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "moveTo"}  # block-level wrappers to look inside
SKIP_INSIDE = {W + "txbxContent", MC + "Fallback", W + "del", W + "moveFrom"}
VAL = W + "val"

CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
SPACES = re.compile(r"\s+")


def join_cjk(parts: list[str]) -> str:
    """Join pieces of one cell: no space between Chinese pieces, one between others."""
    out = ""
    for part in (SPACES.sub(" ", p).strip() for p in parts):
        if not part:
            continue
        if out and not (re.match(f"[{CJK}]", out[-1]) or re.match(f"[{CJK}]", part[0])):
            out += " "
        out += part
    return out


def children(el, *tags: str) -> Iterator:
    """Direct children with one of ``tags``, looking through content-control wrappers."""
    for child in el:
        if child.tag in tags:
            yield child
        elif child.tag in WRAPPERS:
            yield from children(child, *tags)


def paragraph_text(p) -> str:
    """A paragraph's visible text; soft line breaks become newlines."""
    out: list[str] = []
    for el in p.iter(W + "t", W + "tab", W + "br", W + "cr", W + "noBreakHyphen"):
        if any(a.tag in SKIP_INSIDE for a in el.iterancestors()):
            continue
        if el.tag == W + "t":
            out.append(el.text or "")
        elif el.tag == W + "tab":
            out.append(" ")
        elif el.tag == W + "noBreakHyphen":
            out.append("-")
        else:
            out.append("\n")
    return "".join(out)


def prop(el, path: str) -> str | None:
    """The w:val of a property element, "" when present without a value, None when absent."""
    found = el.find(path)
    if found is None:
        return None
    return found.get(VAL, "")


def number(value: str | None, default: int) -> int:
    try:
        return max(0, min(int(value or default), 1000))
    except ValueError:
        return default


def cell_text(tc) -> str:
    parts: list[str] = []
    for block in children(tc, P, TBL):
        if block.tag == P:
            parts.append(paragraph_text(block))
        else:  # a table inside a table's cell: its cells in reading order
            parts.extend(cell for row in table_grid(block) for cell in row)
    return join_cjk(parts)


def table_grid(tbl) -> list[list[str]]:
    """Rows of cells on the table's grid: merged cells print once, then empty cells."""
    rows: list[list[str]] = []
    for tr in children(tbl, TR):
        row = [""] * number(prop(tr, f"{W}trPr/{W}gridBefore"), 0)
        for tc in children(tr, TC):
            gridspan = number(prop(tc, f"{W}tcPr/{W}gridSpan"), 1) or 1
            vmerge = prop(tc, f"{W}tcPr/{W}vMerge")
            hmerge = prop(tc, f"{W}tcPr/{W}hMerge")  # legacy horizontal merge
            continued = vmerge not in (None, "restart") or hmerge not in (None, "restart")
            row.append("" if continued else cell_text(tc))
            row.extend([""] * (gridspan - 1))
        row.extend([""] * number(prop(tr, f"{W}trPr/{W}gridAfter"), 0))
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows if any(r)]


def is_frame(tbl) -> bool:
    """A table with one cell per row holds content, not figures."""
    rows = list(children(tbl, TR))
    return bool(rows) and all(len(list(children(tr, TC))) == 1 for tr in rows)


class Writer:
    """Collects lines and the marks that say where each came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.marks: list[Mark] = []
        self.pos = 0
        self.paragraphs = 0
        self.tables = 0

    def put(self, line: str, location: str | None = None) -> None:
        if location:
            self.marks.append(Mark(self.pos, None, location))
        self.lines.append(line)
        self.pos += len(line) + 1

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.put("")

    def blocks(self, container) -> None:
        for block in children(container, P, TBL):
            if block.tag == P:
                self.paragraphs += 1
                lines = [SPACES.sub(" ", line).strip() for line in paragraph_text(block).split("\n")]
                for line in lines:
                    if line:
                        self.put(line, f"paragraph {self.paragraphs}")
            elif is_frame(block):
                for tr in children(block, TR):
                    for tc in children(tr, TC):
                        self.blocks(tc)
            else:
                self.table(block)

    def table(self, tbl) -> None:
        rows = table_grid(tbl)
        if not rows:
            return
        self.tables += 1
        self.blank()
        for r, row in enumerate(rows, 1):
            self.put("\t".join(row), f"table {self.tables}, row {r}")
        self.put("")


def extract(data: bytes) -> Extracted:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from lxml.etree import LxmlError

        try:
            document = docx.Document(io.BytesIO(data))
        except PackageNotFoundError:
            raise UnreadableFile("corrupt DOCX: not a Word package (document part missing)") from None
        except zipfile.BadZipFile as e:
            raise UnreadableFile(f"corrupt DOCX: bad zip archive ({one_line(e)})") from None
        except KeyError as e:
            raise UnreadableFile(f"corrupt DOCX: missing part {one_line(e)}") from None
        except LxmlError as e:
            raise UnreadableFile(f"corrupt DOCX: invalid XML ({one_line(e)})") from None
        writer = Writer()
        writer.blocks(document.element.body)
    except ReportError:
        raise
    except Exception as e:  # anything python-docx or lxml raise on a damaged file
        raise UnreadableFile(f"corrupt DOCX: {type(e).__name__}: {one_line(e)}") from None
    text = "\n".join(writer.lines).rstrip("\n") + "\n"
    return Extracted(text, "docx", None, writer.marks)


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__
