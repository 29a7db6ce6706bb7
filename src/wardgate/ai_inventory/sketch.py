"""Bounded counting for the catalogue: top-N counts and distinct counts in fixed memory.

A popular model can have a million callers; its catalogue entry must stay a few kilobytes.
:class:`TopCounter` keeps at most ``capacity`` keys with the Space-Saving rule (a new key evicts
the smallest and inherits its count, so a heavy hitter is never lost and counts over-estimate by
at most the evicted count). :class:`DistinctSketch` estimates how many distinct values were seen
with a k-minimum-values sketch: exact up to ``k`` values, about ±1/sqrt(k) beyond, and two
sketches merge by keeping the smallest ``k`` hashes of both.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_CAPACITY = 64
DEFAULT_K = 256
_SPACE = float(1 << 64)


class TopCounter:
    """Counts per key, at most ``capacity`` keys (Space-Saving eviction)."""

    __slots__ = ("_counts", "capacity")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = max(1, capacity)
        self._counts: dict[str, int] = {}

    def add(self, key: str, count: int = 1) -> None:
        if count <= 0:
            return
        counts = self._counts
        if key in counts:
            counts[key] += count
            return
        if len(counts) >= self.capacity:
            smallest = min(counts, key=counts.__getitem__)
            count += counts.pop(smallest)
        counts[key] = count

    def update(self, other: TopCounter | Mapping[str, int]) -> None:
        for key, count in other.items():
            self.add(key, count)

    def items(self) -> list[tuple[str, int]]:
        """Keys by count, highest first (ties by key)."""
        return sorted(self._counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def top(self, n: int) -> list[tuple[str, int]]:
        return self.items()[: max(0, n)]

    def get(self, key: str) -> int:
        return self._counts.get(key, 0)

    def total(self) -> int:
        return sum(self._counts.values())

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, key: object) -> bool:
        return key in self._counts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TopCounter) and self._counts == other._counts

    __hash__ = None  # type: ignore[assignment]  # mutable: equal by content, not hashable

    def __repr__(self) -> str:
        return f"TopCounter({dict(self.items())!r})"

    def to_dict(self) -> dict[str, int]:
        return dict(self.items())

    @classmethod
    def from_data(cls, data: Any, capacity: int = DEFAULT_CAPACITY) -> TopCounter:
        """From :meth:`to_dict` output; anything malformed in it is skipped."""
        counter = cls(capacity)
        if isinstance(data, Mapping):
            for key, count in data.items():
                if isinstance(key, str) and type(count) is int:
                    counter.add(key, count)
        return counter


class DistinctSketch:
    """How many distinct strings were added (k minimum values of a 64-bit hash)."""

    __slots__ = ("_heap", "_members", "k")

    def __init__(self, k: int = DEFAULT_K) -> None:
        self.k = max(2, k)
        self._heap: list[int] = []  # negated hashes: the root is the largest kept
        self._members: set[int] = set()

    @staticmethod
    def hash(value: str) -> int:
        digest = hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def add(self, value: str) -> None:
        self._add_hash(self.hash(value))

    def _add_hash(self, h: int) -> None:
        if h in self._members:
            return
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, -h)
            self._members.add(h)
        elif h < -self._heap[0]:
            evicted = -heapq.heapreplace(self._heap, -h)
            self._members.discard(evicted)
            self._members.add(h)

    def update(self, other: DistinctSketch | Iterable[int]) -> None:
        hashes = other._members if isinstance(other, DistinctSketch) else other
        for h in list(hashes):
            self._add_hash(h)

    def estimate(self) -> int:
        """Exact below ``k`` distinct values; the KMV estimate (k-1)/kth-smallest beyond."""
        if len(self._heap) < self.k:
            return len(self._heap)
        kth = -self._heap[0]
        return round((self.k - 1) * _SPACE / (kth + 1))

    def to_list(self) -> list[int]:
        return sorted(self._members)

    @classmethod
    def from_data(cls, data: Any, k: int = DEFAULT_K) -> DistinctSketch:
        sketch = cls(k)
        if isinstance(data, list):
            sketch.update(h for h in data if type(h) is int and 0 <= h < 1 << 64)
        return sketch


__all__ = ["DEFAULT_CAPACITY", "DEFAULT_K", "DistinctSketch", "TopCounter"]
