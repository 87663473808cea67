"""search.postings against Whoosh's own search: the same documents with the
same scores, for every kind of query the parser makes, on an index of several
segments, one with deletions."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_search_scale import write_corpus
from whoosh.query import AndNot, Or, Term

from index.build import build_index
from search import postings
from search.engine import Engine, SearchRequest
from search.query import compile_query, parse_query

QUERIES = [
    "行政处罚",  # one word: a phrase of bigrams, and of jieba words
    "政府信息 公开",  # AND
    '"依申请公开"',  # a quoted phrase
    '"政府信息公开申请"',  # a long one: covering grams at offsets 0, 2, 4, …
    "应急管理 OR 发展改革",
    "政府信息 -卫滨区",  # NOT
    "行政 OR -复议",  # a negated alternative in a group
    "-公开",  # only a negation
    "公",  # a lone character: a prefix of the bigrams
    "处",
    "山东",  # a place name: its region fields too
    "卫滨区 年度报告",
    "agency:应急",
    "province:山东",
    "year:2022",
    "year:2020..2022 处罚",
    "new_received:>0",
    "new_received:<=3",
    "withheld:0",
    "penalty:10..99 OR disclosed:>0",
    "不存在的词语",  # held by no report
    '"公开 不存在"',
    "信息公开 行政处罚 年度报告",  # three words
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    # Whoosh's Or picks its matcher by index size, and in an index this small
    # scores a Prefix of three or more parts as a constant; search.postings
    # scores as Whoosh does above 5 000 documents, the size that matters.
    patch = pytest.MonkeyPatch()
    patch.setattr(Or, "matcher_type", Or.DEFAULT_MATCHER)
    root = tmp_path_factory.mktemp("postings")
    folder = root / "reports"
    for n, p in enumerate(SAMPLES):  # a commit, so a segment, per file ...
        folder.mkdir(exist_ok=True)
        (folder / p.name).write_bytes(p.read_bytes())
        build_index([folder], root / "ix")
    write_corpus(folder, copies=2)  # ... then a bigger one ...
    build_index([folder], root / "ix")
    (folder / SAMPLES[0].name).unlink()  # ... and deletions in the first
    build_index([folder], root / "ix")
    engine = Engine(root / "ix")
    yield engine
    engine.close()
    patch.undo()


def whoosh(view, query) -> dict[int, float]:
    """Whoosh's documents and scores; for A ANDNOT B, A's less B's (Whoosh's
    own AndNot matcher can let through a document of B: see below)."""
    if isinstance(query, AndNot):
        out = whoosh(view, query.b)
        return {d: s for d, s in whoosh(view, query.a).items() if d not in out}
    return {hit.docnum: hit.score for hit in view.searcher.search(query, limit=None)}


def ours(view, query) -> dict[int, float]:
    found = postings.match(view.searcher, query, view.columns.field_lengths)
    assert found is not None, query
    docs, scores = found
    assert (np.diff(docs) > 0).all()  # ascending, each once
    reader = view.searcher.reader()
    return {d: s for d, s in zip(docs.tolist(), scores.tolist()) if not reader.is_deleted(d)}


def same(view, text: str) -> None:
    query = compile_query(parse_query(text), view.searcher.schema)
    want, got = whoosh(view, query), ours(view, query)
    assert sorted(got) == sorted(want), text
    for d, s in want.items():
        assert math.isclose(got[d], s, rel_tol=1e-9), (text, d, got[d], s)


def test_the_index_has_several_segments_one_with_deletions(index):
    with index._view() as view:
        leaves = [leaf for leaf, _ in view.searcher.reader().leaf_readers()]
    assert len(leaves) > 2 and any(leaf.has_deletions() for leaf in leaves)


@pytest.mark.parametrize("text", QUERIES)
def test_documents_and_scores_are_whooshs(index, text):
    with index._view() as view:
        same(view, text)


def test_the_queries_above_match_something_mostly(index):
    with index._view() as view:
        empty = [t for t in QUERIES if not ours(view, compile_query(parse_query(t), view.searcher.schema))]
    assert empty == ["不存在的词语", '"公开 不存在"'], empty


WORDS = ["政府", "信息", "公开", "行政处罚", "复议", "卫滨区", "申请", "年", "处", "依申请公开", "山东", "没有的"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["", "-", "OR "]), st.sampled_from(WORDS), st.booleans()), min_size=1, max_size=4))
def test_any_combination_of_words_and_operators_is_whooshs(index, parts):
    text = " ".join(f'{op}"{w}"' if quoted else f"{op}{w}" for op, w, quoted in parts)
    with index._view() as view:
        same(view, text)


def test_a_query_it_does_not_know_is_left_to_whoosh(index):
    from whoosh.query import Phrase

    with index._view() as view:  # Whoosh's phrase with slop: not an ExactPhrase
        query = Or([Term("body", "公开"), Phrase("body", ["政府", "信息"], slop=2)])
        assert postings.match(view.searcher, query, view.columns.field_lengths) is None


def test_the_engine_ranks_by_these_scores(index):
    result = index.search(SearchRequest(q="行政处罚 年度报告", per_page=100))
    with index._view() as view:
        query = compile_query(parse_query("行政处罚 年度报告"), view.searcher.schema)
        want = whoosh(view, query)
        ids = {d: view.searcher.stored_fields(d)["id"] for d in want}
    ranked = sorted(want, key=lambda d: (-want[d], d))
    assert [h.id for h in result.hits] == [ids[d] for d in ranked if view.columns.is_report[d]][: len(result.hits)]
    assert result.total == sum(1 for d in want if view.columns.is_report[d])


def test_not_excludes_every_report_that_holds_the_word(index):
    # Every report here that holds 山东 holds 政府, yet Whoosh 2.7.4's own
    # search of 山东 -政府 returns one (its AndNot matcher skips past the check).
    with index._view() as view:
        for text in ("山东 -政府", "政府 -山东"):
            query = compile_query(parse_query(text), view.searcher.schema)
            held = set(ours(view, query.b))
            assert set(ours(view, query)) == set(ours(view, query.a)) - held, text
        query = compile_query(parse_query("山东 -政府"), view.searcher.schema)
        raw = {hit.docnum for hit in view.searcher.search(query, limit=None)}
        assert raw & set(ours(view, query.b))


def test_without_it_the_engine_gives_the_same_answers(index, monkeypatch):
    # A query search.postings does not know goes to Whoosh: the same hits, scores and facets.
    def answers():
        out = []
        for q in ("行政处罚 年度报告", '"依申请公开"', "政府信息 -卫滨区", "year:2020..2022"):
            for sort in ("relevance", "year_desc"):
                r = index.search(SearchRequest(q=q, sort=sort, per_page=50))
                out.append((r.total, [(h.id, h.score and round(h.score, 9)) for h in r.hits], r.to_dict()["facets"]))
        index.close()  # the next search reads a fresh generation: nothing kept from this one
        return out

    with_it = answers()
    monkeypatch.setattr(postings, "match", lambda *a: None)
    assert answers() == with_it


def test_a_query_changed_around_the_same_words_reads_only_the_new_ones(index, monkeypatch):
    read = []
    real = postings.term_postings
    monkeypatch.setattr(postings, "term_postings", lambda leaf, field, btext, values=True: read.append(btext) or real(leaf, field, btext, values))
    kept = postings.Kept()
    with index._view() as view:

        def run(text: str) -> set[str]:
            """The terms whose postings were read; the answer checked against one with nothing kept."""
            query = compile_query(parse_query(text), view.searcher.schema)
            read.clear()
            got = postings.match(view.searcher, query, view.columns.field_lengths, kept)
            terms = {b.decode() for b in read}
            want = postings.match(view.searcher, query, view.columns.field_lengths)
            assert all((a == b).all() for a, b in zip(got, want))
            return terms

        assert {"应急", "管理"} <= run("应急管理")
        more = run("应急管理 行政处罚")
        assert {"行政", "处罚"} <= more and not {"应急", "管理"} & more
        assert run("-应急管理 行政处罚") == set()


def test_kept_results_stay_within_the_budget_and_unchanged(index, monkeypatch):
    monkeypatch.setattr(postings.Kept, "BUDGET", 4096)
    kept = postings.Kept()
    with index._view() as view:
        for text in ["政府信息 公开", "行政处罚", "政府信息 公开"]:
            query = compile_query(parse_query(text), view.searcher.schema)
            got = postings.match(view.searcher, query, view.columns.field_lengths, kept)
            want = postings.match(view.searcher, query, view.columns.field_lengths)
            assert all((a == b).all() for a, b in zip(got, want))
            assert kept._size <= 4096
            assert all(not a.flags.writeable for found in kept._entries.values() for a in found)


@pytest.mark.parametrize("lists", [
    [[5], [0, 3], [300, 301, 70000]],
    [list(range(0, 3000, 2)), [2**31 - 5], list(range(1001)), [7]],  # past 1 000: pickled in batches
])
def test_positions_decode_as_whooshs_own(lists):
    from whoosh.formats import Positions

    fmt = Positions()
    values = [fmt.encode(p) for p in lists]
    counts, deltas = postings._deltas(values)
    assert counts.tolist() == [len(p) for p in lists]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    got = [np.cumsum(deltas[a : a + n]).tolist() for a, n in zip(starts, counts)]
    assert got == [fmt.decode_positions(v) for v in values] == lists
    # A value without its final STOP (Whoosh's own decoder allows it): decoded one by one.
    counts2, deltas2 = postings._deltas([values[0][:-1], *values[1:]])
    assert counts2.tolist() == counts.tolist() and deltas2.tolist() == deltas.tolist()
    # One pickled with another protocol (no protocol-2 header): all decoded one by one.
    other = values[0][:4] + pickle.dumps(pickle.loads(values[0][4:]), 4)
    assert fmt.decode_positions(other) == lists[0]
    counts3, deltas3 = postings._deltas([*values[1:], other])
    assert counts3.tolist() == [*counts.tolist()[1:], counts[0]]
    assert deltas3.tolist() == [*deltas.tolist()[counts[0] :], *deltas.tolist()[: counts[0]]]
