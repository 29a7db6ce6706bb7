"""The LOG phase: every finished exchange, handed to what comes after, never slowing a request.

A bounded queue sits between the request path and the consumers (discovery, inventory, abuse
analytics, incidents). Putting never waits: when the queue is full the exchange is dropped and
counted, because a slow consumer must not become a slow gateway. One task drains the queue and
calls each consumer in turn; a consumer that raises is logged and the others still run.

The consumers share the request path's event loop (and core). When traffic outruns them the queue
grows, and a backlog is worse than its length: exchanges that wait survive into the garbage
collector's oldest generation, whose full collections then pause every request (measured: 60-100
ms pauses with 6,000 exchanges queued at 500 req/s on two cores). So the phase *sheds* first:
while more than ``shed_depth`` exchanges wait, consumers registered as ``sheddable`` (the
inventories: a sample still shows every busy endpoint and model, though their call counts then
undercount) skip the exchange, each skip counted; the others (abuse analytics, incidents: security decisions) see every exchange the
queue holds. Only when those cannot keep up either does the queue fill and drop.
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

    def __init__(
        self,
        maxsize: int,
        *,
        shed_depth: int | None = None,
        on_drop: Callable[[], None] | None = None,
        on_shed: Callable[[str], None] | None = None,
    ) -> None:
        self._queue: asyncio.Queue[Exchange] = asyncio.Queue(maxsize)
        self._consumers: list[tuple[Consumer, str | None]] = []
        self._shed_depth = shed_depth
        self._on_drop = on_drop
        self._on_shed = on_shed
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.delivered = 0
        self.shed: dict[str, int] = {}

    def add_consumer(self, consumer: Consumer, *, sheddable: str | None = None) -> None:
        """Call ``consumer`` with every exchange; a ``sheddable`` one (named by the string, for
        the count) is skipped while the backlog is over ``shed_depth``."""
        self._consumers.append((consumer, sheddable))

    def remove_consumer(self, consumer: Consumer) -> None:
        self._consumers = [(c, s) for c, s in self._consumers if c is not consumer]

    @property
    def consumers(self) -> list[Consumer]:
        return [c for c, _ in self._consumers]

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
            shedding = self._shed_depth is not None and self._queue.qsize() > self._shed_depth
            try:
                for consumer, sheddable in self._consumers:
                    if shedding and sheddable is not None:
                        self.shed[sheddable] = self.shed.get(sheddable, 0) + 1
                        if self._on_shed is not None:
                            self._on_shed(sheddable)
                        continue
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
