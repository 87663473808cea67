"""``nianbao verify``: can every part of the index be read back?

    problems = verify_index("var/index")   # [] when sound, None when there is no index

It reads what a search, a report page or the indexer could ever read: the
table of contents (TOC), then for every segment its files, every term and
posting, the stored fields of every document and every column value; the
stored report (``data``) and the JSON of ``meta`` and ``source_record`` are
decoded too.  Each problem is one plain line naming the segment and what
could not be read; at most :data:`PER_SEGMENT` are listed per segment (a
damaged file usually makes every later read fail the same way).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from whoosh.index import TOC
from whoosh.reading import SegmentReader

from index.build import INDEX_NAME, unpack
from index.storage import open_storage, plain, toc_problem

PER_SEGMENT = 5
JSON_COLUMNS = ("meta", "source_record")


def verify_index(index_dir: str | Path, on_problem: Callable[[str], None] = lambda _: None) -> list[str] | None:
    """Every problem found, each also passed to ``on_problem`` as it is found."""
    index_dir = Path(index_dir)
    problems: list[str] = []

    def problem(text: str) -> None:
        problems.append(text)
        on_problem(text)

    if not index_dir.is_dir():
        return None
    store = open_storage(index_dir)
    generation = TOC._latest_generation(store, INDEX_NAME)
    if generation < 0:
        return None
    toc_name = TOC._filename(INDEX_NAME, generation)
    try:
        toc = TOC.read(store, INDEX_NAME)
    except Exception as e:
        problem(toc_problem(index_dir, toc_name, e))
        return problems
    present = set(store.list())
    for segment in toc.segments:
        found: list[str] = []
        _check_segment(store, toc.schema, segment, present, found.append)
        for text in found[:PER_SEGMENT]:
            problem(f"segment {segment.segment_id()}: {text}")
        if len(found) > PER_SEGMENT:
            problem(f"segment {segment.segment_id()}: and {len(found) - PER_SEGMENT} more problems")
    return problems


def _check_segment(store, schema, segment, present: set[str], problem: Callable[[str], None]) -> None:
    name = segment.segment_id()
    if not any(f.startswith(name + ".") for f in present):
        problem("its files are missing")
        return
    try:
        reader = SegmentReader(store, schema, segment)
    except Exception as e:
        problem(f"cannot be opened: {plain(e)}")
        return
    try:
        try:
            _check_postings(reader, problem)
        except Exception as e:
            problem(f"its terms and postings cannot be read to the end: {plain(e)}")
        columns = {}
        for field in (f for f in schema.names() if schema[f].column_type and reader.has_column(f)):
            try:
                columns[field] = reader.column_reader(field, translate=False)
            except Exception as e:
                problem(f"column {field} cannot be opened: {plain(e)}")
        for docnum in reader.all_doc_ids():
            _check_document(reader, columns, docnum, problem)
    finally:
        reader.close()


def _check_postings(reader, problem: Callable[[str], None]) -> None:
    """Every term's postings, in file order: each names a document of the
    segment, in ascending order.  (A posting block's docnums are counted
    from the last one its header holds, see ``index/codec.py``: a damaged
    header would move them all.)"""
    n, term, previous = reader.doc_count_all(), None, -1
    for fieldname, text, docnum, _, _ in reader.iter_postings():
        if (fieldname, text) != term:
            term, previous = (fieldname, text), -1
        if not previous < docnum < n:
            word = reader.schema[fieldname].from_bytes(text)  # a word, or a number
            problem(f"the postings of {fieldname}:{word} name document {docnum} after {previous}, in a segment of {n}")
            return
        previous = docnum


def _check_document(reader, columns: dict, docnum: int, problem: Callable[[str], None]) -> None:
    try:
        stored = reader.stored_fields(docnum)
        if "data" in stored:
            unpack(stored["data"])
    except Exception as e:
        problem(f"document {docnum}: its stored fields cannot be read: {plain(e)}")
    for field, column in columns.items():
        try:
            value = column[docnum]
            if field in JSON_COLUMNS and value:
                json.loads(value.decode("utf-8", "surrogateescape"))
        except Exception as e:
            problem(f"document {docnum}: its {field} value cannot be read: {plain(e)}")
