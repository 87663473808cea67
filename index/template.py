"""The national report template: its sections, tables, rows and columns.

One place for the vocabulary: the contract keys (DESIGN.md) beside the labels
the template prints, and the distinctive fragments (``match``) by which a row
is recognised even when its label is broken, spaced out or half missing.
Both template versions are here: the 2019 one (reports for 2019–2020) and the
2021 one (reports for 2021 on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---------------------------------------------------------------- sections

# 一 … 六, with the words that make a heading that section's heading (a table
# row label such as "四、结转下年度继续办理" also starts with a numeral).
SECTIONS = {
    1: ("总体情况", ("总体情况", "总体", "概述", "基本情况")),
    2: ("主动公开政府信息情况", ("主动公开",)),
    3: ("收到和处理政府信息公开申请情况", ("收到和处理", "申请情况", "依申请公开")),
    4: ("政府信息公开行政复议、行政诉讼情况", ("行政复议", "行政诉讼")),
    5: ("存在的主要问题及改进情况", ("存在的主要问题", "主要问题", "改进情况")),
    6: ("其他需要报告的事项", ("其他需要报告", "其他事项", "其他需报告")),
}
NUMERALS = "一二三四五六七八九十"

# ---------------------------------------------------------------- section 2: 主动公开

# item -> (label as printed, exact labels that name it)
PROACTIVE_ITEMS = {
    "regulations": ("规章", ("规章",)),
    "normative_documents": ("行政规范性文件", ("规范性文件", "行政规范性文件")),
    "licensing": ("行政许可", ("行政许可",)),
    "other_services": ("其他对外管理服务事项", ("其他对外管理服务事项",)),
    "penalty": ("行政处罚", ("行政处罚",)),
    "coercion": ("行政强制", ("行政强制",)),
    "fees": ("行政事业性收费", ("行政事业性收费",)),
    "procurement": ("政府集中采购", ("政府集中采购",)),
}

# column -> (label as printed, fragments that identify the header cell); the
# order matters: "采购总金额" before "总", "处理决定" in both templates.
PROACTIVE_COLUMNS = {
    "issued": ("本年制发件数", ("制发",)),  # 2021
    "repealed": ("本年废止件数", ("废止",)),  # 2021
    "in_force": ("现行有效件数", ("现行有效",)),  # 2021
    "fee_amount_wan": ("本年收费金额（单位：万元）", ("收费金额",)),  # 2021
    "new_made": ("本年新制作数量", ("新制作",)),  # 2019
    "new_published": ("本年新公开数量", ("新公开",)),  # 2019
    "total_published": ("对外公开总数量", ("对外公开总",)),  # 2019
    "previous_count": ("上一年项目数量", ("上一年项目",)),  # 2019
    "change": ("本年增/减", ("增/减", "增减")),  # 2019
    "procurement_count": ("采购项目数量", ("采购项目",)),  # 2019
    "procurement_amount_wan": ("采购总金额", ("采购总金额",)),  # 2019
    "decisions": ("本年处理决定数量", ("处理决定",)),  # both
}
COLUMNS_2021 = {"issued", "repealed", "in_force", "fee_amount_wan"}
COLUMNS_2019 = {"new_made", "new_published", "total_published", "previous_count", "change", "procurement_count", "procurement_amount_wan"}
AMOUNT_COLUMNS = {"fee_amount_wan", "procurement_amount_wan"}  # in 万元

# Sub-table headings inside section 2 ("第二十条第（一）项", "信息内容").
PROACTIVE_HEADINGS = re.compile(r"^(第二十条第?\(?[一二三四五六七八九十]+\)?项?|信息内容)$")

# ---------------------------------------------------------------- section 3: 依申请公开

APPLICANT_COLUMNS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}


@dataclass(frozen=True)
class Row:
    key: str
    label: str  # as printed in the national template
    match: tuple[str, ...]  # fragments that identify the label
    templates: tuple[str, ...] = ("2019", "2021")
    label_2019: str | None = None  # where the 2019 template prints it differently

    def label_for(self, template: str | None) -> str:
        return self.label_2019 if template == "2019" and self.label_2019 else self.label


APPLICATION_ROWS = [
    Row("new_received", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    Row("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    Row("disclosed", "（一）予以公开", ("予以公开",)),
    Row("partially_disclosed", "（二）部分公开", ("部分公开",)),
    Row("withheld_state_secret", "1.属于国家秘密", ("国家秘密",)),  # 属于国家秘密
    Row("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开", ("禁止公开",)),
    Row("withheld_security_stability", "3.危及“三安全一稳定”", ("三安全", "一稳定")),
    Row("withheld_third_party", "4.保护第三方合法权益", ("第三方",)),
    Row("withheld_internal_affairs", "5.属于三类内部事务信息", ("内部事务",)),
    Row("withheld_process_info", "6.属于四类过程性信息", ("过程性信息",)),
    Row("withheld_enforcement_file", "7.属于行政执法案卷", ("执法案卷",)),
    Row("withheld_query_item", "8.属于行政查询事项", ("查询事项",)),
    Row("unavailable_not_held", "1.本机关不掌握相关政府信息", ("不掌握",)),
    Row("unavailable_needs_creation", "2.没有现成信息需要另行制作", ("另行制作", "没有现成")),
    Row("unavailable_unclear", "3.补正后申请内容仍不明确", ("仍不明确", "补正后")),
    Row("not_processed_complaint", "1.信访举报投诉类申请", ("信访", "举报投诉")),
    Row("not_processed_duplicate", "2.重复申请", ("重复申请",)),
    Row("not_processed_publication", "3.要求提供公开出版物", ("出版物",)),
    Row("not_processed_excessive", "4.无正当理由大量反复申请", ("大量反复",)),
    Row("not_processed_confirmation", "5.要求行政机关确认或重新出具已获取信息", ("确认或重新", "重新出具")),
    Row("other_overdue_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", ("逾期不补正",), ("2021",)),
    Row("other_overdue_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", ("收费通知", "缴纳费用"), ("2021",)),
    # 2021: "3.其他" under （六）其他处理; 2019: （六）其他处理 is itself the row.
    Row("other", "3.其他", ("其他处理",), label_2019="（六）其他处理"),
    Row("processed_total", "（七）总计", ("总计",)),
    Row("carried_forward", "四、结转下年度继续办理", ("结转下年",)),
]
ROWS_BY_KEY = {r.key: r for r in APPLICATION_ROWS}

# The outcome rows (一)…(六) whose sum is (七)总计.
OUTCOME_ROWS = [r.key for r in APPLICATION_ROWS[2:-2]]
# 勾稽关系 per column: 本年新收 + 上年结转 = （七）总计 + 结转下年度继续办理 (the table prints it).
BALANCE = (("new_received", "carried_over"), ("processed_total", "carried_forward"))

# ---------------------------------------------------------------- section 4: 复议诉讼

REVIEW_GROUPS = {
    "review": "行政复议",
    "litigation_direct": "行政诉讼·未经复议直接起诉",
    "litigation_after_review": "行政诉讼·复议后起诉",
}
REVIEW_RESULTS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计"}


# The group a section-3 outcome row is printed under: its own label says only "1.属于国家秘密".
ROW_GROUPS = (("withheld_", "（三）不予公开"), ("unavailable_", "（四）无法提供"),
              ("not_processed_", "（五）不予处理"), ("other", "（六）其他处理"))  # fmt: skip


def row_group(key: str) -> str | None:
    """The group label a section-3 row is printed under, if any: "（三）不予公开"."""
    return next((g for prefix, g in ROW_GROUPS if key.startswith(prefix)), None)


def row_label(table: str, row: str, template: str | None = None) -> str:
    """A table row as a reader names it, the one rule for every page and export
    label: its template label, under its group's for a section-3 outcome row
    ("（三）不予公开 · 1.属于国家秘密"); the key itself for a row the template lacks."""
    if table == "proactive":
        return PROACTIVE_ITEMS.get(row, (row,))[0]
    if table == "review_litigation":
        return REVIEW_GROUPS.get(row, row)
    label = ROWS_BY_KEY[row].label_for(template) if row in ROWS_BY_KEY else row
    group = row_group(row)
    return f"{group} · {label}" if group and not label.startswith(group) else label


def column_label(table: str, column: str) -> str:
    """A table column as a reader names it: 自然人, 结果纠正, 本年新制作数量."""
    if table == "proactive":
        return PROACTIVE_COLUMNS.get(column, (column,))[0]
    return (APPLICANT_COLUMNS if table == "applications" else REVIEW_RESULTS).get(column, column)


def rows_for(template: str | None) -> list[Row]:
    return [r for r in APPLICATION_ROWS if (template or "2021") in r.templates]


HEADING = re.compile(rf"^\s*(?P<num>[{NUMERALS}]{{1,2}})\s*[、.,，．]\s*(?P<title>\S.*?)\s*$")


def heading_number(line: str) -> int | None:
    """The section (1–6) a line is the heading of, or None.

    Row labels of the section-3 table ("一、本年新收…", "四、结转下年度…") and
    numbered items in the narrative also start with a numeral, so the title
    must carry that section's own words, and a heading is a short line.
    """
    m = HEADING.match(line)
    if not m or len(m["title"]) > 40:
        return None
    number = NUMERALS.index(m["num"][0]) + 1 if len(m["num"]) == 1 else None
    if number not in SECTIONS:
        return None
    title = re.sub(r"\s+", "", m["title"])
    return number if any(word in title for word in SECTIONS[number][1]) else None

# ---------------------------------------------------------------- headline numbers

# The keys of Report.key_figures(), with the words a reader knows them by.
KEY_FIGURES = {
    "new_received": "本年新收申请",
    "carried_over": "上年结转",
    "disclosed": "予以公开",
    "partially_disclosed": "部分公开",
    "withheld": "不予公开",
    "unavailable": "无法提供",
    "not_processed": "不予处理",
    "other_processed": "其他处理",
    "processed_total": "办理总计",
    "carried_forward": "结转下年度",
    "review": "行政复议",
    "review_corrected": "复议被纠正",
    "litigation": "行政诉讼",
    "litigation_corrected": "诉讼被纠正",
    "licensing": "行政许可决定",
    "penalty": "行政处罚决定",
    "coercion": "行政强制决定",
    "fee_amount_wan": "收费金额（万元）",
}

# ---------------------------------------------------------------- section-2 layout per template

# The items of section 2 and their columns, as each template prints them.
PROACTIVE_LAYOUT = {
    "2021": {
        "regulations": ("issued", "repealed", "in_force"),
        "normative_documents": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "penalty": ("decisions",),
        "coercion": ("decisions",),
        "fees": ("fee_amount_wan",),
    },
    "2019": {
        "regulations": ("new_made", "new_published", "total_published"),
        "normative_documents": ("new_made", "new_published", "total_published"),
        "licensing": ("previous_count", "change", "decisions"),
        "other_services": ("previous_count", "change", "decisions"),
        "penalty": ("previous_count", "change", "decisions"),
        "coercion": ("previous_count", "change", "decisions"),
        "fees": ("previous_count", "change"),
        "procurement": ("procurement_count", "procurement_amount_wan"),
    },
}
