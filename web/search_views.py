"""The search page ``/`` and its twins: ``/search.json``, ``/search.csv``, ``/search.jsonl``.

All four read the same URL parameters (see ``web/urls.py``).  The page and the
JSON show one page of hits with facet counts; CSV and JSON lines stream the
whole result set, one row per report, however large.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request

from index.region import place_leaf, place_parts
from search import facets as F
from search.engine import SearchRequest
from search.export import row, source_names, to_csv, to_jsonl
from web import attachment, engine
from web.urls import Links, page_window, read_request

bp = Blueprint("search", __name__)


def run_search():
    """Search as the URL asks; (result, links), with the URL's own problems added to the notes.

    Hits name their files relative to the indexed folder, never by the server's path.
    """
    req, notes = read_request(request.args, current_app.config["PER_PAGE"])
    eng = engine()
    result = eng.search(req)
    result.notes = notes + result.notes
    root = eng.coverage()["source_root"]
    for hit in result.hits:
        hit.sources = source_names(hit.sources, root)
    return result, Links(result.request, current_app.config["PER_PAGE"])


# Tried in order on the landing page; the first three some report holds as a word are offered.
EXAMPLE_QUERIES = ("行政处罚", "依申请公开", "行政复议", "政策解读", "不予公开", "行政许可", "政府信息公开")


def per_generation(name: str, indexed_at) -> dict:
    """A cache that lives as long as the index generation it was filled from."""
    caches = current_app.extensions.setdefault("nianbao.caches", {})
    stamp, cache = caches.get(name, (None, {}))
    if stamp != indexed_at:
        cache = {}
        caches[name] = (indexed_at, cache)
    return cache


def coverage(result) -> dict:
    """What the index holds, for the landing page: read off the facets of the
    unfiltered search already made, plus a few example searches that find
    something (without their totals: those would cost a search each)."""
    facets = {f.name: f for f in result.facets}
    indexed_at = engine().coverage()["indexed_at"]
    examples = per_generation("examples", indexed_at)
    if "found" not in examples:
        examples["found"] = engine().held_words(list(EXAMPLE_QUERIES))[:3]
    return {
        "reports": result.total,
        "years": sorted(v.value for v in facets["year"].values),
        "provinces": [(v.value, v.count) for v in facets["province"].values],
        "agencies": len(facets["agency"].values) + facets["agency"].more,
        "indexed_at": indexed_at,
        "examples": examples["found"],
    }


def place_choices(result, links: Links) -> list[dict]:
    """Where one name means several places, each place as a link that selects it:
    a search word (鼓楼区 → 鼓楼区（福州市）/ 鼓楼区（南京市）) or a bare name
    selected in a facet (an old ``county=鼓楼区`` bookmark).  Only places that
    have reports in the result are offered, with how many."""
    facets = {f.name: f for f in result.facets}
    out = []

    def offer(word: str, facet: str, values: list[str]) -> None:
        counts = {v.value: v for v in facets[facet].values}
        places = [counts[v] for v in values if v in counts and counts[v].count]
        if places:
            out.append({"word": word, "facet": facet, "places": [
                {"value": v.value, "label": choice_label(v.value), "count": v.count, "url": links.select(facet, v.value),
                 "selected": links.is_selected(facet, v.value)}
                for v in places]})

    for word, places in result.query.choices():
        by_facet: dict[str, list[str]] = {}
        for p in places:
            by_facet.setdefault(p.facet, []).append(p.value)
        for facet, values in by_facet.items():
            offer(word, facet, values)
    for name in (spec.name for spec in F.FACETS if spec.place):
        for value in result.request.filters.get(name, []):
            same = [v.value for v in facets[name].values if v.value != value and place_leaf(v.value) == value]
            if len(same) > 1:
                offer(value, name, same)
    return out


def choice_label(path: str) -> str:
    """鼓楼区（福州市）: a place named with the unit above it."""
    name, parent = place_parts(path)
    return f"{name}（{parent}）" if parent else name


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
    req = result.request
    chips = links.chips()
    landing = not req.q and not req.filters and req.page == 1
    return render_template(
        "search.html",
        result=result,
        links=links,
        chips=chips,
        choices=place_choices(result, links),
        twins=twins(links),
        pages=page_window(req.page, result.pages),
        coverage=coverage(result) if landing else None,
        back=urlencode(links.pairs(page=req.page)),
    )


@bp.route("/search.json")
def search_json():
    result, links = run_search()
    return {**result.to_dict(), "links": twins(links), "choices": place_choices(result, links)}


def _export(fmt: str, mimetype: str, write) -> Response:
    req, _ = read_request(request.args, current_app.config["PER_PAGE"])
    # Not the request's Host header, which the client chooses: the address the
    # site was started with (``PUBLIC_URL``), else links relative to the site.
    base_url = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    eng = engine()
    root = eng.coverage()["source_root"]

    def rows():
        for rid, report, passages, sources, key in eng.matching(req):
            yield row(rid, report, passages, source_names(sources, root), key, base_url)

    name = f"nianbao-{datetime.now():%Y%m%d-%H%M%S}.{fmt}"
    # Streamed without the request context: everything the rows need is captured above.
    return attachment(write(rows()), mimetype, name)


@bp.route("/search.csv")
def search_csv():
    """Every matching report, one row each; UTF-8 with a BOM so Excel reads the Chinese.

    Chinese column headers; ``?headers=keys`` for the contract paths."""
    headers = "keys" if request.args.get("headers") == "keys" else "zh"  # Chinese unless asked
    return _export("csv", "text/csv", lambda rows: to_csv(rows, headers))


@bp.route("/search.jsonl")
def search_jsonl():
    return _export("jsonl", "application/x-ndjson", to_jsonl)
