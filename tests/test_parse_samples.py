"""The five bundled samples parse to exactly their hand-checked values."""

from __future__ import annotations

from conftest import contract_diff, expected

from index.parse import parse_file


def test_sample_matches_expected(sample):
    report = parse_file(sample)
    assert contract_diff(report.to_dict(), expected(sample)) == []


def test_every_printed_number_points_at_the_cell_it_came_from(sample):
    report = parse_file(sample)
    for path, fig in report.figures().items():
        if fig.deduced or fig.value is None and fig.start < 0:
            continue
        assert report.text[fig.start : fig.end] == fig.raw, path
        passage = report.passage(fig.passage)
        assert passage is not None and passage.start <= fig.start < passage.end, path
        # and the passage is the row the number belongs to
        if passage.kind == "row" and passage.row and not path.startswith("review_litigation"):
            assert path.startswith(passage.row + "."), (path, passage.row)


def test_passages_are_ordered_disjoint_and_cover_the_tables(sample):
    report = parse_file(sample)
    ps = report.passages
    assert [p.id for p in ps] == [f"p{i}" for i in range(1, len(ps) + 1)]
    for a, b in zip(ps, ps[1:]):
        assert a.start < b.start and a.end <= b.start
    rows = {p.row for p in ps if p.kind == "row"}
    assert "applications.new_received" in rows and "review_litigation" in rows


def test_sections_are_found_in_order(sample):
    report = parse_file(sample)
    numbers = [s.number for s in report.sections]
    assert numbers == sorted(numbers) and numbers[0] == 1 and numbers[-1] == 6
    # every heading starts a line and is a passage of its own
    for s in report.sections:
        assert any(p.kind == "heading" and p.start == s.start for p in report.passages)


def test_printed_text_maps_back_to_the_original():
    report = parse_file("samples/zibo-gaoxin-yingji-2023.txt")
    start = report.text.index("淄博市张店区柳泉路109号1305室")
    printed = report.printed(start, start + len("淄博市张店区柳泉路109号1305室"))
    assert printed == "淄博市张店区柳泉路 109 号 1305 室"


def test_linzi_breaks_the_balance_rule_and_keeps_the_printed_numbers():
    report = parse_file("samples/zibo-linzi-yingji-2020.txt")
    failed = {(c.rule, c.where) for c in report.checks if not c.ok}
    assert ("balance", "自然人") in failed and ("balance", "总计") in failed
    assert report.applications["processed_total"]["natural_person"].value == 6
    assert not report.consistent


def test_irregular_pdf_rows_are_warned_about_not_guessed():
    report = parse_file("samples/zibo-gaoxin-yingji-2023.txt")
    text = "\n".join(report.warnings)
    assert "印有 6 个数字" in text and "印有 8 个数字" in text and "印有 16 个数字" in text
    deduced = [p for p, f in report.figures().items() if f.deduced]
    assert deduced and all(p.startswith("applications.") for p in deduced)
    assert report.proactive is None  # no section-2 table in this export


def test_signed_numbers_and_amounts_are_read_as_printed():
    report = parse_file("samples/zibo-linzi-yingji-2020.txt")
    assert report.proactive["licensing"]["change"].value == -467
    assert report.proactive["penalty"]["change"].raw == "+34"
    assert report.proactive["procurement"]["procurement_amount_wan"].value == 25.96


def test_key_figures_sum_the_groups():
    report = parse_file("samples/zibo-jiguan-shiwu-2023.txt")
    k = report.key_figures()
    assert k["new_received"] == 2 and k["disclosed"] == 2 and k["withheld"] == 0 and k["processed_total"] == 2
    assert k["licensing"] == 0 and k["review"] == 0 and k["litigation"] == 0


def test_key_figure_labels_cover_the_model():
    from index.template import KEY_FIGURES

    report = parse_file("samples/zibo-jiguan-shiwu-2023.txt")
    assert list(report.key_figures()) == list(KEY_FIGURES)


def test_json_round_trip_keeps_values_and_provenance(sample):
    from index.model import Report

    report = parse_file(sample)
    again = Report.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
