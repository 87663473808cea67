"""Places in search: region-aware query words, place-keyed facets (two counties
of one name in two cities), traditional characters, and the read-as line;
over the samples plus a generated corpus and a traditional-character copy of a
sample."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import opencc
import pytest
from conftest import SAMPLES
from places import path, picked
from web_fixtures import soup

from benchmarks.corpus import make_corpus
from index.build import build_index
from index.parse import parse_file
from index.region import ORDINARY, load_table, places_named
from search import facets as F
from search.engine import Engine, SearchRequest
from search.query import parse_query

SEED, SIZE = 7, 60  # a corpus with 市中区 in 内江市 and 乐山市, 城中区 in 柳州市 and 西宁市
TRADITIONAL = "linzi-traditional.txt"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("places") / "reports"
    make_corpus(folder / "generated", SIZE, seed=SEED)
    linzi = next(p for p in SAMPLES if "linzi" in p.name)
    (folder / TRADITIONAL).write_text(opencc.OpenCC("s2t").convert(linzi.read_text(encoding="utf-8").replace("2020", "2021")), encoding="utf-8")
    files = sorted(folder.rglob("*.txt")) + list(SAMPLES)
    index_dir = folder.parent / "index"
    summary = build_index([folder, *SAMPLES], index_dir)
    assert not summary.failed, summary.failed
    return index_dir, {str(p.resolve()): parse_file(p) for p in files}


@pytest.fixture(scope="module")
def engine(corpus):
    e = Engine(corpus[0])
    yield e
    e.close()


def search(engine, q="", **filters):
    return engine.search(SearchRequest(q=q, filters={k: list(v) for k, v in filters.items()}, per_page=100))


def hit_files(result) -> set[str]:
    """Every file behind the hits (a report read from two files names both)."""
    return {str(Path(s).resolve()) for h in result.hits for s in h.sources}


def region_values(report, facet: str) -> set[str]:
    r = report.region
    value = {"province": r.province, "city": r.city and path(r.province, r.city),
             "county": r.county and path(r.province, r.city, r.county)}[facet]  # fmt: skip
    return {value} if value else set()


def shared_counties(reports) -> dict[str, set[str]]:
    """County name -> the county paths of that name in the corpus, where there are several."""
    found: dict[str, set[str]] = {}
    for r in reports.values():
        for v in region_values(r, "county"):
            found.setdefault(v.rsplit("/", 1)[1], set()).add(v)
    return {name: paths for name, paths in found.items() if len(paths) > 1}


# ---------------------------------------------------------------- which words name places


@pytest.mark.parametrize("words, want", [
    (["河南", "河南省"], ["河南省"]),
    (["福州", "福州市"], ["福建省/福州市"]),
    (["鼓楼", "鼓楼区"], ["江苏省/南京市/鼓楼区", "江苏省/徐州市/鼓楼区", "福建省/福州市/鼓楼区", "河南省/开封市/鼓楼区"]),
    (["临淄", "临淄区"], ["山东省/淄博市/临淄区"]),
    (["吉林"], ["吉林省"]),  # 吉林市 lies inside: it adds nothing
    (["长沙"], ["湖南省/长沙市"]),  # a bare short name is the larger unit, not 长沙县
    (["北京", "北京市"], ["北京市"]),
    (["东城区"], ["北京市/东城区"]),  # a municipality is its own city, written once
    (["资源县"], ["广西壮族自治区/桂林市/资源县"]),
    (["资源", "公安", "城区", "市中", "和平"], []),  # ordinary words: text only
    (["淄博市应急管理局", "应急", "行政处罚"], []),  # a place must be the whole word
])
def test_which_words_name_places(words, want):
    from search.query import Place

    for word in words:
        assert [p.value for p in Place.named(word)] == want, word


def test_ordinary_names_are_county_names_only():
    """The ordinary-word list never hides a province or city, and lists nothing that is not a county name."""
    table = load_table()
    words = [w for line in ORDINARY.read_text(encoding="utf-8").splitlines() if not line.startswith("#") for w in line.split()]
    assert len(words) == len(set(words)) > 20
    for w in words:
        cands = table.by_short.get(w, []) + [d for d in table.by_name.get(w, []) if len(w) == 2]
        assert cands and all(d.level == 3 for d in cands), w
        assert places_named(w) == []


# ---------------------------------------------------------------- region words in queries


def test_a_region_word_finds_reports_that_never_print_it(engine, corpus):
    weibin = next(r for r in corpus[1].values() if r.agency == "卫滨区应急管理局")
    assert "河南" not in weibin.text and weibin.region.province == "河南省"
    for q in ("河南", "河南省"):
        assert "卫滨区应急管理局" in {h.agency for h in search(engine, q).hits}, q
    assert "卫滨区应急管理局" not in {h.agency for h in search(engine, '"河南"').hits}  # quoted: the text only
    linzi = {h.agency for h in search(engine, "临淄区").hits} & {h.agency for h in search(engine, "临淄").hits}
    assert "临淄区应急管理局" in linzi


@pytest.mark.parametrize("q, facet", [
    ("山东", "province"), ("山东省", "province"), ("淄博", "city"), ("淄博市", "city"), ("临淄区", "county"),
])
def test_region_or_text_equals_a_brute_force_count(engine, corpus, q, facet):
    (place,) = parse_query(q).clauses[0][0].places
    squeezed = re.sub(r"\W", "", q)
    want = {f for f, r in corpus[1].items() if place.value in region_values(r, facet) or squeezed in re.sub(r"\W", "", r.text)}
    result = search(engine, q)
    assert hit_files(result) == want and result.total == len({h.id for h in result.hits})
    assert result.query.describe().startswith(f"“{q}” → 地区：")


def test_a_region_word_with_another_word_needs_both(engine, corpus):
    both = hit_files(search(engine, "河南 行政处罚"))
    assert both == hit_files(search(engine, "河南")) & hit_files(search(engine, "行政处罚")) and both


# ---------------------------------------------------------------- same-named counties


def test_the_corpus_has_same_named_counties(corpus):
    assert {"市中区", "城中区"} <= set(shared_counties(corpus[1]))


def test_a_shared_county_name_finds_both_and_offers_each(engine, corpus):
    for name, paths in shared_counties(corpus[1]).items():
        result = search(engine, name)
        reports = {f for f, r in corpus[1].items() if region_values(r, "county") & paths}
        assert reports <= hit_files(result), name
        county = next(f for f in result.facets if f.name == "county")
        shown = {v.value: v for v in county.values}
        for p in paths:
            province, city, county_name = p.split("/")
            assert shown[p].label == f"{county_name} · {city}"
            assert shown[p].count == sum(1 for r in corpus[1].values() if region_values(r, "county") == {p})
        offered = {p.value for _, places in result.query.choices() for p in places}
        assert paths <= offered


def test_a_place_path_selects_one_city_and_a_bare_name_selects_all(engine, corpus):
    for name, paths in shared_counties(corpus[1]).items():
        every = hit_files(search(engine, county=[name]))
        assert every == {f for f, r in corpus[1].items() if region_values(r, "county") & paths}
        for p in paths:
            assert hit_files(search(engine, county=[p])) == {f for f, r in corpus[1].items() if region_values(r, "county") == {p}}
        county = next(f for f in search(engine, county=[name]).facets if f.name == "county")
        bare = next(v for v in county.values if v.value == name)
        assert bare.selected and f"{len(paths)} 处同名" in bare.label and bare.count == len(every)
        assert paths <= {v.value for v in county.values if not v.selected}  # each offered, to narrow to it


FACET_CASES = [
    ("", {}),
    ("", {"county": ["市中区"]}),
    ("", {"county": ["四川省/内江市/市中区"]}),
    ("", {"city": ["四川省/乐山市"], "year": ["2023", "2022"]}),
    ("市中区", {}),
    ("城中区 OR 市中区", {"province": ["四川省"]}),
    ("应急", {"county": ["城中区", "四川省/乐山市/市中区"]}),
    ("四川", {"city": ["乐山市"]}),
]


@pytest.mark.parametrize("q, filters", FACET_CASES)
def test_place_facet_counts_equal_a_brute_force_count(engine, corpus, q, filters):
    reports = corpus[1]
    matched = hit_files(search(engine, q))
    base = [r for f, r in reports.items() if f in matched]
    result = search(engine, q, **filters)

    def passes(r, skip=None):
        return all(picked(region_values(r, name) if name in ("province", "city", "county") else {str(r.year)}, vals)
                   for name, vals in filters.items() if name != skip)

    assert result.total == sum(passes(r) for r in base)
    for facet in result.facets:
        if facet.name not in ("province", "city", "county"):
            continue
        expected: dict[str, int] = {}
        for r in base:
            if passes(r, skip=facet.name):
                values = region_values(r, facet.name)
                for v in values | {b for b in filters.get(facet.name, []) if b not in values and picked(values, [b])}:
                    expected[v] = expected.get(v, 0) + 1
        counted = {v.value: v.count for v in facet.values if v.count}
        spec = F.BY_NAME[facet.name]
        if spec.top and len(expected) > len(counted):  # only the top values are shown: those must agree
            assert facet.more and all(expected[v] == n for v, n in counted.items()), facet.name
        else:
            assert counted == expected, facet.name


# ---------------------------------------------------------------- traditional characters


def test_a_traditional_query_finds_what_the_simplified_one_does(engine):
    simplified, traditional = search(engine, "行政处罚"), search(engine, "行政處罰")
    assert traditional.total == simplified.total > 0
    assert hit_files(traditional) == hit_files(simplified)
    assert any("<mark>行政处罚</mark>" in p.html for h in traditional.hits for p in h.passages)
    assert "行政处罚" in parse_query("行政處罰").literals()
    # synonyms apply to the simplified form: 發改局 searches 发展改革局 too
    assert hit_files(search(engine, "發改局")) == hit_files(search(engine, "发改局")) != set()


def test_a_report_in_traditional_characters_is_found_by_a_simplified_query(engine, corpus):
    trad = next(f for f in corpus[1] if f.endswith(TRADITIONAL))
    report = corpus[1][trad]
    # Read in simplified characters, kept as printed.
    assert (report.agency, report.year, report.region.county) == ("临淄区应急管理局", 2021, "临淄区")
    assert "臨淄區應急管理局" in report.original and "临淄区应急管理局" in report.text
    result = search(engine, "临淄区应急管理局 依申请公开")
    assert trad in hit_files(result)
    hit = next(h for h in result.hits if any(s.endswith(TRADITIONAL) for s in h.sources))
    assert any("<mark>臨淄區應急管理局</mark>" in p.html for p in hit.passages)  # marked as printed


# ---------------------------------------------------------------- the web: choices and labels


@pytest.fixture(scope="module")
def client(corpus):
    from web import create_app

    return create_app(corpus[0], TESTING=True).test_client()


def test_the_page_offers_each_same_named_place_as_a_link(client, corpus):
    page = soup(client.get("/?q=市中区").data)
    assert "地区：市中区（" in page.select_one(".read-as p").get_text()
    links = {a["data-value"]: a for a in page.select(".choices a.choice")}
    assert {"四川省/内江市/市中区", "四川省/乐山市/市中区"} <= set(links)
    assert links["四川省/内江市/市中区"].get_text().startswith("市中区（内江市）")
    narrowed = soup(client.get(links["四川省/内江市/市中区"]["href"]).data)
    chips = [c.get_text(" ", strip=True) for c in narrowed.select(".chips .chip")]
    assert any("市中区 · 内江市" in c for c in chips)
    want = sum(1 for r in corpus[1].values() if region_values(r, "county") == {"四川省/内江市/市中区"})
    assert int(re.sub(r"\D", "", narrowed.select_one("#total strong").get_text())) == want


def test_an_old_bare_county_bookmark_still_works_and_is_disambiguated(client, corpus):
    page = soup(client.get("/?county=城中区").data)
    every = sum(1 for r in corpus[1].values() if {v.rsplit("/", 1)[1] for v in region_values(r, "county")} == {"城中区"})
    assert int(re.sub(r"\D", "", page.select_one("#total strong").get_text())) == every
    choice = page.select(".choices a.choice")
    assert len(choice) == 2
    # a place's link in the facet replaces the bare name: it narrows, it does not add
    facet_link = page.select_one('a.fv[data-value="广西壮族自治区/柳州市/城中区"]')
    assert unquote(facet_link["href"]).count("county=") == 1 and "county=广西壮族自治区/柳州市/城中区" in unquote(facet_link["href"])


def test_json_has_place_labels_choices_and_read_as(client):
    data = client.get("/search.json?q=市中区").get_json()
    county = next(f for f in data["facets"] if f["name"] == "county")
    assert {"value": "四川省/内江市/市中区", "label": "市中区 · 内江市"}.items() <= next(v for v in county["values"] if v["value"] == "四川省/内江市/市中区").items()
    (choice,) = data["choices"]
    assert choice["word"] == "市中区" and all(p["url"].startswith("/?") for p in choice["places"])
    places = data["query"]["parsed"]["clauses"][0][0]["places"]
    assert {p["facet"] for p in places} == {"county"} and len(places) == 4
