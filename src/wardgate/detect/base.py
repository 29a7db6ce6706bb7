"""The contract between the detection pipeline and every detector.

A detector inspects a :class:`TextView` (the normalised text, or a payload decoded out of it) and
returns findings whose spans are in *view* coordinates; the pipeline maps them back to the original
text and records the transformation chain. Detectors never build responses: policy decides.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from wardgate.core.finding import Finding, Span
from wardgate.core.phase import InputKind, Phase


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Maps positions in a transformed text back to the original, piecewise.

    Segment ``i`` covers transformed positions ``[t_starts[i], t_starts[i+1])`` and came from
    original ``[o_starts[i], o_ends[i])``. A segment is either *copied* (same length on both sides,
    positions map one to one) or *replaced* (any position maps to the whole original range). Storing
    segments instead of one entry per character keeps memory bounded on multi-megabyte inputs.
    """

    t_starts: tuple[int, ...]
    o_starts: tuple[int, ...]
    o_ends: tuple[int, ...]
    copied: tuple[bool, ...]
    t_length: int

    @classmethod
    def identity(cls, length: int) -> OffsetMap:
        return cls((0,), (0,), (length,), (True,), length)

    def _segment(self, pos: int) -> int:
        return max(0, bisect_right(self.t_starts, pos) - 1)

    def to_original(self, start: int, end: int) -> Span:
        """Map the transformed half-open range ``[start, end)`` to a span of the original."""
        if not self.t_starts:
            return Span(0, 0)
        start = min(max(start, 0), self.t_length)
        end = min(max(end, start), self.t_length)
        i = self._segment(start)
        if self.copied[i]:
            o_start = min(self.o_starts[i] + (start - self.t_starts[i]), self.o_ends[i])
        else:
            o_start = self.o_starts[i]
        last = max(start, end - 1)
        j = self._segment(last)
        if self.copied[j]:
            o_end = min(self.o_starts[j] + (last - self.t_starts[j]) + 1, self.o_ends[j])
            if end == start:
                o_end = o_start
        else:
            o_end = self.o_ends[j]
        return Span(o_start, max(o_start, o_end))


class OffsetMapBuilder:
    """Builds a transformed text and its :class:`OffsetMap` in one left-to-right pass."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._t: list[int] = []
        self._os: list[int] = []
        self._oe: list[int] = []
        self._copied: list[bool] = []
        self._length = 0

    def copy(self, text: str, o_start: int) -> None:
        """Append ``text``, which is verbatim original text starting at ``o_start``."""
        if not text:
            return
        if self._copied and self._copied[-1] and self._oe[-1] == o_start:
            self._oe[-1] = o_start + len(text)  # extend the previous copied segment
        else:
            self._push(o_start, o_start + len(text), copied=True)
        self._parts.append(text)
        self._length += len(text)

    def replace(self, text: str, o_start: int, o_end: int) -> None:
        """Append ``text``, derived from original ``[o_start, o_end)``; empty text drops the range."""
        if not text:
            return
        self._push(o_start, o_end, copied=False)
        self._parts.append(text)
        self._length += len(text)

    def _push(self, o_start: int, o_end: int, *, copied: bool) -> None:
        self._t.append(self._length)
        self._os.append(o_start)
        self._oe.append(o_end)
        self._copied.append(copied)

    def build(self) -> tuple[str, OffsetMap]:
        text = "".join(self._parts)
        return text, OffsetMap(
            tuple(self._t), tuple(self._os), tuple(self._oe), tuple(self._copied), self._length
        )


@dataclass(frozen=True, slots=True)
class TextView:
    """A text a detector inspects, and the way back from its positions to the original text.

    ``chain`` is empty for the normalised input and names the decoders for a decoded payload, e.g.
    ``("base64",)``. ``origin`` is set for decoded payloads: the span of the original text that
    carried the payload, to which every finding inside the payload is anchored.
    """

    text: str
    kind: InputKind
    chain: tuple[str, ...] = ()
    offsets: OffsetMap | None = None
    origin: Span | None = None
    mirrored: bool = False  # the view is the base view read backwards (reversed-text evasion)

    def to_original(self, start: int, end: int) -> Span:
        if self.origin is not None:
            return self.origin
        if self.mirrored:
            n = len(self.text)
            start, end = n - end, n - start
        if self.offsets is None:
            return Span(start, end)
        return self.offsets.to_original(start, end)


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What detectors may know about the call beyond the text itself.

    ``system_prompt`` and ``canaries`` let the leak detector recognise the application's own system
    prompt in a model's answer; they are never copied into findings.
    """

    system_prompt: str = ""
    canaries: tuple[str, ...] = ()
    language_hint: str = ""
    extras: dict[str, str] = field(default_factory=dict)


class DetectorConfig(BaseModel):
    """Base of every detector's typed options; unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    budget_ms: float = 50.0
    # The phases of an exchange this detector runs in (REQUEST for what goes to the model,
    # RESPONSE for what comes back); LOG-phase analytics are not text detectors.
    phases: frozenset[Phase] = frozenset({Phase.REQUEST, Phase.RESPONSE})


@runtime_checkable
class Detector(Protocol):
    """What the pipeline needs of a detector.

    ``kinds`` says which inputs it applies to; ``inspect`` returns findings with spans in the view's
    coordinates (the pipeline re-anchors them). It must not mutate shared state: one detector
    instance serves concurrent requests.
    """

    name: ClassVar[str]
    kinds: frozenset[InputKind]

    def inspect(self, view: TextView, context: ScanContext) -> Sequence[Finding]: ...


class LateDetector(Detector, Protocol):
    """A detector that runs after all the others, knowing their combined score (``prior``), so
    that an expensive model can leave clear cases to the cheap stages (a cascade)."""

    late: ClassVar[bool]

    def inspect_after(
        self, view: TextView, context: ScanContext, prior: float
    ) -> Sequence[Finding]: ...


def is_late(detector: Detector) -> bool:
    return bool(getattr(detector, "late", False))


ALL_KINDS: frozenset[InputKind] = frozenset(InputKind)
