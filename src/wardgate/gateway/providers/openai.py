"""OpenAI's wire format: Chat Completions, Responses, (legacy) Completions and Embeddings.

OpenAI and the servers that imitate it (vLLM, TGI, LiteLLM, ...) speak the same JSON; the second
adapter reads it without insisting on the bookkeeping fields such servers leave out. Every string a
model will read becomes a :class:`Segment` whose path lets the gateway write a redacted string back.
A body of the wrong shape is refused with a message that says where, never what: no request
content ever goes into an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
    EMBEDDING_ROLE,
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

# Longest suffix first: "/chat/completions" also ends with "/completions".
_OPERATIONS = (
    ("/chat/completions", "chat"),
    ("/completions", "completions"),
    ("/responses", "responses"),
    ("/embeddings", "embeddings"),
)
_STREAMING = frozenset({"chat", "completions", "responses"})

_CHAT_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "logprobs",
    "top_logprobs",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "response_format",
    "tool_choice",
    "stream_options",
)
_RESPONSES_PARAMS = (
    "temperature",
    "top_p",
    "top_logprobs",
    "max_output_tokens",
    "max_tool_calls",
    "parallel_tool_calls",
    "tool_choice",
    "text",
    "reasoning",
    "truncation",
    "stream_options",
)
_COMPLETIONS_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "n",
    "best_of",
    "echo",
    "logprobs",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "stream_options",
)
_EMBEDDINGS_PARAMS = ("dimensions", "encoding_format")

_CHAT_TEXT = frozenset({"text"})
# Strings of an assistant message besides its content. Reasoning text is what vLLM, LiteLLM and
# others send for reasoning models; clients show it, so it is read like the answer.
_MESSAGE_TEXT = ("refusal", "reasoning_content", "reasoning")
_DELTA_TEXT = ("content", "refusal", "reasoning_content", "reasoning")
_RESPONSES_TEXT = frozenset({"input_text", "output_text", "text"})
# Tuples, not sets: membership of an unhashable JSON value (a list) must be False, not TypeError.
_CALL_ITEMS = ("function_call", "custom_tool_call", "mcp_call")
_PART_LIST_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
_CHAT_ROLES = "one of system, developer, user, assistant, tool, function"
_RESPONSES_ROLES = "one of user, assistant, system, developer"

_ERRORS: Mapping[ErrorKind, tuple[str, str]] = {
    ErrorKind.BAD_REQUEST: ("invalid_request_error", "invalid_request"),
    ErrorKind.UNAUTHENTICATED: ("invalid_request_error", "invalid_api_key"),
    ErrorKind.FORBIDDEN: ("permission_error", "permission_denied"),
    ErrorKind.NOT_FOUND: ("invalid_request_error", "not_found"),
    ErrorKind.TOO_LARGE: ("invalid_request_error", "request_too_large"),
    ErrorKind.BLOCKED: ("invalid_request_error", "content_policy_violation"),
    ErrorKind.RATE_LIMITED: ("rate_limit_error", "rate_limit_exceeded"),
    ErrorKind.UPSTREAM_ERROR: ("server_error", "upstream_error"),
    ErrorKind.UNAVAILABLE: ("server_error", "service_unavailable"),
    ErrorKind.UPSTREAM_TIMEOUT: ("server_error", "upstream_timeout"),
}
_RESPONSES_TERMINAL = ("response.completed", "response.failed", "response.incomplete", "error")

Texts = list[tuple[str, JsonPath]]


class OpenAIAdapter:
    """OpenAI's API as OpenAI serves it: answers must carry ``id``, ``object`` and ``usage``."""

    name: ClassVar[str] = "openai"
    strict: ClassVar[bool] = True

    def parse_request(self, method: str, path: str, body: Any) -> ParsedRequest:
        operation = _operation(method, path)
        if operation == "other":
            return ParsedRequest(operation="other")
        body = expect_body(body, "request")
        if operation == "chat":
            return self._chat(body)
        if operation == "responses":
            return self._responses(body)
        return _prompts(body, operation)

    def parse_response(self, path: str, body: Any) -> ParsedResponse:
        operation = _operation("POST", path)
        if operation == "other":
            return ParsedResponse()
        body = expect_body(body, "response")
        found = _Found()
        if operation == "chat":
            self._envelope(body, "chat.completion")
            for i, choice in enumerate(expect_list(body.get("choices"), ("choices",))):
                at: JsonPath = ("choices", i, "message")
                message = expect_object(expect_object(choice, at[:2]).get("message"), at)
                _assistant_message(found, message, at, InputKind.OUTPUT)
            usage = self._usage(body, "prompt_tokens", "completion_tokens", required=True)
        elif operation == "responses":
            self._envelope(body, "response")
            for i, item in enumerate(expect_list(body.get("output"), ("output",))):
                _output_item(found, expect_object(item, ("output", i)), ("output", i))
            usage = self._usage(body, "input_tokens", "output_tokens", required=False)
        elif operation == "completions":
            self._envelope(body, "text_completion")
            for i, choice in enumerate(expect_list(body.get("choices"), ("choices",))):
                text = expect_object(choice, ("choices", i)).get("text")
                found.add([(expect_string(text, ("choices", i, "text")), ("choices", i, "text"))])
            usage = self._usage(body, "prompt_tokens", "completion_tokens", required=True)
        else:
            self._envelope(body, "list", with_id=False)
            usage = self._usage(body, "prompt_tokens", None, required=True)
        return ParsedResponse(
            model=string_or_none(body.get("model")),
            segments=tuple(found.segments),
            tools_called=tuple(found.tools_called),
            usage=usage,
        )

    def is_stream(self, path: str, body: Any) -> bool:
        return (
            _operation("POST", path) in _STREAMING
            and isinstance(body, dict)
            and body.get("stream") is True
        )

    def stream_decoder(self, path: str, max_event_bytes: int = 1 << 20) -> StreamDecoder:
        if _operation("POST", path) == "responses":
            return SseDecoder(_responses_event, max_event_bytes)
        return SseDecoder(_chat_chunk, max_event_bytes)

    def error(self, kind: ErrorKind, message: str) -> ErrorReply:
        return ErrorReply(STATUS[kind], _json({"error": _error_object(kind, message)}))

    def stream_error(self, kind: ErrorKind, message: str) -> bytes:
        # The SDK raises APIError for any data payload with an "error" key (openai/_streaming.py).
        return b"data: " + _json({"error": _error_object(kind, message)}) + b"\n\n"

    # Requests ----------------------------------------------------------------------------------

    def _chat(self, body: dict[str, Any]) -> ParsedRequest:
        found = _Found()
        for i, message in enumerate(expect_list(body.get("messages"), ("messages",))):
            self._chat_message(found, expect_object(message, ("messages", i)), ("messages", i))
        for i, tool in enumerate(expect_list(body.get("tools"), ("tools",), nullable=True)):
            found.declare(_chat_tool_name(expect_object(tool, ("tools", i)), ("tools", i)))
        for i, function in enumerate(
            expect_list(body.get("functions"), ("functions",), nullable=True)
        ):
            spec = expect_object(function, ("functions", i))
            found.declare(expect_string(spec.get("name"), ("functions", i, "name")))
        max_output = _integer(body, "max_completion_tokens")
        return found.request(
            "chat",
            body,
            _CHAT_PARAMS,
            max_output if max_output is not None else _integer(body, "max_tokens"),
        )

    def _chat_message(self, found: _Found, message: dict[str, Any], at: JsonPath) -> None:
        role = message.get("role")
        content = message.get("content")
        where = (*at, "content")
        if role in ("system", "developer"):
            found.system.extend(text for text, _ in _texts(content, where, _CHAT_TEXT))
        elif role == "user":
            found.add(_texts(content, where, _CHAT_TEXT), InputKind.PROMPT, "user")
        elif role in ("tool", "function"):
            texts = _texts(content, where, _CHAT_TEXT, nullable=role == "function")
            found.add(texts, InputKind.DOCUMENT, "tool")
        elif role == "assistant":
            _assistant_message(found, message, at, InputKind.DOCUMENT)
        elif self.strict or not isinstance(role, str):
            fail((*at, "role"), _CHAT_ROLES)
        else:  # a role a compatible server may accept: read it, never skip it
            found.add(_texts(content, where, _CHAT_TEXT, nullable=True), InputKind.DOCUMENT, role)

    def _responses(self, body: dict[str, Any]) -> ParsedRequest:
        found = _Found()
        instructions = body.get("instructions")
        if instructions is not None:
            found.system.append(expect_string(instructions, ("instructions",)))
        given = body.get("input")
        if isinstance(given, str):
            found.add([(given, ("input",))], InputKind.PROMPT, "user")
        elif isinstance(given, list):
            for i, item in enumerate(given):
                self._input_item(found, expect_object(item, ("input", i)), ("input", i))
        elif given is not None:
            fail(("input",), "a string or a list of input items")
        prompt = body.get("prompt")  # a stored prompt: its variables are filled in by the caller
        if prompt is not None:
            variables = expect_object(prompt, ("prompt",)).get("variables")
            if variables is not None:
                at: JsonPath = ("prompt", "variables")
                for key, value in expect_object(variables, at).items():
                    if isinstance(value, str):
                        found.add([(value, (*at, key))], InputKind.PROMPT, "user")
        for i, tool in enumerate(expect_list(body.get("tools"), ("tools",), nullable=True)):
            spec = expect_object(tool, ("tools", i))
            if spec.get("type") in ("function", "custom"):
                found.declare(expect_string(spec.get("name"), ("tools", i, "name")))
        return found.request(
            "responses", body, _RESPONSES_PARAMS, _integer(body, "max_output_tokens")
        )

    def _input_item(self, found: _Found, item: dict[str, Any], at: JsonPath) -> None:
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            texts = _texts(item.get("content"), (*at, "content"), _RESPONSES_TEXT)
            if role in ("system", "developer"):
                found.system.extend(text for text, _ in texts)
            elif role == "user":
                found.add(texts, InputKind.PROMPT, "user")
            elif role == "assistant":
                found.add(texts, InputKind.DOCUMENT, "assistant")
            elif self.strict or not isinstance(role, str):
                fail((*at, "role"), _RESPONSES_ROLES)
            else:
                found.add(texts, InputKind.DOCUMENT, role)
        elif not isinstance(kind, str):
            fail((*at, "type"), "a string")
        elif kind in _CALL_ITEMS:
            found.tools_called.append(expect_string(item.get("name"), (*at, "name")))
            if kind == "mcp_call" and isinstance(item.get("output"), str):
                found.add([(item["output"], (*at, "output"))], InputKind.DOCUMENT, "tool")
        elif kind.endswith("_output"):
            output = item.get("output")
            if isinstance(output, str) or (isinstance(output, list) and kind in _PART_LIST_OUTPUTS):
                texts = _texts(output, (*at, "output"), _RESPONSES_TEXT)
                found.add(texts, InputKind.DOCUMENT, "tool")
        elif kind == "file_search_call":
            found.add(_field_texts(item, "results", "text", at), InputKind.DOCUMENT, "document")
        elif kind == "reasoning":
            found.add(_field_texts(item, "summary", "text", at), InputKind.DOCUMENT, "assistant")

    # Answers ------------------------------------------------------------------------------------

    def _envelope(self, body: dict[str, Any], object_name: str, *, with_id: bool = True) -> None:
        if not self.strict:
            return
        if with_id and not isinstance(body.get("id"), str):
            fail(("id",), "a string")
        if body.get("object") != object_name:
            fail(("object",), f'"{object_name}"')

    def _usage(
        self, body: dict[str, Any], given: str, made: str | None, *, required: bool
    ) -> Usage:
        usage = body.get("usage")
        if isinstance(usage, dict):
            return Usage(count(usage.get(given)), count(usage.get(made)) if made else None)
        if self.strict and (required or usage is not None):
            fail(("usage",), "an object")
        return Usage()


class OpenAICompatibleAdapter(OpenAIAdapter):
    """vLLM, TGI, LiteLLM and the like: OpenAI's format, without its bookkeeping (``id``,
    ``object``, ``usage`` may be absent) and with roles OpenAI does not know (read as documents)."""

    name: ClassVar[str] = "openai-compatible"
    strict: ClassVar[bool] = False


# Streams -----------------------------------------------------------------------------------------


def _chat_chunk(message: SseMessage) -> StreamEvent:
    """One Chat Completions (or legacy Completions) chunk."""
    if message.data.startswith("[DONE]"):  # as the SDK tests it
        return StreamEvent(message.raw, terminal=True)
    chunk = json_object(message.data)
    if chunk is None:
        return StreamEvent(message.raw)
    texts: list[str] = []
    tools: list[str] = []
    for choice in _items(chunk.get("choices")):
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta")
        if isinstance(delta, dict):
            texts.extend(delta[key] for key in _DELTA_TEXT if _is_str(delta.get(key)))
            for call in _items(delta.get("tool_calls")):
                name = _dig(call, "function", "name")
                if isinstance(name, str):
                    tools.append(name)
            name = _dig(delta, "function_call", "name")
            if isinstance(name, str):
                tools.append(name)
        if _is_str(choice.get("text")):
            texts.append(choice["text"])
    usage = chunk.get("usage")
    return StreamEvent(
        message.raw,
        text="".join(texts),
        model=string_or_none(chunk.get("model")),
        usage=read_usage(usage, "prompt_tokens", "completion_tokens"),
        tools_called=tuple(tools),
        terminal=isinstance(chunk.get("error"), dict),  # the upstream ends the stream after it
    )


def _responses_event(message: SseMessage) -> StreamEvent:
    """One Responses API event (its ``type`` is in the data, and usually the event line too)."""
    if message.data.startswith("[DONE]"):  # some compatible servers end with it here too
        return StreamEvent(message.raw, terminal=True)
    event = json_object(message.data)
    if event is None:
        return StreamEvent(message.raw)
    kind = event_type(message, event)
    text = ""
    tools: tuple[str, ...] = ()
    if kind in ("response.output_text.delta", "response.refusal.delta"):
        text = event["delta"] if _is_str(event.get("delta")) else ""
    elif kind == "response.output_item.added":
        item = event.get("item")
        if isinstance(item, dict) and item.get("type") in _CALL_ITEMS and _is_str(item.get("name")):
            tools = (item["name"],)
    response = event.get("response")
    response = response if isinstance(response, dict) else {}
    return StreamEvent(
        message.raw,
        text=text,
        model=string_or_none(response.get("model")),
        usage=read_usage(response.get("usage"), "input_tokens", "output_tokens"),
        tools_called=tools,
        terminal=kind in _RESPONSES_TERMINAL,
    )


# Shapes ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    """What a walk over one body has found so far."""

    segments: list[Segment] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    tools_called: list[str] = field(default_factory=list)
    tools_declared: list[str] = field(default_factory=list)

    def add(
        self,
        texts: Iterable[tuple[str, JsonPath]],
        kind: InputKind = InputKind.OUTPUT,
        role: str = "assistant",
    ) -> None:
        self.segments.extend(Segment(text, kind, at, role) for text, at in texts if text)

    def declare(self, name: str | None) -> None:
        if name is not None:
            self.tools_declared.append(name)

    def request(
        self, operation: str, body: dict[str, Any], params: Iterable[str], max_output: int | None
    ) -> ParsedRequest:
        return ParsedRequest(
            operation=operation,
            model=_request_model(body),
            stream=body.get("stream") is True,
            segments=tuple(self.segments),
            system_prompt="\n".join(self.system),
            params={key: body[key] for key in params if body.get(key) is not None},
            tools_declared=tuple(self.tools_declared),
            tools_called=tuple(self.tools_called),
            max_output_tokens=max_output,
        )


def _operation(method: str, path: str) -> str:
    if method.upper() != "POST":
        return "other"
    clean = "/" + path.partition("?")[0].strip("/")
    return next((op for suffix, op in _OPERATIONS if clean.endswith(suffix)), "other")


def _prompts(body: dict[str, Any], operation: str) -> ParsedRequest:
    """Completions (``prompt``, ``suffix``) and Embeddings (``input``): strings or token ids."""
    found = _Found()
    if operation == "completions":
        found.add(
            _strings(body.get("prompt"), ("prompt",), nullable=True), InputKind.PROMPT, "user"
        )
        if body.get("suffix") is not None:
            found.add(
                [(expect_string(body["suffix"], ("suffix",)), ("suffix",))],
                InputKind.PROMPT,
                "user",
            )
        return found.request(operation, body, _COMPLETIONS_PARAMS, _integer(body, "max_tokens"))
    texts = _strings(body.get("input"), ("input",), nullable=False)
    found.add(texts, InputKind.DOCUMENT, EMBEDDING_ROLE)
    return found.request(operation, body, _EMBEDDINGS_PARAMS, None)


def _strings(value: Any, at: JsonPath, *, nullable: bool) -> Texts:
    """A string, a list of strings, or token ids (which are not text and are skipped)."""
    if isinstance(value, str):
        return [(value, at)]
    if value is None and nullable:
        return []
    if isinstance(value, list):
        texts: Texts = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                texts.append((item, (*at, i)))
            elif not (is_integer(item) or (isinstance(item, list) and all(map(is_integer, item)))):
                fail((*at, i), "a string or a list of token ids")
        return texts
    fail(at, "a string, a list of strings or a list of token ids")


def _texts(content: Any, at: JsonPath, types: frozenset[str], *, nullable: bool = False) -> Texts:
    """The strings of a content field: a plain string, or the text of each part of a list."""
    if isinstance(content, str):
        return [(content, at)]
    if content is None and nullable:
        return []
    if not isinstance(content, list):
        fail(at, "a string or a list of content parts")
    texts: Texts = []
    for j, item in enumerate(content):
        where = (*at, j)
        part = expect_object(item, where)
        kind = part.get("type")
        if not isinstance(kind, str):
            fail((*where, "type"), "a string")
        if kind in types:
            texts.append((expect_string(part.get("text"), (*where, "text")), (*where, "text")))
        elif kind == "refusal" and _is_str(part.get("refusal")):
            texts.append((part["refusal"], (*where, "refusal")))
        elif _is_str(part.get("text")):  # a part type not listed here carries text all the same
            texts.append((part["text"], (*where, "text")))
    return texts


def _field_texts(item: dict[str, Any], key: str, text_key: str, at: JsonPath) -> Texts:
    """``item[key][k][text_key]`` for each entry that has a string there."""
    texts: Texts = []
    for k, entry in enumerate(expect_list(item.get(key), (*at, key), nullable=True)):
        if isinstance(entry, dict) and _is_str(entry.get(text_key)):
            texts.append((entry[text_key], (*at, key, k, text_key)))
    return texts


def _assistant_message(
    found: _Found, message: dict[str, Any], at: JsonPath, kind: InputKind
) -> None:
    """An assistant message: an earlier turn in a request (document) or the answer (output)."""
    found.add(_texts(message.get("content"), (*at, "content"), _CHAT_TEXT, nullable=True), kind)
    for key in _MESSAGE_TEXT:
        if _is_str(message.get(key)):
            found.add([(message[key], (*at, key))], kind)
    for j, call in enumerate(
        expect_list(message.get("tool_calls"), (*at, "tool_calls"), nullable=True)
    ):
        where = (*at, "tool_calls", j)
        found.tools_called.append(_chat_tool_name(expect_object(call, where), where))
    legacy = message.get("function_call")
    if legacy is not None:
        where = (*at, "function_call")
        found.tools_called.append(
            expect_string(expect_object(legacy, where).get("name"), (*where, "name"))
        )


def _chat_tool_name(spec: dict[str, Any], at: JsonPath) -> str:
    """The name in a tool declaration or call: ``function.name`` (or ``custom.name``)."""
    key = "custom" if spec.get("type") == "custom" else "function"
    return expect_string(expect_object(spec.get(key), (*at, key)).get("name"), (*at, key, "name"))


def _output_item(found: _Found, item: dict[str, Any], at: JsonPath) -> None:
    """One item of a Responses answer's ``output``."""
    kind = item.get("type")
    if kind == "message":
        found.add(_texts(item.get("content"), (*at, "content"), frozenset({"output_text"})))
    elif kind in _CALL_ITEMS:
        found.tools_called.append(expect_string(item.get("name"), (*at, "name")))


def _error_object(kind: ErrorKind, message: str) -> dict[str, Any]:
    error_type, code = _ERRORS[kind]
    return {"message": message, "type": error_type, "param": None, "code": code}


def _json(value: Any) -> bytes:
    # ensure_ascii: no raw newline can reach the wire, so a message cannot break SSE framing.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _request_model(body: dict[str, Any]) -> str | None:
    model = body.get("model")
    return None if model is None else expect_string(model, ("model",))


def _integer(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not is_integer(value):
        fail((key,), "an integer")
    return int(value)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)
