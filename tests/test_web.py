"""The web site through Flask's test client: every route and its twins, facet
URLs, exports, escaping, bad input, the report page's tables and checks."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from web_fixtures import GAOXIN_YINGJI, LINZI, SAMPLES_DIR, SCRIPT, WEIBIN, WEIBIN_SAMPLE, build, report_ids, soup, total_of, write_hostile_sample

from index.model import Figure
from search.engine import SearchRequest
from web import create_app
from web.document import DEDUCED, MISSING, cell

Q = "行政处罚"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return build([SAMPLES_DIR], tmp_path_factory.mktemp("web-index"))


@pytest.fixture(scope="module")
def app(index_dir):
    return create_app(index_dir, TESTING=True)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def ids(app):
    return report_ids(app.extensions["nianbao.engine"])


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:500])
    return response


# ---------------------------------------------------------------- every route


def test_every_route_and_twin_answers(client, ids):
    rid = ids[WEIBIN]
    expected = {
        "/": "text/html",
        f"/?q={Q}": "text/html",
        f"/search.json?q={Q}": "application/json",
        f"/search.csv?q={Q}": "text/csv; charset=utf-8",
        f"/search.jsonl?q={Q}": "application/x-ndjson; charset=utf-8",
        f"/report/{rid}": "text/html",
        f"/report/{rid}.json": "application/json",
        f"/report/{rid}/source/0": "text/plain; charset=utf-8",
        "/stats": "text/html",
        "/stats.json": "application/json",
        "/static/style.css": "text/css",
        "/static/app.js": "javascript",
    }
    for url, content_type in expected.items():
        response = get(client, url)
        assert content_type in response.headers["Content-Type"], url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_pages_are_chinese_accessible_and_script_free_inline(client, ids):
    for url in ("/", f"/report/{ids[WEIBIN]}?q={Q}", "/stats"):
        html = get(client, url).get_data(as_text=True)
        page = soup(html)
        assert page.html["lang"] == "zh-CN"
        assert page.select_one("a.skip-link")["href"] == "#main"
        # CSP forbids inline script: every <script> must be a file from this site
        for script in page.find_all("script"):
            assert script.get("src", "").startswith("/static/") and not script.string
        assert "style=" not in html
        # every form control is labelled
        for control in page.select("input:not([type=hidden]), select"):
            assert page.select_one(f'label[for="{control["id"]}"]'), control


def test_csp_is_strict(client):
    csp = get(client, "/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


# ---------------------------------------------------------------- search page


def test_search_page_keeps_the_query_and_explains_it(client, app):
    page = soup(get(client, f"/?q={Q}").data)
    assert page.select_one("input#q")["value"] == Q
    assert "检索式：" in page.select_one(".read-as").get_text() and "全文包含“行政处罚”" in page.select_one(".read-as").get_text()
    engine_total = app.extensions["nianbao.engine"].search(SearchRequest(q=Q)).total
    assert total_of(page) == engine_total > 0
    hrefs = {a.get_text(strip=True): a["href"] for a in page.select(".twins a")}
    assert hrefs["导出 CSV"].startswith("/search.csv?q=") and hrefs["JSON"].startswith("/search.json?q=")
    assert hrefs["统计图表"].startswith("/stats?q=")


def test_hits_show_key_figures_and_passage_links(client, ids):
    page = soup(get(client, f"/?q={Q}").data)
    hit = next(h for h in page.select("li.hit") if h.select_one("h2 a").get_text() == WEIBIN)
    figures = {f.select_one("dt").get_text(): f.select_one("dd").get_text() for f in hit.select(".fig")}
    assert figures["行政处罚决定"] == "11" and figures["本年新收申请"] == "0"
    assert list(figures) == ["本年新收申请", "予以公开", "不予公开", "行政复议", "行政诉讼", "行政处罚决定"]
    assert "勾稽关系一致" in hit.select_one(".badge").get_text()
    links = hit.select(".passages a")
    assert links and all(re.fullmatch(rf"/report/{ids[WEIBIN]}\?q=.+#(p\d+|row-[a-z_]+-[a-z_]+)", a["href"]) for a in links)
    labels = [a.select_one(".where").get_text() for a in links]
    assert "第二部分 表格行「行政处罚」" in labels and "第一部分 段落" in labels
    assert all(a.select_one(".text mark") for a in links)


def test_unknown_numbers_show_a_dash_never_zero(client):
    page = soup(get(client, "/").data)
    hit = next(h for h in page.select("li.hit") if h.select_one("h2 a").get_text() == GAOXIN_YINGJI)
    penalty = next(f for f in hit.select(".fig") if f.select_one("dt").get_text() == "行政处罚决定")
    assert penalty.select_one("dd").get_text() == "—"


def facet_link(page, facet: str, value: str):
    return page.select_one(f'a.fv[data-facet="{facet}"][data-value="{value}"]')


def test_facet_links_toggle_values_in_the_url(client):
    start = soup(get(client, f"/?q={Q}").data)
    link = facet_link(start, "year", "2023")
    shown_count = int(link.select_one(".count").get_text())
    assert "on" not in link["class"]
    assert parse_qs(urlsplit(link["href"]).query) == {"q": [Q], "year": ["2023"]}

    filtered = soup(get(client, link["href"]).data)
    assert total_of(filtered) == shown_count < total_of(start)
    chips = filtered.select(".chips a.chip")
    assert [c.get_text(" ", strip=True) for c in chips] == ["年度 2023 ×"]
    selected = facet_link(filtered, "year", "2023")
    assert "on" in selected["class"] and "已选" in selected.get_text()

    # multi-select within a facet widens the result (OR)
    both = soup(get(client, facet_link(filtered, "year", "2020")["href"]).data)
    assert parse_qs(urlsplit(facet_link(both, "year", "2020")["href"]).query)["year"] == ["2023"]
    assert total_of(both) == total_of(start)
    assert len(both.select(".chips a.chip")) == 2

    # the chip's remove link and the selected value's link both take it away again
    back = soup(get(client, chips[0]["href"]).data)
    assert total_of(back) == total_of(start) and not back.select(".chips a.chip")
    assert chips[0]["href"] == selected["href"]


def test_clear_all_keeps_the_query(client):
    page = soup(get(client, f"/?q={Q}&year=2023&province=山东省").data)
    assert len(page.select(".chips a.chip")) == 2
    assert parse_qs(urlsplit(page.select_one(".chips .clear-all")["href"]).query) == {"q": [Q]}


def test_facet_counts_follow_the_query(client):
    everything = soup(get(client, "/").data)
    narrowed = soup(get(client, "/?q=临淄").data)
    assert int(facet_link(everything, "year", "2023").select_one(".count").get_text()) == 4
    assert facet_link(narrowed, "year", "2023") is None
    assert int(facet_link(narrowed, "year", "2020").select_one(".count").get_text()) == 1
    assert total_of(narrowed) == 1


def test_bucket_and_sort_state_in_the_url(client):
    page = soup(get(client, "/?new_received=1-9&sort=year_desc").data)
    assert total_of(page) == 1
    assert page.select_one("select#sort option[selected]")["value"] == "year_desc"
    link = facet_link(page, "new_received", "1-9")
    assert parse_qs(urlsplit(link["href"]).query) == {"sort": ["year_desc"]}


def test_search_within_a_facet(client):
    page = soup(get(client, "/?within.agency=临淄").data)
    agencies = [a.select_one(".name").get_text() for a in page.select('a.fv[data-facet="agency"]')]
    assert agencies == [LINZI]
    form = page.select_one("input#w-agency").find_parent("form")
    assert form.select_one('label[for="w-agency"]').get_text() == "在此筛选项中搜索"
    assert form.select_one("input#w-agency")["name"] == "within.agency"
    # the one match is shown: nothing is left to list (the 4 other agencies do not match 临淄)
    assert "未列出" not in form.get_text()


def test_facet_search_counts_only_what_it_could_show():
    """"另有 n 项未列出" counts the values that match the search within and are not shown."""
    import numpy as np

    from search import facets as F

    names = [f"芝罘区第{i}局" for i in range(12)] + [f"莱山区第{i}局" for i in range(190)]
    codes = np.repeat(np.arange(len(names)), [30 - i for i in range(12)] + [5] * 190)
    column = F.FacetColumn(names, codes=codes)
    counts = column.counts(np.arange(len(codes)))
    facet = F._facet(F.BY_NAME["agency"], column, counts, [], "芝罘")
    assert len(facet.values) == 10 and all("芝罘" in v.value for v in facet.values)
    assert facet.more == 2
    everything = F._facet(F.BY_NAME["agency"], column, counts, [], "")
    assert everything.more == 202 - 10


def test_pagination(client):
    page = soup(get(client, "/?per_page=2&sort=year_asc").data)
    assert len(page.select("li.hit")) == 2
    pager = page.select_one("nav.pager")
    assert [a.get_text() for a in pager.select("a") if a.get_text().isdigit()] == ["2", "3"]
    last = soup(get(client, pager.select_one('a[aria-label="第 3 页"]')["href"]).data)
    assert len(last.select("li.hit")) == 1 and last.select_one('nav.pager [aria-current="page"]').get_text() == "3"


def test_empty_result_suggests_removing_filters(client):
    page = soup(get(client, "/?q=没有这个词语XYZ&year=2023").data)
    assert total_of(page) == 0
    text = page.select_one(".empty").get_text()
    assert "没有找到符合条件的报告" in text and "清除全部筛选" in text


@pytest.mark.parametrize(
    "url, note",
    [
        ("/?nosuchfacet=1", "没有名为“nosuchfacet”的筛选项"),
        ("/?page=10000", "第 10000 页超出范围"),
        ("/?page=abc", "页码“abc”不是数字"),
        ("/?page=-3", "页码须为正整数"),
        ("/?per_page=zz", "每页条数"),
        ("/?sort=bogus", "不支持的排序"),
        ('/?q="', "引号未闭合"),
        ("/?q=(", "不含文字或数字"),
        ("/?q=year:>", "无法理解"),
        ("/?q=" + "行" * 10_000, None),
        ("/?q=%00%01", None),
        ("/?year=", None),
        ("/?page=99999999999999999999999", "超出范围"),
    ],
)
def test_bad_parameters_never_fail(client, url, note):
    html = get(client, url).get_data(as_text=True)
    if note:
        assert note in soup(html).select_one(".read-as").get_text()


def test_bad_parameters_on_the_twins(client):
    for url in (
        "/search.json?page=abc&foo=1",
        "/search.csv?q=(&sort=x",
        '/search.jsonl?q="',
        "/stats?q=year:>&bar=1",
        "/stats.json?page=0",
    ):
        get(client, url)
    data = get(client, "/search.json?page=abc&foo=1").get_json()
    assert data["page"] == 1 and any("foo" in n for n in data["notes"])


# ---------------------------------------------------------------- JSON, CSV, JSON lines


def test_search_json_is_the_result_plus_links(client):
    data = get(client, f"/search.json?q={Q}&year=2023").get_json()
    assert data["query"]["read_as"] == "全文包含“行政处罚”"
    assert data["filters"] == {"year": ["2023"]}
    assert data["total"] == len(data["hits"]) and {"hits", "facets", "notes", "pages"} <= set(data)
    assert data["links"]["csv"].startswith("/search.csv?") and "year=2023" in data["links"]["csv"]
    assert data["links"]["html"].startswith("/?")


def test_csv_export_streams_every_report(client, app):
    response = get(client, f"/search.csv?q={Q}&per_page=1")  # paging does not limit an export
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r"attachment; filename=nianbao-[\w-]+\.csv", response.headers["Content-Disposition"])
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    engine = app.extensions["nianbao.engine"]
    expected = {h.agency for h in engine.search(SearchRequest(q=Q, per_page=100)).hits}
    assert len(rows) == len(expected) and {r["机关"] for r in rows} == expected
    assert all(r["报告链接"].startswith("/report/") for r in rows)


def test_csv_headers_are_chinese_booleans_are_shi_fou(client):
    from search.export import COLUMNS, HEADERS

    raw = get(client, "/search.csv").data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(raw)))
    assert header == [HEADERS[c] for c in COLUMNS] and len(set(header)) == len(header)
    assert header[:5] == ["编号", "机关", "机关标识（跨年度）", "年度", "省份"]
    assert "申请·不予公开·属于国家秘密·自然人" in header and "行政复议·结果纠正" in header
    assert not any(re.search(r"[a-z_]{3}", h) for h in header)  # no contract path left
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert sorted(r["勾稽关系一致"] for r in rows) == ["否", "是", "是", "是", "是"]
    assert all(r["机关标识（跨年度）"].endswith(r["机关"][-3:]) for r in rows)  # the key ends in the (normalised) name
    assert {r["原始文件"] for r in rows} == {p.name for p in SAMPLES_DIR.glob("*.txt")}  # relative to the indexed folder
    keys = get(client, "/search.csv?headers=keys").data.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(keys))) == COLUMNS
    assert "applications.withheld_state_secret.natural_person" in COLUMNS
    assert len(list(csv.DictReader(io.StringIO(keys)))) == 5  # headers= is no filter


def test_sources_are_named_relative_to_the_indexed_folder(tmp_path):
    from search.export import source_names

    assert source_names(["/data/a/山东/x.pdf", "/elsewhere/y.txt"], "/data/a") == ["山东/x.pdf", "y.txt"]
    folder = tmp_path / "reports"
    (folder / "河南").mkdir(parents=True)
    (folder / "山东").mkdir()
    (folder / "河南" / "weibin.txt").write_bytes(WEIBIN_SAMPLE.read_bytes())
    (folder / "山东" / "linzi.txt").write_bytes((SAMPLES_DIR / "zibo-linzi-yingji-2020.txt").read_bytes())
    app = create_app(build([folder], tmp_path / "ix"), TESTING=True)
    client = app.test_client()
    hits = get(client, "/search.json").get_json()["hits"]
    assert sorted(s for h in hits for s in h["sources"]) == ["山东/linzi.txt", "河南/weibin.txt"]
    rid = next(h["id"] for h in hits if h["agency"] == WEIBIN)
    assert get(client, f"/report/{rid}.json").get_json()["source"]["path"] == "河南/weibin.txt"
    page = soup(get(client, f"/report/{rid}").data)
    link = page.select_one(f'a[href="/report/{rid}/source/0"]')
    assert link.get_text() == "河南/weibin.txt"
    assert get(client, link["href"]).data == WEIBIN_SAMPLE.read_bytes()  # the download still works


def test_no_response_carries_a_server_path(client, ids, index_dir):
    """No page, twin or export shows where the index or the files are on the server."""
    secrets = [str(SAMPLES_DIR), str(index_dir), str(SAMPLES_DIR.parent)]
    urls = ["/", f"/?q={Q}", "/search.json", f"/search.json?q={Q}", "/search.csv", "/search.csv?headers=keys",
            "/search.jsonl", "/stats", "/stats.json", "/nosuch", "/report/nosuch"]  # fmt: skip
    for rid in ids.values():
        urls += [f"/report/{rid}", f"/report/{rid}.json", f"/report/{rid}?q={Q}"]
    for url in urls:
        body = client.get(url).get_data(as_text=True)
        for secret in secrets:
            assert secret not in body, (url, secret)


def test_export_links_ignore_the_host_header(index_dir):
    """A client cannot put its own host into the links of an export."""
    app = create_app(index_dir, TESTING=True, PUBLIC_URL="http://127.0.0.1:5000")
    raw = app.test_client().get("/search.csv?year=2023&headers=keys", headers={"Host": "evil.example"}).data
    links = [r["link"] for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))]
    assert links and all(link.startswith("http://127.0.0.1:5000/report/") for link in links)


def test_jsonl_export(client):
    response = get(client, "/search.jsonl?year=2023")
    assert response.headers["Content-Disposition"].endswith(".jsonl")
    rows = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(rows) == 4 and all(r["year"] == 2023 for r in rows)


# ---------------------------------------------------------------- report page


def test_report_page_shows_the_whole_report(client, app, ids):
    rid = ids[WEIBIN]
    page = soup(get(client, f"/report/{rid}").data)
    report, _ = app.extensions["nianbao.engine"].report(rid)
    assert page.select_one("h1").get_text() == WEIBIN
    for p in report.passages:  # every passage is an element to link to
        assert page.find(id=p.id), p.id
    assert [s["id"] for s in page.select("section.doc-section")] == [f"s{n}" for n in range(1, 7)]
    assert page.find(id=next(p.id for p in report.passages if p.kind == "heading")).name == "h2"
    assert page.find(id="p5").name == "p"
    assert page.select_one(f'a[href="/report/{rid}.json"]')
    assert page.select_one(f'a[href="/report/{rid}/source/0"]').get_text() == "xinxiang-weibin-yingji-2023.txt"


def test_section_two_row_links_to_where_it_was_printed(client, ids):
    page = soup(get(client, f"/report/{ids[WEIBIN]}").data)
    section = page.find(id="s2")
    row = next(tr for tr in section.select("table.data tr") if tr.th and tr.th.get_text() == "行政处罚")
    link = row.select_one("td a")
    assert link.get_text() == "11"
    printed = page.find(id=link["href"][1:])
    assert "passage" in printed["class"] and re.search(r"行政处罚\s*11", printed.get_text())


def test_section_three_and_four_tables_follow_the_template(client, ids):
    page = soup(get(client, f"/report/{ids[WEIBIN]}").data)
    table3 = page.find(id="s3").select_one("table.data")
    assert [th.get_text() for th in table3.select("thead tr")[1].select("th")] == [
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    body = [tr for tr in table3.select("tbody tr") if "group" not in (tr.get("class") or [])]
    assert len(body) == 25 and all(len(tr.select("td")) == 7 for tr in body)
    assert body[0].th.get_text().startswith("一、本年新收")
    table4 = page.find(id="s4").select_one("table.data")
    assert [tr.th.get_text() for tr in table4.select("tbody tr")] == ["行政复议", "行政诉讼·未经复议直接起诉", "行政诉讼·复议后起诉"]
    assert all(len(tr.select("td")) == 5 for tr in table4.select("tbody tr"))


def test_2019_template_layout(client, ids):
    page = soup(get(client, f"/report/{ids[LINZI]}").data)
    heads = [th.get_text() for th in page.find(id="s2").select("table.data thead th")]
    assert "本年新制作数量" in heads and "上一年项目数量" in heads and "本年制发件数" not in heads
    rows = [tr for tr in page.find(id="s3").select("table.data tbody tr") if "group" not in (tr.get("class") or [])]
    assert len(rows) == 23


def test_deduced_cells_are_marked(client, app, ids):
    rid = ids[GAOXIN_YINGJI]
    report, _ = app.extensions["nianbao.engine"].report(rid)
    deduced = [f for f in report.figures().values() if f.deduced]
    assert deduced
    page = soup(get(client, f"/report/{rid}").data)
    marked = page.select("td.deduced em")
    assert len(marked) == len(deduced) and all(m["title"] == DEDUCED for m in marked)
    assert page.find(id="s3")  # its heading is missing from the text, its table still has a place


def test_failing_checks_are_explained(client, app, ids):
    """Each broken rule in plain Chinese, its cells marked in the table, a link to them."""
    rid = ids[LINZI]
    report, _ = app.extensions["nianbao.engine"].report(rid)
    failed = [c for c in report.checks if not c.ok]
    page = soup(get(client, f"/report/{rid}").data)
    checks = page.find(id="checks")
    assert f"{len(failed)} 项不成立" in checks.get_text()
    items = checks.select("ol.failed li")
    assert len(items) == len(failed) == 4
    assert items[0].select_one(".detail").get_text() == "“自然人”列：本年新收 0 + 上年结转 0 应等于 办理总计 6 + 结转下年度 0，相差 6"
    assert "项之和" not in checks.get_text().replace("各项办理结果之和", "")  # no bare "19 项之和"
    assert "（一）至（六）各项办理结果之和 0（各项均为 0），相差 6" in items[1].get_text()
    assert "应满足：本年新收＋上年结转＝办理总计＋结转下年度" in checks.get_text()
    for n, li in enumerate(items, 1):
        link = li.select_one("a.to-cells")
        assert link["href"] == f"#check-{n}"
        anchor = page.find(id=f"check-{n}")
        assert anchor.find_parent("td")["data-checks"].split().count(str(n)) == 1
        marked = page.select(f'td.check-failed[data-checks~="{n}"]')
        assert len(marked) == int(re.search(r"这 (\d+) 个数字", link.get_text())[1])
    balance = {td.get_text(strip=True)[-1] for td in page.select('td[data-checks~="1"]')}
    assert balance == {"0", "6"}  # 本年新收 0, 上年结转 0, 总计 6, 结转 0: the 自然人 column
    assert page.select_one(".report-head .badge.bad").get_text(strip=True) == "✗ 4 项核对未通过"
    assert page.select_one(".report-head .badge.bad")["href"] == "#checks"


def test_a_hit_says_how_many_checks_failed(client, ids):
    page = soup(get(client, f"/?q={Q}").data)
    badge = next(h for h in page.select("li.hit") if LINZI in h.h2.get_text()).select_one(".badge.bad")
    assert badge.get_text(strip=True) == "✗ 4 项核对未通过"
    assert urlsplit(badge["href"]).path == f"/report/{ids[LINZI]}" and badge["href"].endswith("#checks")


def test_null_cells_show_a_dash(client):
    assert cell(None).text == "—" and cell(None).title == MISSING
    c = cell(Figure(None, "/", 10, 11, "p7"))
    assert (c.text, c.href, c.missing) == ("—", "#p7", True) and c.title.startswith(MISSING)
    c = cell(Figure(3, "3", 10, 11, "p7"))
    assert (c.text, c.href, c.deduced) == ("3", "#p7", False)


def test_query_matches_are_marked_and_counted(client, ids):
    page = soup(get(client, f"/report/{ids[WEIBIN]}?q={Q}").data)
    marks = page.select("article.doc mark.match")
    numbers = sorted({int(m["data-m"]) for m in marks})
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 2
    assert page.select_one("#matchbar")["data-total"] == str(len(numbers))
    assert f"共 {len(numbers)} 处匹配" in page.select_one("#match-counter").get_text()
    assert all(m.get_text() == Q for m in marks)
    assert page.find(id="p20").select_one("mark.match")
    assert page.select_one("#next-match") and page.select_one("#prev-match")


def test_report_json_twin(client, ids):
    rid = ids[WEIBIN]
    data = get(client, f"/report/{rid}.json").get_json()
    assert data["agency"] == WEIBIN and data["id"] == rid
    assert data["proactive"]["penalty"]["decisions"] == 11
    assert data["sources"] == [{"n": 0, "name": "xinxiang-weibin-yingji-2023.txt", "url": f"/report/{rid}/source/0"}]


def test_unknown_report_is_a_real_404(client):
    response = get(client, "/report/doesnotexist", 404)
    page = soup(response.data)
    assert "找不到页面" in page.select_one("h1").get_text()
    assert page.select_one('main a[href="/"]')
    assert get(client, "/report/doesnotexist.json", 404).get_json()["status"] == 404
    get(client, "/no/such/page", 404)


# ---------------------------------------------------------------- source files


def test_source_file_is_served_as_published(client, ids):
    response = get(client, f"/report/{ids[WEIBIN]}/source/0")
    assert response.data == (SAMPLES_DIR / "xinxiang-weibin-yingji-2023.txt").read_bytes()
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "tail",
    ["source/1", "source/99", "source/-1", "source/..%2F..%2Fetc%2Fpasswd", "source/0/../../etc/passwd", "source/%2Fetc%2Fpasswd"],
)
def test_source_route_cannot_be_tricked(client, ids, tail):
    response = client.get(f"/report/{ids[WEIBIN]}/{tail}")
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_source_of_unknown_report(client):
    get(client, "/report/..%2F..%2Fetc/source/0", 404)


# ---------------------------------------------------------------- stats


def test_stats_page_draws_charts_with_fallback_tables(client):
    page = soup(get(client, "/stats").data)
    charts = page.select("figure.chart")
    assert [c["id"] for c in charts] == [f"chart-{n}" for n in ("received", "outcomes", "failing", "agencies", "provinces", "sectors")]
    for chart in charts:
        assert chart.select_one("figcaption h2").get_text()
        svgs = chart.select("svg.chart-svg")
        assert [s["class"][-1] for s in svgs] == ["wide", "narrow"]  # laid out twice, never scaled
        assert all(s.select_one("title") for s in svgs)
        assert chart.select_one("details table.data")
    agencies = page.find(id="chart-agencies")
    assert "淄博市机关事务管理局：2" in [t.get_text() for t in agencies.select("svg.wide rect title")]
    failing = page.find(id="chart-failing")
    assert "1/1（100%）" in failing.get_text()


def test_stats_years_are_a_true_axis_and_bars_open_their_reports(client):
    page = soup(get(client, "/stats").data)
    wide = page.select_one("#chart-received svg.wide")
    rows = [t.get_text() for t in wide.select("text.name")]
    assert rows == ["2020", "2021", "2022", "2023"]  # 2021 and 2022 have no report: drawn, not dropped
    empty = [t.get_text() for t in wide.select("text.empty-value")]
    assert empty == ["无报告", "无报告"]
    bars = {a.select_one("text.name").get_text(): a["href"] for a in wide.select("a.bar")}
    assert set(bars) == {"2020", "2023"}
    assert total_of(soup(get(client, bars["2023"]).data)) == 4
    agency_bar = next(a for a in page.select("#chart-agencies svg.wide a.bar") if "临淄" in a["aria-label"])
    assert query_of(agency_bar["href"]) == {"agency": [LINZI]}
    province_bar = next(a for a in page.select("#chart-provinces svg.wide a.bar") if "山东省" in a["aria-label"])
    assert total_of(soup(get(client, province_bar["href"]).data)) == 4
    # each value printed once per layout: the bar's end, nothing inside it
    for svg in page.select("svg.chart-svg"):
        assert len(svg.select("text.value")) == len(svg.select("a.bar"))


def test_stats_rates_beside_counts_with_their_n(client):
    data = get(client, "/stats.json").get_json()
    provinces = {p["province"]: p for p in data["by_province"]}
    assert set(provinces) == {"山东省", "河南省"} and provinces["山东省"]["reports"] == 4
    assert {s["sector"] for s in data["by_sector"]} >= {"应急管理", "发展改革"}
    y2023 = next(y for y in data["by_year"] if y["year"] == 2023)
    withheld = y2023["withheld_share"]
    assert withheld["reports"] == 4 and withheld["of"] == 2 and withheld["rate"] == 0
    page = soup(get(client, "/stats").data)
    table = page.select_one("table.breakdown")
    assert [th.get_text() for th in table.select("thead th")] == ["年度", "报告数", "本年新收申请", "不予公开占办理总计", "无法提供占办理总计", "复议、诉讼被纠正的占比", "勾稽关系不一致"]
    row = next(tr for tr in table.select("tbody tr") if tr.th.get_text() == "2023")
    assert [td.get_text() for td in row.select("td")][:3] == ["4", "2", "0.0%n=2 件，4 份报告"]
    assert row.select("td")[2].small.get_text() == "n=2 件，4 份报告"
    assert [tr.th.get_text() for tr in page.select("table.breakdown")[1].select("tbody tr")] == ["山东省", "河南省"]


def test_stats_page_has_the_search_facets(client):
    page = soup(get(client, "/stats?year=2023").data)
    link = page.select_one('aside.facets a.fv[data-facet="province"][data-value="山东省"]')
    assert urlsplit(link["href"]).path == "/stats" and query_of(link["href"]) == {"year": ["2023"], "province": ["山东省"]}
    assert int(link.select_one(".count").get_text()) == 3
    chip = page.select_one(".chips a.chip")
    assert chip["href"] == "/stats"


def test_stats_follow_the_filters(client):
    data = get(client, "/stats.json?year=2023").get_json()
    assert data["reports"] == 4 and [y["year"] for y in data["by_year"]] == [2023]
    assert data["by_year"][0]["new_received"] == 2 and data["by_year"][0]["inconsistent"] == 0
    assert data["links"]["search"] == "/?year=2023"
    everything = get(client, "/stats.json").get_json()
    assert everything["reports"] == 5 and len(everything["top_agencies"]) == 5
    page = soup(get(client, "/stats?year=2023").data)
    assert [c.get_text(" ", strip=True) for c in page.select(".chips a.chip")] == ["年度 2023 ×"]


# ---------------------------------------------------------------- safety


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-files")
    write_hostile_sample(folder)
    index_dir = build([folder], tmp_path_factory.mktemp("hostile-index"))
    app = create_app(index_dir, TESTING=True)
    (rid,) = report_ids(app.extensions["nianbao.engine"]).values()
    return app.test_client(), rid


def test_markup_in_a_report_is_shown_as_text(hostile):
    client, rid = hostile
    for url in ("/", "/?q=alert", f"/report/{rid}", f"/report/{rid}?q=script", "/stats", "/?q=<script>"):
        html = get(client, url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url
    page = soup(get(client, f"/report/{rid}").data)
    assert SCRIPT in page.select_one("h1").get_text()  # shown, as text
    assert page.find_all("script") == page.find_all("script", src="/static/app.js")


def test_not_applicable_cell_is_null_not_zero(hostile):
    client, rid = hostile
    page = soup(get(client, f"/report/{rid}").data)
    row = next(tr for tr in page.find(id="s2").select("table.data tr") if tr.th and tr.th.get_text() == "行政强制")
    td = row.select_one("td")
    assert td.get_text(strip=True) == "—" and "null" in td["class"]
    assert td.select_one("[title]")["title"].startswith(MISSING)


def test_the_app_never_writes_the_index(index_dir, client, ids):
    def snapshot():
        return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in index_dir.iterdir()}

    before = snapshot()
    for url in ("/", f"/?q={Q}&year=2023", "/search.csv", f"/report/{ids[WEIBIN]}?q={Q}", "/stats", "/search.json"):
        get(client, url)
    assert snapshot() == before


def query_of(href: str) -> dict:
    return parse_qs(urlsplit(href).query)


def test_back_link_returns_to_the_filtered_results(client, ids):
    rid = ids[WEIBIN]
    came_from = f"http://localhost/?q={Q}&year=2023"
    page = soup(client.get(f"/report/{rid}?q={Q}", headers={"Referer": came_from}).data)
    back = page.select_one(".crumbs a")["href"]
    assert urlsplit(back).path == "/" and query_of(back) == {"q": [Q], "year": ["2023"]}
    elsewhere = soup(client.get(f"/report/{rid}?q={Q}", headers={"Referer": "http://evil.example/?q=x"}).data)
    assert query_of(elsewhere.select_one(".crumbs a")["href"]) == {"q": [Q]}


def test_back_link_keeps_the_whole_state_through_a_find_in_the_report(client, ids):
    """Filters, sort and page survive opening a hit and searching inside the report."""
    state = {"q": ["应急"], "year": ["2023"], "sort": ["year_asc"], "per_page": ["1"], "page": ["2"]}
    results = soup(get(client, "/?q=应急&year=2023&sort=year_asc&per_page=1&page=2").data)
    hit = results.select_one("li.hit h2 a")["href"]
    opened = soup(get(client, hit).data)
    assert query_of(opened.select_one(".crumbs a")["href"]) == state
    form = opened.select_one("form.find")
    params = {i["name"]: i.get("value", "") for i in form.select("input")} | {"q": "行政处罚"}
    again = soup(client.get(form["action"], query_string=params).data)  # no Referer: the URL carries it
    assert query_of(again.select_one(".crumbs a")["href"]) == state
    assert query_of(again.select_one(".clear-q")["href"])["back"]
    forged = soup(get(client, f"/report/{ids[WEIBIN]}?back=//evil.example/%3Fq%3Dx").data)
    assert forged.select_one(".crumbs a")["href"].startswith("/?")  # only ever the search page


@pytest.mark.parametrize(
    "url, note",
    [
        ("/?year=abc", "年度“abc”不是有效的值"),
        ("/?year=20233", "年度“20233”不是有效的值"),
        ("/?new_received=lots", "本年新收申请“lots”不是有效的值"),
        ("/?consistent=maybe", "数据核对“maybe”不是有效的值（可选：yes（勾稽关系一致）、no（勾稽关系不一致））"),
        ("/?within.nosuch=x", "没有名为“nosuch”的筛选项"),
    ],
)
def test_invalid_values_are_ignored_with_a_note(client, url, note):
    page = soup(get(client, url).data)
    assert note in page.select_one(".read-as .notes").get_text()
    assert not page.select(".chips a.chip")  # never shown as a chip
    assert total_of(page) == 5  # and it does not empty the results
    data = get(client, url.replace("/?", "/search.json?")).get_json()
    assert data["filters"] == {} and any(note in n for n in data["notes"])
    assert note in soup(get(client, url.replace("/?", "/stats?")).data).select_one(".read-as").get_text()


def test_a_valid_value_next_to_an_invalid_one_is_kept(client):
    page = soup(get(client, "/?year=abc&year=2023").data)
    assert total_of(page) == 4
    assert [c.get_text(" ", strip=True) for c in page.select(".chips a.chip")] == ["年度 2023 ×"]


def test_landing_page_says_what_is_covered(client, app):
    page = soup(get(client, "/").data)
    cov = page.select_one("#coverage")
    text = cov.get_text(" ", strip=True)
    assert "5 份报告" in text and "5 个机关" in text
    assert "2020" in text and "2023" in text and "河南省" in text and "山东省" in text
    assert re.search(r"最近更新.*\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    examples = cov.select("a.example")
    assert len(examples) == 3
    for a in examples:  # each finds something
        assert total_of(soup(get(client, a["href"]).data)) > 0
    assert not soup(get(client, f"/?q={Q}").data).select_one("#coverage")  # only on the landing page


def test_errors_are_chinese_pages_without_tracebacks(index_dir, client):
    response = client.post("/")
    assert response.status_code == 405 and "不支持的请求方法" in response.get_data(as_text=True)
    app = create_app(index_dir, TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "服务器出错了" in html and "secret detail" not in html


def test_report_page_says_which_pdf_page_a_passage_is_on(tmp_path):
    import formats_fixtures as fx

    from index.build import build_index
    from web import create_app

    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "linzi.pdf").write_bytes(fx.pdf_file("zibo-linzi-yingji-2020"))
    build_index([folder], tmp_path / "ix")
    client = create_app(tmp_path / "ix", TESTING=True).test_client()
    hit = client.get("/search.json?q=临淄").get_json()["hits"][0]
    page = client.get(f"/report/{hit['id']}").get_data(as_text=True)
    assert 'class="page-mark"' in page and "第 1 页" in page and "第 2 页" in page


def test_a_source_whose_name_holds_a_newline_downloads(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "weibin\n2023.txt").write_bytes(WEIBIN_SAMPLE.read_bytes())
    app = create_app(build([folder], tmp_path / "ix"), TESTING=True)
    (rid,) = report_ids(app.extensions["nianbao.engine"]).values()
    response = app.test_client().get(f"/report/{rid}/source/0")
    assert response.status_code == 200 and response.data == WEIBIN_SAMPLE.read_bytes()
