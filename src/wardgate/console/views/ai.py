"""The AI inventory: models by provider and deployment class, who calls them, what data flows to
and from them, unapproved (shadow) use, and the AI-BOM (CycloneDX) download.

The catalogue is another component's (:mod:`wardgate.ai_inventory`); this page uses only its
public functions, imported when a page is asked for, and says "not available yet" when the
module or its table is missing, so the console works whether or not it is installed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any, Literal

from pydantic import Field

from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.views.common import Query, query, schema
from wardgate.console.web import (
    ApiDoc,
    HTTPError,
    Request,
    Response,
    Router,
    download,
    json_response,
    url,
)

log = logging.getLogger("wardgate.console.ai")
PAGE = 50


class ModelQuery(Query):
    deployment: Literal["open_source", "internal", "external"] | None = None
    provider: str | None = Field(None, max_length=100)
    unapproved: bool | None = None
    page: int = Field(1, ge=1, le=10_000)


def _top(entry: Any, name: str, n: int = 5) -> list[tuple[str, int]]:
    counter = getattr(entry, name, None)
    top = getattr(counter, "top", None)
    if top is None:
        return []
    return [(str(k), int(v)) for k, v in top(n)]


def entry_dict(entry: Any) -> dict[str, Any]:
    """The facts the page shows, read defensively (the catalogue's model may grow)."""
    return {
        "key": str(getattr(entry, "key", "")),
        "provider": str(getattr(entry, "provider", "")),
        "model": str(getattr(entry, "model", "")),
        "vendor": getattr(entry, "vendor", None),
        "deployment": str(getattr(entry, "deployment", "")),
        "hosting": getattr(entry, "hosting", None),
        "calls": int(getattr(entry, "calls", 0) or 0),
        "blocked": int(getattr(entry, "blocked", 0) or 0),
        "callers": _top(entry, "callers"),
        "caller_count": getattr(entry, "caller_count", None),
        "applications": _top(entry, "applications"),
        "data_in": _top(entry, "data_in"),
        "data_out": _top(entry, "data_out"),
        "detections": _top(entry, "detections"),
        "approved": getattr(entry, "approved", None),
        "unapproved_calls": int(getattr(entry, "unapproved_calls", 0) or 0),
        "unapproved_callers": _top(entry, "unapproved_callers"),
        "shadow": bool(getattr(entry, "shadow", False)),
        "first_seen": getattr(entry, "first_seen", None),
        "last_seen": getattr(entry, "last_seen", None),
        "sources": sorted(getattr(entry, "sources", ()) or ()),
    }


class AIViews:
    def __init__(self, console: Console) -> None:
        self.c = console

    def register(self, r: Router) -> None:
        r.add("GET", "/ai", self.page, Role.VIEWER)
        r.add("GET", "/ai/bom", self.bom, Role.VIEWER)
        r.add(
            "GET",
            "/api/ai/models",
            self.api_list,
            Role.VIEWER,
            ApiDoc(
                "AI models seen in traffic or code, with callers, data classes and approval",
                query=ModelQuery,
                response=schema({"available": {"type": "boolean"}, "items": {"type": "array"}}),
                responses={503: "the AI inventory is not available"},
                tag="ai",
            ),
        )
        r.add(
            "GET",
            "/api/ai/bom",
            self.bom,
            Role.VIEWER,
            ApiDoc(
                "The AI-BOM (CycloneDX 1.6 JSON) of every catalogued model",
                response={"type": "object"},
                responses={503: "the AI inventory is not available"},
                tag="ai",
            ),
        )

    def _store(self) -> Any:
        """The AI inventory store, or None when it is not available here."""
        if not self.c.has_table("ai_models"):
            return None
        try:
            from wardgate.ai_inventory.store import AIInventoryStore  # noqa: PLC0415
        except Exception:  # not installed, or broken while it is being built
            log.warning("the AI inventory module could not be imported", exc_info=True)
            return None
        return AIInventoryStore.open(self.c.database)

    def _list(self, q: ModelQuery) -> dict[str, Any]:
        store = self._store()
        if store is None:
            return {"available": False, "items": [], "total": 0, "page": 1, "pages": 1}
        try:
            filters = {
                "deployment": q.deployment,
                "provider": q.provider,
                "unapproved": q.unapproved,
            }
            entries = store.list(**filters, limit=PAGE, offset=(q.page - 1) * PAGE)
            total = int(store.count(**filters))
        except (sqlite3.Error, TypeError, ValueError, AttributeError):
            log.warning("the AI inventory could not be read", exc_info=True)
            return {"available": False, "items": [], "total": 0, "page": 1, "pages": 1}
        finally:
            store.close()
        return {
            "available": True,
            "items": [entry_dict(e) for e in entries],
            "total": total,
            "page": q.page,
            "pages": max(1, (total + PAGE - 1) // PAGE),
        }

    def _groups(self) -> dict[str, list[tuple[str, int]]]:
        if not self.c.has_table("ai_models"):
            return {"provider": [], "deployment": [], "unapproved": []}
        try:
            return {
                dim: [
                    (str(r[0]), int(r[1]))
                    for r in self.c.read_store(
                        f"SELECT {dim}, SUM(calls) FROM ai_models GROUP BY {dim} "  # noqa: S608 - constant
                        "ORDER BY SUM(calls) DESC LIMIT 12"
                    )
                ]
                for dim in ("provider", "deployment")
            } | {
                "unapproved": [
                    (str(r[0]), int(r[1]))
                    for r in self.c.read_store(
                        "SELECT model, unapproved_calls FROM ai_models WHERE approved = 0 "
                        "OR unapproved_calls > 0 ORDER BY unapproved_calls DESC LIMIT 12"
                    )
                ]
            }
        except sqlite3.Error:
            return {"provider": [], "deployment": [], "unapproved": []}

    async def page(self, req: Request) -> Response:
        q = query(req, ModelQuery)
        data = await asyncio.to_thread(self._list, q)
        groups = await asyncio.to_thread(self._groups)
        filters = q.model_dump(mode="json", exclude={"page"})
        return self.c.templates.render(
            req,
            "ai.html",
            data=data,
            groups=groups,
            filters=filters,
            page_url=lambda n: url("/ai", **filters, page=n),
        )

    async def api_list(self, req: Request) -> Response:
        data = await asyncio.to_thread(self._list, query(req, ModelQuery))
        if not data["available"]:
            raise HTTPError(503, "the AI inventory is not available yet")
        return json_response(data)

    def _bom(self) -> bytes:
        store = self._store()
        if store is None:
            raise HTTPError(503, "the AI inventory is not available yet")
        try:
            from wardgate.ai_inventory.bom import bom_json  # noqa: PLC0415

            return str(bom_json(store.load())).encode("utf-8")
        except HTTPError:
            raise
        except Exception:
            log.warning("the AI-BOM could not be built", exc_info=True)
            raise HTTPError(503, "the AI-BOM is not available yet") from None
        finally:
            store.close()

    async def bom(self, req: Request) -> Response:
        data = await asyncio.to_thread(self._bom)
        return download(data, "application/vnd.cyclonedx+json", "wardgate-ai-bom.cdx.json")


def register(r: Router, console: Console) -> None:
    AIViews(console).register(r)


__all__ = ["register"]
