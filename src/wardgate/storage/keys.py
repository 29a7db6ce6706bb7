"""API key records on SQLite.

The store keeps only a hash of each secret (see :mod:`wardgate.policy.keys`); the full key is
returned once by :meth:`KeyStore.create` and cannot be recovered afterwards. Deciding whether a
record may authenticate (revoked, expired) is the authenticator's job, not the store's.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wardgate.policy import keys as keyfmt
from wardgate.storage.sqlite import connect, migrate, transaction

TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, so authentication rarely writes."""

MAX_NAME_LENGTH = 200
MAX_LABELS = 256  # groups or scopes per key
MAX_LABEL_LENGTH = 200
_MAX_TOUCH_ENTRIES = 100_000

_MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "api_keys_0001_create",
        (
            """
            CREATE TABLE api_keys (
                key_id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                tenant TEXT NOT NULL DEFAULT '',
                groups_json TEXT NOT NULL DEFAULT '[]',
                scopes_json TEXT NOT NULL DEFAULT '[]',
                created_at REAL NOT NULL,
                expires_at REAL,
                revoked_at REAL,
                last_used_at REAL
            ) STRICT
            """,
        ),
    ),
)

# Constant SQL only: values always travel as parameters.
_INSERT = (
    "INSERT INTO api_keys (key_id, name, secret_hash, tenant, groups_json, scopes_json, "
    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_ONE = (
    "SELECT key_id, name, secret_hash, tenant, groups_json, scopes_json, "
    "created_at, expires_at, revoked_at, last_used_at FROM api_keys WHERE key_id = ?"
)
_SELECT_ALL = (
    "SELECT key_id, name, secret_hash, tenant, groups_json, scopes_json, "
    "created_at, expires_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at, key_id"
)


def _ts(when: datetime | None) -> float | None:
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return when.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """One API key as stored: everything but the secret itself. Timestamps are UTC."""

    key_id: str
    name: str
    secret_hash: str = field(repr=False)
    tenant: str = ""
    groups: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def expired(self, now: datetime) -> bool:
        """True once ``now`` has reached ``expires_at``."""
        return self.expires_at is not None and now >= self.expires_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view for listings; the secret hash is deliberately left out."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "tenant": self.tenant,
            "groups": list(self.groups),
            "scopes": list(self.scopes),
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "revoked_at": _iso(self.revoked_at),
            "last_used_at": _iso(self.last_used_at),
        }


def _check_name(name: str) -> str:
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise ValueError(f"key name must be 1-{MAX_NAME_LENGTH} printable characters")
    return name


def _check_labels(kind: str, values: Iterable[str]) -> tuple[str, ...]:
    """Deduplicate (keeping order) and validate groups or scopes: short, no spaces/controls."""
    out = tuple(dict.fromkeys(values))
    if len(out) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} {kind} per key")
    for value in out:
        if (
            not value
            or len(value) > MAX_LABEL_LENGTH
            or not value.isprintable()
            or any(c.isspace() for c in value)
        ):
            raise ValueError(f"{kind} must be 1-{MAX_LABEL_LENGTH} printable non-space characters")
    return out


def _row_to_record(row: tuple[Any, ...]) -> ApiKeyRecord:
    created = _dt(row[6])
    assert created is not None
    return ApiKeyRecord(
        key_id=row[0],
        name=row[1],
        secret_hash=row[2],
        tenant=row[3],
        groups=tuple(json.loads(row[4])),
        scopes=tuple(json.loads(row[5])),
        created_at=created,
        expires_at=_dt(row[7]),
        revoked_at=_dt(row[8]),
        last_used_at=_dt(row[9]),
    )


class KeyStore:
    """API keys in SQLite. Thread-safe: one lock serialises use of the shared connection.

    ``pepper`` is the optional server-side secret mixed into hashes (see
    :mod:`wardgate.policy.keys`); the authenticator reads it from :attr:`pepper`.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        pepper: bytes = b"",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._clock = clock
        self._last_touch: dict[str, datetime] = {}
        self.pepper = pepper
        with self._lock:
            for name, statements in _MIGRATIONS:
                migrate(conn, name, statements)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        pepper: bytes = b"",
        clock: Callable[[], float] = time.time,
    ) -> KeyStore:
        """Open (creating and migrating if needed) the key store in the database at ``path``."""
        return cls(connect(path), pepper=pepper, clock=clock)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def create(
        self,
        name: str,
        *,
        tenant: str = "",
        groups: Iterable[str] = (),
        scopes: Iterable[str] = (),
        expires_at: datetime | None = None,
    ) -> tuple[ApiKeyRecord, str]:
        """Create a key and return its record and the full key string.

        The full key is returned this once and never stored: only its hash is kept.
        """
        record_name = _check_name(name)
        if tenant and (len(tenant) > MAX_LABEL_LENGTH or not tenant.isprintable()):
            raise ValueError(f"tenant must be at most {MAX_LABEL_LENGTH} printable characters")
        group_list = _check_labels("groups", groups)
        scope_list = _check_labels("scopes", scopes)
        created = datetime.fromtimestamp(self._clock(), UTC)
        if expires_at is not None:
            _ts(expires_at)  # rejects naive datetimes
            if expires_at <= created:
                raise ValueError("expires_at must be in the future")
        secret = keyfmt.new_secret()
        with self._lock, transaction(self._conn):
            key_id = keyfmt.new_key_id()
            while self._conn.execute(
                "SELECT 1 FROM api_keys WHERE key_id = ?", (key_id,)
            ).fetchone():
                key_id = keyfmt.new_key_id()  # 60-bit ids: a collision is theoretical
            record = ApiKeyRecord(
                key_id=key_id,
                name=record_name,
                secret_hash=keyfmt.hash_secret(secret, self.pepper),
                tenant=tenant,
                groups=group_list,
                scopes=scope_list,
                created_at=created,
                expires_at=expires_at,
            )
            self._conn.execute(
                _INSERT,
                (
                    record.key_id,
                    record.name,
                    record.secret_hash,
                    record.tenant,
                    json.dumps(list(record.groups)),
                    json.dumps(list(record.scopes)),
                    _ts(record.created_at),
                    _ts(record.expires_at),
                ),
            )
        return record, keyfmt.format_key(key_id, secret)

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """The record for ``key_id``, or None."""
        with self._lock:
            row = self._conn.execute(_SELECT_ONE, (key_id,)).fetchone()
        return None if row is None else _row_to_record(row)

    def list(self) -> list[ApiKeyRecord]:
        """All records, oldest first (revoked ones included)."""
        with self._lock:
            rows = self._conn.execute(_SELECT_ALL).fetchall()
        return [_row_to_record(row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke ``key_id``; False if there is no such key. Revoking twice keeps the first time."""
        now = self._clock()
        with self._lock:
            cur = self._conn.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?",
                (now, key_id),
            )
        return cur.rowcount > 0

    def touch(self, key_id: str, when: datetime) -> bool:
        """Record that ``key_id`` was used at ``when``; True if this call wrote to the database.

        Writes at most once per :data:`TOUCH_INTERVAL` per key (tracked in memory, per process),
        so the authenticator can call this on every request without a write per request.
        A failed write (database locked past the busy timeout, read-only file) is skipped.
        """
        with self._lock:
            last = self._last_touch.get(key_id)
            if last is not None and when - last < TOUCH_INTERVAL:
                return False
            if len(self._last_touch) >= _MAX_TOUCH_ENTRIES:
                self._last_touch.clear()  # bounded memory; costs at most one extra write per key
            self._last_touch[key_id] = when
            try:
                self._conn.execute(
                    "UPDATE api_keys SET last_used_at = ? "
                    "WHERE key_id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                    (_ts(when), key_id, _ts(when)),
                )
            except sqlite3.OperationalError:
                # Best effort: a locked or read-only database must not fail authentication.
                return False
        return True
