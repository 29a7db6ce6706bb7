"""The overview (traffic, detections and blocks over time, top lists, live) and the traffic
pages (every call, filterable, and one call with its findings)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import Field

from wardgate.console import queries
from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.views.common import CURSOR_PAGE, Query, query, schema
from wardgate.console.web import ApiDoc, HTTPError, Request, Response, Router, json_response

Action = Literal["allow", "redact", "block", "deny", "throttle"]


class OverviewQuery(Query):
    window: Literal["1h", "24h", "7d"] = "24h"


class TrafficQuery(Query):
    route: str | None = Field(None, max_length=64)
    identity: str | None = Field(None, max_length=256)
    action: Action | None = None
    model: str | None = Field(None, max_length=128)
    before: int | None = Field(None, ge=1, le=2**62)
    after: int | None = Field(None, ge=0, le=2**62)
    limit: int = Field(50, ge=1, le=200)


_OVERVIEW = schema(
    {
        "window": {"type": "string"},
        "totals": {"type": "object"},
        "times": {"type": "array", "items": {"type": "integer"}},
        "series": {"type": "object"},
        "top": {"type": "object"},
        "counts": {"type": "object"},
    }
)


class OverviewViews:
    def __init__(self, console: Console) -> None:
        self.c = console

    def register(self, r: Router) -> None:
        r.add("GET", "/overview", self.page, Role.VIEWER)
        r.add("GET", "/traffic", self.traffic_page, Role.VIEWER)
        r.add("GET", "/traffic/{exchange}", self.call_page, Role.VIEWER)
        r.add(
            "GET",
            "/api/overview",
            self.api,
            Role.VIEWER,
            ApiDoc(
                "Totals, time series and top lists for a window (what the overview polls)",
                query=OverviewQuery,
                response=_OVERVIEW,
                tag="traffic",
            ),
        )
        r.add(
            "GET",
            "/api/exchanges",
            self.api_traffic,
            Role.VIEWER,
            ApiDoc(
                "Calls, newest first; page with before/after (row ids)",
                query=TrafficQuery,
                response=CURSOR_PAGE,
                tag="traffic",
            ),
        )
        r.add(
            "GET",
            "/api/exchanges/{exchange}",
            self.api_call,
            Role.VIEWER,
            ApiDoc("One call and its findings", response=schema({}), tag="traffic"),
        )

    async def data(self, window: str) -> dict[str, Any]:
        c = self.c
        data = await asyncio.to_thread(queries.overview, c.index_db, c.clock(), window)
        data["counts"] = await asyncio.to_thread(self._counts)
        return data

    def _counts(self) -> dict[str, int | None]:
        c = self.c
        counts: dict[str, int | None] = {
            "open_incidents": c.incidents.count(status="open"),
            "acknowledged_incidents": c.incidents.count(status="acknowledged"),
            "endpoints": c.catalogue.stats()["endpoints"],
            "models": None,
            "audit_records": None,
        }
        audit = c.audit_log
        if audit is not None:
            counts["audit_records"] = audit.size
        if c.has_table("ai_models"):  # the AI inventory may not be built yet
            counts["models"] = int(c.read_store("SELECT COUNT(*) FROM ai_models")[0][0])
        return counts

    async def page(self, req: Request) -> Response:
        q = query(req, OverviewQuery)
        data = await self.data(q.window)
        return self.c.templates.render(req, "overview.html", data=data, window=q.window)

    async def api(self, req: Request) -> Response:
        q = query(req, OverviewQuery)
        return json_response(await self.data(q.window))

    async def _traffic(self, q: TrafficQuery) -> queries.Page:
        filters = q.model_dump(exclude={"before", "after", "limit"})
        return await asyncio.to_thread(
            queries.exchanges,
            self.c.index_db,
            filters,
            before=q.before,
            after=q.after,
            limit=q.limit,
        )

    async def traffic_page(self, req: Request) -> Response:
        q = query(req, TrafficQuery)
        page = await self._traffic(q)
        menus = await asyncio.to_thread(queries.choices, self.c.index_db, self.c.clock())
        return self.c.templates.render(
            req,
            "traffic.html",
            page=page,
            menus=menus,
            actions=queries.ACTIONS,
            filters=q.model_dump(exclude={"before", "after", "limit"}),
        )

    async def api_traffic(self, req: Request) -> Response:
        return json_response((await self._traffic(query(req, TrafficQuery))).to_dict())

    async def _call(self, req: Request) -> dict[str, Any]:
        exchange_id = req.params["exchange"]
        found = await asyncio.to_thread(queries.exchange, self.c.index_db, exchange_id)
        if found is None:
            raise HTTPError(404, "no call with that exchange id in the index")
        return found

    async def call_page(self, req: Request) -> Response:
        return self.c.templates.render(req, "call.html", call=await self._call(req))

    async def api_call(self, req: Request) -> Response:
        return json_response(await self._call(req))


def register(r: Router, console: Console) -> None:
    OverviewViews(console).register(r)


__all__ = ["register"]
