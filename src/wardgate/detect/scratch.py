"""Hyperscan scratch space, one per thread.

A compiled Hyperscan database is immutable and shared, but each concurrent scan needs its own
scratch space; cloning a prototype per thread keeps detectors thread-safe without a lock per scan.
"""

from __future__ import annotations

import threading

import hyperscan


class ScratchPool:
    """Hands each thread its own scratch for one database (cloned once, then reused)."""

    def __init__(self, db: hyperscan.Database) -> None:
        self._prototype = hyperscan.Scratch(db)
        self._local = threading.local()
        self._lock = threading.Lock()

    def get(self) -> hyperscan.Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            with self._lock:  # cloning reads the prototype; keep it single-file
                scratch = self._prototype.clone()
            self._local.scratch = scratch
        return scratch
