"""Query matches shared by a server's processes (search/shared.py): one
process's matches serve another, only within the generation they were made
on, and a file that cannot be read is matched again."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import SAMPLES

from index.build import build_index
from search import postings, shared
from search.engine import Engine, SearchRequest
from search.phrase import ExactPhrase
from search.shared import SharedMatches


def answer(engine: Engine, q: str, sort: str = "relevance") -> tuple:
    r = engine.search(SearchRequest(q=q, sort=sort, per_page=50))
    return r.total, [(h.id, h.score) for h in r.hits]


@pytest.fixture
def two(tmp_path):
    """Two engines on one index, as two server processes: (index folder, reports folder, a, b)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    for p in SAMPLES[:3]:
        (folder / p.name).write_bytes(p.read_bytes())
    build_index([folder], tmp_path / "ix")
    a, b = (Engine(tmp_path / "ix", shared_matches=tmp_path / "shared") for _ in range(2))
    yield tmp_path, folder, a, b
    a.close()
    b.close()


def no_matching(*args):
    raise AssertionError("matched, not read from the other process")


def test_one_processes_matches_serve_the_other(two, monkeypatch):
    root, _, a, b = two
    want = answer(a, "政府信息 公开")
    assert want[0] and list((root / "shared").glob("*/*-scored.npy"))
    monkeypatch.setattr(postings, "match", no_matching)
    assert answer(b, "政府信息 公开") == want
    assert answer(b, "政府信息 公开", sort="year_desc")[0] == want[0]  # scored matches serve another sort too


def test_unscored_matches_do_not_serve_a_ranked_request(two, monkeypatch):
    _, _, a, b = two
    a.search(SearchRequest(q="行政处罚", sort="year_desc"))
    calls = []
    real = postings.match
    monkeypatch.setattr(postings, "match", lambda *args: calls.append(1) or real(*args))
    b.search(SearchRequest(q="行政处罚"))
    assert calls


def test_a_new_generation_reads_only_its_own_and_removes_the_older(two, monkeypatch):
    root, folder, a, b = two
    answer(a, "政府信息")
    (old,) = (root / "shared").iterdir()
    shutil.copy(SAMPLES[3], folder / SAMPLES[3].name)
    build_index([folder], root / "ix")  # a commit: a new generation, one report more
    total, _ = answer(b, "政府信息")
    assert total == 4  # not the three of the older generation's matches
    assert not old.exists() and len(list((root / "shared").iterdir())) == 1


def test_a_file_that_cannot_be_read_is_matched_again(two):
    root, _, a, b = two
    want = answer(a, "行政处罚")
    for f in (root / "shared").glob("*/*.npy"):
        f.write_bytes(f.read_bytes()[:20])  # cut short
    assert answer(b, "行政处罚") == want


def test_at_most_limit_files_are_kept(two, monkeypatch):
    root, _, a, _ = two
    monkeypatch.setattr(shared, "LIMIT", 3)
    for q in ["政府", "信息", "公开", "行政", "处罚"]:
        a.search(SearchRequest(q=q))
    assert len(list((root / "shared").glob("*/*.npy"))) == 3


def test_the_key_tells_phrases_with_other_offsets_apart():
    one = ExactPhrase("body_bi", ["应急", "管理"], offsets=[0, 2])
    other = ExactPhrase("body_bi", ["应急", "管理"], offsets=[0, 1])
    assert repr(one) == repr(other)
    assert SharedMatches.key(one) != SharedMatches.key(other)
    assert SharedMatches.key(one) == SharedMatches.key(ExactPhrase("body_bi", ["应急", "管理"], offsets=[0, 2]))


def test_round_trip_of_scored_and_unscored(tmp_path):
    s = SharedMatches(tmp_path, 7)
    docs, scores = np.array([1, 5, 9]), np.array([0.5, 2.0, 1.25])
    s.put("q1", (docs, scores))
    s.put("q2", (docs, None))
    got = s.get("q1", ranked=True)
    assert got[0].tolist() == [1, 5, 9] and got[1].tolist() == [0.5, 2.0, 1.25]
    assert s.get("q2", ranked=True) is None
    assert s.get("q2", ranked=False)[0].tolist() == [1, 5, 9] and s.get("q2", ranked=False)[1] is None
    assert SharedMatches(tmp_path, 8).get("q1", ranked=True) is None
