"""The search state lives in the URL: read it, and make links that change it.

    ?q=行政处罚&year=2023&year=2022&province=山东省&county=福建省/福州市/鼓楼区&sort=year_desc&page=2

- ``q``, ``sort``, ``page``, ``per_page``: as named;
- ``within.<facet>``: search within that facet's values;
- every other parameter is a facet filter, repeated for several values (OR
  within a facet, AND across facets).  City and county values are place
  paths, province first (``city=福建省/福州市``); a bare name
  (``county=鼓楼区``) selects every place of that name.  Unknown facet names
  are passed on to the engine, which drops them with a note.

Every link the page offers (facet toggles, chip removals, pages, twins) is a
plain ``<a href>`` built here, so the site works without JavaScript and any
state can be bookmarked or shared.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import url_for
from werkzeug.datastructures import MultiDict

from search import facets as F
from search.engine import SearchRequest

RESERVED = ("q", "sort", "page", "per_page", "headers")  # headers: the CSV's column names
WITHIN = "within."
MAX_PAGE = 1_000_000  # far beyond any result; keeps Whoosh's result limit sane
MAX_QUERY_PARAM = 20_000  # the query parser reads no more than this anyway


def _positive_int(raw: str | None, default: int, name: str, notes: list[str]) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        notes.append(f"{name}“{raw[:20]}”不是数字，按 {default} 处理")
        return default
    if value < 1:
        notes.append(f"{name}须为正整数，按 {default} 处理")
        return default
    return value


def valid_value(facet: str, value: str) -> bool:
    """Whether a facet can have this value at all: a year is a number, a bucket
    or flag one of its fixed values.  Names, places and sectors are open."""
    spec = F.BY_NAME.get(facet)
    if spec is None:
        return True  # the engine drops unknown facets, with its own note
    if spec.fixed:
        return value in dict(spec.fixed)
    if facet == "year":
        return value.isascii() and value.isdigit() and len(value) == 4
    return True


def read_request(args: MultiDict, per_page: int = 20) -> tuple[SearchRequest, list[str]]:
    """The :class:`SearchRequest` a query string asks for, and notes on what was not understood.

    A value no report can have (``year=abc``, ``new_received=lots``) is left
    out with a note, so it never shows as a chip nor empties the results.
    """
    notes: list[str] = []
    filters: dict[str, list[str]] = {}
    within: dict[str, str] = {}
    for key in args:  # keys in the order first seen
        if key in RESERVED:
            continue
        if key.startswith(WITHIN):
            text = args.get(key, "").strip()
            name = key[len(WITHIN) :]
            if name not in F.BY_NAME:
                notes.append(f"没有名为“{name[:20]}”的筛选项，其中的搜索已忽略")
            elif text:
                within[name] = text[:100]
            continue
        values = []
        for v in dict.fromkeys(args.getlist(key)):
            if not v.strip():
                continue
            if valid_value(key, v.strip()):
                values.append(v.strip())
            else:
                allowed = "、".join(x if x == lab else f"{x}（{lab}）" for x, lab in F.BY_NAME[key].fixed) or "四位数字的年份"
                notes.append(f"{F.BY_NAME[key].label}“{v[:20]}”不是有效的值（可选：{allowed}），已忽略")
        if values:
            filters[key] = values
    page = min(_positive_int(args.get("page"), 1, "页码", notes), MAX_PAGE)
    size = _positive_int(args.get("per_page"), per_page, "每页条数", notes)
    request = SearchRequest(
        q=args.get("q", "")[:MAX_QUERY_PARAM],
        filters=filters,
        sort=args.get("sort") or "relevance",
        page=page,
        per_page=size,
        within=within,
    )
    return request, notes


class Links:
    """Links that change one thing of the current search state.

    Built from the request *after* the engine cleaned it, so unknown facets and
    sorts are not carried into the links the page offers.
    """

    def __init__(self, request: SearchRequest, default_per_page: int = 20, endpoint: str = "search.index") -> None:
        self.r = request
        self.default_per_page = default_per_page
        self.endpoint = endpoint  # the page these links stay on: search, or stats

    def pairs(self, *, filters=None, within=None, sort=None, page=1, q=None, per_page=True) -> list[tuple[str, str]]:
        """The query-string pairs of the current state with the given changes (page 1 unless told)."""
        q = self.r.q if q is None else q
        filters = self.r.filters if filters is None else filters
        within = self.r.within if within is None else within
        sort = self.r.sort if sort is None else sort
        out: list[tuple[str, str]] = [("q", q)] if q else []
        out += [(name, v) for name, values in filters.items() for v in values]
        out += [(WITHIN + name, text) for name, text in within.items() if text]
        if sort and sort != "relevance":
            out.append(("sort", sort))
        if per_page and self.r.per_page != self.default_per_page:
            out.append(("per_page", str(self.r.per_page)))
        if page and page > 1:
            out.append(("page", str(page)))
        return out

    def url(self, endpoint: str | None = None, **changes) -> str:
        pairs = self.pairs(**changes)
        return self.action(endpoint) + ("?" + urlencode(pairs) if pairs else "")

    def action(self, endpoint: str | None = None) -> str:
        """The page's own address, for forms that send the state as fields."""
        return url_for(endpoint or self.endpoint)

    # -- facet state

    def is_selected(self, facet: str, value: str) -> bool:
        return value in self.r.filters.get(facet, [])

    def toggle(self, facet: str, value: str) -> str:
        """The results with ``value`` of ``facet`` added to the filters, or taken out."""
        filters = {k: list(v) for k, v in self.r.filters.items()}
        chosen = filters.setdefault(facet, [])
        spec = F.BY_NAME.get(facet)
        if value in chosen:
            chosen.remove(value)
        elif spec and (narrower := F.narrowed(spec, chosen, value)) is not None:
            filters[facet] = narrower
        else:
            chosen.append(value)
        return self.url(filters={k: v for k, v in filters.items() if v})

    def select(self, facet: str, value: str) -> str:
        """The results with ``value`` of ``facet`` selected (and the same-named
        bare name it is one of, if selected, narrowed to it); unchanged if it already is."""
        return self.url() if self.is_selected(facet, value) else self.toggle(facet, value)

    def chips(self) -> list[tuple[str, str, str, str, str]]:
        """(facet label, value label, link removing it, facet, value) of every selected value."""
        return [
            (F.BY_NAME[name].label, F.BY_NAME[name].label_of(value), self.toggle(name, value), name, value)
            for name, values in self.r.filters.items()
            for value in values
        ]

    def clear(self) -> str:
        """Every filter removed; the query and the sort kept."""
        return self.url(filters={}, within={})

    def clear_within(self, facet: str) -> str:
        return self.url(within={k: v for k, v in self.r.within.items() if k != facet})

    def page(self, n: int) -> str:
        return self.url(page=n)

    def twin(self, endpoint: str, page: bool = False) -> str:
        """The same result set in another shape (``search.json``, ``search.csv``, ``stats.index`` …)."""
        return self.url(endpoint, page=self.r.page if page else 1)

    # -- hidden fields for the forms on the page (each form changes one thing)

    def hidden(self, *, drop: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """Every current parameter but the page and those in ``drop``, for ``<input type=hidden>``."""
        return [(k, v) for k, v in self.pairs(page=1) if k not in drop]


def page_window(current: int, last: int, radius: int = 2) -> list[int | None]:
    """Page numbers to show, ``None`` where a run is left out: 1 … 4 5 [6] 7 8 … 20."""
    if last <= 1:
        return [1]
    shown = {1, last, *range(max(1, current - radius), min(last, current + radius) + 1)}
    out: list[int | None] = []
    for n in sorted(shown):
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out
