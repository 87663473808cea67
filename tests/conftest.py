"""Shared fixtures: the bundled sample reports and their hand-checked values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "samples"
SAMPLES = sorted(SAMPLES_DIR.glob("*.txt"))
# The keys of the data contract that the hand-checked files pin down.
CONTRACT_KEYS = ["agency", "year", "template", "region", "published", "contact", "proactive", "applications", "review_litigation", "consistent"]


def expected(sample: Path) -> dict:
    return json.loads((SAMPLES_DIR / "expected" / f"{sample.stem}.json").read_text(encoding="utf-8"))


def contract_diff(got: dict, want: dict, keys: list[str] = CONTRACT_KEYS) -> list[str]:
    """Every path where ``got`` differs from ``want``, for a readable failure."""
    diffs: list[str] = []

    def walk(path: str, a, b) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(f"{path}.{k}", a.get(k, "<missing>"), b.get(k, "<missing>"))
        elif a != b or type(a) is bool and type(b) is not bool:
            diffs.append(f"{path}: got {a!r}, expected {b!r}")

    for key in keys:
        walk(key, got.get(key), want.get(key))
    return diffs


@pytest.fixture(params=SAMPLES, ids=[p.stem for p in SAMPLES])
def sample(request) -> Path:
    return request.param


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """An index of the five samples, built once per test session."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("index")
    summary = build_index([SAMPLES_DIR], index_dir)
    assert len(summary.added) == len(SAMPLES) and not summary.failed
    return index_dir


@pytest.fixture(scope="session")
def engine(sample_index):
    from search.engine import Engine

    e = Engine(sample_index)
    yield e
    e.close()
