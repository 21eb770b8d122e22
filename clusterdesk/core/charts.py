"""Small charts drawn by the app server-side as SVG (no chart library, nothing fetched, no JS).

``trend_chart`` draws one indicator over the years: the known values as a solid line with
square markers and their figures, the criteria threshold as a dashed horizontal line, a plan
target as a hollow diamond, a projection as a dotted line with hollow circles. Every element
differs by shape or dash, not only by colour, so a black-and-white print stays legible; the
axes carry the years and the unit. No data gives a chart that says 暂无数据, never an error.

The markup is built here (escaped) and returned as a safe string for templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif"
COMPARATORS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
INK, MUTED, LINE, THRESHOLD, TARGET = "#1f2933", "#66717d", "#1d4e89", "#b3261e", "#8a5a00"


@dataclass
class Chart:
    """What to draw. ``points``: (year, value) known values; ``percent``: values are fractions
    shown as %; ``threshold``: (label, value) or None; ``target``: (year, value, label) or None;
    ``projection``: (year, value) points continuing the last known value."""

    title: str
    unit: str
    points: list[tuple[int, Decimal]] = field(default_factory=list)
    percent: bool = False
    threshold: tuple[str, Decimal] | None = None
    target: tuple[int, Decimal, str] | None = None
    projection: list[tuple[int, Decimal]] = field(default_factory=list)
    sources: dict[int, str] = field(default_factory=dict)  # year -> 申报/年报/复核, shown under the year


def fmt(value, percent: bool = False) -> str:
    """A figure as shown on a chart: shares as 62.5%, amounts without trailing zeros (84.5, 90)."""
    if value is None:
        return "—"
    value = Decimal(value)
    if percent:
        value *= 100
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    if text == "-0":
        text = "0"
    return text + ("%" if percent else "")


def _nice_max(top: float) -> float:
    """A round number at or above ``top`` for the value axis (1, 2, 2.5, 5 × 10^n)."""
    if top <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(top))) - 1) if top >= 1 else 0.1
    while magnitude > top:
        magnitude /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= top:
            return step * magnitude
    return 10 * magnitude


def trend_chart(chart: Chart, width: int = 320, height: int = 180, compact: bool = False) -> SafeString:
    font = 10 if compact else 11
    left, right, top, bottom = (36 if compact else 48), (12 if compact else 18), (22 if compact else 30), (22 if compact else 40)
    inset = 14  # the first and last years sit inside the plot, clear of the value axis and the edge
    title = escape(chart.title)
    unit = escape(chart.unit)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" class="chart" data-chart="{escape(chart.title)}" font-family="{FONT}" '
           f'font-size="{font}">',
           f"<title>{title}（{unit}）</title>",
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
           f'<text x="4" y="{font + 3}" font-weight="700" fill="{INK}" font-size="{font + 1}">{title}'
           f'<tspan class="axis-unit" font-weight="400" fill="{MUTED}">（{unit}）</tspan></text>']
    values = [v for _, v in chart.points] + [v for _, v in chart.projection]
    if chart.threshold is not None:
        values.append(chart.threshold[1])
    if chart.target is not None:
        values.append(chart.target[1])
    years = sorted({y for y, _ in chart.points} | {y for y, _ in chart.projection}
                   | ({chart.target[0]} if chart.target else set()))
    if not chart.points:
        out.append(f'<text x="{width / 2:.0f}" y="{height / 2 + 4:.0f}" text-anchor="middle" fill="{MUTED}" '
                   f'class="chart-empty">暂无数据</text></svg>')
        return mark_safe("".join(out))
    scale = Decimal(100) if chart.percent else Decimal(1)
    low = min(0.0, min(float(v * scale) for v in values))
    high = _nice_max(max(float(v * scale) for v in values) * 1.08)
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = years[0], years[-1]
    span = max(1, last - first)

    def x_of(year: int) -> float:
        if first == last:
            return left + plot_w / 2
        return left + inset + (year - first) / span * (plot_w - 2 * inset)

    def y_of(value) -> float:
        v = float(Decimal(value) * scale)
        return top + plot_h - (v - low) / ((high - low) or 1) * plot_h

    # axes, value ticks (0, middle, top) with the unit, year labels with their source
    out.append(f'<g class="axes" stroke="{INK}" stroke-width="1"><line x1="{left}" y1="{top}" x2="{left}" '
               f'y2="{top + plot_h}"/><line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/></g>')
    suffix = "%" if chart.percent else ""
    for tick in (low, (low + high) / 2, high):
        y = top + plot_h - (tick - low) / ((high - low) or 1) * plot_h
        label = f"{tick:.1f}".rstrip("0").rstrip(".") + suffix
        out.append(f'<line x1="{left - 3}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="{INK}"/>'
                   f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e8ee" stroke-width="0.6"/>'
                   f'<text x="{left - 5}" y="{y + 3:.1f}" text-anchor="end" fill="{MUTED}" class="tick-y">{label}</text>')
    for year in years:
        x = x_of(year)
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + font + 4}" text-anchor="middle" fill="{INK}" '
                   f'class="tick-x">{year}</text>')
        source = chart.sources.get(year)
        if source and not compact:
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 2 * font + 6}" text-anchor="middle" fill="{MUTED}" '
                       f'font-size="{font - 2}">{escape(source)}</text>')
    if not compact:
        out.append(f'<text x="{left - 5}" y="{top + plot_h + font + 6}" text-anchor="end" fill="{MUTED}" '
                   f'class="axis-year">年份</text>')

    # threshold: dashed line with its label
    if chart.threshold is not None:
        label, value = chart.threshold
        y = y_of(value)
        out.append(f'<g class="threshold" data-value="{fmt(value, chart.percent)}"><line x1="{left}" y1="{y:.1f}" '
                   f'x2="{left + plot_w}" y2="{y:.1f}" stroke="{THRESHOLD}" stroke-width="1.4" stroke-dasharray="6 3"/>'
                   f'<text x="{left + plot_w}" y="{y - 3:.1f}" text-anchor="end" fill="{THRESHOLD}" '
                   f'font-size="{font - 1}">{escape(label)}{fmt(value, chart.percent)}</text></g>')

    # projection: dotted, hollow circles, from the last known point
    points = sorted(chart.points)
    if chart.projection:
        path = [points[-1]] + sorted(chart.projection)
        coords = " ".join(f"{x_of(y):.1f},{y_of(v):.1f}" for y, v in path)
        out.append(f'<g class="projection"><polyline points="{coords}" fill="none" stroke="{MUTED}" stroke-width="1.4" '
                   f'stroke-dasharray="2 2"/>')
        for y, v in sorted(chart.projection)[-1:] if compact else sorted(chart.projection):
            out.append(f'<circle cx="{x_of(y):.1f}" cy="{y_of(v):.1f}" r="3" fill="#fff" stroke="{MUTED}" stroke-width="1.2"/>'
                       f'<text x="{x_of(y):.1f}" y="{y_of(v) + font + 3:.1f}" text-anchor="middle" fill="{MUTED}" '
                       f'font-size="{font - 1}">预计{fmt(v, chart.percent)}</text>')
        out.append("</g>")

    # plan target: hollow diamond with its label
    if chart.target is not None:
        year, value, label = chart.target
        x, y = x_of(year), y_of(value)
        out.append(f'<g class="target" data-value="{fmt(value, chart.percent)}"><path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y:.1f} '
                   f'L{x:.1f} {y + 5:.1f} L{x - 5:.1f} {y:.1f} Z" fill="#fff" stroke="{TARGET}" stroke-width="1.6"/>'
                   f'<text x="{x - 7:.1f}" y="{y - 7:.1f}" text-anchor="end" fill="{TARGET}" font-size="{font - 1}">'
                   f'{escape(label)}{fmt(value, chart.percent)}</text></g>')

    # the known values: solid line, filled squares, figures above
    coords = " ".join(f"{x_of(y):.1f},{y_of(v):.1f}" for y, v in points)
    out.append(f'<g class="series"><polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for year, value in points:
        x, y = x_of(year), y_of(value)
        out.append(f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{LINE}" class="point" '
                   f'data-year="{year}" data-value="{fmt(value, chart.percent)}"/>'
                   f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle" fill="{INK}" font-weight="600">'
                   f'{fmt(value, chart.percent)}</text>')
    out.append("</g></svg>")
    return mark_safe("".join(out))
