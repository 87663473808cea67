"""Two reports side by side: exactly the changed cells and paragraphs are marked."""

from __future__ import annotations

import re

import pytest
from agency_corpus import CHANGED_CELLS, JIGUAN, REWRITE, write

from index.paragraphs import narrative
from index.parse import parse_file
from search import compare as C


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return {name: parse_file(p) for name, p in write(tmp_path_factory.mktemp("cmp")).items()}


def test_exactly_the_changed_cells_are_marked(reports):
    c = C.compare(reports["jiguan-2022"], reports["jiguan-2023"])
    changed = {d.path: (d.a, d.b) for d in c.changed_cells()}
    assert changed == {p: (new, old) for p, (old, new) in CHANGED_CELLS.items()}
    # every cell of both reports is listed once, with its own value on each side
    fa, fb = reports["jiguan-2022"].figures(), reports["jiguan-2023"].figures()
    assert sorted(d.path for d in c.cells) == sorted(set(fa) | set(fb))
    for d in c.cells:
        assert (d.a, d.b) == (fa[d.path].value, fb[d.path].value)
        assert d.b_passage == fb[d.path].passage


def test_every_rewritten_paragraph_is_changed_with_only_the_new_words_marked(reports):
    a, b = reports["jiguan-2022"], reports["jiguan-2023"]
    c = C.compare(a, b)
    rewritten_count = sum(1 for p in narrative(a) if p.startswith(REWRITE.replace("，", ",")))
    assert rewritten_count > 5
    assert c.count("changed") == rewritten_count and c.count("new") == c.count("removed") == 0
    for p in c.paragraphs:
        if p.status != "changed":
            continue
        marked_a = "".join(x.text for x in p.a if x.changed)
        marked_b = "".join(x.text for x in p.b if x.changed)
        assert re.sub(r"\d", "", marked_a) == REWRITE.replace("，", ",")  # the prefix, with the year it may touch
        assert re.fullmatch(r"\d*", marked_b)  # on the later side only the year differs
        assert "".join(x.text for x in p.b) in narrative(b)


def test_a_copy_with_its_year_changed_is_same_but_for_numbers(reports):
    c = C.compare(reports["jiguan-2023"], reports["jiguan-2024"])
    assert c.changed_cells() == []
    assert c.count("new") == c.count("removed") == 0
    assert all(p.numbers_only for p in c.paragraphs if p.status == "changed")
    same = c.count("same")
    assert c.same_share == same / len(c.paragraphs)
    assert c.summary() == f"{same / len(c.paragraphs):.0%} 的段落与上年相同"


def test_identical_reports():
    a = parse_file(JIGUAN)
    c = C.compare(a, a)
    assert c.same_share == 1.0 and c.summary() == "100% 的段落与上年相同" and not c.changed_cells()


def test_paragraph_statuses():
    old = ["第一段文字保持不变的内容。", "第二段文字将会被改动一些词。", "第三段文字将会被整段删去了。"]
    new = ["第一段文字保持不变的内容。", "第二段文字已经被改动一些词。", "完全不同的一段新增加的说明文字内容。"]
    out = C.compare_paragraphs(old, new)
    assert [p.status for p in out] == ["same", "changed", "removed", "new"]
    changed = out[1]
    assert [x.text for x in changed.a if x.changed] == ["将会"] and [x.text for x in changed.b if x.changed] == ["已经"]
    assert "".join(x.text for x in changed.a) == old[1] and "".join(x.text for x in changed.b) == new[1]
    assert C.Comparison([], out).same_share == 1 / 3


def test_numbers_are_marked_as_whole_tokens():
    (p,) = C.compare_paragraphs(["全年发布信息75条，办结率100%。"], ["全年发布信息180条，办结率100%。"])
    assert p.status == "changed" and p.numbers_only
    assert [x.text for x in p.a if x.changed] == ["75"] and [x.text for x in p.b if x.changed] == ["180"]


def test_the_work_is_bounded(monkeypatch):
    monkeypatch.setattr(C, "MAX_TOKENS", 50)
    long_a, long_b = "甲" * 60 + "乙", "甲" * 60 + "丙"
    (p,) = C.compare_paragraphs([long_a], [long_b])
    assert p.status == "changed" and [x.text for x in p.a] == [long_a] and p.a[0].changed  # whole, not word by word
    monkeypatch.setattr(C, "MAX_PARAGRAPHS", 3)
    a = parse_file(JIGUAN)
    c = C.compare(a, a)
    assert c.truncated and len(c.paragraphs) == 3


def test_no_paragraphs():
    assert C.Comparison([], []).summary() == "没有可比较的段落。"


def test_cells_of_one_template_only_are_changed_from_or_to_nothing():
    from conftest import SAMPLES_DIR

    old, new = parse_file(SAMPLES_DIR / "zibo-linzi-yingji-2020.txt"), parse_file(JIGUAN)  # 2019 and 2021 templates
    c = C.compare(old, new)
    only_old = {d.path for d in c.cells if not d.in_b}
    only_new = {d.path for d in c.cells if not d.in_a}
    assert only_old == set(old.figures()) - set(new.figures()) and only_old
    assert only_new == set(new.figures()) - set(old.figures()) and only_new
    assert all(d.changed for d in c.cells if d.path in only_old | only_new)
    assert "proactive.licensing.previous_count" in only_old and "proactive.regulations.issued" in only_new


def test_unrelated_paragraphs_of_common_characters_are_removed_and_new():
    old = ["本机关认真贯彻落实政府信息公开条例，做好主动公开工作。"]
    new = ["公开工作做好条例落实，本机关政府信息认真贯彻主动。"]  # the same characters, another order
    assert [p.status for p in C.compare_paragraphs(old, new)] == ["removed", "new"]
