"""Inspecting a streamed answer while it streams.

A provider streams an answer as events (SSE or NDJSON). The :class:`StreamGuard` passes them to
the client in order and byte for byte. It inspects once ``inspect_every_chars`` characters of new
text have arrived — by default every event, *before* releasing it — and never lets the client get
more than ``release_ahead_chars`` characters beyond what has been inspected, whatever the cadence.
Each inspection reads the new text plus ``overlap_chars`` of what came before, so a secret or a
system-prompt fragment split across two chunks is seen whole the moment its last piece arrives,
before that piece is released: the client gets at most the fragments that were harmless alone.
Raising ``inspect_every_chars`` trades that guarantee (up to ``release_ahead_chars``) for CPU. If the check says stop, the guard releases nothing more, and the gateway ends
the stream with the provider's own error event. The terminal event (``[DONE]``, ``message_stop``)
is released only after everything before it has been inspected, so a client never sees a clean
end of a stream that was not fully checked.

The guard does no I/O and keeps only a bounded tail of the text, so memory per stream is constant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from wardgate.core.finding import Finding, Span
from wardgate.gateway.providers.base import StreamDecoder, StreamEvent, Usage


@dataclass(frozen=True, slots=True)
class Check:
    """What an inspection of a window of text says: stop the stream or not, and the findings
    (spans relative to the window's start)."""

    stop: bool
    findings: tuple[Finding, ...] = ()


Inspect = Callable[[str, bool], Check]
"""``inspect(window, full)``: ``full`` is False for the per-event quick check (the gateway runs
its leak detectors alone there) and True for the periodic and final full checks (every detector)."""


@dataclass(slots=True)
class StreamReport:
    """What the guard saw of one stream, for metrics and the LOG phase."""

    events: int = 0
    chars: int = 0
    inspections: int = 0
    inspected_chars: int = 0  # answer text read by a full check (== chars when complete)
    stopped: bool = False
    ended: bool = False  # the provider's end-of-stream event was seen (and checked)
    released_uninspected_max: int = 0  # most text ever released past the last full check
    findings: list[Finding] = field(default_factory=list)
    model: str | None = None
    usage: Usage | None = None
    tools_called: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # the answer's text, when keep_text is set

    @property
    def complete(self) -> bool:
        """Every character of the answer was inspected."""
        return self.inspected_chars == self.chars


class StreamGuard:
    """Feed upstream bytes in; get back the bytes the client may have now."""

    def __init__(
        self,
        decoder: StreamDecoder,
        inspect: Inspect,
        *,
        release_ahead_chars: int = 200,
        overlap_chars: int = 512,
        inspect_every_chars: int = 1,
        quick_overlap_chars: int = 128,
        keep_text: bool = False,
    ) -> None:
        self._decoder = decoder
        self._inspect = inspect
        self._ahead = release_ahead_chars
        self._every = max(1, inspect_every_chars)
        self._overlap = overlap_chars
        self._quick = min(quick_overlap_chars, overlap_chars)
        self._full = 0  # absolute offset up to which a full-overlap check has read
        self._keep_text = keep_text
        self._pending: list[StreamEvent] = []
        self._tail = ""  # text from absolute offset self._tail_start to the end
        self._tail_start = 0
        self._inspected = 0  # absolute offset up to which text was inspected
        self._released = 0  # absolute offset up to which text was released
        self._last_chars = 0  # size of the last text event: how soon the bound may be reached
        self.report = StreamReport()

    @property
    def stopped(self) -> bool:
        return self.report.stopped

    def feed(self, chunk: bytes) -> bytes:
        """Bytes the client may receive now (possibly empty). After a stop, always empty."""
        if self.report.stopped:
            return b""
        return self._take(self._decoder.feed(chunk), final=False)

    def close(self) -> bytes:
        """The upstream ended the stream: inspect what is left and release the rest."""
        if self.report.stopped:
            return b""
        return self._take(self._decoder.close(), final=True)

    def settle_due(self) -> bool:
        """Whether :meth:`settle` would run a full check now."""
        if self.report.stopped:
            return False
        since = self.report.chars - self._full
        return since > 0 and since + 2 * self._last_chars > self._ahead

    def settle(self) -> bytes:
        """Call after sending what ``feed`` returned: when the next events (judged by the size of
        the last one) would reach the release allowance, run the full check now, while the
        client already has this event, rather than holding the next one behind it. Returns
        bytes that may now be released (possibly empty); afterwards ``stopped`` says whether
        the stream must end."""
        if not self.settle_due():
            return b""
        if not self._check(full=True):
            return b""
        return b"".join(self._flush_within_bound())

    def _take(self, events: Sequence[StreamEvent], *, final: bool) -> bytes:
        out: list[bytes] = []
        for event in events:
            self._note(event)
            uninspected = self.report.chars - self._inspected
            if (
                event.terminal
                or uninspected >= self._every
                or self.report.chars - self._full > self._ahead
            ):
                # Time to inspect (enough new text), or releasing this event would put more than
                # the allowed text past inspection, or end the stream: inspect first.
                if not self._check(full=event.terminal):
                    return b"".join(out)
                out.extend(self._flush())
            self._pending.append(event)
        if final and self._full < self.report.chars and not self._check(full=True):
            return b"".join(out)
        out.extend(self._flush_within_bound())
        return b"".join(out)

    def _note(self, event: StreamEvent) -> None:
        report = self.report
        report.events += 1
        if event.terminal:
            report.ended = True
        if event.text:
            report.chars += len(event.text)
            self._last_chars = len(event.text)
            self._tail += event.text
            if self._keep_text:
                report.text.append(event.text)
        if event.model:
            report.model = event.model
        if event.usage is not None:
            report.usage = _merge_usage(report.usage, event.usage)
        report.tools_called.extend(event.tools_called)

    def _check(self, *, full: bool = False) -> bool:
        """Inspect the new text; False when the stream must stop.

        A quick check reads the new text plus ``quick_overlap_chars`` before it; a full check,
        due once ``release_ahead_chars`` characters have passed since the last one (and at the
        end), reads everything since the last full check plus ``overlap_chars``. So a secret of
        up to the quick overlap is caught before its last piece is released, and any longer one
        (up to the full overlap) within ``release_ahead_chars`` characters.
        """
        full = full or self.report.chars - self._full > self._ahead
        if full:
            start = max(self._tail_start, self._full - self._overlap)
        else:
            start = max(self._tail_start, self._inspected - self._quick)
        window = self._tail[start - self._tail_start :]
        result = self._inspect(window, full)
        report = self.report
        report.inspections += 1
        self._inspected = report.chars
        report.findings.extend(_shift(f, start) for f in result.findings)
        if full:
            self._full = report.chars
            report.inspected_chars = report.chars
        keep_from = max(0, self._full - self._overlap)
        self._tail = self._tail[keep_from - self._tail_start :]
        self._tail_start = keep_from
        if result.stop:
            report.stopped = True
            self._pending.clear()
            return False
        return True

    def _flush(self) -> list[bytes]:
        out = [e.raw for e in self._pending]
        self._released += sum(len(e.text) for e in self._pending)
        self._pending.clear()
        return out

    def _flush_within_bound(self) -> list[bytes]:
        """Release pending events while the text released past the last full check stays within
        the bound."""
        out: list[bytes] = []
        while self._pending:
            event = self._pending[0]
            ahead = self._released + len(event.text) - self._full
            if ahead > self._ahead:
                break
            self.report.released_uninspected_max = max(self.report.released_uninspected_max, ahead)
            out.append(event.raw)
            self._released += len(event.text)
            self._pending.pop(0)
        return out


def _shift(finding: Finding, offset: int) -> Finding:
    if finding.span is None:
        return finding
    span = Span(finding.span.start + offset, finding.span.end + offset)
    return replace(finding, span=span)


def _merge_usage(old: Usage | None, new: Usage) -> Usage:
    if old is None:
        return new
    return Usage(
        input_tokens=new.input_tokens if new.input_tokens is not None else old.input_tokens,
        output_tokens=new.output_tokens if new.output_tokens is not None else old.output_tokens,
    )
