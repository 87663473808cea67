"""How real reports come out of their formats: half-blank HTML tables, Word-export
HTML, PDF text artefacts, and the template told by the table, not the year."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import formats_fixtures as fx

from index.parse import parse_bytes, parse_file, parse_text

LINZI = "zibo-linzi-yingji-2020"  # 2019 template
LIXIA = Path(__file__).parent / "fixtures" / "lixia-zfb-2022-pdf-text.txt"


def page_with(blocks: list[fx.Block]) -> bytes:
    parts = [fx._html_table(b.rows or []) if b.kind == "table" else f"<p>{b.text}</p>" for b in blocks[1:]]
    return fx._portal(blocks[0].text, "\n".join(parts), "淄博市人民政府").encode("gbk")


def blanked(columns: slice, review: slice | None = None) -> list[fx.Block]:
    """The 2019-template sample with the section-3 cells in ``columns`` (of the seven) left blank."""
    blocks = copy.deepcopy(fx.document(LINZI))
    tables = [b for b in blocks if b.kind == "table"]
    for row in tables[1].rows[3:]:
        for cell in row[-7:][columns]:
            cell.text = ""
    if review:
        for cell in tables[2].rows[3][review]:
            cell.text = ""
    return blocks


def values(report, table: str = "applications") -> dict[str, list]:
    return {row: [f.value for f in cells.values()] for row, cells in getattr(report, table).items()}


def test_blank_organisation_cells_are_null_and_the_printed_numbers_still_read():
    report = parse_bytes(page_with(blanked(slice(1, 6))), "linzi.html")
    want = {row: [cells["natural_person"], None, None, None, None, None, cells["total"]] for row, cells in fx.expected(LINZI)["applications"].items()}
    assert values(report) == want


def test_blank_cells_at_either_end_of_a_row_are_cells_too():
    # 总计 left blank, and 自然人 left blank: the numbers beside them keep their columns
    for blank in (slice(6, 7), slice(0, 1), slice(1, 7)):
        report = parse_bytes(page_with(blanked(blank, review=slice(10, 15))), "linzi.html")
        for row, cells in fx.expected(LINZI)["applications"].items():
            printed = list(cells.values())
            printed[blank] = [None] * len(printed[blank])
            assert values(report)[row] == printed, (blank, row)
        assert values(report, "review_litigation") == {"review": [0] * 5, "litigation_direct": [0] * 5, "litigation_after_review": [None] * 5}


def test_section_4_with_its_first_cells_blank():
    report = parse_bytes(page_with(blanked(slice(0, 0), review=slice(0, 5))), "linzi.html")
    assert values(report, "review_litigation") == {"review": [None] * 5, "litigation_direct": [0] * 5, "litigation_after_review": [0] * 5}


def word_td(text: str, colspan: int = 1) -> str:
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return (
        f'<td width="135" valign="center" nowrap=""{span} style="width:101.2500pt;padding:0.0000pt 5.4000pt;border-left:none;">'
        '<p class="MsoNormal" align="center" style="margin-top:0.0000pt;text-align:center;line-height:30.0000pt;mso-line-height-rule:exactly;">'
        f"<span style=\"mso-spacerun:'yes';font-family:Calibri;mso-fareast-font-family:宋体;font-size:12.0000pt;\">{text}</span>"
        '<span style="font-family:仿宋_GB2312;font-size:16.0000pt;"><o:p></o:p></span></p></td>'
    )


def test_2019_section_2_in_word_export_html():
    # as a portal page exported from Word prints it: spans, <o:p>, <br> inside a header, <font> around "/"
    made = '本年新</span><span style="font-family:Calibri;"><br></span><span>'
    rows = [
        [word_td("第二十条第（一）项", 4)],
        [word_td("信息内容"), word_td(made + "制作数量"), word_td(made.replace("本年新", "本年新") + "公开数量"), word_td("对外公开总数量")],
        [word_td("规章"), word_td("0"), word_td("0"), word_td("0")],
        [word_td("规范性文件"), word_td("6"), word_td("6&nbsp;"), word_td("<font>6</font>")],
        [word_td("第二十条第（五）项", 4)],
        [word_td("信息内容"), word_td("上一年项目数量"), word_td('本年增<font face="Calibri">/</font><font face="宋体">减</font>'), word_td("处理决定数量")],
        [word_td("行政许可"), word_td("0"), word_td("0"), word_td("126")],
    ]
    table = '<div align="center"><table class="MsoNormalTable" border="0" cellspacing="0" style="border-collapse:collapse;"><tbody>'
    table += "".join(f'<tr style="height:26.1500pt;">{"".join(r)}</tr>' for r in rows) + "</tbody></table></div>"
    body = (
        '<p class="MsoNormal"><span>某某局2019年政府信息公开工作年度报告</span></p><p class="MsoToc1"><span>一、总体情况</span></p>'
        + '<p class="MsoNormal"><!--[if !supportLists]--><span>（一）</span><!--[endif]--><span>' + "依法公开政府信息。" * 100 + "</span></p>"
        + '<p class="MsoToc1"><span>二、主动公开政府信息情况</span><span><o:p></o:p></span></p>' + table
    )
    page = f'<html><head><meta charset="utf-8"></head><body><div class="article_content"><div class=TRS_Editor>{body}</div></div></body></html>'
    report = parse_bytes(page.encode("utf-8"), "report.html")
    p = {item: {c: f.value for c, f in cells.items()} for item, cells in report.proactive.items()}
    assert p["regulations"] == {"new_made": 0, "new_published": 0, "total_published": 0}
    assert p["normative_documents"] == {"new_made": 6, "new_published": 6, "total_published": 6}
    assert p["licensing"] == {"previous_count": 0, "change": 0, "decisions": 126}
    assert report.template == "2019"


def pdf_with_page_numbers() -> bytes:
    from reportlab.pdfgen import canvas

    font = fx._font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(font, 12)
    # a page header "－ 1 －" on the title's baseline, and a footer "- 1 -" on the signature's
    c.drawString(60, 800, "－ 1 －")
    c.drawString(130, 800, "洪泽区人民政府2023年政府信息公开工作年度报告")
    y = 770
    for line in ("一、总体情况", "本年度依法公开政府信息。", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项", "无。"):
        c.drawString(60, y, line)
        y -= 20
    c.drawString(280, 40, "- 1 -")
    c.drawString(400, 40, "洪泽区人民政府")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_page_numbers_do_not_leak_into_the_text():
    report = parse_bytes(pdf_with_page_numbers(), "hongze.pdf")
    assert report.agency == "洪泽区人民政府"
    assert "1 -" not in report.text and "- 1" not in report.text
    assert report.text.rstrip().endswith("洪泽区人民政府")


def test_pdf_numbers_printed_beside_the_next_rows_label_go_back_to_their_row():
    # pdfplumber puts a wrapped label's second line after the next row's label
    src = LIXIA.read_text(encoding="utf-8")
    old = "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 3 0 0 0 0 0 3\n（三）不予公开 1.属于国家秘密 0 0 0 0 0 0 0\n"
    new = "（二）部分公开（区分处理的，只计这一情形，不计其他\n（三）不予公开 1.属于国家秘密 3 0 0 0 0 0 3\n情形） 0 0 0 0 0 0 0\n"
    assert old in src
    report = parse_text(src.replace(old, new))
    assert values(report) == values(parse_file(LIXIA))
    assert any("部分公开" in w and "错行" in w for w in report.warnings)
    # the same shape whose halves do not add up is left as it was, not forced apart
    broken = parse_text(src.replace(old, new.replace("3 0 0 0 0 0 3", "3 0 0 0 0 0 4")))
    assert values(broken)["partially_disclosed"] == [None] * 7


def test_template_is_told_by_the_table_not_the_year():
    text = (fx.SAMPLES_DIR / f"{LINZI}.txt").read_text(encoding="utf-8").replace("2020", "2022")
    report = parse_text(text)
    assert report.year == 2022 and report.template == "2019"
    assert "other" in report.applications and "other_overdue_fee" not in report.applications
    # section 3 in the 2019 rows decides even where section 2 prints the 2021 columns
    mixed = text.replace("本年新制作数量", "本年制发件数").replace("本年新公开数量", "本年废止件数").replace("对外公开总数量", "现行有效件数")
    report = parse_text(mixed)
    assert report.template == "2019" and not any("未找到该行" in w for w in report.warnings)
