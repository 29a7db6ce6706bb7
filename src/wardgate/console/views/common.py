"""Helpers every view shares: the acting user, query and body validation, API docs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict

from wardgate.console.web import HTTPError, Request, validate

M = TypeVar("M", bound=BaseModel)

OBJECT: Final[Mapping[str, Any]] = {"type": "object"}


class Query(BaseModel):
    """Query strings: unknown parameters are ignored (pages add their own)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Body(BaseModel):
    """Request bodies: unknown fields are errors (a typo must not be silently dropped); the
    pages' forms carry ``csrf``, which is allowed and ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def actor(req: Request) -> str:
    """The signed-in account's name (the handler's route guarantees there is one)."""
    if req.user is None:
        raise HTTPError(401, "sign in first")
    return req.user.name


def query(req: Request, model: type[M]) -> M:
    """The query string as ``model`` (422 with reasons when it does not fit)."""
    return validate(model, {k: v for k, v in req.query.items() if v != ""})


async def body(req: Request, model: type[M], limit: int = 1024 * 1024) -> M:
    """The JSON or form body as ``model``; empty form fields count as absent, ``csrf`` is
    dropped (it was checked before the handler ran)."""
    data = await req.data(limit)
    if not req.headers.get("content-type", "").startswith("application/json"):
        data = {k: v for k, v in data.items() if v != "" and k != "csrf"}
    return validate(model, data)


def schema(properties: Mapping[str, Any], *, array: bool = False) -> dict[str, Any]:
    """A small JSON Schema for an API response: an object with ``properties`` (or a list)."""
    obj = {"type": "object", "properties": dict(properties)}
    return {"type": "array", "items": obj} if array else obj


CURSOR_PAGE = schema(
    {
        "items": {"type": "array"},
        "older": {"type": ["integer", "null"]},
        "newer": {"type": ["integer", "null"]},
        "total": {"type": "integer"},
        "total_capped": {"type": "boolean"},
    }
)
"""A page of a list paged by cursor (``before``/``after`` ids), as the list APIs answer."""


__all__ = ["CURSOR_PAGE", "OBJECT", "Body", "Query", "actor", "body", "query", "schema"]
