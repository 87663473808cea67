"""Where a report comes from: province, city and county of the reporting agency.

Evidence, strongest first: the agency name, the contact address, the body text,
the e-mail/URL domain.  The agency name alone sets how deep the answer goes (a
city bureau has no county even if its address names a district); the other
sources only choose between places of the same name and never add a level the
agency name does not have.  Where the evidence cannot tell two places apart, the
levels they disagree on are left None.

The division table is ``index/data/divisions.csv`` (see ``index/data/README.md``).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from index.model import Region

DATA = Path(__file__).with_name("data") / "divisions.csv"
ZONES = Path(__file__).with_name("data") / "zones.csv"  # zones named after no division (雄安新区)

MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})

# A short name (淄博 for 淄博市) is a place when followed by these (or, for provinces and
# cities, opening the agency name or right after another place); elsewhere 2–3
# characters are too often an ordinary word or a road named after a city.
SHORT_CONTEXT = (
    "高新", "经济技术开发区", "经济开发区", "经开区", "开发区", "工业园", "产业园", "园区",
    "新区", "保税", "综合保税", "自贸", "自由贸易", "分局", "海关", "管委会", "管理委员会",
    "综合实验区", "综合试验区", "实验区", "试验区", "示范区", "合作区", "片区",
)  # fmt: skip
# A place name followed by these names a street, building or lower unit, not the place
# (中山路, 北京西路, 淄博站).
NOT_PLACE = re.compile(
    r"[东南西北中一二三四五六七八九十]*[路街巷弄]|大道|大街|胡同|镇|社区|小区|广场|大厦|花园"
    r"|中学|小学|大学|学院|医院|公园|桥|港|站|市场"
)
# A known stem with another suffix is a renamed unit (梁平县 -> 梁平区, 县 -> 市).
STEM_SUFFIXES = "区县市旗"
DOMAIN_NOISE = frozenset({"www", "gov", "cn", "com", "net", "org", "mail", "email", "http", "https"})


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    level: int  # 1 province, 2 city (prefecture), 3 county
    parent: str
    name: str
    short: str
    pinyin: str  # syllables joined, e.g. "zibo"
    initials: str  # e.g. "zb"


class Table:
    """The division table, indexed for matching."""

    def __init__(self, divisions: list[Division], zones: dict[str, str] | None = None) -> None:
        self.by_code = {d.code: d for d in divisions}
        # zone name -> the division holding it, longest names first
        self.zones = {name: self.by_code[code] for name, code in sorted((zones or {}).items(), key=lambda z: -len(z[0]))}
        self.by_name: dict[str, list[Division]] = {}
        self.by_short: dict[str, list[Division]] = {}
        self.by_pinyin: dict[str, list[Division]] = {}
        for d in divisions:
            self.by_name.setdefault(d.name, []).append(d)
            if d.short:
                self.by_short.setdefault(d.short, []).append(d)
            self.by_pinyin.setdefault(d.pinyin, []).append(d)
        self.max_name = max(len(n) for n in self.by_name)
        self.max_short = max(len(n) for n in self.by_short)
        self.provinces = [d for d in divisions if d.level == 1]
        self.cities = [d for d in divisions if d.level == 2]
        # Province/city names and shorts, for counting in the body.
        self.upper: dict[str, list[Division]] = {}
        for d in divisions:
            if d.level < 3:
                self.upper.setdefault(d.name, []).append(d)
                if d.short:
                    self.upper.setdefault(d.short, []).append(d)
        self.upper_prefix = {k[:2] for k in self.upper}
        self.upper_lengths = sorted({len(k) for k in self.upper}, reverse=True)

    def lineage(self, d: Division) -> list[Division]:
        """Province first, ``d`` last."""
        out = [d]
        while out[-1].parent:
            out.append(self.by_code[out[-1].parent])
        return out[::-1]


@cache
def load_table(path: Path = DATA) -> Table:
    divisions = []
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            syllables = row["pinyin"].split()
            divisions.append(
                Division(
                    row["code"], int(row["level"]), row["parent"], row["name"], row["short"],
                    "".join(syllables), "".join(s[0] for s in syllables),
                )  # fmt: skip
            )
    with open(ZONES, encoding="utf-8") as f:
        zones = {row["name"]: row["code"] for row in csv.DictReader(line for line in f if not line.startswith("#"))}
    return Table(divisions, zones)


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    candidates: tuple[Division, ...]
    printed: str | None = None  # the county's name as printed, when the table has an older one


def resolve_region(agency: str | None, text: str, contact: dict[str, str]) -> Region:
    """Province, city and county of the agency that wrote the report."""
    table = load_table()
    agency = _squash(agency or _title_head(text))
    address = _squash(contact.get("address", ""))
    agency_mentions = _mentions(agency, table, at_start=True)
    address_mentions = _mentions(address, table, at_start=False)
    domain_mentions = _domain_mentions(contact, table)

    support = {
        "address": lambda c: _support(c, address_mentions, table),
        "body": lambda c: _body_support(c, text, table),
        "domain": lambda c: _support(c, domain_mentions, table),
    }

    def pick(candidates: list[Division], sources: list[str]) -> list[Division]:
        """Places of the same name: the one the weaker sources back, in their order of strength."""
        if len(candidates) < 2:
            return candidates
        score = {c.code: tuple(support[s](c) for s in sources) for c in candidates}
        best = max(score.values())
        return [c for c in candidates if score[c.code] == best]

    if anchor := _anchor(agency_mentions, table):
        chosen = pick(anchor, ["address", "body", "domain"])
        return _region(chosen, table, _printed(agency_mentions))
    # No place in the agency name: the address says where the office is, not whose
    # it is (a city bureau sits in some district), so it is trusted down to city only.
    if anchor := _anchor(address_mentions, table):
        chosen = pick(anchor, ["body", "domain"])
        return _region(_up_to_city(chosen, table), table, {})
    if anchor := _anchor(domain_mentions, table):
        return _region(pick(anchor, ["body"]), table, {})
    return _region(_dominant_in_body(text, table), table, {})


# ------------------------------------------------------------------ matching


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _title_head(text: str) -> str:
    """The agency part of the title, for when the parser found no agency."""
    cut = text.find("政府信息公开", 0, 300)
    for line in reversed(text[:max(cut, 0)].splitlines()):
        if line := re.sub(r"\d+\s*年度?|\s+", "", line):
            return line
    return ""


def _mentions(s: str, table: Table, *, at_start: bool) -> list[Mention]:
    """Places named in a short string (an agency name or an address), left to right.

    ``at_start``: a province/city short name opening the string counts (淄博海关),
    which is safe for agency names but not addresses (中山路 1 号).
    """
    out: list[Mention] = []
    i, n = 0, len(s)
    while i < n:
        chained = i == 0 or (bool(out) and out[-1].end == i)
        m = _zone_at(s, i, table) or _full_at(s, i, table, chained) or _short_at(s, i, table, chained, at_start)
        if m:
            out.append(m)
            i = m.end
        else:
            i += 1
    return out


def _zone_at(s: str, i: int, table: Table) -> Mention | None:
    for name, division in table.zones.items():
        if s.startswith(name, i):
            return Mention(i, i + len(name), (division,))
    return None


def _full_at(s: str, i: int, table: Table, chained: bool) -> Mention | None:
    for length in range(min(table.max_name, len(s) - i), 1, -1):
        cands = table.by_name.get(s[i : i + length])
        if not cands:
            continue
        # Two-character names (城区, 和县, 沙县) are common words: trust them only
        # opening the string or right after another place (阳泉市郊区).
        if length == 2 and not chained:
            return None
        return Mention(i, i + length, tuple(cands))
    return None


def _short_at(s: str, i: int, table: Table, chained: bool, at_start: bool) -> Mention | None:
    for length in range(min(table.max_short, len(s) - i), 1, -1):
        word = s[i : i + length]
        cands = table.by_short.get(word)
        if not cands:
            continue
        end = i + length
        if NOT_PLACE.match(s, end):
            return None
        nxt = s[end : end + 1]
        if nxt and nxt in STEM_SUFFIXES and chained:
            counties = tuple(d for d in cands if d.level == 3)
            if counties:
                return Mention(i, end + 1, counties, printed=word + nxt if len(counties) == 1 else None)
        if _followed_by(s, end, SHORT_CONTEXT):
            return Mention(i, end, _highest(cands))
        if chained and (at_start or i > 0):
            upper = [d for d in cands if d.level < 3]
            if upper:
                return Mention(i, end, _highest(upper))
        return None
    return None


def _followed_by(s: str, i: int, words: tuple[str, ...]) -> bool:
    return s.startswith(words, i)


def _highest(cands: list[Division] | tuple[Division, ...]) -> tuple[Division, ...]:
    # A bare short name means the larger unit: 长沙 is 长沙市, not 长沙县; 吉林 is the province.
    top = min(d.level for d in cands)
    return tuple(d for d in cands if d.level == top)


def _domain_mentions(contact: dict[str, str], table: Table) -> list[Mention]:
    """Places spelled in pinyin in e-mail/URL host names: zb.shandong.cn, linzi.gov.cn."""
    hosts = []
    if "@" in contact.get("email", ""):
        hosts.append(contact["email"].rsplit("@", 1)[1])
    if url := contact.get("url", ""):
        hosts.append(urlsplit(url if "//" in url else "//" + url).hostname or "")
    out: list[Mention] = []
    for host in hosts:
        labels = [x for x in host.lower().split(".") if x and x not in DOMAIN_NOISE and not x.isdigit()]
        found = [_highest(table.by_pinyin[x]) for x in labels if len(x) > 3 and x in table.by_pinyin]
        provinces = {d.code for cands in found for d in cands if d.level == 1}
        for x in labels:
            # Initials are too short to search the whole country: only provinces whose
            # initials are unique (sd, gd, hlj), and cities inside a province already found.
            by_initials = [p for p in table.provinces if p.initials == x]
            if len(x) >= 2 and len(by_initials) == 1:
                found.append(tuple(by_initials))
            cities = [d for d in table.cities if d.parent in provinces and d.initials == x]
            if cities:
                found.append(tuple(cities))
        out.extend(Mention(0, 0, cands) for cands in found)
    return out


# ------------------------------------------------------------------ deciding


def _anchor(mentions: list[Mention], table: Table) -> list[Division]:
    """The deepest place the mentions agree on (淄博市 + 临淄区 -> 临淄区); ties are all kept."""
    cands = {d.code: d for m in mentions for d in m.candidates}
    if not cands:
        return []

    def agreement(d: Division) -> tuple[int, int]:
        line = {x.code for x in table.lineage(d)}
        return sum(any(c.code in line for c in m.candidates) for m in mentions), d.level

    scored = {code: agreement(d) for code, d in cands.items()}
    best = max(scored.values())
    return [cands[code] for code, s in scored.items() if s == best]


def _related(a: Division, b: Division, table: Table) -> bool:
    return a.code in {x.code for x in table.lineage(b)} or b.code in {x.code for x in table.lineage(a)}


def _support(c: Division, mentions: list[Mention], table: Table) -> int:
    return sum(any(_related(c, d, table) for d in m.candidates) for m in mentions)


def _body_support(c: Division, text: str, table: Table) -> int:
    line = table.lineage(c)
    return text.count(c.name) + sum(text.count(a.short or a.name) for a in line[:-1])


def _dominant_in_body(text: str, table: Table) -> list[Division]:
    """With nothing else to go on: the province, then city, named far more than any other."""
    counts: Counter[str] = Counter()
    i, n = 0, len(text)
    while i < n - 1:
        if text[i : i + 2] in table.upper_prefix:
            for length in table.upper_lengths:
                cands = table.upper.get(text[i : i + length])
                if cands and not NOT_PLACE.match(text, i + length):
                    for d in _highest(cands):
                        counts[d.code] += 1
                    i += length - 1
                    break
        i += 1

    def dominant(pool: list[Division]) -> Division | None:
        ranked = sorted(((counts[d.code], d.code) for d in pool if counts[d.code]), reverse=True)
        if ranked and ranked[0][0] >= 2 and (len(ranked) == 1 or ranked[0][0] >= 2 * ranked[1][0]):
            return table.by_code[ranked[0][1]]
        return None

    for code, k in list(counts.items()):  # a city's mentions count for its province too
        d = table.by_code[code]
        if d.level == 2:
            counts[d.parent] += k
    province = dominant(table.provinces)
    if province is None:
        return []
    city = dominant([d for d in table.cities if d.parent == province.code])
    return [city or province]


def _up_to_city(chosen: list[Division], table: Table) -> list[Division]:
    out = {}
    for d in chosen:
        d = table.by_code[d.parent] if d.level == 3 else d
        out[d.code] = d
    return list(out.values())


def _printed(mentions: list[Mention]) -> dict[str, str]:
    return {m.candidates[0].code: m.printed for m in mentions if m.printed}


def _region(chosen: list[Division], table: Table, printed: dict[str, str]) -> Region:
    """The levels all ``chosen`` places share."""
    if not chosen:
        return Region()
    lines = [table.lineage(d) for d in chosen]

    def common(level: int) -> Division | None:
        at = {next((x.code for x in line if x.level == level), None) for line in lines}
        return table.by_code[at.pop()] if len(at) == 1 and None not in at else None

    province, city = common(1), common(2)
    county = chosen[0] if len(chosen) == 1 and chosen[0].level == 3 else None
    if province and province.code in MUNICIPALITIES:
        city = province
    return Region(
        province=province.name if province else None,
        city=city.name if city else None,
        county=(printed.get(county.code) or county.name) if county else None,
    )


# ------------------------------------------------------------------ search lookups
# What search needs of the table: a place's path (the facet value), its label,
# and which places a search word names.

ORDINARY = Path(__file__).with_name("data") / "ordinary_names.txt"
PLACE_SEP = "/"
LEVEL_FACET = {1: "province", 2: "city", 3: "county"}


def place_path(*names: str | None) -> str:
    """A place as the facet value that tells same-named places apart, province
    first: ``福建省/福州市/鼓楼区``.  Missing levels are skipped, and a
    municipality standing as its own city (北京市, 北京市) is written once:
    ``北京市/东城区``."""
    parts: list[str] = []
    for name in names:
        if name and (not parts or parts[-1] != name):
            parts.append(name.replace(PLACE_SEP, " "))
    return PLACE_SEP.join(parts)


def place_parts(path: str) -> tuple[str, str]:
    """A place path's own name and the one above it ("" for a province):
    ``福建省/福州市/鼓楼区`` → (鼓楼区, 福州市)."""
    parts = path.split(PLACE_SEP)
    return parts[-1], parts[-2] if len(parts) > 1 else ""


def place_label(path: str) -> str:
    """How a place path reads: its own name and the one above, ``鼓楼区 · 福州市``."""
    name, parent = place_parts(path)
    return f"{name} · {parent}" if parent else name


def place_leaf(path: str) -> str:
    """A place path's own name: ``福建省/福州市/鼓楼区`` → ``鼓楼区``."""
    return place_parts(path)[0]


def region_of(d: Division, table: Table) -> Region:
    """The region a report of division ``d`` is stored with (as :func:`resolve_region` writes it)."""
    line = {x.level: x for x in table.lineage(d)}
    province, city, county = line.get(1), line.get(2), line.get(3)
    if province and province.code in MUNICIPALITIES:
        city = province
    return Region(*(x.name if x else None for x in (province, city, county)))


@cache
def _ordinary() -> frozenset[str]:
    lines = ORDINARY.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


def places_named(word: str, table: Table | None = None) -> list[Division]:
    """The places a search word names, largest first; [] when it names none.

    The rule: the whole word must be a division's full name (河南省, 福州市,
    鼓楼区) or its short name (河南, 福州, 鼓楼).  A county short name, or a
    two-character county name, that is an ordinary word (``data/ordinary_names.txt``:
    资源, 公安, 城区 …) names no place.  A bare short name means the larger unit,
    as in :func:`_short_at` (河南 is 河南省, not 河南县).  A place inside another the word also
    names is dropped (吉林 is 吉林省, which holds 吉林市; 长沙 is 长沙市, which
    holds 长沙县): it adds no report.  Same-named places in different cities all
    stay (鼓楼区 in 福州市, 南京市 …): the caller offers them as choices.
    """
    table = table or load_table()
    ordinary = word in _ordinary()
    cands = [d for d in table.by_name.get(word, []) if not (ordinary and len(word) == 2)]
    shorts = [d for d in table.by_short.get(word, []) if d.level < 3 or not ordinary]
    cands += _highest(shorts) if shorts else []
    codes = {d.code for d in cands}
    out: dict[str, Division] = {}
    for d in sorted(cands, key=lambda d: (d.level, d.code)):
        if not any(x.code in codes for x in table.lineage(d)[:-1]):
            out[d.code] = d
    return list(out.values())
