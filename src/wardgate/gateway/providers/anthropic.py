"""Anthropic's wire format: the Messages API (``/v1/messages`` and its ``count_tokens``).

A user's text blocks are prompts; what the model reads on someone else's behalf (tool results,
documents, search results) and earlier assistant turns are documents. Every such string becomes a
:class:`Segment` whose path lets the gateway write a redacted string back. A body of the wrong
shape is refused with a message that says where, never what: no request content goes into an
error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wardgate.core.phase import InputKind
from wardgate.gateway.providers.base import (
    STATUS,
    ErrorKind,
    ErrorReply,
    JsonPath,
    ParsedRequest,
    ParsedResponse,
    Segment,
    StreamDecoder,
    StreamEvent,
    Usage,
)
from wardgate.gateway.providers.shape import (
    count,
    expect_body,
    expect_list,
    expect_object,
    expect_string,
    fail,
    is_integer,
    json_object,
    read_usage,
    string_or_none,
)
from wardgate.gateway.providers.sse import SseDecoder, SseMessage, event_type

_PARAMS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "tool_choice",
    "thinking",
)
# Tuples, not sets: membership of an unhashable JSON value (a list) must be False, not TypeError.
_TOOL_CALLS = ("tool_use", "server_tool_use", "mcp_tool_use")
_CONTENT = "a string or a list of content blocks"

# The SDK picks its exception class by status alone (anthropic/_error_classes.py); the type names
# are the ones Anthropic documents, so a client that reads ``error.type`` sees a familiar value.
_ERROR_TYPES: Mapping[ErrorKind, str] = {
    ErrorKind.BAD_REQUEST: "invalid_request_error",
    ErrorKind.UNAUTHENTICATED: "authentication_error",
    ErrorKind.FORBIDDEN: "permission_error",
    ErrorKind.NOT_FOUND: "not_found_error",
    ErrorKind.TOO_LARGE: "request_too_large",
    ErrorKind.BLOCKED: "invalid_request_error",
    ErrorKind.RATE_LIMITED: "rate_limit_error",
    ErrorKind.UPSTREAM_ERROR: "api_error",
    ErrorKind.UNAVAILABLE: "api_error",  # not overloaded_error: that is Anthropic's 529
    ErrorKind.UPSTREAM_TIMEOUT: "timeout_error",
}


class AnthropicAdapter:
    """Anthropic's Messages API."""

    name: ClassVar[str] = "anthropic"

    def parse_request(self, method: str, path: str, body: Any) -> ParsedRequest:
        operation = _operation(method, path)
        if operation == "other":
            return ParsedRequest(operation="other")
        body = expect_body(body, "request")
        found = _Found()
        system = body.get("system")
        if isinstance(system, str):
            found.system.append(system)
        elif system is not None:
            for i, block in enumerate(
                expect_list(system, ("system",), "a string or a list of text blocks")
            ):
                part = expect_object(block, ("system", i))
                if part.get("type") == "text":
                    found.system.append(expect_string(part.get("text"), ("system", i, "text")))
        for i, message in enumerate(expect_list(body.get("messages"), ("messages",))):
            _message(found, expect_object(message, ("messages", i)), ("messages", i))
        for i, tool in enumerate(expect_list(body.get("tools"), ("tools",), nullable=True)):
            found.tools_declared.append(
                expect_string(expect_object(tool, ("tools", i)).get("name"), ("tools", i, "name"))
            )
        model = body.get("model")
        max_tokens = body.get("max_tokens")
        if max_tokens is not None and not is_integer(max_tokens):
            fail(("max_tokens",), "an integer")
        return ParsedRequest(
            operation=operation,
            model=None if model is None else expect_string(model, ("model",)),
            stream=operation == "messages" and body.get("stream") is True,
            segments=tuple(found.segments),
            system_prompt="\n".join(found.system),
            params={key: body[key] for key in _PARAMS if body.get(key) is not None},
            tools_declared=tuple(found.tools_declared),
            tools_called=tuple(found.tools_called),
            max_output_tokens=max_tokens,
        )

    def parse_response(self, path: str, body: Any) -> ParsedResponse:
        operation = _operation("POST", path)
        if operation == "other":
            return ParsedResponse()
        body = expect_body(body, "response")
        if operation == "count_tokens":
            return ParsedResponse(usage=Usage(input_tokens=count(body.get("input_tokens"))))
        segments: list[Segment] = []
        tools: list[str] = []
        for i, item in enumerate(expect_list(body.get("content"), ("content",))):
            block = expect_object(item, ("content", i))
            kind = block.get("type")
            if kind == "text":
                text = expect_string(block.get("text"), ("content", i, "text"))
                segments.append(
                    Segment(text, InputKind.OUTPUT, ("content", i, "text"), "assistant")
                )
            elif kind in _TOOL_CALLS:
                tools.append(expect_string(block.get("name"), ("content", i, "name")))
        return ParsedResponse(
            model=string_or_none(body.get("model")),
            segments=tuple(segment for segment in segments if segment.text),
            tools_called=tuple(tools),
            usage=read_usage(body.get("usage"), "input_tokens", "output_tokens") or Usage(),
        )

    def is_stream(self, path: str, body: Any) -> bool:
        return (
            _operation("POST", path) == "messages"
            and isinstance(body, dict)
            and body.get("stream") is True
        )

    def stream_decoder(self, path: str, max_event_bytes: int = 1 << 20) -> StreamDecoder:
        return SseDecoder(_event, max_event_bytes)

    def error(self, kind: ErrorKind, message: str) -> ErrorReply:
        return ErrorReply(STATUS[kind], _error_json(kind, message))

    def stream_error(self, kind: ErrorKind, message: str) -> bytes:
        # The SDK raises APIStatusError for an "error" event (anthropic/_streaming.py).
        return b"event: error\ndata: " + _error_json(kind, message) + b"\n\n"


# Requests ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    """What a walk over one request body has found so far."""

    segments: list[Segment] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    tools_called: list[str] = field(default_factory=list)
    tools_declared: list[str] = field(default_factory=list)

    def add(self, text: str, kind: InputKind, at: JsonPath, role: str) -> None:
        if text:
            self.segments.append(Segment(text, kind, at, role))


def _operation(method: str, path: str) -> str:
    if method.upper() != "POST":
        return "other"
    clean = "/" + path.partition("?")[0].strip("/")
    if clean.endswith("/messages/count_tokens"):
        return "count_tokens"
    return "messages" if clean.endswith("/messages") else "other"


def _message(found: _Found, message: dict[str, Any], at: JsonPath) -> None:
    role = message.get("role")
    if role not in ("user", "assistant"):
        fail((*at, "role"), '"user" or "assistant"')
    # A user's own words are a prompt; an earlier assistant turn may quote external content.
    kind = InputKind.PROMPT if role == "user" else InputKind.DOCUMENT
    content = message.get("content")
    where = (*at, "content")
    if isinstance(content, str):
        found.add(content, kind, where, role)
        return
    for j, item in enumerate(expect_list(content, where, _CONTENT)):
        _block(found, expect_object(item, (*where, j)), (*where, j), kind, role)


def _block(found: _Found, block: dict[str, Any], at: JsonPath, kind: InputKind, role: str) -> None:
    """One content block of a message."""
    block_type = block.get("type")
    if not isinstance(block_type, str):
        fail((*at, "type"), "a string")
    if block_type == "text":
        found.add(expect_string(block.get("text"), (*at, "text")), kind, (*at, "text"), role)
    elif block_type == "tool_result":
        _documents(found, block.get("content"), (*at, "content"), "tool", nullable=True)
    elif block_type == "document":
        _document(found, block, at)
    elif block_type == "search_result":
        _search_result(found, block, at)
    elif block_type in _TOOL_CALLS:
        found.tools_called.append(expect_string(block.get("name"), (*at, "name")))
    elif isinstance(
        block.get("text"), str
    ):  # a block type not listed here carries text all the same
        found.add(block["text"], kind, (*at, "text"), role)


def _documents(found: _Found, content: Any, at: JsonPath, role: str, *, nullable: bool) -> None:
    """Content someone else wrote: a string or a list of blocks (text, documents, search results)."""
    if isinstance(content, str):
        found.add(content, InputKind.DOCUMENT, at, role)
        return
    for k, item in enumerate(expect_list(content, at, _CONTENT, nullable=nullable)):
        block = expect_object(item, (*at, k))
        block_type = block.get("type")
        if block_type == "text":
            text = expect_string(block.get("text"), (*at, k, "text"))
            found.add(text, InputKind.DOCUMENT, (*at, k, "text"), role)
        elif block_type == "document":
            _document(found, block, (*at, k))
        elif block_type == "search_result":
            _search_result(found, block, (*at, k))
        elif isinstance(block.get("text"), str):
            found.add(block["text"], InputKind.DOCUMENT, (*at, k, "text"), role)


def _document(found: _Found, block: dict[str, Any], at: JsonPath) -> None:
    """A document block: plain text or content blocks are read; base64, URL and file sources are
    binary or remote and have no text here."""
    source = expect_object(block.get("source"), (*at, "source"))
    source_type = source.get("type")
    if source_type == "text":
        data = expect_string(source.get("data"), (*at, "source", "data"))
        found.add(data, InputKind.DOCUMENT, (*at, "source", "data"), "document")
    elif source_type == "content":
        _documents(
            found, source.get("content"), (*at, "source", "content"), "document", nullable=False
        )
    _labels(found, block, at, ("title", "context"))


def _search_result(found: _Found, block: dict[str, Any], at: JsonPath) -> None:
    _documents(found, block.get("content"), (*at, "content"), "document", nullable=False)
    _labels(found, block, at, ("title",))


def _labels(found: _Found, block: dict[str, Any], at: JsonPath, keys: tuple[str, ...]) -> None:
    """A document's title and context: the model reads them along with its text."""
    for key in keys:
        if isinstance(block.get(key), str):
            found.add(block[key], InputKind.DOCUMENT, (*at, key), "document")


# Streams -----------------------------------------------------------------------------------------


def _event(message: SseMessage) -> StreamEvent:
    """One Messages stream event; data that is not a JSON object is forwarded, not understood."""
    event = json_object(message.data)
    if event is None:
        return StreamEvent(message.raw)
    kind = event_type(message, event)
    text = ""
    tools: tuple[str, ...] = ()
    model: str | None = None
    usage: Usage | None = None
    if kind == "content_block_delta":
        delta = event.get("delta")
        if isinstance(delta, dict) and delta.get("type") == "text_delta":
            text = string_or_none(delta.get("text")) or ""
    elif kind == "content_block_start":
        block = event.get("content_block")
        if isinstance(block, dict) and block.get("type") in _TOOL_CALLS:
            name = block.get("name")
            tools = (name,) if isinstance(name, str) else ()
        elif isinstance(block, dict) and block.get("type") == "text":
            text = string_or_none(block.get("text")) or ""
    elif kind == "message_start":
        start = event.get("message")
        if isinstance(start, dict):
            model = string_or_none(start.get("model"))
            usage = read_usage(start.get("usage"), "input_tokens", "output_tokens")
    elif kind == "message_delta":
        usage = read_usage(event.get("usage"), "input_tokens", "output_tokens")
    return StreamEvent(
        message.raw,
        text=text,
        model=model,
        usage=usage,
        tools_called=tools,
        terminal=kind in ("message_stop", "error"),
    )


# Errors ------------------------------------------------------------------------------------------


def _error_json(kind: ErrorKind, message: str) -> bytes:
    body = {"type": "error", "error": {"type": _ERROR_TYPES[kind], "message": message}}
    # ensure_ascii: no raw newline can reach the wire, so a message cannot break SSE framing.
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")
