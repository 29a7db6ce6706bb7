"""Discovery inside the gateway: the LOG phase feeds the inventory, never the request path.

Every finished exchange becomes an observation folded into an in-memory :class:`Inventory`;
every ``flush_s`` seconds (and at shutdown) the records are saved to the store, which records the
change events; endpoints this gateway saved before and has since folded into a template
(``/users/7`` once ``/users/{id}`` is known) are retired from it. Saving runs on a worker thread
so the event loop keeps serving requests.
Optionally each observation is also published to a Redis Stream, so that discovery workers
elsewhere (``wardgate discover --stream``) see the traffic of every replica.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from wardgate.core.exchange import Exchange
from wardgate.discovery import sensitive
from wardgate.discovery.inventory import Inventory
from wardgate.discovery.sources.exchange import from_exchange
from wardgate.storage.inventory import ChangeEvent, InventoryStore

log = logging.getLogger("wardgate.discovery")


class DiscoveryConsumer:
    """A LOG-phase consumer: ``await consumer(exchange)``."""

    def __init__(
        self,
        inventory: Inventory,
        store: InventoryStore | None = None,
        *,
        flush_s: float = 30.0,
        publisher: Callable[[Any], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inventory = inventory
        self.store = store
        self.flush_s = flush_s
        self._publisher = publisher
        self._clock = clock
        self._last_flush = clock()
        self._saved: set[tuple[str, str, str]] = set()  # what this gateway's last save held
        self.failed = 0

    def prepare(self) -> None:
        """What the first exchange would otherwise build on the event loop (a blocking call)."""
        sensitive.prepare()

    async def __call__(self, exchange: Exchange) -> None:
        observation = from_exchange(exchange)
        self.inventory.observe(observation)
        if self._publisher is not None:
            try:
                await self._publisher(observation)
            except Exception:  # a traffic bus outage must not stop local discovery
                self.failed += 1
                log.warning("could not publish an observation to the traffic stream")
        if self.store is not None and self._clock() - self._last_flush >= self.flush_s:
            await self.flush()

    async def flush(self) -> list[ChangeEvent]:
        """Save the inventory now (records are computed here, written on a thread)."""
        self._last_flush = self._clock()
        if self.store is None:
            return []
        records = self.inventory.records()
        state = self.inventory.templater.to_dict()
        store = self.store
        keys = {r.key for r in records}
        # endpoints this gateway saved before and has since folded into a template
        retired = sorted(self._saved - keys)

        def save() -> list[ChangeEvent]:
            events = store.save(records, retire=retired)
            store.save_templater(state)
            return events

        events = await asyncio.to_thread(save)
        self._saved = keys
        if events:
            log.info(
                "inventory changed",
                extra={"wardgate": {"events": [e.to_dict() for e in events[:50]]}},
            )
        return events
