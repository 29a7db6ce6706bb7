"""The API inventory as the console lists it: one summary row per endpoint, risk and flags
computed once, so a page over 10,000 endpoints reads 50 rows through an index.

Discovery's store keeps each endpoint as a JSON record (:mod:`wardgate.storage.inventory`); risk
and the shadow/orphan/zombie/drift flags are computed from it (:mod:`wardgate.discovery.risk`,
:mod:`wardgate.discovery.spec`). :class:`EndpointCatalogue` does that off the request path:
:meth:`refresh` (run on a worker thread by the console every few seconds) re-summarises the
records saved since the last refresh, or all of them when a declared spec is set (flags depend on
the whole inventory). Summaries live in the index database (derived data); the declared spec and
the templates an admin merged away live in the gateway's database (they are decisions).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from wardgate.console.index import IndexDatabase
from wardgate.discovery import risk as riskmod
from wardgate.discovery import spec as specmod
from wardgate.discovery.model import EndpointRecord
from wardgate.storage.sqlite import migrate, transaction

MAX_SPEC_CHARS: Final = 2 * 1024 * 1024
FLAGS: Final = ("shadow", "zombie", "drift", "orphan")
LEVELS: Final = ("low", "medium", "high", "critical")
SORTS: Final = {
    "risk": "risk_score DESC, calls DESC, host, template",
    "calls": "calls DESC, host, template",
    "recent": "last_seen DESC, host, template",
    "template": "host, template, method",
}

INDEX_MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "console_endpoints_0001_create",
        (
            """
            CREATE TABLE ix_endpoints (
                host TEXT NOT NULL,
                method TEXT NOT NULL,
                template TEXT NOT NULL,
                calls INTEGER NOT NULL,
                first_seen REAL NOT NULL,
                last_seen REAL NOT NULL,
                auth TEXT NOT NULL,
                sensitive TEXT NOT NULL,
                sensitive_fields INTEGER NOT NULL,
                ai TEXT NOT NULL,
                flags TEXT NOT NULL,
                risk_score INTEGER NOT NULL,
                risk_level TEXT NOT NULL,
                findings INTEGER NOT NULL,
                PRIMARY KEY (host, method, template)
            ) STRICT, WITHOUT ROWID
            """,
            "CREATE INDEX ix_endpoints_risk ON ix_endpoints (risk_score DESC)",
            "CREATE INDEX ix_endpoints_calls ON ix_endpoints (calls DESC)",
            "CREATE INDEX ix_endpoints_recent ON ix_endpoints (last_seen DESC)",
            "CREATE TABLE ix_endpoint_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
        ),
    ),
)

STORE_MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "console_inventory_0001_create",
        (
            """
            CREATE TABLE console_specs (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                name TEXT NOT NULL,
                text TEXT NOT NULL,
                uploaded_at REAL NOT NULL,
                uploaded_by TEXT NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE console_hidden_templates (
                host TEXT NOT NULL,
                template TEXT NOT NULL,
                hidden_at REAL NOT NULL,
                hidden_by TEXT NOT NULL,
                PRIMARY KEY (host, template)
            ) STRICT
            """,
        ),
    ),
)

_COLUMNS: Final = (
    "host, method, template, calls, first_seen, last_seen, auth, sensitive, sensitive_fields, "
    "ai, flags, risk_score, risk_level, findings"
)


@dataclass(frozen=True, slots=True)
class Summary:
    host: str
    method: str
    template: str
    calls: int
    first_seen: float
    last_seen: float
    auth: str
    sensitive: str
    sensitive_fields: int
    ai: str
    flags: str
    risk_score: int
    risk_level: str
    findings: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "method": self.method,
            "template": self.template,
            "calls": self.calls,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "auth": [a for a in self.auth.split(",") if a],
            "sensitive": [s for s in self.sensitive.split(",") if s],
            "sensitive_fields": self.sensitive_fields,
            "ai": self.ai or None,
            "flags": [f for f in self.flags.split(",") if f],
            "risk_score": self.risk_score,
            "risk_level": self.risk_level,
            "findings": self.findings,
        }


def summarise(record: EndpointRecord, report: specmod.SpecReport | None) -> Summary:
    flags: list[str] = []
    shadow = zombie = False
    if report is not None:
        shadow = report.is_shadow(record.key)
        zombie = bool(report.zombies_for(record.key))
        if shadow:
            flags.append("shadow")
        if zombie:
            flags.append("zombie")
        if report.drift_for(record.key):
            flags.append("drift")
    assessed = riskmod.assess(record, shadow=shadow, zombie=zombie)
    kinds = sorted({k for ks in record.sensitive.values() for k in ks})
    return Summary(
        host=record.host,
        method=record.method,
        template=record.template,
        calls=record.count,
        first_seen=record.first_seen,
        last_seen=record.last_seen,
        auth=",".join(sorted(record.auth)),
        sensitive=",".join(kinds),
        sensitive_fields=len(record.sensitive),
        ai=record.ai or "",
        flags=",".join(flags),
        risk_score=assessed.score,
        risk_level=assessed.level,
        findings=sum(record.findings.values()),
    )


def _orphan(op: specmod.DeclaredOperation) -> Summary:
    record = EndpointRecord(host=op.host or "", method=op.method.upper(), template=op.template)
    assessed = riskmod.assess(record, orphan=True)
    return Summary(
        op.host or "",
        op.method.upper(),
        op.template,
        0,
        0.0,
        0.0,
        "",
        "",
        0,
        "",
        "orphan",
        assessed.score,
        assessed.level,
        0,
    )


class EndpointCatalogue:
    """Summaries of the stored inventory, the declared spec and merge-hidden templates."""

    def __init__(
        self,
        index: IndexDatabase,
        store_conn: sqlite3.Connection,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.index = index
        self._store = store_conn
        self._store_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._clock = clock
        with index.write_lock:
            for name, statements in INDEX_MIGRATIONS:
                migrate(index.writer, name, statements)
        with self._store_lock:
            for name, statements in STORE_MIGRATIONS:
                migrate(store_conn, name, statements)
        self._declared: list[specmod.DeclaredOperation] | None = None
        self._spec_loaded = False

    def close(self) -> None:
        """Close the store connection, once any refresh running on a worker thread is done
        (closing a SQLite connection under a running statement is undefined behaviour)."""
        with self._refresh_lock, self._store_lock:
            self._store.close()

    # -- the declared spec -----------------------------------------------------------------------

    def spec(self) -> dict[str, Any] | None:
        with self._store_lock:
            row = self._store.execute(
                "SELECT name, uploaded_at, uploaded_by, length(text) FROM console_specs"
            ).fetchone()
        if row is None:
            return None
        return {"name": row[0], "uploaded_at": row[1], "uploaded_by": row[2], "chars": row[3]}

    def set_spec(self, name: str, text: str, by: str) -> int:
        """Declare the API (OpenAPI 2.0/3.x, JSON or YAML); returns the operations it declares.
        Raises ``ValueError`` (with the parser's message) for a spec that does not parse."""
        if len(text) > MAX_SPEC_CHARS:
            raise ValueError(f"spec over {MAX_SPEC_CHARS} characters")
        try:
            operations = specmod.parse(text, source=name[:100])
        except specmod.SpecError as exc:
            raise ValueError(str(exc)[:300]) from None
        with self._store_lock, transaction(self._store):
            self._store.execute(
                "INSERT INTO console_specs (id, name, text, uploaded_at, uploaded_by) "
                "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                "text = excluded.text, uploaded_at = excluded.uploaded_at, "
                "uploaded_by = excluded.uploaded_by",
                (name[:100], text, self._clock(), by),
            )
        self._declared = operations
        self._spec_loaded = True
        self._set_meta("full", "1")
        return len(operations)

    def clear_spec(self) -> None:
        with self._store_lock:
            self._store.execute("DELETE FROM console_specs")
        self._declared = None
        self._spec_loaded = True
        self._set_meta("full", "1")

    def _declared_operations(self) -> list[specmod.DeclaredOperation] | None:
        if not self._spec_loaded:
            with self._store_lock:
                row = self._store.execute("SELECT name, text FROM console_specs").fetchone()
            self._declared = None
            if row is not None:
                try:
                    self._declared = specmod.parse(str(row[1]), source=str(row[0]))
                except specmod.SpecError:
                    self._declared = None
            self._spec_loaded = True
        return self._declared

    # -- merged-away templates ------------------------------------------------------------------

    def hide(self, host: str, templates: Iterable[str], by: str) -> None:
        now = self._clock()
        with self._store_lock, transaction(self._store):
            self._store.executemany(
                "INSERT INTO console_hidden_templates (host, template, hidden_at, hidden_by) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (host, template) DO UPDATE SET "
                "hidden_at = excluded.hidden_at, hidden_by = excluded.hidden_by",
                [(host, t, now, by) for t in templates],
            )
        self._set_meta("full", "1")

    def _hidden(self) -> dict[tuple[str, str], float]:
        with self._store_lock:
            rows = self._store.execute(
                "SELECT host, template, hidden_at FROM console_hidden_templates"
            ).fetchall()
        return {(str(r[0]), str(r[1])): float(r[2]) for r in rows}

    # -- reading the store -----------------------------------------------------------------------

    def _records(self, after: int | None) -> list[EndpointRecord]:
        """Every stored record, or those changed since revision ``after``."""
        sql = "SELECT record FROM endpoints"
        params: tuple[int, ...] = ()
        if after is not None:
            sql += " WHERE revision > ?"
            params = (after,)
        with self._store_lock:
            try:
                rows = self._store.execute(sql, params).fetchall()
            except sqlite3.OperationalError:  # discovery has never saved anything here
                return []
        return [EndpointRecord.from_dict(json.loads(r[0])) for r in rows]

    def _store_revision(self) -> int | None:
        """The store's revision (bumped by each save that changed something), or None before
        discovery has created it."""
        with self._store_lock:
            try:
                row = self._store.execute("SELECT revision FROM inventory_revision").fetchone()
            except sqlite3.OperationalError:
                return None
        return None if row is None else int(row[0])

    def _store_keys(self) -> set[tuple[str, str, str]]:
        with self._store_lock:
            try:
                rows = self._store.execute("SELECT host, method, template FROM endpoints")
                return {(str(h), str(m), str(t)) for h, m, t in rows}
            except sqlite3.OperationalError:
                return set()

    def record(self, host: str, method: str, template: str) -> EndpointRecord | None:
        with self._store_lock:
            try:
                row = self._store.execute(
                    "SELECT record FROM endpoints WHERE host = ? AND method = ? AND template = ?",
                    (host, method, template),
                ).fetchone()
            except sqlite3.OperationalError:
                return None
        return None if row is None else EndpointRecord.from_dict(json.loads(row[0]))

    def host_records(self, host: str) -> list[EndpointRecord]:
        hidden = self._hidden()
        with self._store_lock:
            try:
                rows = self._store.execute(
                    "SELECT record FROM endpoints WHERE host = ? ORDER BY template, method", (host,)
                ).fetchall()
            except sqlite3.OperationalError:
                return []
        records = [EndpointRecord.from_dict(json.loads(r[0])) for r in rows]
        return [r for r in records if not _is_hidden(hidden, r.host, r.template, r.last_seen)]

    def report_for(self, records: list[EndpointRecord]) -> specmod.SpecReport | None:
        declared = self._declared_operations()
        if declared is None:
            return None
        return specmod.compare(declared, records, now=self._clock())

    # -- summaries -------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        with self.index.read() as conn:
            row = conn.execute(
                "SELECT value FROM ix_endpoint_meta WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        with self.index.write_lock:
            self.index.writer.execute(
                "INSERT INTO ix_endpoint_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def refresh(self, *, force: bool = False) -> int:
        """Bring the summaries up to date with the store; returns how many were written.

        Cheap when nothing changed (one aggregate query on the store). Runs on a worker thread."""
        with self._refresh_lock:
            revision = self._store_revision()
            full = force or self._meta("full") == "1"
            seen = self._meta("revision")
            if not full and seen is not None and str(revision) == seen:
                return 0
            declared = self._declared_operations()
            full = full or declared is not None or seen is None or seen == "None"
            records = self._records(None if full else int(seen or 0))
            report = (
                None if declared is None else specmod.compare(declared, records, now=self._clock())
            )
            hidden = self._hidden()
            summaries = [
                summarise(r, report)
                for r in records
                if not _is_hidden(hidden, r.host, r.template, r.last_seen)
            ]
            if report is not None:
                summaries.extend(_orphan(op) for op in report.orphan)
            kept = set() if full else self._store_keys()
            with self.index.write_lock, transaction(self.index.writer):
                conn = self.index.writer
                if full:
                    conn.execute("DELETE FROM ix_endpoints")
                else:  # endpoints discovery retired (folded into a template) leave the list too
                    gone = [
                        key
                        for key in conn.execute("SELECT host, method, template FROM ix_endpoints")
                        if tuple(key) not in kept
                    ]
                    conn.executemany(
                        "DELETE FROM ix_endpoints WHERE host = ? AND method = ? AND template = ?",
                        gone,
                    )
                conn.executemany(
                    f"INSERT INTO ix_endpoints ({_COLUMNS}) VALUES "  # noqa: S608 - constant
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, method, template) "
                    "DO UPDATE SET calls = excluded.calls, first_seen = excluded.first_seen, "
                    "last_seen = excluded.last_seen, auth = excluded.auth, "
                    "sensitive = excluded.sensitive, sensitive_fields = excluded.sensitive_fields, "
                    "ai = excluded.ai, flags = excluded.flags, risk_score = excluded.risk_score, "
                    "risk_level = excluded.risk_level, findings = excluded.findings",
                    [
                        (
                            s.host,
                            s.method,
                            s.template,
                            s.calls,
                            s.first_seen,
                            s.last_seen,
                            s.auth,
                            s.sensitive,
                            s.sensitive_fields,
                            s.ai,
                            s.flags,
                            s.risk_score,
                            s.risk_level,
                            s.findings,
                        )
                        for s in summaries
                    ],
                )
                for key, value in (("revision", str(revision)), ("full", "0")):
                    conn.execute(
                        "INSERT INTO ix_endpoint_meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )
            return len(summaries)

    def list(
        self,
        *,
        host: str | None = None,
        method: str | None = None,
        flag: str | None = None,
        level: str | None = None,
        ai: bool = False,
        q: str | None = None,
        sort: str = "risk",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Summary], int]:
        """One page of endpoints and how many match."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("host", host), ("method", method), ("risk_level", level)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if flag:
            clauses.append("(',' || flags || ',') LIKE ?")
            params.append(f"%,{flag},%")
        if ai:
            clauses.append("ai != ''")
        if q:
            clauses.append("instr(lower(template), ?) > 0")
            params.append(q.lower())
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        order = SORTS.get(sort, SORTS["risk"])
        with self.index.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM ix_endpoints{where} ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608
                (*params, limit, offset),
            ).fetchall()
            total = conn.execute(
                f"SELECT COUNT(*) FROM ix_endpoints{where}",  # noqa: S608
                params,
            ).fetchone()[0]
        return [Summary(*r) for r in rows], int(total)

    def summary(self, host: str, method: str, template: str) -> Summary | None:
        with self.index.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM ix_endpoints WHERE host = ? AND method = ? "  # noqa: S608
                "AND template = ?",
                (host, method, template),
            ).fetchone()
        return None if row is None else Summary(*row)

    def stats(self) -> dict[str, Any]:
        """Counts for the page header: endpoints, hosts, levels, flags, AI endpoints."""
        with self.index.read() as conn:
            levels = dict(
                conn.execute("SELECT risk_level, COUNT(*) FROM ix_endpoints GROUP BY risk_level")
            )
            total, ai, sensitive = conn.execute(
                "SELECT COUNT(*), SUM(ai != ''), SUM(sensitive != '') FROM ix_endpoints"
            ).fetchone()
            hosts = [
                (str(h), int(n))
                for h, n in conn.execute(
                    "SELECT host, COUNT(*) FROM ix_endpoints WHERE host != '' GROUP BY host "
                    "ORDER BY COUNT(*) DESC, host LIMIT 200"
                )
            ]
            flags = {
                flag: int(
                    conn.execute(
                        "SELECT COUNT(*) FROM ix_endpoints WHERE (',' || flags || ',') LIKE ?",
                        (f"%,{flag},%",),
                    ).fetchone()[0]
                )
                for flag in FLAGS
            }
        return {
            "endpoints": int(total or 0),
            "ai": int(ai or 0),
            "sensitive": int(sensitive or 0),
            "levels": {level: int(levels.get(level, 0)) for level in LEVELS},
            "flags": flags,
            "hosts": hosts,
        }


def _is_hidden(hidden: dict[tuple[str, str], float], host: str, template: str, seen: float) -> bool:
    at = hidden.get((host, template))
    return at is not None and seen <= at


__all__ = ["FLAGS", "LEVELS", "SORTS", "EndpointCatalogue", "Summary", "summarise"]
