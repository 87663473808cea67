"""The consistency rules (勾稽关系) a report states or implies.

- ``balance`` — per column of section 3: 本年新收 + 上年结转 = （七）总计 + 结转下年度继续办理
  (the table itself prints this rule above its first column);
- ``row_total`` — per row of section 3: the 总计 column = the six applicant columns;
- ``outcomes_sum`` — per column of section 3: （七）总计 = the sum of rows （一）…（六）;
- ``review_total`` — per group of section 4: 总计 = the sum of its four results.

A rule is checked only where all its cells were printed; numbers are kept as
printed and a broken rule is reported, never "fixed".
"""

from __future__ import annotations

from index.model import Check, Figure, Report
from index.template import APPLICANT_COLUMNS, BALANCE, OUTCOME_ROWS, REVIEW_GROUPS, REVIEW_RESULTS, ROWS_BY_KEY

SHORT = {"new_received": "本年新收", "carried_over": "上年结转", "processed_total": "总计", "carried_forward": "结转下年度"}


def _fmt(x: float | int) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _equation(left: list[tuple[str, Figure]], right: list[tuple[str, Figure]]) -> tuple[bool, str] | None:
    """Compare two sums of labelled figures; None if a figure is missing."""
    if any(f.value is None for _, f in left + right):
        return None
    a = sum(f.value for _, f in left)  # type: ignore[misc]
    b = sum(f.value for _, f in right)  # type: ignore[misc]
    ok = abs(a - b) < 1e-6

    def side(terms: list[tuple[str, Figure]], total: float) -> str:
        if len(terms) == 1:
            return f"{terms[0][0]} {_fmt(total)}"
        if len(terms) > 4:  # a long sum: name only the terms that are not zero
            nonzero = [f"{label} {_fmt(f.value)}" for label, f in terms if f.value]  # type: ignore[arg-type]
            return f"{len(terms)} 项之和 {_fmt(total)}" + (f"（非零项：{'、'.join(nonzero)}）" if nonzero else "（各项均为 0）")
        return " + ".join(f"{label} {_fmt(f.value)}" for label, f in terms) + f" = {_fmt(total)}"  # type: ignore[arg-type]

    return ok, f"{side(left, a)} {'=' if ok else '≠'} {side(right, b)}"


def check_report(report: Report) -> list[Check]:
    checks: list[Check] = []

    def add(rule: str, where: str, result: tuple[bool, str] | None) -> None:
        if result is not None:
            ok, detail = result
            checks.append(Check(rule, ok, f"{where}：{detail}", where))

    app = report.applications
    if app:

        def label(key: str) -> str:
            return ROWS_BY_KEY[key].label_for(report.template)

        for col, col_label in APPLICANT_COLUMNS.items():
            left, right = BALANCE
            if all(k in app for k in left + right):
                add(
                    "balance",
                    col_label,
                    _equation([(SHORT[k], app[k][col]) for k in left], [(SHORT[k], app[k][col]) for k in right]),
                )
            outcomes = [k for k in OUTCOME_ROWS if k in app]
            if "processed_total" in app:
                add(
                    "outcomes_sum",
                    col_label,
                    _equation([("（七）总计", app["processed_total"][col])], [(label(k), app[k][col]) for k in outcomes]),
                )
        for key, cells in app.items():
            parts = [(APPLICANT_COLUMNS[c], cells[c]) for c in APPLICANT_COLUMNS if c != "total"]
            add("row_total", label(key), _equation([("总计", cells["total"])], parts))

    for group, group_label in REVIEW_GROUPS.items():
        cells = (report.review_litigation or {}).get(group)
        if cells:
            parts = [(REVIEW_RESULTS[r], cells[r]) for r in REVIEW_RESULTS if r != "total"]
            add("review_total", group_label, _equation([("总计", cells["total"])], parts))
    return checks
