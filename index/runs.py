"""Split digit runs by the table's own arithmetic (勾稽关系): the one place it is done.

Crawled text runs a table row's cells together with no separator:
``1400000 14`` is 14/0/0/0/0/0/14, ``000003001410001`` is section 4's fifteen
numbers.  Only the table's own rules can tell where one number ends and the
next begins:

- a number is printed without leading zeros (``0`` itself, or ``0.5``, but
  never ``07``), a sign (``+34``, ``-467``) starts a number, and ``/`` or
  ``—`` is a cell of its own (not applicable: null);
- a row's sum rules (the 总计 column is the sum of the six applicant columns;
  each section-4 group's 总计 is the sum of its four results);
- the column rules across a whole table (本年新收 + 上年结转 = （七）总计 +
  结转下年度; （七）总计 = the sum of the outcome rows), for rows that their
  own sums leave open.

Spaces inside a run are hints, not separators to trust blindly: a reading that
cuts at every space is preferred, and only if none fits are the spaces
ignored.  A reading is taken only when the rules leave exactly one; otherwise
the cells stay empty (null) and the reason is given.  The search is bounded:
at most :data:`MAX_STEPS` steps per run and :data:`MAX_TABLE_STEPS` for a
whole table; a run that would need more is left empty with a warning, never
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.cells import Cell, parse_number
from index.model import Figure, Number

# A sum rule over the cells of one row: cells[total] == sum(cells[parts]).
Rule = tuple[tuple[int, ...], int]
# A sum rule over the rows of a table, per column: sum(left rows) == sum(right rows).
ColumnRule = tuple[tuple[str, ...], tuple[str, ...]]

# Per run: the hardest 7-cell row of 20 digits (all ones) takes ~14 000 steps, one of
# 24 digits ~47 000; a longer run is no table row as printed.
MAX_STEPS = 50_000
MAX_READINGS = 64  # per row, kept for the column rules to choose from
MAX_TABLE_STEPS = 50_000  # combinations of open rows tried against the column rules

UNIT = re.compile(r"(万元|元)$")
NUMBER = re.compile(r"^[+-]?(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?$")
NOT_APPLICABLE = "/—"  # a cell printed as not applicable: a number of its own, null


class TooLong(Exception):
    """The search for readings hit its bound."""


@dataclass(frozen=True)
class Run:
    """The characters of one or more run cells, with what each gap between them allows."""

    chars: tuple[str, ...]  # digits, "." and signs; spaces dropped
    positions: tuple[int, ...]  # where each was printed, in the normalised text
    hard: frozenset[int]  # a number must start at these indexes (a sign, a new cell)
    hints: frozenset[int]  # a space was printed before these indexes
    no_cut: frozenset[int]  # a number cannot start here ("." and what follows a sign or a ".")
    unit: str = ""  # "元"/"万元" printed after the last number
    unit_end: int = -1
    printed: tuple[tuple[int, str], ...] = ()  # (start, text) of each cell, for the figures' raw text

    @property
    def digits(self) -> int:
        return sum(c.isdigit() for c in self.chars)


def make_run(cells: Sequence[Cell]) -> Run:
    """The run printed in ``cells`` (each cell's start is a hard cut)."""
    chars: list[str] = []
    positions: list[int] = []
    hard: set[int] = set()
    hints: set[int] = set()
    no_cut: set[int] = set()
    unit, unit_end = "", -1
    for n, cell in enumerate(cells):
        text = cell.text
        if n == len(cells) - 1 and (m := UNIT.search(text)):
            unit, unit_end, text = m.group(), cell.start + len(text), text[: m.start()]
        if chars:
            hard.add(len(chars))
        spaced = False
        for offset, ch in enumerate(text):
            if ch.isspace():
                spaced = True
                continue
            i = len(chars)
            if spaced and i:
                hints.add(i)
            spaced = False
            if (ch in "+-" or ch in NOT_APPLICABLE or (i and chars[i - 1] in NOT_APPLICABLE)) and i:
                hard.add(i)
            if ch in ".," or (i and chars[i - 1] in "+-.,") or (ch == "—" and i and chars[i - 1] == "—"):
                no_cut.add(i)
            chars.append(ch)
            positions.append(cell.start + offset)
    printed = tuple((c.start, c.text) for c in cells)
    return Run(tuple(chars), tuple(positions), frozenset(hard), frozenset(hints), frozenset(no_cut), unit, unit_end, printed)


Reading = tuple[tuple[int, int], ...]  # (start, end) indexes into Run.chars, one per number


NA = object()  # the value of a not-applicable cell: no number, but a cell all the same


def value(run: Run, start: int, end: int, last: bool) -> Number | object | None:
    """The number ``run.chars[start:end]`` reads as; NA for "/" or "—"; None if it is no number."""
    text = "".join(run.chars[start:end])
    if text == "/" or set(text) == {"—"}:
        return NA
    if not NUMBER.match(text):
        return None
    return parse_number(text + (run.unit if last else ""))


def holds(values: Sequence, rule: Rule) -> bool:
    """A sum rule on one row; a rule over a not-applicable cell cannot be checked and holds."""
    parts, total = rule
    cells = [values[p] for p in parts] + [values[total]]
    if any(v is NA for v in cells):
        return True
    return abs(values[total] - sum(values[p] for p in parts)) < 1e-6


def readings(run: Run, n: int, rules: Sequence[Rule], *, hints: bool) -> Iterator[tuple[Reading, tuple[Number, ...]]]:
    """Every way to read ``run`` as ``n`` numbers that keeps ``rules``; raise TooLong past the bound."""
    size = len(run.chars)
    closing: dict[int, list[Rule]] = {}  # rules checked once their last cell is read
    for rule in rules:
        closing.setdefault(max(rule[0] + (rule[1],)), []).append(rule)
    # rules whose total is still to come once cell k is read: (parts read so far, total)
    pending: dict[int, list[tuple[tuple[int, ...], int]]] = {}
    for parts, total in rules:
        for k in parts:
            if k < total:
                pending.setdefault(k, []).append((tuple(p for p in parts if p <= k), total))
    steps = 0
    spans: list[tuple[int, int]] = []
    values: list = []

    def room_for_totals(k: int, end: int) -> bool:
        """Whether each total still to come can hold the sum of its parts read so far.

        A total is at least that sum, so it needs at least that many digits,
        and every number after this one needs one digit at least.
        """
        for parts, total in pending.get(k, []):
            partial = [values[p] for p in parts]
            if NA in partial or any(not isinstance(v, int) or v < 0 for v in partial):
                continue
            if len(str(sum(partial))) > size - end - (n - 1 - k - 1):
                return False
        return True

    # the furthest a number starting at i may reach: the next forced cut
    forced = run.hard | run.hints if hints else run.hard
    reach = [size] * (size + 1)
    for i in range(size - 1, -1, -1):
        reach[i] = i + 1 if i + 1 in forced else reach[i + 1]

    def walk(start: int) -> Iterator[tuple[Reading, tuple[Number, ...]]]:
        nonlocal steps
        k = len(values)
        left = n - k - 1  # numbers still to read after this one
        if left == 0:
            ends = [size] if reach[start] == size else []
        else:
            ends = range(start + 1, min(reach[start], size - left) + 1)
        for end in ends:
            steps += 1
            if steps > MAX_STEPS:
                raise TooLong
            if end < size and end in run.no_cut:
                continue
            x = value(run, start, end, end == size)
            if x is None:
                if run.chars[start] == "0" and end - start > 1 and "." not in run.chars[start:end]:
                    break  # a leading zero: no longer number from here reads either
                continue
            spans.append((start, end))
            values.append(x)
            if not room_for_totals(k, end):
                spans.pop()
                values.pop()
                if isinstance(x, int) and x >= 0:
                    break  # a longer number here only leaves less room
                continue
            if all(holds(values, rule) for rule in closing.get(k, [])):
                if left == 0:
                    yield tuple(spans), tuple(values)
                else:
                    yield from walk(end)
            spans.pop()
            values.pop()

    if size >= n and n > 0:
        yield from walk(0)


def candidates(run: Run, n: int, rules: Sequence[Rule]) -> tuple[list[tuple[Reading, tuple[Number, ...]]], str | None]:
    """The readings the rules allow (up to MAX_READINGS + 1), and why there are none if so.

    Readings that cut at every printed space are preferred; if none fits, the
    spaces are ignored.
    """
    try:
        for use_hints in (True, False) if run.hints else (False,):
            found = []
            for r in readings(run, n, rules, hints=use_hints):
                found.append(r)
                if len(found) > MAX_READINGS:
                    break
            if found:
                return found, None
    except TooLong:
        return [], f"连排数字过长（{run.digits} 位），超出拆分的搜索上限"
    if run.digits < n:
        return [], f"连排数字只有 {run.digits} 位，少于应有的 {n} 个单元格"
    return [], NO_FIT if rules else "无法拆分"


NO_FIT = "没有一种拆分符合本行的合计关系"


def figures(run: Run, reading: Reading, values: Sequence[Number]) -> list[Figure]:
    out = []
    for k, ((a, b), x) in enumerate(zip(reading, values)):
        start, end = run.positions[a], run.positions[b - 1] + 1
        if k == len(reading) - 1 and run.unit:
            end = run.unit_end
        cell_start, text = next((s, t) for s, t in reversed(run.printed) if s <= start)
        out.append(Figure(None if x is NA else x, text[start - cell_start : end - cell_start], start, end))
    return out


def split_row(run: Run, n: int, rules: Sequence[Rule]) -> tuple[list[Figure] | None, str | None]:
    """One row on its own: its figures if exactly one reading fits, else None and why."""
    found, why = candidates(run, n, rules)
    if len(found) == 1:
        return figures(run, *found[0]), None
    return None, _left_empty(run, why or _several(found))


def _several(found: list[tuple[Reading, tuple[Number, ...]]]) -> str:
    many = f"超过 {MAX_READINGS} 种" if len(found) > MAX_READINGS else f"{len(found)} 种"
    shown = "、".join("/".join(_fmt(x) for x in v) for _, v in found[:3])
    return f"有{many}拆分都说得通（如 {shown}），无法确定"


def _left_empty(run: Run, why: str) -> str:
    return f"单元格数字连排（{_printed(run)}），{why}，该行留空"


def _printed(run: Run) -> str:
    chars = "".join(run.chars)
    return chars if len(chars) <= 40 else chars[:40] + "…"


def split_table(
    runs: dict[str, Run], n: int, row_rules: Sequence[Rule], column_rules: Sequence[ColumnRule]
) -> dict[str, tuple[list[Figure] | None, str | None]]:
    """Every row of a table: rows their own sums decide, then the rest by the column rules.

    Rows the column rules must decide are tried together (each of their
    readings against the others), so that the choice is the one the whole
    table allows, and only when exactly one combination fits.
    """
    out: dict[str, tuple[list[Figure] | None, str | None]] = {}
    fixed: dict[str, tuple[Number, ...]] = {}  # rows read: their values
    options: dict[str, list[tuple[Reading, tuple[Number, ...]]]] = {}  # rows left open
    for key, run in runs.items():
        found, why = candidates(run, n, row_rules)
        if why == NO_FIT:  # printed sums are sometimes wrong: the column rules may still fix the cells
            found, why = candidates(run, n, [])
        if len(found) == 1:
            out[key], fixed[key] = (figures(run, *found[0]), None), found[0][1]
        elif not found or len(found) > MAX_READINGS:
            out[key] = None, _left_empty(run, why or _several(found))
        else:
            options[key] = found
    open_rows = list(options)
    if not open_rows:
        return out
    usable = [r for r in column_rules if all(k in fixed or k in open_rows for k in r[0] + r[1]) and any(k in open_rows for k in r[0] + r[1])]
    solutions, exhausted = _combine(open_rows, options, fixed, usable, n)
    if len(solutions) == 1:
        (choice,) = solutions
        for k, (reading, values) in zip(open_rows, choice):
            out[k] = figures(runs[k], reading, values), f"单元格数字连排（{_printed(runs[k])}），按表格的列合计关系唯一拆分"
        return out
    if exhausted:
        why = "与其他行的组合过多，超出拆分的搜索上限"
    elif solutions:
        why = "与其他行至少有 2 种组合都符合行、列合计关系，无法确定"
    else:
        why = "没有一种拆分同时符合行、列合计关系"
    for k in open_rows:
        shown = "、".join("/".join(_fmt(x) for x in v) for _, v in options[k][:3])
        out[k] = None, _left_empty(runs[k], f"本行合计允许多种拆分（如 {shown}），{why}")
    return out


def _combine(
    open_rows: list[str],
    options: dict[str, list[tuple[Reading, tuple[Number, ...]]]],
    fixed: dict[str, tuple[Number, ...]],
    rules: Sequence[ColumnRule],
    n: int,
) -> tuple[list[tuple], bool]:
    """Combinations of the open rows' readings that keep every column rule (at most two found)."""
    order = {k: i for i, k in enumerate(open_rows)}
    # each rule is checked as soon as its last open row is chosen
    due: dict[int, list[ColumnRule]] = {}
    for rule in rules:
        due.setdefault(max(order[k] for k in rule[0] + rule[1] if k in order), []).append(rule)
    chosen: list[tuple[Reading, tuple[Number, ...]]] = []
    found: list[tuple] = []
    steps = 0

    def row(k: str) -> tuple[Number, ...]:
        return fixed[k] if k in fixed else chosen[order[k]][1]

    def column_holds(rule: ColumnRule) -> bool:
        left, right = rule
        for j in range(n):
            a, b = [row(k)[j] for k in left], [row(k)[j] for k in right]
            if NA not in a + b and abs(sum(a) - sum(b)) > 1e-6:
                return False
        return True

    def walk(i: int) -> None:
        nonlocal steps
        if len(found) > 1:
            return
        if i == len(open_rows):
            found.append(tuple(chosen))
            return
        for option in options[open_rows[i]]:
            steps += 1
            if steps > MAX_TABLE_STEPS:
                raise TooLong
            chosen.append(option)
            if all(column_holds(r) for r in due.get(i, [])):
                walk(i + 1)
            chosen.pop()

    try:
        walk(0)
    except TooLong:
        return found, True
    return found, False


def _fmt(x: Number | object) -> str:
    if x is NA:
        return "/"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"  # type: ignore[arg-type]
