"""Splitting run-together digits by the table's arithmetic (index/runs.py).

The oracle here is plain brute force: every way to cut the digits into the
row's cells, numbers printed without leading zeros, kept if the sums hold.
"""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.cells import Cell
from index.runs import MAX_STEPS, make_run, split_row

ROW = [((0, 1, 2, 3, 4, 5), 6)]
REVIEW = [((0, 1, 2, 3), 4), ((5, 6, 7, 8), 9), ((10, 11, 12, 13), 14)]


def run_of(text: str):
    return make_run([Cell(text, 100, 100 + len(text), 0, "run")])


def brute_force(digits: str, n: int, rules) -> set[tuple[int, ...]]:
    found = set()
    for cuts in combinations(range(1, len(digits)), n - 1):
        bounds = (0, *cuts, len(digits))
        parts = [digits[a:b] for a, b in zip(bounds, bounds[1:])]
        if any(len(p) > 1 and p[0] == "0" for p in parts):
            continue
        values = tuple(map(int, parts))
        if all(values[t] == sum(values[p] for p in ps) for ps, t in rules):
            found.add(values)
    return found


@st.composite
def rows(draw):
    """Seven cells of a section-3 row whose first six add up to the seventh."""
    small = st.one_of(st.just(0), st.integers(0, 9), st.integers(10, 120))
    six = draw(st.lists(small, min_size=6, max_size=6))
    return [*six, sum(six)]


@settings(max_examples=300, deadline=None)
@given(rows())
def test_a_run_is_read_only_when_the_sums_leave_one_reading(row):
    digits = "".join(map(str, row))
    readings = brute_force(digits, 7, ROW)
    assert tuple(row) in readings
    figures, problem = split_row(run_of(digits), 7, ROW)
    if len(readings) == 1:
        assert problem is None and [f.value for f in figures] == row
        # every figure points at its own digits
        assert "".join(f.raw for f in figures) == digits
        assert [f.start for f in figures] == sorted(f.start for f in figures)
    else:
        assert figures is None and "无法确定" in problem  # never a guess


@settings(max_examples=200, deadline=None)
@given(rows(), st.data())
def test_spaces_printed_at_cell_borders_decide(row, data):
    # a crawler that left a space between some cells: those spaces are taken as borders
    spaced = [i for i in range(1, 7) if data.draw(st.booleans())]
    text = "".join((" " if i in spaced else "") + str(v) for i, v in enumerate(row))
    figures, problem = split_row(run_of(text), 7, ROW)
    if len(spaced) == 6:
        assert problem is None and [f.value for f in figures] == row
    if figures is not None:
        assert [f.value for f in figures] == row or brute_force(text.replace(" ", ""), 7, ROW) != {tuple(row)}


def test_two_readings_that_both_add_up_give_null_and_say_why():
    # 11/0/0/0/0/0/11 and 1/10/0/0/0/0/11
    assert brute_force("110000011", 7, ROW) == {(11, 0, 0, 0, 0, 0, 11), (1, 10, 0, 0, 0, 0, 11)}
    figures, problem = split_row(run_of("110000011"), 7, ROW)
    assert figures is None
    assert "110000011" in problem and "2 种" in problem and "11/0/0/0/0/0/11" in problem


def test_a_space_that_fits_no_reading_is_not_trusted():
    # "1 400000 14": a space inside 14 that no reading respects; without it, 14/0/0/0/0/0/14
    figures, problem = split_row(run_of("1 400000 14"), 7, ROW)
    assert problem is None and [f.value for f in figures] == [14, 0, 0, 0, 0, 0, 14]


def test_section_4_groups_each_add_up():
    figures, problem = split_row(run_of("000003001410001"), 15, REVIEW)
    assert problem is None
    assert [f.value for f in figures] == [0, 0, 0, 0, 0, 3, 0, 0, 1, 4, 1, 0, 0, 0, 1]
    # a two-digit total: 10/0/0/0/10 is the only reading of the first group that adds up
    digits = "1000010" + "0" * 10
    assert brute_force(digits, 15, REVIEW) == {(10, 0, 0, 0, 10) + (0,) * 10}
    figures, problem = split_row(run_of(digits), 15, REVIEW)
    assert problem is None and [f.value for f in figures][:5] == [10, 0, 0, 0, 10]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=4, max_size=4), min_size=3, max_size=3))
def test_section_4_reading_agrees_with_brute_force(groups):
    values = [v for g in groups for v in (*g, sum(g))]
    digits = "".join(map(str, values))
    readings = brute_force(digits, 15, REVIEW)
    figures, problem = split_row(run_of(digits), 15, REVIEW)
    if readings == {tuple(values)}:
        assert [f.value for f in figures] == values
    else:
        assert figures is None and problem


def test_signs_decimals_units_and_not_applicable():
    figures, problem = split_row(run_of("654-467187"), 3, [])
    assert figures is None and "无法确定" in problem  # 654/-467/187, 654/-4/67187, …
    figures, problem = split_row(run_of("0/126"), 3, [])
    assert problem is None and [f.value for f in figures] == [0, None, 126]
    figures, problem = split_row(run_of("012.5万元"), 2, [])  # no leading zeros: 0 / 12.5万元
    assert problem is None and [f.value for f in figures] == [0, 12.5] and figures[1].raw == "12.5万元"


def test_a_long_run_is_bounded_and_left_empty():
    digits = "1" * 400
    figures, problem = split_row(run_of(digits), 15, REVIEW)
    assert figures is None and "上限" in problem
    assert MAX_STEPS <= 1_000_000  # the bound is what keeps one file from taking unbounded time
