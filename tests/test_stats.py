"""``/stats`` numbers, counted over the search columns, against a brute-force
count over what the corpus generator wrote into each file."""

from __future__ import annotations

from collections import defaultdict

import pytest

from benchmarks.corpus import make_corpus
from index.build import build_index
from index.sector import sector_of
from search.engine import Engine, SearchRequest
from search.agency import RATES
from web.stats_views import OUTCOMES, summarize


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stats-corpus")
    expected = make_corpus(folder, 60, seed=5)
    index_dir = tmp_path_factory.mktemp("stats-index")
    summary = build_index([folder], index_dir)
    assert summary.reports == 60 and not summary.failed
    engine = Engine(index_dir)
    yield engine, expected
    engine.close()


def brute_force(reports) -> dict:
    """The summary walked report by report: every group a dict, every number added one at a time."""

    def group() -> dict:
        return {"reports": 0, "new_received": 0, "new_received_unknown": 0, "outcomes": dict.fromkeys(OUTCOMES, 0),
                "outcomes_unknown": 0, "inconsistent": 0, "rate_sums": {rate: [0, 0, 0] for rate in RATES}}  # fmt: skip

    years, provinces, sectors = defaultdict(group), defaultdict(group), defaultdict(group)
    agencies: dict = defaultdict(lambda: {"new_received": 0, "reports": 0, "years": []})
    for e in reports:
        f = e.figures
        for g in (years[e.year], provinces[e.region[0] or None], sectors[sector_of(e.agency) or None]):
            g["reports"] += 1
            g["inconsistent"] += not e.consistent
            if f["new_received"] is None:
                g["new_received_unknown"] += 1
            else:
                g["new_received"] += f["new_received"]
            g["outcomes_unknown"] += any(f[k] is None for k in OUTCOMES)
            for k in OUTCOMES:
                g["outcomes"][k] += f[k] or 0
            for name, rate in RATES.items():
                parts = [f[k] for k in (*rate.numerator, *rate.denominator)]
                if None not in parts:
                    num, den = sum(parts[: len(rate.numerator)]), sum(parts[len(rate.numerator) :])
                    g["rate_sums"][name] = [a + b for a, b in zip(g["rate_sums"][name], (num, den, 1))]
        if f["new_received"] is not None:
            a = agencies[e.agency]
            a["new_received"] += f["new_received"]
            a["reports"] += 1
            a["years"].append(e.year)
    return {
        "reports": len(reports),
        "years": dict(years),
        "provinces": dict(provinces),
        "sectors": dict(sectors),
        "agencies": {name: {**a, "years": sorted(a["years"])} for name, a in agencies.items()},
    }


def groups_of(rows: list[dict], key: str) -> dict:
    return {r[key]: {k: r[k] for k in ("reports", "new_received", "new_received_unknown", "outcomes", "outcomes_unknown",
                                       "inconsistent", "rate_sums")} for r in rows if r["reports"]}  # fmt: skip


@pytest.mark.parametrize("filters", [{}, {"year": ["2023"]}, {"province": ["山东省", "河南省"]}, {"consistent": ["no"]}])
def test_stats_equal_a_count_over_every_report(collection, filters):
    engine, expected = collection
    chosen = [
        e for e in expected
        if all(str({"year": e.year, "province": e.region[0], "consistent": "yes" if e.consistent else "no"}[k]) in v
               for k, v in filters.items())
    ]  # fmt: skip
    assert chosen and (filters or len(chosen) == 60)
    got = summarize(engine.selection(SearchRequest(filters=filters)))
    want = brute_force(chosen)
    assert got["reports"] == want["reports"]
    assert groups_of(got["by_year"], "year") == want["years"]
    assert groups_of(got["by_province"], "province") == want["provinces"]
    assert groups_of(got["by_sector"], "sector") == want["sectors"]
    top = sorted(want["agencies"].items(), key=lambda kv: (-kv[1]["new_received"], kv[0]))[:15]
    assert got["top_agencies"] == [{"agency": name, **a} for name, a in top]
    # every year between the first and the last is drawn, those without a report empty
    years = [y["year"] for y in got["by_year"]]
    assert years == list(range(min(e.year for e in chosen), max(e.year for e in chosen) + 1))


def test_stats_of_a_query_count_the_reports_it_finds(collection):
    engine, expected = collection
    request = SearchRequest(q="应急管理")
    found = {h.id for h in engine.search(SearchRequest(q="应急管理", per_page=100)).hits}
    got = summarize(engine.selection(request))
    assert 0 < got["reports"] == len(found) < 60
    assert sum(y["reports"] for y in got["by_year"]) == len(found)
    assert sum(p["reports"] for p in got["by_province"]) == len(found)
