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
- **List numbers.**  Headings and labels numbered automatically ("一、",
  "（二）", "3．") carry no number in their text; the reader renders it from
  ``numbering.xml`` (Chinese counting, decimal, circled, letters, roman).
- **Run text.**  Text is read from ``w:t``, ``w:tab`` (a space in paragraphs:
  a tab would look like a table row), ``w:br``/``w:cr`` (a new line).  Text
  boxes and the duplicate ``mc:Fallback`` copies of drawings are skipped.
- **Corrupt files.**  A bad zip, a missing part or invalid XML raise
  :class:`UnreadableFile` ("corrupt DOCX: ..."); nothing else escapes.
- **Zip bombs.**  python-docx inflates every part of the package and parses
  the XML ones whole.  Before it does, the sizes the zip's directory declares
  are checked against :data:`MAX_UNZIPPED`, :data:`MAX_XML_PART` and
  :data:`MAX_RATIO`.  Those declared sizes bind: :mod:`zipfile` never inflates
  a part past its declared size (a part that lies fails its CRC and is refused
  as corrupt).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from index.errors import ReportError, UnreadableFile
from index.formats import SPACES, Extracted, Mark, join_cjk

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
P, TBL, TR, TC = W + "p", W + "tbl", W + "tr", W + "tc"
WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "moveTo"}  # block-level wrappers to look inside
SKIP_INSIDE = {W + "txbxContent", MC + "Fallback", W + "del", W + "moveFrom"}
VAL = W + "val"

MB = 1024 * 1024
# A report's document.xml is well under 5 MB; its images a few MB more.
MAX_UNZIPPED = 200 * MB  # every part together, inflated
MAX_XML_PART = 40 * MB  # one XML part, which lxml holds as a tree several times its size
MAX_RATIO = 200  # inflated / compressed, for a part over 1 MB: XML compresses 10-50x, a bomb 1000x

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


DIGITS = "零一二三四五六七八九"
LEGAL = "零壹贰叁肆伍陆柒捌玖"
STEMS = "甲乙丙丁戊己庚辛壬癸"


def chinese(n: int, digits: str = DIGITS, ten: str = "十") -> str:
    if n >= 100 or n < 0:
        return str(n)
    tens, units = divmod(n, 10)
    if not tens:
        return digits[units]
    return ("" if tens == 1 else digits[tens]) + ten + (digits[units] if units else "")


def roman(n: int) -> str:
    out = ""
    for value, numeral in [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]:
        while n >= value:
            out, n = out + numeral, n - value
    return out


def format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting", "taiwaneseCountingThousand"):
        return chinese(n)
    if fmt == "chineseLegalSimplified":
        return chinese(n, LEGAL, "拾")
    if fmt in ("ideographTraditional",) and 1 <= n <= 10:
        return STEMS[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperLetter", "lowerLetter") and n >= 1:
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman") and n >= 1:
        return roman(n) if fmt == "upperRoman" else roman(n).lower()
    return str(n)


class Numbering:
    """Word's automatic list numbers ("一、", "（二）", "3．"), which are not in the text.

    Reports number their headings and table labels this way as often as by
    hand; without the numbers "一、总体情况" would read "总体情况".
    """

    def __init__(self, document) -> None:
        self.levels: dict[tuple[str, int], tuple[int, str, str]] = {}  # (abstractNumId, ilvl) -> (start, numFmt, lvlText)
        self.nums: dict[str, str] = {}  # numId -> abstractNumId
        self.styles: dict[str, tuple[str | None, str | None]] = {}  # styleId -> (numId, ilvl)
        self.counters: dict[str, list[int | None]] = {}  # abstractNumId -> the count at each level
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError):  # no numbering part: nothing is numbered
            numbering = None
        if numbering is not None:
            for abstract in numbering.findall(W + "abstractNum"):
                aid = abstract.get(W + "abstractNumId", "")
                for lvl in abstract.findall(W + "lvl"):
                    level = number(lvl.get(W + "ilvl"), 0)
                    self.levels[(aid, level)] = (number(prop(lvl, W + "start"), 1), prop(lvl, W + "numFmt") or "decimal", prop(lvl, W + "lvlText") or "")
            for num in numbering.findall(W + "num"):
                self.nums[num.get(W + "numId", "")] = prop(num, W + "abstractNumId") or ""
        for style in document.styles.element.findall(W + "style"):
            if style.find(f"{W}pPr/{W}numPr") is not None:
                self.styles[style.get(W + "styleId", "")] = (prop(style, f"{W}pPr/{W}numPr/{W}numId"), prop(style, f"{W}pPr/{W}numPr/{W}ilvl"))

    def label(self, p) -> str:
        """The number Word shows before paragraph ``p`` ("" for none or a bullet); counts it."""
        num_id, ilvl = prop(p, f"{W}pPr/{W}numPr/{W}numId"), prop(p, f"{W}pPr/{W}numPr/{W}ilvl")
        if num_id is None:
            num_id, style_ilvl = self.styles.get(prop(p, f"{W}pPr/{W}pStyle") or "", (None, None))
            ilvl = ilvl if ilvl is not None else style_ilvl
        aid = self.nums.get(num_id or "0")
        level = min(number(ilvl, 0), 8)
        if aid is None or (aid, level) not in self.levels:
            return ""
        counts = self.counters.setdefault(aid, [None] * 9)
        current = counts[level]
        counts[level] = self.levels[(aid, level)][0] if current is None else current + 1
        counts[level + 1 :] = [None] * (8 - level)  # a new item restarts the levels below it
        _, fmt, text = self.levels[(aid, level)]
        if fmt in ("bullet", "none"):
            return ""

        def fill(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            k_start, k_fmt, _ = self.levels.get((aid, k), (1, "decimal", ""))
            count = counts[k]
            return format_number(k_start if count is None else count, k_fmt)

        return re.sub(r"%([1-9])", fill, text)


def numbered(p, numbering: Numbering | None) -> str:
    """A paragraph's text with its list number in front."""
    text = paragraph_text(p)
    label = numbering.label(p) if numbering else ""
    return join_cjk([label, text]) if label and text.strip() else text


def cell_text(tc, numbering: Numbering | None = None) -> str:
    parts: list[str] = []
    for block in children(tc, P, TBL):
        if block.tag == P:
            parts.append(numbered(block, numbering))
        else:  # a table inside a table's cell: its cells in reading order
            parts.extend(cell for row in table_grid(block, numbering) for cell in row)
    return join_cjk(parts)


def table_grid(tbl, numbering: Numbering | None = None) -> list[list[str]]:
    """Rows of cells on the table's grid: merged cells print once, then empty cells."""
    rows: list[list[str]] = []
    for tr in children(tbl, TR):
        row = [""] * number(prop(tr, f"{W}trPr/{W}gridBefore"), 0)
        for tc in children(tr, TC):
            gridspan = number(prop(tc, f"{W}tcPr/{W}gridSpan"), 1) or 1
            vmerge = prop(tc, f"{W}tcPr/{W}vMerge")
            hmerge = prop(tc, f"{W}tcPr/{W}hMerge")  # legacy horizontal merge
            continued = vmerge not in (None, "restart") or hmerge not in (None, "restart")
            row.append("" if continued else cell_text(tc, numbering))
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

    def __init__(self, numbering: Numbering | None = None) -> None:
        self.numbering = numbering
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
                lines = [SPACES.sub(" ", line).strip() for line in numbered(block, self.numbering).split("\n")]
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
        rows = table_grid(tbl, self.numbering)
        if not rows:
            return
        self.tables += 1
        self.blank()
        for r, row in enumerate(rows, 1):
            self.put("\t".join(row), f"table {self.tables}, row {r}")
        self.put("")


def check_sizes(data: bytes) -> None:
    """Refuse a package that would inflate past the caps, before anything is inflated."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as e:
        raise UnreadableFile(f"corrupt DOCX: bad zip archive ({one_line(e)})") from None
    total = sum(p.file_size for p in parts)
    if total > MAX_UNZIPPED:
        raise UnreadableFile(f"DOCX inflates to {total / MB:.0f} MB (limit {MAX_UNZIPPED // MB} MB): a zip bomb or no report")
    for p in parts:
        if p.filename.endswith((".xml", ".rels")) and p.file_size > MAX_XML_PART:
            raise UnreadableFile(f"DOCX part {p.filename} inflates to {p.file_size / MB:.0f} MB (limit {MAX_XML_PART // MB} MB)")
        if p.file_size > MB and p.file_size > MAX_RATIO * max(p.compress_size, 1):
            raise UnreadableFile(f"DOCX part {p.filename} inflates {p.file_size // max(p.compress_size, 1)}-fold (limit {MAX_RATIO}): a zip bomb")


def extract(data: bytes) -> Extracted:
    check_sizes(data)
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
        writer = Writer(Numbering(document))
        writer.blocks(document.element.body)
    except ReportError:
        raise
    except Exception as e:  # anything python-docx or lxml raise on a damaged file
        raise UnreadableFile(f"corrupt DOCX: {type(e).__name__}: {one_line(e)}") from None
    text = "\n".join(writer.lines).rstrip("\n") + "\n"
    return Extracted(text, "docx", None, writer.marks)


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__
