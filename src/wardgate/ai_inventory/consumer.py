"""The AI catalogue inside the gateway: the LOG phase feeds it, never the request path.

Every finished exchange is observed into an in-memory :class:`Catalogue`; every ``flush_s``
seconds (and at shutdown, via :meth:`AIInventoryConsumer.flush`) what was observed since the
last flush is handed to the store on a worker thread, which merges it into the stored catalogue.
The in-memory catalogue is emptied on each flush, so memory stays bounded by one interval's
models and several replicas can add to one database without counting a call twice. A failed
save puts the entries back, to be retried at the next flush.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from wardgate.ai_inventory.catalogue import Catalogue
from wardgate.ai_inventory.store import AIInventoryStore
from wardgate.core.exchange import Exchange

log = logging.getLogger("wardgate.ai_inventory")


class AIInventoryConsumer:
    """A LOG-phase consumer: ``await consumer(exchange)``."""

    def __init__(
        self,
        catalogue: Catalogue,
        store: AIInventoryStore | None = None,
        *,
        flush_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalogue = catalogue
        self.store = store
        self.flush_s = flush_s
        self._clock = clock
        self._last_flush = clock()
        self._flushing = False
        self.failed = 0
        self.saved = 0

    async def __call__(self, exchange: Exchange) -> None:
        self.catalogue.observe_exchange(exchange)
        if self.store is not None and self._clock() - self._last_flush >= self.flush_s:
            await self.flush()

    async def flush(self) -> int:
        """Save what was observed since the last flush; returns how many entries were saved."""
        self._last_flush = self._clock()
        store = self.store
        if store is None or self._flushing or not len(self.catalogue):
            return 0
        entries = self.catalogue.drain()
        self._flushing = True
        try:
            saved = await asyncio.to_thread(store.save, entries)
        except Exception:  # the database is busy or gone: keep the counts for the next flush
            self.failed += 1
            self.catalogue.merge(entries)
            log.warning("could not save the AI model catalogue; retrying at the next flush")
            return 0
        finally:
            self._flushing = False
        self.saved += saved
        return saved


__all__ = ["AIInventoryConsumer"]
