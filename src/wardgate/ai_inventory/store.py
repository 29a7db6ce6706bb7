"""The AI model catalogue in SQLite: one row per entry, merged on save.

Several writers fill one catalogue: every gateway replica flushes what its traffic added since
its last flush, and ``wardgate inventory scan --db`` adds what a code scan found. Saving never
replaces a row: it merges the incoming entry into the stored one (counts add, sets unite,
first/last seen widen) under the same matching rule as the in-memory catalogue
(:func:`~wardgate.ai_inventory.catalogue.resolve`), inside one ``BEGIN IMMEDIATE``
transaction, so two writers cannot lose each other's counts. Writers therefore save deltas,
never a running total twice.

The entry is a JSON column; provider, model, deployment, approval and last-seen are columns of
their own, indexed, so listings filter and page in SQL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from wardgate.ai_inventory.catalogue import ModelEntry, resolve
from wardgate.ai_inventory.policy import Allowlist
from wardgate.storage.sqlite import connect, migrate, transaction

_MIGRATIONS = (
    (
        "ai-inventory-0001",
        (
            """CREATE TABLE ai_models (
                key TEXT PRIMARY KEY,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                deployment TEXT NOT NULL,
                approved INTEGER,
                unapproved_calls INTEGER NOT NULL,
                calls INTEGER NOT NULL,
                first_seen REAL NOT NULL,
                last_seen REAL NOT NULL,
                entry TEXT NOT NULL
            )""",
            "CREATE INDEX ai_models_provider ON ai_models (provider)",
            "CREATE INDEX ai_models_model ON ai_models (model)",
            "CREATE INDEX ai_models_deployment ON ai_models (deployment)",
            "CREATE INDEX ai_models_approved ON ai_models (approved)",
            "CREATE INDEX ai_models_last_seen ON ai_models (last_seen)",
        ),
    ),
)
MAX_PAGE = 10_000
MAX_MODELS = 100_000


class AIInventoryStore:
    """The stored catalogue; thread-safe (one lock around the shared connection).

    At most ``max_models`` rows: model names come from clients, so a caller spraying invented
    names must not grow the database without bound; entries for new models beyond it are
    dropped (counted in ``dropped``), while known models keep being updated.
    """

    def __init__(self, conn: sqlite3.Connection, *, max_models: int = MAX_MODELS) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.max_models = max(1, max_models)
        self.dropped = 0
        with self._lock:
            for name, statements in _MIGRATIONS:
                migrate(conn, name, statements)

    @classmethod
    def open(cls, path: str | Path, *, max_models: int = MAX_MODELS) -> AIInventoryStore:
        return cls(connect(path), max_models=max_models)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def save(self, entries: Iterable[ModelEntry]) -> int:
        """Merge ``entries`` (deltas) into the stored catalogue; returns how many rows changed."""
        changed = 0
        with self._lock, transaction(self._conn):
            rows_now = int(self._conn.execute("SELECT COUNT(*) FROM ai_models").fetchone()[0])
            for incoming in entries:
                rows = self._conn.execute(
                    "SELECT entry FROM ai_models WHERE model = ? OR key = ?",
                    (incoming.model, incoming.key),
                ).fetchall()
                stored = [ModelEntry.from_dict(json.loads(r[0])) for r in rows]
                target = resolve(incoming, stored)
                if target is None:
                    if rows_now >= self.max_models:
                        self.dropped += 1
                        continue
                    self._write(incoming)
                    rows_now += 1
                else:
                    old_key = target.key
                    target.merge(incoming)
                    if target.key != old_key:
                        # adopted under the served key: the row moves
                        self._conn.execute("DELETE FROM ai_models WHERE key = ?", (old_key,))
                        clash = next(
                            (s for s in stored if s is not target and s.key == target.key), None
                        )
                        if clash is not None:
                            clash.merge(target)
                            target = clash
                            rows_now -= 1
                    self._write(target)
                changed += 1
        return changed

    def _write(self, entry: ModelEntry) -> None:
        self._conn.execute(
            "INSERT INTO ai_models (key, provider, model, deployment, approved, unapproved_calls,"
            " calls, first_seen, last_seen, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET provider=excluded.provider, model=excluded.model,"
            " deployment=excluded.deployment, approved=excluded.approved,"
            " unapproved_calls=excluded.unapproved_calls, calls=excluded.calls,"
            " first_seen=excluded.first_seen, last_seen=excluded.last_seen, entry=excluded.entry",
            (
                entry.key,
                entry.provider,
                entry.model,
                entry.deployment,
                None if entry.approved is None else int(entry.approved),
                entry.unapproved_calls,
                entry.calls,
                entry.first_seen,
                entry.last_seen,
                json.dumps(entry.to_dict(), sort_keys=True, ensure_ascii=False),
            ),
        )

    def load(self) -> list[ModelEntry]:
        """Every stored entry, most recently seen first."""
        return self.list(limit=None)

    def list(
        self,
        *,
        deployment: str | None = None,
        provider: str | None = None,
        unapproved: bool | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[ModelEntry]:
        """Entries matching every given filter, most recently seen first, one page.

        ``unapproved=True``: shadow AI (a model off the allowlist, or a caller it is not approved
        for); ``False``: the rest (including entries never judged)."""
        where, params = _filters(deployment, provider, unapproved)
        sql = f"SELECT entry FROM ai_models{where} ORDER BY last_seen DESC, key"  # noqa: S608 - constant clauses
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [max(0, min(limit, MAX_PAGE)), max(0, offset)]
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [ModelEntry.from_dict(json.loads(r[0])) for r in rows]

    def count(
        self,
        *,
        deployment: str | None = None,
        provider: str | None = None,
        unapproved: bool | None = None,
    ) -> int:
        where, params = _filters(deployment, provider, unapproved)
        with self._lock:
            row = self._conn.execute(f"SELECT COUNT(*) FROM ai_models{where}", params).fetchone()  # noqa: S608
        return int(row[0])

    def apply_allowlist(self, allowlist: Allowlist) -> int:
        """Judge every stored model against ``allowlist`` (``approved``); returns how many rows
        changed. Callers already recorded as unapproved stay recorded."""
        changed = 0
        with self._lock, transaction(self._conn):
            rows = self._conn.execute("SELECT entry FROM ai_models").fetchall()
            for row in rows:
                entry = ModelEntry.from_dict(json.loads(row[0]))
                verdict = allowlist.approves_model(entry)
                if verdict != entry.approved:
                    entry.approved = verdict
                    self._write(entry)
                    changed += 1
        return changed


def _filters(
    deployment: str | None, provider: str | None, unapproved: bool | None
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if deployment is not None:
        clauses.append("deployment = ?")
        params.append(deployment)
    if provider is not None:
        clauses.append("provider = ?")
        params.append(provider)
    if unapproved is True:
        clauses.append("(approved = 0 OR unapproved_calls > 0)")
    elif unapproved is False:
        clauses.append("(approved IS NOT 0 AND unapproved_calls = 0)")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


__all__ = ["AIInventoryStore"]
