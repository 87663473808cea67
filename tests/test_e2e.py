"""The site in a real browser: headless Chromium (Debian's ``chromium`` package)
driven by Playwright, against the app served by waitress on a free localhost port.

Never downloads a browser: it uses /usr/bin/chromium, and fails (does not skip)
with a clear message when that is missing.  Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web_fixtures import ROOT, SAMPLES_DIR, WEIBIN, LiveServer, build

from search.engine import SearchRequest
from web import create_app

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
    from playwright.sync_api import expect

    engine = app.extensions["nianbao.engine"]
    page.goto(server.url + "/")
    assert total(page) == 5

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
    first = hit.locator(".passages a").first
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
    assert len(lines) == 1 + 4 and lines[0].startswith("id,agency,year")
    assert any(WEIBIN in line for line in lines)


def test_stats_page(page, server):
    page.goto(server.url + "/stats")
    assert page.locator("figure.chart svg.chart-svg").count() == 3
    page.locator("#chart-received summary").click()
    assert page.locator("#chart-received details table").is_visible()
    page.screenshot(path=ARTIFACTS / "e2e-stats.png", full_page=True)


def test_phone_width(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(server.url + f"/?q={Q}")
        # one column: the facets come after the results, nothing runs off the side
        results, facets = page.locator(".results").bounding_box(), page.locator("aside.facets").bounding_box()
        assert facets["y"] > results["y"] + results["height"] - 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=ARTIFACTS / "e2e-search-phone.png")
        page.locator("li.hit .passages a").first.click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables scroll inside their box
        scroller = page.locator("#s3 .table-scroll")
        assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
        page.screenshot(path=ARTIFACTS / "e2e-report-phone.png")
    finally:
        context.close()
