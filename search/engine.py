"""Answer searches: query + facet filters → ranked, faceted, highlighted hits.

    engine = Engine("var/index")
    result = engine.search(SearchRequest(q="行政处罚", filters={"year": ["2023"]}))
    result.total, result.hits[0].passages[0].html, result.facets

The engine only reads the index.  It picks up a newer commit by the indexer on
the next request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from whoosh.query import And, Term

from index.build import open_index, unpack
from index.model import Report
from search import facets as F
from search.passages import PassageHit, best_passages, match_spans, snippet
from search.query import ParsedQuery, compile_query, parse_query

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
    score: float | None = None


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
            "hits": [asdict(h) for h in self.hits],
            "facets": [asdict(f) for f in self.facets],
        }


class Engine:
    def __init__(self, index_dir) -> None:
        self.index_dir = index_dir
        self.ix = open_index(index_dir)
        self._lock = threading.Lock()
        self._searcher = self.ix.searcher()
        self._metas: dict[int, dict] | None = None

    def close(self) -> None:
        self._searcher.close()

    # -------------------------------------------------------------- state

    def _current(self):
        """The searcher, refreshed if the indexer committed since."""
        fresh = self._searcher.refresh()
        if fresh is not self._searcher:
            self._searcher, self._metas = fresh, None
        if self._metas is None:
            reader = self._searcher.reader()
            column = reader.column_reader("meta")
            self._metas = {}
            for d in reader.all_doc_ids():
                if column[d]:
                    meta = json.loads(column[d])
                    meta["facets"] = F.values_of(meta)
                    self._metas[d] = meta
        return self._searcher, self._metas

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
        with self._lock:
            s, metas = self._current()
            base, scores = self._base(s, parsed, metas, request.sort)
            facet_list = F.count_all((metas[d]["facets"] for d in base), request.filters, request.within)
            final = [d for d in base if F.passes(metas[d]["facets"], request.filters)]
            ordered = self._order(final, metas, request.sort, scores)
            first = (request.page - 1) * request.per_page
            page = ordered[first : first + request.per_page]
            if not page and final:
                notes.append(f"第 {request.page} 页超出范围（共 {-(-len(final) // request.per_page)} 页）")
            literals = parsed.literals()
            hits = [self._hit(s, d, metas[d], scores.get(d), literals) for d in page]
        return SearchResult(request, parsed, len(final), hits, facet_list, notes)

    def _base(self, s, parsed: ParsedQuery, metas: dict, sort: str) -> tuple[list[int], dict[int, float]]:
        """The reports matching the query (before facet filters), in index order,
        with their scores when the results are to be ranked: one pass either way."""
        query = And([Term("kind", "report"), compile_query(parsed, s.schema)])
        if sort == "relevance" and not parsed.is_empty:
            results = s.search(query, limit=None)
            scores = {d: score for score, d in results.top_n if d in metas}
            return sorted(scores), scores
        return [d for d in s.docs_for_query(query) if d in metas], {}

    def _order(self, docs: list[int], metas: dict, sort: str, scores: dict[int, float]) -> list[int]:
        if scores:
            return sorted(docs, key=lambda d: (-scores[d], d))
        if sort == "new_received_desc":
            key = lambda d: (metas[d]["figures"].get("new_received") is None, -(metas[d]["figures"].get("new_received") or 0), -(metas[d]["year"] or 0))  # noqa: E731
        elif sort == "year_asc":
            key = lambda d: (metas[d]["year"] or 0, metas[d]["agency"] or "")  # noqa: E731
        else:
            key = lambda d: (-(metas[d]["year"] or 0), metas[d]["agency"] or "")  # noqa: E731
        return sorted(docs, key=key)

    def _hit(self, s, docnum: int, meta: dict, score: float | None, literals: list[str]) -> Hit:
        stored = s.stored_fields(docnum)
        report = Report.from_dict(unpack(stored["data"]), text_only=True)
        matches = match_spans(report, literals)
        return Hit(
            id=stored["id"],
            agency=meta["agency"],
            year=meta["year"],
            region={k: meta[k] for k in ("province", "city", "county")},
            sector=meta["sector"],
            template=meta["template"],
            consistent=meta["consistent"],
            published=meta["published"],
            figures=meta["figures"],
            snippet=snippet(report, literals, matches=matches),
            passages=best_passages(report, literals, matches=matches),
            sources=stored["record"]["sources"],
            warnings=meta["warnings"],
            score=score,
        )

    # -------------------------------------------------------------- one report

    def report(self, report_id: str) -> tuple[Report, list[str]] | None:
        """A report and the files it was read from."""
        with self._lock:
            s, _ = self._current()
            docnum = s.document_number(id=report_id, kind="report")
            if docnum is None:
                return None
            stored = s.stored_fields(docnum)
        return Report.from_dict(unpack(stored["data"])), stored["record"]["sources"]

    def metas(self, request: SearchRequest) -> list[dict]:
        """The facet values and headline numbers of every report in a result set
        (cheap: no stored text is read), for charts and summaries."""
        self.clean(request)
        parsed = parse_query(request.q)
        with self._lock:
            s, metas = self._current()
            base, _ = self._base(s, parsed, metas, "year_desc")
            # "facets" is the engine's own cache of facet values: not part of the answer
            return [{k: v for k, v in metas[d].items() if k != "facets"} for d in base if F.passes(metas[d]["facets"], request.filters)]

    def matching(self, request: SearchRequest) -> Iterator[tuple[str, Report, list[PassageHit], list[str]]]:
        """Every report of a result set, in order, unpaged: for export and charts."""
        self.clean(request)
        parsed = parse_query(request.q)
        with self._lock:
            s, metas = self._current()
            base, scores = self._base(s, parsed, metas, request.sort)
            ordered = self._order([d for d in base if F.passes(metas[d]["facets"], request.filters)], metas, request.sort, scores)
        literals = parsed.literals()
        for d in ordered:  # streamed: one report in memory at a time
            with self._lock:
                fields = s.stored_fields(d)
            report = Report.from_dict(unpack(fields["data"]))
            yield fields["id"], report, best_passages(report, literals, limit=1), fields["record"]["sources"]

    # -------------------------------------------------------------- coverage (for the web's landing page)

    def coverage(self) -> dict:
        """When the index was last written, and the folder holding every indexed file.

        Cached per index generation.  No stored field is read: the file paths
        are the sorted ``id`` terms of the source records (``source:<path>``),
        and of those only the first and the last decide the common folder
        (see ``search.export.source_root``).
        """
        from datetime import datetime, timezone

        from search.export import source_root

        generation = self.ix.latest_generation()
        cached = getattr(self, "_coverage", None)
        if cached and cached[0] == generation:
            return cached[1]
        first = last = None
        with self.ix.searcher() as s:
            for term in s.reader().expand_prefix("id", "source:"):
                last = term.decode("utf-8") if isinstance(term, bytes) else term
                first = first or last
        storage = self.ix.storage
        stamps = [storage.file_modified(name) for name in storage.list() if name.endswith(".toc")]
        indexed_at = datetime.fromtimestamp(max(stamps), timezone.utc) if stamps else None
        info = {"indexed_at": indexed_at, "source_root": source_root(p[len("source:") :] for p in {first, last} if p)}
        self._coverage = (generation, info)
        return info
