"""The LOG phase: every finished exchange, handed to what comes after, never slowing a request.

A bounded queue sits between the request path and the consumers (discovery, inventory, abuse
analytics, audit). Putting never waits: when the queue is full the exchange is dropped and counted,
because a slow consumer must not become a slow gateway. One task drains the queue and calls each
consumer in turn; a consumer that raises is logged and the others still run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from wardgate.core.exchange import Exchange

Consumer = Callable[[Exchange], Awaitable[None]]
log = logging.getLogger("wardgate.log_phase")


class LogPhase:
    """``submit`` from the request path; consumers run on a background task."""

    def __init__(self, maxsize: int, *, on_drop: Callable[[], None] | None = None) -> None:
        self._queue: asyncio.Queue[Exchange] = asyncio.Queue(maxsize)
        self._consumers: list[Consumer] = []
        self._on_drop = on_drop
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.delivered = 0

    def add_consumer(self, consumer: Consumer) -> None:
        self._consumers.append(consumer)

    def submit(self, exchange: Exchange) -> bool:
        """Queue ``exchange``; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(exchange)
        except asyncio.QueueFull:
            self.dropped += 1
            if self._on_drop is not None:
                self._on_drop()
            return False
        return True

    def depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, drain_timeout_s: float = 5.0) -> None:
        """Deliver what is queued (within the timeout), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), drain_timeout_s)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            exchange = await self._queue.get()
            try:
                for consumer in self._consumers:
                    try:
                        await consumer(exchange)
                    except Exception:  # a consumer's bug must not stop the others
                        log.exception("LOG-phase consumer failed", extra={"exchange": exchange.id})
                self.delivered += 1
            finally:
                self._queue.task_done()
            # Consumers are mostly synchronous work: let requests run between two exchanges, or
            # a backlog would be drained in one long stretch that stalls every request behind it.
            await asyncio.sleep(0)
