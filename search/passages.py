"""Where in a report a query matched: the best passages, highlighted.

A literal matches where its bigrams occur consecutively in the text's bigram
stream: the same rule the ``body_bi`` field applies, so every hit has a
passage to show and every highlight is a real match.  Highlighted HTML is
built from escaped text; only our own ``<mark>`` tags are raw.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from itertools import islice

from index.analysis import fold_with_origin, stream
from index.model import Passage, Report
from index.template import KEY_FIGURES, column_label, row_label
from search import facets as F
from search.query import ParsedQuery

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

    def find(self, literal: str, first: int | None = None) -> list[Span]:
        """Where ``literal`` occurs, in order; only the ``first`` matches when given."""
        pattern = _pattern(literal)
        if pattern is None:
            return []
        found = islice(pattern.finditer(self.folded), first)
        if self.origin is None:
            return [m.span() for m in found]
        return [(self.origin[m.start()], self.origin[m.end() - 1] + 1) for m in found]


@lru_cache(maxsize=1024)
def _pattern(literal: str) -> re.Pattern | None:
    needle = stream(literal)[0]
    return re.compile(r"[\W_]*".join(map(re.escape, needle))) if needle else None


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
    id: str  # the printed passage (``p12``); for a table row, the one its numbers were printed in
    kind: str
    section: int | None
    row: str | None
    page: int | None
    html: str  # escaped, with <mark> around matches (and around a number condition's cell)
    matched: int  # how many of the query's literals it contains
    anchor: str = ""  # where on the report page it links to: ``id``, or a parsed table's row or cell
    condition: str | None = None  # the number condition it shows the cell of, as the reader set it
    version: int | None = None  # from another version of the report (its index in ``Report.versions``)

    def __post_init__(self) -> None:
        self.anchor = self.anchor or self.id


@dataclass(frozen=True)
class Condition:
    """A number condition a report was kept for: a headline figure
    (:data:`index.template.KEY_FIGURES`) and what it had to be, in words
    (``withheld:>=5`` → "不予公开 ≥ 5"; a facet bucket → "不予公开：1–9")."""

    figure: str
    text: str


def match_spans(report: Report, literals: list[str], text: Occurrences | None = None, *, first: int | None = None) -> dict[str, list[Span]]:
    """Each literal's matches in the whole text, in order; only its ``first``
    ones when given (``text``: the report's text already folded, when the
    caller keeps it)."""
    if not literals:
        return {}
    text = text or Occurrences(report.text)
    return {lit: text.find(lit, first) for lit in literals}


# A search hit's passages and snippet look at each literal's first this many
# matches: the choice among them is as good, and a report that prints a word
# tens of thousands of times (the largest the file limit lets in) costs a
# search no more than one that prints it 250 times.  A usual report
# has a few dozen.
HIT_MATCHES = 250


# ---------------------------------------------------------------- table rows as passages

TABLES = {"proactive": 2, "applications": 3, "review_litigation": 4}  # table → its section


def row_anchor(table: str, row: str) -> str:
    """The id of a parsed table's row on the report page (no dots: it is also a CSS selector)."""
    return f"row-{table}-{row}"


def cell_anchor(path: str) -> str:
    """The id of a parsed table's cell on the report page (``path``: ``applications.new_received.total``)."""
    return "cell-" + path.replace(".", "-")


def figure_cells(report: Report, figure: str) -> list[str]:
    """The cells (contract paths) a headline figure is read from: the rule of
    :meth:`index.model.Report.key_figures`, cell by cell (a test holds the two together)."""
    app = report.applications or {}
    sums = {"withheld": "withheld_", "unavailable": "unavailable_", "not_processed": "not_processed_", "other_processed": "other"}
    if figure in sums:
        return [f"applications.{k}.total" for k in app if k.startswith(sums[figure])]
    if figure in ("review", "review_corrected"):
        return [f"review_litigation.review.{'total' if figure == 'review' else 'corrected'}"]
    if figure in ("litigation", "litigation_corrected"):
        column = "total" if figure == "litigation" else "corrected"
        return [f"review_litigation.{g}.{column}" for g in ("litigation_direct", "litigation_after_review")]
    if figure in ("licensing", "penalty", "coercion"):
        return [f"proactive.{figure}.decisions"]
    if figure == "fee_amount_wan":
        return ["proactive.fees.fee_amount_wan"]
    return [f"applications.{figure}.total"]


def _num(value) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass
class _Candidate:
    """A passage that may be shown: which terms it covers and how it ranks among equals."""

    covers: frozenset[int]  # indices of the query terms (and conditions) it has
    rank: tuple  # smaller first, among candidates covering as much
    make: Callable[[], PassageHit]
    row: str | None = None  # a table row, parsed or as printed: one of the two is enough
    version: int = 0  # another version's passage ranks after this version's, among equals


def _table_rows(report: Report, literals: list[str], term_of: dict[str, int], conditions: list[Condition], base: int) -> list[_Candidate]:
    """Every parsed table row as a candidate passage: its label holds the
    table's vocabulary (不予公开, 行政复议 …) even where the printed row says
    only "1.属于国家秘密"; a number condition's cells are marked in it."""
    marked: dict[str, list[int]] = {}  # cell path → the conditions decided on it
    for k, c in enumerate(conditions):
        for path in figure_cells(report, c.figure):
            marked.setdefault(path, []).append(base + k)
    out = []
    literals_key = tuple(literals)
    for table, section in TABLES.items():
        for row, cells in (getattr(report, table) or {}).items():
            label, spans = _row_spans(table, row, report.template, literals_key)
            covers = {term_of[lit] for lit, s in spans.items() if s}
            if marked:
                for col in cells:
                    covers.update(marked.get(f"{table}.{row}.{col}", ()))
            if not covers:
                continue
            printed = next((report.passage(f.passage) for f in cells.values() if f.passage), None)
            nonzero = any(f.value for f in cells.values())
            matched = sum(1 for s in spans.values() if s)
            total = sum(len(s) for s in spans.values())
            rank = (0 if nonzero else 1, -matched, -total, printed.start if printed else len(report.text))
            make = _row_hit(report, table, section, row, label, cells, spans, marked, conditions, base, printed)
            out.append(_Candidate(frozenset(covers), rank, make, f"{table}.{row}"))
    return out


@lru_cache(maxsize=4096)
def _row_spans(table: str, row: str, template: str | None, literals: tuple[str, ...]) -> tuple[str, dict[str, tuple[Span, ...]]]:
    """A table row's label and each literal's matches in it: the same few dozen
    rows for every hit of a query, so worked out once per query and template."""
    label = row_label(table, row, template)
    found = Occurrences(label)
    return label, {lit: tuple(found.find(lit)) for lit in literals}


def _row_hit(report, table, section, row, label, cells, spans, marked, conditions, base, printed) -> Callable[[], PassageHit]:
    def make() -> PassageHit:
        html = [_mark_string(label, [s for found in spans.values() for s in found]), "："]
        first_cell, condition = None, None
        for n, (col, fig) in enumerate(cells.items()):
            path = f"{table}.{row}.{col}"
            value = escape(_num(fig.value))
            if path in marked:
                value = f"<mark>{value}</mark>"
                first_cell = first_cell or path
                condition = condition or conditions[marked[path][0] - base].text
            html.append(("　" if n else "") + f"{escape(column_label(table, col))} {value}")
        matched = sum(1 for s in spans.values() if s)
        anchor = cell_anchor(first_cell) if first_cell else row_anchor(table, row)
        pid = printed.id if printed else anchor
        return PassageHit(pid, "row", section, f"{table}.{row}", printed.page if printed else None, "".join(html), matched, anchor, condition)

    return make


def _mark_string(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for a, b in merge(spans):
        out += [escape(text[pos:a]), f"<mark>{escape(text[a:b])}</mark>"]
        pos = b
    return "".join(out) + escape(text[pos:])


# ---------------------------------------------------------------- choosing

MAX_PASSAGES = 8  # however many terms a query has, a hit shows at most this many passages
# Among passages covering as much: a parsed table row with a number other than 0
# ranks 0, prose and the other parsed rows 1, headings and raw table text after.
_KIND_RANK = {"paragraph": 1, "title": 1, "heading": 2, "row": 3, "table": 3}


def best_passages(
    report: Report,
    literals: list[str],
    limit: int = 3,
    matches: dict[str, list[Span]] | None = None,
    *,
    terms: list[list[str]] | None = None,
    conditions: list[Condition] = (),
) -> list[PassageHit]:
    """The passages that together show why the report matched, best first.

    ``terms`` groups the literals into the query's terms (a word and its
    variants, or an OR group: any one of them covers the term); by default
    each literal is a term.  ``conditions`` are the number conditions the
    report was kept for: each is covered by a table row holding its cells.

    A greedy set cover: each pick is the passage holding the most terms not
    yet shown (ties: most terms, table rows with numbers other than 0,
    paragraphs before headings, most matches, document order), until every
    term the report has is shown (at most ``MAX_PASSAGES``) and at least
    ``limit`` passages are picked when there are that many.  A parsed table
    row (label and numbers) ranks before the same row as printed, which is
    shown only for a term its label lacks.

    The work grows with the matches, not the report: each match finds its
    passage by bisection (matches × log(passages)); the at most
    ``MAX_PASSAGES`` picks then run over the best few candidates of each set
    of terms covered, however long the report.
    A report kept in several versions (``Report.versions``) offers the other
    versions' passages too, after its own among equals: a word printed only
    in a corrected version still shows where.
    """
    if terms is None:
        terms = [[lit] for lit in literals]
    term_of = {lit: k for k, group in enumerate(terms) for lit in group}
    literals = [lit for lit in literals if lit in term_of]
    if not literals and not conditions:
        return []
    matches = match_spans(report, literals, first=HIT_MATCHES) if matches is None else matches
    matches = {lit: spans for lit, spans in matches.items() if lit in term_of}
    candidates = _table_rows(report, literals, term_of, list(conditions), len(terms))
    candidates += _text(report, matches, term_of, None)
    for n, version in enumerate(report.versions):
        if version.report is not None:  # another version's text: for a term this one lacks
            candidates += _text(version.report, match_spans(version.report, literals, first=HIT_MATCHES), term_of, n)
    return [c.make() for c in _cover(candidates, limit)]


def _text(report: Report, matches: dict[str, list[Span]], term_of: dict[str, int], version: int | None) -> list[_Candidate]:
    """The passages of ``report``'s text holding a literal, as candidates.

    Each match finds its passage by bisection (``Report.passage_at``), so the
    work is matches × log(passages), and a long report's passages without a
    match are never looked at."""
    inside: dict[str, tuple[Passage, dict[str, list[Span]]]] = {}  # passage id -> it, literal -> its matches there
    for lit, spans in matches.items():
        for span in spans:
            p = report.passage_at(span[0])
            if p is not None:
                inside.setdefault(p.id, (p, {}))[1].setdefault(lit, []).append(span)
    out = []
    for p, found in sorted(inside.values(), key=lambda item: item[0].start):
        covers = frozenset(term_of[lit] for lit in found)
        distinct, total = len(found), sum(len(s) for s in found.values())
        rank = (_KIND_RANK.get(p.kind, 1), -distinct, -total, p.start)
        flat = [s for spans in found.values() for s in spans]
        make = lambda p=p, flat=flat, distinct=distinct: _hit(report, p, flat, distinct, version)  # noqa: E731
        out.append(_Candidate(covers, rank, make, p.row if version is None else None, version or 0))
    return out


def _cover(candidates: list[_Candidate], limit: int) -> list[_Candidate]:
    """Greedy set cover of the terms, then the best of the rest up to ``limit``.

    Candidates covering the same terms differ only by rank, so only the best
    few of each such group can ever be picked: the picks run over those, not
    over every passage of a long report."""
    groups: dict[tuple, list[_Candidate]] = {}
    for c in candidates:
        groups.setdefault((c.covers, c.version), []).append(c)
    # 2×: a pick may be skipped as a table row already shown, printed or parsed
    pool = [c for group in groups.values() for c in heapq.nsmallest(2 * MAX_PASSAGES, group, key=lambda c: c.rank)]
    uncovered = frozenset().union(*(c.covers for c in pool))
    chosen: list[_Candidate] = []
    shown_rows: set[str] = set()
    while pool and len(chosen) < MAX_PASSAGES and (uncovered or len(chosen) < limit):
        best = min(range(len(pool)), key=lambda i: (-len(pool[i].covers & uncovered), -len(pool[i].covers), pool[i].version, pool[i].rank))
        pick = pool.pop(best)
        if pick.row in shown_rows and not pick.covers & uncovered:
            continue  # the same table row again, printed or parsed, adding nothing
        chosen.append(pick)
        uncovered -= pick.covers
        if pick.row:
            shown_rows.add(pick.row)
    return chosen


def _hit(report: Report, p: Passage, spans: list[Span], matched: int, version: int | None = None) -> PassageHit:
    return PassageHit(p.id, p.kind, p.section, p.row, p.page, highlight(report, p.start, p.end, spans), matched, version=version)


def snippet(report: Report, literals: list[str], width: int = 120, matches: dict[str, list[Span]] | None = None) -> str:
    """A short highlighted excerpt around the first match (or the report's opening)."""
    matches = match_spans(report, literals, first=HIT_MATCHES) if matches is None else matches
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


# ---------------------------------------------------------------- from a query


@dataclass
class Reasons:
    """Why a report matched, as its passages must show it: the query's terms
    (each a literal and its variants, or an OR group of them) and its number
    conditions (ranges on a headline figure, number-bucket facet filters)."""

    literals: list[str]
    terms: list[list[str]]
    conditions: list[Condition]

    @classmethod
    def of(cls, parsed: ParsedQuery, filters: dict[str, list[str]]) -> Reasons:
        terms, conditions = [], []
        for group in parsed.clauses:
            words = [v for c in group if c.kind == "text" and not c.negated for v in c.variants()]
            if words:
                terms.append(list(dict.fromkeys(words)))
            conditions += [Condition(c.field, c.describe()) for c in group if c.kind == "range" and c.field in KEY_FIGURES]
        for name, chosen in filters.items():
            spec = F.BY_NAME.get(name)
            if chosen and spec is not None and spec.kind == "bucket" and name in KEY_FIGURES:
                conditions.append(Condition(name, f"{spec.label}：" + " 或 ".join(spec.label_of(v) for v in chosen)))
        return cls(parsed.literals(), terms, conditions)

    def passages(self, report: Report, limit: int = 3, matches: dict | None = None) -> list[PassageHit]:
        return best_passages(report, self.literals, limit, matches, terms=self.terms, conditions=self.conditions)
