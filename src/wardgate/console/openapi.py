"""The admin API's OpenAPI 3.1 description, generated from the routes themselves.

Every ``/api/...`` route registers an :class:`~wardgate.console.web.ApiDoc`: a summary, the
pydantic models of its query string and body (their JSON Schemas are OpenAPI 3.1 schemas), its
response schema and its extra error statuses. So the description cannot drift from the code: a
parameter the handler validates is a parameter the description lists, with the same bounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from pydantic import BaseModel

from wardgate import __version__
from wardgate.console.accounts import Role
from wardgate.console.web import Route

OPENAPI_VERSION: Final = "3.1.0"
_REF = "#/components/schemas/{model}"
_PATH_PARAMS: Final[dict[str, dict[str, Any]]] = {
    "seq": {"type": "string", "pattern": "^[0-9]{1,16}$"},
    "finding": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    "incident": {"type": "string", "pattern": "^(INC-)?[0-9]{1,12}$"},
    "exchange": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "key_id": {"type": "string", "pattern": "^[a-z0-9]{1,64}$"},
    "token_id": {"type": "string", "pattern": "^[a-z0-9]{12}$"},
    "name": {"type": "string", "pattern": "^[A-Za-z0-9_.@-]{1,64}$"},
}
_PROBLEM: Final = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["title", "status"],
}
_STANDARD_ERRORS: Final = {
    401: "not signed in, or an invalid API token",
    403: "the account's role is not enough, or the CSRF check failed",
    404: "not found",
    422: "the input does not fit the schema",
}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Query parameters cannot be null: ``anyOf [X, null]`` becomes X."""
    if "default" in schema and schema["default"] is None:
        schema = {k: v for k, v in schema.items() if k != "default"}
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            merged.update(kept[0])
            return merged
    return schema


def _model_schema(model: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_REF)
    defs.update(schema.pop("$defs", {}))
    return schema


def _query_parameters(model: type[BaseModel], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _model_schema(model, defs)
    required = set(schema.get("required", ()))
    out = []
    for name, raw in schema.get("properties", {}).items():
        prop = _without_null(dict(raw))
        description = prop.pop("title", None)
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        out.append(param)
    return out


def _operation(route: Route, defs: dict[str, Any]) -> dict[str, Any]:
    doc = route.doc
    assert doc is not None
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _PATH_PARAMS.get(name, {"type": "string", "minLength": 1, "maxLength": 200}),
        }
        for name in route.params
    ]
    if doc.query is not None:
        parameters.extend(_query_parameters(doc.query, defs))
    role = route.role or Role.VIEWER
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "description": f"Needs the {role.value} role.",
        "operationId": _operation_id(route),
        "tags": [doc.tag] if doc.tag else [],
    }
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _model_schema(doc.body, defs)}},
        }
    content: dict[str, Any]
    if doc.content_type == "*/*":
        content = {"*/*": {}}
    else:
        content = {doc.content_type: {"schema": dict(doc.response or {"type": "object"})}}
    responses: dict[str, Any] = {str(doc.status): {"description": "OK", "content": content}}
    errors = dict(_STANDARD_ERRORS)
    if doc.body is not None:
        errors[413] = "the body is too large"
        errors[415] = "the body is not JSON"
    errors.update(doc.responses)
    for status, why in sorted(errors.items()):
        responses[str(status)] = {
            "description": why,
            "content": {
                "application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}
            },
        }
    operation["responses"] = responses
    return operation


def _operation_id(route: Route) -> str:
    words = [p.strip("{}") for p in route.pattern.split("/") if p and p != "api"]
    return route.method.lower() + "".join(
        w.replace("-", "_").title().replace("_", "") for w in words
    )


def describe(routes: Iterable[Route]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the routes that carry an :class:`ApiDoc`."""
    defs: dict[str, Any] = {"Problem": _PROBLEM}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.doc is None or not route.pattern.startswith("/api/"):
            continue
        paths.setdefault(route.pattern, {})[route.method.lower()] = _operation(route, defs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Wardgate console admin API",
            "version": __version__,
            "description": (
                "Everything the console shows and does, as JSON. Authenticate with an API token "
                "(`Authorization: Bearer wgc_...`, created on the account page or with `wardgate "
                "console token create`), or with the console's session cookie plus the page's "
                "CSRF token in `X-CSRF-Token` on every request that changes something. Errors "
                "are RFC 9457 problem details."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(defs.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "wgc_ API token",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "wardgate_console",
                    "description": "the session cookie (__Host-wardgate_console over https); "
                    "unsafe methods also need the X-CSRF-Token header",
                },
            },
        },
    }


__all__ = ["describe"]
