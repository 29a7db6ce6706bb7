"""The Google Gemini API (``generativelanguage``): ``models/{model}:generateContent`` and friends.

Google reads request JSON as protobuf: a field may be spelt lowerCamelCase or snake_case
(``systemInstruction`` / ``system_instruction``) and a repeated field may be sent as one object
instead of a list (``"parts": {"text": ...}``). Both forms are read here, so text cannot slip past
the scan by using the spelling the gateway does not expect; a body that spells one field both ways is
refused as ambiguous.

Streams are SSE (``?alt=sse``) or, without it, one JSON array whose elements arrive over time; the
decoder tells them apart by the first byte and handles both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    expect_body,
    expect_object,
    fail,
    json_object,
    string_leaves,
    string_or_none,
    where,
)
from wardgate.gateway.providers.sse import DEFAULT_MAX_EVENT_BYTES, SseDecoder, SseMessage

_ROUTE = re.compile(r"(?:^|/)(models|tunedModels)/([^/:?]+):([A-Za-z]+)$")
_OPERATIONS: Mapping[str, str] = {
    "generateContent": "generate_content",
    "streamGenerateContent": "generate_content",
    "countTokens": "count_tokens",
    "embedContent": "embeddings",
    "batchEmbedContents": "embeddings",
}
# generationConfig field -> the gateway's common parameter name (OpenAI's vocabulary).
_PARAMS: Mapping[str, str] = {
    "temperature": "temperature",
    "topP": "top_p",
    "topK": "top_k",
    "maxOutputTokens": "max_tokens",
    "candidateCount": "n",
    "responseLogprobs": "logprobs",
    "logprobs": "top_logprobs",
    "seed": "seed",
    "stopSequences": "stop",
    "presencePenalty": "presence_penalty",
    "frequencyPenalty": "frequency_penalty",
}
_ROLES: Mapping[str, tuple[InputKind, str]] = {
    "user": (InputKind.PROMPT, "user"),
    "model": (InputKind.DOCUMENT, "assistant"),
    "function": (InputKind.DOCUMENT, "tool"),
}
_ERROR_STATUS: Mapping[ErrorKind, str] = {
    ErrorKind.BAD_REQUEST: "INVALID_ARGUMENT",
    ErrorKind.UNAUTHENTICATED: "UNAUTHENTICATED",
    ErrorKind.FORBIDDEN: "PERMISSION_DENIED",
    ErrorKind.NOT_FOUND: "NOT_FOUND",
    ErrorKind.TOO_LARGE: "INVALID_ARGUMENT",
    ErrorKind.BLOCKED: "INVALID_ARGUMENT",
    ErrorKind.RATE_LIMITED: "RESOURCE_EXHAUSTED",
    ErrorKind.UPSTREAM_ERROR: "UNAVAILABLE",
    ErrorKind.UNAVAILABLE: "UNAVAILABLE",
    ErrorKind.UPSTREAM_TIMEOUT: "DEADLINE_EXCEEDED",
}


def _route(path: str) -> tuple[str | None, str | None]:
    """The model and method (``generateContent``, ...) named by a path, or None where absent."""
    match = _ROUTE.search(path.split("?", 1)[0])
    if match is None:
        return None, None
    collection, model, method = match.groups()
    return (model if collection == "models" else f"{collection}/{model}"), method


def _operation(method: str | None) -> str:
    if method is None:
        return "other"
    return _OPERATIONS.get(method) or re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _field(obj: Mapping[str, Any], camel: str, at: JsonPath) -> tuple[JsonPath, Any] | None:
    """The value of a field in either spelling, with its path; None when absent or null."""
    snake = _snake(camel)
    spellings = [name for name in dict.fromkeys((camel, snake)) if name in obj]
    if len(spellings) > 1:
        raise MalformedRequest(f"{where((*at, camel))} is given twice ({camel} and {snake})")
    if not spellings or obj[spellings[0]] is None:
        return None
    return (*at, spellings[0]), obj[spellings[0]]


def _items(obj: Mapping[str, Any], camel: str, at: JsonPath) -> list[tuple[JsonPath, Any]]:
    """The elements of a repeated field with their paths (one object stands for a list of one)."""
    found = _field(obj, camel, at)
    if found is None:
        return []
    path, value = found
    if isinstance(value, dict):
        return [(path, value)]
    if not isinstance(value, list):
        fail(path, "a list")
    return [((*path, i), item) for i, item in enumerate(value)]


def _string(obj: Mapping[str, Any], camel: str, at: JsonPath) -> tuple[JsonPath, str] | None:
    found = _field(obj, camel, at)
    if found is None:
        return None
    path, value = found
    if not isinstance(value, str):
        fail(path, "a string")
    return path, value


def _as_int(value: Any) -> int | None:
    """An integer as protobuf JSON allows it (number, integral float or decimal string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        return int(value.strip())
    return None


@dataclass
class _Collected:
    """What a request's parts say, gathered while walking them."""

    segments: list[Segment] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    called: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    max_tokens: int | None = None

    def add(self, text: str, kind: InputKind, path: JsonPath, role: str) -> None:
        if text:
            self.segments.append(Segment(text, kind, path, role))


def _inner(
    obj: Mapping[str, Any], outer: str, inner: str, at: JsonPath
) -> tuple[JsonPath, Any] | None:
    """``obj.outer.inner`` with its path (``outer`` must be an object); None when absent."""
    found = _field(obj, outer, at)
    return None if found is None else _field(expect_object(found[1], found[0]), inner, found[0])


def _inner_string(
    obj: Mapping[str, Any], outer: str, inner: str, at: JsonPath
) -> tuple[JsonPath, str] | None:
    found = _inner(obj, outer, inner, at)
    if found is not None and not isinstance(found[1], str):
        fail(found[0], "a string")
    return found


# Parts whose text the model reads as a document: (field, its text field, segment role).
_DOCUMENT_PARTS = (
    ("executableCode", "code", "assistant"),
    ("codeExecutionResult", "output", "tool"),
)


def _parse_parts(
    content: Mapping[str, Any], at: JsonPath, kind: InputKind, role: str
) -> _Collected:
    got = _Collected()
    for part_at, raw_part in _items(content, "parts", at):
        part = expect_object(raw_part, part_at)
        if (text := _string(part, "text", part_at)) is not None:
            got.add(text[1], kind, text[0], role)
        if (name := _inner_string(part, "functionCall", "name", part_at)) is not None:
            got.called.append(name[1])
        if (response := _inner(part, "functionResponse", "response", part_at)) is not None:
            for path, leaf in string_leaves(response[1], response[0]):
                got.add(leaf, InputKind.DOCUMENT, path, "tool")
        for outer, inner, document_role in _DOCUMENT_PARTS:
            if (found := _inner_string(part, outer, inner, part_at)) is not None:
                got.add(found[1], InputKind.DOCUMENT, found[0], document_role)
    return got


def _parse_generate(body: Mapping[str, Any], at: JsonPath) -> _Collected:
    """A ``GenerateContentRequest``: contents, systemInstruction, tools, generationConfig."""
    got = _Collected()
    for content_at, raw in _items(body, "contents", at):
        content = expect_object(raw, content_at)
        role_found = _string(content, "role", content_at)
        role = role_found[1] if role_found is not None and role_found[1] else "user"
        if role not in _ROLES:
            fail((*content_at, "role"), "user or model")
        kind, segment_role = _ROLES[role]
        parts = _parse_parts(content, content_at, kind, segment_role)
        got.segments += parts.segments
        got.called += parts.called
    if (system := _field(body, "systemInstruction", at)) is not None:
        for part_at, raw_part in _items(expect_object(system[1], system[0]), "parts", system[0]):
            text = _string(expect_object(raw_part, part_at), "text", part_at)
            if text is not None:
                got.system.append(text[1])
    for tool_at, raw_tool in _items(body, "tools", at):
        tool = expect_object(raw_tool, tool_at)
        for key in tool:
            if _snake(key) != "function_declarations":
                got.declared.append(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key))
        for decl_at, decl in _items(tool, "functionDeclarations", tool_at):
            if (name := _string(expect_object(decl, decl_at), "name", decl_at)) is not None:
                got.declared.append(name[1])
    if (config := _field(body, "generationConfig", at)) is not None:
        settings = expect_object(config[1], config[0])
        for camel, common in _PARAMS.items():
            if (param := _field(settings, camel, config[0])) is not None:
                got.params[common] = param[1]
        if "max_tokens" in got.params:
            got.max_tokens = _as_int(got.params["max_tokens"])
            if got.max_tokens is None:
                fail((*config[0], "maxOutputTokens"), "an integer")
    return got


def _parse_embed(request: Mapping[str, Any], at: JsonPath, got: _Collected) -> None:
    """An ``EmbedContentRequest``: its texts (and title) are documents headed for an index."""
    if (content := _field(request, "content", at)) is not None:
        parts = _parse_parts(
            expect_object(content[1], content[0]), content[0], InputKind.DOCUMENT, EMBEDDING_ROLE
        )
        got.segments += parts.segments
    if (title := _string(request, "title", at)) is not None:
        got.add(title[1], InputKind.DOCUMENT, title[0], EMBEDDING_ROLE)


@dataclass(frozen=True, slots=True)
class _Answer:
    """What one ``GenerateContentResponse`` (complete or one streamed chunk) says."""

    texts: tuple[Segment, ...]
    extra: tuple[Segment, ...]  # string leaves of functionCall.args
    called: tuple[str, ...]
    usage: Usage | None
    model: str | None
    finished: bool


def _parse_answer(body: Mapping[str, Any]) -> _Answer:
    texts: list[Segment] = []
    extra: list[Segment] = []
    called: list[str] = []
    finished: list[bool] = []
    for cand_at, raw in _items(body, "candidates", ()):
        candidate = expect_object(raw, cand_at)
        reason = _string(candidate, "finishReason", cand_at)
        finished.append(reason is not None and reason[1] not in ("", "FINISH_REASON_UNSPECIFIED"))
        if (content := _field(candidate, "content", cand_at)) is None:
            continue
        for part_at, raw_part in _items(expect_object(content[1], content[0]), "parts", content[0]):
            part = expect_object(raw_part, part_at)
            if (text := _string(part, "text", part_at)) is not None and text[1]:
                texts.append(Segment(text[1], InputKind.OUTPUT, text[0], "assistant"))
            if (name := _inner_string(part, "functionCall", "name", part_at)) is not None:
                called.append(name[1])
            if (args := _inner(part, "functionCall", "args", part_at)) is not None:
                extra += [
                    Segment(leaf, InputKind.OUTPUT, path, "assistant")
                    for path, leaf in string_leaves(args[1], args[0])
                    if leaf
                ]
    blocked = False
    if (feedback := _field(body, "promptFeedback", ())) is not None and isinstance(
        feedback[1], dict
    ):
        blocked = bool(feedback[1].get("blockReason"))
    usage = None
    if (meta := _field(body, "usageMetadata", ())) is not None and isinstance(meta[1], dict):
        prompt = _as_int(meta[1].get("promptTokenCount"))
        answer = _as_int(meta[1].get("candidatesTokenCount"))
        thoughts = _as_int(meta[1].get("thoughtsTokenCount"))
        if thoughts is not None:
            answer = (answer or 0) + thoughts
        usage = Usage(prompt, answer)
    return _Answer(
        texts=tuple(texts),
        extra=tuple(extra),
        called=tuple(called),
        usage=usage,
        model=string_or_none(body.get("modelVersion")),
        finished=(bool(finished) and all(finished)) or (blocked and not finished),
    )


def _chunk_event(raw: bytes, data: bytes | str, *, sse: bool) -> StreamEvent:
    """One streamed ``GenerateContentResponse``; anything unparseable is an event without text."""
    chunk = json_object(data)
    if chunk is None:
        return StreamEvent(raw)
    if "error" in chunk:
        return StreamEvent(raw, terminal=sse)
    try:
        answer = _parse_answer(chunk)
    except MalformedRequest:
        return StreamEvent(raw)
    return StreamEvent(
        raw,
        text="".join(segment.text for segment in answer.texts),
        model=answer.model,
        usage=answer.usage,
        tools_called=answer.called,
        terminal=sse and answer.finished,
    )


def _sse_chunk(message: SseMessage) -> StreamEvent:
    """One ``alt=sse`` event: a chunk, or (without data) a comment forwarded as it is."""
    if not message.data.strip():
        return StreamEvent(message.raw)
    return _chunk_event(message.raw, message.data, sse=True)


_ARRAY_TOKEN = re.compile(rb'["{}\[\]]')
_STRING_TOKEN = re.compile(rb'["\\]')


class _JsonArraySplitter:
    """Cuts ``[{...},\\r\\n{...}]`` at the end of each top-level element, incrementally.

    Yields ``(raw, element)`` pairs: ``raw`` runs from the end of the previous cut to the end of the
    element (separators included, so the raws concatenate to the input); ``element`` is the
    element's own bytes, or None for the cut at the closing bracket of the array.
    """

    def __init__(self, max_event_bytes: int) -> None:
        self._buffer = bytearray()
        self._scanned = 0
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._element_start = -1
        self._max = max_event_bytes

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes | None]]:
        self._buffer += chunk
        buffer, cut, i = self._buffer, 0, self._scanned
        out: list[tuple[bytes, bytes | None]] = []
        while i < len(buffer):
            if self._escaped:
                self._escaped, i = False, i + 1
                continue
            if self._in_string:
                match = _STRING_TOKEN.search(buffer, i)
                if match is None:
                    break
                i = match.end()
                if buffer[match.start()] == 0x5C:  # backslash: the next byte is escaped
                    self._escaped = True
                else:
                    self._in_string = False
                continue
            match = _ARRAY_TOKEN.search(buffer, i)
            if match is None:
                break
            i, token = match.end(), buffer[match.start()]
            if token == 0x22:
                self._in_string = True
            elif token in b"{[":
                self._depth += 1
                # An element of the array, or an object outside any array (after its end).
                if self._depth == 2 or (self._depth == 1 and token == 0x7B):
                    self._element_start = match.start()
            elif self._depth > 0:  # a closer; one with nothing open is ignored
                self._depth -= 1
                if self._depth <= 1 and self._element_start >= 0:
                    out.append((bytes(buffer[cut:i]), bytes(buffer[self._element_start : i])))
                    cut, self._element_start = i, -1
                elif self._depth == 0:
                    out.append((bytes(buffer[cut:i]), None))
                    cut = i
        del buffer[:cut]
        self._scanned = len(buffer)
        if self._element_start >= 0:
            self._element_start -= cut
        if len(buffer) > self._max:
            raise MalformedRequest(f"stream event over {self._max} bytes")
        return out

    def close(self) -> bytes:
        rest, self._buffer = bytes(self._buffer), bytearray()
        return rest


class GeminiStreamDecoder:
    """``streamGenerateContent``: SSE chunks (``alt=sse``) or elements of one JSON array.

    In SSE form, the chunk whose candidates all carry a ``finishReason`` (or an error) is terminal;
    in array form, the closing ``]`` is.
    """

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._head = bytearray()
        self._sse: SseDecoder | None = None
        self._array: _JsonArraySplitter | None = None

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        if self._sse is None and self._array is None:
            self._head += chunk
            start = self._head.lstrip()
            if not start:
                if len(self._head) > self._max:
                    raise MalformedRequest(f"stream event over {self._max} bytes")
                return []
            chunk, self._head = bytes(self._head), bytearray()
            if start.startswith(b"["):
                self._array = _JsonArraySplitter(self._max)
            else:
                self._sse = SseDecoder(_sse_chunk, self._max)
        if self._sse is not None:
            return self._sse.feed(chunk)
        assert self._array is not None
        return [self._array_event(raw, element) for raw, element in self._array.feed(chunk)]

    def close(self) -> list[StreamEvent]:
        if self._sse is not None:
            return self._sse.close()
        rest = self._array.close() if self._array is not None else bytes(self._head)
        self._head = bytearray()
        return [StreamEvent(rest)] if rest else []

    @staticmethod
    def _array_event(raw: bytes, element: bytes | None) -> StreamEvent:
        if element is None:
            return StreamEvent(raw, terminal=True)
        return _chunk_event(raw, element, sse=False)


class GeminiAdapter:
    """Gemini's ``generateContent``, ``streamGenerateContent``, ``countTokens`` and embeddings.

    Segments: user text is a prompt; model turns, function results (every string inside
    ``functionResponse.response``) and code-execution results are documents; embedded texts are
    documents. ``params`` uses the common names (``topP`` -> ``top_p``, ``maxOutputTokens`` ->
    ``max_tokens``, ``candidateCount`` -> ``n``, ``responseLogprobs`` -> ``logprobs``, ``logprobs``
    -> ``top_logprobs``). ``tools_declared`` lists function names and built-in tools
    (``googleSearch``, ``codeExecution``, ...).
    """

    name: ClassVar[str] = "gemini"

    def parse_request(self, method: str, path: str, body: Any) -> ParsedRequest:
        model, rpc = _route(path)
        operation = _operation(rpc)
        if body is None and rpc not in _OPERATIONS:
            return ParsedRequest(operation=operation, model=model)
        body = expect_body(body, "request")
        if rpc == "embedContent":
            got = _Collected()
            _parse_embed(body, (), got)
        elif rpc == "batchEmbedContents":
            got = _Collected()
            for request_at, request in _items(body, "requests", ()):
                _parse_embed(expect_object(request, request_at), request_at, got)
        else:
            got = _parse_generate(body, ())
            if rpc == "countTokens" and (inner := _field(body, "generateContentRequest", ())):
                nested = _parse_generate(expect_object(inner[1], inner[0]), inner[0])
                got.segments += nested.segments
                got.system += nested.system
                got.declared += nested.declared
                got.called += nested.called
        return ParsedRequest(
            operation=operation,
            model=model,
            stream=rpc == "streamGenerateContent",
            segments=tuple(got.segments),
            system_prompt="\n".join(got.system),
            params=got.params,
            tools_declared=tuple(got.declared),
            tools_called=tuple(got.called),
            max_output_tokens=got.max_tokens,
        )

    def parse_response(self, path: str, body: Any) -> ParsedResponse:
        body = expect_body(body, "response")
        _, rpc = _route(path)
        if rpc == "countTokens":
            return ParsedResponse(usage=Usage(input_tokens=_as_int(body.get("totalTokens"))))
        if rpc in ("embedContent", "batchEmbedContents"):
            return ParsedResponse()
        answer = _parse_answer(body)
        return ParsedResponse(
            model=answer.model,
            segments=answer.texts + answer.extra,
            tools_called=answer.called,
            usage=answer.usage or Usage(),
        )

    def is_stream(self, path: str, body: Any) -> bool:
        return _route(path)[1] == "streamGenerateContent"

    def stream_decoder(self, path: str, max_event_bytes: int = 1 << 20) -> GeminiStreamDecoder:
        return GeminiStreamDecoder(max_event_bytes)

    def error(self, kind: ErrorKind, message: str) -> ErrorReply:
        return ErrorReply(STATUS[kind], json.dumps(self._error_body(kind, message)).encode())

    def stream_error(self, kind: ErrorKind, message: str) -> bytes:
        return b"data: " + json.dumps(self._error_body(kind, message)).encode() + b"\n\n"

    @staticmethod
    def _error_body(kind: ErrorKind, message: str) -> dict[str, Any]:
        return {"error": {"code": STATUS[kind], "message": message, "status": _ERROR_STATUS[kind]}}
