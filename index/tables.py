"""Find and read the three disclosure tables: section 2, 3 and 4.

Tables are found by their own row and column labels, never by the heading
before them (headings go missing; one sample prints the section-3 table under
heading 二).  Within a table, each number cell belongs to the row label last
seen before it, so the reading survives every layout the exports produce: one
row per line, one cell per line, rows broken in the middle of a label.

A row with the wrong count of numbers is never guessed at.  If the report's own
sum rules (勾稽关系) leave exactly one way to read it, that reading is taken and
a warning says so; otherwise the row's cells are left empty (null) and a
warning says why.  A row whose digits run together (crawled text) is split by
``index/runs.py``, by the same rules, and for section 3 by the table's column
rules as well.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Callable, Collection
from itertools import combinations

from index.cells import Cell, parse_number
from index.model import Figure, Number, Table
from index.runs import Rule, make_run, split_row, split_table
from index.template import (
    AMOUNT_COLUMNS,
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    BALANCE,
    COLUMNS_2019,
    COLUMNS_2021,
    PROACTIVE_COLUMNS,
    PROACTIVE_HEADINGS,
    PROACTIVE_ITEMS,
    OUTCOME_ROWS,
    REVIEW_GROUPS,
    REVIEW_RESULTS,
    ROWS_BY_KEY,
    heading_number,
    rows_for,
)

ROW_TOTAL: list[Rule] = [((0, 1, 2, 3, 4, 5), 6)]  # 总计 = the six applicant columns
REVIEW_TOTALS: list[Rule] = [((0, 1, 2, 3), 4), ((5, 6, 7, 8), 9), ((10, 11, 12, 13), 14)]

LABEL_MAX = 60  # a row label is short; longer text is prose, and ends a table
ENUMERATOR = re.compile(r"^(?:[(（]?[一二三四五六七八九十]+[)）、.]|\(?\d+[).、]|[0-9]+\.)")


@dataclass
class RowSpan:
    """Where a table row was printed: from its label to its last number."""

    key: str  # contract path, e.g. "applications.new_received"
    start: int
    end: int


@dataclass
class TableRead:
    table: Table
    start: int
    end: int
    rows: list[RowSpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)  # rows/columns whose labels were seen
    template: str | None = None  # the template the table was read as


# ------------------------------------------------------------------ helpers


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def strip_enumerator(text: str) -> str:
    return ENUMERATOR.sub("", squash(text), count=1)


def is_prose(cell: Cell) -> bool:
    return len(cell.squashed) > LABEL_MAX or cell.text.endswith("。")


def is_heading(cell: Cell) -> bool:
    return heading_number(cell.text) is not None


def satisfies(vec: list[Number], rules: list[Rule]) -> bool:
    return all(abs(vec[t] - sum(vec[p] for p in parts)) < 1e-6 for parts, t in rules)


def solve(vec: list[Number | None], j: int, rules: list[Rule]) -> Number | None:
    """The value of the one unknown ``vec[j]`` that a rule pins down, if any."""
    for parts, t in rules:
        if j == t:
            return sum(vec[p] for p in parts)  # type: ignore[misc]
        if j in parts:
            return vec[t] - sum(vec[p] for p in parts if p != j)  # type: ignore[operator]
    return None


def read_cells(segment: list[Cell], n: int, rules: list[Rule], grid: Collection[int] = ()) -> tuple[list[Figure], str | None]:
    """Read ``n`` figures from the cells printed after a row label.

    ``grid``: the lines that are full rows of a rectangular table (an
    HTML or Word table row, as wide as the table's other rows), where a blank
    cell is a cell wherever it stands.  Returns the figures and what was
    irregular about the row (None if nothing).
    """
    runs = [c for c in segment if c.kind == "run"]
    if runs:
        figures, problem = split_row(make_run(runs), n, rules)
        return figures or [Figure(None) for _ in range(n)], problem
    numbers = [c for c in segment if c.is_number]
    if len(numbers) == n:
        return [c.figure() for c in numbers], None
    if len(numbers) < n and numbers:
        # Blank cells stand for empty (not applicable) cells: between numbers, or,
        # in a row printed on one line (an HTML or Word table row), anywhere in it.
        first, last = segment.index(numbers[0]), segment.index(numbers[-1])
        window = segment[first : last + 1]
        line = [c for c in segment if c.line == numbers[-1].line]
        if len(window) != n and line[0].line in grid and all(c in line for c in numbers) and len(line) >= n and all(c.kind == "blank" for c in line[:-n]):
            window = line[-n:]  # before the cells: the blanks a label's colspan leaves
        if len(window) == n:
            return [c.figure() for c in window], "空白单元格按“不适用”（空值）读取"
    return reconcile(numbers, n, rules)


def reconcile(numbers: list[Cell], n: int, rules: list[Rule]) -> tuple[list[Figure], str]:
    """Read a row printed with too many or too few numbers, if only one reading fits."""
    values = [parse_number(c.text) for c in numbers]
    printed = f"印有 {len(numbers)} 个数字（应为 {n} 个）"
    readings: dict[tuple, list[Figure]] = {}
    if all(v is not None for v in values) and numbers and len(numbers) > n and len(numbers) - n <= 2:
        for dropped in combinations(range(len(numbers)), len(numbers) - n):
            kept = [i for i in range(len(numbers)) if i not in dropped]
            vec = [values[i] for i in kept]
            if satisfies(vec, rules):  # type: ignore[arg-type]
                readings.setdefault(tuple(vec), [numbers[i].figure() for i in kept])
        how = "，多出的数字按重复单元格去掉（唯一符合合计关系的读法）"
    elif all(v is not None for v in values) and numbers and len(numbers) == n - 1:
        for j in reversed(range(n)):  # prefer a cell lost at the end of the row
            vec: list[Number | None] = values[:j] + [None] + values[j:]
            x = solve(vec, j, rules)
            if x is None or x < 0:
                continue
            vec[j] = x
            if satisfies(vec, rules):  # type: ignore[arg-type]
                figs = [c.figure() for c in numbers]
                figs.insert(j, Figure(x, deduced=True))
                readings.setdefault(tuple(vec), figs)
        how = "，缺失的单元格由本行合计关系唯一推出"
    if len(readings) == 1:
        return next(iter(readings.values())), printed + how
    return [Figure(None) for _ in range(n)], printed + "，无法确定各数字所属的列，该行留空"


def grouped(problems: list[tuple[str, str]], part: str) -> list[str]:
    """One warning per kind of problem, naming the rows that have it."""
    by_problem: dict[str, list[str]] = {}
    for name, problem in problems:
        by_problem.setdefault(problem, []).append(f"“{name}”")
    return [f"{part}{'、'.join(names)}：{problem}" for problem, names in by_problem.items()]


def row_span(label: Cell, figures: list[Figure]) -> tuple[int, int]:
    ends = [f.end for f in figures if f.end >= 0]
    return label.start, max([label.end, *ends])


# ------------------------------------------------------------------ section 3


def match_row(cell: Cell) -> str | None:
    """The section-3 row a label cell names, or None."""
    return _row_named(cell.text) if cell.kind == "text" else None


@lru_cache(maxsize=4096)  # the template's labels recur in every report: each is matched once
def _row_named(text: str) -> str | None:
    if len(Cell(text, 0, 0, 0, "text").squashed) > LABEL_MAX:
        return None
    label = strip_enumerator(text)
    if label == "其他":
        return "other"
    for row in APPLICATION_ROWS:
        if row.key == "processed_total":
            if "总计" in label and len(label) <= 8:
                return row.key
        elif any(word in label for word in row.match):
            return row.key
    return None


def match_broken(cells: list[Cell], i: int, match: Callable[[Cell], str | None]) -> str | None:
    """A label broken inside its identifying words ("属于国家" / "秘密"): join it to the next cell."""
    if i + 1 >= len(cells) or cells[i + 1].kind != "text" or match(cells[i + 1]):
        return None
    a, b = cells[i], cells[i + 1]
    return match(Cell(a.text + b.text, a.start, b.end, a.line, "text"))


def has_numbers(cells: list[Cell]) -> bool:
    return any(c.is_number for c in cells)


def find_applications_start(cells: list[Cell]) -> int | None:
    for i, c in enumerate(cells):
        if match_row(c) == "new_received" and len(c.squashed) <= 40:
            return i
    return None


def template_from_rows(rows: set[str], year: int | None) -> str | None:
    """The template a section-3 table follows, by its rows, else by the year.

    Only the 2021 template has the two 逾期 rows under （六）其他处理.
    """
    if {"other_overdue_correction", "other_overdue_fee"} & rows:
        return "2021"
    if "other" in rows:
        return "2019"
    if year:
        return "2021" if year >= 2021 else "2019"
    return None


def read_applications(cells: list[Cell], template: str | None, year: int | None = None) -> TableRead | None:
    """Read the section-3 table; ``template`` (from section 2's columns) and ``year`` break ties only."""
    start = find_applications_start(cells)
    if start is None:
        return None
    segments: dict[str, list[Cell]] = {}
    label_cells: dict[str, Cell] = {}
    current: str | None = None
    end = cells[start].end
    for i, c in enumerate(cells[start:], start):
        if c.kind == "text":
            key = match_row(c) or match_broken(cells, i, match_row)
            if key is None and (is_heading(c) or is_prose(c) or is_review_header(c)):
                break
            if current == "carried_forward" and has_numbers(segments[current]) and key != current:
                break  # the last row is done; what follows is not this table's
            # A label seen before without numbers was a group label: 2021's
            # "（六）其他处理" is followed by its sub-rows, the last being "3.其他".
            if key and (key not in segments or (key != current and not has_numbers(segments[key]))):
                current = key
                segments[key] = []
                label_cells[key] = c
            continue  # a group label ("（三）不予公开") or a piece of a broken label
        if current is not None:
            segments[current].append(c)
            end = max(end, c.end)

    # 2019: "（六）其他处理" carries the numbers itself; 2021: its sub-row "3.其他" does.
    out = TableRead({}, cells[start].start, end, labels=set(segments))
    # the table's own rows decide; the section-2 columns (``template``) and the year only when they cannot
    template = template_from_rows(set(segments), None) or template or template_from_rows(set(), year) or "2021"
    out.template = template
    problems: list[tuple[str, str]] = []
    for key in realign(segments, [r.key for r in rows_for(template)]):
        problems.append((ROWS_BY_KEY[key].label_for(template), "数字印在相邻行的行名旁（PDF 文本错行），按行序分回两行（两行各自合计成立）"))
    split = split_runs(segments, template)
    grid = grid_lines(cells, [c for seg in segments.values() for c in seg if c.is_number])
    for row in rows_for(template):
        if row.key not in segments:
            out.table[row.key] = {col: Figure(None) for col in APPLICANT_COLUMNS}
            problems.append((row.label_for(template), "未找到该行，各单元格留空"))
            continue
        if row.key in split:
            found, problem = split[row.key]
            figures = found or [Figure(None) for _ in APPLICANT_COLUMNS]
        else:
            figures, problem = read_cells(segments[row.key], len(APPLICANT_COLUMNS), ROW_TOTAL, grid)
        out.table[row.key] = dict(zip(APPLICANT_COLUMNS, figures))
        if problem:
            problems.append((row.label_for(template), problem))
        out.rows.append(RowSpan(f"applications.{row.key}", *row_span(label_cells[row.key], figures)))
    out.warnings = grouped(problems, "第三部分")
    return out


def grid_lines(cells: list[Cell], numbers: list[Cell]) -> set[int]:
    """The lines holding ``numbers``, if they are all as wide (in cells): the rows of a rectangular table.

    HTML and Word tables come out so (a merged or blank cell is an empty cell);
    text whose rows lost cells does not, and its blanks are not cells.
    """
    width = Counter(c.line for c in cells)
    lines = {c.line for c in numbers}
    return lines if len({width[line] for line in lines}) == 1 else set()


def realign(segments: dict[str, list[Cell]], keys: list[str]) -> list[str]:
    """Give back numbers that PDF text printed beside the next or previous row's label.

    pdfplumber orders lines by height: a tall label (a long one wrapped over
    three lines, or a group label such as "（三）不予公开" centred on its
    sub-rows) can put one row's numbers after the next row's label, so that
    row comes with none and its neighbour with twice a row's count.  The
    numbers go back in reading order, and only if each half keeps its own
    row's sum.  Returns the rows that were realigned.
    """
    n = len(APPLICANT_COLUMNS)
    moved: list[str] = []
    present = [k for k in keys if k in segments]
    for a, b in zip(present, present[1:]):
        numbers_a = [c for c in segments[a] if c.kind == "value"]
        numbers_b = [c for c in segments[b] if c.kind == "value"]
        if not numbers_a and len(numbers_b) == 2 * n and len(numbers_b) == len([c for c in segments[b] if c.is_number]):
            both = numbers_b
        elif not numbers_b and len(numbers_a) == 2 * n and len(numbers_a) == len([c for c in segments[a] if c.is_number]):
            both = numbers_a
        else:
            continue
        halves = (both[:n], both[n:])
        values = [[parse_number(c.text) for c in half] for half in halves]
        if all(None not in v and satisfies(v, ROW_TOTAL) for v in values):  # type: ignore[arg-type]
            segments[a], segments[b] = halves[0], halves[1]
            moved += [a, b]
    return moved


def split_runs(segments: dict[str, list[Cell]], template: str) -> dict[str, tuple[list[Figure] | None, str | None]]:
    """Section-3 rows printed as digit runs, split together: by each row's sum, then the columns'."""
    keys = [r.key for r in rows_for(template)]
    runs = {k: make_run([c for c in segments[k] if c.kind == "run"]) for k in keys if any(c.kind == "run" for c in segments.get(k, []))}
    if not runs:
        return {}
    outcomes = tuple(k for k in OUTCOME_ROWS if k in keys)
    return split_table(runs, len(APPLICANT_COLUMNS), ROW_TOTAL, [BALANCE, (("processed_total",), outcomes)])


# ------------------------------------------------------------------ section 4


def is_review_header(cell: Cell) -> bool:
    """The first header cell of the section-4 table (PDF text may join it to the next)."""
    return cell.kind == "text" and cell.squashed.startswith(("行政复议", "行政诉讼")) and len(cell.squashed) <= 40


def read_review_litigation(cells: list[Cell]) -> TableRead | None:
    start = None
    for i, c in enumerate(cells):
        if is_review_header(c):
            ahead = " ".join(x.squashed for x in cells[i + 1 : i + 40])
            if "起诉" in ahead or "行政诉讼" in ahead:
                start = i
                break
    if start is None:
        return None
    segment: list[Cell] = []
    for i, c in enumerate(cells[start + 1 :], start + 1):
        if c.kind == "text":
            if segment or is_heading(c) or is_prose(c):
                break  # header cells come first; text after the numbers ends the table
            continue
        if c.is_number and not segment:  # blank cells opening the numbers' row are cells too
            j = i
            while j > start + 1 and cells[j - 1].kind == "blank" and cells[j - 1].line == c.line:
                j -= 1
            segment.extend(cells[j:i])
        if c.is_number or segment:
            segment.append(c)
    last_line = max((c.line for c in segment if c.is_number), default=-1)
    while segment and segment[-1].kind == "blank" and segment[-1].line != last_line:
        segment.pop()
    columns = [(g, r) for g in REVIEW_GROUPS for r in REVIEW_RESULTS]
    figures, problem = read_cells(segment, len(columns), REVIEW_TOTALS, grid_lines(cells, [c for c in segment if c.is_number]))
    table: Table = {g: {} for g in REVIEW_GROUPS}
    for (g, r), f in zip(columns, figures):
        table[g][r] = f
    end = max([cells[start].end] + [c.end for c in segment])
    out = TableRead(table, cells[start].start, end, labels={"review_litigation"})
    out.rows.append(RowSpan("review_litigation", cells[start].start, end))
    if problem:
        out.warnings.append(f"第四部分复议诉讼表：{problem}")
    return out


# ------------------------------------------------------------------ section 2


def match_item(cell: Cell) -> str | None:
    label = strip_enumerator(cell.text)
    for key, (_, names) in PROACTIVE_ITEMS.items():
        if label in names:
            return key
    return None


def match_columns(cell: Cell) -> list[str]:
    """The section-2 column headers in a cell, in printed order (PDF text joins them)."""
    label = cell.squashed
    if len(label) > 80:
        return []
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for key, (_, words) in PROACTIVE_COLUMNS.items():
        for word in words:
            for m in re.finditer(re.escape(word), label):
                if not any(a < m.end() and m.start() < b for a, b in taken):
                    found.append((m.start(), key))
                    taken.append(m.span())
    return [key for _, key in sorted(found)]


def read_proactive(cells: list[Cell], stop: int | None) -> TableRead | None:
    """Read the section-2 table, which must end before cell index ``stop``."""
    region = cells[:stop] if stop is not None else cells
    start = next(
        (i for i, c in enumerate(region) if c.kind == "text" and (PROACTIVE_HEADINGS.match(c.squashed) or match_columns(c))),
        None,
    )
    if start is None:
        return None
    columns: list[str] = []
    in_header = False
    current: str | None = None
    items: dict[str, tuple[Cell, list[str], list[Cell]]] = {}
    for i, c in enumerate(region[start:], start):
        if c.kind == "text":
            heading = heading_number(c.text)
            if (heading and heading >= 3) or is_prose(c) or "申请人情况" in c.squashed:
                break
            if PROACTIVE_HEADINGS.match(c.squashed):
                columns, in_header, current = [], True, None
                continue
            found = match_columns(c)
            if found:
                if not in_header:
                    columns, in_header = [], True
                columns.extend(found)
                continue
            item = match_item(c) or match_broken(region, i, match_item)
            if item and item not in items:
                in_header, current = False, item
                items[item] = (c, list(columns), [])
            continue
        if current is not None:
            items[current][2].append(c)
    if not items:
        return None
    out = TableRead({}, region[start].start, region[start].end, labels=set(items))
    problems: list[tuple[str, str]] = []
    for item, (label, cols, segment) in items.items():
        while segment and segment[-1].kind == "blank":
            segment.pop()
        name = PROACTIVE_ITEMS[item][0]
        if not cols:
            problems.append((name, "没有找到表头，无法判断各数字所属的列"))
            continue
        figures, problem = read_cells(segment, len(cols), [])
        out.table[item] = dict(zip(cols, figures))
        for col, fig in out.table[item].items():
            if col not in AMOUNT_COLUMNS and fig.raw.endswith(("万元", "元")):
                problems.append((name, f"计数列“{PROACTIVE_COLUMNS[col][0]}”印有金额 {fig.raw}"))
        if problem:
            problems.append((name, problem))
        a, b = row_span(label, figures)
        out.rows.append(RowSpan(f"proactive.{item}", a, b))
        out.end = max(out.end, b)
    out.warnings = grouped(problems, "第二部分")
    return out


def proactive_template(table: Table | None) -> str | None:
    """Which template a section-2 table follows, judged by its columns."""
    columns = {col for cells in (table or {}).values() for col in cells}
    if columns & COLUMNS_2021:
        return "2021"
    if columns & COLUMNS_2019:
        return "2019"
    return None

