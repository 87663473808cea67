"""``/stats``: compare the reports of a result set in charts; ``/stats.json`` has the numbers.

Same URL parameters as the search page.  Only the per-report facet values and
headline numbers are read (``Engine.metas``), so this is cheap even for every
report in the index.  A number a report did not print is left out of a sum and
counted as "未填报", never taken as 0.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, current_app, render_template, request

from index.template import KEY_FIGURES
from search import facets as F
from search.query import parse_query
from web import engine
from web.charts import Bar, horizontal_bars, vertical_bars
from web.urls import Links, read_request

bp = Blueprint("stats", __name__)

OUTCOMES = ("disclosed", "partially_disclosed", "withheld", "unavailable", "not_processed", "other_processed")
TOP_AGENCIES = 15


def summarize(metas: list[dict]) -> dict:
    """The numbers behind the charts."""
    years: dict = defaultdict(lambda: {"reports": 0, "new_received": 0, "new_received_unknown": 0,
                                       "outcomes": dict.fromkeys(OUTCOMES, 0), "outcomes_unknown": 0,
                                       "inconsistent": 0})  # fmt: skip
    agencies: dict = defaultdict(lambda: {"new_received": 0, "reports": 0, "years": []})
    for meta in metas:
        f = meta["figures"]
        y = years[meta["year"]]
        y["reports"] += 1
        y["inconsistent"] += not meta["consistent"]
        if f.get("new_received") is None:
            y["new_received_unknown"] += 1
        else:
            y["new_received"] += f["new_received"]
            a = agencies[meta["agency"] or "（机关不详）"]
            a["new_received"] += f["new_received"]
            a["reports"] += 1
            a["years"].append(meta["year"])
        if any(f.get(k) is None for k in OUTCOMES):
            y["outcomes_unknown"] += 1
        for k in OUTCOMES:
            y["outcomes"][k] += f.get(k) or 0
    by_year = []
    for year in sorted(years, key=lambda v: (v is None, v or 0)):
        y = years[year]
        by_year.append({"year": year, **y, "inconsistent_share": y["inconsistent"] / y["reports"]})
    top = sorted(agencies.items(), key=lambda kv: (-kv[1]["new_received"], kv[0]))[:TOP_AGENCIES]
    return {
        "reports": len(metas),
        "by_year": by_year,
        "top_agencies": [{"agency": name, **a, "years": sorted(y for y in a["years"] if y)} for name, a in top],
    }


def year_label(year) -> str:
    return f"{year}" if year else "年度不详"


def charts(summary: dict) -> list:
    years = summary["by_year"]
    cats = [year_label(y["year"]) for y in years]
    received = vertical_bars(
        "received",
        "本年新收申请及办理结果（按年度）",
        cats,
        [
            [
                Bar("新收申请", [("新收申请", y["new_received"])]),
                Bar("办理结果", [(KEY_FIGURES[k], y["outcomes"][k]) for k in OUTCOMES]),
            ]
            for y in years
        ],
        x_label="报告年度",
        y_label="申请数（件）",
    )
    unknown = sum(y["new_received_unknown"] for y in years)
    if unknown:
        received.note = f"{unknown} 份报告未填报本年新收申请数，未计入。"
    received.table_head = ["年度", "新收申请", *[KEY_FIGURES[k] for k in OUTCOMES], "未填报的报告数"]
    received.table_rows = [
        [year_label(y["year"]), _n(y["new_received"]), *[_n(y["outcomes"][k]) for k in OUTCOMES], str(y["new_received_unknown"])]
        for y in years
    ]
    agencies = horizontal_bars(
        "agencies",
        f"本年新收申请最多的 {TOP_AGENCIES} 个机关",
        [(a["agency"], a["new_received"]) for a in summary["top_agencies"]],
        x_label="本年新收申请（件，所选报告合计）",
        name_label="机关",
    )
    failing = vertical_bars(
        "failing",
        "勾稽关系不一致的报告占比（按年度）",
        cats,
        [
            [
                Bar(
                    "不一致",
                    [("不一致", 100 * y["inconsistent_share"])],
                    f"{y['inconsistent']}/{y['reports']}（{y['inconsistent_share']:.0%}）",
                )
            ]
            for y in years
        ],
        x_label="报告年度",
        y_label="占比（%）",
        unit="%",
        top=100,
    )
    failing.table_head = ["年度", "报告数", "不一致", "占比"]
    failing.table_rows = [
        [year_label(y["year"]), str(y["reports"]), str(y["inconsistent"]), f"{y['inconsistent_share']:.0%}"] for y in years
    ]
    return [received, agencies, failing]


def _n(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def _run():
    req, notes = read_request(request.args, current_app.config["PER_PAGE"])
    notes += engine().clean(req)  # unknown facets and sorts dropped, with a note
    metas = engine().metas(req)
    parsed = parse_query(req.q)
    return req, parsed, notes + parsed.notes, summarize(metas)


@bp.route("/stats")
def index():
    req, parsed, notes, summary = _run()
    links = Links(req, current_app.config["PER_PAGE"])
    chips = [(F.BY_NAME[n].label, F.BY_NAME[n].label_of(v), links.url("stats.index", filters=_without(req.filters, n, v)))
             for n, vs in req.filters.items() for v in vs]  # fmt: skip
    return render_template(
        "stats.html", req=req, parsed=parsed, notes=notes, summary=summary, charts=charts(summary), links=links, chips=chips
    )


def _without(filters: dict, name: str, value: str) -> dict:
    out = {k: [v for v in vs if not (k == name and v == value)] for k, vs in filters.items()}
    return {k: v for k, v in out.items() if v}


@bp.route("/stats.json")
def stats_json():
    req, parsed, notes, summary = _run()
    links = Links(req, current_app.config["PER_PAGE"])
    return {
        "query": {"text": req.q, "read_as": parsed.describe()},
        "filters": req.filters,
        "notes": notes,
        **summary,
        "links": {"html": links.url("stats.index"), "search": links.url("search.index")},
    }
