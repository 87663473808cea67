"""Answer searches: query + facet filters → ranked, faceted, highlighted hits.

    engine = Engine("var/index")
    result = engine.search(SearchRequest(q="行政处罚", filters={"year": ["2023"]}))
    result.total, result.hits[0].passages[0].html, result.facets

The engine only reads the index.  It picks up a newer commit by the indexer on
the next request; requests already running finish on the commit they began
with.  Requests run in parallel: each takes a searcher of its own, and the
per-report arrays facets and sorting read are shared (``search/columns.py``).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.analysis import preload
from index.build import open_index, unpack
from index.model import Report, shallow_dict
from index.schema import LABELS, NUMBERS
from search import facets as F
from search import postings
from search.agency import agency_keys
from search.columns import NONE, Columns, SegmentCache
from search.passages import HIT_MATCHES, Occurrences, PassageHit, Reasons, match_spans, snippet
from search.query import ParsedQuery, compile_query, parse_query
from search.shared import SharedMatches

SORTS = {
    "relevance": "相关度",
    "year_desc": "年度（新→旧）",
    "year_asc": "年度（旧→新）",
    "new_received_desc": "本年新收申请（多→少）",
}
PER_PAGE_MAX = 100


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet -> selected values
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    within: dict[str, str] = field(default_factory=dict)  # facet -> search within its values


@dataclass
class Hit:
    id: str
    agency: str | None
    year: int | None
    region: dict
    sector: str
    template: str | None
    consistent: bool
    published: str | None
    figures: dict
    snippet: str  # HTML: escaped text, <mark> around matches
    passages: list[PassageHit]
    sources: list[str]
    warnings: int
    failed_checks: int | None  # 勾稽关系 checks that do not hold
    score: float | None = None
    versions: int = 1  # files of the report that differ (numbers or text): more than 1 is flagged 多个版本不一致
    agency_key: str | None = None  # the agency across years (search/agency.py), resolved over the whole index


@dataclass
class SearchResult:
    request: SearchRequest
    query: ParsedQuery
    total: int
    hits: list[Hit]
    facets: list[F.Facet]
    notes: list[str]  # how the request was read, in plain words

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))

    def to_dict(self) -> dict:
        return {
            "query": {"text": self.request.q, "read_as": self.query.describe(), "parsed": self.query.to_dict()},
            "filters": self.request.filters,
            "sort": self.request.sort,
            "page": self.request.page,
            "per_page": self.request.per_page,
            "pages": self.pages,
            "total": self.total,
            "notes": self.notes,
            "hits": [{**shallow_dict(h), "passages": list(map(shallow_dict, h.passages))} for h in self.hits],
            "facets": [{**shallow_dict(f), "values": list(map(shallow_dict, f.values))} for f in self.facets],
        }


class _Generation:
    """One commit of the index as searched: its columns, shared by every
    thread, and a pool of searchers (a Whoosh searcher is not safe for two
    threads at once; each request takes one for itself).

    A superseded generation is closed when its last user gives its searcher
    back, so a request or a streaming export never has its reader closed
    under it by a commit."""

    def __init__(self, number: int, first, columns: Columns, prepare: Callable[[object], None], shared: Path | None = None) -> None:
        self.number = number
        self._prepare = prepare  # for each of its searchers (SegmentCache.lend_lengths)
        prepare(first.reader())
        self.columns = columns
        self.facets = F.table(columns)
        read = first.reader().generation()  # what the matches are of (None: no segment yet)
        self.matches = _Matches(SharedMatches(shared, read) if shared and read is not None else None)
        self.kept = postings.Kept()
        self.decoded = _Decoded()
        self._meta: dict[int, object] = {}  # id(searcher) -> its meta column reader; they live as long as this
        self._idle = [first]
        self._users = 0
        self._open = True  # still the newest
        self._lock = threading.Lock()

    def take(self, ix):
        with self._lock:
            self._users += 1
            if self._idle:
                return self._idle.pop()
        searcher = ix.searcher()
        if not self._same(searcher):  # a newer commit landed since this generation was opened
            searcher.close()
            with self._lock:
                self._users -= 1
            return None
        self._prepare(searcher.reader())
        return searcher

    def meta_reader(self, searcher):
        """``searcher``'s reader of the ``meta`` column, kept with it (opening one reads every offset)."""
        with self._lock:
            if id(searcher) not in self._meta:
                self._meta[id(searcher)] = searcher.reader().column_reader("meta", translate=False)
            return self._meta[id(searcher)]

    def _same(self, searcher) -> bool:
        gen = searcher.reader().generation()
        return gen == self.number if gen is not None else self.columns.size == 0  # None: no segments yet

    def give_back(self, searcher) -> None:
        with self._lock:
            self._users -= 1
            self._idle.append(searcher)
            done = [] if self._open or self._users else self._idle
            if done:
                self._idle = []
        for s in done:
            s.close()

    def retire(self) -> None:
        with self._lock:
            self._open = False
            done, self._idle = (self._idle, []) if not self._users else ([], self._idle)
        for s in done:
            s.close()


class _Matches:
    """A generation's recent query matches (document numbers, scores when
    ranked), least recently used dropped first; with ``shared``, also those
    the server's other processes made (``search/shared.py``)."""

    SIZE = 32

    def __init__(self, shared: SharedMatches | None = None) -> None:
        self._entries: OrderedDict = OrderedDict()
        self._shared = shared
        self._lock = threading.Lock()

    def get(self, query, ranked: bool, compute):
        with self._lock:
            found = self._entries.get(query)
            if found is not None and (found[1] is not None or not ranked):
                self._entries.move_to_end(query)
                return found
        # outside the lock: a slow query holds up no one
        found = self._shared.get(query, ranked) if self._shared else None
        if found is None:
            found = compute()
            if self._shared:
                self._shared.put(query, found)
        with self._lock:
            self._entries[query] = found
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)
        return found


@dataclass
class _Shown:
    """What a hit shows of a stored report: its id, files, the report rebuilt
    and its text folded for matching."""

    id: str
    sources: list[str]
    report: Report
    text: Occurrences


class _Decoded:
    """A generation's reports recently shown as hits, rebuilt, by document number.

    Reading, unpacking, rebuilding and folding a report costs with its size:
    2–3 ms for a usual one (a page of 20 hits: most of a repeated search's
    time), and for the largest the file limit lets in (a 9 MB file, 3 million
    characters) about 0.4 s, paid again by every search that showed it.
    Paging, sorting and clicking facets show the same reports again.  At
    most ``BUDGET`` stored bytes are kept, some 700 usual reports (rebuilt
    without their checks, a report takes about 8 times its stored size in
    memory: some 70 MB; were they all of the largest kind, at most 42 times),
    least recently shown dropped first; the one just shown is always kept.
    (The 35 searches of ``bench_search`` show some 310 reports, 3.5 MB,
    between them: the 3 MB budget this had before was dropping each report
    just before it was shown again.)  A document number means one report
    only within a generation, so the next commit starts afresh."""

    BUDGET = 8 * 1024 * 1024

    def __init__(self) -> None:
        self._entries: OrderedDict[int, tuple[int, _Shown]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def kept(self, docnum: int) -> _Shown | None:
        with self._lock:
            found = self._entries.get(docnum)
            if found is None:
                return None
            self._entries.move_to_end(docnum)
            return found[1]

    def shown(self, docnum: int, fields: dict) -> _Shown:
        """The hit material of a report from its stored fields, kept (best
        called with no searcher held: a big rebuild holds up no one)."""
        blob = fields["data"]
        report = Report.from_dict(unpack(blob), checks=False)
        shown = _Shown(fields["id"], fields["record"]["sources"], report, Occurrences(report.text))
        with self._lock:
            if docnum not in self._entries:
                self._entries[docnum] = (len(blob), shown)
                self._size += len(blob)
            while self._size > self.BUDGET and len(self._entries) > 1:
                size, _ = self._entries.popitem(last=False)[1]
                self._size -= size
        return shown


@dataclass(frozen=True)
class Selection:
    """Some reports' facet strings and headline numbers, one array entry per report."""

    labels: dict[str, tuple[list[str], np.ndarray]]  # LABELS name -> (distinct values, each report's code or NONE)
    numbers: dict[str, np.ndarray]  # NUMBERS name -> each report's value, NaN where not printed

    def __len__(self) -> int:
        return len(self.numbers["year"])


@dataclass
class _View:
    """What one request reads: one searcher and its generation's columns."""

    searcher: object
    columns: Columns
    facets: dict[str, F.FacetColumn]
    matches: _Matches
    kept: postings.Kept
    decoded: _Decoded
    meta: Callable[[], object]  # this searcher's meta column reader
    generation: int  # the commit it reads


class Engine:
    """Thread-safe: any number of threads may search at once."""

    def __init__(self, index_dir, shared_matches: str | Path | None = None) -> None:
        """``shared_matches``: a folder where the processes of one server share
        their query matches (``search/shared.py``); None for a lone process."""
        self.index_dir = index_dir
        self._shared = Path(shared_matches) if shared_matches else None
        self.ix = open_index(index_dir)  # read through the file, not mapped (index/storage.py says why)
        self._segments = SegmentCache()
        self._refreshing = threading.Lock()  # held only while a new commit is read
        self._gen: _Generation | None = None
        self._coverage: tuple[int, dict] | None = None  # (generation, coverage()) of the last call

    def warm(self) -> None:
        """Load now what the first query would: the analyzer's dictionary (jieba's,
        about a second).  A server of several processes calls it before forking
        them, so that they share it."""
        preload(self.ix.schema["body"].analyzer)

    def prepare(self) -> None:
        """Read the newest commit now (its per-report arrays and facet tables),
        as the first request would otherwise."""
        self._current(wait=True)

    def close(self) -> None:
        gen, self._gen = self._gen, None
        if gen:
            gen.retire()

    # -------------------------------------------------------------- state

    @contextmanager
    def _view(self) -> Iterator[_View]:
        """The newest generation, with a searcher of its own, until the block ends."""
        gen = self._current(wait=False)
        while (searcher := gen.take(self.ix)) is None:  # a commit landed meanwhile: wait for it to be read
            gen = self._current(wait=True)
        try:
            yield _View(searcher, gen.columns, gen.facets, gen.matches, gen.kept, gen.decoded, lambda: gen.meta_reader(searcher), gen.number)
        finally:
            gen.give_back(searcher)

    def _current(self, wait: bool) -> _Generation:
        gen = self._gen
        latest = self.ix.latest_generation()
        if gen is not None and gen.number == latest:
            return gen
        # One thread reads the new commit; the others go on with the one they
        # have, unless they have none or are told to wait.
        if not self._refreshing.acquire(blocking=wait or gen is None):
            return gen
        try:
            gen = self._gen
            if gen is not None and gen.number == latest:
                return gen
            searcher = self.ix.searcher()
            fresh = _Generation(latest, searcher, self._segments.columns(searcher.reader()), self._segments.lend_lengths, self._shared)
            if not fresh._same(searcher):  # a commit between the two reads: take it next time
                fresh.number = searcher.reader().generation()
            old, self._gen = self._gen, fresh
        finally:
            self._refreshing.release()
        if old is not None:
            old.retire()
        return fresh

    # -------------------------------------------------------------- search

    def clean(self, request: SearchRequest) -> list[str]:
        """Drop what cannot be honoured; say so."""
        notes = []
        for name in list(request.filters):
            if name not in F.BY_NAME:
                notes.append(f"没有名为“{name}”的筛选项，已忽略")
                del request.filters[name]
        request.within = {k: v for k, v in request.within.items() if k in F.BY_NAME and v}
        if request.sort not in SORTS:
            notes.append(f"不支持的排序“{request.sort}”，改按相关度排序")
            request.sort = "relevance"
        request.per_page = min(max(1, request.per_page), PER_PAGE_MAX)
        request.page = max(1, request.page)
        return notes

    def search(self, request: SearchRequest) -> SearchResult:
        notes = self.clean(request)
        parsed = parse_query(request.q)
        notes = parsed.notes + notes
        first = (request.page - 1) * request.per_page
        with self._view() as view:
            base, scores = self._base(view, parsed, request.sort)
            facet_list = F.count_all(view.facets, base, request.filters, request.within)
            keep = F.passes(view.facets, base, request.filters)
            final = base[keep]
            ranked = self._ranked(view, final, None if scores is None else scores[keep], request.sort, first + request.per_page)
            page = ranked[first : first + request.per_page]
            if not page and len(final):
                notes.append(f"第 {request.page} 页超出范围（共 {-(-len(final) // request.per_page)} 页）")
            stored = self._stored(view, [d for d, _ in page])
            keys = agency_keys(view.columns, [d for d, _ in page])
            decoded = view.decoded
        why = Reasons.of(parsed, request.filters)
        # Highlighting is the costly part of a big report: no searcher is held meanwhile.
        hits = [_hit(meta, kept or decoded.shown(d, fields), score, why, key) for (d, score), (meta, kept, fields), key in zip(page, stored, keys)]
        return SearchResult(request, parsed, len(final), hits, facet_list, notes)

    def _base(self, view: _View, parsed: ParsedQuery, sort: str) -> tuple[np.ndarray, np.ndarray | None]:
        """The reports matching the query (before facet filters) in index order,
        and their scores when the results are ranked by relevance.

        Kept per generation (:class:`_Matches`): paging, sorting and changing
        facet filters reuse a query's matches.  Facets count every match, so
        every match is found; :mod:`search.postings` finds and scores them all
        at once over whole posting lists, which costs less than Whoosh's
        top-N collector took to check the candidates' positions for a page."""
        ranked = sort == "relevance" and not parsed.is_empty
        if parsed.is_empty:
            return view.columns.reports, None
        query = compile_query(parsed, view.searcher.schema)
        docs, scores = view.matches.get(query, ranked, lambda: self._match(view, query, ranked))
        return docs, scores if ranked else None  # a ranked entry also serves other sorts

    @staticmethod
    def _match(view: _View, query, ranked: bool) -> tuple[np.ndarray, np.ndarray | None]:
        found = postings.match(view.searcher, query, view.columns.field_lengths, view.kept)
        if found is not None:
            docs, scores = found
            keep = view.columns.is_report[docs]
            return docs[keep], scores[keep] if ranked else None
        if ranked:  # a query search.postings does not know: Whoosh matches it
            top = view.searcher.search(query, limit=None).top_n
            docs = np.fromiter((d for _, d in top), dtype=np.int64, count=len(top))
            scores = np.fromiter((score for score, _ in top), dtype=np.float64, count=len(top))
        else:
            docs, scores = np.fromiter(view.searcher.docs_for_query(query), dtype=np.int64), None
        keep = view.columns.is_report[docs]
        docs, order = docs[keep], np.argsort(docs[keep], kind="stable")
        return docs[order], None if scores is None else scores[keep][order]

    def _ranked(self, view: _View, docs: np.ndarray, scores: np.ndarray | None, sort: str, needed: int | None) -> list[tuple[int, float | None]]:
        """The first ``needed`` of ``docs`` (all when None) in result order, with their scores when ranked."""
        if scores is not None:  # best first; equal scores in index order
            order = np.lexsort((docs, -scores))[:needed]
            return list(zip(docs[order].tolist(), scores[order].tolist()))
        c = view.columns
        year = np.nan_to_num(c.number("year")[docs])
        if sort == "new_received_desc":
            received = c.number("new_received")[docs]
            keys = (docs, -year, -np.nan_to_num(received), np.isnan(received))
        else:
            agencies, codes = c.label("agency")
            agency = view.facets["agency"].rank[codes[docs]] if len(agencies) else np.zeros(len(docs))
            agency = np.where(codes[docs] == NONE, -1, agency)  # no name sorts as ""
            keys = (docs, agency, year) if sort == "year_asc" else (docs, agency, -year)
        order = docs[np.lexsort(keys)]
        return [(d, None) for d in (order if needed is None else order[:needed]).tolist()]

    def _stored(self, view: _View, docs: list[int]) -> list[tuple[dict, _Shown | None, dict | None]]:
        """Each document's meta, and its report as kept (``_Decoded``) or else its stored fields."""
        meta = view.meta() if docs else None
        out = []
        for d in docs:
            kept = view.decoded.kept(d)
            out.append((json.loads(meta[d]), kept, None if kept else view.searcher.stored_fields(d)))
        return out

    # -------------------------------------------------------------- one report

    def report(self, report_id: str) -> tuple[Report, list[str]] | None:
        """A report and the files it was read from."""
        with self._view() as view:
            docnum = view.searcher.document_number(id=report_id, kind="report")
            if docnum is None:
                return None
            stored = view.searcher.stored_fields(docnum)
        return Report.from_dict(unpack(stored["data"])), stored["record"]["sources"]

    def view(self):
        """The newest generation and a searcher of its own, until the ``with`` block
        ends: for the readers in ``search/`` that work over a generation's columns."""
        return self._view()

    def result_set(self, view: _View, request: SearchRequest) -> np.ndarray:
        """The documents of a result set (its query and filters), in index order."""
        self.clean(request)
        base, _ = self._base(view, parse_query(request.q), "year_desc")
        return base[F.passes(view.facets, base, request.filters)]

    def selection(self, request: SearchRequest) -> Selection:
        """The facet strings and headline numbers of every report in a result
        set, as arrays (the generation's columns: nothing per report is
        decoded), for charts and summaries."""
        with self._view() as view:
            final = self.result_set(view, request)
            c = view.columns
            return Selection(
                {name: (c.label(name)[0], c.label(name)[1][final]) for name in LABELS},
                {name: c.number(name)[final] for name in NUMBERS},
            )

    def matching(self, request: SearchRequest) -> Iterator[tuple[str, Report, list[PassageHit], list[str], str | None]]:
        """Every report of a result set, in order, unpaged, for export: (id, report,
        its best passage, its files, its agency key).

        The whole stream reads one generation: a commit meanwhile cannot cut it."""
        self.clean(request)
        parsed = parse_query(request.q)
        why = Reasons.of(parsed, request.filters)
        with self._view() as view:
            base, scores = self._base(view, parsed, request.sort)
            keep = F.passes(view.facets, base, request.filters)
            for d, _ in self._ranked(view, base[keep], None if scores is None else scores[keep], request.sort, None):  # streamed: one report in memory at a time
                fields = view.searcher.stored_fields(d)
                report = Report.from_dict(unpack(fields["data"]))
                yield fields["id"], report, why.passages(report, limit=1), fields["record"]["sources"], agency_keys(view.columns, [d])[0]


    # -------------------------------------------------------------- coverage (for the web's landing page)

    def held_words(self, words: list[str]) -> list[str]:
        """Those of ``words`` that some report's text holds as one word (one
        term of the ``body`` field), in order: each finds that report at least.

        A look in the term dictionary per word, not a search: over 100 000
        reports a search for a common word, cold, takes seconds, and a landing
        page cannot wait for several."""
        out = []
        with self._view() as view:
            reader, field = view.searcher.reader(), view.searcher.schema["body"]
            for word in words:
                tokens = [t.text for t in field.analyzer(word)]
                term = field.to_bytes(tokens[0]) if len(tokens) == 1 else None
                # postings skip deleted documents; the term dictionary keeps their words until a merge
                if term is not None and ("body", term) in reader and reader.postings("body", term).is_active():
                    out.append(word)
        return out

    def coverage(self) -> dict:
        """When the index was last written, and the folder holding every indexed file.

        Cached per index generation, and read with a searcher of the pool (not
        one of its own, which would open every segment again).  No stored
        field is read: see :func:`_source_root`.
        """
        from datetime import datetime, timezone

        cached = self._coverage
        if cached and cached[0] == self.ix.latest_generation():
            return cached[1]
        with self._view() as view:
            generation = view.generation
            root = _source_root(view.searcher.reader())
        storage = self.ix.storage
        stamps = [storage.file_modified(name) for name in storage.list() if name.endswith(".toc")]
        indexed_at = datetime.fromtimestamp(max(stamps), timezone.utc) if stamps else None
        info = {"indexed_at": indexed_at, "source_root": root}
        self._coverage = (generation, info)
        return info


_SOURCE = "source:"  # the ``id`` of a source record: "source:<path>"


def _source_root(reader) -> str:
    """The deepest folder holding every indexed file (a folder, not a common
    string: /data/ab and /data/ac give /data), from the sorted ``id`` terms
    of the source records.

    The first path gives the deepest candidate, its folder; each folder above
    it then costs one look in the term dictionary (is there an id past every
    path under it?), not a walk through 100 000 files' ids.  Absolute paths
    only: a name that is not UTF-8 is stored as "source:#<hash>"."""
    first = next(reader.expand_prefix("id", _SOURCE + "/"), None)
    if first is None:
        return ""
    folder = os.path.dirname(first.decode("utf-8")[len(_SOURCE) :])
    while folder != "/":
        past = next(reader.terms_from("id", _SOURCE + folder + chr(ord("/") + 1)), None)  # after every "folder/…"
        if past is None or past[0] != "id" or not past[1].startswith((_SOURCE + "/").encode()):
            break
        folder = os.path.dirname(folder)
    return folder


def _hit(meta: dict, shown: _Shown, score: float | None, why: Reasons, agency_key: str | None) -> Hit:
    # With its tables: a table row is a passage too, and a number condition shows its cell.
    report = shown.report
    literals = why.literals
    matches = match_spans(report, literals, shown.text, first=HIT_MATCHES)
    return Hit(
        id=shown.id,
        agency=meta["agency"],
        year=meta["year"],
        region={k: meta[k] for k in ("province", "city", "county")},
        sector=meta["sector"],
        template=meta["template"],
        consistent=meta["consistent"],
        published=meta["published"],
        figures=meta["figures"],
        snippet=snippet(report, literals, matches=matches),
        passages=why.passages(report, matches=matches),
        sources=shown.sources,
        warnings=meta["warnings"],
        failed_checks=meta.get("failed_checks"),  # None in an index written before the count was kept
        score=score,
        versions=meta.get("versions", 1),  # 1 in an index written before versions were kept
        agency_key=agency_key,
    )
