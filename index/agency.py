"""One key per agency (机关) across the years: region path + normalised name.

    agency_key("淄博高新区管委会", Region("山东省", "淄博市", None))
    == agency_key("淄博高新技术产业开发区管理委员会", Region("山东省", "淄博市", None))

Agencies rename themselves in small ways between years (管委会 → 管理委员会,
发改局 → 发展和改革局, 卫生健康委员会 → 卫生健康局).  The name is normalised
through the same synonym list the query side uses (``data/synonyms.txt``: every
member of a group becomes the group's first member), and a final 委员会/委 of a
department the sector table knows becomes 局.  The place is part of the key,
so 鼓楼区应急管理局 of 南京市 and of 福州市 stay two agencies.

This is the index-time half of the rule.  The other half needs every report:
two reports with the same key, different printed names and the same year are
two agencies, and the search layer keeps them apart (``search/agency.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.analysis import load_synonyms
from index.model import Region
from index.sector import OTHER, sector_of

SEP = "·"  # between the levels of a key; never in a printed name (normalised away below)
NO_LEVEL = "-"  # a level the region does not have (a city bureau has no county)
SPLIT = "｜"  # key｜printed name: the search layer's name for one of several agencies the data says share a key
_DROP = re.compile(r"[\s·/\\?#%]+")  # spaces, and what would break a key in a URL path
_COMMITTEE = re.compile(r"(委员会|委)$")


@lru_cache(maxsize=1)
def _synonyms() -> tuple[re.Pattern[str], dict[str, str]]:
    groups = load_synonyms()
    canonical = {member: group[0] for member, group in groups.items()}
    # Longest first: leftmost-longest, as the query side rewrites (高新技术产业开发区 before 高新区).
    pattern = re.compile("|".join(re.escape(m) for m in sorted(canonical, key=len, reverse=True)))
    return pattern, canonical


def normal_name(agency: str) -> str:
    """The name with spaces dropped and synonyms replaced by one form."""
    pattern, canonical = _synonyms()
    name = pattern.sub(lambda m: canonical[m.group(0)], _DROP.sub("", agency))
    stem = _COMMITTEE.sub("", name)
    # 卫生健康委员会 / 卫生健康局: the same department under the two names the
    # reform used; not 管理委员会 (a zone's committee is not a 管理局).
    if stem != name and not name.endswith("管理委员会") and sector_of(stem + "局") != OTHER:
        name = stem + "局"
    return name


def key_label(key: str) -> str:
    """How a key reads in a facet or a title: the agency's name and the nearest
    place its name does not already say, ``鼓楼区应急管理局 · 福州市``.  A key split
    by the search layer (``key｜printed name``) reads with the printed name."""
    key, _, printed = key.partition(SPLIT)
    *levels, name = key.split(SEP)
    places = [p for p in levels if p != NO_LEVEL]
    shown = printed or name
    for place in reversed(places):
        if place.rstrip("省市区县") not in shown:
            return f"{shown} · {place}"
    return shown


def agency_key(agency: str | None, region: Region | dict | None) -> str | None:
    """``province·city·county·normalised name`` ("-" for a level the agency has not); None without a name."""
    if not agency:
        return None
    if isinstance(region, dict):
        region = Region(**region)
    region = region or Region()
    levels = [_DROP.sub("", x or "") or NO_LEVEL for x in (region.province, region.city, region.county)]
    return SEP.join([*levels, normal_name(agency)])
