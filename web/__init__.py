"""The web site: search, read and compare annual reports, in Chinese.

    app = create_app("var/index")          # a Flask app; `nianbao serve` runs it

Layout (each module is small and does one thing):

- ``search_views``  ``/`` and its twins ``/search.json`` ``/search.csv`` ``/search.jsonl``
- ``report_views``  ``/report/<id>`` (``.json``) and ``/report/<id>/source/<n>``
- ``stats_views``   ``/stats`` (``.json``): server-side SVG charts
- ``agency_views``  ``/agency/<key>``, ``/compare``, ``/rank`` (each with twins): across reports
- ``urls``          the search state lives in the URL; helpers to read and change it
- ``document``      a :class:`index.model.Report` → what the report page shows
- ``charts``        bar-chart geometry (the SVG markup is in ``templates/_charts.html``)
- ``format``        Jinja filters: numbers, labels, and the one door for trusted HTML

Like Datasette, every page has a JSON twin and every facet state is a URL.
The app only reads the index (through :class:`search.engine.Engine`).

Safety: Jinja autoescapes everything.  No template uses ``|safe``; the only
HTML that is not escaped is built in Python with :class:`markupsafe.Markup`
from escaped text (``format.trusted_highlight`` for the engine's highlights,
``document.marked`` for the report text).  Responses carry a strict
Content-Security-Policy (scripts and styles only from this site, none inline).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from search.engine import Engine


def attachment(body, mimetype: str, name: str) -> Response:
    """A download of ``body`` (a string, or an iterable of them to stream) as
    UTF-8 ``mimetype``, saved as ``name``: every CSV and JSONL twin."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


# No inline script or style anywhere: the JS and CSS are static files.  SVG
# charts use presentation attributes (fill=…), which CSP does not restrict.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(index_dir: str | Path, **config) -> Flask:
    """The Flask app serving the index in ``index_dir`` (read only).

    ``config`` is merged into ``app.config`` (e.g. ``TESTING=True``).
    """
    app = Flask(__name__)
    app.config.update(PER_PAGE=20, **config)
    app.json.ensure_ascii = False  # Chinese stays readable in the JSON twins
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.extensions["nianbao.engine"] = Engine(index_dir, shared_matches=app.config.get("SHARED_MATCHES"))

    from web import format as fmt
    from web.agency_views import bp as agency_bp
    from web.report_views import bp as report_bp
    from web.search_views import bp as search_bp
    from web.stats_views import bp as stats_bp

    fmt.register(app)
    app.register_blueprint(search_bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(agency_bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Our own aborts carry a Chinese description; werkzeug's defaults are English.
        custom = error.description if error.description != type(error).description else None
        return error_page(error.code or 500, custom)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("unhandled error")
        return error_page(500)

    return app


ERROR_TITLES = {404: "找不到页面", 405: "不支持的请求方法", 400: "请求有误", 500: "服务器出错了"}


def error_page(code: int, detail: str | None = None):
    """An error page in Chinese (JSON for the ``.json`` twins)."""
    title = ERROR_TITLES.get(code, "出错了")
    if request.path.endswith(".json"):
        return {"error": title, "status": code}, code
    return render_template("error.html", code=code, title=title, detail=detail), code


def engine() -> Engine:
    """The app's engine (one per app, shared by all threads: it is thread-safe)."""
    from flask import current_app

    return current_app.extensions["nianbao.engine"]
