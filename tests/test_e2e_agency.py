"""In a real browser: from a hit to its agency page, to compare with the previous
year, to a changed cell in the report (headless Chromium, as in test_e2e.py)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from agency_corpus import write
from test_e2e import ARTIFACTS, browser, page  # noqa: F401  (fixtures)
from web_fixtures import LiveServer, build

from web import create_app

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture fails with the install hint
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e-agency")
    write(folder / "reports")
    app = create_app(build([folder / "reports"], folder / "index"), TESTING=True)
    with LiveServer(app) as live:
        yield live


def test_hit_to_agency_to_compare_to_changed_cell(page, server):  # noqa: F811
    page.goto(server.url + "/?q=机关事务&year=2023")
    hit = page.locator("li.hit", has=page.get_by_role("link", name="淄博市机关事务管理局", exact=True))
    expect(hit).to_have_count(1)
    hit.get_by_role("link", name="本机关历年报告").click()
    page.wait_for_url(re.compile(r"/agency/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("淄博市机关事务管理局")
    expect(page.locator('#years th[data-year="2021"]')).to_contain_text("无报告")
    page.screenshot(path=ARTIFACTS / "e2e-agency.png", full_page=True)

    page.get_by_role("link", name="与 2022 比较").click()
    page.wait_for_url(re.compile(r"/compare\?a="))
    expect(page.locator("#summary")).to_contain_text("的段落与上年相同")
    changed = page.locator('tr.changed[data-path="proactive.licensing.decisions"]')
    expect(changed.locator("td.a")).to_have_text("7")
    page.screenshot(path=ARTIFACTS / "e2e-compare.png", full_page=True)

    changed.locator("td.b a").click()
    page.wait_for_url(re.compile(r"/report/[0-9a-f]{12}#p\d+"))
    passage = page.url.rsplit("#", 1)[1]
    target = page.locator(f"#{passage}")
    expect(target).to_be_visible()
    expect(target).to_contain_text("行政许可")  # the row of the cell that changed, as printed in 2023
    expect(page.locator(".kicker")).to_contain_text("2023")
    assert page.evaluate("document.activeElement.id || location.hash") in (passage, f"#{passage}")
    page.screenshot(path=ARTIFACTS / "e2e-changed-cell.png")


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_serious_violations(browser, server, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    axe = Axe()
    try:
        page.goto(server.url + "/?q=机关事务&year=2023")
        page.get_by_role("link", name="本机关历年报告").first.click()
        page.wait_for_url(re.compile(r"/agency/"))
        agency = page.url
        compare = server.url + page.locator("a.compare-link").last.get_attribute("href")
        for url in (agency, compare, server.url + "/rank?min_n=0", server.url + "/rank?by=penalty&year=2023"):
            page.goto(url)
            found = axe.run(page).response["violations"]
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found if v["impact"] in ("serious", "critical")]
            assert not bad, (url, bad)
            if width == 390:
                page.screenshot(path=ARTIFACTS / f"e2e-narrow-{urlsplit(url).path.strip('/').split('/')[0]}.png", full_page=True)
    finally:
        context.close()
