"""Rendering pages: Jinja2 with autoescaping everywhere, strict undefined names, and the filters
the pages share (times, numbers, percentages).

Every page gets the signed-in user, the CSRF token for its forms, the navigation (entries the
user's role cannot use are left out) and the poll interval for live updates.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Final

import jinja2
from markupsafe import Markup

from wardgate.console import charts
from wardgate.console.accounts import Role
from wardgate.console.web import Request, Response, html, url

TEMPLATE_DIR: Final = Path(__file__).parent / "templates"

NAV: Final = (
    ("overview", "/overview", "Overview", Role.VIEWER),
    ("detections", "/detections", "Detections", Role.VIEWER),
    ("traffic", "/traffic", "Traffic", Role.VIEWER),
    ("incidents", "/incidents", "Incidents", Role.VIEWER),
    ("inventory", "/inventory", "API inventory", Role.VIEWER),
    ("ai", "/ai", "AI inventory", Role.VIEWER),
    ("keys", "/keys", "Identities & keys", Role.VIEWER),
    ("policies", "/policies", "Policies", Role.VIEWER),
    ("audit", "/audit", "Audit", Role.VIEWER),
    ("compliance", "/compliance", "Compliance", Role.VIEWER),
    ("playground", "/playground", "Playground", Role.ANALYST),
    ("users", "/users", "Users", Role.ADMIN),
)


def _when(value: float | None) -> str:
    if value is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(value)))


def _ago(value: float | None) -> str:
    if value is None:
        return "never"
    delta = time.time() - float(value)
    if delta < 0:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if delta >= size:
            return f"{int(delta // size)}{unit} ago"
    return f"{int(delta)}s ago"


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _pairs(items: list[dict[str, Any]], field: str) -> list[tuple[str, float]]:
    """Top-list rows as (label, value) pairs for :func:`charts.bars`."""
    return [(str(i["value"]), float(i[field] or 0)) for i in items]


def _links(items: list[dict[str, Any]], base: str, param: str) -> list[str]:
    return [url(base, **{param: i["value"]}) for i in items]


def _param_links(values: list[str], base: str, param: str) -> list[str]:
    return [url(base, **{param: v}) for v in values]


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


class Templates:
    """The console's template environment."""

    def __init__(self, *, poll_interval_s: float, version: str) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            when=_when,
            ago=_ago,
            num=_num,
            pct=_pct,
            pretty=_pretty,
            map_pairs=_pairs,
            map_links=_links,
            param_links=_param_links,
        )
        self.env.globals.update(
            url=url,
            bars=charts.bars,
            meter=charts.meter,
            time_series=charts.time_series,
            span_ruler=charts.span_ruler,
            version=version,
            poll_ms=int(poll_interval_s * 1000),
        )

    def render_text(self, template: str, /, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def render(self, req: Request, template: str, code: int = 200, /, **context: Any) -> Response:
        role = req.role
        nav = [
            (key, href, label)
            for key, href, label, needed in NAV
            if role is not None and role.allows(needed)
        ]
        body = self.render_text(
            template,
            user=req.user,
            role=role.value if role else "",
            can_analyse=role is not None and role.allows(Role.ANALYST),
            can_admin=role is not None and role.allows(Role.ADMIN),
            csrf=req.csrf,
            nav=nav,
            path=req.path,
            **context,
        )
        return html(body, code)


def highlight(text: str, spans: list[tuple[int, int, str]]) -> Markup:
    """``text`` escaped, with each (start, end, label) span wrapped in ``<mark>``; overlapping
    spans are merged into one mark that names every label."""
    cuts = sorted(
        (max(0, s), min(len(text), e), label) for s, e, label in spans if e > s and s < len(text)
    )
    merged: list[list[Any]] = []
    for start, end, label in cuts:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(label)
        else:
            merged.append([start, end, [label]])
    out: list[str] = []
    position = 0
    for start, end, labels in merged:
        out.append(str(Markup.escape(text[position:start])))
        title = Markup.escape(", ".join(dict.fromkeys(labels)))
        out.append(f'<mark title="{title}">{Markup.escape(text[start:end])}</mark>')
        position = end
    out.append(str(Markup.escape(text[position:])))
    return Markup("".join(out))  # noqa: S704 - every piece of text in it is escaped


__all__ = ["NAV", "Templates", "highlight"]
