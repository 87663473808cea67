"""The site in a real browser: headless Chromium (Debian's ``chromium`` package)
driven by Playwright, against the app served by waitress on a free localhost port.

Never downloads a browser: it uses /usr/bin/chromium, and fails (does not skip)
with a clear message when that is missing.  Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from web_fixtures import ROOT, SAMPLES_DIR, WEIBIN, LiveServer, build

from search.engine import SearchRequest
from web import create_app

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture fails with the install hint
    expect = None

pytestmark = pytest.mark.e2e  # the lead registers the marker in pyproject.toml

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts"
Q = "行政处罚"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(build([SAMPLES_DIR], tmp_path_factory.mktemp("e2e-index")), TESTING=True)


@pytest.fixture(scope="module")
def server(app):
    with LiveServer(app) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"end-to-end tests need Chromium at {CHROMIUM}: install Debian's package with "
            "`apt-get install -y chromium` (never `playwright install`)",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("end-to-end tests need the playwright package: pip install -e '.[test]'", pytrace=False)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # CSP violations land here
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, errors


def total(page) -> int:
    return int(page.locator("#total strong").inner_text())


def test_search_filter_read_and_export(page, server, app, tmp_path):
    engine = app.extensions["nianbao.engine"]
    page.goto(server.url + "/")
    assert total(page) == 5
    expect(page.locator("#coverage")).to_contain_text("5 份报告")
    page.screenshot(path=ARTIFACTS / "e2e-landing.png")

    # the skip link is the first stop for a keyboard user
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    # search
    page.get_by_label("检索政府信息公开工作年度报告").fill(Q)
    page.get_by_role("button", name="检索").click()
    page.wait_for_url(re.compile(r"\?q="))
    expected = engine.search(SearchRequest(q=Q)).total
    assert total(page) == expected == 4
    expect(page.locator(".read-as")).to_contain_text("检索式：全文包含“行政处罚”")
    page.screenshot(path=ARTIFACTS / "e2e-search.png", full_page=True)

    # a facet value: counts, chip, then remove it through the chip
    year = page.locator('a.fv[data-facet="year"][data-value="2023"]')
    count = int(year.locator(".count").inner_text())
    year.click()
    page.wait_for_url(re.compile(r"year=2023"))
    assert total(page) == count == 3
    chip = page.locator(".chips a.chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("2023")
    expect(page.locator('a.fv[data-facet="year"][data-value="2023"]')).to_have_class(re.compile(r"\bon\b"))
    chip.click()
    page.wait_for_url(lambda url: "year=" not in url)
    assert total(page) == 4
    expect(page.locator(".chips a.chip")).to_have_count(0)

    # into the 卫滨区 report, at the passage that matched
    hit = page.locator("li.hit", has=page.get_by_role("link", name=WEIBIN, exact=True))
    first = hit.locator('.passages a[href*="#p"]').first  # a text passage: its matches start the stepper
    passage_id = first.get_attribute("href").rsplit("#", 1)[1]
    first.click()
    page.wait_for_url(re.compile(rf"/report/\w+\?q=.+#{passage_id}$"))
    target = page.locator(f"#{passage_id}")
    expect(target).to_have_class(re.compile(r"\bis-target\b"))
    assert page.evaluate("document.querySelector(':target').id") == passage_id
    assert page.evaluate("getComputedStyle(document.querySelector(':target')).backgroundColor") != "rgba(0, 0, 0, 0)"
    expect(target).to_be_in_viewport()
    bar = page.locator("#matchbar").bounding_box()
    assert target.bounding_box()["y"] >= bar["y"] + bar["height"] - 1  # not hidden under the sticky bar
    n = int(page.locator("#matchbar").get_attribute("data-total"))
    counter = page.locator("#match-counter")
    expect(counter).to_have_text(f"第 1 / {n} 处匹配")
    page.screenshot(path=ARTIFACTS / "e2e-report.png")

    # step to the next match with the button, back with the p key, on with n
    page.get_by_role("button", name=re.compile("下一处")).click()
    expect(counter).to_have_text(f"第 2 / {n} 处匹配")
    expect(page.locator('mark.match[data-m="2"]').first).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator('mark.match[data-m="2"]').first).to_be_in_viewport()
    page.keyboard.press("p")
    expect(counter).to_have_text(f"第 1 / {n} 处匹配")
    page.keyboard.press("n")
    expect(counter).to_have_text(f"第 2 / {n} 处匹配")

    # a table cell leads to where its number was printed
    cell = page.locator("#s2 table.data tr", has=page.locator("th", has_text=re.compile("^行政处罚$"))).locator("td a")
    expect(cell).to_have_text("11")
    cell.click()
    printed = page.locator(cell.get_attribute("href"))
    expect(printed).to_have_class(re.compile(r"\bis-target\b"))
    expect(printed).to_be_in_viewport()

    # export what was found
    page.go_back()
    page.goto(server.url + f"/?q={Q}")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 CSV").click()
    download = info.value
    assert re.fullmatch(r"nianbao-[\w-]+\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 4 and lines[0].startswith("编号,机关,机关标识（跨年度）,年度")  # Chinese headers for Excel
    assert any(WEIBIN in line for line in lines)


def test_stats_page(page, server):
    page.goto(server.url + "/stats")
    assert page.locator("figure.chart svg.chart-svg.wide").count() == 6
    page.locator("#chart-received summary").click()
    assert page.locator("#chart-received details table").is_visible()
    page.screenshot(path=ARTIFACTS / "e2e-stats.png", full_page=True)
    # a bar opens its reports as a search
    page.locator("#chart-received svg.wide a.bar", has=page.locator("text.name", has_text="2023")).click()
    page.wait_for_url(re.compile(r"/\?year=2023$"))
    assert total(page) == 4


def phone(browser):
    return browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, locale="zh-CN")


def smallest_chart_text(page) -> float:
    """The smallest on-screen font size (px) of any visible chart text."""
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('svg.chart-svg text')]
            .filter(t => t.getClientRects().length)
            .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_stats_chart_text_stays_legible(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(server.url + "/stats")
        visible = page.locator("svg.chart-svg:visible")
        assert visible.count() == 6
        assert all("narrow" in c or width > 700 for c in visible.evaluate_all("els => els.map(e => e.className.baseVal)"))
        assert smallest_chart_text(page) >= 11
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=ARTIFACTS / f"e2e-stats-{width}.png", full_page=True)
    finally:
        context.close()


def test_phone_reaches_a_filter_from_the_top(browser, server):
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(server.url + f"/?q={Q}")
        button = page.locator(".filters-toggle")
        expect(button).to_be_visible()
        assert button.bounding_box()["y"] + button.bounding_box()["height"] < 844  # on the first screen
        expect(page.locator("aside.facets")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=ARTIFACTS / "e2e-search-phone.png")
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        year = page.locator('a.fv[data-facet="year"][data-value="2023"]')
        expect(year).to_be_in_viewport()
        page.screenshot(path=ARTIFACTS / "e2e-search-phone-filters.png")
        year.click()
        page.wait_for_url(re.compile(r"year=2023"))
        expect(page.locator(".filters-toggle")).to_have_text("筛选（1）")
        # the filter just used keeps the focus, its panel stays open
        assert page.evaluate("document.activeElement.dataset.value") == "2023"
        expect(page.locator('a.fv[data-facet="year"][data-value="2023"]')).to_be_in_viewport()
        page.locator("li.hit .passages a").first.click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables scroll inside their box
        scroller = page.locator("#s3 .table-scroll")
        assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
        page.screenshot(path=ARTIFACTS / "e2e-report-phone.png")
    finally:
        context.close()


def test_table_headers_stay_in_view_while_scrolling(browser, server, app):
    context = phone(browser)
    page = context.new_page()
    try:
        rid = next(h.id for h in app.extensions["nianbao.engine"].search(SearchRequest(q=WEIBIN)).hits)
        page.goto(server.url + f"/report/{rid}#s3")
        scroller = page.locator("#s3 .table-scroll")
        scroller.scroll_into_view_if_needed()
        assert scroller.evaluate("el => el.scrollHeight > el.clientHeight && el.scrollWidth > el.clientWidth")
        scroller.evaluate("el => { el.scrollTop = 400; el.scrollLeft = 300; }")
        box = scroller.bounding_box()
        head = page.locator("#s3 table.data thead th").nth(1).bounding_box()
        label = page.locator("#s3 table.data tbody tr:not(.group) th").nth(12)
        label.scroll_into_view_if_needed()  # a row that has scrolled up into the middle
        scroller.evaluate("el => { el.scrollLeft = 300; }")
        assert abs(head["y"] - box["y"]) <= 2  # header row pinned to the top of the box
        label_box = label.bounding_box()
        assert abs(label_box["x"] - box["x"]) <= 2  # label column pinned to its left
        page.screenshot(path=ARTIFACTS / "e2e-report-phone-table.png")
    finally:
        context.close()


def test_keyboard_path_from_search_box_to_filter_to_result_to_passage(page, server):
    page.goto(server.url + "/")
    page.get_by_label("检索政府信息公开工作年度报告").fill(Q)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    # the skip link to the filters is the second stop; the first filter one Enter away
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到筛选"
    page.keyboard.press("Enter")
    focused = lambda: page.evaluate("[document.activeElement.dataset.facet, document.activeElement.dataset.value]")  # noqa: E731
    assert focused() == ["year", "2023"]
    page.keyboard.press("ArrowDown")  # arrow keys move within a facet
    assert focused() == ["year", "2020"]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"year=2020"))
    assert focused() == ["year", "2020"]  # focus stays on the filter used
    # each facet is one tab stop: the results are a few presses away
    for presses in range(1, 40):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('li.hit .passages')"):
            break
    # One stop per facet, then the chips, the toolbar and the hit's title: were a
    # facet's values each a stop, it would take several times as many.
    facets = page.locator("aside.facets section.facet").count()
    assert presses <= facets + 12, (presses, facets)
    href = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    passage = href.rsplit("#", 1)[1]
    page.wait_for_url(re.compile(rf"#{passage}$"))
    assert page.evaluate("document.activeElement.id") == passage


def test_sort_menu_applies_on_enter_not_on_arrows(page, server):
    page.goto(server.url + f"/?q={Q}")
    # record submits instead of leaving the page, so "not submitted" needs no waiting
    page.evaluate("() => { HTMLFormElement.prototype.submit = function () { window.submitted = this.querySelector('select').value; }; }")
    page.locator("#sort").focus()
    page.keyboard.press("ArrowDown")
    assert page.locator("#sort").input_value() == "year_desc"  # the arrow moved the choice …
    assert page.evaluate("window.submitted === undefined")  # … and did not apply it
    page.keyboard.press("Enter")
    assert page.evaluate("window.submitted") == "year_desc"
    page.reload()
    page.locator("#sort").select_option("year_asc")  # a pick with the mouse applies at once
    page.wait_for_url(re.compile(r"sort=year_asc"))
    assert page.evaluate("document.activeElement.id") == "sort"  # focus back on the menu


def test_number_tables_are_one_tab_stop_with_arrow_keys(page, server, app):
    rid = next(h.id for h in app.extensions["nianbao.engine"].search(SearchRequest(q=WEIBIN)).hits)
    page.goto(server.url + f"/report/{rid}")
    links = page.locator("#s3 table.data td a")
    assert links.count() > 100
    assert page.locator("#s3 table.data td a[tabindex='0']").count() == 1
    links.first.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.closest('td').cellIndex") == 2
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('tr').rowIndex") > 2
    page.keyboard.press("Tab")  # leaves the table
    assert not page.evaluate("!!document.activeElement.closest('#s3 table')")


def test_failed_check_link_highlights_its_cells(page, server, app):
    from web_fixtures import LINZI

    rid = next(h.id for h in app.extensions["nianbao.engine"].search(SearchRequest(q=LINZI)).hits if h.agency == LINZI)
    page.goto(server.url + f"/report/{rid}")
    badge = page.locator(".report-head a.badge.bad")
    expect(badge).to_have_text("✗ 4 项核对未通过")
    badge.click()
    link = page.locator("#checks a.to-cells").first
    link.click()
    page.wait_for_url(re.compile(r"#check-1$"))
    cells = page.locator('td[data-checks~="1"]')
    assert cells.count() == 4
    for i in range(cells.count()):
        expect(cells.nth(i)).to_have_class(re.compile(r"\bcheck-on\b"))
    assert page.locator("td.check-on").count() == 4  # only this check's cells
    expect(cells.first).to_be_in_viewport()
    bg = cells.first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    page.screenshot(path=ARTIFACTS / "e2e-report-check.png")


def test_back_link_restores_filters_and_page(page, server):
    start = server.url + f"/?q=应急&year=2023&sort=year_asc&per_page=1&page=2"
    page.goto(start)
    state = parse_qs(urlsplit(page.url).query)
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/report/"))
    page.get_by_label("在本报告中查找").fill("行政处罚")
    page.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile(r"q=%E8%A1%8C"))
    page.get_by_role("link", name="← 返回检索结果").click()
    page.wait_for_url(re.compile(r"/\?"))
    assert parse_qs(urlsplit(page.url).query) == state
    expect(page.locator(".pager .current")).to_have_text("2")
    expect(page.locator(".chips a.chip")).to_have_count(1)


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_serious_violations(browser, server, app, width):
    from axe_playwright_python.sync_playwright import Axe

    rid = next(h.id for h in app.extensions["nianbao.engine"].search(SearchRequest(q=WEIBIN)).hits)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    axe = Axe()
    try:
        for url in (f"/?q={Q}", "/", f"/report/{rid}?q={Q}", "/stats", "/stats?year=2023"):
            page.goto(server.url + url)
            found = axe.run(page).response["violations"]
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found if v["impact"] in ("serious", "critical")]
            assert not bad, (url, bad)
    finally:
        context.close()
