"""Hostile and damaged files (issue 13): each is refused with the limit it hit, or read with a warning.

No test here times anything: each asserts the reason a file was refused, or
that a file that is read comes back with its text, and that the work is bounded
by construction (a depth, a size, a count).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SAMPLES

from index.build import build_index
from index.errors import NotAReport, UnreadableFile
from index.parse import parse_bytes, parse_file, parse_text
from index.read import extract, find_files, read_bytes

TEXT = SAMPLES[0].read_text(encoding="utf-8")
AGENCY = "卫滨区应急管理局"


# --- item 8: a few bad bytes ------------------------------------------------------


def with_stray_byte(encoding: str) -> bytes:
    marker = "一、总体情况"
    return TEXT.encode(encoding).replace(marker.encode(encoding), marker.encode(encoding) + b"\xff", 1)


@pytest.mark.parametrize(
    ("what", "data", "encoding", "bad"),
    [
        ("UTF-8, last character cut off", (TEXT + "。").encode("utf-8")[:-1], "utf-8", 2),
        ("UTF-8, a stray 0xFF", with_stray_byte("utf-8"), "utf-8", 1),
        ("GBK, a stray 0xFF", with_stray_byte("gbk"), "gb18030", 1),
        ("GBK, last character cut off", (TEXT + "。").encode("gbk")[:-1], "gb18030", 1),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) > 12 else "",
)
def test_a_text_with_a_few_bad_bytes_is_read_with_a_warning(what, data, encoding, bad):
    extracted = extract(data, "report.txt")
    assert extracted.encoding == encoding
    assert extracted.text.count("\ufffd") == bad
    report = parse_bytes(data, "report.txt")
    assert report.agency == AGENCY and report.applications is not None
    assert [w for w in report.warnings if "字节" in w] == [f"文本有 {bad} 个字节不是有效的 {encoding.upper()} 编码，已替换为“\ufffd”"]


def test_a_clean_file_gets_no_bad_byte_warning():
    for data in (TEXT.encode("utf-8"), TEXT.encode("gbk")):
        assert not [w for w in parse_bytes(data, "report.txt").warnings if "字节" in w]


def test_many_bad_bytes_still_mean_another_encoding():
    # GBK text is almost never valid UTF-8: it is not read as UTF-8 "with replacements"
    extracted = extract(TEXT.encode("gbk"), "report.txt")
    assert extracted.encoding == "gb18030" and "\ufffd" not in extracted.text


# --- item 3: only regular files, never more than the cap ---------------------------


def test_a_named_pipe_swapped_in_after_listing_is_refused_not_waited_on(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    report = folder / "report.txt"
    report.write_text(TEXT, encoding="utf-8")
    listed = find_files([folder])
    report.unlink()
    os.mkfifo(report)  # no writer: reading it the ordinary way would wait for ever
    with pytest.raises(UnreadableFile, match="not a regular file \\(a named pipe\\)"):
        read_bytes(report)
    summary = build_index([folder], tmp_path / "ix", files=listed)
    assert summary.failed == [(str(report.resolve()), "not a regular file (a named pipe): only regular files are read")]


def test_a_device_behind_a_link_is_refused(tmp_path):
    link = tmp_path / "report.txt"
    link.symlink_to("/dev/zero")  # endless: reading it to the end would never end
    with pytest.raises(UnreadableFile, match="character device"):
        parse_file(link)


def test_a_file_larger_than_it_said_is_cut_at_the_cap(tmp_path, monkeypatch):
    import index.read

    f = tmp_path / "growing.txt"
    f.write_bytes(b"x" * 5000)
    monkeypatch.setattr(index.read, "SIZE_LIMITS", {"txt": 1000, "html": 1000, "docx": 1000, "pdf": 1000})
    # fstat says 5000 > 1000: refused before reading
    with pytest.raises(UnreadableFile, match="too large"):
        read_bytes(f)
    # a file whose size the system does not know (procfs says 0) is read only up to the cap
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:6], 0, *real_fstat(fd)[7:])))
    with pytest.raises(UnreadableFile, match="more than"):
        read_bytes(f)


# --- item 10: a folder that cannot be listed is reported ---------------------------


def test_a_folder_that_cannot_be_listed_is_reported_not_skipped(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    locked = folder / "2023"
    locked.mkdir(parents=True)
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (locked / "b.txt").write_text(TEXT, encoding="utf-8")
    locked.chmod(0)
    real_scandir = os.scandir

    def scandir(path="."):  # root reads a mode-000 folder anyway: refuse as the kernel would anyone else
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    try:
        assert find_files([folder]) == [str(locked), str(folder / "a.txt")]
        monkeypatch.setattr(os, "open", _refusing(os.open, locked))
        with pytest.raises(UnreadableFile, match="cannot read folder: Permission denied"):
            parse_file(locked)
    finally:
        locked.chmod(0o755)


def _refusing(real_open, path: Path):
    def fake_open(p, flags, *args):
        if Path(p) == path:
            raise PermissionError(13, "Permission denied", os.fspath(p))
        return real_open(p, flags, *args)

    return fake_open


def test_a_folder_given_as_a_file_is_refused(tmp_path):
    with pytest.raises(UnreadableFile, match="cannot read folder: not a file"):
        read_bytes(tmp_path)


def test_symlink_loops_and_links_to_folders_are_not_followed(tmp_path):
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "sub" / "loop").symlink_to(folder)
    (folder / "elsewhere").symlink_to(tmp_path)
    assert find_files([folder]) == [str(folder / "sub" / "a.txt")]


# --- item 3: DOCX zip bombs ------------------------------------------------------


def repacked_docx(extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    import io
    import zipfile

    import formats_fixtures as fx

    good = zipfile.ZipFile(io.BytesIO(fx.docx_file(fx.NAMES[0])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for item in good.infolist():
            z.writestr(item.filename, (replace or {}).get(item.filename, good.read(item)), zipfile.ZIP_DEFLATED)
        for name, blob in (extra or {}).items():
            z.writestr(name, blob, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_a_docx_part_that_inflates_a_thousandfold_is_refused_before_inflating():
    data = repacked_docx(extra={"word/media/image1.png": bytes(30 * 1024 * 1024)})
    assert len(data) < 200_000  # 30 MB of zeros packs into a few tens of KB
    with pytest.raises(UnreadableFile, match=r"DOCX part word/media/image1\.png inflates \d+-fold \(limit 200\): a zip bomb"):
        extract(data, "report.docx")


def test_docx_caps_on_what_the_package_inflates_to(monkeypatch):
    from index.formats import docx

    data = repacked_docx()
    assert "政府信息公开" in extract(data, "report.docx").text  # within the caps: read
    document_size = len(__import__("zipfile").ZipFile(__import__("io").BytesIO(data)).read("word/document.xml"))
    monkeypatch.setattr(docx, "MAX_XML_PART", document_size - 1)
    with pytest.raises(UnreadableFile, match=r"DOCX part word/document\.xml inflates to \d+ MB"):
        extract(data, "report.docx")
    monkeypatch.setattr(docx, "MAX_UNZIPPED", document_size)
    with pytest.raises(UnreadableFile, match=r"DOCX inflates to \d+ MB \(limit \d+ MB\)"):
        extract(data, "report.docx")


def test_a_docx_part_that_lies_about_its_size_is_cut_there_and_refused():
    import struct

    data = bytearray(repacked_docx())
    name = b"word/document.xml"
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(name))  # its central directory entry
    local = data.rfind(b"PK\x03\x04", 0, data.find(name))
    declared = struct.unpack_from("<I", data, entry + 24)[0]
    for offset in (entry + 24, local + 22):  # uncompressed size: a tenth of the truth
        struct.pack_into("<I", data, offset, declared // 10)
    with pytest.raises(UnreadableFile, match="corrupt DOCX: bad zip archive \\(Bad CRC-32"):
        extract(bytes(data), "report.docx")


# --- item 3: HTML nesting and size -------------------------------------------------


def html_page(body: str) -> bytes:
    return f'<html><head><meta charset="utf-8"><title>t</title></head><body>{body}</body></html>'.encode()


def nested(depth: int) -> bytes:
    return html_page("<div>" * depth + "<p>" + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p>" + "</div>" * depth)


@pytest.fixture
def node_visits(monkeypatch):
    """How many nodes bs4 walks over (every subtree search, text gathering and walk goes through ``descendants``)."""
    from bs4.element import Tag

    count = {"n": 0}
    walk = Tag.descendants.fget

    def counted(self):
        for node in walk(self):
            count["n"] += 1
            yield node

    monkeypatch.setattr(Tag, "descendants", property(counted))
    return count


def test_html_nested_past_the_depth_limit_is_read_as_text_in_linear_work(node_visits):
    from index.formats import html

    depth = 20_000
    extracted = html.extract(nested(depth))
    assert "本机关认真贯彻落实政府信息公开条例。" in extracted.text
    assert extracted.warnings == [f"网页嵌套超过 {html.MAX_DEPTH} 层：更深处的内容按纯文本读取，其中的表格不分单元格"]
    # measured once, not once per level: the old walk visited ~depth²/2 = 200 000 000 nodes here
    assert node_visits["n"] < 2 * depth


def test_deep_subtrees_keep_their_text_in_order_and_their_blocks_on_lines():
    from bs4 import BeautifulSoup

    from index.formats import html

    deep = "<span>" * (html.MAX_DEPTH + 5)
    soup = BeautifulSoup(f"<body>{deep}<p>第一段</p><script>var x</script><div><b>第二</b>段<br>第三段</div></body>", "lxml")
    assert html.flatten_deep(soup) == 1
    depth, node = 0, soup.find("p") or soup.find("br")
    while node.parent is not None:
        depth, node = depth + 1, node.parent
    assert depth <= html.MAX_DEPTH + 1
    walker = html.Walker()
    walker.walk(soup.body)
    walker.flush()
    assert [text for _, text in walker.blocks] == ["第一段", "第二段", "第三段"]


def test_a_page_nested_within_the_limit_is_read_as_before():
    from index.formats import html

    extracted = html.extract(nested(html.MAX_DEPTH - 10))
    assert "本机关认真贯彻落实政府信息公开条例。" in extracted.text and extracted.warnings == []


def test_an_html_page_of_too_many_elements_is_refused_before_building_a_tree(node_visits):
    from index.formats import html

    with pytest.raises(UnreadableFile, match=rf"HTML page of {html.MAX_ELEMENTS + 1 + 5} elements \(limit {html.MAX_ELEMENTS}\)"):
        html.extract(html_page("<b></b>" * (html.MAX_ELEMENTS + 1)))  # and html, head, meta, title, body
    assert node_visits["n"] == 0


def test_a_huge_rowspan_is_clipped_not_converted_whole():
    from index.formats import html

    table = f'<table><tr><td rowspan="{"9" * 5000}">甲</td><td colspan="{"9" * 5000}">乙</td></tr><tr><td>1</td></tr></table>'
    text = html.extract(html_page("<div><p>" + "正文段落。" * 200 + "</p>" + table + "</div>")).text
    assert "甲\t乙" in text


# --- item 3: one file, one pathological line ---------------------------------------

MB = 1024 * 1024


@pytest.mark.parametrize(
    "text",
    [
        "一" * MB,
        "1" * MB,
        "1 " * (MB // 2),
        "（一）" * (MB // 3),
        "一、" * (MB // 2),
        "2023 年" * (MB // 6),
        "[bookmark:" * (MB // 10),
        "电话1" + "- " * (MB // 2),
        "a" * MB + "@",
        "http://" + "a" * MB,
        "1\t" * (MB // 2),
    ],
    ids=["one character", "digits", "digits and spaces", "（一）", "一、", "2023 年", "[bookmark:", "电话 and dashes", "no @", "one URL", "cells"],
)
def test_a_megabyte_of_one_pattern_is_refused_as_no_report(text):
    # each of these took minutes (a regex or a list tried once per character) before it was made linear
    with pytest.raises(NotAReport, match="not a government information-disclosure annual report"):
        parse_text(text)


def test_a_report_with_a_megabyte_line_is_read():
    report = parse_text(TEXT + "\n" + "无其他需报告事项" + "。" * MB + "\n")
    assert report.agency == AGENCY and report.applications is not None
    assert len(report.text) > MB


def test_a_table_cell_of_five_thousand_digits_is_no_number():
    row = "(一) 予以公开\t0\t0\t0\t0\t0\t0\t0"
    report = parse_text(TEXT.replace(row, "(一) 予以公开\t" + "1" * 5000 + "\t0\t0\t0\t0\t0\t0"))
    assert all(f.value is None for f in report.applications["disclosed"].values())


def test_a_crawled_row_of_a_megabyte_of_digits_is_left_empty_with_a_warning():
    import formats_fixtures as fx

    text = fx.crawled_text(fx.NAMES[0])
    start = text.index("本年新收政府信息公开申请数量") + len("本年新收政府信息公开申请数量")
    end = start + len(text[start:]) - len(text[start:].lstrip("0123456789 "))
    report = parse_text(text[:start] + "1" * MB + text[end:])
    assert all(f.value is None for f in report.applications["new_received"].values())
    assert any("本年新收" in w for w in report.warnings)


# --- item 1, reader side: a file name that is not UTF-8 ------------------------------


def test_parse_and_check_cope_with_a_gbk_file_name(tmp_path):
    import json
    import subprocess
    import sys

    folder = os.fsencode(tmp_path)
    good = os.path.join(folder, "报告".encode("gbk") + b".txt")  # as unzipped from a Chinese archive
    empty = os.path.join(folder, "空".encode("gbk") + b".txt")
    with open(good, "wb") as f:
        f.write(TEXT.encode("utf-8"))
    open(empty, "wb").close()
    nianbao = [sys.executable, "-m", "nianbao"]

    parsed = subprocess.run([*nianbao, "parse", "--json", "--no-text", good], capture_output=True, timeout=300)
    assert parsed.returncode == 0, parsed.stderr
    data = json.loads(parsed.stdout.decode("utf-8"))  # valid UTF-8 JSON, the name's bytes escaped
    assert data["agency"] == AGENCY
    assert os.fsencode(data["source"]["path"]) == good

    refused = subprocess.run([*nianbao, "parse", empty], capture_output=True, timeout=300)
    assert refused.returncode == 1 and b"Traceback" not in refused.stderr
    assert refused.stderr.decode("utf-8").strip() == f"error: {os.fsdecode(folder)}/\\xbf\\xd5.txt: empty file"

    checked = subprocess.run([*nianbao, "check", folder], capture_output=True, timeout=300)
    assert checked.returncode == 1 and b"Traceback" not in checked.stderr
    lines = checked.stdout.decode("utf-8").splitlines()
    assert [line.split()[1:] for line in lines[:-1]] == [["error", "empty", "file"]]
    assert lines[-1].startswith("2 files: 1 parsed, 1 failed")


# --- item 3: PDF bounds ---------------------------------------------------------------


def test_a_pdf_longer_than_any_report_is_refused_before_its_pages_are_read():
    import io

    from reportlab.pdfgen import canvas

    from index.formats import pdf

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pdf.MAX_PAGES + 1):
        c.drawString(72, 720, "page")
        c.showPage()
    c.save()
    with pytest.raises(UnreadableFile, match=rf"PDF of {pdf.MAX_PAGES + 1} pages \(limit {pdf.MAX_PAGES}\)"):
        extract(buf.getvalue(), "long.pdf")


def test_a_pdf_page_of_too_many_objects_is_refused(monkeypatch):
    import formats_fixtures as fx

    from index.formats import pdf

    data = fx.pdf_file(fx.NAMES[0])
    assert "政府信息公开" in extract(data, "report.pdf").text
    monkeypatch.setattr(pdf, "MAX_PAGE_OBJECTS", 50)
    with pytest.raises(UnreadableFile, match=r"PDF page 1 holds \d+ characters and drawn lines \(limit 50\)"):
        extract(data, "report.pdf")


def test_merged_cells_cannot_blow_a_table_up_to_millions_of_cells():
    from index.formats import html

    rows = '<tr><td rowspan="1000" colspan="1000">1</td><td>2</td></tr>' * 50  # 50 × 50 000 positions
    with pytest.raises(UnreadableFile, match=rf"HTML table spans more than {html.MAX_GRID_CELLS} cells"):
        html.extract(html_page("<div><p>" + "正文段落。" * 200 + f"</p><table>{rows}</table></div>"))


def test_chrome_nested_inside_chrome_is_dropped_once():
    from index.formats import html

    chrome = '<div class="nav">' * 30 + "<a>首页</a>" + "</div>" * 30
    text = html.extract(html_page(chrome * 50 + "<div><p>" + "本机关认真贯彻落实政府信息公开条例。" * 60 + "</p></div>")).text
    assert "首页" not in text and "本机关认真贯彻" in text


# --- item 10: an XHTML page, a link to a file elsewhere -----------------------------------


def test_parse_of_an_xhtml_page_prints_no_parser_warning(tmp_path):
    import subprocess
    import sys

    lines = "".join(f"<p>{line}</p>" for line in TEXT.splitlines() if line.strip())
    page = tmp_path / "report.xhtml"
    page.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head>'
        f"<body><div>{lines}</div></body></html>",
        encoding="utf-8",
    )
    parsed = subprocess.run([sys.executable, "-m", "nianbao", "parse", page], capture_output=True, text=True, timeout=300)
    assert parsed.returncode == 0, parsed.stderr
    assert AGENCY in parsed.stdout
    assert "Warning" not in parsed.stderr and "XMLParsedAsHTML" not in parsed.stderr


def test_a_link_to_a_file_outside_the_folder_is_read_under_the_links_own_path(tmp_path):
    # What the researcher put in the folder is the link: results, failures and
    # downloads name it, not a path elsewhere on the disk they never chose.
    folder, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (elsewhere / "real-name.txt").write_text(TEXT, encoding="utf-8")
    (elsewhere / "empty.txt").write_bytes(b"")
    (folder / "linked.txt").symlink_to(elsewhere / "real-name.txt")
    (folder / "broken.txt").symlink_to(elsewhere / "empty.txt")
    assert parse_file(folder / "linked.txt").source.path == str(folder / "linked.txt")
    summary = build_index([folder], tmp_path / "ix")
    assert summary.added == [str(folder / "linked.txt")]
    assert summary.failed == [(str(folder / "broken.txt"), "empty file")]

    from search.engine import Engine, SearchRequest

    engine = Engine(tmp_path / "ix")
    try:
        assert [h.sources for h in engine.search(SearchRequest()).hits] == [[str(folder / "linked.txt")]]
    finally:
        engine.close()


# --- item 2: passage selection in a large report is bounded in work ------------------------


class Counting(list):
    """A list that counts every element read from it: each index (a probe of a
    bisection), each element of a slice and of an iteration."""

    touched = 0

    def __getitem__(self, i):
        got = super().__getitem__(i)
        Counting.touched += len(got) if isinstance(i, slice) else 1
        return got

    def __iter__(self):
        for item in super().__iter__():
            Counting.touched += 1
            yield item


def _two_mb_report(line: str):
    text = TEXT + line * (2 * MB // len(line.encode("utf-8")) + 1)
    assert len(text.encode("utf-8")) > 2 * MB
    return parse_text(text)


def _counted_selection(report, literals):
    """``best_passages``' hits and how many passages and matches it read."""
    from search.passages import best_passages, match_spans

    matches = {lit: Counting(spans) for lit, spans in match_spans(report, literals).items()}
    report.passages = Counting(report.passages)
    Counting.touched = 0
    hits = best_passages(report, literals, matches=matches)
    return hits, Counting.touched, sum(len(s) for s in matches.values())


def test_passage_selection_in_a_2_mb_report_grows_with_the_matches_not_passages_times_matches():
    import math

    report = _two_mb_report("本机关依法公开行政处罚决定，接受社会监督。\n")
    passages = len(report.passages)
    hits, touched, found = _counted_selection(report, ["行政处罚", "社会监督"])
    assert passages > 30_000 and found > 60_000
    assert hits and all(h.matched == 2 for h in hits)
    # Each match is read once and finds its passage by bisection: matches ×
    # log(passages).  Passages × matches, the old cost, would be over 10⁹.
    bound = found * (math.log2(passages) + 3)
    assert touched <= bound < passages * found / 100


def test_passage_selection_in_a_2_mb_report_never_reads_the_passages_without_a_match():
    import math

    report = _two_mb_report("本机关认真贯彻落实政府信息公开条例。\n")
    passages = len(report.passages)
    hits, touched, found = _counted_selection(report, ["行政处罚"])  # only in the sample's own text
    assert passages > 30_000 and 0 < found < 50
    assert hits and hits[0].html.count("<mark>") >= 1
    rows = sum(len(getattr(report, t) or {}) for t in ("proactive", "applications", "review_litigation"))
    # matches × log(passages), and one look for each parsed table row's printed passage
    assert touched <= found * (math.log2(passages) + 3) + 2 * rows < passages / 100


def test_a_report_shown_again_is_not_rebuilt_until_the_next_commit(tmp_path, monkeypatch):
    import shutil

    from index.model import Report
    from search.engine import Engine, SearchRequest, _Decoded

    folder = tmp_path / "reports"
    folder.mkdir()
    for p in SAMPLES[:2]:
        shutil.copy(p, folder / p.name)
    build_index([folder], tmp_path / "ix")
    rebuilt = []
    real = Report.from_dict.__func__
    monkeypatch.setattr(Report, "from_dict", classmethod(lambda cls, data, **kw: rebuilt.append(data["agency"]) or real(cls, data, **kw)))
    engine = Engine(tmp_path / "ix")
    try:
        first = engine.search(SearchRequest(q="政府信息"))
        assert len(first.hits) == len(rebuilt) == 2
        again = engine.search(SearchRequest(q="行政复议 申请"))  # another query showing the same reports
        assert len(again.hits) == 2 and len(rebuilt) == 2
        assert [h.passages for h in engine.search(SearchRequest(q="政府信息")).hits] == [h.passages for h in first.hits]

        # a commit renumbers documents: what the new one shows is read from it
        changed = folder / SAMPLES[0].name
        changed.write_text(changed.read_text(encoding="utf-8").replace("政府信息", "政务信息"), encoding="utf-8")
        build_index([folder], tmp_path / "ix")
        after = engine.search(SearchRequest(q="政府信息"))
        assert len(after.hits) == 1 and len(rebuilt) == 3
        assert engine.search(SearchRequest(q="政务信息")).hits[0].passages[0].html.count("<mark>政务信息</mark>")
        assert len(rebuilt) == 4

        # over the budget the least recently shown go first; the one just shown stays
        monkeypatch.setattr(_Decoded, "BUDGET", 1)
        engine._gen.decoded = kept = _Decoded()
        assert len(engine.search(SearchRequest(q="政务信息 OR 政府信息")).hits) == 2
        assert len(kept._entries) == 1
    finally:
        engine.close()
