"""Cutting tokenised text into the overlapping windows the classifier reads.

The model reads at most ``window`` tokens at a time. Longer text is read in windows that overlap by
``window - stride`` tokens, so a sentence cut by one window boundary is whole in the next; each
window keeps the character span it covers, so a finding points at the injected passage inside a
long document. Training and the runtime share this code, so the model is judged on exactly the
kind of window it was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CLS_ID = 101
SEP_ID = 102


@dataclass(frozen=True, slots=True)
class Window:
    """Token ids with [CLS]/[SEP] added, and the character span ``[start, end)`` they cover."""

    ids: tuple[int, ...]
    start: int
    end: int


def cut(
    ids: Sequence[int],
    offsets: Sequence[tuple[int, int]],
    *,
    window: int,
    stride: int,
    text_length: int,
) -> list[Window]:
    """Windows of at most ``window`` content tokens every ``stride`` tokens (the last one flush
    with the end). Empty input gives one empty window, so that every text gets a score."""
    if window < 1 or not 0 < stride <= window:
        raise ValueError(f"need 0 < stride <= window, got window={window} stride={stride}")
    n = len(ids)
    if n <= window:
        start = offsets[0][0] if n else 0
        end = offsets[-1][1] if n else text_length
        return [Window((CLS_ID, *ids, SEP_ID), start, end)]
    starts = list(range(0, n - window, stride))
    starts.append(n - window)
    return [
        Window(
            (CLS_ID, *ids[s : s + window], SEP_ID),
            offsets[s][0],
            offsets[s + window - 1][1],
        )
        for s in starts
    ]
