"""SSE framing: the same events whatever the chunking, every line-ending style, bounded memory."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.gateway.providers.streams import any_split, byte_by_byte, feed
from wardgate.gateway.providers.base import MalformedRequest, StreamEvent
from wardgate.gateway.providers.sse import (
    SseDecoder,
    SseMessage,
    SseSplitter,
    event_type,
    parse_event,
)


def run(pieces: list[bytes]) -> list[SseMessage]:
    return feed(SseSplitter(), pieces)


# A valid stream: events of field lines (event, data, id, retry, comments), each event written
# with one line-ending style and ended by a blank line in that style.
VALUE = st.text(
    st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=12
)
LINE = st.one_of(
    st.tuples(st.just("data"), VALUE),
    st.tuples(st.just("event"), VALUE.filter(bool)),
    st.tuples(st.just("id"), VALUE),
    st.tuples(st.just(":"), VALUE),  # a comment
    st.tuples(st.just("retry"), st.integers(0, 9999).map(str)),
)
EVENT = st.tuples(st.lists(LINE, min_size=1, max_size=5), st.sampled_from(["\n", "\r\n", "\r"]))


def render(lines: list[tuple[str, str]], newline: str) -> tuple[bytes, str | None, str]:
    """The event's bytes and the (event, data) a reader must see."""
    text, event, data = "", None, []
    for name, value in lines:
        if name == ":":
            text += f":{value}{newline}"
            continue
        text += f"{name}: {value}{newline}"
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    return (text + newline).encode(), event, "\n".join(data)


@settings(max_examples=120, deadline=None)
@given(events=st.lists(EVENT, min_size=1, max_size=6), data=st.data())
def test_any_split_gives_the_same_events(events, data):
    rendered = [render(lines, newline) for lines, newline in events]
    stream = b"".join(raw for raw, _, _ in rendered)
    got = run(data.draw(any_split(stream, 20)))
    assert got == run([stream])
    assert [(m.raw, m.event, m.data) for m in got] == rendered


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: a\n\ndata: b\n\n", [("a", b"data: a\n\n"), ("b", b"data: b\n\n")]),
        (b"data: a\r\n\r\ndata: b\r\n\r\n", [("a", b"data: a\r\n\r\n"), ("b", b"data: b\r\n\r\n")]),
        (b"data: a\r\rdata: b\r\r", [("a", b"data: a\r\r"), ("b", b"data: b\r\r")]),
        (b"data: a\r\n\ndata: b\n\r\n", [("a", b"data: a\r\n\n"), ("b", b"data: b\n\r\n")]),
        (b"data: one\ndata: two\n\n", [("one\ntwo", b"data: one\ndata: two\n\n")]),
        (b"data:no-space\n\n", [("no-space", b"data:no-space\n\n")]),
        (b"data:  two spaces\n\n", [(" two spaces", b"data:  two spaces\n\n")]),
        (b"data\n\n", [("", b"data\n\n")]),
    ],
    ids=["lf", "crlf", "cr", "mixed", "multi-line", "no-space", "extra-space", "bare-field"],
)
def test_boundaries_and_fields(stream, expected):
    for pieces in ([stream], byte_by_byte(stream)):
        assert [(m.data, m.raw) for m in run(pieces)] == expected


@pytest.mark.parametrize(
    "pieces",
    [
        [b"data: x\r\n\r", b"\ndata: y\r\n\r\n"],
        [b"data: x\r\n", b"\r\ndata: y\r\n\r\n"],
        [b"data: x\r", b"\n\r\ndata: y\r\n\r\n"],
    ],
)
def test_boundary_straddling_two_chunks(pieces):
    assert [m.raw for m in run(pieces)] == [b"data: x\r\n\r\n", b"data: y\r\n\r\n"]


def test_an_event_waits_for_its_blank_line():
    splitter = SseSplitter()
    assert splitter.feed(b"event: message_stop\ndata: {}\n") == []
    (message,) = splitter.feed(b"\n")
    assert (message.event, message.data) == ("message_stop", "{}")


def test_comments_are_events_without_data():
    (ping,) = run([b": keep-alive\n\n"])
    assert (ping.event, ping.data, ping.raw) == (None, "", b": keep-alive\n\n")
    (message,) = run([b": note\ndata: x\n: another\n\n"])
    assert message.data == "x"


def test_close_flushes_a_last_event_without_its_blank_line():
    splitter = SseSplitter()
    assert splitter.feed(b"data: [DONE]") == []
    assert splitter.close() == [SseMessage(b"data: [DONE]", None, "[DONE]")]
    assert splitter.close() == []


def test_invalid_utf8_is_replaced_not_fatal():
    (message,) = run([b"data: caf\xc3\n\n"])
    assert message.data == "caf\ufffd"
    assert message.raw == b"data: caf\xc3\n\n"


def test_multibyte_character_split_across_chunks():
    stream = "data: wörld ✓\n\n".encode()
    assert run(byte_by_byte(stream))[0].data == "wörld ✓"


def test_oversized_incomplete_event_raises():
    splitter = SseSplitter(max_event_bytes=16)
    assert splitter.feed(b"data: 0123456789") == []  # 16 bytes: at the limit, kept
    with pytest.raises(MalformedRequest, match="over 16 bytes"):
        splitter.feed(b"X")


def test_oversized_event_fed_in_small_chunks_raises():
    splitter = SseSplitter(max_event_bytes=64)
    for _ in range(8):  # 64 bytes: at the limit, kept
        assert splitter.feed(b"data: xx") == []
    with pytest.raises(MalformedRequest):
        splitter.feed(b"data: xx")


def test_events_under_the_limit_never_accumulate():
    splitter = SseSplitter(max_event_bytes=32)
    for _ in range(1000):
        assert len(splitter.feed(b"data: 0123456789\n\n")) == 1


def test_oversized_complete_event_in_one_chunk_raises():
    with pytest.raises(MalformedRequest):
        SseSplitter(max_event_bytes=16).feed(b"data: " + b"x" * 100 + b"\n\n")


def test_trailing_whitespace_is_kept_byte_for_byte():
    stream = b"data: x\n\n\n"
    assert b"".join(m.raw for m in run([stream])) == stream


def test_parse_event_ignores_unknown_fields():
    message = parse_event(b"id: 7\nretry: 100\nfoo: bar\nevent: ping\n\n")
    assert (message.event, message.data) == ("ping", "")


def test_decoder_reads_each_message_and_keeps_its_bytes():
    """SseDecoder: the dialect's ``read`` sees each whole message, once, in order; the events it
    makes are what the decoder gives back, the last one flushed by close."""
    seen: list[SseMessage] = []

    def read(message: SseMessage) -> StreamEvent:
        seen.append(message)
        return StreamEvent(message.raw, text=message.data, terminal=message.event == "end")

    decoder = SseDecoder(read)
    stream = b"data: a\n\nevent: end\ndata: b"
    events = feed(decoder, byte_by_byte(stream))
    assert [(m.event, m.data) for m in seen] == [(None, "a"), ("end", "b")]
    assert events == [
        StreamEvent(b"data: a\n\n", text="a"),
        StreamEvent(b"event: end\ndata: b", text="b", terminal=True),
    ]


def test_decoder_memory_is_bounded():
    decoder = SseDecoder(lambda message: StreamEvent(message.raw), max_event_bytes=16)
    with pytest.raises(MalformedRequest, match="over 16 bytes"):
        decoder.feed(b"data: " + b"x" * 20)


@pytest.mark.parametrize(
    ("raw", "data", "kind"),
    [
        (b"event: a\ndata: {}\n\n", {"type": "b"}, "b"),  # the data says, where it can
        (b"event: a\ndata: {}\n\n", {}, "a"),
        (b"event: a\ndata: {}\n\n", {"type": ["b"]}, "a"),
        (b"data: {}\n\n", {"type": 3}, None),
    ],
)
def test_event_type(raw, data, kind):
    assert event_type(parse_event(raw), data) == kind
