"""A segment's columns and postings read in bulk (``index.schema``) equal what
Whoosh's own readers give, and the label codes search builds from them
(``search.columns``) name every document's values."""

import numpy as np
import pytest
from whoosh import columns, fields, index

from index.schema import LABEL_SEP, LABELS, column_values, posting_blocks, segment_terms, term_blocks, term_postings
from search.columns import NONE, _label_codes


def one_segment(ix):
    (leaf, _), = ix.reader().leaf_readers()  # fmt: skip
    return leaf


# Whoosh writes each value's offset only in a segment of more documents than
# the cutoff; below it, the reader derives them from the lengths.
@pytest.mark.parametrize("cutoff", [2**15, 3])
def test_a_var_bytes_column_reads_as_whooshs_own(tmp_path, cutoff):
    schema = fields.Schema(id=fields.ID(stored=True), blob=fields.COLUMN(columns.VarBytesColumn(write_offsets_cutoff=cutoff)))
    ix = index.create_in(str(tmp_path), schema)
    values = [b"", "甲".encode(), b"x" * 300, b"", "乙丙".encode()]
    with ix.writer() as w:
        for n, v in enumerate(values):
            w.add_document(id=str(n), blob=v)
        w.add_document(id="none")  # after the last value written: the column's default
    leaf = one_segment(ix)
    reader = leaf.column_reader("blob", translate=False)
    assert reader.had_stored_offsets == (cutoff < len(values) + 1)
    whooshs = list(reader)
    assert whooshs == values + [b""]
    assert column_values(leaf, "blob") == whooshs
    leaf.close()


def test_term_postings_read_every_block_deleted_documents_included(tmp_path):
    ix = index.create_in(str(tmp_path), fields.Schema(kind=fields.ID, body=fields.TEXT(phrase=True)))
    with ix.writer() as w:
        for n in range(300):  # more than one block of 128 postings
            w.add_document(kind="report" if n % 3 else "source", body=f"w{n} common common")
    with ix.writer() as w:
        w.delete_document(4)
        w.delete_document(5)
    leaf = one_segment(ix)
    assert leaf.has_deletions()
    ids, weights, values = term_postings(leaf, "kind", b"report")
    assert ids == [n for n in range(300) if n % 3]  # 4 and 5 as well
    ids, weights, values = term_postings(leaf, "body", b"common")
    assert ids == list(range(300)) and set(weights) == {2.0}
    m, whooshs = leaf.postings("body", "common"), []  # Whoosh's matcher leaves the deleted out
    while m.is_active():
        whooshs.append((m.id(), m.weight(), m.value()))
        m.next()
    assert [p for p in zip(ids, weights, values) if p[0] not in (4, 5)] == whooshs
    assert leaf.schema["body"].format.decode_positions(values[0]) == [1, 2]
    assert term_postings(leaf, "body", b"w7")[0] == [7]  # a term in one document: its posting is in the term's entry
    leaf.close()


@pytest.mark.parametrize("codec", ["whoosh", "nianbao"])
def test_every_terms_postings_read_as_whooshs_matcher_reads_them(tmp_path, codec):
    # Every kind of field: positions (TEXT), none (ID), numbers; varied weights,
    # terms of one, a few and several blocks of postings; segments of Whoosh's
    # own codec (an index written before index.codec) and of ours.
    from index.codec import Codec

    schema = fields.Schema(kind=fields.ID, body=fields.TEXT(phrase=True), n=fields.NUMERIC(int, shift_step=0))
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer(**({"codec": Codec()} if codec == "nianbao" else {})) as w:
        for n in range(700):
            w.add_document(kind=f"k{n % 4}", body=" ".join(["every"] * (1 + n % 5) + [f"w{n % 50}", f"only{n}"]), n=n % 9)
    leaf = one_segment(ix)
    assert (type(leaf.codec()) is Codec) == (codec == "nianbao")
    terms = list(leaf.all_terms())
    assert len(terms) > 700
    ids, weights, _ = term_postings(leaf, "body", b"every")
    assert ids == list(range(700)) and weights == [1.0 + n % 5 for n in range(700)]
    assert term_postings(leaf, "kind", b"k3")[0] == list(range(3, 700, 4))
    for fieldname, btext in terms:
        m, whooshs = leaf.postings(fieldname, btext), []
        while m.is_active():
            whooshs.append((m.id(), m.weight(), m.value()))
            m.next()
        assert list(zip(*term_postings(leaf, fieldname, btext))) == whooshs, (fieldname, btext)
    # All of them at once, in the same order, as a merge reads them.
    assert [(f, t) for f, t, _ in segment_terms(leaf)] == terms
    fixed = {name: leaf.schema[name].format.fixed_value_size() for name in leaf.schema.names()}
    assert all([*term_blocks(leaf, info, fixed[f])] == [*posting_blocks(leaf, f, t)] for f, t, info in segment_terms(leaf))
    leaf.close()


def blob(*values: str) -> bytes:
    return LABEL_SEP.join(values).encode("utf-8")


def test_label_codes_name_each_documents_values():
    width = len(LABELS)
    full = blob("甲局", "山东省", *[""] * (width - 2))
    other = blob("乙局", "", "山东省/济南市", *[""] * (width - 3))
    short = blob("丙局", "河南省")  # written by a version with fewer labels: the rest unknown
    docs = [full, b"", other, full, short]
    values, codes = _label_codes(docs)
    assert codes.shape == (width, len(docs))

    def named(doc: int) -> list[str | None]:
        return [values[j][c] if c != NONE else None for j, c in enumerate(codes[:, doc])]

    assert named(0) == named(3) == ["甲局", "山东省", *[None] * (width - 2)]
    assert named(1) == [None] * width  # a source record's empty blob
    assert named(2) == ["乙局", None, "山东省/济南市", *[None] * (width - 3)]
    assert named(4) == ["丙局", "河南省", *[None] * (width - 2)]
    assert values[0] == ("甲局", "乙局", "丙局") and values[1] == ("山东省", "河南省")


def test_label_codes_of_no_documents():
    values, codes = _label_codes([])
    assert codes.shape == (len(LABELS), 0) and all(v == () for v in values)
    values, codes = _label_codes([b"", b""])
    assert (codes == NONE).all() and codes.dtype == np.int32
