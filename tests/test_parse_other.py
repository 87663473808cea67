"""A report unlike the samples, written from the template: PDF-style text with
every table row on one line, non-zero numbers, a thousands separator, a "/"
cell, a Chinese-numeral signature date and a "关于…的年度报告" title."""

from __future__ import annotations

from pathlib import Path

from index.parse import parse_file

REPORT = Path(__file__).parent / "fixtures" / "lixia-zfb-2022-pdf-text.txt"


def test_fields():
    r = parse_file(REPORT)
    assert (r.agency, r.year, r.template, r.published) == ("济南市历下区人民政府办公室", 2022, "2021", "2023-01-20")
    assert (r.region.province, r.region.city, r.region.county) == ("山东省", "济南市", "历下区")
    assert r.contact == {"address": "济南市历下区龙鼎大道1号", "postcode": "250014", "phone": "0531-12345678", "email": "lxzfb@jn.shandong.cn"}


def test_tables():
    r = parse_file(REPORT)
    p = {item: {c: f.value for c, f in cells.items()} for item, cells in r.proactive.items()}
    assert p["normative_documents"] == {"issued": 2, "repealed": 1, "in_force": 15}
    assert p["licensing"] == {"decisions": 1024} and p["coercion"] == {"decisions": None}
    assert p["fees"] == {"fee_amount_wan": 12.5}
    a = {row: [f.value for f in cells.values()] for row, cells in r.applications.items()}
    assert a["new_received"] == [40, 5, 0, 0, 3, 1, 49]
    assert a["unavailable_not_held"] == [10, 2, 0, 0, 1, 1, 14]
    assert a["other_overdue_correction"] == [1, 0, 0, 0, 0, 0, 1]
    assert a["processed_total"] == [41, 4, 0, 0, 2, 1, 48] and a["carried_forward"] == [1, 1, 0, 0, 1, 0, 3]
    rl = {g: [f.value for f in cells.values()] for g, cells in r.review_litigation.items()}
    assert rl == {"review": [3, 1, 0, 0, 4], "litigation_direct": [1, 0, 0, 1, 2], "litigation_after_review": [0, 0, 0, 0, 0]}
    assert r.consistent and len(r.checks) == 42 and r.warnings == []


def test_key_figures():
    k = parse_file(REPORT).key_figures()
    assert (k["new_received"], k["withheld"], k["unavailable"], k["not_processed"], k["other_processed"]) == (49, 3, 15, 3, 1)
    assert (k["review"], k["review_corrected"], k["litigation"], k["coercion"]) == (4, 1, 2, None)
