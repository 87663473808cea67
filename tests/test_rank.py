"""Rankings against a brute-force computation over the parsed reports, ties and min-n included."""

from __future__ import annotations

import pytest
from agency_corpus import RANK_PLAN, indexed, write_rank_corpus

from index.agency import agency_key
from index.parse import parse_file
from search.agency import RATES
from search.engine import SearchRequest
from search.rank import METRICS, rank


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    engine, files = indexed(tmp_path_factory.mktemp("rank"), write_rank_corpus)
    yield engine, [parse_file(p) for p in files]
    engine.close()


def brute_force(reports, by: str, min_n: float, ascending: bool, years=None) -> list[tuple[str, float, float]]:
    """(key, value, n) per agency, computed report by report in plain Python."""
    metric = METRICS[by]
    groups: dict[str, list] = {}
    for r in reports:
        if years is None or r.year in years:
            groups.setdefault(agency_key(r.agency, r.region), []).append(r)
    rows = []
    for key, rs in groups.items():
        figs = [r.key_figures() for r in sorted(rs, key=lambda r: r.year)]
        if metric.kind == "rate":
            parts = [p for p in (RATES[by].parts(f) for f in figs) if p]
            num, den = sum(p[0] for p in parts), sum(p[1] for p in parts)
            value, n = (num / den if den else None), den
        elif metric.kind == "change":
            known = [f["new_received"] for f in figs if f["new_received"] is not None]
            value, n = (known[-1] - known[-2], known[-1] + known[-2]) if len(known) >= 2 else (None, 0)
        else:
            name = "new_received" if metric.kind == "mean" else by
            known = [f[name] for f in figs if f[name] is not None]
            value = (sum(known) / len(known) if metric.kind == "mean" else sum(known)) if known else None
            n = len(known)
        if value is not None and n >= min_n:
            rows.append((key, value, n))
    return sorted(rows, key=lambda r: (r[1] if ascending else -r[1], -r[2], r[0]))


CASES = [(by, min_n, asc) for by in METRICS for min_n in (None, 0, 2, 20) for asc in (False, True)]


@pytest.mark.parametrize("by, min_n, ascending", CASES)
def test_rankings_equal_brute_force(corpus, by, min_n, ascending):
    engine, reports = corpus
    ranking = rank(engine, SearchRequest(), by, min_n=min_n, ascending=ascending)
    want = brute_force(reports, by, METRICS[by].min_n if min_n is None else min_n, ascending)
    assert [(r.agency_key, r.value, r.n) for r in ranking.rows] == want
    assert [r.rank for r in ranking.rows] == list(range(1, len(want) + 1))
    assert ranking.total == len(want)


def test_filters_are_the_search_filters(corpus):
    engine, reports = corpus
    ranking = rank(engine, SearchRequest(filters={"year": ["2022", "2023"]}), "withheld_share", min_n=0)
    assert [(r.agency_key, r.value, r.n) for r in ranking.rows] == brute_force(reports, "withheld_share", 0, False, {2022, 2023})
    # a query narrows too: only 财政局 says 财政局
    assert {r.agency for r in rank(engine, SearchRequest(q="财政局"), "requests_per_year").rows} == {"淄博市财政局"}


def test_ties_min_n_and_unranked(corpus):
    engine, _ = corpus
    ranking = rank(engine, SearchRequest(), "withheld_share")  # default min_n: 10
    names = [r.agency for r in ranking.rows]
    # 0.5 three times: n 20 (统计局, 审计局: the key decides), then n 16 (民政局)
    assert names[:3] == sorted(["淄博市统计局", "淄博市审计局"], key=lambda a: agency_key(a, ranking_region(ranking))) + ["淄博市民政局"]
    assert "淄博市商务局" not in names  # 1 of 1
    assert ranking.below_min_n == 1 and ranking.unranked == 1  # 商务局; 林业局 had no requests
    assert rank(engine, SearchRequest(), "withheld_share", min_n=0).rows[0].agency == "淄博市商务局"
    assert rank(engine, SearchRequest(), "withheld_share", limit=2).rows == ranking.rows[:2]


def ranking_region(ranking):
    r = ranking.rows[0]
    return {"province": r.province, "city": r.city, "county": r.county}


def test_plan_is_what_was_indexed(corpus):
    _, reports = corpus
    assert sorted((r.agency, r.year) for r in reports) == sorted((f"淄博市{d}", y) for d, ys in RANK_PLAN.items() for y in ys)
