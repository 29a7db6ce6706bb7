"""Server-sent events framing (the WHATWG ``text/event-stream`` format), incrementally.

OpenAI, Anthropic and Gemini stream answers as SSE. The gateway must see each event whole (to scan
its text) and forward it byte for byte, so :class:`SseSplitter` cuts a byte stream at event
boundaries (a blank line: ``\\n\\n``, ``\\r\\n\\r\\n`` or ``\\r\\r``) and keeps an incomplete event until
the next chunk. Memory is bounded: an event over ``max_event_bytes`` is an error, not a buffer that
grows without end. :class:`SseDecoder` is the framing every SSE dialect shares; what an event means
is the dialect's ``read``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wardgate.gateway.providers.base import MalformedRequest, StreamEvent

_BOUNDARY = re.compile(rb"\r\n\r\n|\n\n|\r\r|\r\n\n|\n\r\n")
_LINE = re.compile(r"\r\n|\r|\n")
DEFAULT_MAX_EVENT_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class SseMessage:
    """One event: its raw bytes including the blank line that ended it, ``event`` (None when
    absent) and ``data`` (the data lines joined with newlines). Comment-only events (``: ping``)
    have ``data == ""`` and ``event is None``."""

    raw: bytes
    event: str | None
    data: str


def parse_event(raw: bytes) -> SseMessage:
    """Parse the fields of one complete event (invalid UTF-8 is replaced, never fatal)."""
    event: str | None = None
    data: list[str] = []
    for line in _LINE.split(raw.decode("utf-8", errors="replace")):
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    return SseMessage(raw, event, "\n".join(data))


def event_type(message: SseMessage, data: Mapping[str, Any]) -> str | None:
    """What kind of event ``message`` is: its data's ``type`` where that is a string (Anthropic and
    the Responses API send both, and they agree), else its ``event:`` line."""
    kind = data.get("type")
    return kind if isinstance(kind, str) else message.event


class SseSplitter:
    """Feed bytes as they arrive; get back each event once its blank line has arrived."""

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_event_bytes
        self._searched = 0  # bytes of the buffer already known to hold no boundary

    def feed(self, chunk: bytes) -> list[SseMessage]:
        self._buffer += chunk
        out: list[SseMessage] = []
        start = 0
        # A boundary may straddle two chunks ("\r\n\r" + "\n"): resume a little before the end
        # of what was searched, so a stream dripping one byte at a time costs linear time.
        pos = max(0, self._searched - 3)
        while match := _BOUNDARY.search(self._buffer, pos):
            if match.end() - start > self._max:
                raise MalformedRequest(f"stream event over {self._max} bytes")
            out.append(parse_event(bytes(self._buffer[start : match.end()])))
            start = pos = match.end()
        del self._buffer[:start]
        self._searched = len(self._buffer)
        if len(self._buffer) > self._max:
            raise MalformedRequest(f"stream event over {self._max} bytes")
        return out

    def close(self) -> list[SseMessage]:
        """The stream ended: what is left is a last event without its blank line (if any).
        Whitespace-only leftovers are returned too, so the bytes are reproduced exactly."""
        rest, self._buffer = bytes(self._buffer), bytearray()
        self._searched = 0
        return [parse_event(rest)] if rest else []


class SseDecoder:
    """A :class:`~wardgate.gateway.providers.base.StreamDecoder` for one SSE dialect: framing by
    :class:`SseSplitter`, meaning by ``read`` (one :class:`StreamEvent` per message, its ``raw``
    the message's bytes, so the events concatenate to the stream)."""

    def __init__(
        self,
        read: Callable[[SseMessage], StreamEvent],
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._splitter = SseSplitter(max_event_bytes)
        self._read = read

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return [self._read(message) for message in self._splitter.feed(chunk)]

    def close(self) -> list[StreamEvent]:
        return [self._read(message) for message in self._splitter.close()]
