"""Detections: every finding, filterable by category, route, identity, verdict and severity,
paged on the server; one finding with its evidence span, the decoding chain that revealed it,
its taxonomy ids, the deciding policy and the call's other findings."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import Field

from wardgate.console import queries
from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.views.common import CURSOR_PAGE, Query, query, schema
from wardgate.console.web import ApiDoc, HTTPError, Request, Response, Router, json_response
from wardgate.core.finding import Category


class DetectionQuery(Query):
    category: Category | None = None
    route: str | None = Field(None, max_length=64)
    identity: str | None = Field(None, max_length=256)
    action: Literal["allow", "redact", "block", "deny", "throttle"] | None = None
    min_severity: Literal["info", "low", "medium", "high", "critical"] | None = None
    before: int | None = Field(None, ge=1, le=2**62)
    after: int | None = Field(None, ge=0, le=2**62)
    limit: int = Field(50, ge=1, le=200)


class DetectionViews:
    def __init__(self, console: Console) -> None:
        self.c = console

    def register(self, r: Router) -> None:
        r.add("GET", "/detections", self.page, Role.VIEWER)
        r.add("GET", "/detections/{finding}", self.detail_page, Role.VIEWER)
        r.add(
            "GET",
            "/api/detections",
            self.api,
            Role.VIEWER,
            ApiDoc(
                "Findings, newest first; page with before/after (finding ids)",
                query=DetectionQuery,
                response=CURSOR_PAGE,
                tag="detections",
            ),
        )
        r.add(
            "GET",
            "/api/detections/{finding}",
            self.api_detail,
            Role.VIEWER,
            ApiDoc(
                "One finding with its call and the call's other findings",
                response=schema(
                    {
                        "category": {"type": "string"},
                        "span": {"type": ["array", "null"]},
                        "chain": {"type": "array"},
                        "tags": {"type": "array"},
                        "evidence": {"type": "string"},
                        "call": {"type": ["object", "null"]},
                    }
                ),
                tag="detections",
            ),
        )

    async def _list(self, q: DetectionQuery) -> queries.Page:
        filters = q.model_dump(mode="json", exclude={"before", "after", "limit"})
        return await asyncio.to_thread(
            queries.detections,
            self.c.index_db,
            filters,
            before=q.before,
            after=q.after,
            limit=q.limit,
        )

    async def page(self, req: Request) -> Response:
        q = query(req, DetectionQuery)
        page = await self._list(q)
        menus = await asyncio.to_thread(queries.choices, self.c.index_db, self.c.clock())
        return self.c.templates.render(
            req,
            "detections.html",
            page=page,
            menus=menus,
            categories=[c.value for c in Category],
            actions=queries.ACTIONS,
            severities=queries.SEVERITIES,
            filters=q.model_dump(mode="json", exclude={"before", "after", "limit"}),
        )

    async def api(self, req: Request) -> Response:
        return json_response((await self._list(query(req, DetectionQuery))).to_dict())

    async def _detail(self, req: Request) -> dict[str, Any]:
        raw = req.params["finding"]
        if not raw.isdigit() or len(raw) > 18:
            raise HTTPError(404, "no such detection")
        found = await asyncio.to_thread(queries.detection, self.c.index_db, int(raw))
        if found is None:
            raise HTTPError(404, "no such detection")
        return found

    async def detail_page(self, req: Request) -> Response:
        found = await self._detail(req)
        return self.c.templates.render(req, "detection.html", f=found, call=found["call"])

    async def api_detail(self, req: Request) -> Response:
        return json_response(await self._detail(req))


def register(r: Router, console: Console) -> None:
    DetectionViews(console).register(r)


__all__ = ["register"]
