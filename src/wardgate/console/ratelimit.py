"""Login rate limiting: failed attempts per account name and address, in a sliding window.

Three counters, each a sliding window of failure times:

* the pair (name, address): ``attempts`` failures, the usual case of someone guessing;
* the address alone: ``4 x attempts``, one machine spraying many names;
* the name alone: ``10 x attempts``, many machines guessing one account (set high, because
  whoever can reach the login page could otherwise lock a colleague out on purpose).

Memory is bounded: at most ``max_entries`` keys are tracked, least recently used dropped first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class LoginThrottle:
    """``retry_after(name, address)`` before checking a password; ``failed``/``succeeded`` after."""

    def __init__(
        self,
        attempts: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        if attempts < 1 or window_s <= 0:
            raise ValueError("attempts and window_s must be positive")
        self._limits = {"pair": attempts, "address": 4 * attempts, "name": 10 * attempts}
        self._window = window_s
        self._clock = clock
        self._max = max_entries
        self._hits: OrderedDict[tuple[str, ...], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        name = name.lower()[:128]
        return [
            (("pair", name, address), self._limits["pair"]),
            (("address", address), self._limits["address"]),
            (("name", name), self._limits["name"]),
        ]

    def retry_after(self, name: str, address: str) -> float:
        """Seconds until another attempt is allowed (0.0: allowed now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key, limit in self._keys(name, address):
                hits = self._hits.get(key)
                if hits is None:
                    continue
                while hits and now - hits[0] >= self._window:
                    hits.popleft()
                if len(hits) >= limit:
                    wait = max(wait, self._window - (now - hits[0]))
        return wait

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key, limit in self._keys(name, address):
                hits = self._hits.get(key)
                if hits is None:
                    hits = self._hits[key] = deque(maxlen=limit)
                hits.append(now)
                self._hits.move_to_end(key)
            while len(self._hits) > self._max:
                self._hits.popitem(last=False)

    def succeeded(self, name: str, address: str) -> None:
        """A correct password clears the pair's failures (not the address's or the name's)."""
        with self._lock:
            self._hits.pop(("pair", name.lower()[:128], address), None)


__all__ = ["LoginThrottle"]
