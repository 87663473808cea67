"""Crawled text: the samples as a web crawler saves their portal pages.

Header block, body flattened to one line, table cells run together with no
separator.  Each variant must parse to exactly the sample's hand-checked
values, with one exception that no reader can avoid: a section-2 row of
several cells printed with more digits than cells has no sum rule to part its
digits (``654-467187``), so it must come back empty, with a warning naming it,
never as a guess.
"""

from __future__ import annotations

import copy
import re

import formats_fixtures as fx
import pytest
from conftest import contract_diff

from index.errors import NotAReport
from index.formats import crawled
from index.parse import parse_bytes, parse_file, parse_text

LIXIA = fx.ROOT / "tests" / "fixtures" / "lixia-zfb-2022-pdf-text.txt"

VARIANTS = {
    "one-line": lambda name: fx.crawled_text(name).encode("utf-8"),
    "one-line-gbk": lambda name: fx.crawled_text(name).encode("gb18030"),
    "crlf": lambda name: fx.crawled_text(name).replace("\n", "\r\n").encode("utf-8"),
    "trailing-newline": lambda name: (fx.crawled_text(name) + "\n\n").encode("utf-8"),
    "tables-flattened-narrative-lines-no-header": lambda name: fx.crawled_text(name, header=False, narrative_lines=True).encode("utf-8"),
    "cells-spaced": lambda name: fx.crawled_text(name, spaced=True).encode("utf-8"),
    "rows-on-lines-cells-run-together": lambda name: fx.crawled_text(name, header=False, narrative_lines=True, rows_on_lines=True).encode("utf-8"),
}


def expected_when_run_together(name: str, variant: str) -> dict:
    want = copy.deepcopy(fx.expected(name))
    if variant != "cells-spaced":
        for item in fx.run_together_is_undecidable(name):
            want["proactive"][item] = {col: None for col in want["proactive"][item]}
    return want


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", fx.NAMES)
def test_crawled_variant_parses_to_the_expected_values(name, variant):
    report = parse_bytes(VARIANTS[variant](name), f"{name}.txt")
    assert contract_diff(report.to_dict(), expected_when_run_together(name, variant)) == []
    assert [s.number for s in report.sections] == [1, 2, 3, 4, 5, 6] or name == "zibo-gaoxin-yingji-2023"  # prints no heading 三
    undecidable = fx.run_together_is_undecidable(name) if variant != "cells-spaced" else set()
    for item in undecidable:
        label = {"licensing": "行政许可", "other_services": "其他对外管理服务事项", "penalty": "行政处罚", "procurement": "政府集中采购"}[item]
        assert any(w.startswith("第二部分") and f"“{label}”" in w and "无法确定" in w for w in report.warnings), item
    if not undecidable:
        assert not [w for w in report.warnings if "连排" in w]


@pytest.mark.parametrize("name", fx.NAMES)
def test_crawled_header_gives_title_and_posting_date(name):
    report = parse_bytes(VARIANTS["one-line"](name), f"{name}.txt")
    assert report.title.replace(" ", "") == fx.document(name)[0].text.replace(" ", "")
    assert report.posted == "2024-01-20"
    assert report.published == fx.expected(name)["published"]  # the signature's date, not the header's


def test_2019_template_crawled_table_has_23_rows_and_one_other_row():
    report = parse_bytes(VARIANTS["one-line"]("zibo-linzi-yingji-2020"), "linzi.txt")
    assert report.template == "2019" and len(report.applications) == 23
    assert "other" in report.applications and "other_overdue_correction" not in report.applications


def crawled_lixia() -> str:
    """The PDF-text fixture (non-zero, multi-digit numbers) as a crawler would flatten it."""
    lines = [line.strip() for line in LIXIA.read_text(encoding="utf-8").split("\n") if line.strip()]
    body = "".join(re.sub(r"(?<=[\d/])\s+(?=[\d/])|(?<=\S)\s+(?=\d)", "", line) for line in lines[2:])
    return f"标题: {lines[0]}{lines[1]}\n发布时间: 2023-01-20 10:00\n==================== 正文 ====================\n{body}"


def test_multi_digit_rows_are_split_by_the_tables_arithmetic():
    text = crawled_lixia()
    assert "一、本年新收政府信息公开申请数量405003149二、" in text  # 40/5/0/0/3/1/49, run together
    got, want = parse_text(text), parse_file(LIXIA)
    assert got.to_dict()["applications"] == want.to_dict()["applications"]
    assert got.to_dict()["review_litigation"] == want.to_dict()["review_litigation"]
    # rows whose own sum allows two readings were decided by the columns, and say so
    decided = [w for w in got.warnings if "列合计关系唯一拆分" in w]
    assert any("予以公开" in w and "202001023" in w for w in decided)
    assert got.proactive["licensing"]["decisions"].value == 1024  # "1,024": one cell
    assert got.proactive["coercion"]["decisions"].value is None  # "/": not applicable
    assert all(f.value is None for f in got.proactive["normative_documents"].values())  # "2115": 2/1/15 or 21/1/5 or 2/11/5
    assert got.consistent


def crawled_report(rows: dict[str, str]) -> str:
    """A crawled 2021-template report whose section-3 rows print ``rows`` (key -> run); the rest 0."""
    from index.template import rows_for

    table = "".join(f"{row.label}{rows.get(row.key, '0000000')}" for row in rows_for("2021"))
    return (
        "标题: 某某市某某局2023年政府信息公开工作年度报告\n==================== 正文 ====================\n"
        "一、总体情况本年度依法公开。三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
        f"{table}四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉"
        "结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计000000000000000五、存在的主要问题及改进情况无。"
    )


def values(report, key: str) -> list:
    return [f.value for f in report.applications[key].values()]


# "202001023" adds up two ways: 20/2/0/0/1/0/23 and 2/0/20/0/1/0/23.
TOTAL = "22 2 20 0 2 0 46"  # spaces: this row reads one way only


def test_the_columns_decide_a_row_its_own_sum_leaves_open():
    report = parse_text(crawled_report({"new_received": TOTAL, "disclosed": "202001023", "partially_disclosed": "2 0 20 0 1 0 23", "processed_total": TOTAL}))
    assert values(report, "disclosed") == [20, 2, 0, 0, 1, 0, 23]
    assert any("予以公开" in w and "列合计关系唯一拆分" in w for w in report.warnings)
    assert report.consistent


def test_a_row_the_columns_cannot_decide_either_is_left_empty():
    # both rows open, and either way round the columns add up: never a guess
    report = parse_text(crawled_report({"new_received": TOTAL, "disclosed": "202001023", "partially_disclosed": "202001023", "processed_total": TOTAL}))
    assert values(report, "disclosed") == [None] * 7 and values(report, "partially_disclosed") == [None] * 7
    assert any("予以公开" in w and "留空" in w for w in report.warnings)
    assert values(report, "processed_total") == [22, 2, 20, 0, 2, 0, 46]


def test_a_row_that_fits_no_reading_is_left_empty():
    report = parse_text(crawled_report({"new_received": "1000002"}))  # seven digits, 1 ≠ 2
    assert values(report, "new_received") == [1, 0, 0, 0, 0, 0, 2]  # one way to read it: kept as printed
    report = parse_text(crawled_report({"new_received": "10000012"}))  # eight digits, no reading adds up
    assert values(report, "new_received") == [None] * 7
    assert any("本年新收" in w and "留空" in w for w in report.warnings)


def test_a_run_too_long_for_a_table_row_is_left_empty_with_a_warning():
    report = parse_text(crawled_report({"new_received": "1" * 300}))
    assert values(report, "new_received") == [None] * 7
    assert any("本年新收" in w and "上限" in w for w in report.warnings)
    assert values(report, "carried_over") == [0] * 7  # the rest of the table is read


def test_a_header_without_a_body_is_refused_cleanly():
    with pytest.raises(NotAReport):
        parse_text("标题: 某局2023年政府信息公开工作年度报告\n发布时间: 2024-01-01")


def test_next_rows_enumerator_is_not_read_as_a_digit():
    lines = crawled.table_lines("（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开0000000（四）无法提供1.本机关不掌握相关政府信息10000012.没有现成信息需要另行制作0000000")
    assert lines == [
        "（三）不予公开",
        "1.属于国家秘密\t0000000",
        "2.其他法律行政法规禁止公开\t0000000",
        "（四）无法提供",
        "1.本机关不掌握相关政府信息\t1000001",
        "2.没有现成信息需要另行制作\t0000000",
    ]


def test_inline_headings_and_signature_get_lines_of_their_own():
    text = "标题: 某局2023年政府信息公开工作年度报告\n==== 正文 ====\n现编制完成本报告。一、总体情况2023年，我局依法公开。二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000行政规范性文件0 0 0六、其他需要报告的事项无。某某市某某局　2024年1月26日"
    lines = crawled.read(text, "utf-8").text.rstrip("\n").split("\n")
    assert lines[:4] == ["某局2023年政府信息公开工作年度报告", "现编制完成本报告。", "一、总体情况", "2023年，我局依法公开。"]
    assert "规章\t000" in lines and "行政规范性文件\t0 0 0" in lines
    assert lines[-3:] == ["无。", "某某市某某局", "2024年1月26日"]


def test_a_flattened_report_is_never_refused():
    # no header, no line breaks at all: still a report
    name = "zibo-jiguan-shiwu-2023"
    text = fx.crawled_text(name, header=False).replace("\n", "")
    report = parse_text(text)
    assert report.applications["new_received"]["total"].value == 2
    assert report.agency == fx.expected(name)["agency"]


def test_ordinary_text_is_not_read_as_crawled():
    for sample in fx.SAMPLES_DIR.glob("*.txt"):
        assert not crawled.is_crawled(sample.read_text(encoding="utf-8")), sample.name
    assert not crawled.is_crawled(LIXIA.read_text(encoding="utf-8"))
