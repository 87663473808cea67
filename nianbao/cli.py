"""The ``nianbao`` command.

    nianbao parse FILE [--json]               one report: a summary, or the contract JSON
    nianbao check PATH...                     every problem in a folder of reports, one per line
    nianbao index PATH... [--index DIR]       add, update and remove reports in the index
    nianbao index PATH... --rebuild           build it afresh beside the old one, swap it in when done
    nianbao verify [--index DIR]              check that every part of the index reads back
    nianbao search QUERY [filters] [--json]   search the index
    nianbao export QUERY [filters] -o FILE    every matching report as CSV or JSON lines
    nianbao serve [--index DIR]               the web site (builds a demo index on first run)
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import click
from tqdm import tqdm

from index.build import FILE_SECONDS, WORKER_MEMORY_MB
from index.errors import ReportError
from index.model import Report
from index.parse import INCOMPLETE, parse_file
from index.read import find_files, shown
from index.template import KEY_FIGURES

NAME_BYTE = re.compile("[\udc80-\udcff]")  # a byte of a file name that is not UTF-8, as Python decodes it

# Exit codes of `parse`: documented in the README.
EXIT_OK, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao")
def main() -> None:
    """Search Chinese government information-disclosure annual reports (政府信息公开工作年度报告)."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as contract JSON.")
@click.option("--no-text", is_flag=True, help="With --json: leave out the full text.")
def parse(file: Path, as_json: bool, no_text: bool) -> None:
    """Parse one report and print what was read from it."""
    try:
        report = parse_file(file)
    except ReportError as e:
        click.echo(f"error: {shown(file)}: {e.reason}", err=True)
        sys.exit(EXIT_ERROR)
    if as_json:
        text = json.dumps(report.to_dict(text=not no_text), ensure_ascii=False, indent=1)
        # a file name's bytes that are not UTF-8 stay JSON escapes (os.fsencode gives them back), not raw bytes
        click.echo(NAME_BYTE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    else:
        click.echo(summary(report))
    incomplete = [w for w in report.warnings if w.startswith(INCOMPLETE)]
    if incomplete:
        click.echo(f"error: {shown(file)}: {incomplete[0]}", err=True)
        sys.exit(EXIT_INCOMPLETE)


def summary(report: Report) -> str:
    r = report.region
    lines = [
        f"{report.agency or '（机关不详）'} · {report.year or '?'} 年度 · {report.template or '?'} 版模板",
        f"地区      {' '.join(x for x in (r.province, r.city, r.county) if x) or '—'}",
        f"落款日期  {report.published or '—'}",
    ]
    if report.contact:
        lines.append("联系方式  " + "；".join(f"{k} {v}" for k, v in report.contact.items()))
    figures = report.key_figures()
    shown = [f"{KEY_FIGURES[k]} {'—' if v is None else f'{v:g}'}" for k, v in figures.items()]
    lines.append("主要数字  " + " · ".join(shown[:10]))
    lines.append("          " + " · ".join(shown[10:]))
    failed = [c for c in report.checks if not c.ok]
    lines.append(f"核对      {len(report.checks) - len(failed)}/{len(report.checks)} 项通过" + ("" if failed else " ✓"))
    lines += [f"  ✗ {c.detail}" for c in failed]
    if report.warnings:
        lines.append("警告")
        lines += [f"  ! {w}" for w in report.warnings]
    return "\n".join(lines)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """List every problem in the reports under PATHS: parse failures, failed checks, warnings."""
    files = find_files(list(paths))
    counts = {"error": 0, "check": 0, "warning": 0}
    width = max((len(shown(f)) for f in files), default=10)
    for f in files:
        try:
            report = parse_file(f)
        except ReportError as e:
            problems = [("error", e.reason)]
        else:
            problems = [("check", c.detail) for c in report.checks if not c.ok]
            problems += [("warning", w) for w in report.warnings]
        for kind, text in problems:
            counts[kind] += 1
            click.echo(f"{shown(f):<{width}}  {kind:<7}  {text}")
    click.echo(
        f"{len(files)} files: {len(files) - counts['error']} parsed, {counts['error']} failed; "
        f"{counts['check']} failed checks, {counts['warning']} warnings"
    )
    sys.exit(EXIT_ERROR if counts["error"] else EXIT_OK)


# ---------------------------------------------------------------------- index

DEFAULT_INDEX = Path(os.environ.get("NIANBAO_INDEX", "var/index"))
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
index_option = click.option(
    "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_INDEX, show_default=True,
    help="Index directory (or set NIANBAO_INDEX).",
)  # fmt: skip


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Build a fresh index of PATHS beside the old one (e.g. a damaged one) and swap it in when done.")
@click.option("--file-seconds", type=click.FloatRange(min=0, min_open=True), default=FILE_SECONDS, show_default=True,
              help="Time to parse one file; past it the file is reported as failed and the run goes on.")
@click.option("--worker-memory-mb", type=click.IntRange(min=256), default=WORKER_MEMORY_MB, show_default=True,
              help="Address space of each indexing worker process (a file needing more is reported as failed).")
def index_cmd(paths: tuple[Path, ...], index_dir: Path, rebuild: bool, file_seconds: float, worker_memory_mb: int) -> None:
    """Index the reports under PATHS (files or folders); only changed files are read again."""
    limits = {"file_seconds": file_seconds, "worker_memory_mb": worker_memory_mb}
    summary = run_indexer(list(paths), index_dir, rebuild=rebuild, **limits)
    sys.exit(EXIT_OK if summary is not None else EXIT_ERROR)


@main.command()
@index_option
def verify(index_dir: Path) -> None:
    """Check that every part of the index can be read: its table of contents, every segment, every stored record."""
    from index.verify import verify_index

    problems = verify_index(index_dir, on_problem=lambda p: click.echo(f"damaged: {p}"))
    if problems is None:
        click.echo(f"error: no index in {index_dir}", err=True)
    elif problems:
        n = len(problems)
        click.echo(f"{n} problem{'s' * (n != 1)} in {index_dir}: `nianbao index PATH... --rebuild --index {index_dir}` builds it again", err=True)
    else:
        click.echo(f"the index in {index_dir} is sound: every segment and stored record reads back", err=True)
    sys.exit(EXIT_OK if problems == [] else EXIT_ERROR)


def run_indexer(paths: list[Path], index_dir: Path, rebuild: bool = False, **limits):
    """Index with a progress bar on a terminal, a log line per problem otherwise."""
    from index.build import IndexBusy, build_index, rebuild_index
    from index.storage import DamagedIndex

    files = find_files(paths)
    bar = tqdm(total=len(files), unit="file", disable=not sys.stderr.isatty(), file=sys.stderr)
    done = 0
    started = time.monotonic()

    def on_file(path: str, status: str, reason: str) -> None:
        nonlocal done
        if status == "failed":
            tqdm.write(f"failed: {path}: {reason}", file=sys.stderr)  # above the bar, or a plain line
        if status != "removed":
            bar.update(1)
            done += 1
            if bar.disable and done % 5000 == 0:  # a log, not a terminal: a line now and then
                click.echo(f"{done}/{len(files)} files ({time.monotonic() - started:.0f} s)", err=True)

    try:
        summary = (rebuild_index if rebuild else build_index)(paths, index_dir, on_file=on_file, files=files, **limits)
    except (IndexBusy, DamagedIndex) as e:
        bar.close()
        click.echo(f"error: {e}", err=True)
        return None
    except OSError as e:  # a full disk, a read-only folder: the last commit stands, and the next run starts from it
        bar.close()
        click.echo(f"error: cannot write the index in {index_dir}: {e.strerror or e}; it is left as its last commit made it", err=True)
        return None
    bar.close()
    click.echo(summary.line(), err=True)
    for path, reason in summary.failed:
        click.echo(f"  failed  {path}: {reason}", err=True)
    return summary


# ---------------------------------------------------------------------- search

def filter_options(f):
    for name, help_text in [
        ("year", "年度, e.g. 2023 (repeat for several)"),
        ("province", "省份, e.g. 山东省"),
        ("city", "城市"),
        ("county", "区县"),
        ("agency", "机关 (exact name)"),
        ("sector", "领域, e.g. 应急管理"),
    ]:
        f = click.option(f"--{name}", multiple=True, help=help_text)(f)
    f = click.option("--facet", "facets", multiple=True, metavar="NAME=VALUE", help="Any facet filter, e.g. new_received=1-9.")(f)
    f = click.option("--sort", default="relevance", show_default=True, help="relevance | year_desc | year_asc | new_received_desc")(f)
    return index_option(f)


def make_request(query: str, options: dict, **extra):
    from search.engine import SearchRequest

    filters: dict[str, list[str]] = {}
    for name in ("year", "province", "city", "county", "agency", "sector"):
        if options.get(name):
            filters[name] = list(options[name])
    for item in options.get("facets") or ():
        name, _, value = item.partition("=")
        filters.setdefault(name.strip(), []).append(value.strip())
    return SearchRequest(q=query, filters=filters, sort=options.get("sort") or "relevance", **extra)


def open_engine(index_dir: Path):
    from index.storage import DamagedIndex
    from search.engine import Engine

    try:
        return Engine(index_dir)
    except (FileNotFoundError, DamagedIndex) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("query", default="")
@filter_options
@click.option("--limit", default=10, show_default=True, help="Hits to show.")
@click.option("--page", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full result (hits, facets, how the query was read) as JSON.")
def search(query: str, index_dir: Path, limit: int, page: int, as_json: bool, **options) -> None:
    """Search the index.  QUERY: words (all must match), "phrases", OR, -word, field:value, year:2021..2023."""
    engine = open_engine(index_dir)
    result = engine.search(make_request(query, options, per_page=limit, page=page))
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return
    tty = sys.stdout.isatty()
    click.echo(f"{result.total} 份报告 · 检索式：{result.query.describe()}")
    for note in result.notes:
        click.echo(f"  注意：{note}")
    for n, hit in enumerate(result.hits, (result.request.page - 1) * result.request.per_page + 1):
        region = " ".join(x for x in hit.region.values() if x)
        click.echo(f"\n{n}. {hit.agency} · {hit.year} · {region} · {hit.sector}   [{hit.id}]")
        for p in hit.passages or []:
            click.echo(f"   {p.id:>5}  {terminal(p.html, tty)}")
        if not hit.passages and hit.snippet:
            click.echo(f"          {terminal(hit.snippet, tty)}")


def terminal(html: str, tty: bool) -> str:
    from html import unescape

    text = html.replace("<mark>", "\x1b[1;33m" if tty else "【").replace("</mark>", "\x1b[0m" if tty else "】")
    text = unescape(re.sub(r"<[^>]+>", "", text))
    return text if len(text) <= 160 else text[:157] + "…"


@main.command()
@click.argument("query", default="")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write ('-' for stdout).")
def export(query: str, index_dir: Path, fmt: str, output: Path, **options) -> None:
    """Export every report matching QUERY and filters: one row each, all fields."""
    from search.export import row, to_csv, to_jsonl

    engine = open_engine(index_dir)
    written = 0

    def rows():
        nonlocal written
        for rid, report, passages, sources, key in engine.matching(make_request(query, options)):
            written += 1
            yield row(rid, report, passages, sources, key)

    out = sys.stdout if str(output) == "-" else open(output, "w", encoding="utf-8", newline="")
    try:
        for chunk in to_csv(rows()) if fmt == "csv" else to_jsonl(rows()):
            out.write(chunk)
    finally:
        if out is not sys.stdout:
            out.close()
    click.echo(f"wrote {written} reports to {output}", err=True)


# ---------------------------------------------------------------------- serve


@main.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (localhost only by default).")
@click.option("--port", default=5000, show_default=True)
@click.option("--threads", default=8, show_default=True, help="Threads per process.")
@click.option("--processes", type=click.IntRange(1), default=1, show_default=True,
              help="Server processes sharing the port, for many users at once: Python runs one thread at a time in a process, "
                   "a second process uses a second core.  They share each query's matches; each keeps its own other caches.")
@click.option("--public-url", help="Address the site is reached at, for the links in exports (default http://HOST:PORT).")
def serve(index_dir: Path, host: str, port: int, threads: int, processes: int, public_url: str | None) -> None:
    """Serve the web site.  With no index yet, first build one from the bundled sample reports."""
    import socket

    import waitress

    from index.build import INDEX_NAME
    from index.storage import DamagedIndex, exists
    from web import create_app

    if not exists(index_dir, INDEX_NAME):
        click.echo(f"no index in {index_dir} yet: indexing the bundled samples ({SAMPLES})", err=True)
        if run_indexer([SAMPLES], index_dir) is None:
            sys.exit(EXIT_ERROR)
    # The processes share their query matches through a folder of the server's own (search/shared.py).
    shared = tempfile.mkdtemp(prefix="nianbao-matches-") if processes > 1 else None
    if shared:
        atexit.register(shutil.rmtree, shared, ignore_errors=True)
    try:
        # Made before the processes are: each inherits it (no searcher is open yet, so no file either).
        app = create_app(index_dir, PUBLIC_URL=public_url or f"http://{host}:{port}", SHARED_MATCHES=shared)
        engine = app.extensions["nianbao.engine"]
        if processes > 1:  # loaded once, shared by the processes, instead of once in each
            engine.warm()
        else:  # the index first (what any first answer needs), then jieba's dictionary, while serving
            answered = threading.Event()
            app.after_request(lambda response: answered.set() or response)
            threading.Thread(target=warm_up, args=(engine, answered), name="nianbao-warm", daemon=True).start()
    except DamagedIndex as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_ERROR)
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # --host :: or ::1 listens on IPv6
        listener = socket.create_server((host, port), family=family, backlog=1024)
    except OSError as e:
        click.echo(f"error: cannot listen on {host}:{port}: {e.strerror or e}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"nianbao: serving {index_dir} on http://{host}:{port}/  ({processes} × {threads} threads; Ctrl-C to stop)", err=True)

    def run() -> None:
        waitress.serve(app, sockets=[listener], threads=threads, ident="nianbao")

    if processes == 1:
        run()
    else:
        serve_forked(run, processes)


def warm_up(engine, answered: threading.Event) -> None:
    """Read the index, then load jieba's dictionary (about a second, holding
    Python's lock much of it), so that the first text search need not: after
    the first answer (or 5 s), which it would otherwise slow down.  A failure
    is left for a request to meet and report."""
    with contextlib.suppress(Exception):
        engine.prepare()
        answered.wait(5)
        engine.warm()


def serve_forked(run, processes: int) -> None:
    """``run()`` in ``processes`` children sharing the listening socket (the
    kernel hands each connection to one of them), kept at that number: a child
    that dies is replaced, unless it failed by itself at once (then the cause
    would fail the next too, and the server stops with an error).  Ctrl-C or SIGTERM stops
    them all."""
    import signal
    import traceback

    def start() -> tuple[int, float]:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = 0
            try:
                run()
            except BaseException:  # noqa: BLE001 (a child must never return into the parent's loop)
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        return pid, time.monotonic()

    children = dict(start() for _ in range(processes))

    def stop(*_, code: int = 0) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        sys.exit(code)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        pid, status = os.wait()
        born = children.pop(pid, None)
        if born is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        if code > 0 and time.monotonic() - born < 2:  # failed by itself at once: the next would too
            click.echo(f"error: a server process stopped as it started (exit {code}); stopping", err=True)
            stop(code=EXIT_ERROR)
        click.echo(f"nianbao: a server process stopped (exit {code}); starting another", err=True)
        child, started = start()
        children[child] = started
