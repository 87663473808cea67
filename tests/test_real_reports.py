"""Real reports as published: a crawler's one-line text and the raw portal page.

``fixtures/real/`` holds six real reports from the Pingtan portal (see its
README): each as the crawler's ``.txt`` (header block, page flattened to one
line, table cells run together) and, for five, the raw portal ``.html``.  Both
forms must give the hand-read values in ``expected.json``.
"""

from __future__ import annotations

import json

import pytest
from real_reports import FOLDER, expected_values, got_values, score

from index.parse import parse_file

EXPECTED = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in FOLDER.iterdir() if p.suffix in (".txt", ".html"))


def want(name: str) -> dict:
    return EXPECTED[name.rsplit(".", 1)[0] + ".txt"]


@pytest.mark.parametrize("name", FILES)
def test_real_report_gives_the_hand_read_values(name):
    got = got_values(FOLDER / name)
    assert not isinstance(got, str), got  # refused
    values = expected_values(want(name))
    assert {k: got.get(k) for k in values} == values


def test_every_value_of_every_real_file_is_right():
    right, total, wrong = score()
    assert len(FILES) == 11 and total == 11 * 60
    assert (right, wrong) == (total, {})


@pytest.mark.parametrize("name", [n for n in FILES if n.endswith(".txt")])
def test_crawled_text_title_sections_and_signature(name):
    report = parse_file(FOLDER / name)
    assert report.title and report.title.replace(" ", "").startswith(want(name)["agency"])
    assert [s.number for s in report.sections] == [1, 2, 3, 4, 5, 6]
    assert report.posted and report.posted[:4] == str(want(name)["year"] + 1)
    assert report.published and report.published[:4] == str(want(name)["year"] + 1)
    # the tables' rows are passages of their own, and every number points at its digits
    rows = {p.row for p in report.passages if p.kind == "row"}
    assert {"applications.new_received", "applications.processed_total", "review_litigation"} <= rows
    for path, fig in report.figures().items():
        if fig.value is not None:
            assert report.text[fig.start : fig.end] == fig.raw and fig.raw.strip(), path


def test_stray_spaces_inside_runs_are_hints():
    report = parse_file(FOLDER / "pingtan-transport-construction-2023.txt")
    new = report.applications["new_received"]
    assert [f.value for f in new.values()] == [14, 0, 0, 0, 0, 0, 14]
    assert new["total"].raw == "14"  # "1400000 14": the space parts the total


def test_section_4_run_split_by_each_groups_sum():
    report = parse_file(FOLDER / "pingtan-social-affairs-2023.txt")
    rl = {g: [f.value for f in cells.values()] for g, cells in report.review_litigation.items()}
    assert rl == {"review": [0, 0, 0, 0, 0], "litigation_direct": [3, 0, 0, 1, 4], "litigation_after_review": [1, 0, 0, 0, 1]}


def test_broken_printed_sums_are_kept_and_reported():
    report = parse_file(FOLDER / "pingtan-economic-dev-2024.txt")
    assert report.applications["processed_total"]["total"].value == 0
    failed = {(c.rule, c.where) for c in report.checks if not c.ok}
    assert ("balance", "自然人") in failed and ("outcomes_sum", "总计") in failed


def test_section_2_runs_without_a_rule_are_read_only_when_one_reading_is_left():
    report = parse_file(FOLDER / "pingtan-approval-bureau-2019.txt")
    p = {item: {c: f.value for c, f in cells.items()} for item, cells in report.proactive.items()}
    # "00126": numbers are printed without leading zeros, so only 0/0/126 reads
    assert p["licensing"] == {"previous_count": 0, "change": 0, "decisions": 126}
    assert p["normative_documents"] == {"new_made": 6, "new_published": 6, "total_published": 6}
    social = parse_file(FOLDER / "pingtan-social-affairs-2023.txt")
    # "2120" may be 2/12/0, 21/2/0 or 2/1/20: left empty, and the warning says why
    assert all(f.value is None for f in social.proactive["normative_documents"].values())
    assert any("2120" in w and "无法确定" in w for w in social.warnings)
    assert social.proactive["licensing"]["decisions"].value == 1396  # one cell: the whole run


@pytest.mark.parametrize("name", [n for n in FILES if n.endswith(".txt")])
def test_pingtan_departments_resolve_to_fujian_fuzhou(name):
    region = parse_file(FOLDER / name).region
    assert (region.province, region.city) == ("福建省", "福州市")
