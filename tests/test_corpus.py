"""The benchmark corpus: every generated file parses to exactly what the generator says it wrote."""

from __future__ import annotations

import hashlib
import json

import pytest

from benchmarks.corpus import make_corpus
from index.parse import parse_file


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    manifest = folder.parent / "manifest.jsonl"
    return make_corpus(folder / "reports", 150, seed=3, manifest=manifest), manifest


def test_every_file_parses_to_what_was_written(generated):
    expected, manifest = generated
    tables = {row["path"]: row for row in map(json.loads, manifest.read_text(encoding="utf-8").splitlines())}
    same_name = {}
    for e in expected:
        same_name.setdefault((e.agency, e.year), set()).add(e.region)
    for e in expected:
        report = parse_file(e.path)
        assert (report.agency, report.year, report.template) == (e.agency, e.year, e.template), e.path
        assert report.consistent == e.consistent, e.path
        assert report.key_figures() == e.figures, e.path
        got = report.to_dict()
        for name in ("proactive", "applications", "review_litigation"):
            assert got[name] == tables[str(e.path)][name], (e.path, name)
        region = (report.region.province, report.region.city, report.region.county)
        if len(same_name[(e.agency, e.year)]) == 1:
            assert region == e.region, e.path
        else:  # a name two cities share: the text must tell them apart, or leave the level unknown
            assert all(g in (w, None) for g, w in zip(region, e.region)), e.path


def test_the_corpus_varies_what_a_real_collection_varies(generated):
    expected, _ = generated
    assert len({hashlib.sha256(e.path.read_bytes()).digest() for e in expected}) == len(expected)
    assert len({(e.agency, e.region, e.year) for e in expected}) == len(expected)
    assert len({e.region[0] for e in expected}) >= 15  # provinces
    assert {e.year for e in expected} == {2019, 2020, 2021, 2022, 2023, 2024}
    assert all(e.year in (2019, 2020, 2022) for e in expected if e.template == "2019")
    assert any(not e.consistent for e in expected) and sum(e.consistent for e in expected) > 0.9 * len(expected)
    assert any(len({x.region for x in expected if (x.agency, x.year) == (e.agency, e.year)}) > 1 for e in expected)
    assert len({e.figures["new_received"] for e in expected}) > 10
    # narrative differs too, not just names and numbers: the same sample's files share few lines
    same_sample = [e.path for e in expected if e.sample == expected[0].sample][:2]
    a, b = (set(p.read_text(encoding="utf-8").splitlines()) for p in same_sample)
    assert len(a & b) < 0.9 * len(a)
    # the files are spread over subfolders, not piled in one
    assert len({e.path.parent for e in expected}) == 1 and expected[0].path.parent.name == "0000"


def test_same_seed_same_bytes(tmp_path):
    first = make_corpus(tmp_path / "a", 12, seed=5)
    second = make_corpus(tmp_path / "b", 12, seed=5)
    assert [e.path.read_bytes() for e in first] == [e.path.read_bytes() for e in second]
    other = make_corpus(tmp_path / "c", 12, seed=6)
    assert [e.path.read_bytes() for e in first] != [e.path.read_bytes() for e in other]
