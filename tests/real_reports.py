"""Count the values read right on a folder of real reports and their expected.json.

    .venv/bin/python tests/real_reports.py [FOLDER]   # default: tests/fixtures/real

``expected.json`` is keyed by the ``.txt`` name; the same values apply to the
``.html`` beside it.  A value is agency, year, template, or one cell of
``applications`` / ``review_litigation`` that the file pins down.  A file that
is refused counts every one of its values as wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from index.errors import ReportError
from index.parse import parse_file

FIELDS = ("agency", "year", "template")
FOLDER = Path(__file__).resolve().parent / "fixtures" / "real"


def expected_values(want: dict) -> dict[str, object]:
    """The expected values flattened to ``path -> value``."""
    out: dict[str, object] = {f: want[f] for f in FIELDS}
    for table in ("applications", "review_litigation"):
        for row, cells in want[table].items():
            for col, value in cells.items():
                out[f"{table}.{row}.{col}"] = value
    return out


def got_values(path: Path) -> dict[str, object] | str:
    """The parsed values by the same paths, or the reason the file was refused."""
    try:
        report = parse_file(path).to_dict()
    except ReportError as e:
        return str(e)
    out: dict[str, object] = {f: report.get(f) for f in FIELDS}
    for table in ("applications", "review_litigation"):
        for row, cells in (report.get(table) or {}).items():
            for col, value in cells.items():
                out[f"{table}.{row}.{col}"] = value
    return out


def score(folder: Path = FOLDER) -> tuple[int, int, dict[str, list[str]]]:
    """(values right, values in all, what is wrong per file)."""
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    right = total = 0
    wrong: dict[str, list[str]] = {}
    for name, want in sorted(expected.items()):
        for path in (folder / name, (folder / name).with_suffix(".html")):
            if not path.exists():
                continue
            values = expected_values(want)
            got = got_values(path)
            total += len(values)
            if isinstance(got, str):
                wrong[path.name] = [f"refused: {got}"]
                continue
            misses = [f"{k}: got {got.get(k)!r}, expected {v!r}" for k, v in values.items() if got.get(k) != v]
            right += len(values) - len(misses)
            if misses:
                wrong[path.name] = misses
    return right, total, wrong


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER
    right, total, wrong = score(folder)
    for name, misses in wrong.items():
        print(f"{name}: {len(misses)} wrong")
        for m in misses[:8]:
            print(f"    {m}")
    print(f"{right}/{total} values right")
