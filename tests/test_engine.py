"""Search over the bundled samples: recall, exactness, facets, robustness."""

from __future__ import annotations

import os
import re
import unicodedata

import pytest
from agency_corpus import brute_agency_values
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.parse import parse_file
from places import path, picked
from search.engine import Engine, SearchRequest

REPORTS = {p.stem: parse_file(p) for p in SAMPLES}
AGENCY = {stem: r.agency for stem, r in REPORTS.items()}


def agencies(engine, q: str = "", **filters) -> set[str]:
    result = engine.search(SearchRequest(q=q, filters={k: list(v) for k, v in filters.items()}, per_page=100))
    return {h.agency for h in result.hits}


def squeeze(text: str) -> str:
    """What a substring search compares: folded, letters/digits/ideographs only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


# ---------------------------------------------------------------- recall and exactness


def test_plain_words_must_all_match(engine):
    assert agencies(engine, "行政处罚") == {AGENCY[s] for s, r in REPORTS.items() if "行政处罚" in r.text}
    assert agencies(engine, "行政处罚 临淄") == {"临淄区应急管理局"}


def test_quoted_phrase_is_exact(engine):
    # both words are in the 卫滨区 report, but never next to each other
    assert agencies(engine, "政策解读 防汛抗旱")
    assert agencies(engine, '"政策解读防汛抗旱"') == set()
    assert agencies(engine, '"防汛抗旱意见"') == {"卫滨区应急管理局"}


def test_sub_words_are_found(engine):
    # jieba keeps 信息处理费 as one word; the bigram field still finds 处理费 inside it
    assert "临淄区应急管理局" not in agencies(engine, "处理费")
    assert agencies(engine, "处理费") == {AGENCY[s] for s, r in REPORTS.items() if "处理费" in squeeze(r.text)}
    assert "淄博高新技术产业开发区应急管理中心" in agencies(engine, "应急管理中")


def test_abbreviations_match_full_names(engine):
    assert "淄博高新技术产业开发区发展改革局" in agencies(engine, "发改局")
    assert "淄博高新技术产业开发区发展改革局" in agencies(engine, "发展和改革局")
    assert {"卫滨区应急管理局", "临淄区应急管理局"} <= agencies(engine, "应急局")
    assert "淄博高新技术产业开发区应急管理中心" in agencies(engine, "高新区")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from(sorted(REPORTS)), st.integers(0, 10**6), st.integers(2, 8))
def test_any_copied_substring_finds_its_report(engine, stem, start, length):
    report = REPORTS[stem]
    printed = report.printed(0, len(report.text))  # what the web pages show
    start %= max(1, len(printed) - length)
    piece = printed[start : start + length]
    if len(squeeze(piece)) < 2:
        return  # only spaces or punctuation: nothing to search for
    query = '"' + re.sub(r'["“”「」『』]', " ", piece) + '"'
    assert AGENCY[stem] in agencies(engine, query), query


def test_field_and_range_queries(engine):
    assert agencies(engine, "year:2021..2023") == {r.agency for r in REPORTS.values() if r.year >= 2021}
    assert agencies(engine, "new_received:>0") == {"淄博市机关事务管理局"}
    assert agencies(engine, "province:河南") == {"卫滨区应急管理局"}
    assert agencies(engine, "county:临淄 OR county:卫滨") == {"临淄区应急管理局", "卫滨区应急管理局"}
    assert agencies(engine, "-应急") == {"淄博高新技术产业开发区发展改革局", "淄博市机关事务管理局"}


@pytest.mark.parametrize("q", ['"', "(", ")", "AND", "OR", "NOT", "year:>", "year:abc", "new_received:>x", "foo:bar", "\x00\x07", "：", "-", '"未闭合', "应急" * 5000])
def test_malformed_queries_never_error(engine, q):
    result = engine.search(SearchRequest(q=q))
    assert result.total >= 0
    assert result.query.describe()  # always says how it was read


# ---------------------------------------------------------------- facets against brute force


def brute_values(report, facet: str) -> set[str]:
    """Facet values of a parsed report, computed here from the model, not from the engine."""
    k = report.key_figures()
    r = report.region

    def bucket(v):
        return "unknown" if v is None else "0" if v == 0 else "1-9" if v < 10 else "10-99" if v < 100 else "100+"

    simple = {"year": report.year, "province": r.province, "city": r.city and path(r.province, r.city),
              "county": r.county and path(r.province, r.city, r.county), "agency": report.agency, "template": report.template}
    if facet in simple:
        return {str(simple[facet])} if simple[facet] is not None else set()
    if facet == "consistent":
        return {"yes" if report.consistent else "no"}
    if facet in ("new_received", "withheld", "licensing", "penalty"):
        return {bucket(k[facet])}
    if facet == "versions":  # the samples are one file each: never 多个版本不一致
        return {"differ"} if len(report.versions) > 1 else set()
    if facet in ("agency_key", "flag"):
        return brute_agency_values(report, facet)
    raise KeyError(facet)


CASES = [
    ("", {}),
    ("应急", {}),
    ("", {"year": ["2023"]}),
    ("公开", {"year": ["2023", "2020"], "province": ["山东省"]}),
    ("", {"new_received": ["0"], "city": ["淄博市"]}),  # a bare name, as bookmarks before place paths had it
    ("", {"city": ["山东省/淄博市"], "county": ["临淄区", "河南省/新乡市/卫滨区"]}),
    ("河南", {}),
    ("淄博 应急", {"year": ["2023"]}),
    ("信息", {"consistent": ["no"]}),
    ("-应急", {"licensing": ["0", "unknown"]}),
]


@pytest.mark.parametrize("q,filters", CASES)
def test_facet_counts_equal_a_brute_force_count(engine, q, filters):
    result = engine.search(SearchRequest(q=q, filters={k: list(v) for k, v in filters.items()}, per_page=100))
    matched = {h.agency for h in engine.search(SearchRequest(q=q, per_page=100)).hits}
    base = [r for r in REPORTS.values() if r.agency in matched]

    def passes(report, skip=None):
        return all(picked(brute_values(report, f), vals) for f, vals in filters.items() if f != skip)

    assert result.total == sum(passes(r) for r in base)
    for facet in result.facets:
        if facet.name in ("sector", "outcome"):
            continue
        expected: dict[str, int] = {}
        for r in base:
            if passes(r, skip=facet.name):
                values = brute_values(r, facet.name)
                for v in values:
                    expected[v] = expected.get(v, 0) + 1
                for bare in filters.get(facet.name, []):  # a selected bare name counts every place so named
                    if bare not in values and picked(values, [bare]):
                        expected[bare] = expected.get(bare, 0) + 1
        got = {fv.value: fv.count for fv in facet.values if fv.count}
        assert got == expected, facet.name


def test_selected_facet_values_are_marked_and_ordered(engine):
    result = engine.search(SearchRequest(filters={"new_received": ["0"]}))
    buckets = next(f for f in result.facets if f.name == "new_received")
    assert [v.value for v in buckets.values] == [v for v in ["0", "1-9", "10-99", "100+", "unknown"] if v in {x.value for x in buckets.values}]
    assert [v.value for v in buckets.values if v.selected] == ["0"]
    years = next(f for f in result.facets if f.name == "year")
    assert [v.value for v in years.values] == sorted((v.value for v in years.values), reverse=True)


def test_unknown_facet_and_bad_sort_are_explained(engine):
    result = engine.search(SearchRequest(filters={"colour": ["red"]}, sort="sideways"))
    assert result.total == len(REPORTS)
    assert any("colour" in n for n in result.notes) and any("sideways" in n for n in result.notes)


def test_page_beyond_the_end_is_empty_and_explained(engine):
    result = engine.search(SearchRequest(page=10000))
    assert result.hits == [] and result.total == len(REPORTS)
    assert any("超出范围" in n for n in result.notes)


# ---------------------------------------------------------------- hits


def test_hits_point_at_the_passage_that_matched(engine):
    result = engine.search(SearchRequest(q="行政处罚", filters={"county": ["卫滨区"]}))
    (hit,) = result.hits
    rows = [p for p in hit.passages if p.kind == "row"]
    assert rows and rows[0].row == "proactive.penalty" and "<mark>行政处罚</mark>" in rows[0].html
    report, _ = engine.report(hit.id)
    assert report.passage(rows[0].id).row == "proactive.penalty"


def test_highlights_escape_the_document():
    from index.parse import parse_text
    from search.passages import best_passages

    text = SAMPLES[0].read_text(encoding="utf-8").replace("我局 2023 年度", "我局<script>alert(1)</script> 2023 年度")
    report = parse_text(text)
    html = " ".join(p.html for p in best_passages(report, ["alert"]))
    assert "&lt;script&gt;<mark>alert</mark>" in html and "<script>" not in html


def test_sorting(engine):
    years = [h.year for h in engine.search(SearchRequest(sort="year_asc")).hits]
    assert years == sorted(years)
    received = [h.figures["new_received"] for h in engine.search(SearchRequest(sort="new_received_desc")).hits]
    assert received[0] == 2


def test_export_streams_every_report(engine):
    from search.export import COLUMNS, row, to_csv

    rows = [row(*item) for item in engine.matching(SearchRequest(q="应急"))]
    assert {r["agency"] for r in rows} == agencies(engine, "应急")
    chunks = list(to_csv(rows))
    assert chunks[0] == "\ufeff" and chunks[1].startswith(",".join(COLUMNS[:3]))
    assert all(r["link"].startswith(f"/report/{r['id']}") for r in rows)


def test_csv_cells_never_start_a_formula():
    """Text from a document that a spreadsheet would run (=, +, -, @) is quoted;
    numbers, negative ones included, stay numbers."""
    import csv
    import io

    from search.export import COLUMNS, to_csv

    row = dict.fromkeys(COLUMNS)
    row.update(agency="=HYPERLINK(\"http://x\")", sector="+1", best_passage="@SUM(A1)", city="-1-洪泽区", county="\t=1", year=2023)
    row["proactive.fees.change"] = -3
    parsed = next(csv.DictReader(io.StringIO("".join(to_csv([row])).lstrip("\ufeff"))))
    for key in ("agency", "sector", "best_passage", "city", "county"):
        assert parsed[key] == "'" + row[key]
    assert parsed["year"] == "2023" and parsed["proactive.fees.change"] == "-3"


def test_a_query_ranked_before_can_be_sorted_by_year(engine):
    engine.search(SearchRequest(q="公开"))  # its matches, with scores, are kept for this commit
    for sort, descending in (("year_asc", False), ("year_desc", True)):
        years = [h.year for h in engine.search(SearchRequest(q="公开", sort=sort)).hits]
        assert years == sorted(years, reverse=descending) and len(set(years)) > 1


def test_warm_loads_the_dictionary_a_query_needs(sample_index):
    from index import analysis

    from search.engine import Engine

    analysis._jieba_cache.clear()
    engine = Engine(sample_index)
    try:
        engine.warm()
        assert analysis._jieba_cache  # the query below finds it loaded
        assert engine.search(SearchRequest(q="政府信息公开")).total == 5
    finally:
        engine.close()


@pytest.mark.parametrize("layout", [("a/山东", "a/河南", "a/河南"), ("ab", "ac/x", "ac/x"), ("a/b", "a/b", "a/b"), ("a", "a-b", "a/c")])
def test_the_indexed_folder_is_found_without_walking_every_file(tmp_path, layout):
    from index.build import build_index
    from search.engine import Engine

    paths = []
    for folder, sample in zip(layout, SAMPLES):
        (tmp_path / "data" / folder).mkdir(parents=True, exist_ok=True)
        paths.append(tmp_path / "data" / folder / sample.name)
        paths[-1].write_bytes(sample.read_bytes())
    build_index([tmp_path / "data"], tmp_path / "ix")
    engine = Engine(tmp_path / "ix")
    try:
        # the deepest folder holding every file: a folder, not a common string ("ab", "ac" → their parent)
        assert engine.coverage()["source_root"] == os.path.commonpath([os.path.dirname(p.resolve()) for p in paths])
    finally:
        engine.close()


def test_prepare_reads_the_newest_commit_before_any_search(sample_index):
    e = Engine(sample_index)
    try:
        assert e._gen is None
        e.prepare()
        gen = e._gen
        assert gen is not None and gen.columns.size > 0
        e.search(SearchRequest(q="行政处罚"))
        assert e._gen is gen  # the first search used what prepare read
    finally:
        e.close()
