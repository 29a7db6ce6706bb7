"""What the console's pages work with: the live gateway, the stores it shares with it, and the
console's own state (accounts, the exchange index, background jobs).

Changes made in the console reach the running gateway through the objects it already uses: a
revoked key is dropped from the authenticator's cache, a saved policy replaces the authorizer
the gateway consults on the next call, a merge edits the live templater. Every such change is
appended to the gateway's audit trail, the same one its decisions go to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wardgate import __version__
from wardgate.audit.log import AuditLog
from wardgate.console.accounts import AccountStore
from wardgate.console.endpoints import EndpointCatalogue
from wardgate.console.index import ExchangeIndex, IndexDatabase
from wardgate.console.passwords import DEFAULT_COST, Cost
from wardgate.console.ratelimit import LoginThrottle
from wardgate.console.security import Signer
from wardgate.console.settings import ConsoleSettings
from wardgate.console.templates import Templates
from wardgate.detect.scanner import Scanner
from wardgate.gateway.config import GatewayConfig
from wardgate.gateway.discovery_feed import DiscoveryConsumer
from wardgate.gateway.proxy import Gateway
from wardgate.incidents.store import IncidentStore
from wardgate.policy.authz import DEFAULT_POLICY
from wardgate.policy.keys import pepper_from_env
from wardgate.storage.inventory import InventoryStore
from wardgate.storage.keys import KeyStore
from wardgate.storage.sqlite import connect

log = logging.getLogger("wardgate.console")

CATALOGUE_REFRESH_S = 5.0


class Console:
    """The console's state and its handles on the gateway. One per process."""

    def __init__(
        self,
        gateway: Gateway,
        config: GatewayConfig,
        settings: ConsoleSettings,
        *,
        environ: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        password_cost: Cost = DEFAULT_COST,
    ) -> None:
        self.gateway = gateway
        self.config = config
        self.settings = settings
        self.environ = environ
        self.clock = clock
        database = Path(config.database) if config.database != ":memory:" else ":memory:"
        self.database = str(database)
        self.accounts = AccountStore.open(database, cost=password_cost, clock=clock)
        secret = environ.get(settings.session_secret_env)
        if not secret:
            log.warning(
                "no console session secret set; sessions end when the process restarts",
                extra={"wardgate": {"variable": settings.session_secret_env}},
            )
        self.signer = Signer.from_secret(secret)
        self.throttle = LoginThrottle(settings.login_attempts, settings.login_window_s)
        self.index_db = IndexDatabase(settings.index_path(config.database))
        self.index = ExchangeIndex(
            self.index_db,
            max_queue=settings.index_queue,
            retention_s=settings.retention_days * 86400.0,
            max_rows=settings.max_exchanges,
            clock=clock,
        )
        self._store_conn = connect(database)
        self.catalogue = EndpointCatalogue(self.index_db, self._store_conn, clock=clock)
        self.templates = Templates(poll_interval_s=settings.poll_interval_s, version=__version__)
        self.incidents = IncidentStore.open(
            database, reopen_within_s=config.incidents.reopen_within_s
        )
        self.keys: KeyStore | None = (
            KeyStore.open(database, pepper=pepper_from_env(environ))
            if config.auth.api_keys
            else None
        )
        self._inventory_store: InventoryStore | None = None
        self._own_audit: AuditLog | None = None
        try:
            text = config.policy_text()
        except OSError:
            text = None
        self.policy_text = text if text is not None else DEFAULT_POLICY
        self.cache: dict[str, Any] = {}
        self.refresh_s = CATALOGUE_REFRESH_S  # how often endpoint summaries catch up
        self.closers: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._read_conn = connect(database)
        self._read_lock = threading.Lock()

    # -- the gateway's parts ---------------------------------------------------------------------

    @property
    def discovery(self) -> DiscoveryConsumer | None:
        return self.gateway.c.discovery

    @property
    def scanner(self) -> Scanner:
        return self.gateway.c.inspector.scanner

    @property
    def inventory_store(self) -> InventoryStore:
        discovery = self.discovery
        if discovery is not None and discovery.store is not None:
            return discovery.store
        if self._inventory_store is None:
            self._inventory_store = InventoryStore.open(self.database)
        return self._inventory_store

    @property
    def audit_log(self) -> AuditLog | None:
        """The audit log (the gateway's when its trail is on, else the database's, read-only
        use), or None when the database has none."""
        audit = self.gateway.c.audit
        if audit is not None:
            return audit.log
        if self._own_audit is None:
            try:
                conn = connect(self.database)
                row = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_records'"
                ).fetchone()
                conn.close()
                if row is None:
                    return None
                self._own_audit = AuditLog.open(self.database)
            except (sqlite3.Error, ValueError):
                return None
        return self._own_audit

    async def record(self, kind: str, body: Mapping[str, Any]) -> int | None:
        """Append an event to the audit trail and wait until it is durable; its number.

        With the gateway's trail switched off the event goes to the database's log directly
        (as ``wardgate keys`` does), so console changes are audited either way."""
        audit = self.gateway.c.audit
        if audit is not None:
            ref = await audit.append(kind, body)
            return None if ref is None else ref.seq
        log_ = self.audit_log
        if log_ is None:
            self._own_audit = await asyncio.to_thread(AuditLog.open, self.database)
            log_ = self._own_audit
        ref = await asyncio.to_thread(log_.append, kind, body)
        return ref.seq

    def has_table(self, name: str) -> bool:
        """Whether the gateway's database has table ``name`` (another component's, maybe not
        built yet: the pages that need it then say so instead of creating it)."""
        return bool(
            self.read_store(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            )
        )

    def read_store(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one read query on the gateway's database (constant SQL, parameters bound)."""
        with self._read_lock:
            return list(self._read_conn.execute(sql, params).fetchall())

    # -- life ------------------------------------------------------------------------------------

    def attach(self) -> None:
        """Become a LOG-phase consumer of the gateway (call once, before traffic flows)."""
        self.gateway.c.log_phase.add_consumer(self.index)

    async def start(self) -> None:
        self.index.start()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._refresh_loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.index.aclose()

    def close(self) -> None:
        """Release every connection (after :meth:`stop`)."""
        self.index.close()
        closers = (self.accounts.close, self.incidents.close, self.catalogue.close)
        for closer in (*closers, self._close_reader):
            with contextlib.suppress(sqlite3.Error):
                closer()
        if self.keys is not None:
            self.keys.close()
        if self._own_audit is not None:
            self._own_audit.close()
        if self._inventory_store is not None:
            self._inventory_store.close()
        for extra in self.closers:
            with contextlib.suppress(sqlite3.Error):
                extra()
        self.index_db.close()

    def _close_reader(self) -> None:
        with self._read_lock:
            self._read_conn.close()

    async def _refresh_loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.catalogue.refresh)
            except Exception:
                log.exception("could not refresh the console's endpoint summaries")
            await asyncio.sleep(self.refresh_s)


__all__ = ["Console"]
