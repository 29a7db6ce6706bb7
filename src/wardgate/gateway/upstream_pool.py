"""The upstream connection pool, with a hand-out that costs the same however large it grew.

httpx pools connections with httpcore, whose pool re-examines every connection each time a
request starts or ends: it polls the socket of every idle connection (a system call each) and, for
every queued request, filters the whole list again. Under a burst the pool grows, every request
then pays for every connection, the gateway falls further behind, the pool grows again: a
gateway at 75% of a core tips into collapse (issue encode/httpcore#1035 describes the same
quadratic pass). This pool keeps httpcore's connections, request queue and locking and replaces
only that pass:

* the one idle connection about to be handed out is polled (a connection the upstream closed
  while it sat idle is never reused); all idle connections are polled at most once a second, so
  keep-alive expiry still closes what a burst left behind;
* idle connections beyond the keep-alive limit are counted as idle (httpcore 1.0 counts every
  connection, and closes idle ones only to open new ones);
* queued requests are matched in one pass, and a connection is given to one request per pass.

Only the plain (no proxy) pool is replaced: ``UpstreamTransport`` is an ``httpx`` transport like
any other, so routes, tests and error mapping are unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import httpcore
import httpx

SWEEP_S = 1.0
"""How often every idle connection is polled for expiry (keep-alive time, upstream close)."""


class UpstreamConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's pool with a linear, poll-once assignment pass (see the module docstring)."""

    _next_sweep: float = 0.0

    def _assign_requests_to_connections(self) -> list[Any]:
        closing: list[Any] = []
        now = time.monotonic()
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + SWEEP_S
        kept: list[Any] = []
        idle = 0
        connection: Any
        for connection in self._connections:
            if connection.is_closed():
                continue
            if connection.is_idle():
                if sweep and connection.has_expired():
                    closing.append(connection)
                    continue
                idle += 1
            kept.append(connection)
        surplus = idle - (self._max_keepalive_connections or 0)
        if surplus > 0:
            lean: list[Any] = []
            for connection in kept:
                if surplus > 0 and connection.is_idle():
                    closing.append(connection)
                    surplus -= 1
                else:
                    lean.append(connection)
            kept = lean
        self._connections = kept

        queued = [request for request in self._requests if request.is_queued()]
        if not queued:
            return closing
        spoken_for = {r.connection for r in self._requests if r.connection is not None}
        available = [c for c in kept if c.is_available() and c not in spoken_for]
        for pool_request in queued:
            origin = pool_request.request.url.origin
            connection = self._take(available, origin, closing)
            if connection is None:
                if len(self._connections) < self._max_connections:
                    connection = self.create_connection(origin)
                    self._connections.append(connection)
                else:  # full: close an idle connection (another origin's) to make room
                    victim = next(
                        (c for c in self._connections if c.is_idle() and c not in spoken_for),
                        None,
                    )
                    if victim is None:
                        continue  # stays queued until a connection frees up
                    self._connections.remove(victim)
                    closing.append(victim)
                    connection = self.create_connection(origin)
                    self._connections.append(connection)
            pool_request.assign_to_connection(connection)
            spoken_for.add(connection)
        return closing

    def _take(self, available: list[Any], origin: Any, closing: list[Any]) -> Any | None:
        """The first available connection to ``origin``; an idle one is polled first, and
        dropped (closed) when the upstream has closed it or its keep-alive ran out."""
        i = 0
        while i < len(available):
            connection = available[i]
            if not connection.can_handle_request(origin):
                i += 1
                continue
            del available[i]
            if connection.is_idle() and connection.has_expired():
                self._connections.remove(connection)
                closing.append(connection)
                continue
            return connection
        return None


class UpstreamTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` on an :class:`UpstreamConnectionPool`."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        pool = self._pool
        if type(pool) is not httpcore.AsyncConnectionPool:  # pragma: no cover - httpx changed
            raise RuntimeError(f"unexpected httpx pool {type(pool).__name__}")
        pool.__class__ = UpstreamConnectionPool  # same state, the assignment pass replaced


__all__ = ["SWEEP_S", "UpstreamConnectionPool", "UpstreamTransport"]
