"""The query language: parsing, the account of it, and what it finds in a real index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as windex
from whoosh import query as Q

from index.analysis import fold, simplify, variants
from index.schema import make_schema
from search.query import MAX_LITERAL, MAX_TERMS, Clause, ExactRange, ParsedQuery, compile_query, parse_query
from search.phrase import ExactPhrase

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def texts(parsed: ParsedQuery) -> list[list[tuple[str, bool]]]:
    """The OR-groups as (value, negated) pairs, for compact assertions."""
    return [[(c.value, c.negated) for c in group] for group in parsed.clauses]


def only(parsed: ParsedQuery) -> Clause:
    assert len(parsed.clauses) == 1 and len(parsed.clauses[0]) == 1, parsed.clauses
    return parsed.clauses[0][0]


# --------------------------------------------------------------------------
# Parsing


def test_and_is_the_default():
    p = parse_query("应急管理 行政处罚")
    assert texts(p) == [[("应急管理", False)], [("行政处罚", False)]]
    assert p.notes == []
    assert texts(parse_query("应急管理行政处罚")) == [[("应急管理行政处罚", False)]]
    assert texts(parse_query("应急 AND 处罚")) == [[("应急", False)], [("处罚", False)]]


def test_or_binds_tighter_than_and():
    assert texts(parse_query("a b OR c d")) == [[("a", False)], [("b", False), ("c", False)], [("d", False)]]
    assert texts(parse_query("a|b c")) == [[("a", False), ("b", False)], [("c", False)]]
    assert texts(parse_query("a OR b OR c")) == [[("a", False), ("b", False), ("c", False)]]
    # Lower-case "or" is a word.
    assert texts(parse_query("a or b")) == [[("a", False)], [("or", False)], [("b", False)]]


@pytest.mark.parametrize("q, phrase", [
    ('"行政 处罚 决定" 应急', "行政 处罚 决定"),
    ("“行政 处罚 决定” 应急", "行政 处罚 决定"),
    ("「行政 处罚 决定」 应急", "行政 处罚 决定"),
    ('“行政 处罚 决定" 应急', "行政 处罚 决定"),
])
def test_quotes_make_one_literal(q, phrase):
    p = parse_query(q)
    assert texts(p) == [[(phrase, False)], [("应急", False)]]
    assert p.notes == []


def test_a_quote_ends_a_word():
    assert texts(parse_query('应急"行政 处罚"')) == [[("应急", False)], [("行政 处罚", False)]]


@pytest.mark.parametrize("q", ["应急 -复议", "应急 NOT 复议", "应急 －复议", '应急 -"复议"', "应急 NOT “复议”"])
def test_negation_forms(q):
    assert texts(parse_query(q)) == [[("应急", False)], [("复议", True)]]


def test_a_lone_minus_is_punctuation():
    p = parse_query("应急 - 复议")
    assert texts(p) == [[("应急", False)], [("复议", False)]]


@pytest.mark.parametrize("q, field, value", [
    ("agency:应急", "agency", "应急"),
    ("机关:应急", "agency", "应急"),
    ("AGENCY：应急", "agency", "应急"),
    ('agency:"应急 管理"', "agency", "应急 管理"),
    ("agency:“应急 管理”", "agency", "应急 管理"),
    ("机关: 应急", "agency", "应急"),
    ("province:山东", "province", "山东"),
    ("省:山东", "province", "山东"),
    ("city:淄博", "city", "淄博"),
    ("市:淄博", "city", "淄博"),
    ("county:临淄", "county", "临淄"),
    ("县:临淄", "county", "临淄"),
    ("区县:临淄", "county", "临淄"),
    ("sector:应急管理", "sector", "应急管理"),
    ("领域:应急管理", "sector", "应急管理"),
    ("行业:应急管理", "sector", "应急管理"),
])
def test_fields_and_aliases(q, field, value):
    p = parse_query(q)
    c = only(p)
    assert (c.kind, c.field, c.value, c.negated) == ("field", field, value, False)
    assert p.notes == []


def test_negated_field():
    c = only(parse_query("-agency:应急"))
    assert (c.kind, c.field, c.negated) == ("field", "agency", True)
    assert only(parse_query("NOT province:山东")).negated


@pytest.mark.parametrize("q, field, low, high, lo_ex, hi_ex", [
    ("year:2023", "year", 2023, 2023, False, False),
    ("year:2021..2023", "year", 2021, 2023, False, False),
    ("year:2021-2023", "year", 2021, 2023, False, False),
    ("year:2021..", "year", 2021, None, False, False),
    ("year:..2022", "year", None, 2022, False, False),
    ("year:>2020", "year", 2021, None, False, False),
    ("year:<2022", "year", None, 2021, False, False),
    ("年份:2021年", "year", 2021, 2021, False, False),
    ("年度：２０２１..２０２３", "year", 2021, 2023, False, False),
    ("new_received:>0", "new_received", 0.0, None, True, False),
    ("new_received:>=5", "new_received", 5.0, None, False, False),
    ("new_received:<10", "new_received", None, 10.0, False, True),
    ("new_received:<=3", "new_received", None, 3.0, False, False),
    ("new_received:=0", "new_received", 0.0, 0.0, False, False),
    ("withheld:0", "withheld", 0.0, 0.0, False, False),
    ("fee_amount_wan:0.5..2.25", "fee_amount_wan", 0.5, 2.25, False, False),
    ("本年新收申请:>0", "new_received", 0.0, None, True, False),
    ("行政处罚决定:>=10", "penalty", 10.0, None, False, False),
    ("收费金额（万元）:<1.5", "fee_amount_wan", None, 1.5, False, True),
    ("收费金额:<1.5", "fee_amount_wan", None, 1.5, False, True),
])
def test_ranges(q, field, low, high, lo_ex, hi_ex):
    p = parse_query(q)
    c = only(p)
    assert (c.kind, c.field, c.low, c.high, c.low_exclusive, c.high_exclusive) == ("range", field, low, high, lo_ex, hi_ex)
    assert p.notes == []
    if field == "year":
        assert all(isinstance(v, int) for v in (low, high) if v is not None)


def test_reversed_range_is_swapped_with_a_note():
    p = parse_query("year:2023..2021")
    c = only(p)
    assert (c.low, c.high) == (2021, 2023)
    assert p.notes and "颠倒" in p.notes[0]


@pytest.mark.parametrize("q, want", [
    ("应急 行政处罚 OR 行政许可 -复议 year:2021..2023 new_received:>0",
     "全文包含“应急”且（“行政处罚”或“行政许可”），不含“复议”；年份 2021–2023；本年新收申请 > 0"),
    ("", "全部报告"),
    ("-应急", "全部报告，但不含“应急”"),
    ("province:山东 year:2021..", "省份包含“山东”；年份 ≥ 2021"),
    ("withheld:0 -year:2020", "不予公开 = 0；排除年份 2020"),
    ("year:2020 OR 应急", "（年份 2020 或 全文包含“应急”）"),
])
def test_describe(q, want):
    assert parse_query(q).describe() == want


def test_literals_exclude_negatives_and_include_variants():
    p = parse_query("发改局 OR 应急 -复议 agency:机关 NOT 处罚 year:2023")
    lits = p.literals()
    assert lits[:1] == ["发改局"]
    assert set(lits) == set(variants("发改局")) | {"应急"}
    assert "发展和改革局" in lits


def test_to_dict_is_json():
    p = parse_query('应急 OR "行政 处罚" -复议 year:2021.. foo:bar')
    d = json.loads(json.dumps(p.to_dict(), ensure_ascii=False))
    assert d["text"] == p.text
    assert d["description"] == p.describe()
    assert d["notes"] == p.notes
    assert d["literals"] == p.literals()
    assert d["empty"] is False
    assert [[c["value"] for c in g] for g in d["clauses"]] == [["应急", "行政 处罚"], ["复议"], ["2021.."], ["foo:bar"]]
    assert parse_query(" ").to_dict()["empty"] is True


# --------------------------------------------------------------------------
# Malformed input: never raises, and says how it was read


MALFORMED = [
    ('"', [], "引号"),
    ('"行政 处罚', [[("行政 处罚", False)]], "引号未闭合"),
    ("应急 “行政", [[("应急", False)], [("行政", False)]], "引号未闭合"),
    ('""', [], "没有文字"),
    ("(", [], "不含文字"),
    ("(应急)", [[("应急", False)]], None),
    ("AND", [], "AND"),
    ("OR", [], "OR"),
    ("NOT", [], "NOT"),
    ("应急 OR", [[("应急", False)]], "末尾"),
    ("OR 应急", [[("应急", False)]], "开头"),
    ("应急 AND", [[("应急", False)]], "末尾"),
    ("AND 应急", [[("应急", False)]], "开头"),
    ("year:>", [], "年份"),
    ("year:abc", [], "年份"),
    ("year:2021.5", [], "整数"),
    ("year:99999999", [], "范围"),
    ("year:", [], "缺少"),
    ("agency:", [], "缺少"),
    ("agency:“”", [], "缺少"),
    ("new_received:>x", [], "本年新收申请"),
    ("new_received:1234567890123456789", [], "过大"),
    ("foo:bar", [[("foo:bar", False)]], "未知字段"),
    ("应急\x00管理\x07", [[("应急管理", False)]], "控制字符"),
    ("，。！？", [], "不含文字"),
    ("", [], None),
    ("  \t\n ", [], None),
]


@pytest.mark.parametrize("q, groups, note", MALFORMED)
def test_malformed(q, groups, note):
    p = parse_query(q)
    assert texts(p) == groups
    if note is None:
        assert p.notes == []
    else:
        assert any(note in n for n in p.notes), p.notes
    compile_query(p, SCHEMA)
    p.describe()
    p.to_dict()


def test_long_query_is_cut_with_a_note():
    p = parse_query(" ".join(f"词{i}" for i in range(2000)))
    assert sum(len(g) for g in p.clauses) == MAX_TERMS
    assert any(str(MAX_TERMS) in n for n in p.notes)
    compile_query(p, SCHEMA)


def test_long_word_is_cut_with_a_note():
    p = parse_query("政" * 10_000)
    assert len(only(p).value) == MAX_LITERAL
    assert p.notes
    compile_query(p, SCHEMA)


def test_non_str_input():
    assert parse_query(None).is_empty  # type: ignore[arg-type]


SYNTAX = st.sampled_from([
    "OR", "AND", "NOT", "|", "-", "－", '"', "“", "”", "「", "」", "(", ")", ":", "：", "..", ">", ">=", "<", "=",
    "year:", "year:2021..2023", "year:>", "new_received:>0", "withheld:0", "fee_amount_wan:0.5..", "agency:", "机关:",
    "本年新收申请:", "foo:", "应急", "发改局", "高新区应急局", "处", "2023", " ", "\x00", "\t", "\u200b", "\ud800",
])
QUERIES = st.one_of(
    st.text(),
    st.lists(st.one_of(SYNTAX, st.text(max_size=5)), max_size=40).map("".join),
    st.lists(SYNTAX, max_size=300).map(" ".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERIES)
def test_parse_and_compile_never_raise(q):
    p = parse_query(q)
    assert isinstance(compile_query(p, SCHEMA), Q.Query)
    assert isinstance(p.describe(), str)
    json.dumps(p.to_dict())
    assert sum(len(g) for g in p.clauses) <= MAX_TERMS
    assert all(c.kind in ("text", "field", "range") for g in p.clauses for c in g)


# --------------------------------------------------------------------------
# Compiling


SCHEMA = make_schema()


def test_compile_shapes():
    assert isinstance(compile_query(parse_query(""), SCHEMA), Q.Every)
    q = compile_query(parse_query("-应急"), SCHEMA)
    assert isinstance(q, Q.AndNot) and isinstance(q.a, Q.Every)
    q = compile_query(parse_query("year:2021..2023"), SCHEMA)
    assert q == ExactRange("year", 2021, 2023)
    q = compile_query(parse_query("new_received:>0"), SCHEMA)
    assert q == ExactRange("new_received", 0.0, None, startexcl=True)
    assert isinstance(q, Q.NumericRange)


def test_compiled_literal_uses_the_schema_analyzers():
    q = compile_query(parse_query("行政处罚"), SCHEMA)
    subs = list(q.children()) if isinstance(q, Q.Or) else [q]
    assert ExactPhrase("body_bi", ["行政", "处罚"], offsets=[0, 2]) in subs  # every other gram fixes the string
    assert Q.Term("body", "行政处罚") in subs
    single = compile_query(parse_query("处"), SCHEMA)
    assert Q.Prefix("body_bi", "处") in list(single.children())
    assert Q.Term("body", "处") in list(single.children())


# --------------------------------------------------------------------------
# A real index


DOCS = {
    "weibin": dict(file="xinxiang-weibin-yingji-2023.txt", agency="卫滨区应急管理局", province="河南省", city="新乡市",
                   county="卫滨区", sector="应急管理", year=2023, new_received=0.0),  # withheld unknown
    "fagai": dict(file="zibo-gaoxin-fagai-2023.txt", agency="淄博高新技术产业开发区发展改革局", province="山东省",
                  city="淄博市", sector="发展改革", year=2023, new_received=0.0, withheld=0.0),
    "gaoxin": dict(file="zibo-gaoxin-yingji-2023.txt", agency="淄博高新技术产业开发区应急管理中心", province="山东省",
                   city="淄博市", sector="应急管理", year=2023, new_received=0.0, withheld=0.0),
    "jiguan": dict(file="zibo-jiguan-shiwu-2023.txt", agency="淄博市机关事务管理局", province="山东省", city="淄博市",
                   sector="机关事务", year=2023, new_received=2.0, withheld=0.0, fee_amount_wan=0.5),
    "linzi": dict(file="zibo-linzi-yingji-2020.txt", agency="临淄区应急管理局", province="山东省", city="淄博市",
                  county="临淄区", sector="应急管理", year=2020, new_received=0.0, withheld=1.0),
}
BODIES = {k: (SAMPLES / d["file"]).read_text(encoding="utf-8") for k, d in DOCS.items()}


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    ix = windex.create_in(str(tmp_path_factory.mktemp("ix")), make_schema())
    w = ix.writer()
    for key, d in DOCS.items():
        fields = {k: v for k, v in d.items() if k != "file"}
        w.add_document(kind="report", id=key, body=BODIES[key], body_bi=BODIES[key],
                       agency_words=d["agency"], **fields)
    w.add_document(kind="source", id="source:x")  # the index also holds other documents
    w.commit()
    return ix


def find(ix, q: str) -> set[str]:
    with ix.searcher() as s:
        query = Q.And([Q.Term("kind", "report"), compile_query(parse_query(q), s.schema)])
        return {hit["id"] for hit in s.search(query, limit=None)}


ALL = set(DOCS)
SHANDONG = ALL - {"weibin"}
YINGJI = {"weibin", "gaoxin", "linzi"}


@pytest.mark.parametrize("q, want", [
    ("", ALL),
    ("，。", ALL),
    ("政府信息公开", ALL),
    # phrases match across punctuation and spacing, never across other words
    ('"如对本报告有任何疑问，请与区应急局"', {"linzi"}),
    ('"如对本报告有任何疑问 请与 区应急局"', {"linzi"}),
    ('"年度报告 中华人民共和国"', set()),
    ("年度报告 中华人民共和国", {"weibin", "jiguan", "linzi"}),
    ("统计期限 2023", ALL - {"linzi"}),
    # sub-words that jieba never produces as tokens
    ("改革局", {"fagai"}),
    ("急管", YINGJI),
    ("事务管理", {"jiguan"}),
    # abbreviations and full names
    ("发改局", {"fagai"}),
    ("发展和改革局", {"fagai"}),
    ("应急局", {"weibin", "linzi"}),
    ("机关事务局", {"jiguan"}),
    ("高新技术开发区", {"fagai", "gaoxin"}),
    ("高新区应急", {"gaoxin"}),
    # boolean structure
    ("发改局 OR 机关事务局", {"fagai", "jiguan"}),
    ("淄博 发改局 OR 机关事务局 2023", {"fagai", "jiguan"}),
    ("-应急", {"fagai", "jiguan"}),
    ("NOT 应急 -发改局", {"jiguan"}),
    ("应急 -临淄", {"weibin", "gaoxin"}),
    ("year:2020 OR 发改局", {"linzi", "fagai"}),
    # fields
    ("province:山东", SHANDONG),
    ("省:河南", {"weibin"}),
    ("city:淄博 county:临淄", {"linzi"}),
    ("-county:临淄 city:淄博", {"fagai", "gaoxin", "jiguan"}),
    ("sector:应急", YINGJI),
    ("agency:应急局", {"weibin", "linzi"}),
    ("agency:高新区", {"fagai", "gaoxin"}),
    ("机关:发改局", {"fagai"}),
    # ranges
    ("year:2021..2023", ALL - {"linzi"}),
    ("year:..2020", {"linzi"}),
    ("year:2020", {"linzi"}),
    ("-year:2020", ALL - {"linzi"}),
    ("new_received:>0", {"jiguan"}),
    ("本年新收申请:>=2", {"jiguan"}),
    ("new_received:<2", ALL - {"jiguan"}),
    ("withheld:0", {"fagai", "gaoxin", "jiguan"}),
    ("withheld:>=0", {"fagai", "gaoxin", "jiguan", "linzi"}),
    ("不予公开:>0", {"linzi"}),
    ("fee_amount_wan:0.25..0.75", {"jiguan"}),
    ("fee_amount_wan:>0.5", set()),
    # malformed bits are dropped, the rest still works
    ("year:abc 发改局", {"fagai"}),
    ("发改局 OR", {"fagai"}),
])
def test_search(ix, q, want):
    assert find(ix, q) == want


def _squash(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def oracle(literal: str) -> set[str]:
    """Reports whose text or agency contains ``literal`` or one of its variants."""
    forms = [_squash(v) for v in variants(literal)]
    return {k for k in DOCS if any(f in _squash(BODIES[k]) or f in _squash(DOCS[k]["agency"]) for f in forms)}


@st.composite
def excerpts(draw) -> str:
    body = BODIES[draw(st.sampled_from(sorted(BODIES)))]
    start = draw(st.integers(0, len(body) - 2))
    return body[start:start + draw(st.integers(2, 12))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(excerpts())
def test_any_excerpt_finds_exactly_the_reports_containing_it(ix, excerpt):
    # Quote characters inside would end the phrase (a typed “…" is a phrase too).
    literal = re.sub(r'["“”「」『』]', " ", excerpt).strip()
    if len(_squash(literal)) < 2:
        return
    assert find(ix, f'"{literal}"') == oracle(literal)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES)
def test_searching_never_raises(ix, q):
    find(ix, q)


# --------------------------------------------------------------------------
# Numeric ranges at the edges Whoosh's own tiered NumericRange gets wrong


VALUES = [0, 1, 15, 16, 255, 256, 2019, 2020, 2021, 2023, 4095, 4096, 9999]


@pytest.fixture(scope="module")
def numbers():
    from whoosh.fields import ID, NUMERIC, Schema
    from whoosh.filedb.filestore import RamStorage

    ix = RamStorage().create_index(Schema(id=ID(stored=True), year=NUMERIC(int, signed=False),
                                          n=NUMERIC(float, signed=True)))
    w = ix.writer()
    for v in VALUES:
        w.add_document(id=str(v), year=v, n=v / 4)
    w.add_document(id="none")
    w.commit()
    return ix


BOUND = st.one_of(st.none(), st.sampled_from(VALUES), st.integers(0, 10_000))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lo=BOUND, hi=BOUND, lo_ex=st.booleans(), hi_ex=st.booleans())
def test_exact_range(numbers, lo, hi, lo_ex, hi_ex):
    def inside(x):
        return (lo is None or (x > lo if lo_ex else x >= lo)) and (hi is None or (x < hi if hi_ex else x <= hi))

    with numbers.searcher() as s:
        got = {h["id"] for h in s.search(ExactRange("year", lo, hi, lo_ex, hi_ex), limit=None)}
        assert got == {str(v) for v in VALUES if inside(v)}
        flo, fhi = (None if lo is None else lo / 4), (None if hi is None else hi / 4)
        got = {h["id"] for h in s.search(ExactRange("n", flo, fhi, lo_ex, hi_ex), limit=None)}
        assert got == {str(v) for v in VALUES if inside(v)}


def test_covering_grams_fix_the_whole_string():
    from search.phrase import covering_grams

    for n in range(1, 12):
        grams = [f"g{i}" for i in range(n)]
        words, offsets = covering_grams(grams)
        covered = {c for o in offsets for c in (o, o + 1)}
        assert covered == set(range(n + 1)) and words == [grams[o] for o in offsets]


# ---------------------------------------------------------------- the read-as line says everything searched


@pytest.mark.parametrize("q, want", [
    ("发改局", "全文包含“发改局”（同义：发展改革局、发展和改革局）"),
    ('"行政 处罚"', "全文包含短语“行政 处罚”"),
    ("行政处罚", "全文包含“行政处罚”"),  # a bare word reads differently from a phrase
    ("河南", "“河南” → 地区：河南省，或全文"),
    ('"河南"', "全文包含短语“河南”"),  # quoted: the text only
    ("河南 行政处罚", "全文包含“行政处罚”；“河南” → 地区：河南省，或全文"),
    ("鼓楼区", "“鼓楼区” → 地区：鼓楼区（南京市、徐州市、福州市、开封市），或全文"),
    ("-河南", "全部报告，但排除“河南” → 地区：河南省，或全文"),
    ("行政處罰", "全文包含“行政處罰”（简体：“行政处罚”）"),
    ("应急 - foo:bar", "全文包含“应急”且“foo:bar”（“-”不含文字或数字，已忽略；未知字段“foo”，按文字“foo:bar”处理）"),
    ("year:abc", "全部报告（无法理解“year:abc”：年份须为数字或范围，如 5、>0、>=10、2021..2023，已忽略）"),
])
def test_read_as_shows_synonyms_phrases_places_and_ignored_parts(q, want):
    assert parse_query(q).describe() == want


def test_region_words_compile_to_text_or_place():
    schema = make_schema()
    plain, place = compile_query(parse_query('"河南"'), schema), compile_query(parse_query("河南"), schema)
    assert "province" not in str(plain) and "province" in str(place)
    county = compile_query(parse_query("鼓楼区"), schema)
    assert isinstance(county, Q.Or) and str(county).count("city:") == 4  # each 鼓楼区 with its own city


def test_traditional_words_fold_like_simplified_ones():
    literals = parse_query("發改局 行政處罰").literals()
    assert "发展改革局" in literals and "行政处罚" in literals
    assert fold("行政處罰") == "行政处罚" and simplify("臨淄區") == "临淄区"


def test_phrase_positions_read_as_whoosh_reads_them():
    import random

    from whoosh.formats import Positions

    from search.phrase import positions

    rng, fmt = random.Random(7), Positions()
    for _ in range(500):
        ps = sorted(rng.sample(range(200_000), rng.randint(1, 400)))
        value = fmt.encode(ps)
        assert list(positions(value)) == fmt.decode_positions(value) == ps
