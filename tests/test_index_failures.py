"""The index when the disk or its own files fail it (issue 13, items 4 and 10):
a full disk, a damaged index, a read-only folder; commits are fsynced.

Each test reproduces the failure for real where it can (bytes cut off or
overwritten in the index's own files) and by a patched write where it cannot
(a full disk): the code under test sees the very OSError the kernel gives.
"""

from __future__ import annotations

import builtins
import errno
import os
import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from index.build import INDEX_NAME, build_index, open_index
from index.storage import DamagedIndex, SyncedStorage
from nianbao.cli import main
from search.engine import Engine, SearchRequest

UNCLEAR = ("Traceback", "Aborted!", "UnpicklingError", "different architecture", "TypeError", "EOFError")


@pytest.fixture(scope="module")
def four(tmp_path_factory) -> tuple[Path, Path]:
    """(folder of four samples, an index of them), built once; tests copy it."""
    root = tmp_path_factory.mktemp("four")
    folder = root / "reports"
    folder.mkdir()
    for p in SAMPLES[:4]:
        shutil.copy(p, folder / p.name)
    build_index([folder], root / "ix", workers=1)
    return folder, root / "ix"


@pytest.fixture
def setup(four, tmp_path) -> tuple[Path, Path]:
    folder, ix = four
    copy = tmp_path / "ix"
    shutil.copytree(ix, copy)
    return folder, copy


@pytest.fixture
def fifth(setup) -> tuple[Path, Path]:
    """``setup`` with a fifth sample added to the folder: the next run has a file to index."""
    folder, ix = setup
    added = folder / SAMPLES[4].name
    shutil.copy(SAMPLES[4], added)
    yield folder, ix
    added.unlink()


def agencies(index_dir: Path) -> set[str]:
    engine = Engine(index_dir)
    try:
        return {h.agency for h in engine.search(SearchRequest(per_page=100)).hits}
    finally:
        engine.close()


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def one_clear_line(result, *must: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert not any(u in result.output for u in UNCLEAR), result.output
    for text in must:
        assert text in lines[0], lines[0]
    return lines[0]


# --- a full disk ------------------------------------------------------------------------


class _FullDisk:
    """A file object that takes ``room`` bytes, then fails as a full disk does."""

    def __init__(self, file, room: int) -> None:
        self._file, self._room = file, room

    def write(self, data) -> int:
        self._room -= len(data)
        if self._room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


def fill_disk(monkeypatch, which, room: int = 2000) -> None:
    """Files whose name ``which`` accepts fail after ``room`` bytes (in the
    worker processes too: they are forked with this patch in place)."""
    create = SyncedStorage.create_file

    def create_file(self, name, *args, **kwargs):
        f = create(self, name, *args, **kwargs)
        if which(name):
            f.file = _FullDisk(f.file, room)
        return f

    monkeypatch.setattr(SyncedStorage, "create_file", create_file)


@pytest.mark.parametrize(
    "which",
    [lambda name: name.startswith(f"_{INDEX_NAME}_") and ".toc." in name, lambda name: name.startswith(f"{INDEX_NAME}_")],
    ids=["the table of contents (indexer)", "a segment (worker)"],
)
def test_a_full_disk_rolls_back_removes_its_files_says_one_line_and_the_next_run_works(fifth, monkeypatch, capfd, which):
    folder, ix = fifth
    before = sorted(os.listdir(ix))
    with monkeypatch.context() as m:
        fill_disk(m, which)
        result = run("index", folder, "--index", ix)
    assert result.exit_code == 1
    one_clear_line(result, f"cannot write the index in {ix}", "No space left on device")
    assert "Traceback" not in capfd.readouterr().err  # nor from a worker process, on its own stderr
    assert sorted(os.listdir(ix)) == before  # no segment, no temporary folder or TOC left behind
    assert len(agencies(ix)) == 4  # the last commit still answers

    again = run("index", folder, "--index", ix)
    assert again.exit_code == 0, again.output
    assert "1 added" in again.stderr and len(agencies(ix)) == 5


def test_leftovers_of_a_killed_run_are_removed_at_the_start_of_the_next(setup):
    folder, ix = setup
    (ix / f"{INDEX_NAME}.w.999.tmp").mkdir()
    (ix / f"{INDEX_NAME}.w.999.tmp" / "x.ctmp").write_bytes(b"half a pool")
    (ix / f"_{INDEX_NAME}_9.toc.1234.5").write_bytes(b"half a toc")
    (ix / f"{INDEX_NAME}_deadbeef00000000.seg").write_bytes(b"an unlisted segment")
    build_index([folder], ix)
    assert sorted(os.listdir(ix)) == sorted(n for n in os.listdir(ix) if not n.startswith(("_reports_9", "reports.w", "reports_deadbeef")))
    assert not [n for n in os.listdir(ix) if n.endswith((".tmp", ".5")) or "deadbeef" in n]


# --- fsync -------------------------------------------------------------------------------


def test_a_commit_fsyncs_its_files_before_the_toc_rename_and_the_folder_after(fifth, tmp_path, monkeypatch):
    """Counted, across the worker processes: each appends what it synced to one log."""
    folder, ix = fifth
    log = tmp_path / "sync.log"
    real_fsync, real_rename = os.fsync, os.rename

    def note(line: str) -> None:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, (line + "\n").encode())
        os.close(fd)

    def fsync(fd):
        note("fsync " + os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def rename(a, b, *args, **kwargs):
        note(f"rename {os.path.basename(a)} {os.path.basename(b)}")
        return real_rename(a, b, *args, **kwargs)

    before = set(os.listdir(ix))
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    build_index([folder], ix, workers=2)
    events = log.read_text().splitlines()
    toc = open_index(ix)._read_toc()
    new_files = {n for n in os.listdir(ix) if n not in before and any(n.startswith(s.segment_id() + ".") for s in toc.segments)}
    renames = [i for i, e in enumerate(events) if e.startswith("rename ") and e.endswith(f" _{INDEX_NAME}_{toc.generation}.toc")]
    assert len(renames) == 1
    at = renames[0]
    assert new_files and new_files <= {e.split()[1] for e in events[:at] if e.startswith("fsync ")}  # segments first
    assert any(e.startswith(f"fsync _{INDEX_NAME}_{toc.generation}.toc.") for e in events[:at])  # the TOC, before its rename
    assert events[at + 1] == f"fsync {ix.name}"  # the folder, right after


# --- a damaged index ------------------------------------------------------------------------


def damage(ix: Path, kind: str) -> None:
    seg = next(p for p in ix.iterdir() if p.suffix == ".seg")
    toc = next(p for p in ix.iterdir() if p.name.startswith(f"_{INDEX_NAME}_") and p.name.endswith(".toc"))
    if kind == "truncated segment":
        os.truncate(seg, seg.stat().st_size // 2)
    elif kind == "damaged tail":
        with open(seg, "r+b") as f:
            f.seek(-200, os.SEEK_END)
            f.write(random.Random(1).randbytes(200))
    elif kind == "garbage TOC":
        toc.write_bytes(random.Random(2).randbytes(1000))
    elif kind == "empty TOC":
        toc.write_bytes(b"")


KINDS = ["truncated segment", "damaged tail", "garbage TOC", "empty TOC"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_index_is_named_as_such_everywhere_and_rebuild_recovers_it(setup, kind):
    from web import create_app

    folder, ix = setup
    damage(ix, kind)
    advice = (f"the index in {ix} is damaged", f"nianbao verify --index {ix}", "--rebuild")
    for args in (["index", folder], ["search", "应急"], ["export", "-o", "-"], ["serve", "--port", "1"]):
        result = run(*args, "--index", ix)
        assert result.exit_code == 1, (args, result.output)
        one_clear_line(result, *advice)
    with pytest.raises(DamagedIndex) as e:
        create_app(ix, TESTING=True)
    assert all(text in str(e.value) for text in advice)

    verified = run("verify", "--index", ix)
    assert verified.exit_code == 1
    damaged = [line for line in verified.stdout.splitlines() if line.startswith("damaged: ")]
    assert damaged and not any(u in verified.output for u in UNCLEAR)

    rebuilt = run("index", folder, "--rebuild", "--index", ix)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "4 added" in rebuilt.stderr
    assert run("verify", "--index", ix).exit_code == 0
    assert len(agencies(ix)) == 4 and not (ix / "rebuild.tmp").exists()
    assert run("index", folder, "--index", ix).stderr.startswith("0 added, 0 updated, 0 removed, 4 unchanged")


def test_verify_finds_a_damaged_stored_record_that_opening_does_not(setup):
    folder, ix = setup
    with open_index(ix).searcher() as s:
        meta = next(v for v in s.reader().column_reader("meta", translate=False) if v)  # a report's JSON, stored as is
    seg = next(p for p in ix.iterdir() if p.suffix == ".seg")
    blob = seg.read_bytes()
    at = blob.index(meta)
    seg.write_bytes(blob[:at] + b"\xff" * 20 + blob[at + 20 :])
    open_index(ix)  # opens: the damage is inside one record, where only a full read finds it
    result = run("verify", "--index", ix)
    assert result.exit_code == 1
    assert [line.split(": ", 1)[1].split(":")[1:] for line in result.stdout.splitlines()] == [
        [" document 0", " its meta value cannot be read", " a file holds bytes Whoosh did not write there"]
    ]


def test_verify_finds_a_posting_block_header_whose_last_document_is_wrong(setup):
    """A block's docnums are counted back from the last one, which its header
    holds uncompressed (index/codec.py): a damaged header moves them all,
    and verify names the term."""
    import pickle

    from index.schema import raw_blocks

    folder, ix = setup
    with open_index(ix).reader() as reader:
        (leaf, _), = reader.leaf_readers()  # fmt: skip
        (header, data), = raw_blocks(leaf, leaf.term_info("kind", "report"))  # fmt: skip
    assert header[1] < 200
    seg = next(p for p in ix.iterdir() if p.suffix == ".seg")
    blob = seg.read_bytes()
    old, new = pickle.dumps(header, 2) + data, pickle.dumps((header[0], 200, *header[2:]), 2) + data
    assert blob.count(old) >= 1 and len(new) == len(old)  # terms of the same documents and weights have the same block
    seg.write_bytes(blob.replace(old, new))
    open_index(ix)  # opens: only reading the postings finds it
    result = run("verify", "--index", ix)
    assert result.exit_code == 1
    assert re.search(r"segment \S+: the postings of \w+:\S+ name document \d+ after -1, in a segment of \d+$", result.stdout.strip())


def test_verify_says_so_when_the_index_is_sound(setup):
    folder, ix = setup
    result = run("verify", "--index", ix)
    assert result.exit_code == 0 and result.stdout == "" and "is sound" in result.stderr


def test_a_failed_rebuild_leaves_the_old_index(setup, monkeypatch):
    folder, ix = setup
    before = sorted(os.listdir(ix))
    with monkeypatch.context() as m:
        fill_disk(m, lambda name: name.startswith(f"{INDEX_NAME}_"))
        result = run("index", folder, "--rebuild", "--index", ix)
    assert result.exit_code == 1
    one_clear_line(result, "No space left on device")
    assert sorted(os.listdir(ix)) == before and len(agencies(ix)) == 4


# --- a read-only index folder ------------------------------------------------------------------


def read_only(monkeypatch, folder: Path) -> None:
    """``folder`` as on a read-only mount: every write under it fails with EROFS,
    even for root (who ignores mode bits, so chmod alone would not do)."""
    inside = lambda p: Path(os.path.abspath(os.fsdecode(p))).is_relative_to(folder)  # noqa: E731

    def refuse(p):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(p))

    def guard(real, writes):
        def guarded(p, *args, **kwargs):
            if isinstance(p, (str, bytes, os.PathLike)) and inside(p) and writes(*args, **kwargs):
                refuse(p)
            return real(p, *args, **kwargs)

        return guarded

    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    monkeypatch.setattr(os, "open", guard(os.open, lambda flags, *a, **k: flags & write_flags))
    monkeypatch.setattr(builtins, "open", guard(builtins.open, lambda mode="r", *a, **k: any(c in mode for c in "wax+")))
    for name in ("mkdir", "remove", "unlink", "rmdir"):
        monkeypatch.setattr(os, name, guard(getattr(os, name), lambda *a, **k: True))
    monkeypatch.setattr(os, "rename", guard(os.rename, lambda *a, **k: True))


def test_a_read_only_index_is_refused_in_one_line_by_index_and_served_by_serve(fifth, monkeypatch):
    from web import create_app

    folder, ix = fifth
    read_only(monkeypatch, ix)
    result = run("index", folder, "--index", ix)
    assert result.exit_code == 1
    one_clear_line(result, f"cannot write the index in {ix}", "Read-only file system")

    client = create_app(ix, TESTING=True).test_client()
    for url in ("/", "/?q=应急", "/search.json?q=应急", "/stats", "/search.csv"):
        assert client.get(url).status_code == 200, url
    assert client.get("/search.json").get_json()["total"] == 4


# ---------------------------------------------------------------- an index of an earlier version


def test_an_index_with_other_fields_is_built_again(setup):
    """An index written when ``numbers`` held fewer figures (an earlier nianbao)
    cannot take today's documents: the next ``nianbao index`` builds it again
    with today's fields (search reads such an index meanwhile: test_agency)."""
    from whoosh import columns
    from whoosh.fields import COLUMN

    from index import schema as S
    folder, ix_dir = setup
    shutil.rmtree(ix_dir)
    old = S.make_schema()
    old.remove("numbers")
    old.add("numbers", COLUMN(columns.FixedBytesColumn(8 * (len(S.NUMBERS) - 1))))
    ix_dir.mkdir()
    SyncedStorage(str(ix_dir)).create_index(old, INDEX_NAME)

    assert S.layout(open_index(ix_dir).schema) != S.layout(S.make_schema())
    summary = build_index([folder], ix_dir, workers=1)
    assert len(summary.added) == 4 and not summary.failed
    assert S.layout(open_index(ix_dir).schema) == S.layout(S.make_schema())
    assert Engine(ix_dir).search(SearchRequest(q="应急管理局")).total >= 1
