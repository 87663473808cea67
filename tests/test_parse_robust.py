"""Bad input: a clear one-line error or a report with warnings, never a traceback."""

from __future__ import annotations

import random

import pytest
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import NotAReport, ReportError, UnreadableFile
from index.parse import INCOMPLETE, parse_bytes, parse_file, parse_text

SAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in SAMPLES]
ROBUST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_or_refuse(text: str) -> None:
    """The parser's whole promise: a report, or a ReportError."""
    try:
        report = parse_text(text)
    except ReportError as e:
        assert str(e) and "\n" not in str(e)
        return
    report.to_dict()  # and the result always serialises


@ROBUST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000))
def test_arbitrary_text(text):
    parse_or_refuse(text)


@ROBUST
@given(st.sampled_from(SAMPLE_TEXTS), st.floats(0, 1))
def test_truncated_samples(text, cut):
    parse_or_refuse(text[: int(len(text) * cut)])


@ROBUST
@given(st.sampled_from(SAMPLE_TEXTS), st.randoms(use_true_random=False))
def test_shuffled_lines(text, rnd):
    lines = text.split("\n")
    rnd.shuffle(lines)
    parse_or_refuse("\n".join(lines))


@ROBUST
@given(st.sampled_from(SAMPLE_TEXTS), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["", "0", "\t", "\n", "/", "一、", "总计", "99999", "-"])), max_size=40))
def test_mutated_samples(text, edits):
    chars = list(text)
    for pos, piece in edits:
        chars.insert(pos % (len(chars) + 1), piece)
    parse_or_refuse("".join(chars))


@ROBUST
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data):
    try:
        parse_bytes(data, "x.txt")
    except ReportError as e:
        assert "\n" not in str(e)


def test_empty_file(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="empty file") as e:
        parse_file(f)
    assert str(e.value).startswith(str(f))


def test_binary_garbage(tmp_path):
    f = tmp_path / "garbage.txt"
    f.write_bytes(random.Random(1).randbytes(5000))
    with pytest.raises(UnreadableFile, match="binary"):
        parse_file(f)


def test_fifty_megabyte_file_is_refused_before_parsing(tmp_path):
    f = tmp_path / "huge.txt"
    f.write_bytes(SAMPLES[0].read_bytes() * (50 * 1024 * 1024 // SAMPLES[0].stat().st_size + 1))
    with pytest.raises(UnreadableFile, match="too large"):
        parse_file(f)


def test_text_that_is_not_a_report():
    news = "淄博市召开全市安全生产工作会议\n\n11月20日，全市安全生产工作会议召开。会议强调，要压实责任。\n\n（来源：淄博日报）"
    with pytest.raises(NotAReport, match="not a government information-disclosure annual report"):
        parse_text(news)


def test_truncated_report_is_kept_and_flagged():
    text = SAMPLES[0].read_text(encoding="utf-8")
    head = text[: text.index("三、收到和处理")]
    report = parse_text(head)
    assert report.agency == "卫滨区应急管理局"
    assert any(w.startswith(INCOMPLETE) for w in report.warnings)
    assert report.applications is None


def test_not_applicable_cells_are_null_never_zero():
    text = SAMPLES[0].read_text(encoding="utf-8")
    text = text.replace("行政许可\t3", "行政许可\t/").replace("行政强制\t0", "行政强制\t不适用")
    text = text.replace("二、上年结转政府信息公开申请数量\t\t0\t0\t0", "二、上年结转政府信息公开申请数量\t\t—\t0\t0")
    report = parse_text(text)
    assert report.proactive["licensing"]["decisions"].value is None
    assert report.proactive["coercion"]["decisions"].value is None
    assert report.applications["carried_over"]["natural_person"].value is None
    assert report.applications["carried_over"]["commercial"].value == 0
    # a rule with an unknown cell is not checked, so it cannot fail
    assert all(c.ok for c in report.checks)


def test_a_row_with_an_ambiguous_number_count_is_left_empty_and_warned():
    text = SAMPLES[0].read_text(encoding="utf-8")
    # 5 numbers for 7 cells: no rule can place them
    text = text.replace("(一) 予以公开\t0\t0\t0\t0\t0\t0\t0", "(一) 予以公开\t1\t2\t3\t4\t5")
    report = parse_text(text)
    assert all(f.value is None for f in report.applications["disclosed"].values())
    assert any("予以公开" in w and "印有 5 个数字" in w for w in report.warnings)


def test_a_missing_cell_is_deduced_only_when_the_row_total_pins_it():
    text = SAMPLES[0].read_text(encoding="utf-8")
    row = "(一) 予以公开\t0\t0\t0\t0\t0\t0\t0"
    # six zeros: wherever the lost cell was, the row total makes it 0
    report = parse_text(text.replace(row, "(一) 予以公开\t0\t0\t0\t0\t0\t0"))
    cells = report.applications["disclosed"]
    assert [f.value for f in cells.values()] == [0] * 7
    assert sum(f.deduced for f in cells.values()) == 1
    # "4 1 0 0 0 5": the lost cell may be the total (10) or a column (0): left empty
    report = parse_text(text.replace(row, "(一) 予以公开\t4\t1\t0\t0\t0\t5"))
    assert all(f.value is None for f in report.applications["disclosed"].values())
    assert any("无法确定" in w for w in report.warnings)
