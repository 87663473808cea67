"""Text saved by a web crawler: a header block, then the page flattened to a line or a few.

How bulk collections of reports mostly reach researchers::

    标题: 平潭综合实验区社会事业局2023年政府信息公开工作年度报告
    发布时间: 2024-01-26 14:58
    发布机构: …
    原文链接: https://…
    ==================== 正文 ====================
    根据《条例》…编制完成本报告。一、总体情况2023年，我局…二、主动公开政府信息情况第二十条第（一）项
    信息内容本年制发件数本年废止件数现行有效件数规范性文件2120…一、本年新收政府信息公开申请数量 1000001…

The section headings sit inline and the table cells run together with no
separator.  This reader lays the text out the way the other readers do, so the
rest of the parser reads it unchanged: the title from ``标题:`` on the first
line, each section heading on a line of its own, and in the tables each row's
label on a line followed by a tab and the row's digits as printed (the *run*,
spaces kept).  It never splits a run: how many numbers a run holds and where
they part is a question for the table's arithmetic (``index/runs.py``), asked
by the table parser.  ``Extracted.run_together`` tells the cell stream that
such a cell is a run, not one number.

Of the header block, the title stays in the text and ``发布时间`` becomes
``Extracted.posted`` (the date the page was posted; the report's
``published`` is its signature date).  In the body only line breaks and tabs
are added (a space where a line now breaks may go); every other printed
character is kept, in order.

A text needs no header block to be read this way: a table whose rows run on
in one line (``…申请数量5000005二、上年结转…``) or whose row holds a single
7-digit run is laid out the same way, wherever the narrative keeps its line
breaks; a table begun on one line goes on over the next ones (one row per
line, cells run together) until a heading or a sentence.
"""

from __future__ import annotations

import datetime as dt
import re

from index.formats import Extracted
from index.template import PROACTIVE_ITEMS, heading_number

# ---------------------------------------------------------------- header block

HEADER_KEY = re.compile(r"^\s*(?P<key>[\u4e00-\u9fff]{2,6})\s*[:：]\s?(?P<value>.*?)\s*$")
SEPARATOR = re.compile(r"^\s*=+\s*正文\s*=+\s*$")
HEADER_NOTE = re.compile(r"^\s*页面链接与图片详见")
HEADER_DATE = re.compile(r"((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")


def header_block(lines: list[str]) -> tuple[dict[str, str], int] | None:
    """The crawler's header fields and the index of the first body line, if the text opens with one."""
    fields: dict[str, str] = {}
    for i, line in enumerate(lines[:30]):
        if SEPARATOR.match(line):
            return (fields, i + 1) if "标题" in fields else None
        if not line.strip() or HEADER_NOTE.match(line):
            continue
        m = HEADER_KEY.match(line)
        if not m:
            break
        fields.setdefault(m["key"], m["value"])
    # no separator line: the header ends at the first line that is not "key: value"
    if "标题" in fields and len(fields) >= 2:
        return fields, next((i for i, line in enumerate(lines) if line.strip() and not HEADER_KEY.match(line) and not HEADER_NOTE.match(line)), len(lines))
    return None


def header_date(value: str) -> str | None:
    m = HEADER_DATE.search(value or "")
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


# ---------------------------------------------------------------- telling the layout

# Section 3's first rows, their digits, and the next row on the same line; or a
# row holding one token of seven or more digits (no table cell is that large).
FLATTENED_ROWS = re.compile(r"(?:本年新收|上年结转)[^\n\t\d]{0,20}?[ \u3000]*\d[\d \u3000]*(?:二、|三、|上年结转|本年度办理|予以公开)")
GLUED_ROW = re.compile(r"(?:本年新收|上年结转)[^\n\t\d]{0,20}?\d{7,}")


def run_together(text: str) -> bool:
    """Whether the text's tables have their cells run together (a flattened page)."""
    return bool(FLATTENED_ROWS.search(text) or GLUED_ROW.search(text))


def is_crawled(text: str) -> bool:
    return header_block(text.split("\n")) is not None or run_together(text)


# ---------------------------------------------------------------- laying out the body

NUMERAL = "一二三四五六七八九十"
# An inline section heading: 一、 … up to the words that close a heading.
HEADING = re.compile(rf"(?<![{NUMERAL}])[一二三四五六][、.．][^。；;，,：:\d\n]{{0,30}}?(?:情况|事项|概述)")
# Where a table begins, by its own first cells.
TABLE_START = re.compile(r"第二十条第|信息内容\s*(?:本年|上一年|采购)|申请人情况|(?:一、)?本年新收政府信息公开申请|行政复议\s*行政诉讼|结果维持\s*结果纠正")
# The digits of a row as printed: numbers, maybe with spaces, maybe a unit at the end.
# "/" and "—" are cells printed as not applicable (but not the "/" of the 2019 header 本年增/减).
ATOM = r"(?:[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?|(?<!增)/(?!减)|—+)"
RUN = re.compile(rf"{ATOM}(?:[ \u3000\u00a0]*{ATOM})*(?:万元|元)?")
PROSE_UNIT = re.compile(r"[年月日号件条次个项人名家篇%％]")
ENUMERATOR_AFTER = re.compile(r"[.．、](?=\D)")  # "2.其他法律…": the digit before it numbers the next row
# A row label starts at an enumerator (一、 （一） 1.) or a header word of section 2 or 4.
LABEL_START = re.compile(
    rf"(?<![{NUMERAL}第])[{NUMERAL}]{{1,2}}、"
    rf"|(?<!第)[（(][{NUMERAL}]+[)）]"
    r"|\d+[.．](?!\d)"
    r"|第二十条第|信息内容|行政复议|行政诉讼|未经复议|复议后起诉"
)
ITEM_NAMES = sorted({name for _, names in PROACTIVE_ITEMS.values() for name in names}, key=len, reverse=True)
REPORT_TITLE = re.compile(r"^.{4,80}?(?:政府信息公开|政务公开|信息公开).{0,6}?(?:年度报告|工作报告|年报)")
SIGNATURE = re.compile(r"(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?P<rest>[^。\n]{0,12})\s*$")


def read(text: str, encoding: str | None) -> Extracted:
    lines = text.split("\n")
    header = header_block(lines)
    out: list[str] = []
    posted = None
    if header:
        fields, body_start = header
        out.append(fields["标题"])
        posted = header_date(fields.get("发布时间", ""))
        lines = lines[body_start:]
    title = out[0] if out else None
    body = Body()
    for n, line in enumerate(lines):
        if n == 0 or (title and not any(l.strip() for l in lines[:n])):
            out.extend(body.first_line(line, title))
        else:
            out.extend(body.line(line))
    return Extracted("\n".join(_signature(out)).strip("\n") + "\n", "txt", encoding, run_together=True, posted=posted)


class Body:
    """Lays the body out line by line; a table begun on one line goes on over the next ones."""

    def __init__(self) -> None:
        self.last_heading = 0  # sections come in order
        self.in_table = False

    def first_line(self, line: str, title: str | None) -> list[str]:
        """The first body line: the title (repeated, or with breadcrumb before it) on a line of its own."""
        if title:
            # where the repeated title ends, spaces in it allowed
            m = re.search(r"\s*".join(map(re.escape, re.sub(r"\s+", "", title))), line[:600])
        else:
            m = REPORT_TITLE.match(line)
            m = m if m and heading_number(m.group()) is None else None
        if m and m.end() < len(line):
            return [line[: m.end()], *self.line(line[m.end() :])]
        return self.line(line)

    def line(self, line: str) -> list[str]:
        """One line of the body: headings on their own lines, tables laid out row by row."""
        out: list[str] = []
        pos = 0
        for m in HEADING.finditer(line):
            number = heading_number(m.group())
            if number is None or number <= self.last_heading:
                continue
            self.last_heading = number
            out.extend(self._text(line[pos : m.start()]))
            out.append(m.group())
            self.in_table = False
            pos = m.end()
        out.extend(self._text(line[pos:]))
        return out or ([line] if line.strip() else [])

    def _text(self, chunk: str) -> list[str]:
        """A stretch of body between headings: prose, a table, or prose and then a table."""
        if not chunk.strip():
            return []
        if self.in_table and not _prose(chunk):
            return table_lines(chunk)
        m = TABLE_START.search(chunk)
        zone = chunk[m.start() :] if m else ""
        self.in_table = bool(zone) and (bool(_runs(zone)) or not _prose(zone))
        if not self.in_table:
            return [chunk]
        before = chunk[: len(chunk) - len(zone)]
        return ([before] if before.strip() else []) + table_lines(zone)


def _prose(chunk: str) -> bool:
    """A sentence, not table cells: it ends one, or runs long without a number."""
    return "。" in chunk or (len(chunk) > 120 and not _runs(chunk))


def _runs(zone: str) -> list[tuple[int, int]]:
    """The digit runs of a table stretch; a digit that numbers the next row is left to its label."""
    runs = []
    for m in RUN.finditer(zone):
        a, b = m.span()
        if b < len(zone) and PROSE_UNIT.match(zone, b):
            continue  # "2023年", "14件": a number in a sentence
        if ENUMERATOR_AFTER.match(zone, b) and not m.group().endswith(("元", "万元")):
            b -= 1  # "…00000002.其他法律…": the "2" numbers the next row
            while b > a and zone[b - 1].isspace():
                b -= 1
        if b > a:
            runs.append((a, b))
    return runs


def table_lines(zone: str) -> list[str]:
    """A table stretch as lines: each label on its own line, a row's run after its label and a tab."""
    lines: list[str] = []
    pos = 0
    for a, b in _runs(zone):
        labels = _labels(zone[pos:a])
        if labels:
            lines.extend(labels)
            lines[-1] += "\t" + zone[a:b]
        elif lines:
            lines[-1] += "\t" + zone[a:b]
        else:
            lines.append("\t" + zone[a:b])
        pos = b
    lines.extend(_labels(zone[pos:]))
    return lines


def _labels(text: str) -> list[str]:
    """The label cells in the text between two runs."""
    if not text.strip():
        return []
    cuts = {m.start() for m in LABEL_START.finditer(text)} | {0}
    # section 2: the item a run belongs to is named right before it (规章, 行政规范性文件 …)
    stripped = text.rstrip()
    for name in ITEM_NAMES:
        if stripped.endswith(name):
            cuts.add(len(stripped) - len(name))
            break
    cuts = sorted(cuts)
    pieces = [text[a:b] for a, b in zip(cuts, cuts[1:] + [len(text)])]
    return [p for p in pieces if p.strip()] or [text]


def _signature(lines: list[str]) -> list[str]:
    """The signature at the end of a flattened body: the agency and the date on lines of their own."""
    i = len(lines) - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0:
        return lines
    last = lines[i]
    m = SIGNATURE.search(last)
    if not m or m.start() == 0 or "\t" in last:
        return lines
    head = last[: m.start()].rstrip()
    cut = max(head.rfind(c) for c in "。；;！!？? \u3000")
    pieces = [head[: cut + 1], head[cut + 1 :], m["date"], m["rest"]]
    return lines[:i] + [p for p in pieces if p.strip()] + lines[i + 1 :]
