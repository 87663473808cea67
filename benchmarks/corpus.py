"""A synthetic national collection made from the five bundled samples.

    expected = make_corpus(Path("/tmp/corpus"), 10_000, seed=1)
    expected[0].path, expected[0].agency, expected[0].figures["new_received"]

Each generated file keeps the layout of the sample it came from (tab rows, one
cell per line, PDF-style broken rows) and changes what a real collection
varies:

- the agency: a real department (``DEPARTMENTS``) of a real place from the
  division table (``index/data/divisions.csv``), county, city or development
  zone level as in the sample; place names, e-mail and web addresses in the text
  follow.  A few county agencies deliberately share their name with one in
  another city (鼓楼区应急管理局 in 南京市 and in 福州市), told apart by the
  text, as in real collections;
- the year, within what the sample's template is used for (a 2019-template
  sample gives 2019, 2020 or 2022; a 2021-template one 2021–2024), with every
  year in the text shifted alike;
- the table numbers, drawn so that the 勾稽关系 hold, except in about one
  report in twenty where one cell is deliberately off (``consistent`` False).
  A sample whose tables were only readable through the sums (missing or doubled
  cells) keeps its printed numbers: changing them could leave more than one
  reading, and the parser would rightly refuse to guess;
- the narrative of sections 一, 五 and 六: paragraphs kept, swapped for one of
  the same section from another sample, or reordered sentence by sentence,
  and the counts in the text ("发布信息 75 条") redrawn.

The generator knows what it wrote: :class:`Expected` carries the agency,
region, year, template, consistency and headline figures of every file, and
``manifest=`` also writes every table value (one JSON line per file) for
checking a parser or an index against.  Same ``n`` and ``seed``, same bytes.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from index.model import Figure, Report
from index.parse import parse_file
from index.region import Division, load_table
from index.template import APPLICANT_COLUMNS, OUTCOME_ROWS, REVIEW_RESULTS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
FILES_PER_FOLDER = 1000
YEARS = {"2019": (2019, 2020, 2022), "2021": (2021, 2022, 2023, 2024)}
BROKEN_SHARE = 0.05

# Real departments of local government: (full name, the short form reports use).
DEPARTMENTS = [
    ("应急管理局", "应急局"), ("发展和改革局", "发改局"), ("财政局", "财政局"), ("教育局", "教育局"),
    ("民政局", "民政局"), ("司法局", "司法局"), ("自然资源局", "自然资源局"), ("住房和城乡建设局", "住建局"),
    ("交通运输局", "交通局"), ("水利局", "水利局"), ("农业农村局", "农业农村局"), ("商务局", "商务局"),
    ("文化和旅游局", "文旅局"), ("卫生健康局", "卫健局"), ("市场监督管理局", "市场监管局"), ("统计局", "统计局"),
    ("审计局", "审计局"), ("人力资源和社会保障局", "人社局"), ("退役军人事务局", "退役军人局"),
    ("医疗保障局", "医保局"), ("城市管理局", "城管局"), ("机关事务管理局", "机关事务局"),
    ("科学技术局", "科技局"), ("林业局", "林业局"), ("体育局", "体育局"), ("生态环境局", "环保局"),
]  # fmt: skip
ZONES = [("高新技术产业开发区", "高新区"), ("经济技术开发区", "经开区")]  # (name, the short form reports use)
TRIES = 10_000  # draws for one distinct (agency, city, year) before giving up

_MARK = "\x00"
_PLACEHOLDER = re.compile("\x00([^\x00]*)\x00")
_EMAIL = re.compile(r"[\w.-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[\w./%?=&#-]+")
_YEAR = re.compile(r"(?<!\d)(20[0-3]\d)(?!\d)")
# A count in running text: not part of a date, a number with decimals, a code or a percentage.
_COUNT = re.compile(r"(?<![\d.\-:：])(\d{1,5})(?![\d.%])(?!\s*[年月日号])")
_HEADING = re.compile(r"^\s*([一二三四五六])\s*[、.,，．]")
_CONTACT = re.compile(r"地址|邮编|电话|传真|邮箱|信箱|@|http|联系")
NARRATIVE_SECTIONS = (1, 5, 6)


@dataclass
class Expected:
    """What one generated file says, as the generator wrote it."""

    path: Path
    agency: str
    year: int
    region: tuple[str, str, str | None]  # province, city, county
    template: str
    consistent: bool
    figures: dict[str, int | float | None]  # Report.key_figures() of the tables written
    sample: str


# ---------------------------------------------------------------------- templates


@dataclass
class _Line:
    parts: list  # str pieces (with placeholders) and figure paths as ("fig", path)
    section: int | None = None
    narrative: bool = False


@dataclass
class _Template:
    name: str
    level: str  # "county" | "city" | "zone"
    template: str
    lines: list[_Line]
    tables: dict[str, dict[str, dict[str, int | float | None]]]  # the sample's own values
    raws: dict[str, str]  # figure path -> raw as printed (to copy its style: "+34", "25.96万元")
    vary_tables: bool
    consistent: bool
    pool: dict[int, list[str]] = field(default_factory=dict)


def _mark(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


def _placeholders(text: str, subs: list[tuple[str, str]]) -> str:
    """Replace the sample's names by placeholders; years by their offset to the report year."""
    text = _EMAIL.sub(_mark("email"), text)
    text = _URL.sub(_mark("url"), text)
    for old, name in subs:
        text = text.replace(old, _mark(name))
    return text


def _years(text: str, year: int) -> str:
    return _YEAR.sub(lambda m: _mark(f"y{int(m[1]) - year:+d}"), text)


def _counts(text: str) -> str:
    pieces = _PLACEHOLDER.split(text)  # even: text, odd: placeholder names
    for i in range(0, len(pieces), 2):
        pieces[i] = _COUNT.sub(lambda m: _mark(f"n{m[1]}"), pieces[i])
    return "".join(p if i % 2 == 0 else _mark(p) for i, p in enumerate(pieces))


def _department(agency: str, zone: bool, prefixes: list[str]) -> str:
    if zone:
        return agency.split("开发区", 1)[1]
    for p in sorted(prefixes, key=len, reverse=True):
        if p and agency.startswith(p):
            return agency[len(p):]
    return agency


@cache
def _templates() -> tuple[_Template, ...]:
    table = load_table()
    out = []
    for sample in SAMPLES:
        report = parse_file(sample)
        original, offsets = report.original, report.offsets
        region = report.region
        zone = "开发区" in (report.agency or "")
        level = "zone" if zone else "county" if region.county else "city"
        province = _division(table, region.province, 1)
        city = _division(table, region.city, 2)
        county = _division(table, region.county, 3) if region.county else None
        dept = _department(report.agency, zone, [d.name for d in (county, city, province) if d])
        subs: list[tuple[str, str]] = [(report.agency, "agency")]
        if zone:
            subs += [(f"{city.short}高新区", "zone_short"), (report.agency.split("开发区", 1)[0] + "开发区", "zone")]
        subs.append((dept, "dept"))
        short = dict(DEPARTMENTS).get(dept)
        if short and short != dept:
            subs.append((short, "dept_short"))
        subs += [(d.name, key) for d, key in ((county, "county"), (city, "city"), (province, "province")) if d]
        # Other districts of the sample's city named in addresses (淄博市张店区…).
        subs += [(d.name, "district") for d in table.by_code.values() if d.level == 3 and d.parent == city.code and d is not county]
        subs += [(d.short, f"{key}_s") for d, key in ((county, "county"), (city, "city"), (province, "province")) if d and d.short]

        figures = report.figures()
        slots = []  # (start, end, path) in the printed text
        for path, fig in figures.items():
            if fig.start >= 0:
                segs = offsets.segments(fig.start, fig.end)
                slots.append((segs[0][0], segs[-1][1], path))
        slots.sort()
        vary = all(not f.deduced and f.value is not None for f in figures.values()) and not report.warnings

        lines: list[_Line] = []
        section = None
        pos = 0
        for raw_line in original.splitlines(keepends=True):
            end = pos + len(raw_line)
            inside = [s for s in slots if pos <= s[0] < end]
            m = _HEADING.match(raw_line)
            if m:
                section = "一二三四五六".index(m[1]) + 1
            if inside:
                parts, last = [], pos
                for a, b, path in inside:
                    parts.append(_years(_placeholders(original[last:a], subs), report.year))
                    parts.append(("fig", *path.split("."), figures[path].raw))
                    last = b
                parts.append(_years(_placeholders(original[last:end], subs), report.year))
                lines.append(_Line(parts, section))
            else:
                text = _years(_placeholders(raw_line, subs), report.year)
                narrative = (
                    section in NARRATIVE_SECTIONS and not m and "\t" not in raw_line
                    and len(raw_line.strip()) >= 20 and not _CONTACT.search(raw_line)
                )  # fmt: skip
                if narrative:
                    text = _counts(text)
                lines.append(_Line([text], section, narrative))
            pos = end
        values = report.to_dict(text=False)
        values = {name: values[name] for name in ("proactive", "applications", "review_litigation")}
        raws = {path: f.raw for path, f in figures.items()}
        out.append(_Template(sample.stem, level, report.template, lines, values, raws, vary, report.consistent))
    pool: dict[int, list[str]] = {s: [] for s in NARRATIVE_SECTIONS}
    for t in out:
        for line in t.lines:
            if line.narrative:
                pool[line.section].append(line.parts[0])
    for t in out:
        t.pool = pool
    return tuple(out)


def _division(table, name: str | None, level: int) -> Division | None:
    return next((d for d in table.by_name.get(name or "", []) if d.level == level), None)


# ---------------------------------------------------------------------- places


@cache
def _places() -> dict[str, list]:
    table = load_table()
    by_code = table.by_code
    cities = [d for d in table.cities if by_code.get(d.parent) and by_code[d.parent].level == 1 and d.short]
    city_codes = {d.code for d in cities}
    counties = [d for d in by_code.values() if d.level == 3 and d.parent in city_codes]
    names: dict[str, int] = {}
    for d in counties:
        names[d.name] = names.get(d.name, 0) + 1
    # A zone is named after its city's short name: only where that name is no other place's (海南 is a province too).
    zone_cities = [d for d in cities if len(table.by_short[d.short]) == 1 and d.short not in table.by_name]
    children: dict[str, list[Division]] = {}
    for d in counties:
        children.setdefault(d.parent, []).append(d)
    return {"children": children, "cities": cities, "zone_cities": zone_cities, "counties": counties, "shared": [d for d in counties if names[d.name] > 1]}


def _region_of(d: Division) -> tuple[Division, Division, Division | None]:
    by_code = load_table().by_code
    if d.level == 3:
        city = by_code[d.parent]
        return by_code[city.parent], city, d
    return by_code[d.parent], d, None


def _short(d: Division | None) -> str:
    return d.short or d.name[:-1] if d else ""


# ---------------------------------------------------------------------- numbers


def _tables(t: _Template, rnd: random.Random) -> tuple[dict, bool]:
    """Table values for one report: (tables, consistent)."""
    if not t.vary_tables:
        return t.tables, t.consistent  # the sample's own values
    apps = t.tables["applications"]
    cols = [c for c in APPLICANT_COLUMNS if c != "total"]
    quiet = rnd.random() < 0.4  # many agencies receive no request at all
    table: dict[str, dict[str, int]] = {row: {} for row in apps}
    outcomes = [r for r in OUTCOME_ROWS if r in apps]
    weights = [30 if r == "disclosed" else 8 if r in ("partially_disclosed", "unavailable_not_held") else 1 for r in outcomes]
    for col in cols:
        scale = 0 if quiet else (60 if col == "natural_person" else 8 if col in ("commercial", "other_org") else 1)
        new = int(rnd.expovariate(1 / scale)) if scale and rnd.random() < 0.8 else 0
        carried = rnd.randint(0, max(0, new // 10))
        forward = rnd.randint(0, (new + carried) // 8)
        processed = new + carried - forward
        counts = dict.fromkeys(outcomes, 0)
        for row in rnd.choices(outcomes, weights, k=processed):
            counts[row] += 1
        table["new_received"][col], table["carried_over"][col] = new, carried
        table["processed_total"][col], table["carried_forward"][col] = processed, forward
        for row, v in counts.items():
            table[row][col] = v
    for row in table.values():
        row["total"] = sum(row[c] for c in cols)
    review = {}
    for group in t.tables["review_litigation"]:
        cells = {r: (rnd.choice((0, 0, 0, 1, 2, 3)) if not quiet else 0) for r in REVIEW_RESULTS if r != "total"}
        cells["total"] = sum(cells.values())
        review[group] = cells
    proactive = None
    if t.tables["proactive"] is not None:
        proactive = {}
        for item, cells in t.tables["proactive"].items():
            proactive[item] = {}
            for col in cells:
                raw = t.raws[f"proactive.{item}.{col}"]
                if "." in raw or col.endswith("_wan"):
                    v = rnd.choice((0, 0, rnd.randint(1, 500_000) / 100))
                elif col == "change":
                    v = rnd.randint(-50, 80)
                else:
                    v = rnd.choice((0, rnd.randint(0, 30), rnd.randint(0, 2000)))
                proactive[item][col] = v
    tables = {"proactive": proactive, "applications": table, "review_litigation": review}
    consistent = True
    if rnd.random() < BROKEN_SHARE:  # printed wrong, as real reports are: kept, and reported
        row = rnd.choice(outcomes)
        table[row]["natural_person"] += rnd.randint(1, 3)
        consistent = False
    return tables, consistent


@cache
def _style(raw: str) -> tuple[str, str, bool, bool]:
    """How the sample printed a cell: (text before the number, after it, "+" on gains, decimals)."""
    m = re.search(r"[+-]?\d+(?:\.\d+)?", raw)
    if not m:
        return "", "", False, False
    return raw[: m.start()], raw[m.end():], raw.startswith("+"), "." in m[0]


def _fmt(value: int | float | None, raw: str) -> str:
    """``value`` printed the way the sample printed that cell (``raw``); a cell
    printed as not applicable stays as it was."""
    if value is None:
        return raw
    head, tail, plus, decimals = _style(raw)
    number = f"{value:.2f}" if decimals or not float(value).is_integer() else str(int(value))
    return head + ("+" if plus and value > 0 else "") + number + tail


def _key_figures(tables: dict) -> dict:
    def figs(name):
        raw = tables[name]
        return None if raw is None else {r: {c: Figure(v) for c, v in cells.items()} for r, cells in raw.items()}

    return Report(proactive=figs("proactive"), applications=figs("applications"), review_litigation=figs("review_litigation")).key_figures()


# ---------------------------------------------------------------------- text


def _narrative(line: str, t: _Template, section: int, rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.25:
        line = rnd.choice(t.pool[section])
    elif roll < 0.45:
        ending = line[len(line.rstrip()):]
        sentences = [s for s in re.split(r"(?<=[。；！])", line.rstrip()) if s]
        rnd.shuffle(sentences)
        line = "".join(sentences) + ending
    return line


def _fill(text: str, values: dict[str, str], rnd: random.Random) -> str:
    def one(m: re.Match) -> str:
        name = m[1]
        if name in values:
            return values[name]
        if name[0] == "y":
            return str(int(values["year"]) + int(name[1:]))
        if name[0] == "n":
            n = int(name[1:])
            return str(rnd.randint(n // 2, n * 2 + 1) if n else rnd.choice((0, 0, rnd.randint(1, 20))))
        raise KeyError(name)

    return _PLACEHOLDER.sub(one, text)


# ---------------------------------------------------------------------- the corpus


def make_corpus(folder: Path, n: int, *, seed: int = 0, manifest: Path | None = None) -> list[Expected]:
    """Write ``n`` distinct report files under ``folder`` (1 000 per subfolder).

    ``manifest``: also write every table value of every file there, one JSON
    line per file (path, tables, consistent).
    """
    rnd = random.Random(seed)
    templates = _templates()
    places = _places()
    folder = Path(folder)
    seen: set[tuple] = set()
    twins: dict[str, tuple] = {}  # template -> the shared-name agency to repeat in another city
    out: list[Expected] = []
    sink = open(manifest, "w", encoding="utf-8") if manifest else None
    try:
        for i in range(n):
            t = templates[i % len(templates)]
            for _ in range(TRIES):
                year = rnd.choice(YEARS[t.template])
                zone, zone_short = rnd.choice(ZONES)
                dept, dept_short = rnd.choice(DEPARTMENTS)
                twin = twins.pop(t.name, None)
                if twin:  # the same agency name and year as the last one, in another city
                    name, year, dept, dept_short, other = twin
                    province, city, county = _region_of(rnd.choice([d for d in places["shared"] if d.name == name and d.parent != other]))
                    agency = county.name + dept
                elif t.level == "county":
                    pool = places["shared"] if (i // len(templates)) % 20 == 0 else places["counties"]
                    province, city, county = _region_of(rnd.choice(pool))
                    agency = county.name + dept
                    if pool is places["shared"]:
                        twins[t.name] = (county.name, year, dept, dept_short, city.code)
                else:
                    province, city, county = _region_of(rnd.choice(places["zone_cities" if t.level == "zone" else "cities"]))
                    agency = (_short(city) + zone if t.level == "zone" else city.name) + dept
                key = (agency, city.code, year)
                if key not in seen:
                    seen.add(key)
                    break
            else:
                raise ValueError(f"{n} reports: more than there are distinct agencies, places and years for {t.name}")
            tables, consistent = _tables(t, rnd)
            here = county or city
            district = rnd.choice(places["children"].get(city.code) or [city])
            values = {
                "year": str(year), "agency": agency, "dept": dept, "dept_short": dept_short,
                "province": province.name, "city": city.name, "county": county.name if county else "",
                "province_s": _short(province), "city_s": _short(city), "county_s": _short(county),
                "zone": _short(city) + zone, "zone_short": _short(city) + zone_short, "district": district.name,
                "email": f"{here.initials}{rnd.randint(1, 99)}@{city.initials}.{province.pinyin.replace(' ', '')}.gov.cn",
                "url": f"http://www.{here.pinyin.replace(' ', '')}.gov.cn/gongkai/",
            }  # fmt: skip
            pieces = []
            for line in t.lines:
                if line.narrative:
                    pieces.append(_fill(_narrative(line.parts[0], t, line.section, rnd), values, rnd))
                    continue
                for part in line.parts:
                    if isinstance(part, tuple):
                        _, name, row, col, raw = part
                        pieces.append(_fmt(tables[name][row][col], raw))
                    else:
                        pieces.append(_fill(part, values, rnd) if _MARK in part else part)
            path = folder / f"{i // FILES_PER_FOLDER:04d}" / f"{t.name}-{i:06d}.txt"
            if i % FILES_PER_FOLDER == 0:
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(pieces), encoding="utf-8")
            region = (province.name, city.name, county.name if county else None)
            out.append(Expected(path, agency, year, region, t.template, consistent, _key_figures(tables), t.name))
            if sink:
                sink.write(json.dumps({"path": str(path), "consistent": consistent, **tables}, ensure_ascii=False) + "\n")
    finally:
        if sink:
            sink.close()
    return out


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description="Write a synthetic corpus made from the samples.")
    ap.add_argument("folder", type=Path)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--manifest", type=Path)
    args = ap.parse_args()
    started = time.perf_counter()
    make_corpus(args.folder, args.n, seed=args.seed, manifest=args.manifest)
    print(f"{args.n} files in {args.folder} ({time.perf_counter() - started:.1f} s)")
