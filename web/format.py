"""Jinja filters and globals: numbers, Chinese labels, and trusted HTML.

The one rule about HTML: document text is always escaped.  The engine's
highlight HTML (``Hit.snippet``, ``PassageHit.html``) is built by
``search.passages.highlight`` from escaped text with only our own ``<mark>``
tags added, so it may be shown as is; :func:`trusted_highlight` is the single
place that says so (:func:`excerpt` goes further and rebuilds it from escaped
text).  Templates never use ``|safe``.
"""

from __future__ import annotations

import re
from html import unescape

from markupsafe import Markup, escape

from index import template
from index.template import APPLICANT_COLUMNS, KEY_FIGURES, NUMERALS, PROACTIVE_ITEMS, REVIEW_GROUPS, ROWS_BY_KEY
from search.engine import SORTS

PASSAGE_KINDS = {"title": "标题", "heading": "标题", "paragraph": "段落", "row": "表格行", "table": "表格"}

# The headline numbers each hit shows, in this order.
HIT_FIGURES = ("new_received", "disclosed", "withheld", "review", "litigation", "penalty")


def num(value) -> str:
    """A number as a reader expects it; None (not printed / not applicable) is "—", never 0."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def numeral(n: int | None) -> str:
    """1 → 一 (section numbers as the reports print them)."""
    if n is None or not 1 <= n <= len(NUMERALS):
        return str(n)
    return NUMERALS[n - 1]


def row_label(row: str | None) -> str | None:
    """ "proactive.penalty" → 行政处罚; "applications.new_received" → its printed label."""
    if not row:
        return None
    table, _, key = row.partition(".")
    if table == "review_litigation" and key not in REVIEW_GROUPS:
        return "复议诉讼表"
    known = {"proactive": PROACTIVE_ITEMS, "applications": ROWS_BY_KEY, "review_litigation": REVIEW_GROUPS}.get(table, {})
    return template.row_label(table, key) if key in known else None


def passage_label(p) -> str:
    """Where a passage is, for a link: "第三部分 表格行「（一）予以公开」 · 第 3 页"."""
    parts = []
    if p.section:
        parts.append(f"第{numeral(p.section)}部分")
    kind = PASSAGE_KINDS.get(p.kind, p.kind)
    label = row_label(p.row) if p.kind == "row" else None
    parts.append(f"{kind}「{label}」" if label else kind)
    text = " ".join(parts)
    if p.page:
        text += f" · 第 {p.page} 页"
    return text


def region_text(region) -> str:
    """Province, city and county as one line ("河南省 新乡市 卫滨区")."""
    if region is None:
        return ""
    if not isinstance(region, dict):
        region = vars(region)
    return " ".join(region[k] for k in ("province", "city", "county") if region.get(k))


def trusted_highlight(html: str | None) -> Markup:
    """The engine's highlight HTML: escaped text plus ``<mark>`` only (see module doc)."""
    return Markup(html or "")


_MARK = re.compile(r"(<mark>|</mark>)")


def excerpt(html: str | None, width: int = 160, before: int = 50) -> Markup:
    """A long passage of engine highlight HTML cut to ``width`` characters around its first match.

    The HTML is read back into (text, marked) pieces and rebuilt from escaped
    text, so cutting can never split a tag or an entity.
    """
    pieces: list[tuple[str, bool]] = []
    inside = False
    for part in _MARK.split(html or ""):
        if part in ("<mark>", "</mark>"):
            inside = part == "<mark>"
        elif part:
            pieces.append((unescape(part), inside))
    text_len = sum(len(t) for t, _ in pieces)
    first = 0
    for t, marked in pieces:
        if marked:
            break
        first += len(t)
    start = 0 if text_len <= width else max(0, min(first - before, text_len - width))
    end = min(text_len, start + width)
    out, pos = Markup(""), 0
    for t, marked in pieces:
        a, b = max(start - pos, 0), min(end - pos, len(t))
        if a < b:
            out += Markup("<mark>{}</mark>").format(t[a:b]) if marked else escape(t[a:b])
        pos += len(t)
    return (Markup("…") if start > 0 else Markup("")) + out + (Markup("…") if end < text_len else Markup(""))


def register(app) -> None:
    app.jinja_env.filters.update(
        num=num,
        numeral=numeral,
        passage_label=passage_label,
        region_text=region_text,
        trusted_highlight=trusted_highlight,
        excerpt=excerpt,
    )
    app.jinja_env.globals.update(
        KEY_FIGURES=KEY_FIGURES,
        HIT_FIGURES=HIT_FIGURES,
        SORTS=SORTS,
        APPLICANT_COLUMNS=APPLICANT_COLUMNS,
    )
