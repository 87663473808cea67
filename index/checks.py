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

SHORT = {"new_received": "本年新收", "carried_over": "上年结转", "processed_total": "办理总计", "carried_forward": "结转下年度"}

Term = tuple[str, str, Figure]  # (label as said, contract path, the printed figure)


def _fmt(x: float | int) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _side(terms: list[Term], name: str) -> str:
    """"本年新收 3 + 上年结转 0"; a long sum is named, with its terms that are not 0."""
    if len(terms) <= 4:
        return " + ".join(f"{label} {_fmt(f.value)}" for label, _, f in terms)  # type: ignore[arg-type]
    total = sum(f.value for _, _, f in terms)  # type: ignore[misc]
    nonzero = "、".join(f"{label} {_fmt(f.value)}" for label, _, f in terms if f.value)  # type: ignore[arg-type]
    return f"{name} {_fmt(total)}" + (f"（其中不为 0 的：{nonzero}）" if nonzero else "（各项均为 0）")


def _check(rule: str, where: str, shown: str, left: list[Term], right: list[Term], name: str = "") -> Check | None:
    """Compare two sums of printed figures, in plain words; None if a figure is missing.

    ``where`` is the column, row or group as labelled, ``shown`` the same as
    said (“自然人”列); ``name`` names the right-hand sum when it is too long
    to write out."""
    if any(f.value is None for _, _, f in left + right):
        return None
    diff = sum(f.value for _, _, f in left) - sum(f.value for _, _, f in right)  # type: ignore[misc]
    ok = abs(diff) < 1e-6
    said = f"{_side(left, '')} {'等于' if ok else '应等于'} {_side(right, name)}" + ("" if ok else f"，相差 {_fmt(abs(diff))}")
    return Check(rule, ok, f"{shown}：{said}", where, [path for _, path, _ in left + right])


def check_report(report: Report) -> list[Check]:
    checks: list[Check | None] = []
    app = report.applications
    if app:

        def label(key: str) -> str:
            return ROWS_BY_KEY[key].label_for(report.template)

        for col, col_label in APPLICANT_COLUMNS.items():

            def terms(keys, labels=SHORT.get) -> list[Term]:
                return [(labels(k), f"applications.{k}.{col}", app[k][col]) for k in keys]

            shown = f"“{col_label}”列"
            left, right = BALANCE
            if all(k in app for k in left + right):
                checks.append(_check("balance", col_label, shown, terms(left), terms(right)))
            if "processed_total" in app:
                outcomes = terms([k for k in OUTCOME_ROWS if k in app], label)
                checks.append(_check("outcomes_sum", col_label, shown, [("（七）总计", f"applications.processed_total.{col}", app["processed_total"][col])], outcomes, "（一）至（六）各项办理结果之和"))
        for key, cells in app.items():
            parts = [(APPLICANT_COLUMNS[c], f"applications.{key}.{c}", cells[c]) for c in APPLICANT_COLUMNS if c != "total"]
            checks.append(_check("row_total", label(key), f"“{label(key)}”行", [("总计", f"applications.{key}.total", cells["total"])], parts, "六类申请人之和"))

    for group, group_label in REVIEW_GROUPS.items():
        cells = (report.review_litigation or {}).get(group)
        if cells:
            parts = [(REVIEW_RESULTS[r], f"review_litigation.{group}.{r}", cells[r]) for r in REVIEW_RESULTS if r != "total"]
            checks.append(_check("review_total", group_label, group_label, [("总计", f"review_litigation.{group}.total", cells["total"])], parts, "四类结果之和"))
    return [c for c in checks if c is not None]
