"""The agency page, compare and rankings through Flask's test client, on the controlled corpus."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote, unquote

import pytest
from agency_corpus import CHANGED_CELLS, JIGUAN_NAME, write
from web_fixtures import SCRIPT, soup

from index.build import build_index
from index.parse import parse_file
from search.agency import report_agency
from search.engine import SearchRequest
from web import create_app


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agency-web")
    paths = write(folder / "reports")
    # an agency name carrying markup: shown as text everywhere
    hostile = (folder / "reports" / "jiguan-2024.txt").read_text(encoding="utf-8").replace(JIGUAN_NAME, f"淄博市{SCRIPT}局", 1)
    (folder / "reports" / "hostile.txt").write_text(hostile.replace("2024", "2019"), encoding="utf-8")
    assert not build_index([folder / "reports"], folder / "index").failed
    app = create_app(folder / "index", TESTING=True)
    engine = app.extensions["nianbao.engine"]
    ids = {h.sources[0].rsplit("/", 1)[-1].removesuffix(".txt"): h.id for h in engine.search(SearchRequest(per_page=100)).hits}
    return app.test_client(), engine, ids, {n: parse_file(p) for n, p in paths.items()}


def agency_url(engine, rid: str) -> str:
    return "/agency/" + quote(report_agency(engine, rid).key)


def test_every_hit_links_to_its_agency_page(site):
    client, engine, ids, _ = site
    page = soup(client.get("/?q=机关事务").data)
    links = page.select("li.hit a.agency-link")
    assert links and len(links) == len(page.select("li.hit"))
    for hit, a in zip(page.select("li.hit"), links):
        rid = hit.select_one("h2 a")["href"].split("?")[0].rsplit("/", 1)[1]
        assert unquote(a["href"]) == unquote(agency_url(engine, rid))
        assert client.get(a["href"]).status_code == 200
    # the JSON hits carry the key; /agency/of/<id> leads to the same page
    for hit in client.get("/search.json?q=机关事务").get_json()["hits"]:
        assert hit["agency_key"] == report_agency(engine, hit["id"]).key
        response = client.get(f"/agency/of/{hit['id']}")
        assert response.status_code == 302 and unquote(response.location) == "/agency/" + hit["agency_key"]


def test_agency_page_table(site):
    client, engine, ids, reports = site
    page = soup(client.get(agency_url(engine, ids["jiguan-2023"])).data)
    years = [th["data-year"] for th in page.select("#years thead tr:first-child th[data-year]")]
    assert years == ["2020", "2021", "2022", "2023", "2024"]
    assert "无报告" in page.select_one('#years th[data-year="2021"]').get_text()
    licensing = page.select_one('#years tr[data-row="licensing"]')
    assert "gap" in licensing.select_one('td[data-year="2021"]')["class"]
    cell = licensing.select_one('td[data-year="2022"] a')
    report = reports["jiguan-2022"]
    assert cell.get_text() == "7"
    assert cell["href"] == f"/report/{ids['jiguan-2022']}#{report.figures()['proactive.licensing.decisions'].passage}"
    assert licensing.select_one('td[data-year="2022"] small.change').get_text() == "+7"
    assert len(page.select(".small-chart svg")) >= 5
    compare = page.select_one('#years .compare-row td:nth-of-type(4) a')  # the 2023 column
    assert compare["href"] == f"/compare?a={ids['jiguan-2022']}&b={ids['jiguan-2023']}"
    flags = page.select_one('#years .flags-row td:nth-of-type(5)').get_text()  # 2024
    assert "文字大量沿用上年" in flags and "数字与上年完全相同" in flags


def test_agency_json_and_csv_twins(site):
    client, engine, ids, reports = site
    url = agency_url(engine, ids["jiguan-2023"])
    data = client.get(url + ".json").get_json()
    assert data["years"] == [2020, 2021, 2022, 2023, 2024] and "2021" not in data["reports"]
    rows = {r["name"]: r for r in data["rows"]}
    for year in (2020, 2022, 2023, 2024):
        figures = reports[f"jiguan-{year}"].key_figures()
        assert {name: rows[name]["values"][str(year)]["value"] for name in figures} == figures
    assert rows["penalty"]["values"]["2021"] is None
    table = list(csv.reader(io.StringIO(client.get(url + ".csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:4] == ["指标", "key", "2020", "2020 比上一份报告"]
    licensing = next(r for r in table if r[1] == "licensing")
    assert licensing[2::2] == ["0", "", "7", "0", "0"]  # 2021 is a gap
    assert client.get("/agency/" + quote("山东省·淄博市·-·没有这个局") + ".json").status_code == 404


def test_compare_marks_the_changed_cells(site):
    client, _, ids, _ = site
    a, b = ids["jiguan-2022"], ids["jiguan-2023"]
    page = soup(client.get(f"/compare?a={a}&b={b}").data)
    assert {tr["data-path"] for tr in page.select("tr.changed")} == set(CHANGED_CELLS)
    row = page.select_one('tr[data-path="proactive.licensing.decisions"]')
    assert row.select_one("td.a").get_text(strip=True) == "7" and row.select_one("td.b a")["href"].startswith(f"/report/{b}#p")
    assert "的段落与上年相同" in page.select_one("#summary").get_text()
    assert page.select("li.para.changed ins") or page.select("li.para.changed del")
    data = client.get(f"/compare.json?a={a}&b={b}").get_json()
    assert {c["path"] for c in data["cells"] if c["changed"]} == set(CHANGED_CELLS)
    assert data["a"]["year"] == 2022 and data["summary"].endswith("的段落与上年相同")
    assert client.get(f"/compare?a={a}").status_code == 400
    assert client.get(f"/compare?a={a}&b=000000000000").status_code == 404


def test_report_page_links_agency_compare_and_flags(site):
    client, engine, ids, _ = site
    page = soup(client.get(f"/report/{ids['jiguan-2024']}").data)
    assert page.select_one("#agency a.agency-link")["href"] == agency_url(engine, ids["jiguan-2024"])
    assert page.select_one("#agency a.compare-link")["href"] == f"/compare?a={ids['jiguan-2023']}&b={ids['jiguan-2024']}"
    flags = page.select_one("#flags").get_text()
    assert "文字大量沿用上年" in flags and "100% 的段落如此" in flags
    assert soup(client.get(f"/report/{ids['jiguan-2020']}").data).select_one("#agency a.compare-link") is None
    data = client.get(f"/report/{ids['jiguan-2024']}.json").get_json()
    assert data["agency_key"] == report_agency(engine, ids["jiguan-2024"]).key
    assert {f["name"] for f in data["flags"]} == {"copied_text", "same_numbers"} and data["previous"]["year"] == 2023


def test_flag_facet_on_the_search_page(site):
    client, _, ids, _ = site
    data = client.get("/search.json?flag=signature_date").get_json()
    assert [h["id"] for h in data["hits"]] == [ids["fagai-early"]]
    facet = next(f for f in data["facets"] if f["name"] == "flag")
    assert {v["value"] for v in facet["values"]} >= {"signature_date"}
    page = soup(client.get("/").data)
    assert page.select('a.fv[data-facet="flag"][data-value="copied_text"]')


def test_rank_page_and_twins(site):
    client, _, _, _ = site
    data = client.get("/rank.json?by=penalty&year=2023").get_json()
    assert data["by"] == "penalty" and data["filters"] == {"year": ["2023"]}
    values = [r["value"] for r in data["rows"]]
    assert values == sorted(values, reverse=True) and data["rows"][0]["agency"] == "鼓楼区应急管理局"
    page = soup(client.get("/rank?by=penalty&year=2023").data)
    assert [a.get_text() for a in page.select("#ranking tbody th a")] == [r["agency"] or r["agency_key"] for r in data["rows"]]
    # facet links on the rank page keep the ranking's parameters
    toggles = [a["href"] for a in page.select("a.fv")]
    assert toggles and all(h.startswith("/rank?") and "by=penalty" in h for h in toggles)
    rows = list(csv.reader(io.StringIO(client.get("/rank.csv?by=penalty&year=2023").get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[1] for r in rows[1:]] == [r["agency"] for r in data["rows"]]
    odd = client.get("/rank.json?by=nonsense&min_n=abc").get_json()
    assert odd["by"] == "withheld_share" and len(odd["notes"]) == 2
    assert not any("by" in n and "筛选项" in n for n in odd["notes"])  # rank parameters are not read as facets


def test_no_markup_from_a_document(site):
    client, engine, ids, _ = site
    hostile = next(h for h in engine.search(SearchRequest(q="淄博市", per_page=100)).hits if SCRIPT in (h.agency or ""))
    for url in (agency_url(engine, hostile.id), f"/compare?a={hostile.id}&b={ids['jiguan-2023']}", "/rank?by=penalty&min_n=0"):
        body = client.get(url).get_data(as_text=True)
        assert SCRIPT not in body, url


def test_compare_folds_runs_of_identical_paragraphs(site):
    client, _, ids, _ = site
    a = ids["jiguan-2023"]
    page = soup(client.get(f"/compare?a={a}&b={a}").data)  # a report against itself: one run of same
    (run,) = page.select("li.same-run")
    n = len(run.select("li.para.same"))
    assert n >= 3 and f"{n} 段相同" in run.select_one("summary").get_text()
    page = soup(client.get(f"/compare?a={ids['jiguan-2022']}&b={a}").data)  # every paragraph rewritten
    assert not page.select("li.same-run") and len(page.select("li.para.changed")) > 5


def test_the_agency_facet_reads_as_names_not_keys(site):
    from index.agency import key_label

    client, *_ = site
    facet = next(f for f in client.get("/search.json").get_json()["facets"] if f["name"] == "agency_key")
    assert facet["values"]
    for v in facet["values"]:
        assert v["label"] == key_label(v["value"]) and "·-·" not in v["label"] and v["label"] != v["value"]
