"""Leak detectors: secrets, personal data and the application's own system prompt in traffic.

Holds the one piece the secret and PII detectors share: :class:`Prefilter`, a Hyperscan database
that finds in a single pass where each rule can possibly match, so the (slower, exact) Python
regexes only run on small windows around those places. Benign text with no candidates then costs
one SIMD scan instead of dozens of regex passes, and a megabyte document with a handful of
candidates costs about the same as a short one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence

import hyperscan

from wardgate.detect.scratch import ScratchPool

# Past this many candidate positions in one text, windows stop paying off (and the per-match
# callbacks start to cost): the caller then scans the whole text for the rules present.
MAX_POSITIONS = 4096


class _Database:
    """One compiled Hyperscan database with a scratch space per thread."""

    def __init__(self, patterns: Sequence[tuple[str, bool]], flags: int) -> None:
        self._db = hyperscan.Database()
        self._db.compile(
            expressions=[p.encode("utf-8") for p, _ in patterns],
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[flags | (hyperscan.HS_FLAG_CASELESS if c else 0) for _, c in patterns],
        )
        self._scratches = ScratchPool(self._db)

    def scan(
        self, data: bytes, on_match: Callable[[int, int, int, int, object], bool | None]
    ) -> None:
        self._db.scan(data, match_event_handler=on_match, scratch=self._scratches.get())


class Prefilter:
    """Where each of a set of patterns occurs in a text; thread-safe.

    Patterns are Hyperscan (PCRE-subset) expressions over UTF-8 bytes, each a superset of a rule:
    a rule whose pattern is absent cannot match, and every match of the rule contains a match of
    its pattern, so a window around each pattern match is all the rule's regex needs to see.
    """

    def __init__(self, patterns: Sequence[tuple[str, bool]]) -> None:
        """``patterns`` holds ``(expression, caseless)`` pairs; ids are their positions."""
        self._size = len(patterns)
        if patterns:
            self._every = _Database(patterns, 0)
            self._first = _Database(patterns, hyperscan.HS_FLAG_SINGLEMATCH)

    def present(self, text: str) -> set[int]:
        """Ids of the patterns found anywhere in ``text``."""
        found: set[int] = set()
        if not text or not self._size:
            return found

        def on_match(rule: int, _start: int, _end: int, _flags: int, _ctx: object) -> None:
            found.add(rule)

        self._first.scan(_utf8(text), on_match)
        return found

    def regions(self, text: str, reach: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """Per pattern id, where its exact regex must run: the windows around candidates, or the
        whole text (for the patterns present) when there are too many candidates to window."""
        windows = self.windows(text, reach)
        if windows is None:
            whole = [(0, len(text))]
            windows = dict.fromkeys(self.present(text), whole)
        return windows

    def windows(self, text: str, reach: Sequence[int]) -> dict[int, list[tuple[int, int]]] | None:
        """Per pattern id, the merged character windows ``[end - reach, end + reach)`` around
        each match end; None when there are too many candidates to be worth windowing."""
        if not text or not self._size:
            return {}
        data = _utf8(text)
        ends: dict[int, list[int]] = {}
        count = 0

        def on_match(rule: int, _start: int, end: int, _flags: int, _ctx: object) -> bool:
            nonlocal count
            count += 1
            ends.setdefault(rule, []).append(end)
            return count >= MAX_POSITIONS  # True stops the scan

        try:
            self._every.scan(data, on_match)
        except hyperscan.ScanTerminated:
            return None
        to_char = None if text.isascii() else _char_offsets(data, ends)
        result: dict[int, list[tuple[int, int]]] = {}
        for rule, offsets in ends.items():
            merged: list[tuple[int, int]] = []
            for byte_end in offsets:
                end = byte_end if to_char is None else to_char(byte_end)
                lo, hi = max(0, end - reach[rule]), min(len(text), end + reach[rule])
                if merged and lo <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
                else:
                    merged.append((lo, hi))
            result[rule] = merged
        return result


def _utf8(text: str) -> bytes:
    # Lone surrogates cannot be UTF-8; '?' keeps every other character where it was.
    return text.encode("utf-8", "replace")


def _char_offsets(data: bytes, ends: dict[int, list[int]]) -> Callable[[int], int]:
    """A byte-offset to character-offset map for the given match ends, in one pass."""
    points = sorted({e for offsets in ends.values() for e in offsets})
    chars: list[int] = []
    prev_byte = prev_char = 0
    for point in points:
        prev_char += len(data[prev_byte:point].decode("utf-8", "ignore"))
        prev_byte = point
        chars.append(prev_char)

    def to_char(byte_end: int) -> int:
        return chars[bisect_right(points, byte_end) - 1]

    return to_char


def window_matches(
    pattern: re.Pattern[str], text: str, windows: Sequence[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` inside the windows.

    A match that ends exactly at a window's (inner) edge was cut short by the window, not by the
    text: every real match lies wholly inside its window, because windows reach past any match.
    """
    for lo, hi in windows:
        for m in pattern.finditer(text, lo, hi):
            if m.end() < hi or hi == len(text):
                yield m
