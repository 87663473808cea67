"""Per-file limits in the indexer (issue 13, item 1): a file stuck where the
time limit cannot interrupt it, a file that needs more memory than the cap;
each is failed with the limit it hit, the rest of the run goes on, and the
failure is kept so the file is not read again until it changes.

The stuck parse is real: it blocks SIGALRM (as a long call into C holds off
Python's signal handler) and sleeps, so only the indexer stopping its worker
can end it.  Nothing here asserts on a duration.
"""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import SAMPLES

import index.build as build
from index.build import build_index


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    for p in SAMPLES:
        shutil.copy(p, folder / p.name)
    return folder


def hook_parse(monkeypatch, hooks: dict) -> None:
    """Replace the parse the workers run (they are forked with the patch) by one
    that runs ``hooks[file name]`` first."""
    real = build.parse_file

    def parse(path, data=None):
        hook = hooks.get(Path(path).name)
        if hook:
            hook()
        return real(path, data)

    monkeypatch.setattr(build, "parse_file", parse)


def stuck_in_c() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # the alarm stays pending, as in a C call
    time.sleep(3600)


def test_a_file_stuck_where_the_alarm_cannot_reach_is_stopped_reported_and_remembered(folder, tmp_path, monkeypatch):
    slow = folder / "slow.txt"
    slow.write_text(SAMPLES[0].read_text(encoding="utf-8"), encoding="utf-8")
    hook_parse(monkeypatch, {"slow.txt": stuck_in_c})
    seconds = 5.0
    ix = tmp_path / "ix"
    told: list[tuple[str, str, str]] = []
    summary = build_index([folder], ix, workers=2, batch_size=3, file_seconds=seconds, on_file=lambda *a: told.append(a))
    reason = f"took longer than {seconds:g} s (stuck where the time limit could not interrupt it: its worker was stopped)"
    assert summary.failed == [(str(slow), reason)]
    assert sorted(Path(p).name for p in summary.added) == sorted(p.name for p in SAMPLES)  # the rest went on
    assert summary.reports == len(SAMPLES)
    assert sorted(Path(p).name for p, *_ in told) == sorted([p.name for p in SAMPLES] + ["slow.txt"])  # each told once

    # The failure is in the index: the next run does not read the file again
    # (a stuck parse here would hang this test) until it changes.
    again = build_index([folder], ix, workers=1, file_seconds=seconds)
    assert str(slow) in again.unchanged and not again.failed and len(again.unchanged) == len(SAMPLES) + 1
    monkeypatch.undo()
    slow.write_text(SAMPLES[0].read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = build_index([folder], ix, workers=1)
    assert changed.updated == [str(slow)] and not changed.failed


def vm_size_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmSize")


def test_a_file_that_needs_more_than_the_memory_cap_is_failed_and_remembered(folder, tmp_path, monkeypatch):
    hog = folder / "hog.txt"
    hog.write_text(SAMPLES[1].read_text(encoding="utf-8"), encoding="utf-8")
    cap = vm_size_mb() + 1024  # the forked worker starts at this process's size: room for a parse, not for 4 GB
    hook_parse(monkeypatch, {"hog.txt": lambda: bytearray(4 << 30)})
    ix = tmp_path / "ix"
    summary = build_index([folder], ix, workers=1, worker_memory_mb=cap)
    assert summary.failed == [(str(hog), f"needed more than {cap} MB")]
    assert len(summary.added) == len(SAMPLES)  # the same worker went on with the next files
    again = build_index([folder], ix, workers=1, worker_memory_mb=cap)
    assert str(hog) in again.unchanged and not again.failed
