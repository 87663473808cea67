"""The search page ``/`` and its twins: ``/search.json``, ``/search.csv``, ``/search.jsonl``.

All four read the same URL parameters (see ``web/urls.py``).  The page and the
JSON show one page of hits with facet counts; CSV and JSON lines stream the
whole result set, one row per report, however large.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, render_template, request

from search import facets as F
from search.export import row, to_csv, to_jsonl
from web import engine
from web.urls import Links, page_window, read_request

bp = Blueprint("search", __name__)


def run_search():
    """Search as the URL asks; (result, links), with the URL's own problems added to the notes."""
    req, notes = read_request(request.args, current_app.config["PER_PAGE"])
    result = engine().search(req)
    result.notes = notes + result.notes
    return result, Links(result.request, current_app.config["PER_PAGE"])


def twins(links: Links) -> dict[str, str]:
    return {
        "html": links.twin("search.index", page=True),
        "json": links.twin("search.search_json", page=True),
        "csv": links.twin("search.search_csv"),
        "jsonl": links.twin("search.search_jsonl"),
        "stats": links.twin("stats.index"),
    }


@bp.route("/")
def index():
    result, links = run_search()
    chips = [
        (F.BY_NAME[name].label, F.BY_NAME[name].label_of(value), links.toggle(name, value))
        for name, values in result.request.filters.items()
        for value in values
    ]
    return render_template(
        "search.html",
        result=result,
        links=links,
        chips=chips,
        twins=twins(links),
        pages=page_window(result.request.page, result.pages),
    )


@bp.route("/search.json")
def search_json():
    result, links = run_search()
    return {**result.to_dict(), "links": twins(links)}


def _export(fmt: str, mimetype: str, write) -> Response:
    req, _ = read_request(request.args, current_app.config["PER_PAGE"])
    # Not the request's Host header, which the client chooses: the address the
    # site was started with (``PUBLIC_URL``), else links relative to the site.
    base_url = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    eng = engine()

    def rows():
        for rid, report, passages, sources in eng.matching(req):
            yield row(rid, report, passages, sources, base_url)

    name = f"nianbao-{datetime.now():%Y%m%d-%H%M%S}.{fmt}"
    # Streamed without the request context: everything the rows need is captured above.
    response = Response(write(rows()), mimetype=mimetype)
    response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


@bp.route("/search.csv")
def search_csv():
    """Every matching report, one row each; UTF-8 with a BOM so Excel reads the Chinese."""
    return _export("csv", "text/csv", to_csv)


@bp.route("/search.jsonl")
def search_jsonl():
    return _export("jsonl", "application/x-ndjson", to_jsonl)
