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
from hypothesis import example, given, settings
from hypothesis import strategies as st
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


# ---------------------------------------------------------------- the write path at scale


def test_fast_analysis_gives_whooshs_postings():
    """The workers' analysis shortcut yields exactly what Whoosh's own field.index() does."""
    from index.build import analysis
    from index.schema import make_schema
    from index.segments import _fast_items

    texts = [p.read_text(encoding="utf-8") for p in SAMPLES] + [
        "ＡＢＣ　第5条 3.5% ⑩项 …… 淄博市（高新区）应急管理局", "a", "", "，。", "处理待处理"]
    schema = make_schema(analysis())
    fast_fields = 0
    for name in schema.names():
        field = schema[name]
        for text in texts:
            fast = _fast_items(field, text)
            if fast is None:
                break
            assert sorted(fast) == sorted(field.index(text)), (name, text[:20])
        else:
            fast_fields += 1
    assert fast_fields == 8  # body, body_bi, agency_words and the five place/sector fields


def _postings(ix) -> dict:
    """Every term's statistics and postings, and every document's field lengths."""
    with ix.reader() as r:
        out: dict = {
            (f, t): (ti.weight(), ti.doc_frequency(), ti.min_length(), ti.max_length(), ti.max_weight(),
                     ti.min_id(), ti.max_id(), list(r.postings(f, t).all_items()))
            for f, t in r.all_terms() for ti in [r.term_info(f, t)]
        }  # fmt: skip
        for name in ("body", "body_bi"):
            out[name] = [r.doc_field_length(d, name) for d in range(r.doc_count_all())]
        return out


def test_worker_segments_hold_whooshs_postings(tmp_path):
    """A segment written by FastSegmentWriter (postings pooled by term, written
    a block at a time), and one merged from two of those, read back exactly as
    what Whoosh's own writer writes for the same documents: term statistics,
    every posting with its positions, field lengths."""
    from whoosh import index as whoosh_index

    from index import segments
    from index.build import analysis
    from index.schema import make_schema

    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    docs = [
        {"kind": "report", "id": f"r{i}", "body": texts[i % 5][i * 7 : i * 7 + 300], "body_bi": texts[i % 5][i * 5 : i * 5 + 300],
         "province": "山东省" if i % 3 else "河南省", "year": 2019 + i % 5, "new_received": float(i % 17)}
        for i in range(300)
    ]  # fmt: skip
    schema = make_schema(analysis())

    def new_index(name: str):
        (tmp_path / name).mkdir()
        return whoosh_index.create_in(tmp_path / name, schema, "t")

    ix = new_index("whoosh")
    writer = ix.writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit(merge=False)
    want = _postings(whoosh_index.open_dir(tmp_path / "whoosh", "t"))
    assert max(v[1] for k, v in want.items() if isinstance(k, tuple)) > 128  # a term of several posting blocks

    ix = new_index("fast")
    halves = []
    for part in (docs[:150], docs[150:]):
        writer = segments.FastSegmentWriter(ix, "w")
        for doc in part:
            writer.add_document(**doc)
        halves.append(segments.finish_segment(writer))
    segments.commit_segments(segments.FastSegmentWriter(ix, "c", lock=True), halves)
    ix = whoosh_index.open_dir(tmp_path / "fast", "t")
    assert _postings(ix) == want  # two segments, read as one
    merged = segments.merge(ix, halves)
    segments.commit_segments(segments.FastSegmentWriter(ix, "c", lock=True), [], {s.segment_id(): merged for s in halves})
    ix = whoosh_index.open_dir(tmp_path / "fast", "t")
    assert len(ix._segments()) == 1
    assert _postings(ix) == want


def _per_doc(ix) -> dict:
    """Every live document's stored fields, columns and lengths, the field
    length totals, and every posting (whose docnums show the renumbering)."""
    with ix.reader() as r:
        names = [n for n, f in ix.schema.items() if f.column_type]
        out: dict = {"totals": {n: r.field_length(n) for n in ("body", "body_bi")}, "postings": _postings(ix)}
        out["docs"] = []
        for leaf, _ in r.leaf_readers():  # Whoosh's multi-segment column reader fails on a column some segments lack
            cols = {n: leaf.column_reader(n, translate=False) for n in names}
            out["docs"] += [
                (leaf.stored_fields(d), {n: cols[n][d] for n in names}, [leaf.doc_field_length(d, n) or 0 for n in ("body", "body_bi")])
                for d in range(leaf.doc_count_all()) if not leaf.is_deleted(d)
            ]  # fmt: skip
        return out


def test_a_merge_gives_what_whooshs_own_merge_gives(tmp_path, monkeypatch):
    """segments.merge (full posting blocks copied as they lie when none of
    their documents is deleted, columns read whole, stored fields copied still
    compressed) gives the very postings, term statistics, lengths, columns and
    stored fields that Whoosh's own merge (an optimizing commit) gives,
    deleted documents dropped."""
    from whoosh import index as whoosh_index
    from whoosh.codec.whoosh3 import W3Codec

    from index import codec, segments
    from index.build import analysis
    from index.schema import make_schema, pack_numbers

    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    docs = [
        {"kind": "report", "id": f"r{i}", "body": texts[i % 5][i * 7 : i * 7 + 200], "body_bi": texts[i % 5][i * 5 : i * 5 + 200],
         "year": 2019 + i % 3, "record": {"i": i, "text": texts[i % 5][: i % 50]}, "meta": f"m{i}".encode() * (i % 3),
         "numbers": pack_numbers({"year": 2000 + i}), **({"paragraphs": bytes(8) * (i % 5)} if i % 4 else {}),
         **({"agency": "某局"} if 150 <= i < 500 else {})}
        for i in range(800)
    ]  # fmt: skip
    # segment → docnums deleted.  Segment 1's first block of every term is gone, so its second one
    # is decoded: for "agency:某局" (only there) it opens the term, whose first docnum it holds.
    deleted = {0: (0, 7, 8, 149), 1: tuple(range(128))}
    copied = []
    monkeypatch.setattr(codec.PostingsWriter, "add_raw", lambda self, block, add=codec.PostingsWriter.add_raw: copied.append(block) or add(self, block))
    schema = make_schema(analysis())
    merged = {}
    for way in ("whoosh", "ours"):
        (tmp_path / way).mkdir()
        ix = whoosh_index.create_in(tmp_path / way, schema, "t")
        parts = []
        for part in (docs[:150], docs[150:500], docs[500:700]):
            writer = segments.FastSegmentWriter(ix, "w")
            for doc in part:
                writer.add_document(**doc)
            parts.append(segments.finish_segment(writer))
        for s, ds in deleted.items():
            for d in ds:
                parts[s].delete_document(d)
        segments.commit_segments(segments.FastSegmentWriter(ix, "c", lock=True), parts)
        writer = whoosh_index.open_dir(tmp_path / way, "t").writer()  # and one of Whoosh's codec, as an older index holds
        for doc in docs[700:]:
            writer.add_document(**doc)
        writer.commit(merge=False)
        ix = whoosh_index.open_dir(tmp_path / way, "t")
        parts = ix._segments()
        assert [type(s.codec()) for s in parts] == [codec.Codec] * 3 + [W3Codec]
        before = _per_doc(ix)
        if way == "whoosh":
            ix.writer().commit(optimize=True)
        else:
            one = segments.merge(ix, parts)
            segments.commit_segments(segments.FastSegmentWriter(ix, "c", lock=True), [], {s.segment_id(): one for s in parts})
        ix = whoosh_index.open_dir(tmp_path / way, "t")
        assert len(ix._segments()) == 1 and ix.doc_count_all() == len(docs) - 132
        merged[way] = _per_doc(ix)
        assert merged[way]["docs"] == before["docs"]
    assert merged["ours"] == merged["whoosh"]
    assert {d[0]["id"] for d in merged["ours"]["docs"]} == {f"r{i}" for i in [*range(1, 7), *range(9, 149), *range(278, 800)]}
    # Segment 2's first block of "kind:report" (from 146 + 350 - 128), and others, were copied.
    assert 368 + 127 in {b.last for b in copied} and len(copied) > 1


@settings(max_examples=8, deadline=None)
@example(segments=[(300, [(0, 128)])])  # a term's first block all deleted, its next one whole
@example(segments=[(300, [(5, 3)]), (300, [(0, 128), (200, 10)]), (150, [(0, 150)])])
@given(segments=st.lists(st.tuples(st.integers(1, 300), st.lists(st.tuples(st.integers(0, 300), st.integers(1, 200)), max_size=3)), min_size=1, max_size=3))
def test_any_merge_gives_what_whooshs_own_merge_gives(segments):
    """Segments of any size with any runs of documents deleted (whole blocks,
    the start of a term, all of a segment): a merge gives what Whoosh's own
    merge gives (see the test above)."""
    import tempfile

    from whoosh import index as whoosh_index

    from index import segments as seg
    from index.build import analysis
    from index.schema import make_schema

    schema, merged = make_schema(analysis()), {}
    for way in ("whoosh", "ours"):
        with tempfile.TemporaryDirectory() as folder:
            ix, parts, n = whoosh_index.create_in(folder, schema, "t"), [], 0
            for size, runs in segments:
                writer = seg.FastSegmentWriter(ix, "w")
                for i in range(n, n + size):
                    words = [f"w{k}" for k in (1, 2, 3, 7, 50, 300) if i % k == 0] + [f"at{i // 150}"]
                    writer.add_document(kind="report", id=f"r{i}", body=" ".join(words), record={"i": i})
                n += size
                part = seg.finish_segment(writer)
                if part is not None:
                    for start, length in runs:
                        for d in range(start, min(start + length, size)):
                            part.delete_document(d)
                    parts.append(part)
            seg.commit_segments(seg.FastSegmentWriter(ix, "c", lock=True), parts)
            ix = whoosh_index.open_dir(folder, "t")
            if way == "whoosh":
                ix.writer().commit(optimize=True)
            elif parts:
                one = seg.merge(ix, parts)
                seg.commit_segments(seg.FastSegmentWriter(ix, "c", lock=True), [], {s.segment_id(): one for s in parts})
            merged[way] = _per_doc(whoosh_index.open_dir(folder, "t"))
    assert merged["ours"] == merged["whoosh"]


def test_deletions_do_not_move_a_segment_into_the_merges_of_smaller_ones():
    """A re-crawl that changes a tenth of the reports deletes a tenth of each
    large segment's documents: it still counts as its full size, and is merged
    with the small ones only once most of it is deleted."""
    from dataclasses import dataclass

    from index.segments import MERGE_BASE, MERGE_FACTOR, pick_merge

    @dataclass(frozen=True)
    class Segment:
        total: int
        live: int

        def doc_count_all(self) -> int:
            return self.total

        def doc_count(self) -> int:
            return self.live

    small = [Segment(MERGE_BASE, MERGE_BASE) for _ in range(MERGE_FACTOR - 1)]
    large = MERGE_BASE * MERGE_FACTOR
    assert pick_merge([*small, Segment(large, large * 9 // 10)]) == []
    assert pick_merge([Segment(large, large * 4 // 10), *small]) == [*small, Segment(large, large * 4 // 10)]


def test_same_named_agencies_of_two_cities_are_two_reports(tmp_path):
    from benchmarks.corpus import make_corpus

    expected = make_corpus(tmp_path / "c", 10, seed=2)
    twins = [e for e in expected if sum(x.agency == e.agency and x.year == e.year for x in expected) > 1]
    assert len(twins) >= 2
    assert all(len({x.region for x in twins if (x.agency, x.year) == (e.agency, e.year)}) > 1 for e in twins)
    summary = build_index([tmp_path / "c"], tmp_path / "ix")
    assert summary.reports == 10 and not summary.failed
    engine = Engine(tmp_path / "ix")
    try:
        hits = engine.search(SearchRequest(q=f'agency:"{twins[0].agency}"', per_page=100)).hits
        got = {(h.region["province"], h.region["city"]) for h in hits if h.agency == twins[0].agency and h.year == twins[0].year}
        assert got == {e.region[:2] for e in twins if e.agency == twins[0].agency}
    finally:
        engine.close()


def test_a_file_name_that_is_not_utf8_is_indexed(corpus, tmp_path):
    """A GBK name from an unzipped archive reaches Python as surrogate escapes."""
    name = os.fsdecode("临淄".encode("gbk") + b"-2020.txt")
    shutil.copy(corpus / "zibo-linzi-yingji-2020.txt", corpus / name)
    (corpus / "zibo-linzi-yingji-2020.txt").unlink()
    summary = build_index([corpus], tmp_path / "ix")
    assert not summary.failed and summary.reports == 5
    assert any(p.endswith(name) for p in summary.added)
    assert reports(tmp_path / "ix")["临淄区应急管理局"] == [name]
    assert len(build_index([corpus], tmp_path / "ix").unchanged) == 5


def test_parser_version_bump_reparses_without_hashing(corpus, tmp_path, monkeypatch):
    """The indexer trusts the recorded hash of a file whose size and mtime are
    unchanged (the parser still hashes what it reads, for the report's source)."""
    import index.build as build

    ix = tmp_path / "ix"
    build_index([corpus], ix)

    def no_hashing(*_):
        raise AssertionError("hashed a file whose size and mtime are as recorded")

    monkeypatch.setattr(build, "PARSER_VERSION", build.PARSER_VERSION + 1)
    monkeypatch.setattr(build, "content_hash", no_hashing)  # the workers are forked: they inherit it
    bumped = build_index([corpus], ix)
    assert len(bumped.updated) == 5 and not bumped.failed and bumped.reports == 5
    assert len(build_index([corpus], ix).unchanged) == 5


def test_a_run_with_nothing_changed_writes_nothing(corpus, tmp_path):
    from whoosh.index import open_dir

    ix = tmp_path / "ix"
    build_index([corpus], ix)
    before = open_dir(ix, "reports").latest_generation()
    files = sorted(p.name for p in ix.iterdir())
    assert len(build_index([corpus], ix).unchanged) == 5
    assert open_dir(ix, "reports").latest_generation() == before
    assert sorted(p.name for p in ix.iterdir()) == files


def test_many_batches_and_merges_keep_one_document_per_report(tmp_path, monkeypatch):
    """Commits every few files and merges every two segments, with files changed,
    duplicated and deleted between runs: the index still holds each report once,
    with the right sources, and one source document per file."""
    import index.segments as segments
    from benchmarks.corpus import make_corpus
    from whoosh.index import open_dir

    monkeypatch.setattr(segments, "MERGE_BASE", 2)
    monkeypatch.setattr(segments, "MERGE_FACTOR", 2)
    folder = tmp_path / "c"
    expected = make_corpus(folder, 40, seed=4)
    ix = tmp_path / "ix"
    first = build_index([folder], ix, batch_size=6)
    assert first.reports == 40 and len(first.added) == 40

    for e in expected[:5]:
        e.path.unlink()
    shutil.copy(expected[5].path, folder / "copy-of-5.txt")
    changed = expected[6].path
    changed.write_text(changed.read_text(encoding="utf-8").replace("一、总体情况", "一、总体情况\n本年度新增一项独特事项甲乙丙。", 1), encoding="utf-8")
    second = build_index([folder], ix, batch_size=3)
    assert (len(second.removed), len(second.added), len(second.updated)) == (5, 1, 1)
    assert second.reports == 35

    index = open_dir(ix, "reports")
    with index.searcher() as s:
        kinds = [f["kind"] for f in s.all_stored_fields()]
        ids = [f["id"] for f in s.all_stored_fields() if f["kind"] == "report"]
        sources = {f["id"]: f["record"]["sources"] for f in s.all_stored_fields() if f["kind"] == "report"}
    assert kinds.count("source") == 36 and len(ids) == len(set(ids)) == 35
    assert sorted(len(v) for v in sources.values()) == [1] * 34 + [2]
    assert len(index._segments()) < 10  # merged as it went
    assert set(reports(ix, "独特事项甲乙丙")) == {expected[6].agency}


def test_a_file_over_its_parse_budget_is_failed_with_the_limit_and_the_run_goes_on(corpus, tmp_path):
    # A budget no real parse fits in: every file hits it for real, in its worker,
    # and each is reported with the limit; the workers survive to take the next file.
    index_dir = tmp_path / "ix"
    summary = build_index([corpus], index_dir, workers=1, file_seconds=1e-6)
    reasons = dict(summary.failed)
    assert len(reasons) == len(SAMPLES) and not summary.added
    assert set(reasons.values()) == {"took longer than 1e-06 s"}
    # With the default budget the same files are indexed: the budget was the cause.
    again = build_index([corpus], tmp_path / "ix2", workers=1)
    assert len(again.added) == len(SAMPLES) and not again.failed


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_a_stored_report_maps_offsets_as_a_fresh_parse_without_normalising_again(sample, monkeypatch):
    """The index keeps each report's offset map (``Report.to_stored``), so showing a
    hit does not normalise its text again; the map is the one the parse made."""
    import index.model
    from index.model import Report
    from index.parse import parse_file

    fresh = parse_file(sample)
    stored = fresh.to_stored()
    monkeypatch.setattr(index.model, "normalize", lambda *_: pytest.fail("normalised again"))
    again = Report.from_dict(stored)
    assert len(again.offsets) == len(fresh.offsets) == len(fresh.text)
    assert all(again.offsets[i] == fresh.offsets[i] for i in range(len(fresh.text)))
    assert again.passages == fresh.passages


def test_no_reader_maps_the_index_into_memory(corpus, tmp_path, monkeypatch):
    """Whoosh copies a memory-mapped segment file into RAM per reader (storage.py):
    the indexer, its workers and search all read through the file instead."""
    import types

    from whoosh.filedb import compound

    def refuse(*args, **kwargs):
        raise AssertionError("a segment was memory-mapped")

    monkeypatch.setattr(compound, "mmap", types.SimpleNamespace(mmap=refuse, ACCESS_READ=1, error=OSError))
    build_index([corpus], tmp_path / "ix", workers=1)  # the workers are forked: the patch holds there too
    assert Engine(tmp_path / "ix").search(SearchRequest(q="应急管理局")).total >= 1
    assert build_index([corpus], tmp_path / "ix", workers=1).unchanged
