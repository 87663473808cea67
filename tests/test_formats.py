"""Readers for HTML, DOCX and PDF: every sample, built in each format, reads back
to text whose tables are one row per line with tab-separated cells, and bad
files are refused with the right one-line error."""

from __future__ import annotations

import functools
import random
import re

import formats_fixtures as fx
import pytest

from index.errors import NeedsOCR, NotAReport, ReportError, UnreadableFile, UnsupportedFormat
from index.read import extract

FORMATS = {"html": fx.html_page, "docx": fx.docx_file, "pdf": fx.pdf_file}
CASES = [(name, kind) for name in fx.NAMES for kind in FORMATS]
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?(万元)?$")


@functools.cache
def read(name: str, kind: str):
    """The sample built in ``kind`` and read back (cached: the tests only look)."""
    return extract(FORMATS[kind](name), f"{name}.{kind}")


def tables(text: str) -> list[list[list[str]]]:
    """Runs of consecutive tab-separated lines, split into cells."""
    found: list[list[list[str]]] = []
    run: list[list[str]] = []
    for line in text.split("\n") + [""]:
        if "\t" in line:
            run.append(line.split("\t"))
        elif run:
            found.append(run)
            run = []
    return found


def row(text: str, label: str) -> list[str]:
    lines = [line for line in text.split("\n") if "\t" in line and label in line]
    assert len(lines) == 1, (label, lines)
    return lines[0].split("\t")


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_text_has_title_headings_and_paragraphs(name, kind):
    extracted = read(name, kind)
    assert extracted.format == kind
    flat = re.sub(r"\s", "", extracted.text)
    assert fx.expected(name)["agency"] in flat
    lines = [line.strip() for line in extracted.text.split("\n")]
    for heading in fx.headings(name):
        assert heading in lines, heading
    # the narrative survives whole: every paragraph of the sample, one per line
    _, paragraphs = fx.narrative(name)
    squeezed = {re.sub(r"\s", "", line) for line in lines}
    for p in paragraphs:
        assert re.sub(r"\s", "", p) in squeezed, p


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_tables_are_rows_of_tab_separated_cells(name, kind):
    text = read(name, kind).text
    found = tables(text)
    widths = [10, 15] if fx.expected(name)["proactive"] is None else [4, 10, 15]
    assert [len(t[0]) for t in found] == widths
    for table in found:
        assert {len(r) for r in table} == {len(table[0])}, "every row has the same number of cells"
    # a blank line before and after every table
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "\t" in line:
            assert "\t" in lines[i - 1] or lines[i - 1] == ""
            assert "\t" in lines[i + 1] or lines[i + 1] == ""


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_new_received_row_carries_the_seven_numbers(name, kind):
    text = read(name, kind).text
    want = [str(fx.expected(name)["applications"]["new_received"][c]) for c in fx.APPLICANTS]
    cells = row(text, "本年新收")
    assert cells[0] == "一、本年新收政府信息公开申请数量"
    assert cells[1:3] == ["", ""], "the label spans three columns"
    assert cells[3:] == want


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_merged_cells_print_once_top_left(name, kind):
    text = read(name, kind).text
    # a row group label spans eight rows: printed in its first row, blank below
    assert row(text, "属于国家秘密")[:2] == ["", "（三）不予公开"]
    assert row(text, "其他法律行政法规禁止公开")[:2] == ["", ""]
    head = row(text, "行政复议")
    assert head == ["行政复议", "", "", "", "", "行政诉讼"] + [""] * 9
    sub = row(text, "未经复议直接起诉")
    assert sub[:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]  # hand-wrapped labels joined
    assert sub[5:] == ["未经复议直接起诉", "", "", "", "", "复议后起诉", "", "", "", ""]
    applicants = row(text, "申请人情况")
    assert applicants[3] == "申请人情况" and applicants[4:] == [""] * 6
    legal = row(text, "法人或其他组织")
    assert legal[3:] == ["自然人", "法人或其他组织", "", "", "", "", "总计"]


@pytest.mark.parametrize("name", fx.NAMES)
def test_html_page_chrome_is_gone(name):
    text = read(name, "html").text
    for chrome in ["无障碍", "网站地图", "分享", "打印本页", "关闭窗口", "当前位置", "字体", "浏览次数", "网站标识码", "ICP备", "主办单位", "相关文章", "长者模式", "欢迎访问", "走进"]:
        assert chrome not in text, chrome
    assert text.split("\n")[0] == fx.narrative(name)[0], "the article title, from above the content block, comes first"


@pytest.mark.parametrize("name", fx.NAMES)
def test_gbk_page_decodes(name):
    data = fx.html_page(name)
    assert b'<meta charset="gbk">' in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    extracted = extract(data, "page.html")
    assert extracted.encoding == "gb18030"
    _, paragraphs = fx.narrative(name)
    longest = max(paragraphs, key=len)
    assert longest in extracted.text


@pytest.mark.parametrize(("name", "kind"), [(n, k) for n in fx.NAMES for k in ("html", "docx")])
def test_marks_name_paragraphs_and_table_rows(name, kind):
    extracted = read(name, kind)
    assert extracted.marks[0].offset == 0 and extracted.marks[0].location == "paragraph 1"
    offsets = [m.offset for m in extracted.marks]
    assert offsets == sorted(offsets)
    start = extracted.text.index("一、本年新收")
    number = 1 if fx.expected(name)["proactive"] is None else 2
    assert extracted.mark_at(start).location == f"table {number}, row 4"
    heading = extracted.text.index(fx.headings(name)[-1])
    assert extracted.mark_at(heading).location.startswith("paragraph ")


@pytest.mark.parametrize("name", fx.NAMES)
def test_pdf_marks_give_page_numbers(name):
    extracted = read(name, "pdf")
    pages = [m.page for m in extracted.marks]
    assert extracted.marks[0].offset == 0 and pages[0] == 1
    assert None not in pages and pages == sorted(pages)
    assert max(pages) >= 2
    assert sorted(set(pages)) == list(range(1, max(pages) + 1)), "a mark at every page"
    start = extracted.text.index("一、本年新收")
    mark = extracted.mark_at(start)
    assert mark.page >= 1 and mark.location.endswith("row 4")
    # page numbers printed in the footer are not text
    assert not re.search(r"^- \d+ -$", extracted.text, re.M)


def test_pdf_table_runs_on_over_a_page_break():
    extracted = extract(fx.long_table_pdf(90), "long.pdf")
    found = tables(extracted.text)
    assert len(found) == 1 and len(found[0]) == 91
    assert [r[0] for r in found[0][1:]] == [str(i) for i in range(1, 91)]
    assert extracted.text.rstrip().endswith("以上为全部事项。")
    row_60 = extracted.text.index("60\t第60项")
    assert extracted.mark_at(row_60).location == "table 1, row 61"
    assert max(m.page for m in extracted.marks) >= 2


# --- bad files ----------------------------------------------------------------

BAD = [
    ("scanned PDF", fx.scanned_pdf, "scan.pdf", NeedsOCR, "needs OCR"),
    ("truncated PDF", fx.truncated_pdf, "report.pdf", UnreadableFile, "corrupt PDF"),
    ("corrupt DOCX", fx.corrupt_docx, "report.docx", UnreadableFile, "corrupt DOCX"),
    ("garbage named .docx", fx.garbage_docx, "report.docx", UnreadableFile, ""),
    ("legacy .doc", fx.legacy_doc, "report.doc", UnsupportedFormat, r"\.doc"),
    ("attachment only", fx.attachment_page, "notice.html", NotAReport, r"attachment: 淄博市机关事务管理局2023年政府信息公开工作年度报告\.pdf"),
]


@pytest.mark.parametrize(("what", "build", "filename", "error", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_raise_one_line_errors(what, build, filename, error, message):
    with pytest.raises(error) as caught:
        extract(build(), filename)
    assert re.search(message, str(caught.value))
    assert "\n" not in str(caught.value)
    if error is not NotAReport:
        assert not isinstance(caught.value, NotAReport)


def test_encrypted_pdf():
    with pytest.raises(UnreadableFile, match="encrypted PDF"):
        extract(fx.encrypted_pdf("secret"), "locked.pdf")
    # restricted (owner password only) PDFs, common among agencies, open without one
    assert "政府信息公开条例" in extract(fx.encrypted_pdf(""), "restricted.pdf").text


def test_readers_refuse_garbage_directly():
    from index.formats import docx, pdf

    for reader in (docx, pdf):
        with pytest.raises(UnreadableFile):
            reader.extract(fx.garbage_docx())


def test_damaged_files_raise_only_report_errors():
    rng = random.Random(20240120)
    sources = [fx.pdf_file(fx.NAMES[0]), fx.docx_file(fx.NAMES[0]), fx.html_page(fx.NAMES[0])]
    for data in sources:
        for _ in range(6):
            damaged = bytearray(data)
            if rng.random() < 0.5:
                damaged = damaged[: rng.randrange(16, len(damaged))]
            else:
                for _ in range(20):
                    damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            try:
                extract(bytes(damaged), "damaged")
            except ReportError as e:
                assert "\n" not in str(e)


# --- HTML particulars -----------------------------------------------------------


def page(body: str, charset: str = "utf-8") -> bytes:
    return f'<html><head><meta charset="{charset}"><title>t</title></head><body>{body}</body></html>'.encode(charset if charset != "gbk" else "gb18030")


def test_html_rowspan_colspan_grid():
    from index.formats import html

    table = """<table><tr><td rowspan="2">甲</td><td colspan="2">乙</td></tr>
    <tr><td>1</td><td>2</td></tr><tr><td>丙</td><td colspan="2">3</td></tr></table>"""
    text = html.extract(page("<div><p>" + "正文段落。" * 200 + "</p>" + table + "</div>")).text
    assert "甲\t乙\t\n\t1\t2\n丙\t3\t\n" in text


def test_html_declared_charset_is_checked_against_the_bytes():
    from index.formats import html

    body = "<p>" + "镕基同志在政府信息公开工作中指出。" * 80 + "</p>"
    # labelled gb2312 but using a GBK-only character: read as GB18030
    assert "镕基" in html.extract(page(body, "gbk").replace(b"gbk", b"gb2312")).text
    # labelled utf-8 but encoded in GBK: the label is wrong, the bytes tell
    wrong = page(body, "gbk").replace(b'charset="gbk"', b'charset="utf-8"')
    assert "镕基同志" in html.extract(wrong).text


def test_html_layout_tables_are_read_as_blocks():
    from index.formats import html

    report = "<p>一、总体情况</p><p>" + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p>"
    data_table = "<table border=1><tr><td>规章</td><td>0</td></tr><tr><td>行政规范性文件</td><td>2</td></tr></table>"
    layout = f"""<table width="100%"><tr><td class="left"><a href="/a">机构概况</a><br><a href="/b">政策文件</a></td>
    <td class="right"><table><tr><td>{report}{data_table}</td></tr></table></td></tr></table>"""
    text = html.extract(page(layout)).text
    assert "一、总体情况\n" in text
    assert "规章\t0\n行政规范性文件\t2\n" in text
    assert "机构概况" not in text


def test_html_keeps_report_lines_that_mention_chrome_words():
    from index.formats import html

    lines = "<p>（四）平台建设情况。完成网站无障碍改造和网站地图更新，新增分享功能。</p>" + "<p>" + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p>"
    text = html.extract(page(f'<div class="content">{lines}</div><div class="footer"><a>网站地图</a></div>')).text
    assert "完成网站无障碍改造和网站地图更新" in text


def test_html_page_whose_form_wraps_everything():
    from index.formats import html

    body = '<form id="form1"><div class="nav"><a>首页</a></div><div id="content"><p>' + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p></div></form>"
    assert "本机关认真贯彻" in html.extract(page(body)).text


def test_html_title_in_a_header_block_is_kept():
    from index.formats import html

    body = """<div class="header"><h1>某市人民政府</h1><ul class="menu"><li><a>首页</a></li></ul></div>
    <div class="left"><h3>2023年政府信息公开工作年度报告专栏</h3><a>更多</a></div>
    <div class="article-header"><h1>某市统计局2023年政府信息公开工作年度报告</h1><span>发布日期：2024-01-20</span></div>
    <div class="TRS_Editor"><p>一、总体情况</p><p>""" + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p></div>"
    lines = html.extract(page(body)).text.split("\n")
    assert lines[:2] == ["某市统计局2023年政府信息公开工作年度报告", "一、总体情况"]


def test_html_nested_thousands_deep():
    from index.formats import html

    body = "<div>" * 3000 + "<p>" + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p>" + "</div>" * 3000
    assert "本机关认真贯彻" in html.extract(page(body)).text


# --- DOCX particulars -----------------------------------------------------------


def test_docx_frame_table_and_nested_table():
    import io

    from docx import Document

    from index.formats import docx

    doc = Document()
    doc.add_paragraph("标题")
    frame = doc.add_table(rows=1, cols=1)
    frame.cell(0, 0).text = "框内段落"
    inner = frame.cell(0, 0).add_table(rows=2, cols=2)
    for r, values in enumerate([["规章", "0"], ["行政规范性文件", "2"]]):
        for c, v in enumerate(values):
            inner.cell(r, c).text = v
    grid = doc.add_table(rows=1, cols=2)
    grid.cell(0, 0).text = "外"
    nested = grid.cell(0, 1).add_table(rows=1, cols=2)
    nested.cell(0, 0).text = "内一"
    nested.cell(0, 1).text = "内二"
    buf = io.BytesIO()
    doc.save(buf)
    text = docx.extract(buf.getvalue()).text
    assert "标题\n框内段落\n\n规章\t0\n行政规范性文件\t2\n" in text  # the frame's content reads as body
    assert "外\t内一内二\n" in text  # a table in a real table's cell is flattened into the cell


def test_docx_automatic_list_numbers_are_rendered():
    import io

    from docx import Document
    from docx.oxml import parse_xml

    from index.formats import docx

    doc = Document()
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering = doc.part.numbering_part.element
    numbering.insert(0, parse_xml(f"""<w:abstractNum {w} w:abstractNumId="90">
      <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
      <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
    </w:abstractNum>"""))
    numbering.append(parse_xml(f'<w:num {w} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text: str, level: int) -> None:
        p = doc.add_paragraph(text)
        p._p.get_or_add_pPr().append(parse_xml(f'<w:numPr {w}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))

    numbered("总体情况", 0)
    numbered("主动公开情况", 1)
    numbered("依申请公开情况", 1)
    numbered("主动公开政府信息情况", 0)
    numbered("其他", 1)
    doc.add_paragraph("第一项", style="List Number")
    buf = io.BytesIO()
    doc.save(buf)
    lines = docx.extract(buf.getvalue()).text.split("\n")
    assert lines[:6] == ["一、总体情况", "（一）主动公开情况", "（二）依申请公开情况", "二、主动公开政府信息情况", "（一）其他", "1.第一项"]


# --- the parser on every format ---------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_every_format_parses_to_the_expected_values(name, kind):
    from conftest import contract_diff

    from index.parse import parse_bytes

    report = parse_bytes(FORMATS[kind](name), f"{name}.{kind}")
    assert contract_diff(report.to_dict(), fx.expected(name)) == []
