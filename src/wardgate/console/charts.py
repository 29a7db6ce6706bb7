"""Server-drawn SVG charts: the pictures work with JavaScript off, and under the console's CSP
(no inline styles: sizes and colours are SVG attributes and CSS classes, never ``style=``).

Live pages redraw the time series in the browser (uPlot, from npm); everything else stays as
drawn here. Every label is escaped; numbers are formatted here, never interpolated raw.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from markupsafe import Markup, escape


def _num(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:g}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = float(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def time_series(
    times: Sequence[int],
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    width: int = 720,
    height: int = 220,
    label: str = "",
) -> Markup:
    """A line chart: ``series`` are (name, css class, values) over ``times`` (unix seconds)."""
    left, right, top, bottom = 44, 10, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((max(v, default=0) for _, _, v in series), default=0))
    n = max(len(times), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v / peak)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="none">'
    ]
    for k in range(5):
        value = peak * k / 4
        yy = y(value)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">'
            f"{_num(value)}</text>"
        )
    if times:
        for i in sorted({0, n // 2, n - 1}):
            stamp = time.strftime(
                "%H:%M" if times[-1] - times[0] <= 86400 else "%d %b", time.gmtime(times[i])
            )
            parts.append(
                f'<text class="axis" x="{x(i):.1f}" y="{height - 8}" text-anchor="middle">'
                f"{stamp}</text>"
            )
    for name, css, values in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        if not points:
            continue
        area = f"{x(0):.1f},{y(0):.1f} {points} {x(len(values) - 1):.1f},{y(0):.1f}"
        parts.append(f'<polygon class="area {escape(css)}" points="{area}"/>')
        parts.append(
            f'<polyline class="line {escape(css)}" points="{points}"><title>{escape(name)}</title>'
            "</polyline>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in it is escaped or a number


def bars(
    items: Sequence[tuple[str, float]],
    *,
    css: str = "bar",
    width: int = 360,
    row: int = 26,
    links: Sequence[str] | None = None,
    label: str = "",
) -> Markup:
    """Horizontal bars with labels and values; ``links`` make each label a link."""
    if not items:
        return Markup('<p class="muted">Nothing yet.</p>')
    peak = max(v for _, v in items) or 1
    label_w = 150
    bar_w = width - label_w - 56
    height = row * len(items) + 4
    parts = [
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
    ]
    for i, (name, value) in enumerate(items):
        yy = i * row + 2
        length = max(2.0, bar_w * value / peak)
        text = escape(name if len(name) <= 22 else name[:21] + "…")
        title = f"<title>{escape(name)}: {_num(value)}</title>"
        name_svg = f'<text class="label" x="0" y="{yy + row * 0.62:.1f}">{text}{title}</text>'
        if links is not None:
            name_svg = f'<a href="{escape(links[i])}">{name_svg}</a>'
        parts.append(
            name_svg
            + f'<rect class="{escape(css)}" x="{label_w}" y="{yy + 4}" width="{length:.1f}" '
            f'height="{row - 10}" rx="3">{title}</rect>'
            f'<text class="value" x="{label_w + length + 6:.1f}" y="{yy + row * 0.62:.1f}">'
            f"{_num(value)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in it is escaped or a number


def meter(value: float, *, maximum: float = 100, css: str = "meter", width: int = 120) -> Markup:
    """A small horizontal gauge (risk scores)."""
    share = 0.0 if maximum <= 0 else max(0.0, min(1.0, value / maximum))
    return Markup(  # noqa: S704 - numbers and an escaped class only
        f'<svg class="meter" viewBox="0 0 {width} 10" role="img" aria-label="{_num(value)} of '
        f'{_num(maximum)}"><rect class="track" x="0" y="0" width="{width}" height="10" rx="5"/>'
        f'<rect class="{escape(css)}" x="0" y="0" width="{max(2.0, width * share):.1f}" '
        'height="10" rx="5"/></svg>'
    )


def span_ruler(start: int, end: int, length: int, *, width: int = 600) -> Markup:
    """Where a finding's span lies in its text: a bar of the text with the span marked."""
    total = max(length, end, 1)
    x0 = width * start / total
    w = max(3.0, width * (end - start) / total)
    return Markup(  # noqa: S704 - numbers only
        f'<svg class="ruler" viewBox="0 0 {width} 24" role="img" aria-label="characters {start} '
        f'to {end} of {total}"><rect class="track" x="0" y="8" width="{width}" height="8" rx="4"/>'
        f'<rect class="hit" x="{x0:.1f}" y="2" width="{w:.1f}" height="20" rx="3"/></svg>'
    )


__all__ = ["bars", "meter", "span_ruler", "time_series"]
