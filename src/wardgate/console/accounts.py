"""Who may use the console: accounts with roles, their login sessions and API tokens, in SQLite.

Everything secret is stored as a hash: passwords with scrypt (:mod:`.passwords`), session ids
and API-token secrets with SHA-256 (they are 256-bit random values, so a fast hash loses
nothing). A session or token carries no role of its own: the role is read from the account on
every request, so demoting or removing someone takes effect on their next click.

Roles are ordered: ``viewer`` reads, ``analyst`` also works incidents and uses the playground,
``admin`` also manages keys, policies, the inventory and accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from wardgate.console.passwords import (
    DEFAULT_COST,
    Cost,
    burn,
    hash_password,
    needs_rehash,
    verify_password,
)
from wardgate.storage.sqlite import connect, migrate, transaction

_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_TOKEN = re.compile(r"wgc_([a-z0-9]{12})_([A-Za-z0-9_-]{43})")
TOKEN_PREFIX: Final = "wgc_"  # noqa: S105 - a format prefix, not a secret
SESSION_TOUCH_S: Final = 60.0  # last_seen is written at most this often per session
MAX_SESSIONS_PER_USER: Final = 20
MAX_LABEL: Final = 100

_MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "console_accounts_0001_create",
        (
            """
            CREATE TABLE console_users (
                name TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
                password_hash TEXT NOT NULL,
                created_at REAL NOT NULL,
                password_changed_at REAL NOT NULL,
                last_login_at REAL
            ) STRICT
            """,
            """
            CREATE TABLE console_sessions (
                id_hash TEXT PRIMARY KEY,
                user_name TEXT NOT NULL REFERENCES console_users (name) ON DELETE CASCADE,
                created_at REAL NOT NULL,
                expires_at REAL NOT NULL,
                last_seen REAL NOT NULL
            ) STRICT
            """,
            "CREATE INDEX console_sessions_by_user ON console_sessions (user_name, created_at)",
            """
            CREATE TABLE console_tokens (
                token_id TEXT PRIMARY KEY,
                user_name TEXT NOT NULL REFERENCES console_users (name) ON DELETE CASCADE,
                label TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                created_at REAL NOT NULL,
                revoked_at REAL,
                last_used_at REAL
            ) STRICT
            """,
        ),
    ),
)


class Role(StrEnum):
    """What an account may do; each role includes the ones before it."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK: Final = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


class AccountError(ValueError):
    """A refused account change; the message names the account, never a secret."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    created_at: float
    last_login_at: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at,
            "last_login_at": self.last_login_at,
        }


@dataclass(frozen=True, slots=True)
class Session:
    """A login: whose, and until when. ``id_hash`` is the stored SHA-256 of the cookie's id."""

    id_hash: str
    user: User
    created_at: float
    expires_at: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class ApiToken:
    token_id: str
    user_name: str
    label: str
    created_at: float
    revoked_at: float | None = None
    last_used_at: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "token_id": self.token_id,
            "user": self.user_name,
            "label": self.label,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "last_used_at": self.last_used_at,
        }


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise AccountError("account names are 1-64 letters, digits, '_', '.', '@', '-'")
    return name


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class AccountStore:
    """Console accounts, sessions and tokens. Thread-safe (one lock around the connection)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        cost: Cost = DEFAULT_COST,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._cost = cost
        self._clock = clock
        with self._lock:
            for name, statements in _MIGRATIONS:
                migrate(conn, name, statements)

    @classmethod
    def open(
        cls, path: str | Path, *, cost: Cost = DEFAULT_COST, clock: Callable[[], float] = time.time
    ) -> AccountStore:
        return cls(connect(path), cost=cost, clock=clock)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- accounts ------------------------------------------------------------------------------

    def add(self, name: str, role: Role | str, password: str) -> User:
        """Create an account; refuses an existing name."""
        check_name(name)
        role = Role(role)
        hashed = hash_password(password, self._cost)
        now = self._clock()
        with self._lock, transaction(self._conn):
            if self._conn.execute("SELECT 1 FROM console_users WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"account {name!r} exists")
            self._conn.execute(
                "INSERT INTO console_users (name, role, password_hash, created_at, "
                "password_changed_at) VALUES (?, ?, ?, ?, ?)",
                (name, role.value, hashed, now, now),
            )
        return User(name, role, now)

    def get(self, name: str) -> User | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT name, role, created_at, last_login_at FROM console_users WHERE name = ?",
                (name,),
            ).fetchone()
        return None if row is None else User(row[0], Role(row[1]), row[2], row[3])

    def users(self) -> list[User]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, role, created_at, last_login_at FROM console_users ORDER BY name"
            ).fetchall()
        return [User(r[0], Role(r[1]), r[2], r[3]) for r in rows]

    def count_admins(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM console_users WHERE role = 'admin'"
            ).fetchone()
        return int(row[0])

    def remove(self, name: str) -> bool:
        """Delete an account with its sessions and tokens; False if there was none."""
        with self._lock, transaction(self._conn):
            cur = self._conn.execute("DELETE FROM console_users WHERE name = ?", (name,))
        return cur.rowcount > 0

    def set_role(self, name: str, role: Role | str) -> User:
        role = Role(role)
        with self._lock, transaction(self._conn):
            cur = self._conn.execute(
                "UPDATE console_users SET role = ? WHERE name = ?", (role.value, name)
            )
        if cur.rowcount == 0:
            raise AccountError(f"no account {name!r}")
        user = self.get(name)
        assert user is not None
        return user

    def set_password(self, name: str, password: str) -> None:
        """Replace the password and end every session of the account."""
        hashed = hash_password(password, self._cost)
        with self._lock, transaction(self._conn):
            cur = self._conn.execute(
                "UPDATE console_users SET password_hash = ?, password_changed_at = ? "
                "WHERE name = ?",
                (hashed, self._clock(), name),
            )
            if cur.rowcount == 0:
                raise AccountError(f"no account {name!r}")
            self._conn.execute("DELETE FROM console_sessions WHERE user_name = ?", (name,))

    def authenticate(self, name: str, password: str) -> User | None:
        """The account if ``password`` is right; unknown names cost the same time as known."""
        with self._lock:
            row = self._conn.execute(
                "SELECT password_hash FROM console_users WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            burn(password, self._cost)
            return None
        stored = str(row[0])
        if not verify_password(password, stored):
            return None
        now = self._clock()
        with self._lock:
            if needs_rehash(stored, self._cost):
                self._conn.execute(
                    "UPDATE console_users SET password_hash = ? WHERE name = ?",
                    (hash_password(password, self._cost), name),
                )
            self._conn.execute(
                "UPDATE console_users SET last_login_at = ? WHERE name = ?", (now, name)
            )
        return self.get(name)

    # -- sessions ------------------------------------------------------------------------------

    def create_session(self, user: User, max_age_s: float) -> tuple[str, Session]:
        """A new session for ``user``: the raw id (for the cookie, never stored) and its row.

        An account keeps at most :data:`MAX_SESSIONS_PER_USER`; the oldest are ended."""
        raw = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(_sha256(raw), user, now, now + max_age_s, now)
        with self._lock, transaction(self._conn):
            self._conn.execute("DELETE FROM console_sessions WHERE expires_at <= ?", (now,))
            self._conn.execute(
                "INSERT INTO console_sessions (id_hash, user_name, created_at, expires_at, "
                "last_seen) VALUES (?, ?, ?, ?, ?)",
                (session.id_hash, user.name, now, session.expires_at, now),
            )
            self._conn.execute(
                "DELETE FROM console_sessions WHERE user_name = ? AND id_hash NOT IN ("
                "SELECT id_hash FROM console_sessions WHERE user_name = ? "
                "ORDER BY created_at DESC LIMIT ?)",
                (user.name, user.name, MAX_SESSIONS_PER_USER),
            )
        return raw, session

    def session(self, raw: str, idle_s: float) -> Session | None:
        """The live session with cookie id ``raw``: not expired, not idle for ``idle_s``."""
        id_hash = _sha256(raw)
        now = self._clock()
        with self._lock:
            row = self._conn.execute(
                "SELECT s.created_at, s.expires_at, s.last_seen, u.name, u.role, u.created_at, "
                "u.last_login_at FROM console_sessions s JOIN console_users u "
                "ON u.name = s.user_name WHERE s.id_hash = ?",
                (id_hash,),
            ).fetchone()
            if row is None:
                return None
            created, expires, last_seen = float(row[0]), float(row[1]), float(row[2])
            if now >= expires or now - last_seen >= idle_s:
                self._conn.execute("DELETE FROM console_sessions WHERE id_hash = ?", (id_hash,))
                return None
            if now - last_seen >= SESSION_TOUCH_S:
                self._conn.execute(
                    "UPDATE console_sessions SET last_seen = ? WHERE id_hash = ?", (now, id_hash)
                )
                last_seen = now
        user = User(row[3], Role(row[4]), row[5], row[6])
        return Session(id_hash, user, created, expires, last_seen)

    def end_session(self, raw: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM console_sessions WHERE id_hash = ?", (_sha256(raw),))

    def end_sessions(self, name: str) -> int:
        with self._lock:
            cur = self._conn.execute("DELETE FROM console_sessions WHERE user_name = ?", (name,))
        return cur.rowcount

    # -- API tokens ----------------------------------------------------------------------------

    def create_token(self, name: str, label: str) -> tuple[ApiToken, str]:
        """A token acting as account ``name``: its record and the full token (shown once)."""
        if not label or len(label) > MAX_LABEL or not label.isprintable():
            raise AccountError(f"token labels are 1-{MAX_LABEL} printable characters")
        token_id = "".join(
            secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12)
        )
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock, transaction(self._conn):
            if self.get_unlocked(name) is None:
                raise AccountError(f"no account {name!r}")
            self._conn.execute(
                "INSERT INTO console_tokens (token_id, user_name, label, secret_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_id, name, label, _sha256(secret), now),
            )
        return ApiToken(token_id, name, label, now), f"{TOKEN_PREFIX}{token_id}_{secret}"

    def get_unlocked(self, name: str) -> User | None:
        row = self._conn.execute(
            "SELECT name, role, created_at, last_login_at FROM console_users WHERE name = ?",
            (name,),
        ).fetchone()
        return None if row is None else User(row[0], Role(row[1]), row[2], row[3])

    def tokens(self, name: str | None = None) -> list[ApiToken]:
        sql = (
            "SELECT token_id, user_name, label, created_at, revoked_at, last_used_at "
            "FROM console_tokens"
        )
        params: tuple[str, ...] = ()
        if name is not None:
            sql += " WHERE user_name = ?"
            params = (name,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY created_at", params).fetchall()
        return [ApiToken(*row) for row in rows]

    def revoke_token(self, token_id: str, *, owner: str | None = None) -> bool:
        """Revoke a token (only ``owner``'s when given); False if there was none."""
        sql = "UPDATE console_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE token_id = ?"
        params: tuple[object, ...] = (self._clock(), token_id)
        if owner is not None:
            sql += " AND user_name = ?"
            params = (*params, owner)
        with self._lock:
            cur = self._conn.execute(sql, params)
        return cur.rowcount > 0

    def token_user(self, token: str) -> User | None:
        """The account an API token acts as, if the token is valid and not revoked."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        token_id, secret = match.groups()
        with self._lock:
            row = self._conn.execute(
                "SELECT t.secret_hash, t.revoked_at, t.last_used_at, u.name, u.role, "
                "u.created_at, u.last_login_at FROM console_tokens t JOIN console_users u "
                "ON u.name = t.user_name WHERE t.token_id = ?",
                (token_id,),
            ).fetchone()
            if row is None or row[1] is not None:
                return None
            if not hmac.compare_digest(str(row[0]), _sha256(secret)):
                return None
            now = self._clock()
            if row[2] is None or now - float(row[2]) >= SESSION_TOUCH_S:
                self._conn.execute(
                    "UPDATE console_tokens SET last_used_at = ? WHERE token_id = ?",
                    (now, token_id),
                )
        return User(row[3], Role(row[4]), row[5], row[6])


__all__ = ["AccountError", "AccountStore", "ApiToken", "Role", "Session", "User", "check_name"]
