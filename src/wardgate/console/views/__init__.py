"""The console's pages and API, one module per area; :func:`register_all` wires them."""

from __future__ import annotations

from wardgate.console.context import Console
from wardgate.console.openapi import describe
from wardgate.console.views import (
    ai,
    audit,
    auth,
    compliance,
    detections,
    incidents,
    inventory,
    keys,
    overview,
    playground,
    policies,
)
from wardgate.console.web import Request, Response, Router, json_response

MODULES = (
    auth,
    overview,
    detections,
    incidents,
    inventory,
    ai,
    keys,
    policies,
    audit,
    compliance,
    playground,
)


def register_all(router: Router, console: Console) -> None:
    for module in MODULES:
        module.register(router, console)
    document: dict[str, object] = {}

    async def openapi_json(req: Request) -> Response:
        if not document:
            document.update(describe(router))
        return json_response(document)

    router.add("GET", "/api/openapi.json", openapi_json, None)


__all__ = ["register_all"]
