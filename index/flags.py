"""Red flags (红旗) that one report shows by itself, for researchers to look at.

Each is 1 (raised), 0 (looked at, not raised) or None (cannot tell: no date,
no period sentence).  Stored in the ``numbers`` column (``index/schema.py``).
Flags that compare a report with the agency's previous one are computed over
the whole index in ``search/agency.py``; the explanations shown to readers
are there too, beside all the flags.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from index.fields import PERIOD, YEAR, cn_number
from index.model import Report

_YEAR = re.compile(YEAR)


def signature_date(report: Report) -> int | None:
    """The signature date (落款) on or before 31 December of the year reported
    on, or after 31 December of the next year (more than a year late)."""
    if not (report.published and report.year):
        return None
    signed = dt.date.fromisoformat(report.published)
    return int(signed.year <= report.year or signed.year >= report.year + 2)


def period_year(report: Report) -> int | None:
    """The year in the title is not the year of the 统计期限 sentence
    ("本报告中所列数据的统计期限自2020年1月1日起…")."""
    title = _YEAR.search(report.title or "")
    period = PERIOD.search(report.text[:3000])
    if not (title and period):
        return None
    return int(cn_number(title["year"]) != cn_number(period["year"]))


def tables_hash(report: Report) -> float | None:
    """Every number of sections 二, 三 and 四 as one value (52 bits, exact in a
    float64): two reports have equal hashes when every cell is equal.  None
    when the report has no number at all."""
    values = {path: None if f.value is None else float(f.value) for path, f in report.figures().items()}
    if not any(v is not None for v in values.values()):
        return None
    digest = hashlib.blake2b(json.dumps(values, sort_keys=True).encode(), digest_size=8).digest()
    return float(int.from_bytes(digest, "little") >> 12)
