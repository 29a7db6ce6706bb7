"""Ollama's native API: ``/api/chat``, ``/api/generate``, ``/api/embed`` and ``/api/embeddings``.

Ollama is written in Go, whose JSON decoder matches object keys to struct fields without regard to
case (``"Content"``, ``"CONTENT"``, even ``"ſystem"`` with a long s, fill the same field). This
adapter reads keys the same way, so text cannot slip past the scan under a spelling the gateway
does not expect; an object that fills one field under two spellings is refused as ambiguous.

Streams (the default for chat and generate unless ``"stream": false``) are NDJSON: one JSON object
per line, decoded by :class:`NdjsonDecoder`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from wardgate.core.phase import InputKind
from wardgate.gateway.providers.base import (
    STATUS,
    ErrorKind,
    ErrorReply,
    JsonPath,
    MalformedRequest,
    ParsedRequest,
    ParsedResponse,
    Segment,
    StreamEvent,
    Usage,
)
from wardgate.gateway.providers.shape import (
    EMBEDDING_ROLE,
    count,
    expect_body,
    fail,
    is_integer,
    json_object,
    string_leaves,
    string_or_none,
    where,
)
from wardgate.gateway.providers.sse import DEFAULT_MAX_EVENT_BYTES

_ENDPOINT = re.compile(r"(?:^|/)api/([a-z_]+)/?$")
_OPERATIONS: Mapping[str, str] = {
    "chat": "chat",
    "generate": "generate",
    "embed": "embeddings",
    "embeddings": "embeddings",
}
# Endpoints that stream NDJSON unless the body says "stream": false (pull/push/create: progress).
_STREAMED_BY_DEFAULT = frozenset({"chat", "generate", "pull", "push", "create"})
# Chat roles Ollama's templates know; any other role still reaches the model and is read as a prompt.
_ROLES: Mapping[str, tuple[InputKind, str]] = {
    "user": (InputKind.PROMPT, "user"),
    "assistant": (InputKind.DOCUMENT, "assistant"),
    "tool": (InputKind.DOCUMENT, "tool"),
}


def _endpoint(path: str) -> str | None:
    match = _ENDPOINT.search(path.split("?", 1)[0])
    return match.group(1) if match else None


def _fold(key: str) -> str:
    """Go's case folding of a key, as far as it can reach an ASCII field name."""
    return key.lower().replace("ſ", "s")  # K (Kelvin sign) lowers to k by itself


def _field(obj: Mapping[str, Any], name: str, at: JsonPath) -> tuple[JsonPath, Any] | None:
    """The value Go would decode into field ``name`` with its real path; None if absent or null."""
    keys = [key for key in obj if _fold(key) == name]
    if len(keys) > 1:
        raise MalformedRequest(
            f"{where((*at, name))} is given more than once (keys differ in case)"
        )
    if not keys or obj[keys[0]] is None:
        return None
    return (*at, keys[0]), obj[keys[0]]


def _typed(obj: Mapping[str, Any], name: str, at: JsonPath, kind: type, label: str) -> Any:
    found = _field(obj, name, at)
    if found is not None and not isinstance(found[1], kind):
        fail(found[0], label)
    return found


def _string(obj: Mapping[str, Any], name: str, at: JsonPath) -> tuple[JsonPath, str] | None:
    found: tuple[JsonPath, str] | None = _typed(obj, name, at, str, "a string")
    return found


def _objects(
    obj: Mapping[str, Any], name: str, at: JsonPath
) -> list[tuple[JsonPath, Mapping[str, Any]]]:
    """The objects of a list field with their paths."""
    found: tuple[JsonPath, list[Any]] | None = _typed(obj, name, at, list, "a list")
    if found is None:
        return []
    items = [((*found[0], i), item) for i, item in enumerate(found[1])]
    for item_at, item in items:
        if not isinstance(item, dict):
            fail(item_at, "an object")
    return items


def _object(
    obj: Mapping[str, Any], name: str, at: JsonPath
) -> tuple[JsonPath, Mapping[str, Any]] | None:
    found: tuple[JsonPath, Mapping[str, Any]] | None = _typed(obj, name, at, dict, "an object")
    return found


def _tool_names(calls: list[tuple[JsonPath, Mapping[str, Any]]]) -> list[str]:
    """Function names of ``tool_calls`` / ``tools`` entries (``{"function": {"name": ...}}``)."""
    names = []
    for call_at, call in calls:
        function = _object(call, "function", call_at)
        if function is not None and (name := _string(function[1], "name", function[0])) is not None:
            names.append(name[1])
    return names


def _usage(body: Mapping[str, Any]) -> Usage:
    return Usage(count(body.get("prompt_eval_count")), count(body.get("eval_count")))


class _Request:
    """What a request body says, gathered field by field."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.system: list[str] = []
        self.declared: list[str] = []
        self.called: list[str] = []

    def text(
        self, body: Mapping[str, Any], name: str, at: JsonPath, kind: InputKind, role: str
    ) -> None:
        if (found := _string(body, name, at)) is not None and found[1]:
            self.segments.append(Segment(found[1], kind, found[0], role))

    def chat(self, body: Mapping[str, Any]) -> None:
        for message_at, message in _objects(body, "messages", ()):
            role_found = _string(message, "role", message_at)
            role = role_found[1] if role_found is not None else ""
            if role == "system":
                if (system := _string(message, "content", message_at)) is not None:
                    self.system.append(system[1])
            else:
                kind, segment_role = _ROLES.get(role, (InputKind.PROMPT, "user"))
                self.text(message, "content", message_at, kind, segment_role)
                self.text(message, "thinking", message_at, InputKind.DOCUMENT, "assistant")
            self.called += _tool_names(_objects(message, "tool_calls", message_at))
        self.declared += _tool_names(_objects(body, "tools", ()))

    def generate(self, body: Mapping[str, Any]) -> None:
        self.text(body, "prompt", (), InputKind.PROMPT, "user")
        self.text(body, "suffix", (), InputKind.PROMPT, "user")
        if (system := _string(body, "system", ())) is not None:
            self.system.append(system[1])

    def embed(self, body: Mapping[str, Any]) -> None:
        self.text(body, "prompt", (), InputKind.DOCUMENT, EMBEDDING_ROLE)
        found = _field(body, "input", ())
        if found is None or isinstance(found[1], str):
            self.text(body, "input", (), InputKind.DOCUMENT, EMBEDDING_ROLE)
            return
        if not isinstance(found[1], list):
            raise MalformedRequest("input must be a string or a list of strings")
        for i, item in enumerate(found[1]):
            if not isinstance(item, str):
                raise MalformedRequest(f"input[{i}] must be a string")
            if item:
                self.segments.append(
                    Segment(item, InputKind.DOCUMENT, (*found[0], i), EMBEDDING_ROLE)
                )


class NdjsonDecoder:
    """Newline-delimited JSON, incrementally: one event per line, its raw bytes kept exactly.

    A line that is not a JSON object is an event without text; a line longer than
    ``max_event_bytes`` is an error rather than a buffer that grows without end.
    """

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_event_bytes

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        searched = len(self._buffer)
        self._buffer += chunk
        events: list[StreamEvent] = []
        start = 0
        while (end := self._buffer.find(b"\n", max(start, searched))) >= 0:
            events.append(_line_event(bytes(self._buffer[start : end + 1])))
            start = end + 1
        del self._buffer[:start]
        if len(self._buffer) > self._max:
            raise MalformedRequest(f"stream line over {self._max} bytes")
        return events

    def close(self) -> list[StreamEvent]:
        """The stream ended: a last line without its newline is still an event."""
        rest, self._buffer = bytes(self._buffer), bytearray()
        return [_line_event(rest)] if rest else []


def _line_event(raw: bytes) -> StreamEvent:
    """One NDJSON line: ``message.content`` or ``response`` is text; ``done: true`` ends it."""
    line = json_object(raw)
    if line is None:
        return StreamEvent(raw)
    if "error" in line:
        return StreamEvent(raw, terminal=True)
    text, called = "", ()
    message = line.get("message")
    if isinstance(message, dict):
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            called = tuple(
                call["function"]["name"]
                for call in calls
                if isinstance(call, dict)
                and isinstance(call.get("function"), dict)
                and isinstance(call["function"].get("name"), str)
            )
    elif isinstance(response := line.get("response"), str):
        text = response
    done = line.get("done") is True
    return StreamEvent(
        raw,
        text=text,
        model=string_or_none(line.get("model")),
        usage=_usage(line) if done else None,
        tools_called=called,
        terminal=done,
    )


class OllamaAdapter:
    """Ollama's native API (its OpenAI-compatible ``/v1`` routes use the OpenAI adapter).

    Segments: chat ``user`` turns and ``prompt``/``suffix`` are prompts; ``assistant`` and ``tool``
    turns and embedded inputs are documents; a turn with a role Ollama does not know is a prompt
    (templates still show it to the model). ``system`` turns form the system prompt. ``params`` are
    the ``options`` as sent (``num_predict`` is the output budget; negative means unlimited).
    """

    name: ClassVar[str] = "ollama"

    def parse_request(self, method: str, path: str, body: Any) -> ParsedRequest:
        endpoint = _endpoint(path)
        operation = _OPERATIONS.get(endpoint or "", endpoint or "other")
        if body is None and endpoint not in _OPERATIONS:
            return ParsedRequest(operation=operation)
        body = expect_body(body, "request")
        got = _Request()
        if endpoint == "chat":
            got.chat(body)
        elif endpoint == "generate":
            got.generate(body)
        elif endpoint in ("embed", "embeddings"):
            got.embed(body)
        model = _string(body, "model", ())
        options = _object(body, "options", ())
        params = dict(options[1]) if options is not None else {}
        budget = params.get("num_predict")
        if budget is not None and not is_integer(budget):
            raise MalformedRequest("options.num_predict must be an integer")
        return ParsedRequest(
            operation=operation,
            model=model[1] if model is not None else None,
            stream=self._streams(endpoint, body, strict=True),
            segments=tuple(got.segments),
            system_prompt="\n".join(got.system),
            params=params,
            tools_declared=tuple(got.declared),
            tools_called=tuple(got.called),
            max_output_tokens=budget if budget is not None and budget >= 0 else None,
        )

    def parse_response(self, path: str, body: Any) -> ParsedResponse:
        body = expect_body(body, "response")
        segments: list[Segment] = []
        called: list[str] = []
        message = _object(body, "message", ())
        source, source_at = (message[1], message[0]) if message is not None else (body, ())
        for name in ("content", "response", "thinking"):
            if (found := _string(source, name, source_at)) is not None and found[1]:
                segments.append(Segment(found[1], InputKind.OUTPUT, found[0], "assistant"))
        if message is not None:
            calls = _objects(message[1], "tool_calls", message[0])
            called = _tool_names(calls)
            for call_at, call in calls:
                if (function := _object(call, "function", call_at)) is not None and (
                    args := _field(function[1], "arguments", function[0])
                ) is not None:
                    segments += [
                        Segment(leaf, InputKind.OUTPUT, leaf_at, "assistant")
                        for leaf_at, leaf in string_leaves(args[1], args[0])
                        if leaf
                    ]
        return ParsedResponse(
            model=string_or_none(body.get("model")),
            segments=tuple(segments),
            tools_called=tuple(called),
            usage=_usage(body),
        )

    def is_stream(self, path: str, body: Any) -> bool:
        return self._streams(_endpoint(path), body, strict=False)

    @staticmethod
    def _streams(endpoint: str | None, body: Any, *, strict: bool) -> bool:
        """Whether Ollama streams; ``strict`` refuses a body Ollama would refuse, otherwise a
        doubtful flag means the default (a stream, which the gateway handles either way)."""
        if endpoint not in _STREAMED_BY_DEFAULT:
            return False
        try:
            found = _field(body, "stream", ()) if isinstance(body, dict) else None
            if found is not None and not isinstance(found[1], bool):
                raise MalformedRequest("stream must be a boolean")
        except MalformedRequest:
            if strict:
                raise
            return True
        return found is None or found[1]

    def stream_decoder(self, path: str, max_event_bytes: int = 1 << 20) -> NdjsonDecoder:
        return NdjsonDecoder(max_event_bytes)

    def error(self, kind: ErrorKind, message: str) -> ErrorReply:
        return ErrorReply(STATUS[kind], json.dumps({"error": message}).encode())

    def stream_error(self, kind: ErrorKind, message: str) -> bytes:
        return json.dumps({"error": message}).encode() + b"\n"
