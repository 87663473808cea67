"""Files of one report (same agency, place and year): identical ones are one
report listing its sources; differing ones are versions of one report, every
version's text searchable, counted once, their differing numbers shown."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import SAMPLES
from web_fixtures import soup

from index.build import build_index
from search.engine import Engine, SearchRequest

JIGUAN = "淄博市机关事务管理局"
LINZI = "临淄区应急管理局"
ONLY_IN_V2 = "更正版独有词甲乙"
NEW_RECEIVED_ROW = "一、本年新收政府信息公开申请数量\n\t2\n\t0\n\t0\n\t0\n\t0\n\t0\n\t2"


def write_corpus(folder: Path) -> dict[str, Path]:
    """The samples, a corrected 机关事务 report (本年新收 2 → 3, one sentence
    more) and a copy of the 临淄 report differing only in spacing."""
    folder.mkdir()
    for p in SAMPLES:
        shutil.copy(p, folder / p.name)
    jiguan = folder / "zibo-jiguan-shiwu-2023.txt"
    text = jiguan.read_text(encoding="utf-8")
    assert NEW_RECEIVED_ROW in text
    corrected = text.replace(NEW_RECEIVED_ROW, NEW_RECEIVED_ROW.replace("2", "3"), 1) + f"\n本年度{ONLY_IN_V2}。\n"
    (folder / "zz-jiguan-corrected.txt").write_text(corrected, encoding="utf-8")
    linzi = folder / "zibo-linzi-yingji-2020.txt"
    (folder / "linzi-copy.txt").write_text(linzi.read_text(encoding="utf-8").replace("。", "。 ").replace("\n", "\n\n"), encoding="utf-8")
    return {"jiguan": jiguan, "corrected": folder / "zz-jiguan-corrected.txt", "linzi": linzi, "linzi_copy": folder / "linzi-copy.txt"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("versions")
    files = write_corpus(root / "reports")
    summary = build_index([root / "reports"], root / "ix")
    return root / "ix", files, summary


@pytest.fixture(scope="module")
def engine(built):
    e = Engine(built[0])
    yield e
    e.close()


def hits(engine, q: str = "", **filters):
    return engine.search(SearchRequest(q=q, filters={k: list(v) for k, v in filters.items()}, per_page=100)).hits


def test_the_summary_counts_reports_and_versioned_ones(built):
    _, _, summary = built
    assert len(summary.added) == 7 and not summary.failed
    assert summary.reports == 5 and summary.versioned == 1
    assert "5 reports in the index, 1 with differing versions" in summary.line()


def test_identical_files_stay_one_report_listing_both(engine, built):
    _, files, _ = built
    (hit,) = [h for h in hits(engine) if h.agency == LINZI]
    assert sorted(hit.sources) == sorted(str(files[k].resolve()) for k in ("linzi", "linzi_copy"))
    assert hit.versions == 1
    report, _ = engine.report(hit.id)
    assert report.versions == []


def test_differing_files_are_versions_of_one_report(engine, built):
    _, files, _ = built
    (hit,) = [h for h in hits(engine) if h.agency == JIGUAN]
    assert hit.versions == 2 and len(hit.sources) == 2
    report, _ = engine.report(hit.id)
    first, second = report.versions
    assert first.report is None and second.report is not None
    assert {Path(first.sources[0]).name, Path(second.sources[0]).name} == {files["jiguan"].name, files["corrected"].name}
    values = {Path(v.sources[0]).name: (v.report or report).key_figures()["new_received"] for v in report.versions}
    assert values == {files["jiguan"].name: 2, files["corrected"].name: 3}
    assert hit.figures["new_received"] == report.key_figures()["new_received"]  # the first version's numbers


def test_a_word_of_one_version_finds_the_report_and_shows_where(engine):
    (hit,) = hits(engine, ONLY_IN_V2)
    assert hit.agency == JIGUAN
    (p,) = [p for p in hit.passages if ONLY_IN_V2 in p.html]
    assert p.version == 1
    report, _ = engine.report(hit.id)
    assert ONLY_IN_V2 in report.versions[1].report.text and ONLY_IN_V2 not in report.text
    version = report.versions[1].report
    printed = version.passage(p.id)
    assert printed is not None and ONLY_IN_V2 in version.text[printed.start : printed.end]


def test_a_versioned_report_counts_once(engine):
    everything = engine.search(SearchRequest(per_page=100))
    assert everything.total == len(everything.hits) == 5
    facets = {f.name: {v.value: v.count for v in f.values} for f in everything.facets}
    brute = Counter(h.agency for h in everything.hits)
    assert facets["agency"] == dict(brute) and facets["agency"][JIGUAN] == 1
    assert sum(facets["year"].values()) == 5
    assert facets["versions"] == {"differ": 1}
    assert [h.agency for h in hits(engine, versions=["differ"])] == [JIGUAN]
    # a word in both versions: still one hit
    assert [h.agency for h in hits(engine, "机关事务")].count(JIGUAN) == 1


# ---------------------------------------------------------------- the report page


@pytest.fixture(scope="module")
def client(built):
    from web import create_app

    return create_app(built[0], TESTING=True).test_client()


def test_the_report_page_lists_versions_and_the_numbers_that_differ(client, engine, built):
    _, files, _ = built
    (hit,) = [h for h in hits(engine) if h.agency == JIGUAN]
    page = soup(client.get(f"/report/{hit.id}").data)
    box = page.select_one("#versions")
    assert box is not None and "多个版本不一致" in box.get_text()
    items = box.select("ol.version-list li")
    assert len(items) == 2 and "正在查看" in items[0].get_text()
    names = [[a.get_text() for a in li.select("a.source")] for li in items]
    assert sorted(n for ns in names for n in ns) == sorted([files["jiguan"].name, files["corrected"].name])
    rows = {tr.select_one("th").get_text(): [td.get_text() for td in tr.select("td")] for tr in box.select("table.version-diffs tbody tr")}
    assert rows == {
        "第三部分 一、本年新收政府信息公开申请数量 · 自然人": ["2", "3"],
        "第三部分 一、本年新收政府信息公开申请数量 · 总计": ["2", "3"],
    }
    # the other version, shown whole: its own numbers and text
    other = soup(client.get(items[1].select_one("a[href*='version=1']")["href"]).data)
    assert "正在查看" in other.select("#versions ol.version-list li")[1].get_text()
    assert other.select_one("#cell-applications-new_received-total a").get_text(strip=True) == "3"
    assert ONLY_IN_V2 in other.select_one("article.doc").get_text()
    assert ONLY_IN_V2 not in page.select_one("article.doc").get_text()


def test_a_report_with_one_version_shows_no_versions_box(client, engine):
    (hit,) = [h for h in hits(engine) if h.agency == LINZI]
    page = soup(client.get(f"/report/{hit.id}").data)
    assert page.select_one("#versions") is None and "多个版本不一致" not in page.get_text()


def test_a_version_passage_link_lands_on_that_version(client):
    page = soup(client.get("/", query_string={"q": ONLY_IN_V2}).data)
    (link,) = [a for a in page.select("ul.passages a") if ONLY_IN_V2 in a.get_text()]
    assert "版本 2" in link.select_one(".where").get_text() and "version=1" in link["href"]
    assert "多个版本不一致" in page.select_one("li.hit .meta").get_text()
    url, anchor = link["href"].split("#")
    target = soup(client.get(url).data).find(id=anchor)
    assert target is not None and ONLY_IN_V2 in target.get_text()


def test_the_json_twin_names_version_files_without_server_paths(client, engine, built):
    (hit,) = [h for h in hits(engine) if h.agency == JIGUAN]
    data = client.get(f"/report/{hit.id}.json").get_json()
    assert [v["sources"] for v in data["versions"]] == [[built[1]["jiguan"].name], [built[1]["corrected"].name]]
    assert data["versions"][0]["report"] is None and data["versions"][1]["report"]["applications"]["new_received"]["total"] == 3
    assert str(built[1]["jiguan"].parent) not in client.get(f"/report/{hit.id}.json").get_data(as_text=True)


@pytest.mark.parametrize("bad", ["7", "-1", "x", "1.5"])
def test_a_bad_version_parameter_shows_the_first(client, engine, bad):
    (hit,) = [h for h in hits(engine) if h.agency == JIGUAN]
    page = soup(client.get(f"/report/{hit.id}?version={bad}").data)
    assert "正在查看" in page.select("#versions ol.version-list li")[0].get_text()


# ---------------------------------------------------------------- incremental runs


def test_incremental_runs_follow_versions(tmp_path):
    files = write_corpus(tmp_path / "reports")
    ix = tmp_path / "ix"
    assert build_index([tmp_path / "reports"], ix).versioned == 1

    def state():
        e = Engine(ix)
        try:
            (hit,) = [h for h in hits(e) if h.agency == JIGUAN]
            facet = {f.name: {v.value: v.count for v in f.values} for f in e.search(SearchRequest()).facets}["versions"]
            return hit.versions, sorted(Path(s).name for s in hit.sources), len(hits(e, ONLY_IN_V2)), facet
        finally:
            e.close()

    # the corrected file removed: one version left, its word gone
    kept = files["corrected"].read_text(encoding="utf-8")
    files["corrected"].unlink()
    run = build_index([tmp_path / "reports"], ix)
    assert run.versioned == 0 and run.reports == 5 and "0 with differing versions" in run.line()
    assert state() == (1, [files["jiguan"].name], 0, {})

    # back, but identical to the first: a duplicate, not a version
    shutil.copy(files["jiguan"], files["corrected"])
    assert build_index([tmp_path / "reports"], ix).versioned == 0
    assert state() == (1, sorted([files["jiguan"].name, files["corrected"].name]), 0, {})

    # changed to differ again: a version once more
    files["corrected"].write_text(kept, encoding="utf-8")
    run = build_index([tmp_path / "reports"], ix)
    assert run.versioned == 1 and [Path(p).name for p in run.updated] == [files["corrected"].name]
    assert state() == (2, sorted([files["jiguan"].name, files["corrected"].name]), 1, {"differ": 1})

    # the first version's file removed: the corrected one is the report now
    files["jiguan"].unlink()
    assert build_index([tmp_path / "reports"], ix).versioned == 0
    e = Engine(ix)
    try:
        (hit,) = [h for h in hits(e) if h.agency == JIGUAN]
        assert hit.versions == 1 and hit.figures["new_received"] == 3 and hits(e, ONLY_IN_V2)
    finally:
        e.close()


def test_finding_in_another_version_stays_in_it(client, engine):
    (hit,) = [h for h in hits(engine) if h.agency == JIGUAN]
    page = soup(client.get(f"/report/{hit.id}?version=1&q={ONLY_IN_V2}").data)
    assert page.select_one("form.find input[name=version]")["value"] == "1"
    assert "version=1" in page.select_one("a.clear-q")["href"]
    assert page.select_one("#matchbar")["data-total"] == "1"  # the word is marked in the version shown
