"""The stream guard: bytes pass in order and unchanged, never more than the allowed text ahead of
inspection, a split secret is seen whole, a stop releases nothing more, the end waits for a check."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.gateway.providers.base import StreamEvent
from wardgate.gateway.streaming import Check, StreamGuard


class LineDecoder:
    """A toy dialect: one event per line; a line '!' ends the stream."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        self._buf += chunk
        *lines, self._buf = self._buf.split(b"\n")
        return [self._event(line + b"\n") for line in lines]

    def close(self) -> list[StreamEvent]:
        rest, self._buf = self._buf, b""
        return [self._event(rest)] if rest else []

    @staticmethod
    def _event(raw: bytes) -> StreamEvent:
        text = raw.decode().rstrip("\n")
        if text == "!":
            return StreamEvent(raw, terminal=True)
        return StreamEvent(raw, text=text)


SECRET = re.compile(r"SECRET-[0-9]{8}")


class Inspector:
    def __init__(self) -> None:
        self.windows: list[str] = []
        self.fulls: list[bool] = []

    def __call__(self, window: str, full: bool) -> Check:
        self.windows.append(window)
        self.fulls.append(full)
        found = [
            Finding("t", Category.SECRET, 0.9, Severity.HIGH, Span(m.start(), m.end()))
            for m in SECRET.finditer(window)
        ]
        return Check(bool(found), tuple(found))


def _run(
    chunks: list[bytes], ahead: int = 20, overlap: int = 32, every: int = 1_000_000
) -> tuple[bytes, StreamGuard]:
    guard = StreamGuard(
        LineDecoder(),
        Inspector(),
        release_ahead_chars=ahead,
        overlap_chars=overlap,
        inspect_every_chars=every,
    )
    out = b"".join(guard.feed(c) for c in chunks) + guard.close()
    return out, guard


def test_clean_stream_passes_byte_for_byte() -> None:
    stream = b"hello\nworld, this is\na clean answer\n!\n"
    out, guard = _run([stream[i : i + 3] for i in range(0, len(stream), 3)])
    assert out == stream
    assert guard.report.complete
    assert not guard.stopped
    assert guard.report.chars == len("helloworld, this isa clean answer")


def test_secret_split_over_two_events_is_caught_and_nothing_after_is_released() -> None:
    stream = b"the key is SECR\nET-12345678 and more\nafter\n!\n"
    out, guard = _run([stream], ahead=5)
    assert guard.stopped
    assert b"after" not in out
    assert b"!" not in out
    found = guard.report.findings[0]
    assert found.span is not None
    # the span is absolute in the answer text
    text = "the key is SECRET-12345678 and more"
    assert text[found.span.start : found.span.end] == "SECRET-12345678"


def test_terminal_event_waits_for_inspection() -> None:
    inspector = Inspector()
    guard = StreamGuard(
        LineDecoder(),
        inspector,
        release_ahead_chars=1000,
        overlap_chars=0,
        inspect_every_chars=1000,
    )
    assert guard.feed(b"short SECRET-00000000\n") == b"short SECRET-00000000\n"  # within bound
    assert guard.feed(b"!\n") == b""  # the end is held: the check runs first and stops
    assert guard.stopped


@given(
    st.lists(st.text(alphabet="abc xyz", min_size=0, max_size=30), min_size=1, max_size=20),
    st.integers(0, 50),
    st.integers(1, 7),
)
def test_never_more_than_the_bound_released_ahead(lines: list[str], ahead: int, step: int) -> None:
    stream = "".join(f"{line}\n" for line in lines).encode() + b"!\n"
    inspector = Inspector()
    guard = StreamGuard(
        LineDecoder(),
        inspector,
        release_ahead_chars=ahead,
        overlap_chars=4,
        inspect_every_chars=10**6,
    )
    released = b""
    for i in range(0, len(stream), step):
        released += guard.feed(stream[i : i + step])
        text_released = "".join(line for line in released.decode().split("\n")[:-1] if line != "!")
        assert len(text_released) - guard.report.inspected_chars <= ahead
    released += guard.close()
    assert released == stream
    assert guard.report.complete


@given(st.integers(0, 40), st.integers(1, 9))
def test_secret_anywhere_is_caught_whatever_the_chunking(position: int, step: int) -> None:
    body = "x" * position + "SECRET-87654321" + "y" * 10
    lines = [body[i : i + 6] for i in range(0, len(body), 6)]
    stream = "".join(f"{line}\n" for line in lines).encode() + b"!\n"
    out, guard = _run(
        [stream[i : i + step] for i in range(0, len(stream), step)], ahead=8, overlap=20
    )
    assert guard.stopped
    assert not out.endswith(b"!\n")


@given(st.integers(0, 40), st.integers(1, 9))
def test_by_default_no_complete_secret_is_ever_released(position: int, step: int) -> None:
    """Inspecting every event before release: the event completing a secret is never sent."""
    body = "x" * position + "SECRET-87654321" + "y" * 10
    lines = [body[i : i + 4] for i in range(0, len(body), 4)]
    stream = "".join(f"{line}\n" for line in lines).encode() + b"!\n"
    guard = StreamGuard(LineDecoder(), Inspector(), overlap_chars=32)
    out = b"".join(guard.feed(stream[i : i + step]) for i in range(0, len(stream), step))
    out += guard.close()
    assert guard.stopped
    assert "SECRET-87654321" not in out.decode().replace("\n", "")
    assert guard.report.released_uninspected_max <= 200


class FullOnlyInspector(Inspector):
    """Finds the secret on full checks only, as the gateway's web-attack detector runs only
    there; records each check's (window length, full) so the cadence can be asserted."""

    def __call__(self, window: str, full: bool) -> Check:
        if full:
            return super().__call__(window, full)
        self.windows.append(window)
        self.fulls.append(full)
        return Check(False)


@given(st.integers(0, 120), st.integers(1, 9), st.integers(8, 60))
def test_what_only_the_full_check_sees_is_stopped_within_the_bound(
    position: int, step: int, ahead: int
) -> None:
    body = "x" * position + "SECRET-87654321" + "y" * 80
    lines = [body[i : i + 3] for i in range(0, len(body), 3)]
    stream = "".join(f"{line}\n" for line in lines).encode() + b"!\n"
    inspector = FullOnlyInspector()
    guard = StreamGuard(LineDecoder(), inspector, overlap_chars=64, release_ahead_chars=ahead)
    out = b"".join(guard.feed(stream[i : i + step]) for i in range(0, len(stream), step))
    out += guard.close()
    assert guard.stopped
    released = out.decode().replace("\n", "")
    assert len(released) - (position + len("SECRET-87654321")) <= ahead
    assert guard.report.released_uninspected_max <= ahead
    assert False in inspector.fulls  # per-event quick checks ran as well


def test_quick_checks_per_event_and_a_full_check_every_bound() -> None:
    inspector = FullOnlyInspector()
    guard = StreamGuard(LineDecoder(), inspector, overlap_chars=64, release_ahead_chars=20)
    stream = b"".join(b"abcd\n" for _ in range(30)) + b"!\n"
    assert guard.feed(stream) + guard.close() == stream
    assert guard.report.complete
    fulls = [i for i, full in enumerate(inspector.fulls) if full]
    assert len(inspector.fulls) == 31  # every event checked before release, the end included
    assert inspector.fulls[-1]  # the end waits for a full check
    # 4 characters an event, a full check whenever more than 20 would pass the last one
    assert all(b - a <= 6 for a, b in zip([-1, *fulls], fulls, strict=False))
    assert guard.report.released_uninspected_max <= 20


@given(st.integers(0, 40), st.integers(1, 9))
def test_secrets_longer_than_the_quick_overlap_are_caught_by_the_full_check(
    position: int, step: int
) -> None:
    """Quick checks read 4 characters back (too few for the 15-character secret); the full
    check every 20 characters still stops the stream within that bound."""
    body = "x" * position + "SECRET-87654321" + "y" * 40
    lines = [body[i : i + 3] for i in range(0, len(body), 3)]
    stream = "".join(f"{line}\n" for line in lines).encode() + b"!\n"
    guard = StreamGuard(
        LineDecoder(),
        Inspector(),
        overlap_chars=64,
        quick_overlap_chars=4,
        release_ahead_chars=20,
    )
    out = b"".join(guard.feed(stream[i : i + step]) for i in range(0, len(stream), step))
    out += guard.close()
    assert guard.stopped
    released = out.decode().replace("\n", "")
    secret_end = position + len("SECRET-87654321")
    assert len(released) - secret_end <= 20


@given(st.integers(0, 120), st.integers(1, 9), st.integers(8, 60))
def test_settling_between_sends_keeps_the_bound_and_catches_late_findings(
    position: int, step: int, ahead: int
) -> None:
    """The gateway calls ``settle`` after each send: full checks then run early, between events,
    and what only they see still stops the stream within the bound."""
    body = "x" * position + "SECRET-87654321" + "y" * 80
    lines = [body[i : i + 3] for i in range(0, len(body), 3)]
    stream = "".join(f"{line}\n" for line in lines).encode() + b"!\n"
    inspector = FullOnlyInspector()
    guard = StreamGuard(LineDecoder(), inspector, overlap_chars=64, release_ahead_chars=ahead)
    out = b""
    for i in range(0, len(stream), step):
        out += guard.feed(stream[i : i + step])
        out += guard.settle()
        if guard.stopped:
            break
    out += guard.close()
    assert guard.stopped
    released = out.decode().replace("\n", "")
    assert len(released) - (position + len("SECRET-87654321")) <= ahead
    assert guard.report.released_uninspected_max <= ahead


def test_settle_runs_the_full_check_before_the_next_events_would_wait() -> None:
    inspector = Inspector()
    guard = StreamGuard(LineDecoder(), inspector, overlap_chars=64, release_ahead_chars=20)
    full_at: list[int] = []
    for _ in range(30):
        assert guard.feed(b"abcd\n") == b"abcd\n"
        assert not inspector.fulls[-1]  # the check before release was a quick one
        due = guard.settle_due()  # what the gateway asks before yielding to other streams
        checks = len(inspector.fulls)
        assert guard.settle() == b""
        assert (len(inspector.fulls) > checks) is due
        if inspector.fulls[-1]:
            full_at.append(guard.report.chars)
    # a full check as soon as two more 4-character events would pass 20 characters: every 4th
    # event (16 characters), so no event ever waited for one
    assert full_at == list(range(16, 121, 16))
    assert guard.report.released_uninspected_max == 16
    assert guard.feed(b"!\n") == b"!\n"
    assert guard.report.complete
