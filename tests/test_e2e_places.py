"""In a real browser: a search word that names two same-named counties offers
each with its city, and clicking one narrows the results to it (headless
Chromium, set up as in ``test_e2e.py``)."""

from __future__ import annotations

import re

import pytest
from test_e2e import ARTIFACTS, browser, page, total  # noqa: F401  (fixtures)
from web_fixtures import LiveServer, build

from benchmarks.corpus import make_corpus
from search.engine import SearchRequest
from web import create_app

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture fails with the install hint
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e-places")
    make_corpus(folder / "reports", 60, seed=7)  # 市中区 in 内江市 and in 乐山市
    return create_app(build([folder / "reports"], folder / "index"), TESTING=True)


@pytest.fixture(scope="module")
def server(app):
    with LiveServer(app) as live:
        yield live


def test_clicking_a_same_named_place_narrows_to_it(page, server, app):  # noqa: F811
    engine = app.extensions["nianbao.engine"]
    page.goto(server.url + "/")
    page.get_by_label("检索政府信息公开工作年度报告").fill("市中区")
    page.get_by_role("button", name="检索").click()
    page.wait_for_url(re.compile(r"\?q="))
    expect(page.locator(".read-as")).to_contain_text("“市中区” → 地区：市中区（")
    both = total(page)
    choice = page.locator('.choices a.choice[data-value="四川省/内江市/市中区"]')
    expect(choice).to_contain_text("市中区（内江市）")
    page.screenshot(path=ARTIFACTS / "e2e-place-choices.png", full_page=True)
    choice.click()
    page.wait_for_url(re.compile(r"county="))
    want = engine.search(SearchRequest(q="市中区", filters={"county": ["四川省/内江市/市中区"]})).total
    assert 0 < total(page) == want < both
    expect(page.locator(".chips a.chip")).to_contain_text("市中区 · 内江市")
    expect(page.locator('a.fv[data-facet="county"][data-value="四川省/内江市/市中区"]')).to_have_class(re.compile(r"\bon\b"))
    expect(page.locator(".choices")).to_have_count(1)  # still offered: the word names both
