"""One report: ``/report/<id>``, its JSON twin, and the files it was read from.

The source route serves only the files the index lists for that report, by
position (``/report/<id>/source/0``): no path is ever taken from the URL.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, abort, render_template, request, send_file, url_for

from index.read import sniff
from search.agency import report_agency
from search.export import source_names
from search.passages import Reasons
from search.query import parse_query
from web import engine
from web.document import RULES, document, version_diffs

bp = Blueprint("report", __name__)

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "txt": "text/plain",
}
# A government web page may carry scripts: served on our origin it must not
# run anything or reach anything (CSP sandbox makes it a unique origin).
SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def load(report_id: str):
    found = engine().report(report_id)
    if found is None:
        abort(404, f"没有编号为“{report_id[:40]}”的报告。它可能已从索引中移除，或链接有误。")
    return found


def source_links(report_id: str, sources: list[str]) -> list[dict]:
    """Each file by its name relative to the indexed folder, and its download link (by position)."""
    names = source_names(sources, engine().coverage()["source_root"])
    return [{"n": n, "name": name, "url": url_for("report.source", report_id=report_id, n=n)} for n, name in enumerate(names)]


@bp.route("/report/<report_id>")
def show(report_id: str):
    report, sources = load(report_id)
    q = request.args.get("q", "")[:2000]
    parsed = parse_query(q)
    links = source_links(report_id, sources)
    versions, shown = _versions(report_id, report, sources, links)
    view = document(shown, parsed.literals(), Reasons.of(parsed, {}).conditions)
    back = _search_state()
    return render_template(
        "report.html",
        back=_back_link(q, back),
        back_state=back,
        report_id=report_id,
        report=shown,
        view=view,
        q=q,
        parsed=parsed,
        sources=links,
        versions=versions,
        rules=RULES,
        key_figures=shown.key_figures(),
        agency=report_agency(engine(), report_id),
    )


def _versions(report_id: str, report, sources: list[str], links: list[dict]) -> tuple[dict | None, object]:
    """The report's versions for the page (None when it has one) and the
    version to show: ``?version=N``, its index (0, the first, by default)."""
    if len(report.versions) < 2:
        return None, report
    current = request.args.get("version", "0")
    current = int(current) if current.isdigit() and int(current) < len(report.versions) else 0
    link_of = dict(zip(sources, links))
    items = [
        {
            "n": n,
            "current": n == current,
            "sources": [link_of[p] for p in v.sources if p in link_of],
            "url": url_for("report.show", report_id=report_id, version=n or None,
                           q=request.args.get("q") or None, back=request.args.get("back") or None),  # fmt: skip
        }
        for n, v in enumerate(report.versions)
    ]
    return {"items": items, "diffs": version_diffs(report), "current": current}, report.versions[current].report or report


def _search_state() -> str:
    """The search the reader came from, as its query string: from ``?back=`` (hit
    links carry it, the find form keeps it), else from the Referer of a search page."""
    if "back" in request.args:
        raw = request.args["back"][:4000]
    else:
        came_from = request.referrer or ""
        if not (came_from.startswith(request.host_url) and urlsplit(came_from).path == url_for("search.index")):
            return ""
        raw = urlsplit(came_from).query
    # Re-encoded from its pairs: only ever a query string for the search page.
    return urlencode(parse_qsl(raw, keep_blank_values=False))


def _back_link(q: str, state: str) -> str:
    """Back to the result list the reader came from (filters, sort and page), else to a search for ``q``."""
    if state:
        return url_for("search.index") + "?" + state
    return url_for("search.index", q=q or None)


@bp.route("/report/<report_id>.json")
def show_json(report_id: str):
    report, sources = load(report_id)
    data = report.to_dict()
    data["id"] = report_id
    data["sources"] = source_links(report_id, sources)
    root = engine().coverage()["source_root"]
    # the server's own paths stay on the server
    for d in [data, *(v["report"] for v in data.get("versions", []) if v["report"])]:
        if d.get("source"):
            d["source"]["path"] = source_names([d["source"]["path"]], root)[0]
    for v in data.get("versions", []):
        v["sources"] = source_names(v["sources"], root)
    data["links"] = {"html": url_for("report.show", report_id=report_id)}
    found = report_agency(engine(), report_id)
    if found:  # resolved over the whole index: the key, the previous report, the red flags
        data.update(found.to_dict())
    return data


def _download_name(path: Path) -> str:
    """The file's name, fit for a header: a name undecodable as UTF-8 (a GBK
    name from an unzipped archive) or holding a newline would break it."""
    raw = os.fsencode(path.name)
    for encoding in ("utf-8", "gb18030"):
        try:
            name = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        name = raw.decode("utf-8", "replace")
    return re.sub(r"[\x00-\x1f\x7f]", "_", name)


@bp.route("/report/<report_id>/source/<int:n>")
def source(report_id: str, n: int):
    """The n-th file the report was read from, as the agency published it."""
    _, sources = load(report_id)
    if not 0 <= n < len(sources):
        abort(404, f"这份报告没有第 {n + 1} 个原始文件。")
    path = Path(sources[n])
    try:
        data = path.read_bytes()
    except OSError:
        abort(404, "原始文件已不在索引记录的位置（可能已被移动或删除）。")
    try:
        fmt = sniff(data, path.name)
    except Exception:  # a file the indexer could not read either: offer it as bytes
        fmt = "bin"
    mimetype = CONTENT_TYPES.get(fmt, "application/octet-stream")
    if fmt in ("txt", "html"):
        mimetype += f"; charset={_encoding(data, fmt)}"
    response = send_file(path, mimetype=mimetype, as_attachment=fmt not in ("txt", "html"), download_name=_download_name(path))
    response.headers["Content-Type"] = mimetype  # as is: werkzeug would append a second charset
    if fmt == "html":
        response.headers["Content-Security-Policy"] = SANDBOX
    return response


def _encoding(data: bytes, fmt: str) -> str:
    """The encoding the indexer read the file with, so the browser shows it the same way."""
    if fmt == "html":
        from index.formats.html import decode_page as decode
    else:
        from index.formats.text import decode
    try:
        return decode(data)[1].replace("_", "-").removesuffix("-sig")
    except Exception:
        return "utf-8"
