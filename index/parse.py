"""Turn a file, its bytes or its text into a :class:`~index.model.Report`.

    >>> report = parse_file("samples/zibo-linzi-yingji-2020.txt")
    >>> report.agency, report.year, report.consistent
    ('临淄区应急管理局', 2020, False)

Only :class:`~index.errors.ReportError` (and its subclasses) leaves this module:
for a file that cannot be read, or a text that is not an annual report.  A
report that is merely irregular (rows with missing cells, broken sums, a
missing table) is returned, with ``warnings`` and ``checks`` saying what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from index.cells import split_cells
from index.checks import check_report
from index.errors import NotAReport, ReportError
from index.fields import agency_from_title, find_contact, find_published, find_signature_agency, find_title, find_year
from index.formats import Extracted
from index.formats.text import from_text
from index.model import Figure, Report, Source
from index.normalize import normalize
from index.read import extract, read_file
from index.region import resolve_region
from index.structure import build_passages, find_sections
from index.tables import TableRead, find_applications_start, proactive_template, read_applications, read_proactive, read_review_litigation, template_from_rows

INCOMPLETE = "报告不完整"  # warnings starting with this mark a truncated report


def parse_file(path: str | Path, data: bytes | None = None) -> Report:
    """Parse a file; pass ``data`` when its bytes were read already."""
    extracted, source = read_file(path, data)
    try:
        return parse_extracted(extracted, source)
    except ReportError as e:
        e.path = str(path)
        raise


def parse_bytes(data: bytes, name: str = "") -> Report:
    return parse_extracted(extract(data, name))


def parse_text(text: str) -> Report:
    return parse_extracted(from_text(text))


def parse_extracted(extracted: Extracted, source: Source | None = None) -> Report:
    text, offsets = normalize(extracted.text)
    if not text.strip():
        raise NotAReport("no text")
    cells = split_cells(text, extracted.run_together)
    report = Report(text=text, offsets=offsets, original=extracted.text, source=source)

    title = find_title(text)
    report.title = title.text if title else None
    report.agency = (agency_from_title(title.text) if title else None) or find_signature_agency(text)
    report.year = find_year(report.title, text)
    report.published = find_published(text)
    report.posted = extracted.posted
    report.contact = find_contact(text)

    app_start = find_applications_start(cells)
    proactive = read_proactive(cells, app_start)
    report.proactive = proactive.table if proactive else None
    template = proactive_template(report.proactive)
    applications = read_applications(cells, template, report.year)
    review = read_review_litigation(cells)
    report.applications = applications.table if applications else None
    report.review_litigation = review.table if review else None
    report.template = applications.template if applications else template or template_from_rows(set(), report.year)

    report.sections = find_sections(text)
    tables = [t for t in (proactive, applications, review) if t]
    _require_a_report(report, tables)
    report.warnings.extend(extracted.warnings)
    for t in tables:
        report.warnings.extend(t.warnings)
    report.warnings.extend(_incomplete(report))
    if report.agency is None:
        report.warnings.append("未能从标题识别机关名称")
    if report.year is None:
        report.warnings.append("未能识别报告年度")

    report.region = resolve_region(report.agency, text, report.contact)
    report.passages = build_passages(text, (title.start, title.end) if title else None, tables, report.sections, extracted, offsets)
    _link_figures(report)
    report.checks = check_report(report)
    return report


def _require_a_report(report: Report, tables: list[TableRead]) -> None:
    """Refuse a text that is not an annual report rather than invent its fields."""
    if tables or len(report.sections) >= 3 or (report.title and report.sections):
        return
    raise NotAReport("not a government information-disclosure annual report (no report title, no section headings, no disclosure tables)")


def _incomplete(report: Report) -> list[str]:
    missing = []
    if report.applications is None:
        missing.append("第三部分“收到和处理政府信息公开申请情况”表格")
    if report.review_litigation is None:
        missing.append("第四部分“行政复议、行政诉讼情况”表格")
    return [f"{INCOMPLETE}：未找到{m}" for m in missing]


def _link_figures(report: Report) -> None:
    """Point every printed figure at the passage it was printed in."""
    for name in ("proactive", "applications", "review_litigation"):
        table = getattr(report, name)
        for cells in (table or {}).values():
            for col, fig in cells.items():
                if fig.start >= 0:
                    passage = report.passage_at(fig.start)
                    # not dataclasses.replace: a tenth of the cost, for 200 figures a report
                    cells[col] = Figure(fig.value, fig.raw, fig.start, fig.end, passage.id if passage else None, fig.deduced)
