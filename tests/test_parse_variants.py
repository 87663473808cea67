"""The same values come out of the samples however they are encoded or laid out."""

from __future__ import annotations

import codecs
import re

import opencc
import pytest
from conftest import contract_diff, expected

from index.parse import parse_bytes

FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def wrap_long_cells(text: str) -> str:
    """Break every longer table label in the middle, as PDF text does."""

    def wrap(line: str) -> str:
        if "\t" not in line:
            return line
        cells = line.split("\t")
        return "\t".join(c[: len(c) // 2] + "\n" + c[len(c) // 2 :] if len(c) > 8 and not re.search(r"\d{2}", c) else c for c in cells)

    return "\n".join(wrap(l) for l in text.split("\n"))


ENCODINGS = {
    "gb18030": lambda t: t.encode("gb18030"),
    "utf-16-bom": lambda t: t.encode("utf-16"),
    "utf-16le-no-bom": lambda t: t.encode("utf-16-le"),
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
}
LAYOUTS = {
    "full-width-digits": lambda t: t.translate(FULL_WIDTH_DIGITS),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "one-cell-per-line": lambda t: t.replace("\t", "\n\t"),
    "cells-joined-by-spaces": lambda t: t.replace("\t", "  "),
    "labels-wrapped": wrap_long_cells,
    # Printed in traditional characters (a Hong Kong/Taiwan-style copy): 臨淄區應急管理局.
    "traditional": opencc.OpenCC("s2t").convert,
}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_encodings_are_detected_from_the_bytes(sample, encoding):
    data = ENCODINGS[encoding](sample.read_text(encoding="utf-8"))
    report = parse_bytes(data, "report")  # no extension to go by
    assert contract_diff(report.to_dict(), expected(sample)) == []


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layouts_give_the_same_values(sample, layout):
    text = LAYOUTS[layout](sample.read_text(encoding="utf-8"))
    report = parse_bytes(text.encode("utf-8"), sample.name)
    assert contract_diff(report.to_dict(), expected(sample)) == []


def test_a_simplified_report_keeps_the_characters_t2s_would_change(sample):
    """著 and 乾 are simplified characters too (著作权, 乾县): a simplified report is
    read as printed, only a mostly-traditional one is simplified."""
    text = sample.read_text(encoding="utf-8").replace("依申请公开", "依申请公开著作权乾县", 1)
    report = parse_bytes(text.encode("utf-8"), sample.name)
    assert "著作权乾县" in report.text
