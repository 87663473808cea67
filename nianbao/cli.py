"""The ``nianbao`` command.

    nianbao parse FILE [--json]      one report: a summary, or the contract JSON
    nianbao check PATH...            every problem in a folder of reports, one per line
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from index.errors import ReportError
from index.model import Report
from index.parse import INCOMPLETE, parse_file
from index.read import find_files
from index.template import KEY_FIGURES

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
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_ERROR)
    if as_json:
        click.echo(json.dumps(report.to_dict(text=not no_text), ensure_ascii=False, indent=1))
    else:
        click.echo(summary(report))
    incomplete = [w for w in report.warnings if w.startswith(INCOMPLETE)]
    if incomplete:
        click.echo(f"error: {file}: {incomplete[0]}", err=True)
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
    width = max((len(str(f)) for f in files), default=10)
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
            click.echo(f"{str(f):<{width}}  {kind:<7}  {text}")
    click.echo(
        f"{len(files)} files: {len(files) - counts['error']} parsed, {counts['error']} failed; "
        f"{counts['check']} failed checks, {counts['warning']} warnings"
    )
    sys.exit(EXIT_ERROR if counts["error"] else EXIT_OK)
