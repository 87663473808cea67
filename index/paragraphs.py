"""The narrative of a report as paragraphs, normalised for comparing years.

Two reports are compared paragraph by paragraph (``search/compare.py``) and a
report that is mostly last year's text is flagged (``search/agency.py``); both
read the paragraphs through here, so "the same paragraph" means one thing:

- :func:`normal`: the paragraph of the normalised text (``Report.text``)
  without spaces and line breaks (a PDF breaks lines anywhere, an HTML page indents);
- :func:`shape`: :func:`normal` with every run of digits as ``#``, so
  "发布信息75条" and "发布信息80条" are the same sentence with its numbers changed.

The index stores one 8-byte fingerprint per paragraph (of its shape), so the
cross-year comparison needs no stored text.
"""

from __future__ import annotations

import hashlib
import re
import struct

from index.model import Report

MIN_CHARS = 10  # shorter "paragraphs" are table cells and signatures, not narrative
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
FINGERPRINT_DTYPE = "<u8"  # numpy's name for how pack_fingerprints writes them


def normal(text: str) -> str:
    return _SPACE.sub("", text)


def shape(text: str) -> str:
    return _DIGITS.sub("#", normal(text))


def narrative(report: Report) -> list[str]:
    """The report's paragraphs (passages of kind ``paragraph``), normalised,
    in order; table cells printed as paragraphs (mostly digits) are left out."""
    out = []
    for p in sorted(report.passages, key=lambda p: p.start):
        if p.kind != "paragraph":
            continue
        text = normal(report.text[p.start : p.end])
        if len(_DIGITS.sub("", text)) >= MIN_CHARS:
            out.append(text)
    return out


def fingerprint(text: str) -> int:
    """Of a paragraph's :func:`shape`: equal shapes, equal fingerprints."""
    return int.from_bytes(hashlib.blake2b(shape(text).encode("utf-8"), digest_size=8).digest(), "little")


def pack_fingerprints(paragraphs: list[str]) -> bytes:
    """The ``paragraphs`` column: fingerprints as little-endian uint64 (:data:`FINGERPRINT_DTYPE`)."""
    return struct.pack(f"<{len(paragraphs)}Q", *map(fingerprint, paragraphs))
