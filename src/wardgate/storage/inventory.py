"""The endpoint inventory in SQLite, and the change events that saving it produces.

Saving a fresh set of records compares each with what the store holds and records what changed
that a security team cares about: a new endpoint, a new sensitive field, a change in how callers
authenticate, a new AI endpoint. The records themselves are JSON (schemas, counts, kinds of
sensitive data — never raw values).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardgate.discovery.model import EndpointRecord
from wardgate.storage.sqlite import connect, migrate

_MIGRATIONS = (
    (
        "inventory-0001",
        (
            """CREATE TABLE endpoints (
                host TEXT NOT NULL,
                method TEXT NOT NULL,
                template TEXT NOT NULL,
                record TEXT NOT NULL,
                first_seen REAL NOT NULL,
                last_seen REAL NOT NULL,
                calls INTEGER NOT NULL,
                PRIMARY KEY (host, method, template)
            )""",
            """CREATE TABLE endpoint_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at REAL NOT NULL,
                kind TEXT NOT NULL,
                host TEXT NOT NULL,
                method TEXT NOT NULL,
                template TEXT NOT NULL,
                detail TEXT NOT NULL
            )""",
            "CREATE INDEX endpoint_events_at ON endpoint_events (at)",
            """CREATE TABLE templater_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                state TEXT NOT NULL
            )""",
        ),
    ),
    (
        # Readers (the console) catch up by revision, not by last_seen: a record that traffic
        # re-templates later keeps an old last_seen, and a reader watching last_seen would miss it.
        "inventory-0002-revision",
        (
            "ALTER TABLE endpoints ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX endpoints_revision ON endpoints (revision)",
            """CREATE TABLE inventory_revision (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                revision INTEGER NOT NULL
            )""",
            "INSERT INTO inventory_revision (id, revision) VALUES (1, 0)",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """Something new about an endpoint: ``new_endpoint``, ``new_sensitive_field``,
    ``auth_change`` or ``new_ai_endpoint``; ``detail`` says what (never a raw value)."""

    at: float
    kind: str
    host: str
    method: str
    template: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "kind": self.kind,
            "host": self.host,
            "method": self.method,
            "template": self.template,
            "detail": self.detail,
        }


class InventoryStore:
    """Endpoints, their change events and the templater's remembered state."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        with self._lock:
            for name, statements in _MIGRATIONS:
                migrate(conn, name, statements)

    @classmethod
    def open(cls, path: str | Path) -> InventoryStore:
        return cls(connect(path))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def load(self) -> list[EndpointRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT record FROM endpoints ORDER BY host, template, method"
            ).fetchall()
        return [EndpointRecord.from_dict(json.loads(r[0])) for r in rows]

    def save(
        self,
        records: Iterable[EndpointRecord],
        *,
        now: float | None = None,
        retire: Iterable[tuple[str, str, str]] = (),
    ) -> list[ChangeEvent]:
        """Upsert ``records``; return (and store) the change events against what was stored.

        A saved record replaces the stored one for its endpoint (the saving inventory's counts
        are the truth), except ``first_seen``, which keeps the earliest ever seen. ``retire``
        names endpoints the saver held before and has since folded into a template: they are
        deleted, so nobody reads ``/users/1001`` next to ``/users/{id}``. Every record whose
        content changed gets the next :meth:`revision`."""
        at = time.time() if now is None else now
        events: list[ChangeEvent] = []
        with self._lock, self._conn:
            revision = self._revision() + 1
            changed = 0
            for record in records:
                row = self._conn.execute(
                    "SELECT record FROM endpoints WHERE host=? AND method=? AND template=?",
                    record.key,
                ).fetchone()
                old = None if row is None else EndpointRecord.from_dict(json.loads(row[0]))
                events.extend(_changes(old, record, at))
                if (
                    old is not None
                    and old.first_seen
                    and (not record.first_seen or old.first_seen < record.first_seen)
                ):
                    record.first_seen = old.first_seen  # first seen is the earliest ever
                text = json.dumps(record.to_dict(), sort_keys=True)
                if row is not None and row[0] == text:
                    continue
                changed += 1
                self._conn.execute(
                    "INSERT INTO endpoints (host, method, template, record, first_seen, last_seen,"
                    " calls, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, method,"
                    " template) DO UPDATE SET record=excluded.record,"
                    " first_seen=excluded.first_seen, last_seen=excluded.last_seen,"
                    " calls=excluded.calls, revision=excluded.revision",
                    (
                        *record.key,
                        text,
                        record.first_seen,
                        record.last_seen,
                        record.count,
                        revision,
                    ),
                )
            for key in retire:
                changed += self._conn.execute(
                    "DELETE FROM endpoints WHERE host=? AND method=? AND template=?", key
                ).rowcount
            if changed:
                self._conn.execute("UPDATE inventory_revision SET revision = ?", (revision,))
            self._conn.executemany(
                "INSERT INTO endpoint_events (at, kind, host, method, template, detail)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(e.at, e.kind, e.host, e.method, e.template, e.detail) for e in events],
            )
        return events

    def revision(self) -> int:
        """Bumped by every save that changed or retired a record (readers poll it)."""
        with self._lock:
            return self._revision()

    def _revision(self) -> int:
        row = self._conn.execute("SELECT revision FROM inventory_revision").fetchone()
        return int(row[0])

    def events(self, *, since: float = 0.0, limit: int = 1000) -> list[ChangeEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT at, kind, host, method, template, detail FROM endpoint_events"
                " WHERE at >= ? ORDER BY id LIMIT ?",
                (since, limit),
            ).fetchall()
        return [ChangeEvent(*row) for row in rows]

    def save_templater(self, state: dict[str, Any]) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO templater_state (id, state) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET state=excluded.state",
                (json.dumps(state),),
            )

    def load_templater(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT state FROM templater_state WHERE id = 1").fetchone()
        return None if row is None else dict(json.loads(row[0]))


def _changes(old: EndpointRecord | None, new: EndpointRecord, at: float) -> list[ChangeEvent]:
    def event(kind: str, detail: str) -> ChangeEvent:
        return ChangeEvent(at, kind, new.host, new.method, new.template, detail)

    if old is None:
        out = [event("new_endpoint", f"{new.count} calls")]
        if new.ai:
            out.append(event("new_ai_endpoint", new.ai))
        out.extend(
            event("new_sensitive_field", f"{where}: {', '.join(kinds)}")
            for where, kinds in new.sensitive.items()
        )
        return out
    out = []
    for where, kinds in new.sensitive.items():
        added = sorted(set(kinds) - set(old.sensitive.get(where, ())))
        if added:
            out.append(event("new_sensitive_field", f"{where}: {', '.join(added)}"))
    if set(new.auth) != set(old.auth):
        before = ", ".join(sorted(old.auth)) or "-"
        after = ", ".join(sorted(new.auth)) or "-"
        out.append(event("auth_change", f"{before} -> {after}"))
    if new.ai and not old.ai:
        out.append(event("new_ai_endpoint", new.ai))
    return out
