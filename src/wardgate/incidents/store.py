"""Incidents on the shared SQLite database: fold events into incidents, run the workflow.

The gateway writes from a worker thread while an analyst's ``wardgate incidents`` runs in another
process against the same file. Every read-modify-write therefore runs inside one ``BEGIN
IMMEDIATE`` transaction (:func:`~wardgate.storage.sqlite.transaction`), and a partial unique index
guarantees at most one active incident per key whatever the interleaving.

How an event meets the latest incident with its key (:func:`fold`):

* none yet, or the latest was closed and has been quiet for longer than ``reopen_within_s``
  (quiet since the later of its last event and its closing): a **new** incident;
* the latest is open or acknowledged: the event is **attached** (counts, severity, links);
* the latest is closed but not quiet long enough: it is **reopened**, unless the event happened
  before it was closed (late evidence, still in the queue when the analyst closed it) or it is a
  false positive: then the event is attached and the status kept. A higher severity than the
  incident has seen always reopens: an escalation beats an earlier judgement.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Final

from wardgate.core.finding import Severity
from wardgate.incidents.model import (
    MAX_INCIDENT_RULE_IDS,
    MAX_NOTE_LENGTH,
    MAX_NOTES,
    MAX_REASON_LENGTH,
    SYSTEM_ACTOR,
    AuditLinks,
    ChangeAction,
    Incident,
    IncidentChange,
    IncidentError,
    IncidentEvent,
    IncidentKey,
    IncidentNotFoundError,
    IncidentStatus,
    InvalidTransitionError,
    Note,
    check_name,
    check_text,
    check_transition,
    format_incident_id,
    incident_title,
    merge_ordered,
    parse_incident_id,
)
from wardgate.storage.sqlite import connect, migrate, transaction

DEFAULT_REOPEN_WITHIN_S: Final = 24 * 3600.0
MAX_PAGE: Final = 1_000

_MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "incidents_0001_create",
        (
            """
            CREATE TABLE incidents (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                subject TEXT NOT NULL,
                tenant TEXT NOT NULL,
                route TEXT NOT NULL,
                category TEXT NOT NULL,
                title TEXT NOT NULL,
                severity INTEGER NOT NULL,
                max_score REAL NOT NULL,
                status TEXT NOT NULL
                    CHECK (status IN ('open', 'acknowledged', 'resolved', 'false_positive')),
                owner TEXT,
                first_seen REAL NOT NULL,
                last_seen REAL NOT NULL,
                opened_at REAL NOT NULL,
                acknowledged_at REAL,
                resolved_at REAL,
                resolved_by TEXT,
                resolution TEXT,
                event_count INTEGER NOT NULL,
                reopen_count INTEGER NOT NULL,
                note_count INTEGER NOT NULL,
                taxonomy_json TEXT NOT NULL,
                rule_ids_json TEXT NOT NULL,
                seqs_first_json TEXT NOT NULL,
                seqs_last_json TEXT NOT NULL,
                seq_total INTEGER NOT NULL,
                summary TEXT NOT NULL,
                statistic_json TEXT,
                last_exchange_id TEXT
            ) STRICT
            """,
            # Finding the latest incident for a key, and at most one active incident per key.
            "CREATE INDEX incidents_by_key ON incidents (subject, tenant, route, category, id)",
            """
            CREATE UNIQUE INDEX incidents_one_active ON incidents (subject, tenant, route, category)
            WHERE status IN ('open', 'acknowledged')
            """,
            # Listings are ordered by last_seen; one index per filter keeps pages cheap.
            "CREATE INDEX incidents_by_last_seen ON incidents (last_seen, id)",
            "CREATE INDEX incidents_by_status ON incidents (status, last_seen)",
            "CREATE INDEX incidents_by_category ON incidents (category, last_seen)",
            "CREATE INDEX incidents_by_route ON incidents (route, last_seen)",
            "CREATE INDEX incidents_by_subject ON incidents (subject, last_seen)",
            """
            CREATE TABLE incident_notes (
                id INTEGER PRIMARY KEY,
                incident_id INTEGER NOT NULL REFERENCES incidents (id),
                author TEXT NOT NULL,
                at REAL NOT NULL,
                text TEXT NOT NULL
            ) STRICT
            """,
            "CREATE INDEX incident_notes_by_incident ON incident_notes (incident_id, id)",
        ),
    ),
)

# Constant SQL only: values always travel as parameters.
_FIELDS: Final = (
    "subject, tenant, route, category, title, severity, max_score, status, owner, first_seen, "
    "last_seen, opened_at, acknowledged_at, resolved_at, resolved_by, resolution, event_count, "
    "reopen_count, note_count, taxonomy_json, rule_ids_json, seqs_first_json, seqs_last_json, "
    "seq_total, summary, statistic_json, last_exchange_id"
)
_SELECT: Final = f"SELECT id, {_FIELDS} FROM incidents"  # noqa: S608 - constant
_PLACEHOLDERS: Final = ", ".join("?" for _ in _FIELDS.split(","))
_INSERT: Final = f"INSERT INTO incidents ({_FIELDS}) VALUES ({_PLACEHOLDERS})"  # noqa: S608
_UPDATE: Final = (
    "UPDATE incidents SET "  # noqa: S608 - constant
    + ", ".join(f"{name.strip()} = ?" for name in _FIELDS.split(","))
    + " WHERE id = ?"
)
_LATEST_FOR_KEY: Final = (
    _SELECT + " WHERE subject = ? AND tenant = ? AND route = ? AND category = ? "
    "ORDER BY id DESC LIMIT 1"
)


class Fold(Enum):
    """What a new event does to the latest incident with its key."""

    NEW = "new"
    ATTACH = "attach"
    REOPEN = "reopen"


def fold(latest: Incident | None, event: IncidentEvent, reopen_within: timedelta) -> Fold:
    """Decide how ``event`` meets ``latest`` (see the module docstring for the rules)."""
    if latest is None:
        return Fold.NEW
    if latest.status.active:
        return Fold.ATTACH
    closed_at = latest.resolved_at or latest.last_seen
    if event.at - max(latest.last_seen, closed_at) > reopen_within:
        return Fold.NEW
    if event.severity > latest.severity:
        return Fold.REOPEN
    if event.at <= closed_at or latest.status is IncidentStatus.FALSE_POSITIVE:
        return Fold.ATTACH
    return Fold.REOPEN


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What :meth:`IncidentStore.record_many` did: one incident (or None) per event, in order,
    and the changes worth an audit record (opened, reopened, escalated; not every attach)."""

    incidents: tuple[Incident | None, ...]
    changes: tuple[IncidentChange, ...]


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Count, mean and median of a duration in seconds (None when count is 0)."""

    count: int
    mean_s: float | None
    median_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean_s": None if self.mean_s is None else round(self.mean_s, 3),
            "median_s": None if self.median_s is None else round(self.median_s, 3),
        }


@dataclass(frozen=True, slots=True)
class IncidentStats:
    """Counts and response times for the compliance report.

    Times run from ``opened_at`` (the start of the current open period) to the acknowledgement,
    and to the closing (resolved or false positive).
    """

    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_severity: dict[str, int]
    time_to_acknowledge: DurationStats
    time_to_resolve: DurationStats

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_status": dict(self.by_status),
            "by_category": dict(self.by_category),
            "by_severity": dict(self.by_severity),
            "time_to_acknowledge": self.time_to_acknowledge.to_dict(),
            "time_to_resolve": self.time_to_resolve.to_dict(),
        }


def _ts(when: datetime | None) -> float | None:
    return None if when is None else when.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _req_dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _row_to_incident(row: tuple[Any, ...], notes: tuple[Note, ...] = ()) -> Incident:
    statistic = None if row[26] is None else json.loads(row[26])
    return Incident(
        number=int(row[0]),
        key=IncidentKey(identity=row[1], route=row[3], category=row[4], tenant=row[2]),
        title=row[5],
        severity=Severity(row[6]),
        max_score=float(row[7]),
        status=IncidentStatus(row[8]),
        owner=row[9],
        first_seen=_req_dt(row[10]),
        last_seen=_req_dt(row[11]),
        opened_at=_req_dt(row[12]),
        acknowledged_at=_dt(row[13]),
        resolved_at=_dt(row[14]),
        resolved_by=row[15],
        resolution=row[16],
        event_count=int(row[17]),
        reopen_count=int(row[18]),
        note_count=int(row[19]),
        taxonomy=tuple(json.loads(row[20])),
        rule_ids=tuple(json.loads(row[21])),
        audit=AuditLinks(tuple(json.loads(row[22])), tuple(json.loads(row[23])), int(row[24])),
        summary=row[25],
        statistic=statistic,
        last_exchange_id=row[27],
        notes=notes,
    )


def _values(inc: Incident) -> tuple[Any, ...]:
    return (
        inc.identity,
        inc.tenant,
        inc.route,
        inc.category,
        inc.title,
        int(inc.severity),
        inc.max_score,
        inc.status.value,
        inc.owner,
        _ts(inc.first_seen),
        _ts(inc.last_seen),
        _ts(inc.opened_at),
        _ts(inc.acknowledged_at),
        _ts(inc.resolved_at),
        inc.resolved_by,
        inc.resolution,
        inc.event_count,
        inc.reopen_count,
        inc.note_count,
        json.dumps(list(inc.taxonomy)),
        json.dumps(list(inc.rule_ids)),
        json.dumps(list(inc.audit.first)),
        json.dumps(list(inc.audit.last)),
        inc.audit.total,
        inc.summary,
        None if inc.statistic is None else json.dumps(dict(inc.statistic), sort_keys=True),
        inc.last_exchange_id,
    )


def _new_incident(event: IncidentEvent) -> Incident:
    audit = AuditLinks() if event.audit_seq is None else AuditLinks().add(event.audit_seq)
    return Incident(
        number=0,
        key=event.key,
        title=incident_title(event.key),
        severity=event.severity,
        status=IncidentStatus.OPEN,
        first_seen=event.at,
        last_seen=event.at,
        opened_at=event.at,
        event_count=1,
        max_score=event.score,
        taxonomy=tuple(sorted({t.value for t in event.taxonomy})),
        rule_ids=event.rule_ids[:MAX_INCIDENT_RULE_IDS],
        audit=audit,
        summary=event.summary,
        statistic=event.statistic,
        last_exchange_id=event.exchange_id,
    )


def _attach(inc: Incident, event: IncidentEvent) -> Incident:
    newest = event.at >= inc.last_seen  # the latest event's summary describes the incident
    return replace(
        inc,
        severity=max(inc.severity, event.severity),
        max_score=max(inc.max_score, event.score),
        first_seen=min(inc.first_seen, event.at),
        last_seen=max(inc.last_seen, event.at),
        event_count=inc.event_count + 1,
        taxonomy=tuple(sorted({*inc.taxonomy, *(t.value for t in event.taxonomy)})),
        rule_ids=merge_ordered(inc.rule_ids, event.rule_ids, MAX_INCIDENT_RULE_IDS),
        audit=inc.audit if event.audit_seq is None else inc.audit.add(event.audit_seq),
        summary=event.summary if newest and event.summary else inc.summary,
        statistic=event.statistic if newest and event.statistic is not None else inc.statistic,
        last_exchange_id=event.exchange_id
        if newest and event.exchange_id
        else inc.last_exchange_id,
    )


def _reopened(inc: Incident, at: datetime) -> Incident:
    opened = at if inc.resolved_at is None else max(at, inc.resolved_at)
    return replace(
        inc,
        status=IncidentStatus.OPEN,
        opened_at=opened,
        acknowledged_at=None,
        resolved_at=None,
        resolved_by=None,
        resolution=None,
        reopen_count=inc.reopen_count + 1,
    )


def _closure_note(inc: Incident, why: str) -> str:
    """The closing a reopening undoes, kept as a note (the row itself forgets it)."""
    was = f"was {inc.status.value}"
    if inc.resolved_by:
        was += f" by {inc.resolved_by}"
    if inc.resolution:
        was += f": {inc.resolution}"
    return f"Reopened ({why}); {was}"[:MAX_NOTE_LENGTH]


def _diff(before: Incident, after: Incident, *names: str) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for name in names:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out[name] = (old, new)
    return out


class IncidentStore:
    """Incidents in SQLite. Thread-safe: one lock serialises use of the shared connection.

    ``on_change`` (optional) is called with every :class:`IncidentChange`, after its transaction
    committed and outside the lock, so it may append to the audit trail; an exception it raises
    reaches the caller of the store method (the change itself is already committed).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        reopen_within_s: float = DEFAULT_REOPEN_WITHIN_S,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[IncidentChange], None] | None = None,
    ) -> None:
        if not reopen_within_s > 0:
            raise ValueError("reopen_within_s must be positive")
        self._conn = conn
        self._lock = threading.Lock()
        self._clock = clock
        self._on_change = on_change
        self.reopen_within = timedelta(seconds=reopen_within_s)
        with self._lock:
            for name, statements in _MIGRATIONS:
                migrate(conn, name, statements)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        reopen_within_s: float = DEFAULT_REOPEN_WITHIN_S,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[IncidentChange], None] | None = None,
    ) -> IncidentStore:
        """Open (creating and migrating if needed) the incident store in the database at ``path``."""
        return cls(connect(path), reopen_within_s=reopen_within_s, clock=clock, on_change=on_change)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- events ------------------------------------------------------------------------------------

    def record(
        self, event: IncidentEvent, *, min_severity: Severity = Severity.MEDIUM
    ) -> Incident | None:
        """Open or update the incident for ``event``; None when it is below ``min_severity``."""
        return self.record_many([event], min_severity=min_severity).incidents[0]

    def record_many(
        self, events: Iterable[IncidentEvent], *, min_severity: Severity = Severity.MEDIUM
    ) -> RecordResult:
        """Fold ``events`` in order, in one transaction: all are recorded, or none."""
        batch = list(events)
        out: list[Incident | None] = [None] * len(batch)
        changes: list[IncidentChange] = []
        wanted = [i for i, event in enumerate(batch) if event.severity >= min_severity]
        if wanted:
            with self._lock, transaction(self._conn):
                for i in wanted:
                    incident, change = self._record_one(batch[i])
                    out[i] = incident
                    if change is not None:
                        changes.append(change)
        self._notify(changes)
        return RecordResult(tuple(out), tuple(changes))

    def _record_one(self, event: IncidentEvent) -> tuple[Incident, IncidentChange | None]:
        key = event.key
        row = self._conn.execute(
            _LATEST_FOR_KEY, (key.identity, key.tenant, key.route, key.category)
        ).fetchone()
        latest = None if row is None else _row_to_incident(row)
        how = fold(latest, event, self.reopen_within)
        if latest is None or how is Fold.NEW:
            incident = _new_incident(event)
            cur = self._conn.execute(_INSERT, _values(incident))
            assert cur.lastrowid is not None
            incident = replace(incident, number=int(cur.lastrowid))
            opened = {"status": (None, incident.status), "severity": (None, incident.severity)}
            return incident, self._auto(incident, ChangeAction.OPENED, event, opened)
        updated = _attach(latest, event)
        change = None
        if how is Fold.REOPEN:
            updated = _reopened(updated, event.at)
            updated = self._system_note(updated, event.at, _closure_note(latest, "new evidence"))
            diff = _diff(latest, updated, "status", "severity")
            change = self._auto(updated, ChangeAction.REOPENED, event, diff)
        elif updated.severity > latest.severity:
            diff = _diff(latest, updated, "severity")
            change = self._auto(updated, ChangeAction.ESCALATED, event, diff)
        self._conn.execute(_UPDATE, (*_values(updated), updated.number))
        return updated, change

    @staticmethod
    def _auto(
        incident: Incident,
        action: ChangeAction,
        event: IncidentEvent,
        changes: dict[str, tuple[Any, Any]],
    ) -> IncidentChange:
        return IncidentChange(
            incident.id, incident.key, action, SYSTEM_ACTOR, event.at, changes, event.summary
        )

    def _system_note(self, incident: Incident, at: datetime, text: str) -> Incident:
        """Add a note in the current transaction, unless the incident's notes are full."""
        if incident.note_count >= MAX_NOTES:
            return incident
        self._insert_note(incident.number, SYSTEM_ACTOR, at, text)
        return replace(incident, note_count=incident.note_count + 1)

    def _insert_note(self, number: int, author: str, at: datetime, text: str) -> None:
        self._conn.execute(
            "INSERT INTO incident_notes (incident_id, author, at, text) VALUES (?, ?, ?, ?)",
            (number, author, _ts(at), text),
        )

    def _newer(self, inc: Incident) -> int | None:
        """The number of a later incident with the same key, if any (only the latest may be
        reopened: at most one incident per key is active)."""
        key = inc.key
        row = self._conn.execute(
            "SELECT MAX(id) FROM incidents "
            "WHERE subject = ? AND tenant = ? AND route = ? AND category = ? AND id > ?",
            (key.identity, key.tenant, key.route, key.category, inc.number),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def _notify(self, changes: Iterable[IncidentChange]) -> None:
        if self._on_change is not None:
            for change in changes:
                self._on_change(change)

    # -- reading -----------------------------------------------------------------------------------

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several SELECTs see one consistent state of the database."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def _load(self, number: int) -> Incident:
        """The incident with its notes; call with the lock held, inside a transaction."""
        row = self._conn.execute(_SELECT + " WHERE id = ?", (number,)).fetchone()
        if row is None:
            raise IncidentNotFoundError(f"no incident {format_incident_id(number)}")
        notes = self._conn.execute(
            "SELECT author, at, text FROM incident_notes WHERE incident_id = ? ORDER BY id LIMIT ?",
            (number, MAX_NOTES),
        ).fetchall()
        return _row_to_incident(row, tuple(Note(a, _req_dt(t), x) for a, t, x in notes))

    def get(self, incident_id: str | int) -> Incident | None:
        """The incident (``INC-000123`` or 123) with its notes, or None."""
        number = parse_incident_id(incident_id)
        try:
            with self._snapshot():
                return self._load(number)
        except IncidentNotFoundError:
            return None

    @staticmethod
    def _where(
        *,
        status: IncidentStatus | str | None,
        category: str | None,
        identity: str | None,
        route: str | None,
        tenant: str | None,
        since: datetime | None,
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(IncidentStatus(status).value)
        for column, value in (
            ("category", category),
            ("subject", identity),
            ("route", route),
            ("tenant", tenant),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(str(value))
        if since is not None:
            if since.tzinfo is None:
                raise ValueError("since must be timezone-aware")
            clauses.append("last_seen >= ?")
            params.append(since.timestamp())
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def list(
        self,
        *,
        status: IncidentStatus | str | None = None,
        category: str | None = None,
        identity: str | None = None,
        route: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        tenant: str | None = None,
    ) -> list[Incident]:
        """One page of incidents, most recently active first (without notes; see note_count).

        ``since`` keeps incidents whose last event is at or after it.
        """
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1-{MAX_PAGE}")
        if offset < 0:
            raise ValueError("offset must not be negative")
        where, params = self._where(
            status=status,
            category=category,
            identity=identity,
            route=route,
            tenant=tenant,
            since=since,
        )
        sql = _SELECT + where + " ORDER BY last_seen DESC, id DESC LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._conn.execute(sql, (*params, limit, offset)).fetchall()
        return [_row_to_incident(row) for row in rows]

    def count(
        self,
        *,
        status: IncidentStatus | str | None = None,
        category: str | None = None,
        identity: str | None = None,
        route: str | None = None,
        since: datetime | None = None,
        tenant: str | None = None,
    ) -> int:
        """How many incidents :meth:`list` would page through with these filters."""
        where, params = self._where(
            status=status,
            category=category,
            identity=identity,
            route=route,
            tenant=tenant,
            since=since,
        )
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM incidents" + where,  # noqa: S608 - constant clauses
                params,
            ).fetchone()
        return int(row[0])

    def stats(self, since: datetime | None = None) -> IncidentStats:
        """Counts by status, category and severity, and response times, over incidents first
        seen at or after ``since`` (all when None)."""
        params: tuple[float, ...] = ()
        where = ""
        if since is not None:
            if since.tzinfo is None:
                raise ValueError("since must be timezone-aware")
            where, params = " WHERE first_seen >= ?", (since.timestamp(),)
        with self._snapshot() as conn:
            groups = {
                column: {
                    str(value): int(n)
                    for value, n in conn.execute(
                        f"SELECT {column}, COUNT(*) FROM incidents{where} "  # noqa: S608
                        f"GROUP BY {column} ORDER BY COUNT(*) DESC, {column}",
                        params,
                    )
                }
                for column in ("status", "category", "severity")
            }
            ack = _durations(conn, "acknowledged_at", where, params)
            closed = _durations(conn, "resolved_at", where, params)
        by_severity = {str(Severity(int(k))): v for k, v in groups["severity"].items()}
        return IncidentStats(
            total=sum(groups["status"].values()),
            by_status=groups["status"],
            by_category=groups["category"],
            by_severity=by_severity,
            time_to_acknowledge=ack,
            time_to_resolve=closed,
        )

    # -- workflow ----------------------------------------------------------------------------------

    def acknowledge(self, incident_id: str | int, owner: str) -> tuple[Incident, IncidentChange]:
        """``open`` → ``acknowledged``; ``owner`` takes it."""
        name = check_name("owner", owner)

        def step(inc: Incident, now: datetime) -> Incident:
            return replace(inc, status=IncidentStatus.ACKNOWLEDGED, acknowledged_at=now, owner=name)

        return self._step(
            incident_id, ChangeAction.ACKNOWLEDGED, name, step, fields=("status", "owner")
        )

    def assign(self, incident_id: str | int, owner: str) -> tuple[Incident, IncidentChange]:
        """Give an active incident to ``owner`` (its status is unchanged)."""
        name = check_name("owner", owner)
        return self._step(
            incident_id,
            ChangeAction.ASSIGNED,
            name,
            lambda inc, _now: replace(inc, owner=name),
            fields=("owner",),
        )

    def resolve(
        self, incident_id: str | int, by: str, reason: str
    ) -> tuple[Incident, IncidentChange]:
        """Close an active incident as dealt with; ``reason`` is kept for the record."""
        return self._close(incident_id, IncidentStatus.RESOLVED, by, reason)

    def mark_false_positive(
        self, incident_id: str | int, by: str, reason: str
    ) -> tuple[Incident, IncidentChange]:
        """Close an incident (or reclassify a resolved one) as a false positive.

        Later events of no higher severity are attached without reopening it (see :func:`fold`).
        """
        return self._close(incident_id, IncidentStatus.FALSE_POSITIVE, by, reason)

    def _close(
        self, incident_id: str | int, status: IncidentStatus, by: str, reason: str
    ) -> tuple[Incident, IncidentChange]:
        actor = check_name("by", by)
        why = check_text("reason", reason, MAX_REASON_LENGTH)
        action = (
            ChangeAction.RESOLVED
            if status is IncidentStatus.RESOLVED
            else ChangeAction.FALSE_POSITIVE
        )

        def step(inc: Incident, now: datetime) -> Incident:
            # A reclassified incident keeps its closing time: time-to-resolve does not move.
            return replace(
                inc,
                status=status,
                resolved_at=inc.resolved_at or now,
                resolved_by=actor,
                resolution=why,
            )

        fields = ("status", "resolved_by", "resolution")
        return self._step(incident_id, action, actor, step, fields=fields, detail=why)

    def reopen(
        self, incident_id: str | int, by: str, reason: str
    ) -> tuple[Incident, IncidentChange]:
        """Reopen a closed incident by hand; the closing it undoes is kept as a note."""
        actor = check_name("by", by)
        why = check_text("reason", reason, MAX_REASON_LENGTH)

        def step(inc: Incident, now: datetime) -> Incident:
            newer = self._newer(inc)
            if newer is not None:
                raise InvalidTransitionError(
                    f"{inc.id} cannot be reopened: {format_incident_id(newer)} is the newer "
                    "incident for the same identity, route and category"
                )
            return self._system_note(
                _reopened(inc, now), now, _closure_note(inc, f"by {actor}: {why}")
            )

        return self._step(
            incident_id, ChangeAction.REOPENED, actor, step, fields=("status",), detail=why
        )

    def add_note(
        self, incident_id: str | int, author: str, text: str
    ) -> tuple[Incident, IncidentChange]:
        """Append an analyst's note (at most :data:`MAX_NOTE_LENGTH` characters)."""
        name = check_name("author", author)
        body = check_text("note", text, MAX_NOTE_LENGTH)

        def step(inc: Incident, now: datetime) -> Incident:
            if inc.note_count >= MAX_NOTES:
                raise IncidentError(f"{inc.id} already has the maximum of {MAX_NOTES} notes")
            self._insert_note(inc.number, name, now, body)
            return replace(inc, note_count=inc.note_count + 1)

        return self._step(
            incident_id, ChangeAction.NOTED, name, step, fields=("note_count",), detail=body
        )

    def _step(
        self,
        incident_id: str | int,
        action: ChangeAction,
        actor: str,
        step: Callable[[Incident, datetime], Incident],
        *,
        fields: tuple[str, ...],
        detail: str = "",
    ) -> tuple[Incident, IncidentChange]:
        """Load, check the transition, apply ``step`` and save, in one write transaction."""
        number = parse_incident_id(incident_id)
        now = datetime.fromtimestamp(self._clock(), UTC)
        with self._lock, transaction(self._conn):
            before = self._load(number)
            check_transition(before.id, before.status, action)
            after = step(before, now)
            self._conn.execute(_UPDATE, (*_values(after), number))
            saved = self._load(number)
        change = IncidentChange(
            saved.id, saved.key, action, actor, now, _diff(before, after, *fields), detail
        )
        self._notify([change])
        return saved, change


def _durations(
    conn: sqlite3.Connection, end_column: str, where: str, params: tuple[float, ...]
) -> DurationStats:
    """Mean and median of ``end_column - opened_at`` in SQL: no list of every incident in memory.

    Clamped at zero: the gateway's and the analyst's clocks may disagree by a little.
    """
    cond = f"{end_column} IS NOT NULL"
    scope = f"{where} AND {cond}" if where else f" WHERE {cond}"
    base = f"SELECT MAX(0.0, {end_column} - opened_at) AS d FROM incidents{scope}"  # noqa: S608
    n, mean = conn.execute(f"SELECT COUNT(*), AVG(d) FROM ({base})", params).fetchone()  # noqa: S608
    if not n:
        return DurationStats(0, None, None)
    middle = conn.execute(
        f"SELECT d FROM ({base}) ORDER BY d LIMIT ? OFFSET ?",  # noqa: S608
        (*params, 2 - n % 2, (n - 1) // 2),
    ).fetchall()
    median = sum(float(r[0]) for r in middle) / len(middle)
    return DurationStats(int(n), float(mean), median)
