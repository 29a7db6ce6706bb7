"""Small inline-SVG charts for the HTML report: no script, no external resource, escaped text.

Each function returns an ``<svg>`` element as a string with a ``<title>`` (read by screen
readers and shown as a tooltip) and ``role="img"``. Values are drawn to scale; labels are
escaped, so nothing from the audit log can inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

STATUS_COLOURS = {
    "met": "#1a7f37",
    "partial": "#b7791f",
    "not_met": "#c62828",
    "not_applicable": "#6b7280",
}
BAR = "#2f5d8a"
BAR_ALT = "#c62828"
TEXT = "#1f2933"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def donut(segments: Sequence[tuple[str, int, str]], *, title: str, size: int = 180) -> str:
    """A ring of ``(label, value, colour)`` segments with the total in the middle."""
    total = sum(v for _, v, _ in segments)
    r = size * 0.35
    c = size / 2
    circumference = 2 * math.pi * r
    parts = [
        f'<svg class="chart" role="img" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}"><title>{escape(title)}</title>',
        f'<circle cx="{_num(c)}" cy="{_num(c)}" r="{_num(r)}" fill="none" stroke="#e5e7eb" '
        f'stroke-width="{_num(size * 0.14)}"/>',
    ]
    offset = 0.0
    for label, value, colour in segments:
        if value <= 0 or total <= 0:
            continue
        length = circumference * value / total
        parts.append(
            f'<circle cx="{_num(c)}" cy="{_num(c)}" r="{_num(r)}" fill="none" '
            f'stroke="{escape(colour)}" stroke-width="{_num(size * 0.14)}" '
            f'stroke-dasharray="{_num(length)} {_num(circumference - length)}" '
            f'stroke-dashoffset="{_num(-offset)}" transform="rotate(-90 {_num(c)} {_num(c)})">'
            f"<title>{escape(label)}: {value}</title></circle>"
        )
        offset += length
    parts.append(
        f'<text x="{_num(c)}" y="{_num(c + 8)}" text-anchor="middle" font-size="{size // 7}" '
        f'fill="{TEXT}" font-weight="bold">{total}</text></svg>'
    )
    return "".join(parts)


def hbars(
    items: Sequence[tuple[str, int]], *, title: str, width: int = 560, colour: str = BAR
) -> str:
    """Horizontal bars, one row per ``(label, value)``, scaled to the largest value."""
    row, label_w = 22, 170
    height = max(row * len(items) + 8, 30)
    top = max((v for _, v in items), default=0)
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    if not items:
        parts.append(f'<text x="4" y="20" fill="{TEXT}" font-size="12">none recorded</text>')
    span = width - label_w - 60
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = 0.0 if top <= 0 else span * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(label[:28])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{_num(max(w, 1.0))}" height="{row - 8}" '
            f'fill="{escape(colour)}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{_num(label_w + max(w, 1.0) + 4)}" y="{y + 14}" font-size="12" '
            f'fill="{TEXT}">{value:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def columns(
    series: Sequence[tuple[str, int, int]],
    *,
    title: str,
    width: int = 640,
    height: int = 200,
    labels: tuple[str, str] = ("decisions", "blocked"),
) -> str:
    """Vertical bars over time: ``(label, total, highlighted part)`` per column."""
    pad_l, pad_b, pad_t = 46, 34, 10
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    top = max((t for _, t, _ in series), default=0)
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 8}" y2="{pad_t + plot_h}" '
        f'stroke="{TEXT}" stroke-width="1"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 10}" text-anchor="end" font-size="11" '
        f'fill="{TEXT}">{top:,}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end" font-size="11" '
        f'fill="{TEXT}">0</text>',
    ]
    if not series:
        parts.append(
            f'<text x="{pad_l + 8}" y="{pad_t + 20}" font-size="12" fill="{TEXT}">'
            "no decisions in the window</text>"
        )
    n = max(len(series), 1)
    step = plot_w / n
    bar_w = max(step * 0.8, 1.0)
    label_every = max(1, math.ceil(n / 8))
    for i, (label, total, part) in enumerate(series):
        x = pad_l + i * step + (step - bar_w) / 2
        h = 0.0 if top <= 0 else plot_h * total / top
        hp = 0.0 if top <= 0 else plot_h * part / top
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(pad_t + plot_h - h)}" width="{_num(bar_w)}" '
            f'height="{_num(h)}" fill="{BAR}"><title>{escape(label)}: {total:,} '
            f"{labels[0]}, {part:,} {labels[1]}</title></rect>"
        )
        if hp > 0:
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(pad_t + plot_h - hp)}" width="{_num(bar_w)}" '
                f'height="{_num(max(hp, 1.0))}" fill="{BAR_ALT}"/>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{_num(x + bar_w / 2)}" y="{pad_t + plot_h + 14}" '
                f'text-anchor="middle" font-size="10" fill="{TEXT}">{escape(label)}</text>'
            )
    parts.append(
        f'<rect x="{pad_l}" y="{height - 12}" width="10" height="10" fill="{BAR}"/>'
        f'<text x="{pad_l + 14}" y="{height - 3}" font-size="11" fill="{TEXT}">{labels[0]}</text>'
        f'<rect x="{pad_l + 100}" y="{height - 12}" width="10" height="10" fill="{BAR_ALT}"/>'
        f'<text x="{pad_l + 114}" y="{height - 3}" font-size="11" fill="{TEXT}">{labels[1]}</text>'
        "</svg>"
    )
    return "".join(parts)


def timeline(per_day: dict[str, int], blocked: dict[str, int]) -> list[tuple[str, int, int]]:
    """Per-day counts as chart columns; by month when the window spans more than 92 days."""
    if len(per_day) <= 92:
        return [(day[5:], n, blocked.get(day, 0)) for day, n in sorted(per_day.items())]
    months: dict[str, list[int]] = {}
    for day, n in per_day.items():
        totals = months.setdefault(day[:7], [0, 0])
        totals[0] += n
        totals[1] += blocked.get(day, 0)
    return [(m, t, b) for m, (t, b) in sorted(months.items())]
