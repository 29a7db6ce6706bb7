"""Body helpers shared by the adapter tests: arbitrary JSON for Hypothesis, and the checks every
adapter must pass on any body (it parses or says MalformedRequest; each segment is the string at
its path; writing a new string at that path is redaction)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from wardgate.core.phase import InputKind
from wardgate.gateway.providers.base import (
    MalformedRequest,
    ParsedRequest,
    ParsedResponse,
    ProviderAdapter,
    Segment,
    get_at,
    set_at,
)


def json_values(
    keys: st.SearchStrategy[str] | None = None, *, max_leaves: int = 20
) -> st.SearchStrategy[Any]:
    """Any JSON value; object keys from ``keys`` (short arbitrary text by default), so that a
    dialect's own field names can be made common."""
    names = st.text(max_size=6) if keys is None else keys
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(names, children, max_size=5)
        ),
        max_leaves=max_leaves,
    )


JSON = json_values()


def mostly(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy`` eleven times in twelve, arbitrary JSON otherwise: bodies that are nearly
    right reach deep into an adapter's walk."""
    return st.integers(0, 11).flatmap(lambda pick: strategy if pick else JSON)


def segments(parsed: ParsedRequest | ParsedResponse) -> list[tuple[Any, ...]]:
    """Each segment as ``(text, kind, path, role)``, to compare with a table."""
    return [(s.text, s.kind, s.path, s.role) for s in parsed.segments]


def assert_at_their_paths(found: tuple[Segment, ...], body: Any) -> None:
    """Every segment has text and is the string its path leads to in ``body``."""
    for segment in found:
        assert segment.text
        assert get_at(body, segment.path) == segment.text


def request_segments(adapter: ProviderAdapter, path: str, body: Any) -> list[tuple[Any, ...]]:
    """The segments of a request as ``(text, kind, path, role)``, each checked to be the string
    at its path."""
    parsed = adapter.parse_request("POST", path, body)
    assert_at_their_paths(parsed.segments, body)
    return segments(parsed)


def request_or_malformed(adapter: ProviderAdapter, path: str, body: Any) -> ParsedRequest | None:
    """Parse any body: it parses, with every segment at its path, or it is MalformedRequest
    (None); any other exception fails the test."""
    try:
        parsed = adapter.parse_request("POST", path, body)
    except MalformedRequest:
        return None
    assert_at_their_paths(parsed.segments, body)
    return parsed


def response_or_malformed(adapter: ProviderAdapter, path: str, body: Any) -> ParsedResponse | None:
    """As :func:`request_or_malformed`, for an answer: its segments are all output."""
    try:
        parsed = adapter.parse_response(path, body)
    except MalformedRequest:
        return None
    assert_at_their_paths(parsed.segments, body)
    assert all(segment.kind is InputKind.OUTPUT for segment in parsed.segments)
    return parsed


def redact_each_segment(
    adapter: ProviderAdapter, path: str, body: dict[str, Any]
) -> tuple[Segment, ...]:
    """Write a new string at each segment's path (in a copy of ``body``) and check that this
    changes exactly that segment and moves none. Returns the segments it redacted."""
    body = copy.deepcopy(body)
    before = adapter.parse_request("POST", path, body).segments
    for i, segment in enumerate(before):
        assert get_at(body, segment.path) == segment.text
        set_at(body, segment.path, f"[REDACTED_{i}]")
    after = adapter.parse_request("POST", path, body).segments
    assert [s.text for s in after] == [f"[REDACTED_{i}]" for i in range(len(before))]
    assert [(s.path, s.kind, s.role) for s in after] == [(s.path, s.kind, s.role) for s in before]
    return before
