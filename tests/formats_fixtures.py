"""Build test files in every format from the bundled samples.

Each sample (``samples/*.txt``) becomes a report document: its narrative
paragraphs (the sample's text with its mangled table lines taken out) and real
tables laid out like the national template (2021 template for the 2023
reports, 2019 template for the 2020 one), filled with the hand-checked values
from ``samples/expected/<name>.json``.  The document is then written as

- an HTML page inside a government portal's chrome, encoded in GBK
  (:func:`html_page`), tables with ``rowspan``/``colspan``;
- a Word file (:func:`docx_file`), tables with merged cells;
- a PDF (:func:`pdf_file`), tables drawn with grid lines, in a CJK TrueType font
  (Debian package ``fonts-wqy-zenhei``).

and there are builders for files that must be refused: a scan, a truncated
PDF, corrupt Word files, a legacy ``.doc``, a page that only links to the report.
"""

from __future__ import annotations

import functools
import io
import json
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so the tests run from a checkout that is not pip-installed
    sys.path.insert(0, str(ROOT))
SAMPLES_DIR = ROOT / "samples"
NAMES = sorted(p.stem for p in SAMPLES_DIR.glob("*.txt"))

FONT_PACKAGE = "fonts-wqy-zenhei"  # Debian package with a CJK TrueType font reportlab can embed
FONT_PATHS = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]

# --- the document -------------------------------------------------------------


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1


Rows = list[list[Cell]]  # HTML order: each row lists the cells that start in it


@dataclass
class Block:
    kind: str  # "title" | "heading" | "p" | "table"
    text: str = ""
    rows: Rows | None = None
    widths: list[float] | None = None  # PDF column widths in points


def expected(name: str) -> dict:
    return json.loads((SAMPLES_DIR / "expected" / f"{name}.json").read_text(encoding="utf-8"))


def fmt(value: object, key: str = "") -> str:
    """A number as a report prints it; not applicable (null) as "/"."""
    if value is None:
        return "/"
    if key == "change" and isinstance(value, (int, float)) and value > 0:
        return f"+{value}"  # 本年增/减 is printed signed
    if key == "procurement_amount_wan":
        return f"{value}万元"
    return str(value)


def place(rows: Rows) -> tuple[list[tuple[int, int, Cell]], int]:
    """Grid positions (row, column, cell) of HTML-ordered rows, and the column count."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            taken.update((r + dr, c + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            c += cell.colspan
    return placed, max(c for _, c in taken) + 1


# --- the national template's tables ------------------------------------------

APPLICANTS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
OUTCOMES = ["upheld", "corrected", "other", "pending", "total"]
WITHHELD = [
    ("withheld_state_secret", "1．属于国家秘密"),
    ("withheld_prohibited_by_law", "2．其他法律行政法规禁止公开"),
    ("withheld_security_stability", "3．危及“三安全一稳定”"),
    ("withheld_third_party", "4．保护第三方合法权益"),
    ("withheld_internal_affairs", "5．属于三类内部事务信息"),
    ("withheld_process_info", "6．属于四类过程性信息"),
    ("withheld_enforcement_file", "7．属于行政执法案卷"),
    ("withheld_query_item", "8．属于行政查询事项"),
]
UNAVAILABLE = [
    ("unavailable_not_held", "1．本机关不掌握相关政府信息"),
    ("unavailable_needs_creation", "2．没有现成信息需要另行制作"),
    ("unavailable_unclear", "3．补正后申请内容仍不明确"),
]
NOT_PROCESSED = [
    ("not_processed_complaint", "1．信访举报投诉类申请"),
    ("not_processed_duplicate", "2．重复申请"),
    ("not_processed_publication", "3．要求提供公开出版物"),
    ("not_processed_excessive", "4．无正当理由大量反复申请"),
    ("not_processed_confirmation", "5．要求行政机关确认或重新出具已获取信息"),
]
OTHER_2021 = [
    ("other_overdue_correction", "1．申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_overdue_fee", "2．申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other", "3．其他"),
]
LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "processed_total": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}


def proactive_table(p: dict, template: str) -> Rows:
    def item(key: str) -> dict:
        return p.get(key) or {}

    def numbers(key: str, cols: list[str], last_span: int = 1) -> list[Cell]:
        cells = [Cell(fmt(item(key).get(c), c)) for c in cols]
        cells[-1].colspan = last_span
        return cells

    def heading(text: str) -> list[Cell]:
        return [Cell(text, colspan=4)]

    if template == "2021":
        rows: Rows = [
            heading("第二十条第（一）项"),
            [Cell("信息内容"), Cell("本年制发件数"), Cell("本年废止件数"), Cell("现行有效件数")],
            [Cell("规章"), *numbers("regulations", ["issued", "repealed", "in_force"])],
            [Cell("行政规范性文件"), *numbers("normative_documents", ["issued", "repealed", "in_force"])],
            heading("第二十条第（五）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政许可"), *numbers("licensing", ["decisions"], 3)],
            heading("第二十条第（六）项"),
            [Cell("信息内容"), Cell("本年处理决定数量", colspan=3)],
            [Cell("行政处罚"), *numbers("penalty", ["decisions"], 3)],
            [Cell("行政强制"), *numbers("coercion", ["decisions"], 3)],
            heading("第二十条第（八）项"),
            [Cell("信息内容"), Cell("本年收费金额（单位：万元）", colspan=3)],
            [Cell("行政事业性收费"), *numbers("fees", ["fee_amount_wan"], 3)],
        ]
        return rows
    made = ["new_made", "new_published", "total_published"]
    counts = ["previous_count", "change", "decisions"]
    counted = [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减"), Cell("处理决定数量")]
    return [
        heading("第二十条第（一）项"),
        [Cell("信息内容"), Cell("本年新制作数量"), Cell("本年新公开数量"), Cell("对外公开总数量")],
        [Cell("规章"), *numbers("regulations", made)],
        [Cell("规范性文件"), *numbers("normative_documents", made)],
        heading("第二十条第（五）项"),
        counted,
        [Cell("行政许可"), *numbers("licensing", counts)],
        [Cell("其他对外管理服务事项"), *numbers("other_services", counts)],
        heading("第二十条第（六）项"),
        [Cell(c.text) for c in counted],
        [Cell("行政处罚"), *numbers("penalty", counts)],
        [Cell("行政强制"), *numbers("coercion", counts)],
        heading("第二十条第（八）项"),
        [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减", colspan=2)],
        [Cell("行政事业性收费"), *numbers("fees", ["previous_count", "change"], 2)],
        heading("第二十条第（九）项"),
        [Cell("信息内容"), Cell("采购项目数量"), Cell("采购总金额", colspan=2)],
        [Cell("政府集中采购"), *numbers("procurement", ["procurement_count", "procurement_amount_wan"], 2)],
    ]


def applications_table(a: dict, template: str) -> Rows:
    def nums(key: str) -> list[Cell]:
        row = a.get(key) or {}
        return [Cell(fmt(row.get(c))) for c in APPLICANTS]

    groups = [("（三）不予公开", WITHHELD), ("（四）无法提供", UNAVAILABLE), ("（五）不予处理", NOT_PROCESSED)]
    if template == "2021":
        groups.append(("（六）其他处理", OTHER_2021))
    outcome_rows = 2 + sum(len(g) for _, g in groups) + (0 if template == "2021" else 1) + 1
    rows: Rows = [
        [Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3), Cell("申请人情况", colspan=7)],
        [Cell("自然人", rowspan=2), Cell("法人或其他组织", colspan=5), Cell("总计", rowspan=2)],
        [Cell("商业企业"), Cell("科研机构"), Cell("社会公益组织"), Cell("法律服务机构"), Cell("其他")],
        [Cell(LABELS["new_received"], colspan=3), *nums("new_received")],
        [Cell(LABELS["carried_over"], colspan=3), *nums("carried_over")],
        [Cell("三、本年度办理结果", rowspan=outcome_rows), Cell("（一）予以公开", colspan=2), *nums("disclosed")],
        [Cell("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2), *nums("partially_disclosed")],
    ]
    for group, members in groups:
        for i, (key, label) in enumerate(members):
            lead = [Cell(group, rowspan=len(members))] if i == 0 else []
            rows.append([*lead, Cell(label), *nums(key)])
    if template != "2021":
        rows.append([Cell("（六）其他处理", colspan=2), *nums("other")])
    rows.append([Cell(LABELS["processed_total"], colspan=2), *nums("processed_total")])
    rows.append([Cell(LABELS["carried_forward"], colspan=3), *nums("carried_forward")])
    return rows


def review_table(rl: dict) -> Rows:
    labels = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    numbers = [Cell(fmt((rl.get(group) or {}).get(c))) for group in ("review", "litigation_direct", "litigation_after_review") for c in OUTCOMES]
    return [
        [Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)],
        [*(Cell(t, rowspan=2) for t in labels), Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)],
        [Cell(t) for t in labels * 2],
        numbers,
    ]


# --- the narrative --------------------------------------------------------------

SECTION = re.compile(r"^[一二三四五六]、.{0,8}(总体情况|主动公开政府信息情况|收到和处理政府信息公开申请情况|行政复议、行政诉讼情况|存在的主要问题|其他需要报告的事项)")


def narrative(name: str) -> tuple[str, list[str]]:
    """The sample's title and its paragraphs, table lines taken out."""
    raw = (SAMPLES_DIR / f"{name}.txt").read_text(encoding="utf-8")
    raw = re.sub(r"\[bookmark: [^\]]*\]", "", raw)
    lines = [line.rstrip() for line in raw.split("\n")]
    lines = [line for line in lines if line.strip()]
    title, rest = lines[0].strip(), lines[1:]
    if "报告" not in title and rest and "报告" in rest[0]:  # title printed over two lines
        title, rest = title + rest[0].strip(), rest[1:]
    start = next(i for i, line in enumerate(rest) if SECTION.match(line) and "主动公开" in line)
    end = next(i for i, line in enumerate(rest) if SECTION.match(line) and "存在的主要问题" in line)
    kept = []
    for i, line in enumerate(rest):
        if start < i < end and not SECTION.match(line) and ("\t" in line or len(line.strip()) < 30):
            continue  # a cell of one of the mangled tables
        kept.append(line.strip())
    return title, kept


def headings(name: str) -> list[str]:
    """The section headings the sample prints."""
    return [line for line in narrative(name)[1] if SECTION.match(line)]


@functools.cache
def document(name: str) -> list[Block]:
    """The sample as a document: title, paragraphs and the template's tables."""
    want = expected(name)
    template = want["template"]
    title, paras = narrative(name)
    tables: dict[str, list[Block]] = {"三": [], "四": [], "五": []}  # tables go before these headings
    if want["proactive"] is not None:
        tables["三"].append(Block("table", rows=proactive_table(want["proactive"], template), widths=[150, 110, 110, 111]))
    s3 = Block("table", rows=applications_table(want["applications"], template), widths=[52, 56, 142] + [33] * 7)
    has_3 = any(SECTION.match(p) and p.startswith("三") for p in paras)
    tables["四"].append(s3)
    if not has_3:  # no section-3 heading (zibo-gaoxin-yingji): the tables run on after section 2's heading
        tables["四"] = tables["三"] + tables["四"]
        tables["三"] = []
    tables["五"].append(Block("table", rows=review_table(want["review_litigation"]), widths=[32] * 15))
    blocks = [Block("title", title)]
    for p in paras:
        if SECTION.match(p):
            blocks.extend(tables.get(p[0], []))
            blocks.append(Block("heading", p))
        else:
            blocks.append(Block("p", p))
    return blocks


# --- HTML -------------------------------------------------------------------------


def _portal(title: str, content: str, site: str) -> str:
    """A page of a government portal: header, menu, breadcrumb, tools, share bar, footer."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="gbk">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}_{site}</title>
<link rel="stylesheet" href="/css/common.css">
<style>.w1200{{width:1200px;margin:0 auto}} .article-content p{{text-indent:2em;line-height:2}}</style>
<script type="text/javascript">var siteId = "370300"; document.write("<span>统计</span>");</script>
</head>
<body>
<div class="top-bar"><div class="w1200"><span>欢迎访问{site}网站！今天是2024年1月20日</span>
<a href="/wza/">无障碍</a> | <a href="/elder/">长者模式</a> | <a href="#">简体</a> | <a href="#">繁體</a> | <a href="/en/">English</a></div></div>
<div class="header"><div class="w1200"><div class="logo"><img src="/images/logo.png" alt="{site}"><h1 class="site-name">{site}</h1></div>
<div class="search-box"><form action="/search/" method="get"><input type="text" name="q" placeholder="请输入关键字"><button type="submit">搜索</button></form></div></div></div>
<div class="nav"><ul class="w1200"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/zjsq/">走进{site[:3]}</a></li></ul></div>
<div class="main w1200">
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/ndbg/">年度报告</a></div>
<div class="article">
<h1 class="title">{escape(title)}</h1>
<div class="article-info">发布时间：2024-01-20 09:30 来源：本网 浏览次数：<span id="hits">1234</span>
【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】
<a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
<div class="article-content" id="zoom">
{content}
</div>
<div class="bdsharebuttonbox share">分享到：<a href="#" class="bds_weixin">微信</a> <a href="#" class="bds_tsina">微博</a> <a href="#" class="bds_qzone">QQ空间</a></div>
<div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】 【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>
<div class="related"><h3>相关文章</h3><ul>
<li><a href="/zwgk/ndbg/1.html">2022年政府信息公开工作年度报告</a></li>
<li><a href="/zwgk/ndbg/2.html">2021年政府信息公开工作年度报告</a></li></ul></div>
</div>
<div class="footer"><div class="w1200">
<p><a href="/wzdt/">网站地图</a> | <a href="/wza/">无障碍</a> | <a href="/lxwm/">联系我们</a></p>
<p>主办单位：{site}办公室 承办单位：{site[:3]}大数据中心</p>
<p>网站标识码：3703000001 <a href="https://beian.miit.gov.cn/">鲁ICP备05012345号</a> 鲁公网安备 37030302000123号</p>
</div></div>
</body>
</html>
"""


def _html_table(rows: Rows) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" width="600" style="border-collapse:collapse"><tbody>']
    for row in rows:
        out.append("<tr>")
        for cell in row:
            attrs = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
            text = escape(cell.text)
            if cell.text in ("结果维持", "结果纠正", "其他结果", "尚未审结"):  # labels wrapped by hand
                text = f"{text[:2]}<br/>{text[2:]}"
            out.append(f'<td{attrs} valign="center"><p align="center"><span style="font-size:12px">{text}</span></p></td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _site(name: str) -> str:
    city = expected(name)["region"].get("city") or "某市"
    return f"{city}人民政府"


@functools.cache
def html_page(name: str) -> bytes:
    """The report as a GBK-encoded page in a government portal."""
    blocks = document(name)
    parts = []
    for b in blocks[1:]:  # the title stands above the content, in the article header
        if b.kind == "table":
            parts.append(_html_table(b.rows or []))
        elif b.kind == "heading":
            parts.append(f'<p style="text-indent:2em"><strong>{escape(b.text)}</strong></p>')
        else:
            parts.append(f'<p style="text-indent:2em">\n{escape(b.text)}\n</p>')
        parts.append("<p>&nbsp;</p>" if b.kind == "table" else "")
    return _portal(blocks[0].text, "\n".join(parts), _site(name)).encode("gbk")


# --- crawled text -------------------------------------------------------------------


def crawled_text(name: str, *, header: bool = True, narrative_lines: bool = False, spaced: bool = False, rows_on_lines: bool = False) -> str:
    """The report as a web crawler saves the portal page.

    A header block (``标题:``, ``发布时间:`` … ``==== 正文 ====``), then the page
    body flattened: the whole body on one line (or, with ``narrative_lines``,
    the narrative keeping its line breaks and each table on one line), table
    cells run together with no separator (``spaced``: one space after each
    cell, as some crawlers leave; ``rows_on_lines``: each table row on a line
    of its own, its cells still run together).
    """
    blocks = document(name)
    joiner = " " if spaced else ""
    body = []
    for b in blocks[1:]:
        if b.kind == "table":
            rows = [joiner.join(cell.text for cell in row) for row in b.rows or []]
            body.append(("\n" if rows_on_lines else joiner).join(rows))
        else:
            body.append(b.text)
    lines = ["\n".join(body) if narrative_lines else "".join(body)]
    if header:
        lines = [
            f"标题: {blocks[0].text}",
            "发布时间: 2024-01-20 09:30",
            "文号: ",
            "发布机构: ",
            "栏目: 政府信息公开年报",
            f"原文链接: https://www.example.gov.cn/zwgk/ndbg/{name}.htm",
            f"本地目录: zwgk/ndbg/{name}",
            "页面链接与图片详见 links.tsv(同目录)",
            "==================== 正文 ====================",
            *lines,
        ]
    else:
        lines.insert(0, blocks[0].text)
    return "\n".join(lines)


def run_together_is_undecidable(name: str) -> set[str]:
    """Section-2 items no reader could split with their cells run together.

    An item of two or more cells printed with more digits than cells has no
    sum rule to part them (654-467187 may be 654/-467/187 or 654/-46/7187).
    """
    out = set()
    for item, cells in (expected(name)["proactive"] or {}).items():
        printed = "".join(fmt(v, k) for k, v in cells.items())
        if len(cells) > 1 and sum(ch.isdigit() for ch in printed) > len(cells):
            out.add(item)
    return out


@functools.cache
def attachment_page() -> bytes:
    """A portal page that only announces the report and links to it as a PDF."""
    title = "淄博市机关事务管理局2023年政府信息公开工作年度报告"
    content = f"""<p style="text-indent:2em">现将{escape(title)}予以公布。</p>
<p>附件：<a href="/upload/2024/01/P020240120512345.pdf" target="_blank">{escape(title)}.pdf</a></p>"""
    return _portal(title, content, "淄博市人民政府").encode("gbk")


# --- DOCX -------------------------------------------------------------------------


@functools.cache
def docx_file(name: str) -> bytes:
    """The report as a Word file: real tables with merged cells."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    for b in document(name):
        if b.kind == "table":
            placed, ncols = place(b.rows or [])
            table = doc.add_table(rows=len(b.rows or []), cols=ncols)
            table.style = "Table Grid"
            for r, c, cell in placed:
                target = table.cell(r, c)
                if cell.rowspan > 1 or cell.colspan > 1:
                    target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
                if cell.text in ("结果维持", "结果纠正", "其他结果", "尚未审结"):  # wrapped by hand, two paragraphs
                    target.text = cell.text[:2]
                    target.add_paragraph(cell.text[2:])
                else:
                    target.text = cell.text
            doc.add_paragraph()
            continue
        p = doc.add_paragraph()
        run = p.add_run(b.text)
        if b.kind == "title":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run.bold = True
            run.font.size = Pt(18)
        elif b.kind == "heading":
            run.bold = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def corrupt_docx() -> bytes:
    """A Word package whose document.xml is garbage."""
    good = zipfile.ZipFile(io.BytesIO(docx_file(NAMES[0])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for item in good.infolist():
            data = b"<w:document \x00\x01 this is not xml" if item.filename == "word/document.xml" else good.read(item)
            z.writestr(item, data)
    return buf.getvalue()


def garbage_docx() -> bytes:
    """Bytes that are no file at all (to be named ``report.docx``)."""
    return bytes(range(256)) * 40


def legacy_doc() -> bytes:
    """A legacy Word (OLE2 compound) file: recognised, not read."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + bytes(range(256)) * 8


# --- PDF --------------------------------------------------------------------------


def cjk_font() -> str:
    """The path of a CJK TrueType font; a clear error when there is none."""
    for path in FONT_PATHS:
        if Path(path).exists():
            return path
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        found = ""
    for line in found.splitlines():
        path = line.split(":")[0].strip()
        if path.endswith((".ttf", ".ttc")):  # reportlab embeds TrueType outlines only, not OpenType/CFF (.otf)
            return path
    raise RuntimeError(f"no CJK TrueType font found to build the PDF fixtures: install the Debian package {FONT_PACKAGE} (apt-get install -y {FONT_PACKAGE})")


@functools.cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = cjk_font()
    pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0) if path.endswith(".ttc") else TTFont("CJK", path))
    return "CJK"


@functools.cache
def pdf_file(name: str) -> bytes:
    """The report as a PDF: paragraphs wrapped at the margin, ruled tables, page numbers."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=18, firstLineIndent=21, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=TA_CENTER, firstLineIndent=0, spaceAfter=12)
    small = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, alignment=TA_CENTER, wordWrap="CJK")
    story: list = []
    for b in document(name):
        if b.kind == "title":
            story.append(Paragraph(escape(b.text), title))
        elif b.kind in ("heading", "p"):
            story.append(Paragraph(escape(b.text), body))
        else:
            rows = b.rows or []
            placed, ncols = place(rows)
            data = [[""] * ncols for _ in rows]
            style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            for r, c, cell in placed:
                data[r][c] = Paragraph(escape(cell.text), small)
                if cell.rowspan > 1 or cell.colspan > 1:
                    style.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
            table = Table(data, colWidths=b.widths)
            table.setStyle(TableStyle(style))
            story += [Spacer(1, 6), KeepTogether([table]), Spacer(1, 6)]

    def page_number(canvas, doc) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=57, rightMargin=57, topMargin=57, bottomMargin=57, title=name).build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


def scanned_pdf() -> bytes:
    """Two pages that are only images: a scan without a text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (600, 850), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 800, 24):  # grey bars where the lines of text would be
        draw.rectangle([60, y, 540 - (y * 7) % 120, y + 10], fill=60)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for _ in range(2):
        c.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
    c.save()
    return buf.getvalue()


def truncated_pdf() -> bytes:
    """A valid PDF cut in half, as an interrupted download leaves it."""
    data = pdf_file(NAMES[0])
    return data[: len(data) // 2]


def long_table_pdf(rows: int = 90) -> bytes:
    """A ruled table too long for one page: it runs on over the page break."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = _font()
    style = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=18)
    data = [["序号", "事项名称", "数量"]] + [[str(i), f"第{i}项主动公开事项", str(i * 3)] for i in range(1, rows + 1)]
    table = Table(data, colWidths=[60, 300, 80])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONTNAME", (0, 0), (-1, -1), font)]))

    def page_number(canvas, doc) -> None:
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 30, str(doc.page))

    buf = io.BytesIO()
    story = [Paragraph("某局2023年政府信息公开工作年度报告", style), table, Paragraph("以上为全部事项。", style)]
    SimpleDocTemplate(buf, pagesize=A4).build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    """A one-page PDF encrypted with an owner password, and a user password unless it is ""."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=StandardEncryption(user_password, ownerPassword="owner", canCopy=0))
    c.setFont(_font(), 12)
    for y in range(700, 100, -20):
        c.drawString(72, y, "本机关认真贯彻落实政府信息公开条例，扎实推进政务公开。")
    c.showPage()
    c.save()
    return buf.getvalue()
