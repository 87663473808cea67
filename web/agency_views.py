"""Across reports: one agency's years, two reports side by side, agencies ranked.

- ``/agency/<key>`` (``.json``, ``.csv``): every year of one agency, years as
  columns, headline figures and rates as rows; ``/agency/of/<report id>``
  leads there from a report id.
- ``/compare?a=<id>&b=<id>`` (``.json``): tables 二/三/四 cell by cell, the
  narrative paragraph by paragraph.
- ``/rank`` (``.json``, ``.csv``): agencies ranked by a figure or rate, over
  a result set: the search page's own parameters and facets, plus ``by``,
  ``min_n``, ``order`` and ``limit``.

The work is in ``search/agency.py``, ``search/compare.py`` and ``search/rank.py``.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from search.agency import BY_FLAG, RATES, agency_history, display_name, report_agency
from search.compare import TABLES, compare
from search.engine import SearchRequest
from search.export import csv_value  # one rule for every CSV the site writes
from search.rank import DEFAULT, LIMIT_MAX, METRICS, rank
from web import attachment, engine
from web.charts import small_multiple
from web.format import num
from web.report_views import load
from web.urls import Links, read_request

bp = Blueprint("agency", __name__)

CHARTED = ("new_received", "processed_total", "withheld", "review", "litigation", "penalty", "licensing")
RANK_PARAMS = ("by", "min_n", "order", "limit")


def _csv(rows: list[list], name: str) -> Response:
    """A CSV twin: UTF-8 with a BOM, document text guarded against spreadsheet formulas (as the search CSV)."""
    out = io.StringIO()
    csv.writer(out).writerows([[csv_value(v) for v in row] for row in rows])
    return attachment("\ufeff" + out.getvalue(), "text/csv", name)  # BOM: Excel reads the Chinese


def value_text(value, kind: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if kind == "rate" else num(value)


def change_text(change, kind: str) -> str:
    if change is None:
        return ""
    if change == 0:
        return "±0"
    if kind == "rate":
        return f"{change * 100:+.1f} 个百分点"
    return ("+" if change > 0 else "") + num(change)


# ------------------------------------------------------------------ one agency


def _history(key: str):
    found = agency_history(engine(), key)
    if found is None:
        abort(404, f"没有“{display_name(key)[:60]}”这个机关的报告。")
    return found


@bp.route("/agency/of/<report_id>")
def of_report(report_id: str):
    """The agency page of a report's agency, for a link that has only the report's
    id (a bookmark, an export row): its key is resolved in the current index generation."""
    found = report_agency(engine(), report_id)
    if found is None or found.key is None:
        abort(404, "这份报告没有可识别的机关名称，无法列出它的历年报告。")
    return redirect(url_for("agency.show", key=found.key))


@bp.route("/agency/<key>")
def show(key: str):
    h = _history(key)
    charts = []
    for row in h.rows:
        if row.name in CHARTED or row.name in RATES:
            scale, unit = (100, "%") if row.kind == "rate" else (1, "")
            points = []
            for y in h.years:
                cell = row.cells.get(y)
                value = None if cell is None or cell.value is None else cell.value * scale
                href = url_for("report.show", report_id=h.reports[y].report_id) if y in h.reports else None
                points.append((str(y), value, href))
            charts.append(small_multiple(row.name, row.label, points, unit))
    return render_template("agency.html", h=h, charts=charts, flags=BY_FLAG, value_text=value_text, change_text=change_text)


@bp.route("/agency/<key>.json")
def show_json(key: str):
    h = _history(key)
    data = h.to_dict()
    data["links"] = {"html": url_for("agency.show", key=key), "csv": url_for("agency.show_csv", key=key)}
    for r in data["reports"].values():
        r["url"] = url_for("report.show", report_id=r["report_id"])
    return data


@bp.route("/agency/<key>.csv")
def show_csv(key: str):
    """One row per figure or rate, one column per year (and its change from the previous report)."""
    h = _history(key)
    head = ["指标", "key"]
    for y in h.years:
        head += [str(y), f"{y} 比上一份报告"]
    rows = [head]
    for row in h.rows:
        line = [row.label, row.name]
        for y in h.years:
            cell = row.cells.get(y)
            line += [cell.value, cell.change] if cell else [None, None]
        rows.append(line)
    return _csv(rows, "agency.csv")


# ------------------------------------------------------------------ side by side


def _comparison():
    a_id, b_id = request.args.get("a", "")[:40], request.args.get("b", "")[:40]
    if not a_id or not b_id:
        abort(400, "请给出要比较的两份报告：/compare?a=<编号>&b=<编号>。")
    (a, _), (b, _) = load(a_id), load(b_id)
    return a_id, a, b_id, b, compare(a, b)


def _is_previous_year(a, b) -> bool:
    return bool(a.year and b.year and a.year == b.year - 1)


SAME_RUN = 3  # this many identical paragraphs in a row are folded, so the changes stand out


def _runs(paragraphs: list) -> list[tuple[bool, list]]:
    """The paragraphs in runs: (folded, paragraphs), a run of SAME_RUN or more identical ones folded."""
    out: list[tuple[bool, list]] = []
    for p in paragraphs:
        same = p.status == "same"
        if out and out[-1][1][-1].status == "same" and same:
            out[-1][1].append(p)
        else:
            out.append((False, [p]))
    return [(len(ps) >= SAME_RUN and ps[0].status == "same", ps) for _, ps in out]


@bp.route("/compare")
def compare_page():
    a_id, a, b_id, b, c = _comparison()
    tables = {name: [d for d in c.cells if d.table == name] for name in TABLES}
    return render_template("compare.html", a_id=a_id, a=a, b_id=b_id, b=b, c=c, tables=tables, titles=TABLES,
                           runs=_runs(c.paragraphs), summary=c.summary(_is_previous_year(a, b)))  # fmt: skip


@bp.route("/compare.json")
def compare_json():
    a_id, a, b_id, b, c = _comparison()
    side = lambda rid, r: {"id": rid, "agency": r.agency, "year": r.year, "url": url_for("report.show", report_id=rid)}  # noqa: E731
    return {"a": side(a_id, a), "b": side(b_id, b), **c.to_dict(), "summary": c.summary(_is_previous_year(a, b))}


# ------------------------------------------------------------------ rankings


class RankLinks(Links):
    """Search-state links that keep the ranking's own parameters."""

    def __init__(self, req, per_page: int, extra: list[tuple[str, str]]) -> None:
        super().__init__(req, per_page, endpoint="agency.rank_page")
        self.extra = extra

    def pairs(self, **changes) -> list[tuple[str, str]]:
        return [p for p in super().pairs(**changes) if p[0] not in ("sort", "page")] + self.extra


def _ranking():
    args = request.args
    by = args.get("by") or DEFAULT
    notes = []
    if by not in METRICS:
        notes.append(f"不支持的排名指标“{by[:20]}”，改按“{METRICS[DEFAULT].label}”")
        by = DEFAULT
    min_n = None
    if args.get("min_n", "").strip():
        try:
            min_n = max(0.0, float(args["min_n"]))
        except ValueError:
            notes.append(f"最小 n“{args['min_n'][:20]}”不是数字，按默认值 {METRICS[by].min_n} 处理")
    try:
        limit = min(max(1, int(args.get("limit") or 100)), LIMIT_MAX)
    except ValueError:
        limit = 100
    ascending = args.get("order") == "asc"
    search_args = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in RANK_PARAMS])
    req, url_notes = read_request(search_args, current_app.config["PER_PAGE"])
    ranking = rank(engine(), req, by, min_n=min_n, ascending=ascending, limit=limit)
    extra = [("by", by)] + ([("min_n", args["min_n"])] if min_n is not None else []) + ([("order", "asc")] if ascending else [])
    if limit != 100:
        extra.append(("limit", str(limit)))
    return ranking, req, RankLinks(req, current_app.config["PER_PAGE"], extra), url_notes + notes


@bp.route("/rank")
def rank_page():
    ranking, req, links, notes = _ranking()
    # the facet panel's counts: the same result set searched for one hit
    facets = engine().search(SearchRequest(q=req.q, filters=dict(req.filters), within=dict(req.within), per_page=1)).facets
    return render_template("rank.html", ranking=ranking, req=req, links=links, notes=notes, facets=facets,
                           chips=links.chips(), metrics=METRICS, value_text=value_text)  # fmt: skip


@bp.route("/rank.json")
def rank_json():
    ranking, req, links, notes = _ranking()
    return {**ranking.to_dict(), "query": req.q, "filters": req.filters, "notes": notes,
            "links": {"html": links.url("agency.rank_page"), "csv": links.url("agency.rank_csv")}}  # fmt: skip


@bp.route("/rank.csv")
def rank_csv():
    ranking, *_ = _ranking()
    rows = [["名次", "机关", "agency_key", "省", "市", "县区", ranking.metric.label, f"n（{ranking.metric.n_label}）", "报告数", "分子", "分母"]]
    for r in ranking.rows:
        rows.append([r.rank, r.agency, r.agency_key, r.province, r.city, r.county, r.value, r.n, r.reports, r.numerator, r.denominator])
    return _csv(rows, f"rank-{ranking.metric.name}.csv")
