"""The indexer: incremental, one report per report, crash-safe, one at a time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLES

from index.build import build_index, indexer_lock
from search.engine import Engine, SearchRequest

NIANBAO = [sys.executable, "-m", "nianbao"]


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    for p in SAMPLES:
        shutil.copy(p, folder / p.name)
    return folder


def reports(index_dir: Path, q: str = "") -> dict[str, list[str]]:
    """agency -> source file names, for everything the index answers to ``q``."""
    engine = Engine(index_dir)
    try:
        return {h.agency: sorted(Path(s).name for s in h.sources) for h in engine.search(SearchRequest(q=q, per_page=100)).hits}
    finally:
        engine.close()


def test_incremental_runs(corpus, tmp_path):
    ix = tmp_path / "ix"
    first = build_index([corpus], ix)
    assert len(first.added) == 5 and first.reports == 5

    again = build_index([corpus], ix)
    assert (len(again.added), len(again.updated), len(again.unchanged)) == (0, 0, 5)

    # touched but not changed: not parsed again
    target = corpus / "zibo-linzi-yingji-2020.txt"
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 10**9))
    touched = build_index([corpus], ix)
    assert len(touched.unchanged) == 5 and not touched.updated

    # changed: parsed again, and the index follows
    target.write_text(target.read_text(encoding="utf-8").replace("无其他需报告事项", "本年度新增一项独特事项甲乙丙"), encoding="utf-8")
    changed = build_index([corpus], ix)
    assert [Path(p).name for p in changed.updated] == [target.name]
    assert set(reports(ix, "独特事项甲乙丙")) == {"临淄区应急管理局"}

    # the same report through a second file: one record, two sources
    shutil.copy(target, corpus / "copy-of-linzi.txt")
    dup = build_index([corpus], ix)
    assert len(dup.added) == 1 and dup.reports == 5
    assert reports(ix)["临淄区应急管理局"] == ["copy-of-linzi.txt", target.name]

    # deleted files leave the index; the report stays while a source is left
    target.unlink()
    assert build_index([corpus], ix).removed == [str(target.resolve())]
    assert reports(ix)["临淄区应急管理局"] == ["copy-of-linzi.txt"]
    (corpus / "copy-of-linzi.txt").unlink()
    gone = build_index([corpus], ix)
    assert gone.reports == 4 and "临淄区应急管理局" not in reports(ix)


def test_a_folder_indexed_separately_is_not_removed(corpus, tmp_path):
    ix = tmp_path / "ix"
    other = tmp_path / "other"
    other.mkdir()
    shutil.move(corpus / "zibo-linzi-yingji-2020.txt", other / "linzi.txt")
    build_index([corpus], ix)
    build_index([other], ix)
    assert build_index([corpus], ix).removed == []
    assert len(reports(ix)) == 5


def test_bad_files_are_reported_and_the_run_goes_on(corpus, tmp_path):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (corpus / "news.txt").write_text("今日天气晴，气温二十度。", encoding="utf-8")
    summary = build_index([corpus], tmp_path / "ix")
    failed = {Path(p).name: reason for p, reason in summary.failed}
    assert failed.keys() == {"empty.txt", "old.doc", "news.txt"}
    assert "empty" in failed["empty.txt"] and "unsupported format" in failed["old.doc"] and "not a government" in failed["news.txt"]
    assert summary.reports == 5


def make_corpus(folder: Path, n: int) -> None:
    """``n`` distinct reports: a sample with the agency renamed."""
    folder.mkdir()
    text = SAMPLES[0].read_text(encoding="utf-8")
    for i in range(n):
        (folder / f"r{i:04d}.txt").write_text(text.replace("卫滨区应急管理局", f"卫滨区第{i}应急管理局"), encoding="utf-8")


def test_killing_the_indexer_leaves_the_old_index_searchable(corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    big = tmp_path / "big"
    make_corpus(big, 400)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*NIANBAO, "index", str(big), "--index", str(ix)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        time.sleep(3)
        assert proc.poll() is None, "the indexer finished before it could be killed: give it more files"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    # the old reports are all there and the index opens and answers
    found = reports(ix)
    assert {"临淄区应急管理局", "淄博市机关事务管理局"} <= set(found)
    assert 5 <= len(found) < 405
    # the next run finishes the job
    done = subprocess.run([*NIANBAO, "index", str(big), "--index", str(ix)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    engine = Engine(ix)
    assert engine.search(SearchRequest()).total == 405
    engine.close()


def test_a_second_indexer_gets_a_clear_message(corpus, tmp_path):
    ix = tmp_path / "ix"
    build_index([corpus], ix)
    with indexer_lock(ix):
        second = subprocess.run([*NIANBAO, "index", str(corpus), "--index", str(ix)], capture_output=True, text=True, timeout=120)
    assert second.returncode == 1
    assert f"another nianbao indexer (pid {os.getpid()}) is updating" in second.stderr
    assert "Traceback" not in second.stderr
