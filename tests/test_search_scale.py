"""Search over a varied corpus (more agencies than a facet shows), under
concurrency and while the indexer commits: facet counts against brute force,
32 threads with no errors and consistent answers, exports that a commit cannot
cut, and an index with no reports yet."""

from __future__ import annotations

import itertools
import random
import threading
import time
from pathlib import Path

import pytest
from agency_corpus import brute_agency_values
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from places import path, picked

from index.build import build_index, open_index
from index.parse import parse_file
from index.sector import sector_of
from search import facets as F
from search.engine import Engine, SearchRequest

COPIES = 6  # of each sample: 30 reports, 30 agencies (the agency facet shows 10)


def write_corpus(folder: Path, copies: int = COPIES, start: int = 0) -> list[Path]:
    """Variants of the samples: each its own agency, years and a varied number."""
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(start)
    paths = []
    for sample, i in itertools.product(SAMPLES, range(start, start + copies)):
        text = sample.read_text(encoding="utf-8")
        agency = parse_file(sample).agency
        text = text.replace(agency, agency.replace("局", f"第{i}局", 1) if "局" in agency else f"{agency}第{i}所")
        if "2023" in text and i % 3:
            text = text.replace("2023", str(2023 - i % 3))
        text = text.replace("行政处罚\t11", f"行政处罚\t{rnd.choice([0, 3, 40, 250])}")
        path = folder / f"{sample.stem}-{i}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("varied") / "reports"
    paths = write_corpus(folder)
    index_dir = folder.parent / "index"
    summary = build_index([folder], index_dir)
    assert not summary.failed and summary.reports == len(paths) == len({parse_file(p).agency for p in paths})
    return index_dir, {p: parse_file(p) for p in paths}


@pytest.fixture(scope="module")
def engine(corpus):
    e = Engine(corpus[0])
    yield e
    e.close()


# ---------------------------------------------------------------- facets against brute force


def brute_values(report, facet: str) -> set[str]:
    """A report's values of one facet, from the parsed model (not from the engine)."""
    k = report.key_figures()
    r = report.region
    simple = {"year": report.year, "province": r.province, "city": r.city and path(r.province, r.city),
              "county": r.county and path(r.province, r.city, r.county), "agency": report.agency,
              "template": report.template, "sector": sector_of(report.agency) or None}  # fmt: skip
    if facet in simple:
        return {str(simple[facet])} if simple[facet] is not None else set()
    if facet == "consistent":
        return {"yes" if report.consistent else "no"}
    if facet == "versions":  # one file per report here: never 多个版本不一致
        return {"differ"} if len(report.versions) > 1 else set()
    if facet in ("agency_key", "flag"):
        return brute_agency_values(report, facet)
    if facet == "outcome":
        corrected = (k["review_corrected"] or 0) + (k["litigation_corrected"] or 0)
        return {name for name, n in (("review", k["review"] or 0), ("litigation", k["litigation"] or 0), ("corrected", corrected)) if n > 0}
    v = k[facet]
    return {"unknown" if v is None else "0" if v == 0 else "1-9" if v < 10 else "10-99" if v < 100 else "100+"}


def expected_facet(spec, reports, filters, within) -> tuple[list[tuple[str, int]], int]:
    """(value, count) as a facet should show them, and how many it leaves out."""

    def passes(report, skip):
        return all(picked(brute_values(report, f), vals) for f, vals in filters.items() if f != skip and vals)

    counts: dict[str, int] = {}
    for r in reports:
        if passes(r, spec.name):
            for v in brute_values(r, spec.name):
                counts[v] = counts.get(v, 0) + 1
    selected = filters.get(spec.name, [])
    if spec.fixed:
        order = [v for v, _ in spec.fixed if counts.get(v) or v in selected]
    elif spec.name == "year":
        order = sorted(counts, reverse=True)
    else:
        order = sorted(counts, key=lambda v: (-counts[v], v))
    order += [v for v in selected if v not in order]
    order = [v for v in order if within in v]
    shown = order
    if spec.top and len(order) > spec.top:
        shown = order[: spec.top] + [v for v in order[spec.top :] if v in selected]
    # left out: what a search within the facet could still reveal
    return [(v, counts.get(v, 0)) for v in shown], len(set(order) - set(shown))


def check_against_brute_force(engine, reports, q, filters, within=None):
    within = within or {}
    result = engine.search(SearchRequest(q=q, filters={k: list(v) for k, v in filters.items()}, within=dict(within), per_page=100))
    matched = {h.agency for h in engine.search(SearchRequest(q=q, per_page=100)).hits}
    base = [r for r in reports if r.agency in matched]
    assert result.total == sum(all(picked(brute_values(r, f), v) for f, v in filters.items() if v) for r in base)
    for facet in result.facets:
        want, more = expected_facet(F.BY_NAME[facet.name], base, filters, within.get(facet.name, ""))
        assert [(v.value, v.count) for v in facet.values] == want, facet.name
        assert facet.more == more, facet.name
        assert [v.value for v in facet.values if v.selected] == [v for v, _ in want if v in filters.get(facet.name, [])]


FILTER_VALUES = {
    "year": ["2023", "2022", "2021", "2020"],
    "province": ["山东省", "河南省"],
    "agency": [],  # filled from the corpus
    "sector": ["应急管理", "发展改革"],
    "new_received": ["0", "1-9", "unknown"],
    "penalty": ["0", "1-9", "10-99", "100+", "unknown"],
    "licensing": ["0", "unknown"],
    "outcome": ["review", "litigation", "corrected"],
    "consistent": ["yes", "no"],
    "template": ["2021", "2019"],
}


def test_facets_show_the_top_values_and_count_the_rest(engine, corpus):
    result = engine.search(SearchRequest(per_page=100))
    agencies = next(f for f in result.facets if f.name == "agency")
    assert len(agencies.values) == F.BY_NAME["agency"].top and agencies.more == len(corpus[1]) - F.BY_NAME["agency"].top
    check_against_brute_force(engine, list(corpus[1].values()), "", {})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    q=st.sampled_from(["", "应急", "行政处罚", '"政府信息公开"', "公开 -复议", "year:2021..2022", "penalty:>5", "发改局 OR 临淄"]),
    chosen=st.dictionaries(st.sampled_from(sorted(FILTER_VALUES)), st.integers(0, 2**8), max_size=3),
    within=st.sampled_from([{}, {"agency": "应急"}, {"agency": "第3"}, {"year": "202"}, {"penalty": "1"}]),
)
def test_facet_counts_equal_a_brute_force_count(engine, corpus, q, chosen, within):
    reports = list(corpus[1].values())
    options = {**FILTER_VALUES, "agency": sorted(r.agency for r in reports)[::4]}
    filters = {}
    for name, bits in chosen.items():  # a subset of the facet's values, picked by the bits
        filters[name] = [v for i, v in enumerate(options[name]) if bits >> i & 1]
    check_against_brute_force(engine, reports, q, filters, within)


def test_a_selected_value_beyond_the_top_is_still_shown(engine, corpus):
    last = sorted(r.agency for r in corpus[1].values())[-1]
    result = engine.search(SearchRequest(filters={"agency": [last]}))
    agencies = next(f for f in result.facets if f.name == "agency")
    assert [v.value for v in agencies.values if v.selected] == [last] and len(agencies.values) == F.BY_NAME["agency"].top + 1


def test_a_value_selected_twice_or_held_by_no_report_is_shown_once(engine, corpus):
    last = sorted(r.agency for r in corpus[1].values())[-1]
    result = engine.search(SearchRequest(filters={"agency": [last, "没有这个机关", last]}))
    agencies = next(f for f in result.facets if f.name == "agency")
    selected = [(v.value, v.count) for v in agencies.values if v.selected]
    assert selected == [(last, 1), ("没有这个机关", 0)] and len(agencies.values) == F.BY_NAME["agency"].top + 2
    assert agencies.more == len(corpus[1]) - F.BY_NAME["agency"].top - 1


# ---------------------------------------------------------------- concurrency


def consistent_answer(result) -> None:
    years = next(f for f in result.facets if f.name == "year")
    chosen = result.request.filters.get("year")
    # every report has one year; the year facet itself counts as if no year were chosen
    assert sum(v.count for v in years.values if not chosen or v.value in chosen) == result.total
    assert len(result.hits) == min(result.total, result.request.per_page)
    assert len({h.id for h in result.hits}) == len(result.hits)


def test_32_threads_search_while_the_indexer_commits(tmp_path):
    folder = tmp_path / "reports"
    write_corpus(folder, copies=2)
    index_dir = tmp_path / "index"
    first = build_index([folder], index_dir).reports
    more = write_corpus(folder, copies=2, start=2)
    engine = Engine(index_dir)
    errors: list[BaseException] = []
    totals: list[int] = []
    done = threading.Event()
    requests = [SearchRequest(q=q, filters=f) for q, f in
                itertools.product(["", "应急", '"政府信息公开"', "公开 -复议"], [{}, {"year": ["2023"]}, {"penalty": ["0", "unknown"]}])]  # fmt: skip

    def client(n: int) -> None:
        after = 0  # requests since the indexer finished: each thread sees the last commit too
        try:
            for i in itertools.count(n):
                req = requests[i % len(requests)]
                result = engine.search(SearchRequest(q=req.q, filters=dict(req.filters), per_page=5))
                consistent_answer(result)
                if not req.q and not req.filters:
                    totals.append(result.total)
                after += done.is_set()
                if after > len(requests):
                    return
                time.sleep(0.01)  # leave the indexer some of the interpreter
        except BaseException as e:  # noqa: BLE001 - collected, asserted below
            errors.append(e)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    summary = build_index([folder], index_dir, batch_size=4)  # several commits while they search
    done.set()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert summary.reports == first + len(more)
    assert min(totals) >= first and max(totals) == summary.reports  # every answer is one commit's, the last one seen
    assert engine.search(SearchRequest()).total == summary.reports
    engine.close()


def test_an_export_keeps_its_commit_while_the_indexer_writes(tmp_path):
    folder = tmp_path / "reports"
    paths = write_corpus(folder, copies=2)
    index_dir = tmp_path / "index"
    build_index([folder], index_dir)
    engine = Engine(index_dir)
    stream = engine.matching(SearchRequest(sort="year_desc"))
    rows = [next(stream)[0]]
    # Change every file and add some: every report is rewritten, old segments merged away.
    for p in paths:
        p.write_text(p.read_text(encoding="utf-8").replace("一、总体情况", "一、总体情况（修订）", 1), encoding="utf-8")
    write_corpus(folder, copies=1, start=9)
    build_index([folder], index_dir, batch_size=3)
    assert engine.search(SearchRequest()).total == len(paths) + len(SAMPLES)  # the engine moved on
    rows += [rid for rid, *_ in stream]
    assert len(rows) == len(set(rows)) == len(paths)  # the export did not
    engine.close()


# ---------------------------------------------------------------- empty index


def test_an_index_with_no_reports_yet_answers(tmp_path):
    from web import create_app

    open_index(tmp_path, create=True)
    engine = Engine(tmp_path)
    for q in ("", "应急", "year:2023"):
        result = engine.search(SearchRequest(q=q, filters={"year": ["2023"]}))
        assert result.total == 0 and result.hits == [] and result.facets
    assert list(engine.matching(SearchRequest())) == [] and len(engine.selection(SearchRequest())) == 0
    client = create_app(tmp_path, TESTING=True).test_client()
    for url in ("/", "/?q=应急", "/search.json", "/search.csv", "/stats", "/stats.json"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/search.json").get_json()["total"] == 0
    assert client.get("/report/0123456789ab").status_code == 404


def test_an_index_written_before_the_columns_reads_its_meta(tmp_path, corpus, engine):
    """Same answers from an index whose schema has no ``labels``/``numbers`` columns."""
    from whoosh import index as whoosh_index

    from index.build import INDEX_NAME, analysis, report_document, report_id
    from index.schema import make_schema

    schema = make_schema(analysis())
    schema.remove("labels")
    schema.remove("numbers")
    ix = whoosh_index.create_in(tmp_path, schema, INDEX_NAME)
    writer = ix.writer()
    for path, report in corpus[1].items():
        data = report.to_dict()
        data["id"] = report_id(report, path.name)
        doc = report_document(data, [str(path)])
        del doc["labels"], doc["numbers"]
        writer.add_document(**doc)
    writer.commit()
    old = Engine(tmp_path)
    for q, filters in (("", {}), ("应急", {"penalty": ["0", "100+"]}), ("公开", {"year": ["2022"], "outcome": ["review"]})):
        a, b = (e.search(SearchRequest(q=q, filters=dict(filters), sort="year_desc")) for e in (old, engine))
        assert a.total == b.total and [f.values for f in a.facets] == [f.values for f in b.facets]
        assert [h.agency for h in a.hits] == [h.agency for h in b.hits]
    old.close()


def test_scores_from_lengths_held_in_memory_equal_whooshs_own(tmp_path):
    # The engine lends each searcher the field lengths it read once per segment
    # (SegmentCache.lend_lengths); ranking must not move by a hair.  Several
    # segments, one with deletions, so that every leaf is lent its own.
    from search.query import compile_query, parse_query

    folder = tmp_path / "reports"
    folder.mkdir()
    for n, p in enumerate(SAMPLES):
        (folder / p.name).write_bytes(p.read_bytes())
        build_index([folder], tmp_path / "ix")  # a commit (a segment) per file
    (folder / SAMPLES[0].name).unlink()
    build_index([folder], tmp_path / "ix")
    ix = open_index(tmp_path / "ix")
    engine = Engine(tmp_path / "ix")
    try:
        for q in ("政府信息 公开", "行政处罚", '"依申请公开"', "应急管理 OR 发展改革", "政府信息 -卫滨区"):
            got = [(h.id, h.score) for h in engine.search(SearchRequest(q=q, per_page=100)).hits]
            with ix.searcher() as s:
                query = compile_query(parse_query(q), s.schema)
                want = sorted(((s.stored_fields(hit.docnum)["id"], hit.score) for hit in s.search(query, limit=None)
                               if s.stored_fields(hit.docnum)["kind"] == "report"), key=lambda x: -x[1])  # fmt: skip
                assert len(s.reader().leaf_readers()) > 1
            assert got and sorted(got) == sorted(want), q
    finally:
        engine.close()
