"""Open the embedded SQLite database and apply schema migrations.

SQLite is Wardgate's zero-dependency default store (API keys today; audit and inventory later).
One helper opens every connection the same way, so each feature gets the same durability and
concurrency behaviour:

* WAL journal: readers (the request path) never block on the writer (the CLI, ``touch``).
* ``busy_timeout``: a second process waits for the write lock instead of failing at once.
* foreign keys on: SQLite leaves them off by default.
* ``check_same_thread=False``: the connection is shared between threads, so every user must
  serialise access with its own lock (see :class:`wardgate.storage.keys.KeyStore`).
* autocommit (``isolation_level=None``): transactions are explicit, via :func:`transaction`,
  rather than begun implicitly by the ``sqlite3`` module.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_MS = 5_000

_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at REAL NOT NULL
) STRICT
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` with Wardgate's standard settings.

    ``":memory:"`` gives a private in-memory database (WAL does not apply there).
    """
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable against application crashes in WAL mode; only an OS crash or power
        # loss can drop the last transactions, an accepted trade for a gateway's metadata.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the body in one write transaction: committed on success, rolled back on error.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a read-then-write body (like
    :func:`migrate`) cannot race another process between its read and its write.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations applied to this database, oldest first."""
    conn.execute(_MIGRATIONS_TABLE)
    rows = conn.execute("SELECT name FROM schema_migrations ORDER BY applied_at, name").fetchall()
    return [str(row[0]) for row in rows]


def migrate(conn: sqlite3.Connection, name: str, statements: Sequence[str]) -> bool:
    """Apply ``statements`` once, atomically, and record ``name`` in ``schema_migrations``.

    Returns True if the migration ran now, False if it had already been applied. A migration is
    identified by its name alone: never edit a released one, add a new name instead.
    Callers pass constant SQL; this is not a place for user input.
    """
    if not name:
        raise ValueError("migration name must not be empty")
    conn.execute(_MIGRATIONS_TABLE)
    with transaction(conn):
        done = conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone()
        if done is not None:
            return False
        for statement in statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
        )
    return True
