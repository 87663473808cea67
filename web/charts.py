"""Bar charts as server-side SVG: the geometry here, the markup in ``templates/_charts.html``.

No JavaScript and no chart library: a chart is a :class:`Chart` of rectangles
and labels in SVG user units, which the template writes out (Jinja escapes
every label, so agency names are safe in the SVG).  Each chart also carries
its numbers as a table, shown in a ``<details>`` for screen readers and for
copying.

Every chart is a set of horizontal bars, one row per year, province or
agency, so it can be laid out anew for a narrow screen instead of being
scaled down: each chart has a wide and a narrow :class:`Layout`, and the
stylesheet shows the one that fits, at its own size (text stays 12 px).
Each value is printed once, at the end of its bar; a bar (and its label)
links to the reports behind it.

    chart = bar_chart("years", "本年新收申请（按年度）",
                      [BarRow("2023", [("新收申请", 12)], href="/?year=2023"), …],
                      value_label="件", name_label="年度")
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PALETTE = {
    "新收申请": "#3b6ea5",
    "予以公开": "#4c9a6a",
    "部分公开": "#7fb36e",
    "不予公开": "#d9822b",
    "无法提供": "#b39b2e",
    "不予处理": "#b55d5d",
    "其他处理": "#8a7fb0",
    "不一致": "#b55d5d",
}
DEFAULT_FILL = "#3b6ea5"
FONT = 12  # px: SVG units are shown 1:1 (see the stylesheet), so this is the text size on screen
WIDTHS = {"wide": (640, 15), "narrow": (330, 6)}  # layout → (width, characters of row label)


@dataclass
class BarRow:
    """One row: a label, a stack of (series, value) segments, and where it leads."""

    label: str
    parts: list[tuple[str, float]]
    text: str | None = None  # printed at the bar's end; default: the total
    href: str | None = None  # the reports behind this bar, as a search
    empty: str | None = None  # printed instead of a bar (e.g. "无报告" for a year with none)


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    tooltip: str


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    tooltip: str | None = None
    cls: str = ""


@dataclass
class Row:
    """What one bar row draws; ``href`` wraps it all in a link."""

    href: str | None
    label: Text
    rects: list[Rect] = field(default_factory=list)
    value: Text | None = None


@dataclass
class Layout:
    name: str  # "wide" | "narrow"
    width: int
    height: int
    rows: list[Row] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)  # axis ticks and labels
    lines: list[tuple[float, float, float, float, str]] = field(default_factory=list)  # x1 y1 x2 y2 class


@dataclass
class Chart:
    id: str
    title: str
    layouts: list[Layout] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (fill, label)
    table_head: list[str] = field(default_factory=list)
    table_rows: list[list[str]] = field(default_factory=list)
    empty: bool = False  # nothing to draw: the template says so instead
    note: str | None = None  # shown under the title, e.g. what was left out


def axis(peak: float, count: int = 4, integer: bool = True) -> tuple[float, list[float]]:
    """(top, ticks) of a value axis: about ``count`` round steps (1, 2, 2.5, 5 × 10ⁿ)
    reaching ``peak``; whole steps only for counts (2 requests → 0 1 2, not 0 0.5 …)."""
    if peak <= 0:
        return 1, [0, 1]
    raw = peak / count
    exp = 10 ** math.floor(math.log10(raw))
    step = 10 * exp
    for m in (1, 2, 2.5, 5, 10):
        candidate = m * exp
        if integer and not float(candidate).is_integer():
            continue
        if candidate >= raw:
            step = candidate
            break
    n = math.ceil(peak / step - 1e-9)
    return step * n, [round(step * i, 6) for i in range(n + 1)]


def fmt(value: float, unit: str = "") -> str:
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"
    return text + unit


def _short(name: str, chars: int) -> str:
    return name if len(name) <= chars else name[: chars - 1] + "…"


def bar_chart(
    chart_id: str,
    title: str,
    rows: list[BarRow],
    *,
    value_label: str,
    name_label: str,
    unit: str = "",
    top: float | None = None,
    ticks: int = 4,
) -> Chart:
    """Horizontal (stacked) bars, one per row, in the order given; each laid out wide and narrow."""
    chart = Chart(chart_id, title)
    series = list(dict.fromkeys(name for r in rows for name, _ in r.parts))
    chart.legend = [(PALETTE.get(s, DEFAULT_FILL), s) for s in series] if len(series) > 1 else []
    chart.table_head = [name_label, *(series if len(series) > 1 else [value_label])]
    if not rows:
        chart.empty = True
        return chart
    peak = max(sum(v for _, v in r.parts) for r in rows)
    if top:
        marks = [top * i / ticks for i in range(ticks + 1)]
    else:
        top, marks = axis(peak, ticks)
    for r in rows:
        values = dict(r.parts)
        total = r.text or fmt(sum(values.values()), unit)
        cells = [fmt(values.get(s, 0), unit) for s in series] if len(series) > 1 else [total]
        chart.table_rows.append([r.label, *(cells if not r.empty else [r.empty] * len(cells))])
    chart.layouts = [_layout(name, width, chars, rows, top, marks, value_label, name_label, unit, len(series) > 1)
                     for name, (width, chars) in WIDTHS.items()]  # fmt: skip
    return chart


def _layout(name, width, chars, rows, top, marks, value_label, name_label, unit, stacked) -> Layout:
    row_h, top_margin, bottom = 26, 22, 40
    left, right = 12 + FONT * chars, 8 + FONT * 5  # room for the name, and for the value after the bar
    height = top_margin + bottom + row_h * len(rows)
    out = Layout(name, width, height)
    plot_w = width - left - right
    base = top_margin + row_h * len(rows)
    for t in marks:
        x = left + plot_w * t / top
        out.lines.append((x, top_margin, x, base, "grid"))
        out.texts.append(Text(x, base + FONT + 4, fmt(t, unit if unit == "%" else ""), "middle", cls="tick"))
    out.lines.append((left, top_margin, left, base, "axis"))
    out.texts.append(Text(left + plot_w / 2, height - 6, value_label, "middle", cls="axis-label"))
    out.texts.append(Text(left - 6, top_margin - 8, name_label, "end", cls="axis-label"))
    for i, r in enumerate(rows):
        y = top_margin + row_h * i
        mid = y + row_h / 2 + FONT / 3
        label = Text(left - 6, mid, _short(r.label, chars), "end", tooltip=r.label if len(r.label) > chars else None, cls="name")
        row = Row(r.href, label)
        if r.empty:
            row.value = Text(left + 4, mid, r.empty, cls="empty-value")
            out.rows.append(row)
            continue
        level = 0.0
        for series, value in r.parts:
            if value <= 0:
                continue
            w = plot_w * value / top
            tip = f"{r.label} · {series}：{fmt(value, unit)}" if stacked else f"{r.label}：{r.text or fmt(value, unit)}"
            row.rects.append(Rect(left + plot_w * level / top, y + 4, w, row_h - 8, PALETTE.get(series, DEFAULT_FILL), tip))
            level += value
        row.value = Text(left + plot_w * level / top + 4, mid, r.text or fmt(level, unit), cls="value")
        out.rows.append(row)
    return out


# ------------------------------------------------------------------ small multiples (one agency's years)


@dataclass
class SmallChart:
    """One series of one agency over its years, as columns; a year without a
    value (no report, or not printed) is a labelled gap, never a zero bar."""

    id: str
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    hrefs: list[str | None] = field(default_factory=list)  # per rect: the report of that year
    baseline: float = 0.0


def small_multiple(chart_id: str, title: str, points: list[tuple[str, float | None, str | None]], unit: str = "") -> SmallChart:
    """``points``: (year label, value or None, link to that year's report), oldest first."""
    col, gap, top_margin, bottom = 34, 6, 18, 18
    width = max(120, len(points) * (col + gap) + gap)
    height = 110
    chart = SmallChart(chart_id, title, width, height, baseline=height - bottom)
    known = [v for _, v, _ in points if v is not None]
    peak = max([abs(v) for v in known] + [0])
    scale = (height - top_margin - bottom) / peak if peak else 0
    for i, (label, value, href) in enumerate(points):
        x = gap + i * (col + gap)
        chart.texts.append(Text(x + col / 2, height - 4, label, "middle", cls="tick"))
        if value is None:
            chart.texts.append(Text(x + col / 2, chart.baseline - 4, "—", "middle", tooltip=f"{label}：无数字", cls="empty-value"))
            continue
        h = max(abs(value) * scale, 1.0)  # a 0 still shows a hairline: printed as 0, not missing
        chart.rects.append(Rect(x, chart.baseline - h, col, h, DEFAULT_FILL, f"{label}：{fmt(value, unit)}"))
        chart.hrefs.append(href)
        chart.texts.append(Text(x + col / 2, chart.baseline - h - 3, fmt(value, unit), "middle", cls="value"))
    return chart
