"""The contract every provider adapter fulfils: one wire format in, Wardgate's view of it out.

An adapter knows one API dialect (OpenAI, Anthropic, Gemini, Ollama, ...). It turns a request body
into :class:`Segment` s, each one string of the body with its JSON path and what kind of text it is
(a user turn is a ``prompt``, a tool result or retrieved document is a ``document``, an answer is
``output``), so that the gateway can scan each and, to redact, write a new string back at the same
path. It parses streamed answers event by event, and it speaks the dialect's errors, so that a
blocked call raises the client SDK's normal exception.

Adapters are pure: no I/O, no state shared between requests (a :class:`StreamDecoder` holds the
state of one stream).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from wardgate.core.phase import InputKind

JsonPath = tuple[str | int, ...]
"""Where a string lives in a parsed JSON body: ``("messages", 2, "content", 0, "text")``."""


class ErrorKind(StrEnum):
    """Why the gateway answers instead of the upstream; each adapter maps it to its dialect."""

    BAD_REQUEST = "bad_request"  # malformed JSON, wrong shape, wrong content type: 400
    UNAUTHENTICATED = "unauthenticated"  # no or bad credentials: 401
    FORBIDDEN = "forbidden"  # authenticated, not authorised: 403
    NOT_FOUND = "not_found"  # no route: 404
    TOO_LARGE = "too_large"  # body over the limit: 413
    BLOCKED = "blocked"  # the policy blocked the content: 400 (what providers use for moderation)
    RATE_LIMITED = "rate_limited"  # request or token budget spent: 429
    UPSTREAM_ERROR = "upstream_error"  # upstream reset, refused or unparseable: 502
    UNAVAILABLE = "unavailable"  # a detector failed on a fail-closed route: 503
    UPSTREAM_TIMEOUT = "upstream_timeout"  # upstream did not answer in time: 504


STATUS: Mapping[ErrorKind, int] = {
    ErrorKind.BAD_REQUEST: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.BLOCKED: 400,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.UPSTREAM_ERROR: 502,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.UPSTREAM_TIMEOUT: 504,
}


class MalformedRequest(ValueError):
    """The body does not have the shape this dialect requires; the message says where."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One string of a body, where it lives (``path``), what it is (``kind``) and who said it."""

    text: str
    kind: InputKind
    path: JsonPath
    role: str = ""  # system, user, assistant, tool, document, ...


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens as the provider counted them (None where it did not say)."""

    input_tokens: int | None = None
    output_tokens: int | None = None

    @property
    def total(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """What an LLM request asks for.

    ``segments`` are the texts to scan (user turns as prompt; tool results, retrieved documents and
    assistant turns that quote external content as document). The system prompt is *not* a segment
    to scan for injection (the application wrote it) but is kept so output scans can recognise it.
    ``params`` holds sampling parameters as sent (temperature, top_p, max_tokens, n, logprobs,
    top_logprobs, seed, ...).
    """

    operation: str  # chat, responses, completions, messages, embeddings, generate, ...
    model: str | None = None
    stream: bool = False
    segments: tuple[Segment, ...] = ()
    system_prompt: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    tools_declared: tuple[str, ...] = ()
    tools_called: tuple[str, ...] = ()
    max_output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedResponse:
    """What a complete (non-streamed) answer says: its texts (kind output), tools and usage."""

    model: str | None = None
    segments: tuple[Segment, ...] = ()
    tools_called: tuple[str, ...] = ()
    usage: Usage = Usage()


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One complete event of a streamed answer: its bytes as received and what it says.

    ``text`` is the answer text this event adds (empty for control events); ``terminal`` marks the
    event that ends the stream (``[DONE]``, ``message_stop``, ``"done": true``).
    """

    raw: bytes
    text: str = ""
    model: str | None = None
    usage: Usage | None = None
    tools_called: tuple[str, ...] = ()
    terminal: bool = False


class StreamDecoder(Protocol):
    """Splits one streamed answer into events; bytes of an incomplete event are kept until the
    next chunk. Bounded: an event longer than ``max_event_bytes`` raises :class:`MalformedRequest`."""

    def feed(self, chunk: bytes) -> list[StreamEvent]: ...

    def close(self) -> list[StreamEvent]:
        """The end of the stream: flush what is left (a final event without its blank line)."""
        ...


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """An error answered in the dialect: status, content type and body."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


class ProviderAdapter(Protocol):
    """One API dialect. ``name`` is the route's ``provider`` value in the gateway configuration."""

    name: ClassVar[str]

    def parse_request(self, method: str, path: str, body: Any) -> ParsedRequest:
        """Parse a request body (already JSON-decoded) sent to ``path`` (the path after the
        route's prefix, e.g. ``/v1/chat/completions``). Raises :class:`MalformedRequest`."""
        ...

    def parse_response(self, path: str, body: Any) -> ParsedResponse:
        """Parse a complete JSON answer. Raises :class:`MalformedRequest` on a wrong shape."""
        ...

    def is_stream(self, path: str, body: Any) -> bool:
        """Whether the upstream will answer this request as a stream."""
        ...

    def stream_decoder(self, path: str, max_event_bytes: int = 1 << 20) -> StreamDecoder:
        """A decoder for one streamed answer; an event over ``max_event_bytes`` is an error."""
        ...

    def error(self, kind: ErrorKind, message: str) -> ErrorReply:
        """The dialect's error for ``kind``, so the client SDK raises its usual exception."""
        ...

    def stream_error(self, kind: ErrorKind, message: str) -> bytes:
        """One well-formed event that ends a stream with an error the SDK raises."""
        ...


def get_at(body: Any, path: JsonPath) -> Any:
    """The value at ``path`` in a parsed JSON body (KeyError/IndexError if absent)."""
    node = body
    for step in path:
        node = node[step]
    return node


def set_at(body: Any, path: JsonPath, value: Any) -> None:
    """Replace the value at ``path`` (in place): how redaction writes a rewritten string back."""
    if not path:
        raise ValueError("cannot replace the whole body")
    parent = get_at(body, path[:-1])
    parent[path[-1]] = value
