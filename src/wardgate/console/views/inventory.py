"""The API inventory: hosts and endpoints with methods, auth, sensitive fields, flags and risk;
one endpoint with its inferred schema and traffic; the OpenAPI download; and the corrections an
admin makes (merge and split templates, declare the API's spec).

Merges and splits edit the live templater (the gateway's discovery, when it runs) and are saved
with it, as ``wardgate discover --merge/--split`` does, so later traffic is templated the
corrected way; each is a ``discovery`` audit record. Templates merged away are hidden from the
list (their old rows stay in the store, which keeps history).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from pydantic import Field, field_validator

from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.endpoints import FLAGS, LEVELS, SORTS
from wardgate.console.views.common import Body, Query, actor, body, query, schema
from wardgate.console.web import (
    ApiDoc,
    HTTPError,
    Request,
    Response,
    Router,
    download,
    json_response,
    redirect,
    url,
)
from wardgate.discovery import openapi
from wardgate.discovery import risk as riskmod
from wardgate.discovery.inventory import Inventory
from wardgate.discovery.templating import PathTemplater

PAGE = 50
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class EndpointQuery(Query):
    host: str | None = Field(None, max_length=256)
    method: Method | None = None
    flag: Literal["shadow", "zombie", "drift", "orphan"] | None = None
    level: Literal["low", "medium", "high", "critical"] | None = None
    ai: bool = False
    q: str | None = Field(None, max_length=200)
    sort: Literal["risk", "calls", "recent", "template"] = "risk"
    page: int = Field(1, ge=1, le=100_000)


class EndpointKey(Query):
    host: str = Field(min_length=1, max_length=256)
    method: str = Field(min_length=1, max_length=16)
    template: str = Field(min_length=1, max_length=2000)


class HostQuery(Query):
    host: str = Field(min_length=1, max_length=256)


def _templates(value: Any) -> Any:
    if isinstance(value, str):
        return [t.strip() for t in value.splitlines() if t.strip()]
    return value


class Merge(Body):
    host: str = Field(min_length=1, max_length=256)
    templates: list[str] = Field(min_length=1, max_length=50)
    into: str = Field(min_length=1, max_length=2000, pattern=r"^/")

    _split_lines = field_validator("templates", mode="before")(_templates)


class Split(Body):
    host: str = Field(min_length=1, max_length=256)
    template: str = Field(min_length=1, max_length=2000, pattern=r"^/")
    values: list[str] = Field(min_length=1, max_length=50)

    _split_lines = field_validator("values", mode="before")(_templates)


class SpecUpload(Body):
    name: str = Field("declared.yaml", min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=2 * 1024 * 1024)


_ENDPOINT = schema(
    {
        "host": {"type": "string"},
        "method": {"type": "string"},
        "template": {"type": "string"},
        "calls": {"type": "integer"},
        "auth": {"type": "array"},
        "sensitive": {"type": "array"},
        "flags": {"type": "array"},
        "risk_score": {"type": "integer"},
        "risk_level": {"type": "string"},
    }
)


class InventoryViews:
    def __init__(self, console: Console) -> None:
        self.c = console

    def register(self, r: Router) -> None:
        r.add("GET", "/inventory", self.page, Role.VIEWER)
        r.add("GET", "/inventory/endpoint", self.endpoint_page, Role.VIEWER)
        r.add("GET", "/inventory/openapi", self.openapi_download, Role.VIEWER)
        r.add("POST", "/inventory/merge", self.merge_form, Role.ADMIN)
        r.add("POST", "/inventory/split", self.split_form, Role.ADMIN)
        r.add("POST", "/inventory/spec", self.spec_form, Role.ADMIN)
        r.add("POST", "/inventory/spec/clear", self.spec_clear_form, Role.ADMIN)
        tag = "inventory"
        r.add(
            "GET",
            "/api/inventory/endpoints",
            self.api_list,
            Role.VIEWER,
            ApiDoc(
                "Endpoints with auth, sensitive data, flags and risk; filtered, paged",
                query=EndpointQuery,
                response=schema(
                    {"items": {"type": "array", "items": _ENDPOINT}, "total": {"type": "integer"}}
                ),
                tag=tag,
            ),
        )
        r.add(
            "GET",
            "/api/inventory/endpoint",
            self.api_endpoint,
            Role.VIEWER,
            ApiDoc(
                "One endpoint: everything discovery learned, its risk and flags",
                query=EndpointKey,
                response=schema({"record": {"type": "object"}, "risk": {"type": "object"}}),
                tag=tag,
            ),
        )
        r.add(
            "GET",
            "/api/inventory/openapi",
            self.openapi_download,
            Role.VIEWER,
            ApiDoc(
                "OpenAPI 3.1 description of one host's discovered endpoints",
                query=HostQuery,
                response={"type": "object"},
                tag=tag,
            ),
        )
        r.add(
            "POST",
            "/api/inventory/merge",
            self.api_merge,
            Role.ADMIN,
            ApiDoc(
                "These templates are one endpoint, INTO", body=Merge, response=schema({}), tag=tag
            ),
        )
        r.add(
            "POST",
            "/api/inventory/split",
            self.api_split,
            Role.ADMIN,
            ApiDoc(
                "These values of the template's last parameter are endpoints of their own",
                body=Split,
                response=schema({}),
                tag=tag,
            ),
        )
        r.add(
            "PUT",
            "/api/inventory/spec",
            self.api_spec,
            Role.ADMIN,
            ApiDoc(
                "Declare the API (OpenAPI 2.0/3.x text): shadow, orphan, zombie and drift flags",
                body=SpecUpload,
                response=schema({"operations": {"type": "integer"}}),
                tag=tag,
            ),
        )

    # -- lists -----------------------------------------------------------------------------------

    def _list(self, q: EndpointQuery) -> dict[str, Any]:
        items, total = self.c.catalogue.list(
            host=q.host,
            method=q.method,
            flag=q.flag,
            level=q.level,
            ai=q.ai,
            q=q.q,
            sort=q.sort,
            offset=(q.page - 1) * PAGE,
            limit=PAGE,
        )
        return {
            "items": [i.to_dict() for i in items],
            "total": total,
            "page": q.page,
            "pages": max(1, (total + PAGE - 1) // PAGE),
        }

    async def page(
        self, req: Request, *, status: int = 200, message: str = "", error: str = ""
    ) -> Response:
        q = query(req, EndpointQuery)
        data = await asyncio.to_thread(self._list, q)
        stats = await asyncio.to_thread(self.c.catalogue.stats)
        filters = q.model_dump(mode="json", exclude={"page"})
        if not filters["ai"]:
            filters["ai"] = None
        return self.c.templates.render(
            req,
            "inventory.html",
            status,
            data=data,
            stats=stats,
            filters=filters,
            flags=FLAGS,
            levels=LEVELS,
            sorts=list(SORTS),
            spec=self.c.catalogue.spec(),
            discovery_on=self.c.discovery is not None,
            page_url=lambda n: url("/inventory", **filters, page=n),
            message=message,
            error=error,
        )

    async def api_list(self, req: Request) -> Response:
        return json_response(await asyncio.to_thread(self._list, query(req, EndpointQuery)))

    # -- one endpoint ----------------------------------------------------------------------------

    def _endpoint(self, key: EndpointKey) -> dict[str, Any]:
        record = self.c.catalogue.record(key.host, key.method, key.template)
        summary = self.c.catalogue.summary(key.host, key.method, key.template)
        if record is None and summary is None:
            raise HTTPError(404, "no such endpoint in the inventory")
        out: dict[str, Any] = {"summary": None if summary is None else summary.to_dict()}
        if record is None:  # an orphan: declared, never called
            out.update(record=None, risk=None, drift=[], zombie=[])
            return out
        report = self.c.catalogue.report_for(self.c.catalogue.host_records(key.host))
        shadow = bool(report and report.is_shadow(record.key))
        zombies = report.zombies_for(record.key) if report else []
        out["record"] = record.to_dict()
        out["risk"] = riskmod.assess(record, shadow=shadow, zombie=bool(zombies)).to_dict()
        out["drift"] = [d.to_dict() for d in report.drift_for(record.key)] if report else []
        out["zombie"] = [z.to_dict() for z in zombies]
        return out

    async def endpoint_page(self, req: Request) -> Response:
        key = query(req, EndpointKey)
        data = await asyncio.to_thread(self._endpoint, key)
        record = data["record"]
        schemas = {}
        if record is not None:
            schemas = {
                "request": record.get("request_schema"),
                "responses": record.get("response_schemas") or {},
                "query": record.get("query") or {},
                "headers": record.get("request_headers") or {},
            }
        return self.c.templates.render(
            req, "endpoint.html", key=key.model_dump(), data=data, schemas=schemas, dumps=json.dumps
        )

    async def api_endpoint(self, req: Request) -> Response:
        return json_response(await asyncio.to_thread(self._endpoint, query(req, EndpointKey)))

    def _openapi(self, host: str) -> dict[str, Any]:
        records = self.c.catalogue.host_records(host)
        if not records:
            raise HTTPError(404, "no endpoints for that host")
        report = self.c.catalogue.report_for(records)
        risks = {
            r.key: riskmod.assess(
                r,
                shadow=bool(report and report.is_shadow(r.key)),
                zombie=bool(report and report.zombies_for(r.key)),
            )
            for r in records
        }
        return openapi.export(records, host, risk=risks, report=report)

    async def openapi_download(self, req: Request) -> Response:
        host = query(req, HostQuery).host
        doc = await asyncio.to_thread(self._openapi, host)
        data = json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")
        return download(data, "application/json", f"{host}.openapi.json")

    # -- corrections -----------------------------------------------------------------------------

    def _templater(self) -> tuple[PathTemplater, bool]:
        """The live templater (True) or one restored from the store (False)."""
        discovery = self.c.discovery
        if discovery is not None:
            return discovery.inventory.templater, True
        state = self.c.inventory_store.load_templater()
        return Inventory.restored(state).templater, False

    async def _save_templater(self, templater: PathTemplater, live: bool) -> None:
        discovery = self.c.discovery
        if live and discovery is not None:
            await discovery.flush()
        else:
            await asyncio.to_thread(self.c.inventory_store.save_templater, templater.to_dict())
        await asyncio.to_thread(self.c.catalogue.refresh, force=True)

    async def _merge(self, req: Request) -> None:
        form = await body(req, Merge)
        host = form.host.lower()
        templater, live = self._templater()
        try:
            templater.merge(host, form.templates, form.into)
        except (ValueError, KeyError, IndexError) as exc:
            raise HTTPError(422, f"merge refused: {exc}") from None
        self.c.catalogue.hide(host, [t for t in form.templates if t != form.into], actor(req))
        await self._save_templater(templater, live)
        await self.c.record(
            "discovery",
            {
                "event": "merge",
                "host": host,
                "templates": form.templates,
                "into": form.into,
                "by": actor(req),
            },
        )

    async def _split(self, req: Request) -> None:
        form = await body(req, Split)
        host = form.host.lower()
        templater, live = self._templater()
        try:
            templater.split(host, form.template, form.values)
        except (ValueError, KeyError, IndexError) as exc:
            raise HTTPError(422, f"split refused: {exc}") from None
        await self._save_templater(templater, live)
        await self.c.record(
            "discovery",
            {
                "event": "split",
                "host": host,
                "template": form.template,
                "values": form.values,
                "by": actor(req),
            },
        )

    async def _spec(self, req: Request) -> int:
        form = await body(req, SpecUpload, 2 * 1024 * 1024 + 4096)
        try:
            count = await asyncio.to_thread(
                self.c.catalogue.set_spec, form.name, form.text, actor(req)
            )
        except ValueError as exc:
            raise HTTPError(422, f"the spec could not be read: {exc}") from None
        await asyncio.to_thread(self.c.catalogue.refresh, force=True)
        await self.c.record(
            "discovery", {"event": "spec", "name": form.name, "operations": count, "by": actor(req)}
        )
        return count

    async def _form(self, req: Request, work: Any, done: str) -> Response:
        try:
            result = await work(req)
        except HTTPError as exc:
            if exc.status != 422:
                raise
            return await self.page(req, status=422, error=exc.message)
        message = done.format(result) if result is not None else done
        return await self.page(req, message=message)

    async def merge_form(self, req: Request) -> Response:
        return await self._form(req, self._merge, "Merged. Later traffic is templated this way.")

    async def split_form(self, req: Request) -> Response:
        return await self._form(req, self._split, "Split. Those values are endpoints of their own.")

    async def spec_form(self, req: Request) -> Response:
        return await self._form(req, self._spec, "Spec declared: {} operations.")

    async def spec_clear_form(self, req: Request) -> Response:
        await asyncio.to_thread(self.c.catalogue.clear_spec)
        await asyncio.to_thread(self.c.catalogue.refresh, force=True)
        await self.c.record("discovery", {"event": "spec-clear", "by": actor(req)})
        return redirect("/inventory")

    async def api_merge(self, req: Request) -> Response:
        await self._merge(req)
        return json_response({})

    async def api_split(self, req: Request) -> Response:
        await self._split(req)
        return json_response({})

    async def api_spec(self, req: Request) -> Response:
        return json_response({"operations": await self._spec(req)})


def register(r: Router, console: Console) -> None:
    InventoryViews(console).register(r)


__all__ = ["register"]
