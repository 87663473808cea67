"""The shared analyzers: tokens, offsets, a real Whoosh index, dictionaries, synonyms."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
# The package is not installed in the test venv; import it from the checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402
from whoosh import index as windex  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.query import Phrase, Query, Term  # noqa: E402
from whoosh.qparser import QueryParser  # noqa: E402

from index.analysis import (  # noqa: E402
    Analysis,
    BigramTokenizer,
    JiebaTokenizer,
    fold,
    load_synonyms,
    load_userdict,
    make_analyzers,
    save_userdict,
    variants,
)

SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in SAMPLES}
CJK = re.compile(r"[\u4e00-\u9fff]")
# Not in jieba's dictionary: segments into several pieces unless added.
NEW_WORD = "鑫垚淼森局"


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return Analysis()


@pytest.fixture(scope="module")
def word(analysis):
    return analysis.word_analyzer()


@pytest.fixture(scope="module")
def bigram(analysis):
    return analysis.bigram_analyzer()


def texts(analyzer, text: str, **kw) -> list[str]:
    return [t.text for t in analyzer(text, **kw)]


def full(analyzer, text: str, mode: str = "index") -> list[tuple[str, int, int, int]]:
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True, mode=mode)]


def bigram_query(field: str, text: str) -> Query:
    grams = Analysis.bigrams(text)
    return Term(field, grams[0]) if len(grams) == 1 else Phrase(field, grams)


def is_sublist(small: list[str], big: list[str]) -> bool:
    n = len(small)
    return any(big[i:i + n] == small for i in range(len(big) - n + 1))


# --- word analyzer --------------------------------------------------------


def test_samples_present():
    assert len(SAMPLES) >= 5


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_positions_are_consecutive_ordinals(word, name):
    positions = [t.pos for t in word(TEXTS[name], positions=True)]
    assert positions == list(range(len(positions)))
    shifted = [t.pos for t in word(TEXTS[name], positions=True, start_pos=7)]
    assert shifted == list(range(7, 7 + len(positions)))


def test_single_digit_kept(word):
    assert texts(word, "第5条") == ["第", "5", "条"]
    assert "5" in texts(word, "依据《条例》第5条规定")


def test_single_latin_letter_kept(word):
    toks = texts(word, "创业火炬广场F座1117")
    assert "f" in toks or "f座" in toks
    assert "1117" in toks


def test_no_stemming_and_lowercase(word):
    assert texts(word, "Processing requests") == ["processing", "requests"]


def test_punctuation_and_whitespace_dropped(word):
    assert texts(word, "（二）依申请公开情况。\n\t 2023 年") == ["二", "依申请公开", "情况", "2023", "年"]
    assert texts(word, "，。、；：“”《》——…") == []
    assert texts(word, "") == []
    assert texts(word, "3.5%") == ["3", "5"]


def test_fullwidth_same_as_halfwidth(word, bigram):
    full_width = "ＡＢＣ１２３，第５条（Ｆ座）　２０２３年"
    half_width = "ABC123,第5条(F座) 2023年"
    assert texts(word, full_width) == texts(word, half_width)
    assert texts(bigram, full_width) == texts(bigram, half_width)
    assert texts(word, "第５条") == ["第", "5", "条"]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_query_mode_equals_index_mode(word, bigram, name):
    text = TEXTS[name]
    assert full(word, text, "query") == full(word, text, "index")
    assert full(bigram, text, "query") == full(bigram, text, "index")


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_offsets_slice_back_to_token(word, bigram, name):
    text = TEXTS[name]
    for tok, _, start, end in full(word, text):
        assert fold(text[start:end]) == tok
    for gram, _, start, end in full(bigram, text):
        assert gram[0] in fold(text[start]) and gram[-1] in fold(text[end - 1])


def test_offsets_with_start_char_and_keeporiginal(word):
    toks = [(t.original, t.startchar, t.endchar)
            for t in word("Ｆ座１１１７", chars=True, keeporiginal=True, start_char=10)]
    assert toks[-1] == ("１１１７", 12, 16)


def test_length_changing_fold_stays_in_range(word, bigram):
    # ⑩ → "10", ㈠ → "(一)", ㎡ → "m2", İ → "i̇": one character becomes several.
    text = "第⑩条㈠面积50㎡İ处理"
    for tok, _, start, end in full(word, text):
        assert 0 <= start < end <= len(text)
        assert tok in fold(text[start:end])
    for gram, _, start, end in full(bigram, text):
        assert 0 <= start < end <= len(text)
        assert gram[0] in fold(text[start]) and gram[-1] in fold(text[end - 1])
    assert "10" in texts(word, text) and "一" in texts(word, text)
    assert [t for t in full(word, text) if t[0] == "10"][0][2:] == (1, 2)


def test_tokenize_false_gives_one_folded_token(word, bigram):
    for analyzer in (word, bigram):
        assert texts(analyzer, "ＡＢ 处理", tokenize=False) == ["ab 处理"]


# --- bigram analyzer ------------------------------------------------------


def test_bigrams():
    assert Analysis.bigrams("待处理") == ["待处", "处理"]
    assert "处理" in Analysis.bigrams("待处理")
    assert Analysis.bigrams("处") == ["处"]
    assert Analysis.bigrams("，处。") == ["处"]
    assert Analysis.bigrams("，。 ") == []
    assert Analysis.bigrams("2023 年") == ["20", "02", "23", "3年"]
    assert Analysis.bigrams("疑问，请与") == ["疑问", "问请", "请与"]


def test_bigram_positions_and_offsets(bigram):
    assert full(bigram, "待处理，A") == [
        ("待处", 0, 0, 2), ("处理", 1, 1, 3), ("理a", 2, 2, 5)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bigram_phrase_of_any_substring_is_in_stream(data):
    name = data.draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[name]
    start = data.draw(st.integers(0, len(text) - 2))
    length = data.draw(st.integers(2, 8))
    sub = text[start:start + length]
    assume(CJK.search(sub))
    grams = Analysis.bigrams(sub)
    stream = Analysis.bigrams(text)
    kept = [ch for ch in fold(sub) if ch.isalnum()]
    if len(kept) == 1:
        # A lone character is the start of some gram (or the last gram's end).
        assert any(g[0] == kept[0] for g in stream) or stream[-1][-1] == kept[0]
    else:
        assert is_sublist(grams, stream)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_word_offsets_in_range_for_any_slice(data):
    name = data.draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[name]
    start = data.draw(st.integers(0, len(text) - 1))
    sub = text[start:start + data.draw(st.integers(1, 60))]
    analyzer = Analysis().word_analyzer()
    got = full(analyzer, sub)
    assert [p for _, p, _, _ in got] == list(range(len(got)))
    for tok, _, s, e in got:
        assert fold(sub[s:e]) == tok


# --- a real Whoosh index --------------------------------------------------

DOCS = {
    "adjacent": "本年度我局依申请公开工作情况良好。",
    "pending": "截至年底，尚有待处理事项三件。",
    "other": "主动公开政府信息一百六十条。",
}


def build_index(directory: Path, analysis: Analysis, docs: dict[str, str]) -> None:
    word, bigram = analysis.analyzers()
    schema = Schema(
        id=ID(stored=True, unique=True),
        body=TEXT(analyzer=word, phrase=True),
        body_bi=TEXT(analyzer=bigram, phrase=True),
    )
    ix = windex.create_in(str(directory), schema)
    with ix.writer() as writer:
        for key, text in docs.items():
            writer.add_document(id=key, body=text, body_bi=text)


def hits(ix, query: Query) -> set[str]:
    with ix.searcher() as searcher:
        return {hit["id"] for hit in searcher.search(query, limit=None)}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, analysis) -> Path:
    directory = tmp_path_factory.mktemp("ix")
    build_index(directory, analysis, {**DOCS, **TEXTS})
    return directory


def test_word_phrase_matches(index_dir):
    ix = windex.open_dir(str(index_dir))
    parser = QueryParser("body", ix.schema)
    assert "adjacent" in hits(ix, parser.parse('"依申请公开"'))
    assert "adjacent" in hits(ix, parser.parse('"依申请公开工作"'))
    assert "other" not in hits(ix, parser.parse('"依申请公开"'))


def test_word_phrase_needs_adjacency(index_dir):
    ix = windex.open_dir(str(index_dir))
    parser = QueryParser("body", ix.schema)
    # Both words are in the document, but 工作 stands between them.
    assert "adjacent" in hits(ix, parser.parse("依申请公开 情况"))
    assert "adjacent" not in hits(ix, parser.parse('"依申请公开情况"'))


def test_bigram_finds_substring_of_word(index_dir, analysis):
    ix = windex.open_dir(str(index_dir))
    assert "处理" not in analysis.words(DOCS["pending"])  # the word field cannot find it
    assert "pending" in hits(ix, bigram_query("body_bi", "处理"))
    assert "pending" in hits(ix, QueryParser("body_bi", ix.schema).parse('"处理"'))


@pytest.mark.parametrize("name,copied", [
    ("zibo-gaoxin-fagai-2023", "如对本报告有疑问，请与高新区发展改革局联系（地址："),
    ("zibo-gaoxin-fagai-2023", "统计期限自 2023 年1月1日起"),
    ("zibo-gaoxin-fagai-2023", "创业火炬广场F座1117；邮编"),
])
def test_bigram_phrase_finds_copied_string(index_dir, name, copied):
    assert copied in TEXTS[name]
    ix = windex.open_dir(str(index_dir))
    assert name in hits(ix, bigram_query("body_bi", copied))
    # Same characters, different spacing and punctuation width: still found.
    assert name in hits(ix, bigram_query("body_bi", copied.replace(" ", "").replace("，", ",")))
    assert hits(ix, bigram_query("body_bi", copied + "不存在的尾巴")) == set()


def test_pickled_analyzer_carries_no_jieba_dictionary(word):
    texts(word, "加载词典")  # make sure the jieba dictionary is loaded
    blob = pickle.dumps(word)
    assert len(blob) < 50_000  # the jieba dictionary would be megabytes
    clone = pickle.loads(blob)
    assert clone == word
    assert texts(clone, TEXTS[SAMPLES[0].stem]) == texts(word, TEXTS[SAMPLES[0].stem])
    assert set(JiebaTokenizer([("词", None)]).__getstate__()) == {"entries"}
    assert pickle.loads(pickle.dumps(BigramTokenizer())) == BigramTokenizer()


REOPEN = textwrap.dedent("""
    import json, sys
    from whoosh import index
    from whoosh.qparser import QueryParser
    from whoosh.query import Phrase, Term
    from index.analysis import Analysis
    ix = index.open_dir(sys.argv[1])
    out = {}
    with ix.searcher() as s:
        for field, text in json.loads(sys.argv[2]):
            q = QueryParser(field, ix.schema).parse('"%s"' % text)
            out[field + ":" + text] = sorted(h["id"] for h in s.search(q, limit=None))
        out["tokens"] = [t.text for t in ix.schema["body"].analyzer(sys.argv[3], mode="query")]
    print(json.dumps(out, ensure_ascii=False))
""")


def reopen(directory: Path, queries: list[tuple[str, str]], text: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", REOPEN, str(directory), json.dumps(queries), text],
        capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_index_reopens_in_fresh_interpreter(index_dir):
    out = reopen(index_dir, [("body", "依申请公开工作"), ("body", "依申请公开情况"),
                             ("body_bi", "处理")])
    assert "adjacent" in out["body:依申请公开工作"]
    assert "adjacent" not in out["body:依申请公开情况"]
    assert "pending" in out["body_bi:处理"]


# --- user dictionary ------------------------------------------------------


def test_builtin_domain_terms_are_single_tokens(analysis):
    for term in ["依申请公开", "三安全一稳定", "本机关不掌握", "行政规范性文件",
                 "应急管理局", "高新技术产业开发区", "机关事务管理局"]:
        assert analysis.words(f"关于{term}的说明") == ["关于", term, "的", "说明"], term


def test_add_words_changes_segmentation_without_leaking(analysis):
    assert analysis.words(NEW_WORD) != [NEW_WORD]
    extended = Analysis()
    assert extended.add_words([NEW_WORD, "应急管理局"]) == [NEW_WORD]
    assert extended.add_words([NEW_WORD]) == []
    assert extended.words(f"淄博市{NEW_WORD}报告") == ["淄博市", NEW_WORD, "报告"]
    # Neither the shared default analysis nor jieba's global tokenizer saw it.
    assert analysis.words(NEW_WORD) != [NEW_WORD]
    assert NEW_WORD not in jieba.dt.FREQ
    with pytest.raises(TypeError):
        extended.add_words(NEW_WORD)


def test_add_words_folds_and_splits_at_punctuation():
    a = Analysis()
    a.add_words(["淄博市（鑫垚区）ＡＢ局", "x"])
    assert a.extra_words == ("ab局", "淄博市", "鑫垚区")


def test_word_order_does_not_matter():
    one = Analysis(["甲乙丙丁局", NEW_WORD]).word_analyzer()
    two = Analysis([NEW_WORD, "甲乙丙丁局"]).word_analyzer()
    assert one == two


def test_userdict_roundtrip(tmp_path):
    assert load_userdict(tmp_path) == []
    path = save_userdict(tmp_path, [NEW_WORD, "乙局名称", NEW_WORD])
    assert path.parent == tmp_path
    assert load_userdict(tmp_path) == sorted(["乙局名称", NEW_WORD])
    assert Analysis.for_index(tmp_path).extra_words == tuple(sorted(["乙局名称", NEW_WORD]))
    word, _ = make_analyzers(tmp_path)
    assert texts(word, NEW_WORD) == [NEW_WORD]
    word, _ = make_analyzers([NEW_WORD])
    assert texts(word, NEW_WORD) == [NEW_WORD]
    word, _ = make_analyzers()
    assert texts(word, NEW_WORD) != [NEW_WORD]


def test_saved_words_used_after_reload(tmp_path):
    indexer = Analysis.for_index(tmp_path)
    indexer.add_words([NEW_WORD])
    indexer.save(tmp_path)
    doc = f"本机关{NEW_WORD}依申请公开"
    build_index(tmp_path, Analysis.for_index(tmp_path), {"d": doc})
    out = reopen(tmp_path, [("body", NEW_WORD), ("body", f"{NEW_WORD}依申请公开")], NEW_WORD)
    assert out["tokens"] == [NEW_WORD]
    assert out[f"body:{NEW_WORD}"] == ["d"]
    assert out[f"body:{NEW_WORD}依申请公开"] == ["d"]


# --- synonyms -------------------------------------------------------------


def test_synonym_file_is_well_formed():
    groups = load_synonyms()
    assert len({g for g in groups.values()}) >= 20
    assert all(len(g) >= 2 for g in groups.values())
    assert "政务公开" not in groups  # related, not equivalent


def test_synonym_file_rejects_member_in_two_groups(tmp_path):
    bad = tmp_path / "syn.txt"
    bad.write_text("应急局 应急管理局\n# comment\n应急局 安监局\n", encoding="utf-8")
    with pytest.raises(ValueError, match="应急局"):
        load_synonyms(bad)


def test_variants_examples():
    got = variants("高新区发改局")
    assert got[0] == "高新区发改局"
    assert "高新技术产业开发区发展改革局" in got
    assert "高新区发展和改革局" in got
    assert "应急管理局" in variants("应急局")
    assert "应急局" in variants("应急管理局")
    assert "淄博高新技术产业开发区发展改革局" in variants("淄博高新区发改局")
    assert set(variants("市监局")) == {"市监局", "市场监督管理局", "市场监管局"}


def test_variants_original_first_and_single_replacements_before_double():
    got = variants("高新区发改局")
    singles = {"高新技术产业开发区发改局", "高新区发展改革局"}
    doubles = {"高新技术产业开发区发展改革局"}
    last_single = max(got.index(s) for s in singles)
    assert all(got.index(d) > last_single for d in doubles)
    assert len(got) == len(set(got))


def test_variants_longest_match():
    assert variants("经济技术开发区") == ["经济技术开发区", "经济开发区", "经开区"]
    assert "卫健委" in variants("卫生健康委员会")
    assert "卫生健康委员会员会" not in variants("卫生健康委员会")


def test_variants_cap_and_no_match():
    text = "高新区发改局、经开区应急局、市监局和人社局"
    assert len(variants(text)) == 16
    assert len(variants(text, limit=100)) > 16
    assert variants(text, limit=3)[0] == text and len(variants(text, limit=3)) == 3
    assert variants(text, limit=1) == [text]
    assert variants("依申请公开") == ["依申请公开"]
    assert variants("") == [""]
    with pytest.raises(ValueError):
        variants(text, limit=0)


def test_variants_become_matching_phrases(index_dir):
    ix = windex.open_dir(str(index_dir))
    found = set()
    for v in variants("高新区发改局"):
        found |= hits(ix, bigram_query("body_bi", v))
    assert "zibo-gaoxin-fagai-2023" in found


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("应急管理局依申请公开处理待处理第5条ＡＢＣabc 3.5%，。⑩…\n\t（）-_·Ⅻ²é"), max_size=60))
def test_index_terms_are_the_query_tokens(text):
    """Indexing takes tokenizer.terms(); queries and highlighting the full
    token stream: they must be the same tokens, in the same order."""
    for analyzer in Analysis(["应急管理局"]).analyzers():
        tokenizer = analyzer.items[0]
        assert tokenizer.terms(text) == [t.text for t in analyzer(text)]


def test_cut_cache_gives_jiebas_own_cut(word):
    tokenizer = word.items[0]
    for text in TEXTS.values():
        folded = fold(text)
        assert tokenizer.cut(folded) == list(tokenizer.segmenter.cut(folded, HMM=False))
        assert tokenizer.cut(folded) == list(tokenizer.segmenter.cut(folded, HMM=False))  # from the cache


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
       | st.text(alphabet=st.characters(min_codepoint=0x2E80, max_codepoint=0xFFEF, blacklist_categories=("Cs",)), max_size=200))
def test_folding_only_the_runs_that_change_is_the_per_character_fold(text):
    """``fold`` translates only the runs its pattern finds: it must equal the
    character-by-character table on every text (traditional, full-width, astral…)."""
    from index.analysis import _FOLD

    assert fold(text) == text.translate(_FOLD)
