"""Stream helpers shared by the adapter tests: feed a decoder a stream cut anywhere, and check that
its events say the same and give back the bytes exactly (what the gateway forwards is the events'
``raw``, so a byte lost or doubled here is a byte lost or doubled on the wire)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from wardgate.gateway.providers.base import StreamDecoder, StreamEvent

T = TypeVar("T")


class Feedable(Protocol[T]):
    """A stream decoder or splitter: anything fed bytes that gives back items and is closed."""

    def feed(self, chunk: bytes) -> list[T]: ...

    def close(self) -> list[T]: ...


def split(stream: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``stream`` cut at each offset of ``cuts`` (in any order; repeats give empty pieces)."""
    ordered = sorted(cuts)
    return [stream[a:b] for a, b in zip([0, *ordered], [*ordered, len(stream)], strict=True)]


def byte_by_byte(stream: bytes) -> list[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def any_split(stream: bytes, max_cuts: int = 30) -> st.SearchStrategy[list[bytes]]:
    """``stream`` cut at up to ``max_cuts`` places Hypothesis picks."""
    return st.lists(st.integers(0, len(stream)), max_size=max_cuts).map(
        lambda cuts: split(stream, cuts)
    )


def feed(decoder: Feedable[T], chunks: Iterable[bytes]) -> list[T]:
    """Feed ``chunks`` in order, then close: everything the decoder gives back."""
    out: list[T] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out + decoder.close()


def assert_split_changes_nothing(
    new_decoder: Callable[[], StreamDecoder], stream: bytes, chunks: list[bytes]
) -> list[StreamEvent]:
    """The events of ``stream`` fed as ``chunks`` are those of the whole stream at once, and
    their bytes are the stream's. Returns the events."""
    events = feed(new_decoder(), chunks)
    assert events == feed(new_decoder(), [stream])
    assert b"".join(event.raw for event in events) == stream
    return events


def assert_forwards_bytes(events: list[StreamEvent], stream: bytes) -> None:
    """Whatever the stream (garbage included), the events give back its bytes in order; only
    trailing whitespace may be left unforwarded."""
    joined = b"".join(event.raw for event in events)
    assert stream.startswith(joined)
    assert not stream[len(joined) :].strip()


def sse_data(*payloads: Any, newline: str = "\n") -> bytes:
    """Data-only SSE events, one a payload (a string as it is, anything else as JSON)."""
    out = []
    for payload in payloads:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        out.append(f"data: {data}{newline}{newline}")
    return "".join(out).encode()


def typed_event(kind: str, *, newline: str = "\n", **fields: Any) -> str:
    """An SSE event as Anthropic and the Responses API send them: the event line and the data's
    ``type`` name the same kind."""
    data = json.dumps({"type": kind, **fields})
    return f"event: {kind}{newline}data: {data}{newline}{newline}"
