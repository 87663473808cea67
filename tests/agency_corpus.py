"""A small controlled corpus for the across-report features, made by editing the samples.

One agency over four years with a gap (淄博市机关事务管理局: 2020 under its
short name 机关事务局, 2022 rewritten with two numbers changed, 2023 the
sample, 2024 the sample again with only its year changed), two same-named
agencies in two cities (鼓楼区应急管理局 of 南京市 and 福州市), two names of one
place and one year that normalise alike (淄博高新技术产业开发区 / 淄博高新区
应急管理中心, both 2023), and reports with a wrong signature date and a
statistics period of another year.  ``WHAT`` says what each file is.
"""

from __future__ import annotations

from pathlib import Path

from conftest import SAMPLES_DIR

from index.normalize import normalize
from index.paragraphs import narrative, normal
from index.parse import parse_file

JIGUAN = SAMPLES_DIR / "zibo-jiguan-shiwu-2023.txt"
WEIBIN = SAMPLES_DIR / "xinxiang-weibin-yingji-2023.txt"
GAOXIN = SAMPLES_DIR / "zibo-gaoxin-yingji-2023.txt"
FAGAI = SAMPLES_DIR / "zibo-gaoxin-fagai-2023.txt"

JIGUAN_NAME, JIGUAN_SHORT = "淄博市机关事务管理局", "淄博市机关事务局"
REWRITE = "据统计，"  # put before every narrative paragraph of the rewritten year
# (before, after) in the rewritten year: 行政许可 0 → 7 and 行政处罚 0 → 3
NUMBER_EDITS = (("\t行政许可\n\t0\n", "\t行政许可\n\t7\n"), ("\t行政处罚\n\t0\n", "\t行政处罚\n\t3\n"))
CHANGED_CELLS = {"proactive.licensing.decisions": (0, 7), "proactive.penalty.decisions": (0, 3)}

WHAT = {
    "jiguan-2020": "renamed (机关事务局), year 2020",
    "jiguan-2022": "every narrative paragraph rewritten, 行政许可 and 行政处罚 changed",
    "jiguan-2023": "the sample",
    "jiguan-2024": "the sample with its year changed: copied text, same numbers",
    "gulou-nanjing": "鼓楼区应急管理局 of 南京市",
    "gulou-fuzhou": "鼓楼区应急管理局 of 福州市",
    "gaoxin-full": "淄博高新技术产业开发区应急管理中心 2023 (the sample)",
    "gaoxin-short": "淄博高新区应急管理中心 2023: same key, same year, another name",
    "fagai-early": "signed 2023-06-30, before the end of 2023",
    "fagai-period": "title 2023, 统计期限 2022 (moved to 2021 as its own agency)",
}


def brute_agency_values(report, facet: str) -> set[str]:
    """A report's values of the ``agency_key`` and ``flag`` facets, from the parsed
    model, for corpora where no two reports share an agency (so no key is split,
    and no report has a previous one to be compared with)."""
    from index.agency import agency_key
    from index.flags import period_year, signature_date

    if facet == "agency_key":
        key = agency_key(report.agency, report.region)
        return {key} if key else set()
    one_report = {"signature_date": signature_date(report), "period_year": period_year(report), "inconsistent": int(not report.consistent)}
    return {name for name, raised in one_report.items() if raised}


def indexed(folder: Path, make=None):
    """``make(folder / "reports")`` (default: :func:`write`) indexed into ``folder / "index"``:
    (an Engine on it, what ``make`` returned)."""
    from index.build import build_index
    from search.engine import Engine

    files = (make or write)(folder / "reports")
    summary = build_index([folder / "reports"], folder / "index")
    assert not summary.failed and summary.reports == len(files)
    return Engine(folder / "index"), files


def rewritten(text: str) -> str:
    """Every narrative paragraph (as the parser finds them) with REWRITE put before it,
    but the agency's name (the signature line; the title's first line is the same text)."""
    paragraphs = set(narrative(parse_file(JIGUAN))) - {JIGUAN_NAME}
    return "\n".join(REWRITE + line if normal(normalize(line)[0]) in paragraphs else line for line in text.split("\n"))


def write(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    jiguan = JIGUAN.read_text(encoding="utf-8")
    weibin = WEIBIN.read_text(encoding="utf-8")
    gaoxin = GAOXIN.read_text(encoding="utf-8")
    fagai = FAGAI.read_text(encoding="utf-8")
    year_2022 = rewritten(jiguan).replace("2023", "2022")
    for before, after in NUMBER_EDITS:
        assert before in year_2022
        year_2022 = year_2022.replace(before, after, 1)
    assert "2024年1月5日" in fagai and "统计期限自 2023 年1月1日起，至2023 年12 月 31日止" in fagai
    texts = {
        "jiguan-2020": jiguan.replace(JIGUAN_NAME, JIGUAN_SHORT).replace("2023", "2020"),
        "jiguan-2022": year_2022,
        "jiguan-2023": jiguan,
        "jiguan-2024": jiguan.replace("2023", "2024"),
        "gulou-nanjing": weibin.replace("卫滨区", "鼓楼区").replace("新乡市", "南京市"),
        "gulou-fuzhou": weibin.replace("卫滨区", "鼓楼区").replace("新乡市", "福州市"),
        "gaoxin-full": gaoxin,
        "gaoxin-short": gaoxin.replace("淄博高新技术产业开发区应急管理中心", "淄博高新区应急管理中心"),
        "fagai-early": fagai.replace("2024年1月5日", "2023年6月30日"),
        # another agency (统计局), so it is no year of the one above
        "fagai-period": fagai.replace("发展改革局", "统计局").replace("统计期限自 2023 年1月1日起，至2023 年12 月 31日止", "统计期限自 2022 年1月1日起，至2022 年12 月 31日止"),
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = folder / f"{name}.txt"
        paths[name].write_text(text, encoding="utf-8")
    return paths


# ------------------------------------------------------------------ a corpus for rankings

RANK_PLAN = {  # department → year → (new requests, withheld, unavailable): ties, small n and a 0 denominator
    "统计局": {2021: (10, 5, 0), 2022: (10, 5, 0)},
    "审计局": {2022: (20, 10, 0)},  # the same share and n as 统计局: the key decides
    "商务局": {2022: (1, 1, 0)},  # 1 of 1: only with min_n ≤ 1
    "水利局": {2021: (30, 3, 6), 2023: (12, 0, 1)},
    "林业局": {2023: (0, 0, 0)},  # no requests: no share
    "体育局": {2021: (40, 10, 0), 2022: (40, 10, 0)},
    "民政局": {2022: (8, 4, 0), 2023: (8, 4, 0)},  # the same share as 统计局, smaller n
    "财政局": {2021: (3, 0, 3), 2022: (30, 0, 0), 2023: (5, 1, 1)},
}
ROW_FRAGMENTS = {"new_received": "本年新收", "disclosed": "（一）予以公开", "withheld": "保护第三方合法权益",
                 "unavailable": "本机关不掌握", "total": "（七）总计"}  # fmt: skip


def set_row(text: str, fragment: str, value: int) -> str:
    """The section-3 row labelled ``fragment`` with ``value`` for 自然人 and 总计 (the others 0)."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("\t") and fragment in line)
    cells = [i for i in range(at + 1, at + 12) if lines[i].strip().isdigit()][:7]
    assert len(cells) == 7, fragment
    for n, i in enumerate(cells):
        lines[i] = f"\t{value if n in (0, 6) else 0}"
    return "\n".join(lines)


def write_rank_corpus(folder: Path) -> dict[Path, tuple[str, int]]:
    """The 机关事务 sample as each department of RANK_PLAN, in each of its years, with
    its planned numbers (the sums still hold).  path → (department, year)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = JIGUAN.read_text(encoding="utf-8")
    out = {}
    for dept, years in RANK_PLAN.items():
        for year, (k, w, u) in years.items():
            text = base.replace(JIGUAN_NAME, f"淄博市{dept}").replace(JIGUAN_SHORT, f"淄博市{dept}").replace("2023", str(year))
            for row, value in (("new_received", k), ("disclosed", k - w - u), ("withheld", w), ("unavailable", u), ("total", k)):
                text = set_row(text, ROW_FRAGMENTS[row], value)
            path = folder / f"{dept}-{year}.txt"
            path.write_text(text, encoding="utf-8")
            out[path] = (dept, year)
    return out
