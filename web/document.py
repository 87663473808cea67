"""A report as the report page shows it: text blocks, real tables, checks.

- The text is shown exactly as printed (``Report.printed``), passage by
  passage; each passage becomes one block whose ``id`` is the passage id, so a
  search hit can link to ``/report/<id>#p12``.  Text that belongs to no passage
  (table headers, stray lines) is shown too, as a plain block: the page is the
  whole report.
- The query's literals are marked in the text; matches are numbered in
  document order (``<mark data-m="3">``) for the previous/next stepper.
- Sections 2, 3 and 4 also get their tables rebuilt from the parsed numbers,
  in template order with the template's labels; each cell links to the
  passage where it was printed.

Text becomes HTML only in :meth:`Marker.marked`, via ``markupsafe``: every
piece of document text is escaped, and only our ``<mark>`` tags are raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from index.model import Check, Figure, Report, Table
from index.template import (
    APPLICANT_COLUMNS,
    PROACTIVE_COLUMNS,
    PROACTIVE_ITEMS,
    PROACTIVE_LAYOUT,
    REVIEW_GROUPS,
    REVIEW_RESULTS,
    SECTIONS,
    rows_for,
)
from index.template import column_label, row_label
from search.passages import TABLES, Condition, Span, cell_anchor, figure_cells, match_spans, merge, row_anchor
from web.format import num, numeral

MISSING = "未填报/不适用"
DEDUCED = "原文缺失，由合计关系推出"

# ------------------------------------------------------------------ marking matches


class Marker:
    """The query's matches in one report, numbered 1…N in document order."""

    def __init__(self, report: Report, literals: list[str]) -> None:
        self.report = report
        spans = match_spans(report, literals).values()
        self.spans: list[Span] = merge([s for found in spans for s in found])
        self._opened: set[int] = set()  # matches whose first piece was rendered (it gets the id)

    @property
    def count(self) -> int:
        return len(self.spans)

    def marked(self, start: int, end: int) -> Markup:
        """``report.text[start:end]`` as printed, escaped, matches in ``<mark>``."""
        out = Markup("")
        pos = start
        for k, (a, b) in enumerate(self.spans, 1):
            if b <= start or a >= end:
                continue
            a, b = max(a, start), min(b, end)
            out += escape(self._printed(pos, a))
            first = k not in self._opened
            self._opened.add(k)
            ident = Markup(' id="m{}"').format(k) if first else Markup("")
            out += Markup('<mark class="match" data-m="{}"{}>{}</mark>').format(k, ident, self._printed(a, b))
            pos = b
        out += escape(self._printed(pos, end))
        return out

    def _printed(self, a: int, b: int) -> str:
        return self.report.printed(a, b) if a < b else ""


# ------------------------------------------------------------------ text blocks


@dataclass
class Block:
    id: str | None  # the passage id; None for text outside every passage
    kind: str  # title | heading | subheading | paragraph | row | table | gap
    html: Markup
    new_page: int | None = None  # a PDF page starts here: show "第 N 页"
    where: str | None = None  # where in the source file (HTML/DOCX element), for a tooltip


@dataclass
class Cell:
    text: str
    href: str | None = None  # "#p20": where it was printed
    title: str | None = None
    deduced: bool = False
    missing: bool = False  # null: not printed or not applicable
    key: str | None = None  # the contract path, "applications.new_received.total"
    checks: list[int] = field(default_factory=list)  # the failed checks (their numbers) this cell is in
    anchors: list[int] = field(default_factory=list)  # the failed checks whose link lands on this cell
    conditions: list[str] = field(default_factory=list)  # the query's number conditions decided on this cell

    @property
    def id(self) -> str | None:
        """Its element id, where a search hit's number condition links (``#cell-applications-new_received-total``)."""
        return cell_anchor(self.key) if self.key else None


@dataclass
class TableRow:
    label: str
    cells: list[Cell] = field(default_factory=list)
    group: bool = False  # a label-only row heading the rows below it (（三）不予公开 …)
    id: str | None = None  # where a search hit's table-row passage links (``#row-applications-withheld_state_secret``)


@dataclass
class TableView:
    caption: str
    head: list[list[tuple[str, int, int]]]  # header rows of (label, colspan, rowspan)
    rows: list[TableRow]
    row_header: str = "项目"
    caption_visible: bool = True  # False when the section heading already says it

    @property
    def has_links(self) -> bool:
        return any(c.href for r in self.rows for c in r.cells)

    @property
    def width(self) -> int:
        """Columns in the table, the row labels included."""
        return 1 + max((len(r.cells) for r in self.rows), default=0)


@dataclass
class SectionView:
    number: int | None
    anchor: str
    title: str
    heading: Block | None = None  # the heading passage as printed, when there is one
    blocks: list[Block] = field(default_factory=list)  # the rest of the section's text
    tables: list[TableView] = field(default_factory=list)
    note: str | None = None  # e.g. why a section has tables but no text of its own


@dataclass
class FailedCheck:
    """A broken rule, numbered: its anchor is ``#check-n``, on its first cell.
    ``check.detail`` says it in plain Chinese, ``check.cells`` names its cells."""

    n: int
    check: Check


@dataclass
class CheckView:
    failed: list[FailedCheck]
    passed: list[str]  # each in plain words
    warnings: list[str]


@dataclass
class DocumentView:
    preface: list[Block]  # before the first section (title, statistics period …)
    sections: list[SectionView]
    checks: CheckView
    matches: int
    conditions: list[str] = field(default_factory=list)  # the query's number conditions, their cells marked


def blocks(report: Report, marker: Marker, start: int, end: int) -> list[Block]:
    """Every passage in ``[start, end)`` and the text between them, in order."""
    out: list[Block] = []
    pos = start
    first_heading = True
    page = None
    for p in sorted(report.passages, key=lambda p: p.start):
        if p.start < start or p.start >= end:
            continue
        if report.text[pos : p.start].strip():
            out.append(Block(None, "gap", marker.marked(pos, p.start)))
        kind = p.kind
        if kind == "heading":
            kind = "heading" if first_heading else "subheading"
            first_heading = False
        new_page = p.page if p.page and p.page != page else None
        page = p.page or page
        out.append(Block(p.id, kind, marker.marked(p.start, min(p.end, end)), new_page, p.location))
        pos = max(pos, p.end)
    if report.text[pos:end].strip():
        out.append(Block(None, "gap", marker.marked(pos, end)))
    return out


# ------------------------------------------------------------------ tables


def cell(fig: Figure | None, key: str | None = None) -> Cell:
    if fig is None:
        return Cell("—", title=MISSING, missing=True, key=key)
    href = f"#{fig.passage}" if fig.passage else None
    if fig.value is None:
        printed = f"（原文：{fig.raw}）" if fig.raw else ""
        return Cell("—", href=href, title=MISSING + printed, missing=True, key=key)
    if fig.deduced:
        return Cell(num(fig.value), title=DEDUCED, deduced=True, key=key)
    title = f"原文印作“{fig.raw}”，点击查看原文" if href and fig.raw else ("点击查看原文" if href else None)
    return Cell(num(fig.value), href=href, title=title, key=key)


def proactive_tables(report: Report) -> list[TableView]:
    """Section 2 as the report's template lays it out: one table per column set."""
    data = report.proactive
    if data is None:
        return []
    layout = dict(PROACTIVE_LAYOUT.get(report.template or "") or _guess_layout(data))
    # Whatever the report has beyond its template is shown too, never dropped.
    for item, cells in data.items():
        known = layout.get(item, ())
        extra = tuple(c for c in cells if c not in known)
        if extra:
            layout[item] = (*known, *extra)
    groups: list[tuple[tuple[str, ...], list[str]]] = []
    for item, columns in layout.items():
        if groups and groups[-1][0] == columns:
            groups[-1][1].append(item)
        else:
            groups.append((columns, [item]))
    tables = []
    for columns, items in groups:
        head = [[(PROACTIVE_COLUMNS.get(c, (c,))[0], 1, 1) for c in columns]]
        rows = [
            TableRow(PROACTIVE_ITEMS.get(item, (item,))[0], [cell(data.get(item, {}).get(c), f"proactive.{item}.{c}") for c in columns],
                     id=row_anchor("proactive", item))
            for item in items
        ]  # fmt: skip
        names = "、".join(PROACTIVE_ITEMS.get(i, (i,))[0] for i in items)
        tables.append(TableView(f"主动公开：{names}", head, rows, "信息内容"))
    return tables


def _guess_layout(data: Table) -> dict[str, tuple[str, ...]]:
    """No template known: the layout whose columns the data uses most."""

    def overlap(layout: dict) -> int:
        return sum(1 for item, cells in data.items() for c in cells if c in layout.get(item, ()))

    return max(PROACTIVE_LAYOUT.values(), key=overlap)


# Label-only rows of the national section-3 table, placed before a row.
APPLICATION_GROUPS = {
    "disclosed": "三、本年度办理结果",
    "withheld_state_secret": "（三）不予公开",
    "unavailable_not_held": "（四）无法提供",
    "not_processed_complaint": "（五）不予处理",
    "other_overdue_correction": "（六）其他处理",
}


def applications_table(report: Report) -> TableView | None:
    """Section 3: the national table, 7 applicant columns, rows in template order."""
    data = report.applications
    if data is None:
        return None
    template = report.template or "2021"
    columns = list(APPLICANT_COLUMNS)
    head = [
        [("自然人", 1, 2), ("法人或其他组织", 5, 1), ("总计", 1, 2)],
        [(APPLICANT_COLUMNS[c], 1, 1) for c in columns[1:6]],
    ]
    rows: list[TableRow] = []
    for row in rows_for(template):
        if row.key in APPLICATION_GROUPS and (row.key != "other_overdue_correction" or template != "2019"):
            rows.append(TableRow(APPLICATION_GROUPS[row.key], group=True))
        cells = [cell(data.get(row.key, {}).get(c), f"applications.{row.key}.{c}") for c in columns]
        rows.append(TableRow(row.label_for(template), cells, id=row_anchor("applications", row.key)))
    known = {r.key for r in rows_for(template)}
    for key, cells in data.items():  # rows the template does not have: shown, not dropped
        if key not in known:
            rows.append(TableRow(key, [cell(cells.get(c), f"applications.{key}.{c}") for c in columns], id=row_anchor("applications", key)))
    return TableView("收到和处理政府信息公开申请情况", head, rows, "申请人情况", caption_visible=False)


def review_table(report: Report) -> TableView | None:
    """Section 4: three groups (行政复议, 诉讼未经复议, 诉讼复议后) × five results."""
    data = report.review_litigation
    if data is None:
        return None
    head = [[(label, 1, 1) for label in REVIEW_RESULTS.values()]]
    rows = [
        TableRow(label, [cell(data.get(g, {}).get(r), f"review_litigation.{g}.{r}") for r in REVIEW_RESULTS], id=row_anchor("review_litigation", g))
        for g, label in REVIEW_GROUPS.items()
    ]
    return TableView("政府信息公开行政复议、行政诉讼情况", head, rows, "", caption_visible=False)


# ------------------------------------------------------------------ the whole page


def document(report: Report, literals: list[str], conditions: list[Condition] = ()) -> DocumentView:
    marker = Marker(report, literals)
    tables = {2: proactive_tables(report), 3: [applications_table(report)], 4: [review_table(report)]}
    tables = {n: [t for t in ts if t is not None] for n, ts in tables.items()}
    sections = sorted(report.sections, key=lambda s: s.start)
    first = sections[0].start if sections else len(report.text)
    preface = blocks(report, marker, 0, first)
    views: list[SectionView] = []
    anchors: set[str] = set()
    for i, s in enumerate(sections):
        end = sections[i + 1].start if i + 1 < len(sections) else len(report.text)
        body = blocks(report, marker, s.start, end)
        heading = body.pop(0) if body and body[0].kind == "heading" else None
        anchor = f"s{s.number}" if f"s{s.number}" not in anchors else f"s{s.number}-{i}"
        anchors.add(anchor)
        views.append(SectionView(s.number, anchor, s.title, heading, body, tables.pop(s.number, []) if anchor == f"s{s.number}" else []))
    # A table whose section heading was not found (a mangled PDF) still gets
    # its place in the order 一 … 六; its text stays where the reader found it.
    for number, found in sorted(tables.items()):
        if found:
            at = next((k for k, v in enumerate(views) if (v.number or 0) > number), len(views))
            title = f"{numeral(number)}、{section_title(number)}"
            note = "原文中没有找到这一部分的标题，其文字见上一部分。"
            views.insert(at, SectionView(number, f"s{number}", title, None, [], found, note))
    failed = [FailedCheck(n, c) for n, c in enumerate((c for c in report.checks if not c.ok), 1)]
    all_tables = [t for v in views for t in v.tables]
    _mark_cells(all_tables, failed)
    _mark_conditions(report, all_tables, conditions)
    passed = [c.detail for c in report.checks if c.ok]
    checks = CheckView(failed, passed, list(report.warnings))
    return DocumentView(preface, views, checks, marker.count, [c.text for c in conditions])


def section_title(number: int) -> str:
    return SECTIONS.get(number, ("",))[0]


# ------------------------------------------------------------------ failed checks
#
# Each Check says itself in plain Chinese and names the cells it compares
# (index/checks.py); here they are numbered and marked in the tables.


def _mark_cells(tables: list[TableView], failed: list[FailedCheck]) -> None:
    by_key = {c.key: c for t in tables for r in t.rows for c in r.cells if c.key}
    for f in failed:
        shown = [by_key[p] for p in f.check.cells if p in by_key]
        for c in shown:
            c.checks.append(f.n)
        if shown:
            shown[0].anchors.append(f.n)


# ------------------------------------------------------------------ versions


@dataclass
class VersionDiff:
    """One number that differs between a report's versions."""

    path: str  # its contract path, "applications.new_received.total"
    label: str  # "第三部分 一、本年新收政府信息公开申请数量 · 总计"
    values: list  # per version, in ``Report.versions`` order; None where not printed


def version_diffs(report: Report) -> list[VersionDiff]:
    """The numbers in which ``report``'s versions differ, in table order."""
    reports = [v.report or report for v in report.versions]
    figures = [r.figures() for r in reports]
    paths = list(dict.fromkeys(path for f in figures for path in f))
    out = []
    for path in paths:
        values = [f[path].value if path in f else None for f in figures]
        if len(set(values)) > 1:
            table, row, column = path.split(".", 2)
            label = f"第{numeral(TABLES[table])}部分 {row_label(table, row, report.template)} · {column_label(table, column)}"
            out.append(VersionDiff(path, label, values))
    return out


def _mark_conditions(report: Report, tables: list[TableView], conditions: list[Condition]) -> None:
    """The cells each number condition of the query was decided on (``本年新收申请:>0``)."""
    by_key = {c.key: c for t in tables for r in t.rows for c in r.cells if c.key}
    for condition in conditions:
        for path in figure_cells(report, condition.figure):
            if path in by_key:
                by_key[path].conditions.append(condition.text)


RULES = {
    "balance": "本年新收＋上年结转＝办理总计＋结转下年度",
    "row_total": "各类申请人之和＝总计列",
    "outcomes_sum": "（一）至（六）各项办理结果之和＝（七）总计",
    "review_total": "复议、诉讼四类结果之和＝总计",
}
