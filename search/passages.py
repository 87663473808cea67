"""Where in a report a query matched: the best passages, highlighted.

A literal matches where its bigrams occur consecutively in the text's bigram
stream: the same rule the ``body_bi`` field applies, so every hit has a
passage to show and every highlight is a real match.  Highlighted HTML is
built from escaped text; only our own ``<mark>`` tags are raw.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from html import escape

from index.analysis import fold_with_origin, stream
from index.model import Passage, Report

Span = tuple[int, int]


class Occurrences:
    """Finds literals in one text, as the bigram field would: ignoring case,
    width, whitespace and punctuation.  Build once per text, ask many times.

    Rather than building the bigram stream of a whole report per hit, the
    literal's stream becomes a regular expression that lets any run of
    non-word characters sit between its characters, run over the folded text.
    """

    def __init__(self, text: str):
        self.folded, self.origin = fold_with_origin(text)

    def find(self, literal: str) -> list[Span]:
        needle = stream(literal)[0]
        if not needle:
            return []
        pattern = re.compile(r"[\W_]*".join(map(re.escape, needle)))
        if self.origin is None:
            return [m.span() for m in pattern.finditer(self.folded)]
        return [(self.origin[m.start()], self.origin[m.end() - 1] + 1) for m in pattern.finditer(self.folded)]


def find(text: str, literal: str) -> list[Span]:
    """Every (start, end) in ``text`` where ``literal`` occurs."""
    return Occurrences(text).find(literal)


def merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def highlight(report: Report, start: int, end: int, spans: list[Span]) -> str:
    """HTML of ``report.text[start:end]`` as printed, each span in ``<mark>``."""
    out = []
    pos = start
    for a, b in merge([(max(a, start), min(b, end)) for a, b in spans if a < end and b > start]):
        out.append(escape(_printed(report, pos, a)))
        out.append(f"<mark>{escape(_printed(report, a, b))}</mark>")
        pos = b
    out.append(escape(_printed(report, pos, end)))
    return "".join(out)


def _printed(report: Report, a: int, b: int) -> str:
    # Table cells are tab-separated; on one line they read better spaced out.
    return report.printed(a, b).replace("\t", "  ").replace("\n", " ") if a < b else ""


@dataclass
class PassageHit:
    id: str
    kind: str
    section: int | None
    row: str | None
    page: int | None
    html: str  # escaped, with <mark> around matches
    matched: int  # how many of the query's literals it contains


def match_spans(report: Report, literals: list[str]) -> dict[str, list[Span]]:
    """Each literal's matches in the whole text, in order."""
    if not literals:
        return {}
    text = Occurrences(report.text)
    return {lit: text.find(lit) for lit in literals}


def best_passages(report: Report, literals: list[str], limit: int = 3, matches: dict[str, list[Span]] | None = None) -> list[PassageHit]:
    """The passages that contain the most of the query's literals, best first.

    Each passage finds its matches by bisection in the sorted spans, so a big
    report costs passages × literals × log(matches), not passages × matches.
    """
    matches = match_spans(report, literals) if matches is None else matches
    scored = []
    for p in report.passages:
        inside = {lit: spans[bisect_left(spans, (p.start,)) : bisect_left(spans, (p.end,))] for lit, spans in matches.items()}
        distinct = sum(1 for spans in inside.values() if spans)
        if distinct:
            total = sum(len(s) for s in inside.values())
            scored.append((-distinct, -total, p.start, p, [s for spans in inside.values() for s in spans]))
    scored.sort(key=lambda t: t[:3])
    return [_hit(report, p, spans, -neg) for neg, _, _, p, spans in scored[:limit]]


def _hit(report: Report, p: Passage, spans: list[Span], matched: int) -> PassageHit:
    return PassageHit(p.id, p.kind, p.section, p.row, p.page, highlight(report, p.start, p.end, spans), matched)


def snippet(report: Report, literals: list[str], width: int = 120, matches: dict[str, list[Span]] | None = None) -> str:
    """A short highlighted excerpt around the first match (or the report's opening)."""
    matches = match_spans(report, literals) if matches is None else matches
    spans = merge([s for spans in matches.values() for s in spans])
    if not spans:
        first = next((p for p in report.passages if p.kind == "paragraph"), None)
        if first is None:
            return ""
        end = min(first.end, first.start + width)
        return highlight(report, first.start, end, []) + ("…" if end < first.end else "")
    a = spans[0][0]
    start = max(0, a - width // 3)
    end = min(len(report.text), start + width)
    return ("…" if start > 0 else "") + highlight(report, start, end, spans) + ("…" if end < len(report.text) else "")
