"""A fake LLM upstream: a plain ASGI app that answers in the OpenAI, Anthropic, Gemini and Ollama
dialects, so the gateway can be tested end to end with the real client SDKs and no network.

Routes (matched on the end of the path, so a prefix in front is fine):

- OpenAI: ``POST /v1/chat/completions``, ``POST /v1/responses``, ``POST /v1/embeddings``,
  ``GET /v1/models``, ``GET /v1/models/{id}``
- Anthropic: ``POST /v1/messages``
- Gemini: ``POST /v1beta/models/{m}:generateContent`` and ``:streamGenerateContent`` (SSE with
  ``?alt=sse``, otherwise one JSON array sent element by element)
- Ollama: ``POST /api/chat`` and ``POST /api/generate`` (NDJSON streams unless ``"stream": false``)

Each request to a known route takes the next scripted :class:`Reply` from ``replies`` (or a default
one). The answer text defaults to ``"You said: "`` + the last user text. Usage is counted in words:
input tokens are the whitespace-separated words of every text in the request (system prompt
included), output tokens the words of the answer text.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import re
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 16 << 20
DEFAULT_MODEL = "fake-model"
SSE = "text/event-stream"
NDJSON = "application/x-ndjson"
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool the fake model calls; ``id`` is generated when empty."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """How to answer one request.

    ``text`` None means ``"You said: <last user text>"`` (or ``""`` when there are tool calls).
    Streams send ``chunk_chars`` characters of text per event and sleep ``delay_s`` between events
    (a complete answer waits ``delay_s`` once). ``hang`` never answers (until the client goes).
    ``status`` other than 200 answers the dialect's error with ``error_message``. ``raw_body`` is
    sent verbatim with ``status`` (content type ``content_type``, or what the request expects).
    """

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    status: int = 200
    chunk_chars: int = 8
    delay_s: float = 0.0
    hang: bool = False
    raw_body: bytes | None = None
    error_message: str = "fake upstream error"
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.chunk_chars < 1:
            raise ValueError("chunk_chars must be at least 1")
        if not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as the fake received it (header names lowercased; ``json`` None if not JSON)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any


@dataclass(frozen=True, slots=True)
class _Route:
    dialect: str  # openai, anthropic, gemini, ollama
    endpoint: str
    model: str | None = None  # from the path (Gemini)


_ROUTES: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    ("POST", re.compile(r"(?:^|/)v1/chat/completions$"), "openai", "chat"),
    ("POST", re.compile(r"(?:^|/)v1/responses$"), "openai", "responses"),
    ("POST", re.compile(r"(?:^|/)v1/embeddings$"), "openai", "embeddings"),
    ("GET", re.compile(r"(?:^|/)v1/models$"), "openai", "models"),
    ("GET", re.compile(r"(?:^|/)v1/models/(?P<model>[^/:]+)$"), "openai", "model"),
    ("POST", re.compile(r"(?:^|/)v1/messages$"), "anthropic", "messages"),
    ("POST", re.compile(r"/models/(?P<model>[^/:]+):generateContent$"), "gemini", "generate"),
    ("POST", re.compile(r"/models/(?P<model>[^/:]+):streamGenerateContent$"), "gemini", "stream"),
    ("POST", re.compile(r"(?:^|/)api/chat$"), "ollama", "chat"),
    ("POST", re.compile(r"(?:^|/)api/generate$"), "ollama", "generate"),
)


def _route(method: str, path: str) -> _Route | None:
    for route_method, pattern, dialect, endpoint in _ROUTES:
        if method == route_method and (match := pattern.search(path)):
            return _Route(dialect, endpoint, match.groupdict().get("model"))
    return None


# Request texts -----------------------------------------------------------------------------------


def _text_of(content: Any) -> str:
    """The text of a message's content in any dialect (string, parts, blocks, tool results)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(text for text in map(_text_of, content) if text)
    if isinstance(content, dict):
        for key in ("text", "content", "parts", "output"):
            if key in content:
                return _text_of(content[key])
    return ""


def _turns(route: _Route, body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(role, text)`` of every text the request gives the model, system prompts included."""
    if route.dialect == "gemini":
        system = body.get("systemInstruction", body.get("system_instruction"))
        yield "system", _text_of(system)
        for content in body.get("contents") or ():
            if isinstance(content, dict):
                yield str(content.get("role") or "user"), _text_of(content.get("parts"))
        return
    yield "system", _text_of(body.get("system"))
    yield "system", _text_of(body.get("instructions"))
    if route.endpoint == "generate":  # Ollama
        yield "user", _text_of(body.get("prompt"))
        return
    given = (
        body.get("input") if route.endpoint in ("responses", "embeddings") else body.get("messages")
    )
    if isinstance(given, str):
        yield "user", given
        return
    for item in given if isinstance(given, list) else ():
        if isinstance(item, dict):  # a message, or a Responses item (function_call_output, ...)
            role = item.get("role") or item.get("type") or ""
            yield str(role), _text_of(item.get("content", item.get("output")))
        elif isinstance(item, str):  # embeddings input list
            yield "user", item


def _words(text: str) -> int:
    return len(text.split())


# Replies -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    """Everything a dialect renderer needs to write one answer."""

    route: _Route
    body: Mapping[str, Any]
    query: Mapping[str, list[str]]
    model: str
    text: str
    tool_calls: tuple[ToolCall, ...]
    input_tokens: int
    output_tokens: int
    chunk_chars: int
    serial: int

    def pieces(self, text: str | None = None) -> list[str]:
        whole = self.text if text is None else text
        return [whole[i : i + self.chunk_chars] for i in range(0, len(whole), self.chunk_chars)]

    def call_id(self, prefix: str, index: int) -> str:
        call = self.tool_calls[index]
        return call.id or f"{prefix}fake{self.serial}_{index}"

    @property
    def shows_text(self) -> bool:
        return bool(self.text) or not self.tool_calls


@dataclass(frozen=True, slots=True)
class _Out:
    """A rendered answer: one piece (complete) or several (a stream, sent as they come)."""

    content_type: str
    pieces: list[bytes]
    streamed: bool


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + (data if isinstance(data, bytes) else _json(data)) + b"\n\n"


def _error_body(dialect: str, status: int, message: str) -> Any:
    if dialect == "anthropic":
        kind = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            413: "request_too_large",
            429: "rate_limit_error",
            529: "overloaded_error",
        }.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    if dialect == "gemini":
        code = {
            400: "INVALID_ARGUMENT",
            401: "UNAUTHENTICATED",
            403: "PERMISSION_DENIED",
            404: "NOT_FOUND",
            429: "RESOURCE_EXHAUSTED",
            500: "INTERNAL",
            503: "UNAVAILABLE",
            504: "DEADLINE_EXCEEDED",
        }.get(status, "UNKNOWN")
        return {"error": {"code": status, "message": message, "status": code}}
    if dialect == "ollama":
        return {"error": message}
    kind = {
        401: "authentication_error",
        403: "permission_error",
        429: "rate_limit_error",
    }.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


# OpenAI --------------------------------------------------------------------------------------------


def _openai_usage(a: _Answer) -> dict[str, int]:
    return {
        "prompt_tokens": a.input_tokens,
        "completion_tokens": a.output_tokens,
        "total_tokens": a.input_tokens + a.output_tokens,
    }


def _openai_chat(a: _Answer, stream: bool) -> _Out:
    finish = "tool_calls" if a.tool_calls else "stop"
    head = {
        "id": f"chatcmpl-fake{a.serial}",
        "created": int(time.time()),
        "model": a.model,
        "system_fingerprint": "fp_fake",
    }
    if not stream:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": a.text if a.shows_text else None,
            "refusal": None,
        }
        if a.tool_calls:
            message["tool_calls"] = [
                {
                    "id": a.call_id("call_", i),
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for i, call in enumerate(a.tool_calls)
            ]
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        answer = {
            **head,
            "object": "chat.completion",
            "choices": [choice],
            "usage": _openai_usage(a),
        }
        return _Out(JSON, [_json(answer)], streamed=False)

    options = a.body.get("stream_options")
    with_usage = isinstance(options, dict) and options.get("include_usage") is True

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        event: dict[str, Any] = {**head, "object": "chat.completion.chunk", "choices": [choice]}
        if with_usage:
            event["usage"] = None
        return _sse(event)

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in a.pieces()]
    for i, call in enumerate(a.tool_calls):
        start = {"index": i, "id": a.call_id("call_", i), "type": "function"}
        events.append(
            chunk({"tool_calls": [{**start, "function": {"name": call.name, "arguments": ""}}]})
        )
        events += [
            chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
            for piece in a.pieces(json.dumps(call.arguments))
        ]
    events.append(chunk({}, finish))
    if with_usage:
        usage = {
            **head,
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": _openai_usage(a),
        }
        events.append(_sse(usage))
    events.append(_sse(b"[DONE]"))
    return _Out(SSE, events, streamed=True)


def _responses_items(a: _Answer, *, done: bool) -> list[dict[str, Any]]:
    status = "completed" if done else "in_progress"
    items: list[dict[str, Any]] = []
    if a.shows_text:
        part = {
            "type": "output_text",
            "text": a.text if done else "",
            "annotations": [],
            "logprobs": [],
        }
        items.append(
            {
                "type": "message",
                "id": f"msg_fake{a.serial}",
                "status": status,
                "role": "assistant",
                "content": [part] if done else [],
            }
        )
    items += [
        {
            "type": "function_call",
            "id": f"fc_fake{a.serial}_{i}",
            "call_id": a.call_id("call_", i),
            "name": call.name,
            "arguments": json.dumps(call.arguments) if done else "",
            "status": status,
        }
        for i, call in enumerate(a.tool_calls)
    ]
    return items


def _response_object(a: _Answer, *, done: bool) -> dict[str, Any]:
    return {
        "id": f"resp_fake{a.serial}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed" if done else "in_progress",
        "model": a.model,
        "output": _responses_items(a, done=True) if done else [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "temperature": 1.0,
        "top_p": 1.0,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "text": {"format": {"type": "text"}},
        "truncation": "disabled",
        "usage": {
            "input_tokens": a.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": a.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": a.input_tokens + a.output_tokens,
        }
        if done
        else None,
    }


def _openai_responses(a: _Answer, stream: bool) -> _Out:
    if not stream:
        return _Out(JSON, [_json(_response_object(a, done=True))], streamed=False)
    counter = itertools.count()
    events: list[bytes] = []

    def emit(kind: str, **fields: Any) -> None:
        events.append(_sse({"type": kind, "sequence_number": next(counter), **fields}, kind))

    emit("response.created", response=_response_object(a, done=False))
    emit("response.in_progress", response=_response_object(a, done=False))
    started, finished = _responses_items(a, done=False), _responses_items(a, done=True)
    for index, (item, full) in enumerate(zip(started, finished, strict=True)):
        emit("response.output_item.added", output_index=index, item=item)
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            emit("response.content_part.added", **where, content_index=0, part=part)
            for piece in a.pieces():
                emit(
                    "response.output_text.delta", **where, content_index=0, delta=piece, logprobs=[]
                )
            emit("response.output_text.done", **where, content_index=0, text=a.text, logprobs=[])
            emit("response.content_part.done", **where, content_index=0, part=full["content"][0])
        else:
            for piece in a.pieces(full["arguments"]):
                emit("response.function_call_arguments.delta", **where, delta=piece)
            emit("response.function_call_arguments.done", **where, arguments=full["arguments"])
        emit("response.output_item.done", output_index=index, item=full)
    emit("response.completed", response=_response_object(a, done=True))
    return _Out(SSE, events, streamed=True)


def _vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit-free vector in [-1, 1] for a text (same text, same vector)."""
    digest = b""
    counter = 0
    while len(digest) < dimensions:
        digest += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    return [round(byte / 127.5 - 1.0, 6) for byte in digest[:dimensions]]


def _openai_embeddings(a: _Answer, stream: bool) -> _Out:
    given = a.body.get("input")
    inputs = [given] if isinstance(given, str) else list(given) if isinstance(given, list) else []
    size = a.body.get("dimensions")
    dimensions = size if isinstance(size, int) and 0 < size <= 4096 else 8
    as_base64 = a.body.get("encoding_format") == "base64"
    data = []
    for i, item in enumerate(inputs):
        vector = _vector(item if isinstance(item, str) else json.dumps(item), dimensions)
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": i, "embedding": encoded})
    usage = {"prompt_tokens": a.input_tokens, "total_tokens": a.input_tokens}
    answer = {"object": "list", "data": data, "model": a.model, "usage": usage}
    return _Out(JSON, [_json(answer)], streamed=False)


def _model_entry(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 0, "owned_by": "wardgate-fake"}


def _openai_models(a: _Answer, stream: bool) -> _Out:
    if a.route.endpoint == "model":
        return _Out(JSON, [_json(_model_entry(a.model))], streamed=False)
    return _Out(JSON, [_json({"object": "list", "data": [_model_entry(a.model)]})], streamed=False)


# Anthropic -------------------------------------------------------------------------------------------


def _anthropic_messages(a: _Answer, stream: bool) -> _Out:
    stop = "tool_use" if a.tool_calls else "end_turn"
    blocks: list[dict[str, Any]] = [{"type": "text", "text": a.text}] if a.shows_text else []
    blocks += [
        {
            "type": "tool_use",
            "id": a.call_id("toolu_", i),
            "name": call.name,
            "input": dict(call.arguments),
        }
        for i, call in enumerate(a.tool_calls)
    ]
    message = {
        "id": f"msg_fake{a.serial}",
        "type": "message",
        "role": "assistant",
        "model": a.model,
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": a.input_tokens, "output_tokens": a.output_tokens},
    }
    if not stream:
        return _Out(JSON, [_json(message)], streamed=False)

    def event(kind: str, **fields: Any) -> bytes:
        return _sse({"type": kind, **fields}, kind)

    start = {**message, "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": a.input_tokens, "output_tokens": 1}
    events = [event("message_start", message=start), event("ping")]
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            events.append(
                event("content_block_start", index=index, content_block={**block, "text": ""})
            )
            events += [
                event(
                    "content_block_delta", index=index, delta={"type": "text_delta", "text": piece}
                )
                for piece in a.pieces()
            ]
        else:
            opening = {**block, "input": {}}
            events.append(event("content_block_start", index=index, content_block=opening))
            events += [
                event(
                    "content_block_delta",
                    index=index,
                    delta={"type": "input_json_delta", "partial_json": piece},
                )
                for piece in a.pieces(json.dumps(block["input"]))
            ]
        events.append(event("content_block_stop", index=index))
    delta = {"stop_reason": stop, "stop_sequence": None}
    events.append(event("message_delta", delta=delta, usage={"output_tokens": a.output_tokens}))
    events.append(event("message_stop"))
    return _Out(SSE, events, streamed=True)


# Gemini ----------------------------------------------------------------------------------------------


def _gemini_chunk(a: _Answer, parts: list[dict[str, Any]], *, last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    usage = {"promptTokenCount": a.input_tokens, "totalTokenCount": a.input_tokens}
    if last:
        candidate["finishReason"] = "STOP"
        usage = {
            "promptTokenCount": a.input_tokens,
            "candidatesTokenCount": a.output_tokens,
            "totalTokenCount": a.input_tokens + a.output_tokens,
        }
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": a.model,
        "responseId": f"fake{a.serial}",
    }


def _gemini_generate(a: _Answer, stream: bool) -> _Out:
    calls = [{"functionCall": {"name": c.name, "args": dict(c.arguments)}} for c in a.tool_calls]
    if not stream:
        parts = ([{"text": a.text}] if a.shows_text else []) + calls
        return _Out(JSON, [_json(_gemini_chunk(a, parts, last=True))], streamed=False)
    batches: list[list[dict[str, Any]]] = [[{"text": piece}] for piece in a.pieces()]
    batches += [[call] for call in calls]
    batches = batches or [[{"text": ""}]]
    chunks = [
        _gemini_chunk(a, parts, last=i == len(batches) - 1) for i, parts in enumerate(batches)
    ]
    if a.query.get("alt") == ["sse"]:
        return _Out(
            SSE, [b"data: " + _json(chunk) + b"\r\n\r\n" for chunk in chunks], streamed=True
        )
    pieces = [(b"[" if i == 0 else b",\r\n") + _json(chunk) for i, chunk in enumerate(chunks)]
    return _Out(JSON, [*pieces, b"]"], streamed=True)


# Ollama ------------------------------------------------------------------------------------------------


def _ollama(a: _Answer, stream: bool) -> _Out:
    chat = a.route.endpoint == "chat"
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    head = {"model": a.model, "created_at": now}
    calls = [{"function": {"name": c.name, "arguments": dict(c.arguments)}} for c in a.tool_calls]

    def line(text: str, *, with_calls: bool = False, done: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = dict(head)
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if with_calls and calls:
                message["tool_calls"] = calls
            out["message"] = message
        else:
            out["response"] = text
        out["done"] = done
        if done:
            out |= {
                "done_reason": "stop",
                "total_duration": 0,
                "load_duration": 0,
                "prompt_eval_count": a.input_tokens,
                "prompt_eval_duration": 0,
                "eval_count": a.output_tokens,
                "eval_duration": 0,
            }
        return out

    if not stream:
        return _Out(JSON, [_json(line(a.text, with_calls=True, done=True))], streamed=False)
    lines = [line(piece) for piece in a.pieces()]
    if calls:
        lines.append(line("", with_calls=True))
    lines.append(line("", done=True))
    return _Out(NDJSON, [_json(item) + b"\n" for item in lines], streamed=True)


_OPENAI_RENDERERS: Mapping[str, Callable[[_Answer, bool], _Out]] = {
    "chat": _openai_chat,
    "responses": _openai_responses,
    "embeddings": _openai_embeddings,
    "models": _openai_models,
    "model": _openai_models,
}


def _renderer(route: _Route) -> Callable[[_Answer, bool], _Out]:
    if route.dialect == "gemini":
        return _gemini_generate
    if route.dialect == "ollama":
        return _ollama
    if route.dialect == "anthropic":
        return _anthropic_messages
    return _OPENAI_RENDERERS[route.endpoint]


def _streams(route: _Route, body: Mapping[str, Any]) -> bool:
    if route.dialect == "gemini":
        return route.endpoint == "stream"
    if route.dialect == "ollama":
        return body.get("stream") is not False
    return route.endpoint in ("chat", "responses", "messages") and body.get("stream") is True


def _stream_type(route: _Route, query: Mapping[str, list[str]]) -> str:
    if route.dialect == "ollama":
        return NDJSON
    if route.dialect == "gemini":
        return SSE if query.get("alt") == ["sse"] else JSON
    return SSE


# The app -------------------------------------------------------------------------------------------------


class FakeLLM:
    """The fake upstream (an ASGI app). Script answers with ``replies.append(Reply(...))``; read
    what it received in ``requests``; ``reset()`` clears both."""

    def __init__(self, *, model: str = DEFAULT_MODEL, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[RecordedRequest] = []
        self.model = model
        self._max_body = max_body_bytes
        self._serial = itertools.count(1)

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        body = await _read_body(receive, self._max_body)
        if body is None:
            await _send(send, 413, JSON, _json({"error": {"message": "request body too large"}}))
            return
        query = scope.get("query_string", b"").decode("latin-1")
        parsed = _parse_json(body)
        self.requests.append(RecordedRequest(method, path, query, _headers(scope), body, parsed))
        route = _route(method, path)
        if route is None:
            await _send(
                send, 404, JSON, _json({"error": {"message": "no such route in the fake LLM"}})
            )
            return
        reply = self.replies.popleft() if self.replies else Reply()
        await self._answer(
            route, query=parse_qs(query), parsed=parsed, reply=reply, receive=receive, send=send
        )

    async def _answer(
        self,
        route: _Route,
        *,
        query: Mapping[str, list[str]],
        parsed: Any,
        reply: Reply,
        receive: Receive,
        send: Send,
    ) -> None:
        if reply.hang:
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        body = parsed if isinstance(parsed, dict) else {}
        stream = _streams(route, body)
        if reply.raw_body is not None:
            content_type = reply.content_type or (_stream_type(route, query) if stream else JSON)
            await _send(send, reply.status, content_type, reply.raw_body, reply.headers)
            return
        if reply.status != 200 or (
            route.endpoint not in ("models", "model") and not isinstance(parsed, dict)
        ):
            status = reply.status if reply.status != 200 else 400
            message = reply.error_message if reply.status != 200 else "body must be a JSON object"
            error = _json(_error_body(route.dialect, status, message))
            await _send(send, status, JSON, error, reply.headers)
            return
        out = _renderer(route)(self._prepare(route, query, body, reply), stream)
        if not out.streamed:
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            await _send(send, 200, out.content_type, out.pieces[0], reply.headers)
            return
        await send(_start(200, out.content_type, reply.headers))
        for i, piece in enumerate(out.pieces):
            if i and reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _prepare(
        self, route: _Route, query: Mapping[str, list[str]], body: Mapping[str, Any], reply: Reply
    ) -> _Answer:
        turns = list(_turns(route, body))
        last_user = next((text for role, text in reversed(turns) if role == "user" and text), "")
        text = reply.text
        if text is None:
            text = "" if reply.tool_calls else f"You said: {last_user}"
        model = body.get("model") if isinstance(body.get("model"), str) else route.model
        return _Answer(
            route=route,
            body=body,
            query=query,
            model=model or self.model,
            text=text,
            tool_calls=reply.tool_calls,
            input_tokens=sum(_words(text) for _, text in turns),
            output_tokens=_words(text),
            chunk_chars=reply.chunk_chars,
            serial=next(self._serial),
        )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return bytes(body)
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, RecursionError):
        return None


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _start(status: int, content_type: str, extra: tuple[tuple[str, str], ...] = ()) -> Message:
    headers = [(b"content-type", content_type.encode("latin-1"))]
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra]
    return {"type": "http.response.start", "status": status, "headers": headers}


async def _send(
    send: Send, status: int, content_type: str, body: bytes, extra: tuple[tuple[str, str], ...] = ()
) -> None:
    await send(_start(status, content_type, extra))
    await send({"type": "http.response.body", "body": body, "more_body": False})
