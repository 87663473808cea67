"""The agency key across years, the agency table, and the red flags, on a
controlled corpus built from the samples (tests/agency_corpus.py)."""

from __future__ import annotations

import pytest
from agency_corpus import JIGUAN_NAME, JIGUAN_SHORT, indexed

from index.agency import agency_key, normal_name
from index.flags import period_year, signature_date
from index.model import Region, Report
from index.parse import parse_file
from search.agency import FLAG_NAMES, agencies, agency_history, figure_cell, report_agency
from search.engine import SearchRequest


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    engine, paths = indexed(tmp_path_factory.mktemp("agency"))
    ids = {h.sources[0].rsplit("/", 1)[-1].removesuffix(".txt"): h.id for h in engine.search(SearchRequest(per_page=100)).hits}
    assert set(ids) == set(paths)
    yield engine, ids, {name: parse_file(p) for name, p in paths.items()}
    engine.close()


def key(engine, ids, name: str) -> str:
    return report_agency(engine, ids[name]).key


# ------------------------------------------------------------------ the key


@pytest.mark.parametrize(
    "a, b",
    [("淄博高新区管委会", "淄博高新技术产业开发区管理委员会"), ("临淄区发改局", "临淄区发展和改革局"),
     ("临淄区卫生健康委员会", "临淄区卫生健康局"), ("淄博市机关事务局", "淄博市 机关事务管理局")],  # fmt: skip
)
def test_small_renames_normalise_alike(a, b):
    assert normal_name(a) == normal_name(b)


@pytest.mark.parametrize("a, b", [("临淄区应急管理局", "临淄区财政局"), ("淄博高新区管理委员会", "淄博高新区管理局")])
def test_different_agencies_do_not(a, b):
    assert normal_name(a) != normal_name(b)


def test_the_place_is_part_of_the_key():
    nanjing, fuzhou = Region("江苏省", "南京市", "鼓楼区"), Region("福建省", "福州市", "鼓楼区")
    assert agency_key("鼓楼区应急管理局", nanjing) != agency_key("鼓楼区应急管理局", fuzhou)
    assert agency_key(None, nanjing) is None


def test_the_key_joins_the_renamed_years(corpus):
    engine, ids, reports = corpus
    assert reports["jiguan-2020"].agency == JIGUAN_SHORT and reports["jiguan-2023"].agency == JIGUAN_NAME
    keys = {key(engine, ids, f"jiguan-{y}") for y in (2020, 2022, 2023, 2024)}
    assert len(keys) == 1


def test_same_names_in_two_places_stay_apart(corpus):
    engine, ids, reports = corpus
    assert reports["gulou-nanjing"].agency == reports["gulou-fuzhou"].agency
    assert key(engine, ids, "gulou-nanjing") != key(engine, ids, "gulou-fuzhou")


def test_a_merge_the_data_cannot_decide_is_not_made(corpus):
    """Two names of one place normalise alike, but both report for 2023: two agencies."""
    engine, ids, reports = corpus
    full, short = reports["gaoxin-full"], reports["gaoxin-short"]
    assert full.year == short.year and full.agency != short.agency
    assert agency_key(full.agency, full.region) == agency_key(short.agency, short.region)  # the index-time key is one
    a, b = key(engine, ids, "gaoxin-full"), key(engine, ids, "gaoxin-short")
    assert a != b and a.endswith(full.agency) and b.endswith(short.agency)
    for k, rid in ((a, ids["gaoxin-full"]), (b, ids["gaoxin-short"])):
        assert [r.report_id for r in agency_history(engine, k).reports.values()] == [rid]


def test_the_key_is_a_facet_and_in_the_stored_data(corpus):
    engine, ids, _ = corpus
    k = key(engine, ids, "jiguan-2023")
    result = engine.search(SearchRequest(filters={"agency_key": [k]}, per_page=100))
    assert sorted(h.year for h in result.hits) == [2020, 2022, 2023, 2024]
    facet = next(f for f in result.facets if f.name == "agency_key")
    assert next(v.count for v in facet.values if v.value == k) == 4
    from index.build import unpack

    with engine.view() as view:
        doc = view.searcher.document_number(id=ids["jiguan-2020"], kind="report")
        assert unpack(view.searcher.stored_fields(doc)["data"])["agency_key"] == k


# ------------------------------------------------------------------ the agency table


def test_the_agency_table_equals_the_reports_own_figures(corpus):
    engine, ids, reports = corpus
    h = agency_history(engine, key(engine, ids, "jiguan-2023"))
    assert h.years == [2020, 2021, 2022, 2023, 2024] and 2021 not in h.reports  # the gap
    assert h.names == [JIGUAN_SHORT, JIGUAN_NAME] and h.agency == JIGUAN_NAME
    for year in (2020, 2022, 2023, 2024):
        report = reports[f"jiguan-{year}"]
        assert h.reports[year].report_id == ids[f"jiguan-{year}"]
        figures = report.key_figures()
        for row in h.rows:
            if row.kind != "figure":
                continue
            cell = row.cells[year]
            assert cell.value == figures[row.name], (year, row.name)
            path = figure_cell(report, row.name)
            assert cell.passage == report.figures()[path].passage
            assert 2021 not in row.cells
    licensing = next(r for r in h.rows if r.name == "licensing")
    assert [licensing.cells[y].change for y in (2020, 2022, 2023, 2024)] == [None, 7, -7, 0]
    withheld = next(r for r in h.rows if r.name == "withheld_share")
    assert withheld.cells[2023].value == reports["jiguan-2023"].key_figures()["withheld"] / 2


# ------------------------------------------------------------------ red flags


EXPECTED_FLAGS = {"jiguan-2024": {"copied_text", "same_numbers"}, "fagai-early": {"signature_date"}, "fagai-period": {"period_year"}}


def test_each_flag_fires_on_its_case_and_nowhere_else(corpus):
    engine, ids, _ = corpus
    for name, rid in ids.items():
        assert {f.name for f in report_agency(engine, rid).flags} == EXPECTED_FLAGS.get(name, set()), name
    for flag in FLAG_NAMES:
        result = engine.search(SearchRequest(filters={"flag": [flag]}, per_page=100))
        assert {h.id for h in result.hits} == {ids[n] for n, f in EXPECTED_FLAGS.items() if flag in f}, flag


def test_copied_share_and_previous_report(corpus):
    engine, ids, _ = corpus
    latest = report_agency(engine, ids["jiguan-2024"])
    assert latest.copied_share == 1.0 and latest.previous_id == ids["jiguan-2023"]
    assert report_agency(engine, ids["jiguan-2022"]).previous_id == ids["jiguan-2020"]  # across the gap
    assert report_agency(engine, ids["jiguan-2023"]).copied_share < 0.2  # vs the rewritten year
    assert report_agency(engine, ids["jiguan-2020"]).previous_id is None


def test_no_flag_on_the_unchanged_samples_but_their_own_inconsistency(engine):
    result = engine.search(SearchRequest(per_page=100))
    flagged = {h.agency: {f.name for f in report_agency(engine, h.id).flags} for h in result.hits}
    assert flagged == {h.agency: (set() if h.consistent else {"inconsistent"}) for h in result.hits}
    assert sum(1 for f in flagged.values() if f) == 1  # the 临淄区 sample's broken sums


def test_signature_date_bounds():
    def flag(published):
        return signature_date(Report(year=2023, published=published))

    assert [flag(d) for d in ("2023-12-31", "2024-01-01", "2024-12-31", "2025-01-01")] == [1, 0, 0, 1]
    assert flag(None) is None


def test_period_year_needs_both_years():
    assert period_year(Report(title="某局2023年政府信息公开工作年度报告", text="统计期限自2023年1月1日起")) == 0
    assert period_year(Report(title="某局2023年政府信息公开工作年度报告", text="统计期限自二〇二二年1月1日起")) == 1
    assert period_year(Report(title="某局2023年政府信息公开工作年度报告", text="没有统计期限的句子")) is None


def test_cross_flags_are_cached_per_generation(corpus):
    engine, _, _ = corpus
    with engine.view() as view:
        assert agencies(view.columns) is agencies(view.columns)


def test_an_index_with_fewer_numbers_reads_its_meta(tmp_path, engine):
    """An index written before the flag columns were added to ``numbers`` (a narrower
    column) is read from ``meta``: same answers, the one-report flags unknown."""
    from conftest import SAMPLES
    from whoosh import columns as whoosh_columns
    from whoosh import index as whoosh_index
    from whoosh.fields import COLUMN

    from index.build import INDEX_NAME, analysis, report_document, report_id
    from index.schema import NUMBERS, make_schema

    old_width = NUMBERS.index("signature_date")
    schema = make_schema(analysis())
    schema.remove("numbers")
    schema.add("numbers", COLUMN(whoosh_columns.FixedBytesColumn(8 * old_width)))
    ix = whoosh_index.create_in(tmp_path, schema, INDEX_NAME)
    writer = ix.writer()
    for path in SAMPLES:
        report = parse_file(path)
        data = report.to_dict()
        data["id"] = report_id(report, path.name)
        doc = report_document(data, [str(path)])
        doc["numbers"] = doc["numbers"][: 8 * old_width]
        writer.add_document(**doc)
    writer.commit()
    from search.engine import Engine

    old = Engine(tmp_path)
    try:
        a, b = (e.search(SearchRequest(sort="year_desc", per_page=100)) for e in (old, engine))
        assert a.total == b.total == len(SAMPLES) and [h.agency for h in a.hits] == [h.agency for h in b.hits]
        assert [f.values for f in a.facets] == [f.values for f in b.facets]
        assert [h.figures for h in a.hits] == [h.figures for h in b.hits]
    finally:
        old.close()


@pytest.mark.parametrize("key, label", [
    ("福建省·福州市·鼓楼区·鼓楼区应急管理局", "鼓楼区应急管理局 · 福州市"),
    ("山东省·淄博市·-·淄博市发展改革局", "淄博市发展改革局 · 山东省"),
    ("山东省·淄博市·临淄区·临淄区应急管理局｜临淄区应急局", "临淄区应急局 · 淄博市"),
    ("-·-·-·某某局", "某某局"),
])
def test_a_key_reads_as_the_agency_and_the_nearest_place_its_name_does_not_say(key, label):
    from index.agency import key_label

    assert key_label(key) == label
