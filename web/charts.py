"""Bar charts as server-side SVG: the geometry here, the markup in ``templates/_charts.html``.

No JavaScript and no chart library: a chart is a :class:`Chart` of rectangles
and labels in SVG user units, which the template writes out (Jinja escapes
every label, so agency names are safe in the SVG).  Each chart also carries
its numbers as a table, shown in a ``<details>`` for screen readers and for
copying.

    chart = vertical_bars("本年新收申请（按年度）", ["2022", "2023"],
                          [[Bar("新收申请", [("新收申请", 12)])], …], y_label="件")
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PALETTE = {
    "新收申请": "#3b6ea5",
    "予以公开": "#4c9a6a",
    "部分公开": "#9cc98a",
    "不予公开": "#d9822b",
    "无法提供": "#c9b458",
    "不予处理": "#b55d5d",
    "其他处理": "#9a8fb5",
    "不一致": "#b55d5d",
}
DEFAULT_FILL = "#3b6ea5"
FONT = 12  # px, in SVG units; the SVG scales with the page width


@dataclass
class Bar:
    """One bar: a stack of (series, value) segments."""

    name: str
    parts: list[tuple[str, float]]
    label: str | None = None  # printed at the bar's end; default: the total


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    tooltip: str
    label: str | None = None  # printed inside when it fits
    label_x: float = 0
    label_y: float = 0


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    tooltip: str | None = None
    rotate: float = 0  # degrees, about (x, y)


@dataclass
class Chart:
    id: str
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)  # value labels, category labels, axis labels
    lines: list[tuple[float, float, float, float, str]] = field(default_factory=list)  # x1 y1 x2 y2 class
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


def vertical_bars(
    chart_id: str,
    title: str,
    categories: list[str],
    bars: list[list[Bar]],
    *,
    x_label: str,
    y_label: str,
    unit: str = "",
    top: float | None = None,
    width: int = 640,
    height: int = 300,
) -> Chart:
    """Bars standing on the x axis; several (stacked) bars per category side by side."""
    left, right, top_margin, bottom = 56, 16, 24, 52
    chart = Chart(chart_id, title, width, height)
    series = list(dict.fromkeys(name for group in bars for bar in group for name, _ in bar.parts))
    chart.legend = [(PALETTE.get(s, DEFAULT_FILL), s) for s in series] if len(series) > 1 else []
    chart.table_head = ["类别", *[bar.name for bar in (bars[0] if bars else [])]]
    if not categories:
        chart.empty = True
        return chart
    peak = max((sum(v for _, v in bar.parts) for group in bars for bar in group), default=0)
    if top:
        marks = [top * i / 4 for i in range(5)]
    else:
        top, marks = axis(peak)
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    base = top_margin + plot_h

    def y(v: float) -> float:
        return base - plot_h * v / top

    for t in marks:
        chart.lines.append((left, y(t), width - right, y(t), "grid"))
        chart.texts.append(Text(left - 6, y(t) + FONT / 3, fmt(t, unit if unit == "%" else ""), "end"))
    chart.lines.append((left, base, width - right, base, "axis"))
    band = plot_w / len(categories)
    for i, (category, group) in enumerate(zip(categories, bars, strict=True)):
        bar_w = min(44.0, band * 0.7 / max(1, len(group)))
        x0 = left + band * i + (band - bar_w * len(group)) / 2
        for j, bar in enumerate(group):
            x = x0 + j * bar_w
            level = 0.0
            for name, value in bar.parts:
                if value <= 0:
                    continue
                h = plot_h * value / top
                inside = fmt(value, unit) if h >= FONT + 4 and bar_w >= 28 and len(bar.parts) > 1 else None
                chart.rects.append(
                    Rect(
                        x + 1,
                        y(level + value),
                        bar_w - 2,
                        h,
                        PALETTE.get(name, DEFAULT_FILL),
                        f"{category} · {name}：{fmt(value, unit)}",
                        inside,
                        x + bar_w / 2,
                        y(level + value) + h / 2 + FONT / 3,
                    )
                )
                level += value
            chart.texts.append(Text(x + bar_w / 2, y(level) - 5, bar.label or fmt(level, unit), tooltip=f"{category} · {bar.name}"))
        chart.texts.append(Text(left + band * (i + 0.5), base + FONT + 6, category))
        chart.table_rows.append([category, *[bar.label or fmt(sum(v for _, v in bar.parts), unit) for bar in group]])
    chart.texts.append(Text(left + plot_w / 2, height - 8, x_label))
    chart.texts.append(Text(14, top_margin + plot_h / 2, y_label, rotate=-90))
    return chart


def horizontal_bars(
    chart_id: str,
    title: str,
    items: list[tuple[str, float]],
    *,
    x_label: str,
    name_label: str,
    unit: str = "",
    width: int = 640,
    row: int = 24,
    label_chars: int = 15,
) -> Chart:
    """One bar per item, longest first as given; long names are cut (full name in the tooltip)."""
    left, right, top_margin, bottom = 16 + FONT * label_chars, 48, 26, 40
    height = top_margin + bottom + row * max(1, len(items))
    chart = Chart(chart_id, title, width, height)
    chart.table_head = [name_label, x_label]
    if not items:
        chart.empty = True
        return chart
    top, marks = axis(max(v for _, v in items))
    plot_w = width - left - right
    base = top_margin + row * len(items)
    for t in marks:
        x = left + plot_w * t / top
        chart.lines.append((x, top_margin, x, base, "grid"))
        chart.texts.append(Text(x, base + FONT + 4, fmt(t)))
    chart.lines.append((left, top_margin, left, base, "axis"))
    for i, (name, value) in enumerate(items):
        y = top_margin + row * i
        w = plot_w * value / top
        chart.rects.append(Rect(left, y + 4, max(w, 0), row - 8, DEFAULT_FILL, f"{name}：{fmt(value, unit)}"))
        short = name if len(name) <= label_chars else name[: label_chars - 1] + "…"
        chart.texts.append(Text(left - 6, y + row / 2 + FONT / 3, short, "end", tooltip=name))
        chart.texts.append(Text(left + w + 4, y + row / 2 + FONT / 3, fmt(value, unit), "start"))
        chart.table_rows.append([name, fmt(value, unit)])
    chart.texts.append(Text(left + plot_w / 2, height - 6, x_label))
    chart.texts.append(Text(left - 6, top_margin - 10, name_label, "end"))
    return chart
