"""``/stats``: compare the reports of a result set in charts; ``/stats.json`` has the numbers.

Same URL parameters as the search page, and the same facets beside the
charts.  Only the facet strings and headline numbers are read, as the arrays
search already holds (``Engine.selection``, plus one search of one hit for the
facet counts), so this is cheap even for every report in the index.  A number a report did not print is left out of a sum and
counted as "未填报", never taken as 0.
"""

from __future__ import annotations

import numpy as np
from flask import Blueprint, current_app, render_template, request

from index.template import KEY_FIGURES
from search.agency import RATES
from search.engine import SearchRequest, Selection
from search.query import parse_query
from web import engine
from web.charts import BarRow, Chart, bar_chart
from web.urls import Links, read_request

bp = Blueprint("stats", __name__)

OUTCOMES = ("disclosed", "partially_disclosed", "withheld", "unavailable", "not_processed", "other_processed")
TOP_AGENCIES = 15


def _group() -> dict:
    return {"reports": 0, "new_received": 0, "new_received_unknown": 0, "outcomes": dict.fromkeys(OUTCOMES, 0),
            "outcomes_unknown": 0, "inconsistent": 0,
            # rate → [numerator, denominator, reports], over the reports that printed both
            "rate_sums": {rate: [0, 0, 0] for rate in RATES}}  # fmt: skip


def _num(x: float) -> int | float:
    """A sum as printed: whole numbers as int."""
    x = float(x)
    return int(x) if x.is_integer() else x


def _groups(sel: Selection, keys: list, codes: np.ndarray) -> dict:
    """key → the group of the reports whose code is its index in ``keys``
    (groups without a report left out): counts and sums, by ``np.bincount``."""
    n = len(keys)

    def count(mask: np.ndarray) -> list[int]:
        return np.bincount(codes, weights=mask, minlength=n).astype(np.int64).tolist()

    def total(values: np.ndarray) -> list:
        return [_num(x) for x in np.bincount(codes, weights=np.nan_to_num(values), minlength=n)]

    f = sel.numbers
    reports = np.bincount(codes, minlength=n).tolist()
    columns = {
        "inconsistent": count(f["consistent"] == 0),
        "new_received_unknown": count(np.isnan(f["new_received"])),
        "new_received": total(f["new_received"]),
        "outcomes_unknown": count(np.isnan(np.stack([f[k] for k in OUTCOMES])).any(axis=0)),
        "outcomes": {k: total(f[k]) for k in OUTCOMES},
        "rate_sums": {},
    }
    for name, rate in RATES.items():  # over the reports that printed every part
        top, bottom = rate.sums(f.__getitem__)
        both = ~np.isnan(top) & ~np.isnan(bottom)
        columns["rate_sums"][name] = (total(np.where(both, top, 0)), total(np.where(both, bottom, 0)), count(both))
    out = {}
    for i, key in enumerate(keys):
        if reports[i]:
            g = _group()
            g.update(reports=reports[i], inconsistent=columns["inconsistent"][i], new_received=columns["new_received"][i],
                     new_received_unknown=columns["new_received_unknown"][i], outcomes_unknown=columns["outcomes_unknown"][i])  # fmt: skip
            g["outcomes"] = {k: columns["outcomes"][k][i] for k in OUTCOMES}
            g["rate_sums"] = {rate: [num[i], den[i], both[i]] for rate, (num, den, both) in columns["rate_sums"].items()}
            out[key] = g
    return out


def _by_label(sel: Selection, name: str) -> tuple[list, np.ndarray]:
    """(keys, codes) for ``_groups``: the label's values, None (not known) first."""
    values, codes = sel.labels[name]
    return [None, *values], codes.astype(np.int64) + 1  # NONE (-1) becomes 0: None


def _rates(g: dict) -> dict:
    out = {"inconsistent_share": g["inconsistent"] / g["reports"] if g["reports"] else None}
    for rate in RATES:
        n, d, reports = g["rate_sums"][rate]
        out[rate] = {"rate": n / d if d else None, "of": d, "reports": reports}
    return out


def summarize(sel: Selection) -> dict:
    """The numbers behind the charts: by year (every year between the first and
    the last, none left out), by province, by sector, and the top agencies.
    Counted over the arrays of ``Engine.selection``: a few vector operations
    whatever the number of reports."""
    year = sel.numbers["year"]
    known = ~np.isnan(year)
    distinct = np.unique(year[known]).astype(np.int64)
    year_codes = np.where(known, np.searchsorted(distinct, np.nan_to_num(year)) + 1, 0)
    years = _groups(sel, [None, *distinct.tolist()], year_codes)
    provinces = _groups(sel, *_by_label(sel, "province"))
    sectors = _groups(sel, *_by_label(sel, "sector"))
    span = list(range(int(distinct[0]), int(distinct[-1]) + 1)) if len(distinct) else []
    by_year = [{"year": y, **years[y], **_rates(years[y])} if y in years else {"year": y, **_group(), **_rates(_group())} for y in span]
    if None in years:
        by_year.append({"year": None, **years[None], **_rates(years[None])})

    def breakdown(groups: dict, key: str) -> list[dict]:
        rows = [{key: name, **g, **_rates(g)} for name, g in groups.items()]
        return sorted(rows, key=lambda r: (-r["reports"], -r["new_received"], r[key] or ""))

    return {
        "reports": len(sel),
        "by_year": by_year,
        "by_province": breakdown(provinces, "province"),
        "by_sector": breakdown(sectors, "sector"),
        "top_agencies": _top_agencies(sel, year),
    }


def _top_agencies(sel: Selection, year: np.ndarray) -> list[dict]:
    """The TOP_AGENCIES agencies with the most new applications, over the reports that printed that number."""
    keys, codes = _by_label(sel, "agency")
    received = sel.numbers["new_received"]
    printed = ~np.isnan(received)
    sums = np.bincount(codes[printed], weights=received[printed], minlength=len(keys))
    reports = np.bincount(codes[printed], minlength=len(keys))
    candidates = np.flatnonzero(reports)
    if len(candidates) > TOP_AGENCIES:  # only those that can be in the top: at least the TOP_AGENCIES-th sum
        cut = np.partition(sums[candidates], -TOP_AGENCIES)[-TOP_AGENCIES]
        candidates = candidates[sums[candidates] >= cut]
    top = sorted(candidates.tolist(), key=lambda c: (-sums[c], keys[c] or ""))[:TOP_AGENCIES]
    out = []
    for c in top:
        of = year[printed & (codes == c)]
        out.append({"agency": keys[c], "new_received": _num(sums[c]), "reports": int(reports[c]),
                    "years": sorted(int(y) for y in of[~np.isnan(of)] if y)})  # fmt: skip
    return out


UNKNOWN = {"year": "年度不详", "province": "（省份不详）", "sector": "（领域不详）", "agency": "（机关不详）"}


def label_of(key: str, value) -> str:
    """A group's name as shown; no value (not printed, not found) has its own words."""
    return str(value) if value else UNKNOWN[key]


def year_label(year) -> str:
    return label_of("year", year)


def rate_text(r: dict) -> tuple[str, str]:
    """("8.3%", "n=12 件，3 份报告"), or ("—", "") when no report printed both numbers."""
    if r["rate"] is None:
        return "—", ""
    return f"{r['rate']:.1%}", f"n={_n(r['of'])} 件，{r['reports']} 份报告"


def charts(summary: dict, links: Links) -> list:
    """The charts; each bar links to its reports as a search (the current one, narrowed)."""
    years = summary["by_year"]

    def narrowed(**extra) -> str | None:
        filters = {k: list(v) for k, v in links.r.filters.items()}
        for name, value in extra.items():
            if value is None:
                return None  # "年度不详" and the like: no filter can select them
            filters[name] = [str(value)]
        return links.url("search.index", filters=filters)

    def year_row(y, parts, text=None) -> BarRow:
        return BarRow(year_label(y["year"]), parts, text, narrowed(year=y["year"]) if y["reports"] else None,
                      None if y["reports"] else "无报告")  # fmt: skip

    received = bar_chart(
        "received",
        "本年新收申请（按年度）",
        [year_row(y, [("新收申请", y["new_received"])]) for y in years],
        value_label="本年新收申请（件，所选报告合计）",
        name_label="年度",
    )
    unknown = sum(y["new_received_unknown"] for y in years)
    if unknown:
        received.note = f"{unknown} 份报告未填报本年新收申请数，未计入。"
    outcomes = bar_chart(
        "outcomes",
        "办理结果（按年度）",
        [year_row(y, [(KEY_FIGURES[k], y["outcomes"][k]) for k in OUTCOMES]) for y in years],
        value_label="办理结果（件）",
        name_label="年度",
    )
    failing = bar_chart(
        "failing",
        "勾稽关系不一致的报告占比（按年度）",
        [year_row(y, [("不一致", 100 * (y["inconsistent_share"] or 0))], f"{y['inconsistent']}/{y['reports']}（{y['inconsistent_share'] or 0:.0%}）")
         for y in years],  # fmt: skip
        value_label="占比（%）",
        name_label="年度",
        unit="%",
        top=100,
    )
    agencies = bar_chart(
        "agencies",
        f"本年新收申请最多的 {TOP_AGENCIES} 个机关",
        [BarRow(label_of("agency", a["agency"]), [("新收申请", a["new_received"])], href=narrowed(agency=a["agency"]))
         for a in summary["top_agencies"]],  # fmt: skip
        value_label="本年新收申请（件，所选报告合计）",
        name_label="机关",
    )
    def reports_by(key: str, label: str) -> Chart:
        rows = [BarRow(label_of(key, g[key]), [("报告数", g["reports"])], href=narrowed(**{key: g[key]})) for g in summary[f"by_{key}"]]
        return bar_chart(f"{key}s", f"报告数（按{label}）", rows, value_label="报告数（份）", name_label=label)

    return [received, outcomes, failing, agencies, reports_by("province", "省份"), reports_by("sector", "领域")]


def breakdown_table(rows: list[dict], key: str, label) -> dict:
    """Counts and rates side by side, one row per year / province / sector."""
    head = [label, "报告数", "本年新收申请", *(rate.label for rate in RATES.values()), "勾稽关系不一致"]
    body = []
    for r in rows:
        name = label_of(key, r[key])
        share = f"{r['inconsistent']}/{r['reports']}（{r['inconsistent_share']:.0%}）" if r["reports"] else "—"
        body.append([name, str(r["reports"]), _n(r["new_received"]), *[rate_text(r[k]) for k in RATES], share])
    return {"head": head, "rows": body}


def _n(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def _run():
    req, notes = read_request(request.args, current_app.config["PER_PAGE"])
    notes += engine().clean(req)  # unknown facets and sorts dropped, with a note
    selection = engine().selection(req)
    parsed = parse_query(req.q)
    return req, parsed, notes + parsed.notes, summarize(selection)


@bp.route("/stats")
def index():
    req, parsed, notes, summary = _run()
    links = Links(req, current_app.config["PER_PAGE"], endpoint="stats.index")
    # The same facets as the search page (one hit read, for its counts).
    facets = engine().search(SearchRequest(q=req.q, filters=req.filters, within=req.within, per_page=1)).facets
    chips = links.chips()
    tables = {
        "年度": breakdown_table(summary["by_year"], "year", "年度"),
        "省份": breakdown_table(summary["by_province"], "province", "省份"),
        "领域": breakdown_table(summary["by_sector"], "sector", "领域"),
    }
    return render_template(
        "stats.html", req=req, parsed=parsed, notes=notes, summary=summary, charts=charts(summary, links), links=links,
        chips=chips, facets=facets, tables=tables,
    )  # fmt: skip


@bp.route("/stats.json")
def stats_json():
    req, parsed, notes, summary = _run()
    links = Links(req, current_app.config["PER_PAGE"], endpoint="stats.index")
    return {
        "query": {"text": req.q, "read_as": parsed.describe()},
        "filters": req.filters,
        "notes": notes,
        **summary,
        "links": {"html": links.url("stats.index"), "search": links.url("search.index")},
    }
