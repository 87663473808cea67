"""The report's descriptive fields: title, agency, year, signature date, contact."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from index.template import heading_number

REPORT_WORDS = re.compile(r"(政府信息公开|政务公开|信息公开).{0,6}(年度报告|工作报告|年报)")
YEAR = r"(?P<year>(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年度?"
TITLE_SUFFIX = re.compile(r"(关于)?(的)?(政府信息公开|政务公开|信息公开)?(工作)?(年度报告|工作报告|年报)\s*$")
AGENCY_BEFORE_YEAR = re.compile(rf"^(?P<agency>.+?)\s*(?:关于)?\s*{YEAR}")
YEAR_BEFORE_AGENCY = re.compile(rf"^{YEAR}\s*(?P<agency>.+?)\s*$")
PERIOD = re.compile(rf"统计期限?(?:为|是)?(?:自|从)?\s*{YEAR}")

CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
DATE = re.compile(
    r"^\s*(?P<y>(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*(?:年|[-./])\s*"
    r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})\s*(?:月|[-./])\s*"
    r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日?\s*$"
)


def cn_number(text: str) -> int:
    """'2023', '二〇二三', '十二', '二十五' → int."""
    if text.isdigit():
        return int(text)
    if "十" in text:  # 十, 十二, 二十, 二十五, 三十一
        tens, _, ones = text.partition("十")
        return int(CN_DIGITS.get(tens, "1") if tens else 1) * 10 + (int(CN_DIGITS[ones]) if ones else 0)
    return int("".join(CN_DIGITS[c] for c in text))


@dataclass
class Title:
    text: str
    start: int
    end: int


def find_title(text: str) -> Title | None:
    """The title: the first lines up to the one that names the report.

    A title often breaks after the agency name ("淄博市机关事务管理局" /
    "2023年政府信息公开工作年度报告"); the lines are joined.
    """
    lines = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((line.strip(), pos + line.index(line.strip()[0])))
        pos += len(line) + 1
        if len(lines) >= 6:
            break
    for i, (line, start) in enumerate(lines):
        if len(line) > 80 or heading_number(line):
            break
        if REPORT_WORDS.search(line):
            first = i
            # Pull in the lines before that hold the agency (short, no sentence end).
            while first > 0 and i - first < 2 and len(lines[first - 1][0]) <= 40 and not lines[first - 1][0].endswith(("。", ":", "：")):
                first -= 1
            joined = "".join(l for l, _ in lines[first : i + 1])
            return Title(joined, lines[first][1], start + len(line))
    return None


def agency_from_title(title: str) -> str | None:
    body = TITLE_SUFFIX.sub("", re.sub(r"\s+", "", title))
    for pattern in (AGENCY_BEFORE_YEAR, YEAR_BEFORE_AGENCY):
        m = pattern.match(body)
        if m:
            agency = m["agency"].strip(" ,，、:：")
            agency = re.sub(r"(关于|的)$", "", agency)
            if len(agency) >= 2 and not re.match(r"^[\d年度]+$", agency):
                return agency
    return None


def find_year(title: str | None, text: str) -> int | None:
    """The year reported on: from the title, else from the statistics period."""
    for source, pattern in ((title or "", re.compile(YEAR)), (text[:3000], PERIOD)):
        m = pattern.search(source)
        if m:
            year = cn_number(m["year"])
            if 1990 <= year <= dt.date.today().year + 1:
                return year
    return None


def find_published(text: str) -> str | None:
    """The signature date: a line holding only a date, among the last lines."""
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    for line in reversed(lines[-12:]):
        m = DATE.match(line)
        if m:
            try:
                return dt.date(cn_number(m["y"]), cn_number(m["m"]), cn_number(m["d"])).isoformat()
            except (ValueError, KeyError):
                return None
    return None


def find_signature_agency(text: str) -> str | None:
    """The agency signing at the end: the line before the date, or the last line."""
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    tail = lines[-3:]
    for i in range(len(tail) - 1, -1, -1):
        if DATE.match(tail[i]) and i > 0:
            candidate = tail[i - 1]
            break
    else:
        candidate = tail[-1] if tail else ""
    if 4 <= len(candidate) <= 30 and re.search(r"(局|委|办|厅|部|院|中心|政府|委员会|公司|所|站|处|署|队)$", candidate):
        return candidate
    return None


# ------------------------------------------------------------------ contact

SEP = r"\s*[:：]?\s*"
END = r"[^;；,，。)）\n]+"
CONTACT_PATTERNS = {
    "address": re.compile(rf"(?:通讯地址|联系地址|办公地址|通信地址|地址|地点){SEP}({END})"),
    "postcode": re.compile(rf"(?:邮政编码|邮编){SEP}(\d{{6}})"),
    "phone": re.compile(rf"(?:联系电话|咨询电话|办公电话|服务电话|电话){SEP}(\(?\d[\d\-—－() ]{{4,}}\d)"),
    "fax": re.compile(rf"传真(?:电话)?{SEP}(\(?\d[\d\-—－() ]{{4,}}\d)"),
    # the lookbehind starts a try only where a name starts: a long run without "@" is read once, not once per character
    "email": re.compile(r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)"),
    "url": re.compile(r"((?:https?://|www\.)[A-Za-z0-9\-._~/?#=&%:+]+[A-Za-z0-9/_\-])"),
}


def find_contact(text: str) -> dict[str, str]:
    """Contact details as printed (only the keys found)."""
    found: dict[str, str] = {}
    for key, pattern in CONTACT_PATTERNS.items():
        m = pattern.search(text)
        if not m:
            continue
        value = m.group(1).strip()
        if key == "address":
            value = re.sub(r"\s+", "", value)
            if len(value) < 4:
                continue
        elif key in ("phone", "fax"):
            value = re.sub(r"\s+", "", value)
        found[key] = value
    return found
