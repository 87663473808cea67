"""The Whoosh schema: what of a report is searchable, filterable and stored.

One index holds two kinds of documents (``kind``):

- ``report``: one per report, however many files it was read from.  Its text is
  indexed twice, as jieba words (``body``, ranking and phrases) and as CJK
  bigrams (``body_bi``, any substring of 2+ characters finds it).  The numbers
  people filter on are NUMERIC fields (a null is simply absent, so
  ``withheld:0`` never matches an unknown).  Two columns are what search reads
  for every report of a result set (facets, sorting), loaded once per segment
  into arrays: ``labels`` (the facet strings, :data:`LABELS`) and ``numbers``
  (:data:`NUMBERS` as little-endian float64, NaN where not printed).
  ``meta`` (JSON) has what a hit shows, read for the hits of one page;
  ``data`` is the whole parsed report, read only for the hits shown.
  ``paragraphs`` holds one fingerprint per narrative paragraph, for comparing
  an agency's years without reading their text.
- ``source``: one per file, the indexer's memory of what it has read (bytes
  hash, size, mtime, which report it became, or why it failed), in the
  ``source_record`` column: a column, because the indexer reads every one of
  them at start (100 000 stored-field reads take longer than the rest of a
  no-change run).  Keeping them in the same index makes each commit atomic:
  files and reports never disagree.
"""

from __future__ import annotations

import io
import itertools
import math
import pickle
import struct
import zlib
from collections.abc import Iterator, Sequence

from whoosh import columns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.system import _INT_SIZE

from index.analysis import Analysis
from index.codec import copies_blocks, decode_ids
from index.region import place_path
from index.template import KEY_FIGURES

# Place and sector fields answer "province:山东" as a substring of "山东省".
TEXT_FIELDS = ("agency", "province", "city", "county", "sector")
NUMERIC_FIELDS = ("year", *KEY_FIGURES)
FACET_FIELDS = ("year", "province", "city", "county", "agency", "sector", "template", "consistent")
# The ``labels`` column: these strings joined by LABEL_SEP ("" when unknown).
# City and county are place paths (``index.region.place_path``: 福建省/福州市/鼓楼区),
# so two counties of one name in two cities are two facet values.
LABELS = ("agency", "province", "city", "county", "sector", "template", "agency_key")
LABEL_SEP = "\x1f"  # ASCII unit separator: never in a printed name
# The ``numbers`` column: year, consistent (1/0), the headline figures, how many
# versions (differing files) the report has, then the one-report red flags (1/0,
# index/flags.py) and the hash of every table value.
NUMBERS = ("year", "consistent", *KEY_FIGURES, "versions", "signature_date", "period_year", "tables_hash")
NUMBERS_DTYPE = "<f8"
_NUMBERS = struct.Struct(f"<{len(NUMBERS)}d")


def pack_labels(values: dict[str, str | None]) -> bytes:
    """The ``labels`` blob of a report's meta (its names, as stored in ``meta``)."""
    province, city, county = (values.get(k) for k in ("province", "city", "county"))
    paths = {"city": place_path(province, city) if city else "", "county": place_path(province, city, county) if county else ""}
    return LABEL_SEP.join((paths.get(name, values.get(name)) or "").replace(LABEL_SEP, " ") for name in LABELS).encode("utf-8")


def pack_numbers(values: dict[str, float | bool | None]) -> bytes:
    return _NUMBERS.pack(*(math.nan if values.get(name) is None else float(values[name]) for name in NUMBERS))


def column_bytes(leaf, name: str) -> tuple[bytes, Sequence[int]]:
    """A ``VarBytesColumn``'s values in one segment as they lie in the file, one
    after another (as the reader's own ``__iter__`` assumes), and each
    document's length, in a few reads.  Whoosh's column reader reads each
    document's value with a file read of its own (through the compound file),
    and on opening computes every value's offset in a Python loop, unless the
    segment holds more than 32 768 documents; over 100 000 reports and their
    source records, such columns took seconds before a server's first answer
    and an indexing run's first look."""
    assert isinstance(leaf.schema[name].column_type, columns.VarBytesColumn), name  # whoosh is pinned: its layout is known
    return _var_bytes(leaf, name)


def _var_bytes(leaf, name: str) -> tuple[bytes, Sequence[int]]:
    dbfile, basepos, size = leaf._perdoc._get_column_file(name)
    doccount = leaf.doc_count_all()
    # The layout VarBytesColumn.Reader reads: values, [offsets, their type code,] lengths, their type code[, "X"].
    last = basepos + size - 1
    code = chr(dbfile.get_byte(last))
    if code == "X":  # offsets were written too: they sit between the lengths and the type codes
        code, last = chr(dbfile.get_byte(last - 2)), last - 2 - doccount * struct.calcsize(chr(dbfile.get_byte(last - 1)))
    lengths = dbfile.get_array(last - struct.calcsize(code) * doccount, code, doccount)
    data = dbfile.get(basepos, sum(lengths)) if doccount else b""
    dbfile.close()
    return data, lengths


def column_values(leaf, name: str) -> list[bytes]:
    """Every document's value of a ``VarBytesColumn`` in one segment, in order (see :func:`column_bytes`)."""
    return _split(*column_bytes(leaf, name))


def stored_bytes(leaf) -> list[bytes]:
    """Every document's stored fields in one segment as Whoosh keeps them, a
    pickled dict deflated (b"" for none): its ``_stored`` column, a
    ``CompressedBytesColumn``, laid out as a ``VarBytesColumn`` is.  For a
    merge to copy without unpickling and compressing them again."""
    return _split(*_var_bytes(leaf, "_stored"))


def _split(data: bytes, lengths: Sequence[int]) -> list[bytes]:
    ends = list(itertools.accumulate(lengths))
    return list(map(data.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def fixed_column(leaf, name: str) -> bytes:
    """Every document's value of a ``FixedBytesColumn`` in one segment, joined (see :func:`column_values`)."""
    reader = leaf.column_reader(name, translate=False)
    assert isinstance(reader, columns.FixedBytesColumn.Reader), reader
    written = reader._count * reader._fixedlen  # the documents after the last one written hold the default
    return reader._dbfile.get(reader._basepos, written) + reader._default * (reader._doccount - reader._count)


def length_bytes(perdoc, fieldname: str, doccount: int) -> bytes | None:
    """A segment's length byte per document for one scored field (Whoosh's
    ``_<field>_L`` column, ``whoosh.util.numeric.byte_to_length`` of each is
    the length), read in one go; None when the segment has no such column.
    ``perdoc``: the segment's per-document reader."""
    reader = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if reader is None:
        return None
    # documents after the last one written have the default
    return reader._dbfile.get(reader._basepos, reader._count) + bytes([reader._default]) * (doccount - reader._count)


def field_lengths(leaf) -> dict[str, bytes]:
    """One segment's :func:`length_bytes` of every scored field, keyed as
    Whoosh keys its length columns (``_body_L``): what BM25 reads for each
    matching document, which Whoosh reads from the file one document at a time."""
    out, n = {}, leaf.doc_count_all()
    for name, field in leaf.schema.items():
        if field.scorable and (raw := length_bytes(leaf._perdoc, name, n)) is not None:
            out[_lenfield(name)] = raw
    return out


def posting_blocks(leaf, fieldname: str, btext: bytes) -> Iterator[tuple[Sequence[int], Sequence[float], Sequence]]:
    """One term's postings in one segment, a block at a time: (docnums,
    weights, values), deleted documents included: what Whoosh's matcher of
    the term gives, posting by posting (a test compares them)."""
    terms = leaf._terms
    yield from term_blocks(leaf, terms.term_info(fieldname, btext), leaf.schema[fieldname].format.fixed_value_size())


def segment_terms(leaf) -> Iterator[tuple[str, bytes, object]]:
    """Every term of one segment with its term info (``W3TermInfo``), in
    ``leaf.all_terms()`` order, read in the terms file's order: looking each
    term up (``term_info``, ``matcher``) cost a hash probe and reads of its
    posting header a byte or so at a time, most of a merge's reading."""
    schema = leaf.schema
    for (fieldname, btext), info in leaf._terms.items():
        if fieldname in schema:
            yield fieldname, btext, info


def raw_blocks(leaf, info) -> Iterator[tuple[tuple, bytes]]:
    """The blocks of one term's postings (``info``, its ``W3TermInfo``, not
    inlined) as they lie: Whoosh's block header (count, last docnum, max
    weight, compression, min and max length bytes) and the data.  A block is
    one read and its header is unpickled from memory: Whoosh's matcher reads
    the header from the file a byte or so at a time."""
    postfile = leaf._terms._postfile
    offset, _ = info.extent()
    position = offset + len(WHOOSH3_HEADER_MAGIC)
    while True:
        length = postfile.get_int(position)
        block = postfile.get(position + _INT_SIZE, abs(length))
        header = io.BytesIO(block)
        yield pickle.load(header), block[header.tell() :]
        if length < 0:  # the last block
            return
        position += _INT_SIZE + length


def decode_block(header: tuple, data: bytes, fixed: int | None, relative: bool) -> tuple[list[int], Sequence[float], Sequence]:
    """A block's (docnums, weights, values), as Whoosh's ``W3LeafMatcher``
    gives them; ``fixed``: the format's ``fixed_value_size()``; ``relative``:
    docnums stored by :func:`index.codec.encode_ids` (else as Whoosh stores
    them, deltas from 0)."""
    count, last, _, compression, _, _ = header
    deltas, weights, values = pickle.loads(zlib.decompress(data) if compression else data)
    if weights is None or isinstance(weights, float):
        weights = [1.0 if weights is None else weights] * count
    if fixed == 0:
        values = (None,) * count
    elif fixed is not None and fixed > 0:
        values = tuple(values[i : i + fixed] for i in range(0, len(values), fixed))
    return (decode_ids(deltas, last) if relative else list(itertools.accumulate(deltas))), weights, values


def term_blocks(leaf, info, fixed: int | None) -> Iterator[tuple[Sequence[int], Sequence[float], Sequence]]:
    """The postings of one term (``info``) a block at a time, decoded
    (:func:`decode_block`; postings inlined in the term info as Whoosh's
    ``ListMatcher`` gives them)."""
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        yield ids, weights or (1.0,) * len(ids), values or (None,) * len(ids)
        return
    relative = copies_blocks(leaf)
    for header, data in raw_blocks(leaf, info):
        yield decode_block(header, data, fixed, relative)


def term_postings(leaf, fieldname: str, btext: bytes, values: bool = True) -> tuple[list, list, list]:
    """(docnums, weights, values) of one term in one segment, deleted documents
    included, read a block at a time (:func:`posting_blocks`; Whoosh's matcher
    is one call per posting); ``values=False`` leaves the values list empty."""
    return _joined(posting_blocks(leaf, fieldname, btext), values)


def _joined(blocks, values: bool = True) -> tuple[list, list, list]:
    """Blocks of (docnums, weights, values) as one of each; the values left out unless ``values``."""
    ids: list = []
    weights: list = []
    out: list = []
    for i, w, v in blocks:
        ids += i
        weights += w
        if values:
            out += v
    return ids, weights, out


def make_schema(analysis: Analysis | None = None) -> Schema:
    word, bigram = (analysis or Analysis()).analyzers()
    fields = {
        "kind": ID(stored=True),
        "id": ID(unique=True, stored=True),
        "body": TEXT(analyzer=word, phrase=True),
        "body_bi": TEXT(analyzer=bigram, phrase=True),
        "agency_words": TEXT(analyzer=word, phrase=True, field_boost=3.0),
        "meta": COLUMN(columns.VarBytesColumn()),
        "labels": COLUMN(columns.VarBytesColumn()),
        "numbers": COLUMN(columns.FixedBytesColumn(8 * len(NUMBERS))),
        "data": STORED(),
        "record": STORED(),
        "source_record": COLUMN(columns.VarBytesColumn()),
        "paragraphs": COLUMN(columns.VarBytesColumn()),  # 8-byte fingerprints (index/paragraphs.py)
    }
    for name in TEXT_FIELDS:
        fields[name] = TEXT(analyzer=bigram, phrase=True, field_boost=3.0 if name == "agency" else 1.0)
    # shift_step=0: one term per number.  Whoosh's default adds 15 coarser
    # "trie" terms per number for its own range queries; ours read only the
    # full-precision terms (search.query.ExactRange), and 19 numbers × 16 terms
    # were a seventh of every report's postings.
    fields["year"] = NUMERIC(int, signed=False, shift_step=0)
    for name in KEY_FIGURES:
        fields[name] = NUMERIC(float, signed=True, shift_step=0)
    return Schema(**fields)


def layout(schema: Schema) -> dict[str, tuple]:
    """What reading an index depends on, field by field: the field's kind, how its
    postings are stored, its numeric trie step and a fixed column's width.  An
    index whose layout is not :func:`make_schema`'s was written by another
    version: search still reads it (what a column lacks comes from ``meta``),
    but this version's documents would not fit it, so the indexer builds it
    again."""
    out = {}
    for name in schema.names():
        f = schema[name]
        column = f.column_type
        out[name] = (
            type(f).__name__,
            type(f.format).__name__ if f.format else None,
            getattr(f, "shift_step", None),
            type(column).__name__ if column else None,
            getattr(column, "_fixedlen", None),
        )
    return out
