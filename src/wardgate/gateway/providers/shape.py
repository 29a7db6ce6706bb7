"""Reading untrusted JSON bodies: typed accessors that raise MalformedRequest with the JSON path.

Every adapter walks a body a client or an upstream wrote, so every adapter needs the same few checks
("this must be a list", "that must be a string") and the same way of saying where a check failed.
The message names the place (``messages[2].content must be a string``), never the value: request
content must not reach an error, a log or a client that did not send it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal, NoReturn

from wardgate.gateway.providers.base import JsonPath, MalformedRequest, Usage

EMBEDDING_ROLE = "embedding_input"
"""The segment role of a text sent to be embedded, in every dialect (it heads for an index)."""

MAX_LEAF_DEPTH = 64
"""How deep a free-form value (a tool's answer or arguments) may nest before it is refused: bounds
the cost of reading every string in it."""


def where(at: JsonPath) -> str:
    """``("messages", 2, "content")`` as ``messages[2].content``: keys and indexes, never a value."""
    text = ""
    for step in at:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "body"


def fail(at: JsonPath, expected: str) -> NoReturn:
    """Refuse the body: the value at ``at`` is not ``expected`` (``"a string"``, ``"a list"``)."""
    raise MalformedRequest(f"{where(at)} must be {expected}")


def expect_body(body: Any, what: Literal["request", "response"]) -> dict[str, Any]:
    """A whole decoded body, which every dialect wants to be an object."""
    if not isinstance(body, dict):
        raise MalformedRequest(f"{what} body must be a JSON object")
    return body


def expect_object(value: Any, at: JsonPath) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(at, "an object")
    return value


def expect_list(
    value: Any, at: JsonPath, expected: str = "a list", *, nullable: bool = False
) -> list[Any]:
    """``value`` as a list; null counts as empty where ``nullable``. ``expected`` says what the
    field may be when it is not a list (``"a string or a list of content blocks"``)."""
    if value is None and nullable:
        return []
    if not isinstance(value, list):
        fail(at, expected)
    return value


def expect_string(value: Any, at: JsonPath) -> str:
    if not isinstance(value, str):
        fail(at, "a string")
    return value


def is_integer(value: Any) -> bool:
    """A JSON integer: ``true`` is a bool in Python's eyes only, never a count."""
    return isinstance(value, int) and not isinstance(value, bool)


def count(value: Any) -> int | None:
    """A token count as sent, or None where it is absent or not an integer (never refused: an
    answer with an odd count is still forwarded)."""
    return value if is_integer(value) else None


def string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_usage(value: Any, given: str, made: str) -> Usage | None:
    """A usage object's input (``given``) and output (``made``) counts; None where it is not an
    object."""
    if not isinstance(value, dict):
        return None
    return Usage(count(value.get(given)), count(value.get(made)))


def json_object(data: str | bytes) -> dict[str, Any] | None:
    """``data`` parsed as a JSON object, or None where it is anything else (a stream event the
    gateway forwards without understanding)."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def string_leaves(value: Any, at: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """Every string inside a JSON value with its path, in document order (object keys are not
    leaves). Refuses values nested deeper than :data:`MAX_LEAF_DEPTH` below ``at``."""
    stack: list[tuple[JsonPath, Any]] = [(at, value)]
    limit = len(at) + MAX_LEAF_DEPTH
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
            continue
        if not isinstance(node, dict | list) or not node:
            continue
        if len(path) >= limit:
            raise MalformedRequest(f"{where(at)} nests deeper than {MAX_LEAF_DEPTH} levels")
        children = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend(reversed([((*path, key), child) for key, child in children]))
