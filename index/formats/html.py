"""HTML pages: the report as a government portal publishes it.

Quirks of the format and how this reader handles them:

- **Encoding.**  Pages from older CMSs are GBK/GB2312 and say so in a
  ``<meta charset>`` or ``http-equiv`` tag -- or say ``utf-8`` while being GBK,
  or say nothing.  Bytes that are valid UTF-8 are read as UTF-8 (Chinese text in
  GBK is practically never valid UTF-8); otherwise the declared charset is used
  if the bytes decode under it (a stray bad byte is tolerated); otherwise the
  encoding is detected from the bytes (:func:`index.formats.text.decode`).  GBK and GB2312 are read as
  GB18030, their superset.
- **Page chrome.**  The report sits inside the portal's header, menus,
  breadcrumb, share bar and footer.  No per-site selectors: the reader drops
  elements that are chrome by tag (nav, header, footer, aside, form, ...) or by
  a class/id/role that reads like navigation, then picks the deepest element
  that still holds most of the page's non-link text (link text does not count:
  menus and "related articles" lists are links).  The article title usually
  sits just before that block, so the nearest preceding heading that names a
  year's report is put back on top (or else the ``<title>``'s part that does).  Short leftover lines such as "【字体：大 中 小】",
  "打印本页", "分享到" are dropped.
- **Tables.**  ``rowspan``/``colspan`` are expanded into a rectangular grid: a
  merged cell's text stands in its top-left position and the positions it
  spans are empty cells, so every row has the same number of cells.  Rows come
  out one per line, cells separated by tabs.  Old portals lay whole pages out
  with tables; a table with a nested table, a single column, or a cell holding
  a long text is layout, and its cells are read as ordinary blocks.
- **Hostile pages.**  A page of more than :data:`MAX_ELEMENTS` elements is
  refused before a tree is built (a report page has a few thousand).  What
  is nested deeper than :data:`MAX_DEPTH` levels (a report sits 10-40 deep)
  is read as plain text, its blocks still on lines of their own: the chrome
  and table heuristics look at an element's whole subtree, so their cost grows
  with depth, and a page nested 100 000 deep took hours.  A table whose merged
  cells span more than :data:`MAX_GRID_CELLS` positions is refused.
- **Attachments.**  Many portals publish only a short notice linking to the
  report as a PDF/Word file.  Such a page raises :class:`NotAReport` naming the
  attachment, so the user knows to fetch it.
"""

from __future__ import annotations

import codecs
import posixpath
import re
import warnings
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PreformattedString, Tag

from index.errors import NotAReport, UnreadableFile
from index.formats import CJK, SPACES, Extracted, Mark, join_cjk
from index.formats.text import BOMS, replaced_warning
from index.formats.text import decode as detect_and_decode

# --- encoding ---------------------------------------------------------------

META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
GB_NAMES = {"gbk", "gb2312", "gb_2312", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "csgb2312", "gb18030", "x-euc-cn"}


def decode_page(data: bytes) -> tuple[str, str, int]:
    """The page's text, the encoding it was read with, and how many bad bytes were replaced."""
    if any(data.startswith(bom) for bom, _ in BOMS):
        return detect_and_decode(data)
    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    head = data[:8192]
    found = META_CHARSET.search(head) or XML_ENCODING.search(head)
    if found:
        name = found.group(1).decode("ascii", "ignore").lower()
        if name in GB_NAMES:
            name = "gb18030"  # superset of GBK/GB2312; pages labelled gb2312 often use GBK characters
        try:
            codecs.lookup(name)
            text = data.decode(name, errors="replace")
            # a few bad bytes (a page cut off mid-character) do not make the label wrong
            bad = text.count("\ufffd")
            if bad <= max(2, len(data) // 1000):
                return text, name, bad
        except LookupError:
            pass  # unknown label: tell the encoding from the bytes
    return detect_and_decode(data)


# --- text helpers -----------------------------------------------------------

CJK_BREAK = re.compile(rf"(?<=[{CJK}])[ \t\r\f\v]*\n\s*(?=[{CJK}])")


def is_cjk(ch: str) -> bool:
    return bool(re.match(f"[{CJK}]", ch))


def clean(text: str) -> str:
    """Collapse whitespace; a source line break between two Chinese characters is no space."""
    return SPACES.sub(" ", CJK_BREAK.sub("", text)).strip()


def visible_len(text: str) -> int:
    return len(SPACES.sub("", text))


# --- chrome -----------------------------------------------------------------

ALWAYS_DROP = ["script", "style", "noscript", "template", "head", "link", "meta", "svg", "canvas", "button", "select", "input", "textarea", "option", "map", "object", "embed", "iframe", "frame", "frameset", "audio", "video", "img"]
CHROME_TAGS = ["nav", "header", "footer", "aside", "form", "menu"]
# class/id words: substrings for distinctive ones, whole tokens for short ambiguous ones
CHROME_SUBSTR = ("nav", "menu", "footer", "breadcrumb", "crumb", "share", "toolbar", "header", "sidebar", "banner", "copyright")
CHROME_TOKENS = {"top", "foot", "bottom", "side", "tools", "tool", "position", "location", "search", "print", "dqwz", "fx", "bshare", "links", "friendlink", "login"}
CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "toolbar", "complementary"}
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# Lines left over from chrome.  Strong phrases never occur in a report's short lines;
# weak ones do ("网站无障碍改造"), so a line goes only if little else is on it.
STRONG_CHROME = re.compile(
    r"字[体号][:：]?\s*[\[【(（]?\s*[大中小]\s*[\]】)）]?\s*[\[【(（]?\s*[大中小]|打印本页|打印此页|关闭窗口|关闭本页|分享到|"
    r"当前位置|您现在的位置|您当前的位置|您的位置|所在位置|浏览次数|阅读次数|访问次数|返回顶部|加入收藏|设为首页|"
    r"扫一扫在手机|ICP备|网站标识码|公网安备|主办单位|【打印】|【关闭】|\[打印\]|\[关闭\]"
)
WEAK_CHROME = re.compile(r"无障碍|网站地图|联系我们|微信|微博|QQ空间|收藏|打印|关闭|分享|首页|繁體|简体|English|长者模式|适老化|RSS")
PUNCT = re.compile(r"[\W_]+")  # whitespace and punctuation, ASCII or Chinese


def is_chrome_line(line: str) -> bool:
    if STRONG_CHROME.search(line) and len(line) < 120:
        return True
    if WEAK_CHROME.search(line):
        rest = PUNCT.sub("", WEAK_CHROME.sub("", line))
        return len(rest) < 4
    return False


def looks_like_chrome(tag: Tag) -> bool:
    if tag.name in CHROME_TAGS:
        return True
    role = (tag.get("role") or "").lower()
    if role in CHROME_ROLES:
        return True
    classes = tag.get("class") or []
    words = " ".join([*classes, tag.get("id") or ""]).lower()
    if any(s in words for s in CHROME_SUBSTR):
        return True
    return any(t in CHROME_TOKENS for t in re.split(r"[^a-z0-9]+", words))


class Measures:
    """Per element, measured in one pass from the leaves up: text and link-text length, whether it holds blocks.

    The chrome and main-block heuristics ask these of every element; asked of
    bs4 one element at a time, each answer walks the element's whole subtree.
    Valid until the tree changes.
    """

    def __init__(self, root: Tag) -> None:
        self.text: dict[int, int] = {}
        self.links: dict[int, int] = {}
        self.blocks: dict[int, bool] = {}
        for node in reversed([root, *root.descendants]):
            if not isinstance(node, Tag):
                continue
            text = links = 0
            blocks = False
            for child in node.contents:
                if isinstance(child, Tag):
                    key = id(child)
                    text += self.text[key]
                    links += self.links[key]
                    blocks = blocks or self.blocks[key] or child.name in BLOCK_TAGS or child.name == "table"
                elif not isinstance(child, PreformattedString):
                    text += visible_len(child)
            key = id(node)
            self.text[key], self.links[key], self.blocks[key] = text, text if node.name == "a" else links, blocks

    def nonlink_len(self, tag: Tag) -> int:
        """Visible characters of text that is not inside a link."""
        return 0 if tag.name == "a" else self.text[id(tag)] - self.links[id(tag)]

    def holds_blocks(self, tag: Tag) -> bool:
        """An element made of paragraphs or tables, not a paragraph itself."""
        return tag.name not in TEXT_BLOCKS and self.blocks[id(tag)]


# --- tables -----------------------------------------------------------------


def own_rows(table: Tag) -> list[Tag]:
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def own_cells(tr: Tag) -> list[Tag]:
    return tr.find_all(["td", "th"], recursive=False)


def is_data_table(table: Tag) -> bool:
    """A table of figures, not one used to lay out the page."""
    if table.find("table") is not None:
        return False
    rows = own_rows(table)
    if not rows or max(len(own_cells(tr)) for tr in rows) < 2:
        return False
    return all(visible_len(td.get_text()) <= 500 for tr in rows for td in own_cells(tr))


def span(cell: Tag, attr: str, limit: int) -> int:
    found = re.match(r"\s*(\d{1,6})", str(cell.get(attr) or "1"))  # rowspan="99…9" is clipped below, not int()-ed whole
    n = int(found.group(1)) if found else 1
    if n == 0 and attr == "rowspan":  # rowspan="0": to the end of the table
        return limit
    return max(1, min(n, limit))


MAX_GRID_CELLS = 100_000  # the section-3 table has 175; merged cells must not blow a page up to millions


def table_grid(table: Tag) -> list[list[str]]:
    """Rows of cells, merged cells expanded: text top-left, "" where the cell spans."""
    rows = own_rows(table)
    taken: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(rows):
        c = 0
        for cell in own_cells(tr):
            while (r, c) in taken:
                c += 1
            rs, cs = span(cell, "rowspan", len(rows) - r), span(cell, "colspan", 1000)
            if len(taken) + rs * cs > MAX_GRID_CELLS:
                raise UnreadableFile(f"HTML table spans more than {MAX_GRID_CELLS} cells (rowspan/colspan): no report table is that large")
            text = cell_text(cell)
            for dr in range(rs):
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = "" if dr or dc else text
            c += cs
    if not taken:
        return []
    ncols = max(c for _, c in taken) + 1
    grid = [[taken.get((r, c), "") for c in range(ncols)] for r in range(len(rows))]
    while ncols > 1 and all(not row[-1] for row in grid):  # stray empty last column
        ncols -= 1
        grid = [row[:ncols] for row in grid]
    return [row for row in grid if any(row)]


def cell_text(cell: Tag) -> str:
    """A cell's text on one line: its paragraphs and <br> lines joined."""
    walker = Walker()
    walker.walk(cell)
    walker.flush()
    parts = [text for kind, text in walker.blocks if kind == "p"]
    return join_cjk(parts)


# --- blocks -----------------------------------------------------------------

BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "blockquote", "pre", "address", "center", "figure", "figcaption", "caption", "hr", "tr", "td", "th", "tbody",
    "thead", "tfoot", "body", "html", "form", "fieldset", "legend", "details", "summary", "header", "footer", "nav", "aside",
}  # fmt: skip


FLUSH = object()  # marker on the walk's stack: end of a block element


class Walker:
    """Turns an element into blocks: ("p", line) and ("table", rows).

    The walk keeps its own stack: pages exported from Word can nest elements
    thousands deep, past Python's recursion limit.
    """

    def __init__(self) -> None:
        self.blocks: list[tuple[str, object]] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        text = clean("".join(self.buf))
        self.buf = []
        if text:
            self.blocks.append(("p", text))

    def walk(self, root: Tag) -> None:
        stack: list[object] = list(reversed(list(root.children)))
        while stack:
            node = stack.pop()
            if node is FLUSH:
                self.flush()
            elif isinstance(node, NavigableString):
                if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                    self.buf.append(str(node))
            elif not isinstance(node, Tag):
                continue
            elif node.name == "br":
                self.flush()
            elif node.name == "table":
                self.flush()
                if is_data_table(node):
                    for caption in node.find_all("caption", recursive=False):
                        self.buf.append(caption.get_text(" "))
                        self.flush()
                    self.blocks.append(("table", table_grid(node)))
                else:  # layout: its cells are ordinary blocks
                    for td in reversed([td for tr in own_rows(node) for td in own_cells(tr)]):
                        stack.append(FLUSH)
                        stack.extend(reversed(list(td.children)))
            elif node.name in BLOCK_TAGS:
                self.flush()
                stack.append(FLUSH)
                stack.extend(reversed(list(node.children)))
            else:
                stack.extend(reversed(list(node.children)))


# --- the page ---------------------------------------------------------------

ATTACHMENT = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar)$", re.I)
MIN_REPORT_CHARS = 800  # a report's text with its tables runs to thousands of characters


def attachment_name(tag: Tag, url: str) -> str:
    text = clean(tag.get_text()) if tag.name == "a" else ""
    if text and (ATTACHMENT.search(text) or "报告" in text):
        return text
    return unquote(posixpath.basename(urlsplit(url).path)) or url


def attachments(root: Tag) -> list[tuple[Tag, str]]:
    """Links and embeds that point at a document file."""
    found = []
    for tag in root.find_all(["a", "iframe", "embed", "object"]):
        url = str(tag.get("href") or tag.get("src") or tag.get("data") or "").strip()
        if url and ATTACHMENT.search(urlsplit(url).path):
            found.append((tag, url))
    return found


def prune(body: Tag) -> None:
    """Drop what is never the report: scripts, hidden elements, chrome."""
    for tag in body.find_all(ALWAYS_DROP):
        tag.decompose()
    measures = Measures(body)
    total = measures.nonlink_len(body)
    dropped: dict[int, Tag] = {}
    for tag in body.find_all(True):
        if id(tag.parent) in dropped:  # inside an element already dropped
            dropped[id(tag)] = tag
            continue
        hidden = tag.has_attr("hidden") or HIDDEN_STYLE.search(str(tag.get("style") or ""))
        # a wrapper that holds most of the text stays (ASP.NET pages put all in one <form>;
        # some CMSs hide the article until a script shows it)
        if (hidden or looks_like_chrome(tag)) and measures.nonlink_len(tag) < 0.5 * total:
            dropped[id(tag)] = tag
    for tag in [t for t in dropped.values() if id(t.parent) not in dropped]:  # the outermost: their subtrees go with them
        tag.decompose()


TEXT_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "pre", "caption", "figcaption", "address", "a"}


def main_block(body: Tag) -> Tag:
    """The deepest container of blocks that still holds most of the page's non-link text."""
    measures = Measures(body)
    total = measures.nonlink_len(body)
    node = body
    while True:
        kids = [k for k in node.find_all(True, recursive=False) if measures.holds_blocks(k) and not (k.name == "table" and is_data_table(k))]
        if not kids:
            return node
        best = max(kids, key=measures.nonlink_len)
        if measures.nonlink_len(best) < 0.6 * total:
            return node
        node = best


REPORT_TITLE = re.compile(r"(19|20)\d\d\s*年.*报告")
POSITION = "data-nianbao-position"  # document order, stamped on every element before the chrome goes


def title_candidates(body: Tag) -> list[tuple[int, str]]:
    """Headings that name a year's report, with their place in document order.

    Taken before the chrome goes: CMSs often wrap the article title in a
    "header" block (``<div class="article-header"><h1>…``) that looks like chrome.
    """
    found = []
    for i, tag in enumerate(body.find_all(True)):
        tag[POSITION] = str(i)
        words = " ".join([*(tag.get("class") or []), str(tag.get("id") or "")]).lower()
        if tag.name in ("h1", "h2", "h3") or "title" in words:
            text = clean(tag.get_text())
            if 4 <= len(text) <= 120 and REPORT_TITLE.search(text) and tag.find("a") is None and tag.find_parent("a") is None:
                found.append((i, text))
    return found


def title_before(block: Tag, candidates: list[tuple[int, str]], page_title: str) -> str | None:
    """The article's title when it stands outside (before) the content block."""
    position = int(block.get(POSITION) or 0)
    before = [text for i, text in candidates if i < position]
    if before:
        return before[-1]
    for piece in re.split(r"\s*[_|｜—–-]+\s*", page_title):
        if REPORT_TITLE.search(piece):
            return piece.strip()
    return None


MAX_ELEMENTS = 100_000  # the real portal pages in tests/fixtures/real have 1 100-1 600
MAX_DEPTH = 100
START_TAG = re.compile(r"<[A-Za-z]")


def flatten_deep(soup: BeautifulSoup) -> int:
    """Read what lies deeper than :data:`MAX_DEPTH` as text and line breaks; how many subtrees were flattened.

    One pass down to that depth, then one over each deep subtree: linear in
    the page.
    """
    flattened = 0
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        kids = [k for k in node.contents if isinstance(k, Tag)]
        if depth < MAX_DEPTH or not kids:
            stack.extend((k, depth + 1) for k in kids)
            continue
        pieces: list[str | None] = []  # None: a line break
        for d in node.descendants:
            if isinstance(d, Tag):
                if d.name in BLOCK_TAGS or d.name in ("br", "table"):
                    while pieces and pieces[-1] is not None and not pieces[-1].strip():
                        pieces.pop()  # the indentation between tags
                    if pieces and pieces[-1] is not None:
                        pieces.append(None)  # one break for a run of nested blocks
            elif not isinstance(d, PreformattedString) and d.parent.name not in ALWAYS_DROP:
                pieces.append(str(d))
        node.clear()
        node.extend([soup.new_tag("br") if p is None else NavigableString(p) for p in pieces])
        flattened += 1
    return flattened


def extract(data: bytes) -> Extracted:
    text, encoding, bad = decode_page(data)
    elements = len(START_TAG.findall(text))
    if elements > MAX_ELEMENTS:
        raise UnreadableFile(f"HTML page of {elements} elements (limit {MAX_ELEMENTS}): no report page is that large")
    with warnings.catch_warnings():
        # An XHTML page opens with <?xml ...?>; it is still a web page, read as one.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "lxml")
    flattened = flatten_deep(soup)
    page_title = clean(soup.title.get_text()) if soup.title else ""
    body = soup.body or soup
    embedded = [(t, u) for t, u in attachments(body) if t.name != "a"]  # iframes are dropped with the chrome
    titles = title_candidates(body)
    prune(body)
    block = main_block(body)
    walker = Walker()
    walker.walk(block)
    walker.flush()
    blocks = [(kind, value) for kind, value in walker.blocks if not (kind == "p" and is_chrome_line(str(value)))]

    if text_size(blocks) < MIN_REPORT_CHARS:
        links = attachments(block) or attachments(body)
        links = embedded + links
        if links:
            links.sort(key=lambda tu: "报告" not in clean(tu[0].get_text()) + unquote(tu[1]))
            tag, url = links[0]
            raise NotAReport(f"web page links to the report as an attachment: {attachment_name(tag, url)}")

    title = title_before(block, titles, page_title)
    first = "".join(str(v) for k, v in blocks[:3] if k == "p")
    if title and title.replace(" ", "") not in first.replace(" ", ""):
        blocks.insert(0, ("p", title))

    extracted = assemble(blocks, encoding)
    if bad:
        extracted.warnings.append(replaced_warning(bad, encoding))
    if flattened:
        extracted.warnings.append(f"网页嵌套超过 {MAX_DEPTH} 层：更深处的内容按纯文本读取，其中的表格不分单元格")
    return extracted


def text_size(blocks: list[tuple[str, object]]) -> int:
    size = 0
    for kind, value in blocks:
        cells = [str(value)] if kind == "p" else [c for row in value for c in row]  # type: ignore[attr-defined]
        size += sum(visible_len(c) for c in cells)
    return size


def assemble(blocks: list[tuple[str, object]], encoding: str) -> Extracted:
    """Lay blocks out as text: paragraphs one per line, tables as tab-separated rows framed by blank lines."""
    out: list[str] = []
    marks: list[Mark] = []
    pos = 0
    paragraph = table = 0

    def put(line: str, location: str | None) -> None:
        nonlocal pos
        if location:
            marks.append(Mark(pos, None, location))
        out.append(line)
        pos += len(line) + 1

    for kind, value in blocks:
        if kind == "p":
            paragraph += 1
            put(str(value), f"paragraph {paragraph}")
            continue
        rows: list[list[str]] = value  # type: ignore[assignment]
        if not rows:
            continue
        table += 1
        if out and out[-1] != "":
            put("", None)
        for r, row in enumerate(rows, 1):
            put("\t".join(row), f"table {table}, row {r}")
        put("", None)
    return Extracted("\n".join(out).rstrip("\n") + "\n", "html", encoding, marks)
