"""In Chromium: a hit's table-row passage and number-condition passage land on
the report page's parsed table, the row lit and the cell framed."""

from __future__ import annotations

import re

import pytest
from test_e2e import ARTIFACTS, app, browser, page, server  # noqa: F401 (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture fails with the install hint
    expect = None

pytestmark = pytest.mark.e2e

NO_BACKGROUND = "rgba(0, 0, 0, 0)"


def follow(page, server, q: str, anchor_prefix: str):
    page.goto(server.url + "/?q=" + q)
    link = page.locator(f'ul.passages a[href*="#{anchor_prefix}"]').first
    href = link.get_attribute("href")
    anchor = href.rsplit("#", 1)[1]
    link.click()
    page.wait_for_url(re.compile(rf"/report/\w+\?q=.+#{anchor}$"))
    return anchor


def test_a_table_row_passage_lights_its_row(page, server):
    anchor = follow(page, server, "不予公开", "row-applications-withheld_")
    row = page.locator(f"#{anchor}")
    expect(row).to_have_class(re.compile(r"\bis-target\b"))
    assert page.evaluate("document.querySelector(':target').tagName") == "TR"
    expect(row).to_be_in_viewport()
    assert row.evaluate("el => getComputedStyle(el.querySelector('td')).backgroundColor") != NO_BACKGROUND
    other = page.locator("#row-applications-new_received")
    assert other.evaluate("el => getComputedStyle(el.querySelector('td')).backgroundColor") != row.evaluate(
        "el => getComputedStyle(el.querySelector('td')).backgroundColor")  # only the target row is lit
    page.screenshot(path=ARTIFACTS / "e2e-passage-row.png")


def test_a_number_condition_passage_frames_its_cell(page, server):
    anchor = follow(page, server, "本年新收申请:>0", "cell-")
    assert anchor == "cell-applications-new_received-total"
    cell = page.locator(f"#{anchor}")
    expect(cell).to_be_in_viewport()
    expect(cell.locator("a")).to_have_text("2")
    assert cell.evaluate("el => getComputedStyle(el).boxShadow") != "none"  # the cell framed
    row_bg = cell.evaluate("el => getComputedStyle(el.parentElement.querySelector('th')).backgroundColor")
    assert row_bg != NO_BACKGROUND and row_bg != page.locator("#row-applications-carried_over th").evaluate(
        "el => getComputedStyle(el).backgroundColor")  # its row lit, the next one not
    page.screenshot(path=ARTIFACTS / "e2e-passage-cell.png")


@pytest.fixture(scope="module")
def versioned_server(tmp_path_factory):
    from test_versions import ONLY_IN_V2, write_corpus
    from web_fixtures import LiveServer, build

    from web import create_app

    root = tmp_path_factory.mktemp("e2e-versions")
    write_corpus(root / "reports")
    with LiveServer(create_app(build([root / "reports"], root / "ix"), TESTING=True)) as live:
        yield live, ONLY_IN_V2


def test_a_version_passage_opens_that_version_and_the_page_passes_axe(page, versioned_server):
    from axe_playwright_python.sync_playwright import Axe

    server, word = versioned_server
    page.goto(server.url + "/?q=" + word)
    expect(page.locator("li.hit .meta")).to_contain_text("多个版本不一致（2 个版本）")
    page.locator("ul.passages a", has_text=word).click()
    page.wait_for_url(re.compile(r"version=1.*#p\d+$"))
    target = page.locator(":target")
    expect(target).to_contain_text(word)
    expect(target).to_be_in_viewport()
    box = page.locator("#versions")
    expect(box.locator("li strong")).to_have_text("版本 2（正在查看）")
    expect(box.locator("table.version-diffs tbody tr")).to_have_count(2)
    page.screenshot(path=ARTIFACTS / "e2e-versions.png", full_page=False)
    box.get_by_role("link", name="版本 1").click()
    expect(page.locator("#versions li strong")).to_have_text("版本 1（正在查看）")
    found = Axe().run(page).response["violations"]
    assert not [(v["id"], v["impact"]) for v in found if v["impact"] in ("serious", "critical")]
    box.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "e2e-versions-box.png")
