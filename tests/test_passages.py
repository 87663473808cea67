"""Passages that explain a hit: every query term shown, table rows as passages,
number conditions with their cell, and links that land on the report page."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLES
from web_fixtures import SAMPLES_DIR, build, soup

from index.model import Figure
from index.parse import parse_file
from search.engine import SearchRequest
from index.template import row_label
from search.passages import MAX_PASSAGES, Condition, Occurrences, best_passages, figure_cells, match_spans

REPORTS = {p.stem: parse_file(p) for p in SAMPLES}
MARK = re.compile(r"<mark>(.*?)</mark>")


def marked(html: str) -> set[str]:
    return set(MARK.findall(html))


def coverable(report, literals: list[str]) -> set[str]:
    """The literals some passage or parsed table row holds, found the obvious
    way: every span against every passage, every row label searched."""
    spans = match_spans(report, literals)
    found = {lit for lit, s in spans.items() if any(p.start <= a < p.end for a, _ in s for p in report.passages)}
    for table in ("proactive", "applications", "review_litigation"):
        for row in getattr(report, table) or {}:
            label = Occurrences(row_label(table, row, report.template))
            found |= {lit for lit in literals if label.find(lit)}
    return found


# ---------------------------------------------------------------- every term


def test_a_multi_term_query_shows_a_passage_for_each_term(engine):
    """The issue's example: 依申请公开 paragraphs alone no longer fill the hit."""
    result = engine.search(SearchRequest(q="依申请公开 不予公开", per_page=100))
    assert result.total == 5
    for hit in result.hits:
        shown = set().union(*(marked(p.html) for p in hit.passages))
        assert {"依申请公开", "不予公开"} <= shown, (hit.agency, [p.html[:60] for p in hit.passages])


@pytest.mark.parametrize("literals", [["依申请公开", "不予公开"], ["行政处罚", "行政复议", "总体情况"], ["公开", "申请", "本年新收", "结转"], ["不存在的词语甲乙", "行政复议"]])
def test_the_chosen_passages_cover_every_term_the_report_has(literals):
    for stem, report in REPORTS.items():
        chosen = best_passages(report, literals)
        shown = set().union(*(marked(p.html) for p in chosen)) if chosen else set()
        shown = {lit for lit in literals if any(Occurrences(m).find(lit) for m in shown)}
        assert shown == coverable(report, literals), stem
        assert len(chosen) <= max(3, len(literals)) <= MAX_PASSAGES
        assert len({p.anchor for p in chosen}) == len(chosen)  # never the same passage twice


def test_variants_of_one_term_count_as_that_term():
    """A word and its variants are one term: covering either is enough, so the
    second passage goes to the next term, not to the other spelling."""
    report = REPORTS["zibo-jiguan-shiwu-2023"]
    terms = [["依申请公开", "依申请"], ["不予公开"]]
    chosen = best_passages(report, ["依申请公开", "依申请", "不予公开"], terms=terms, limit=2)
    assert len(chosen) == 2
    assert "不予公开" in marked(chosen[1].html) or "不予公开" in marked(chosen[0].html)


# ---------------------------------------------------------------- table rows


@pytest.mark.parametrize(
    "word, rows",
    [("不予公开", "applications.withheld_"), ("行政复议", "review_litigation.review"), ("本年新收", "applications.new_received")],
)
def test_table_vocabulary_lands_on_its_rows(engine, word, rows):
    result = engine.search(SearchRequest(q=word, per_page=100))
    assert result.total == 5
    for hit in result.hits:
        row = next(p for p in hit.passages if p.row and p.row.startswith(rows))
        assert word in marked(row.html) and row.kind == "row"
        report, _ = engine.report(hit.id)
        table, key = row.row.split(".")
        # the row's label and every one of its numbers, as parsed
        assert row.html.startswith(re.sub(word, f"<mark>{word}</mark>", row_label(table, key, report.template), count=1))
        values = [f.value for f in getattr(report, table)[key].values()]
        assert re.findall(r" (\d+|—)(?=　|$)", re.sub("</?mark>", "", row.html)) == [str(v) if v is not None else "—" for v in values]
        assert row.anchor == f"row-{table}-{key}"
        printed = report.passage(row.id)
        assert printed is not None and printed.kind == "row"  # the row as printed, for the page's tooltip and PDF page


def test_withheld_rows_with_numbers_come_first():
    report = parse_file(SAMPLES_DIR / "zibo-jiguan-shiwu-2023.txt")
    report.applications["withheld_third_party"]["total"] = Figure(4, "4")
    first = best_passages(report, ["不予公开"])[0]
    assert first.row == "applications.withheld_third_party"


def test_a_text_only_match_in_a_table_row_is_still_shown():
    """A literal printed in a row but not in its template label is found in the printed row."""
    report = REPORTS["zibo-jiguan-shiwu-2023"]
    chosen = best_passages(report, ["区分处理"])  # "(二)部分公开(区分处理的,只计这一情形…)" as printed
    assert any("区分处理" in marked(p.html) for p in chosen)


# ---------------------------------------------------------------- number conditions


@pytest.mark.parametrize("stem", list(REPORTS))
def test_figure_cells_are_the_cells_of_the_headline_figure(stem):
    report = REPORTS[stem]
    figures = report.figures()
    for name, value in report.key_figures().items():
        cells = figure_cells(report, name)
        if value is not None:
            assert cells and sum(figures[c].value for c in cells) == value, name


def test_a_range_condition_shows_its_cell(engine):
    result = engine.search(SearchRequest(q="本年新收申请:>0"))
    (hit,) = result.hits
    (p,) = [p for p in hit.passages if p.condition]
    assert p.condition == "本年新收申请 > 0" and p.row == "applications.new_received"
    assert p.anchor == "cell-applications-new_received-total"
    assert marked(p.html) == {str(hit.figures["new_received"])} and p.html.endswith(f"总计 <mark>{hit.figures['new_received']}</mark>")


def test_a_sum_condition_shows_the_rows_it_was_decided_on(engine):
    result = engine.search(SearchRequest(q="withheld:>=0 行政处罚", per_page=100))
    assert result.total == 4
    for hit in result.hits:
        rows = [p for p in hit.passages if p.condition]
        assert rows and all(p.row.startswith("applications.withheld_") and p.anchor.startswith("cell-applications-withheld_") for p in rows)
        assert any("行政处罚" in marked(p.html) for p in hit.passages)  # the word still has its passage


def test_a_bucket_facet_is_a_condition_too(engine):
    result = engine.search(SearchRequest(filters={"new_received": ["1-9"]}))
    (hit,) = result.hits
    (p,) = hit.passages
    assert p.condition == "本年新收申请：1–9" and p.anchor == "cell-applications-new_received-total"
    assert engine.search(SearchRequest(filters={"year": ["2023"]})).hits[0].passages == []  # not a number: nothing to show


def test_a_condition_on_a_report_without_its_table_shows_nothing():
    report = REPORTS["zibo-jiguan-shiwu-2023"]
    report_without = parse_file(SAMPLES_DIR / "zibo-jiguan-shiwu-2023.txt")
    report_without.applications = None
    assert best_passages(report, [], conditions=[Condition("new_received", "x")])
    assert best_passages(report_without, [], conditions=[Condition("new_received", "x")]) == []


# ---------------------------------------------------------------- links land on the report page


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from web import create_app

    return create_app(build([SAMPLES_DIR], tmp_path_factory.mktemp("passages-index")), TESTING=True).test_client()


@pytest.mark.parametrize("q", ["依申请公开 不予公开", "行政复议", "本年新收申请:>0", "withheld:>=0 行政处罚", "公开 申请 结转"])
def test_every_passage_link_lands_on_an_element_of_the_report_page(client, q):
    page = soup(client.get("/", query_string={"q": q}).data)
    links = [a["href"] for a in page.select("ul.passages a")]
    assert links
    for href in links:
        url, anchor = href.split("#")
        target = soup(client.get(url).data).find(id=anchor)
        assert target is not None, href
        if anchor.startswith("cell-"):
            assert target.name == "td" and target.find_parent("tr").get("id", "").startswith("row-")
        elif anchor.startswith("row-"):
            assert target.name == "tr"


def test_a_condition_passage_says_which_condition(client):
    page = soup(client.get("/", query_string={"q": "本年新收申请:>0"}).data)
    (where,) = [w.get_text() for w in page.select("ul.passages .where") if "条件" in w.get_text()]
    assert "条件“本年新收申请 > 0”" in where and "第三部分" in where


def test_the_json_api_carries_anchors_and_conditions(client):
    data = client.get("/search.json", query_string={"q": "本年新收申请:>0"}).get_json()
    (p,) = [p for p in data["hits"][0]["passages"] if p["condition"]]
    assert p["anchor"] == "cell-applications-new_received-total" and p["kind"] == "row"



def test_the_report_page_frames_the_cells_a_condition_was_decided_on(client):
    page = soup(client.get("/", query_string={"q": "withheld:>=0 本年新收申请:>0"}).data)
    url = page.select_one("li.hit h2 a")["href"]
    report = soup(client.get(url).data)
    framed = {td["id"] for td in report.select("td.condition")}
    assert "cell-applications-new_received-total" in framed
    assert {f"cell-applications-{k}-total" for k in ("withheld_state_secret", "withheld_query_item")} <= framed
    assert all(i.endswith("-total") for i in framed)  # the figure's cells only, not its row
    bar = report.select_one("#matchbar").get_text()
    assert "条件“不予公开 ≥ 0”“本年新收申请 > 0”" in bar and "没有匹配" not in bar
