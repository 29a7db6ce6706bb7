"""Incidents: findings grouped by who, where and what, with a workflow a security team can run.

A detector reports an :class:`IncidentEvent`; the store folds events that share an
:class:`IncidentKey` (identity, tenant, route, category) into one :class:`Incident`, so an
analyst sees one line per attacker and technique instead of one per request. Every workflow step
produces an :class:`IncidentChange` the caller can append to the audit trail.

The rules for a new event (see :meth:`IncidentStore.record
<wardgate.incidents.store.IncidentStore.record>`) and for the workflow (:data:`TRANSITIONS`) are
here, as pure code, so they can be read and tested without a database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from wardgate.core.finding import Severity
from wardgate.core.taxonomy import TaxonomyId, parse_tag

ID_PREFIX: Final = "INC-"
MAX_IDENTITY_LENGTH: Final = 512  # as wardgate.policy.identity.MAX_SUBJECT_LENGTH
MAX_ROUTE_LENGTH: Final = 128
MAX_NAME_LENGTH: Final = 200  # owners, authors, actors
MAX_RULE_ID_LENGTH: Final = 200
MAX_EVENT_RULE_IDS: Final = 32
MAX_INCIDENT_RULE_IDS: Final = 64
MAX_SUMMARY_LENGTH: Final = 500
MAX_EXCHANGE_ID_LENGTH: Final = 64
MAX_STATISTIC_ENTRIES: Final = 32
MAX_STATISTIC_KEY_LENGTH: Final = 64
MAX_STATISTIC_TEXT_LENGTH: Final = 200
MAX_REASON_LENGTH: Final = 1_000
MAX_NOTE_LENGTH: Final = 4_000
MAX_NOTES: Final = 500
"""Notes per incident: an incident page stays bounded however long the discussion."""
FIRST_SEQS: Final = 20
LAST_SEQS: Final = 80
"""Audit seqs kept per incident: how it started and what it is doing now, plus a total."""

SYSTEM_ACTOR: Final = "wardgate"
"""The actor of changes the gateway makes on its own (opening, reopening, escalating)."""

_CATEGORY = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_ID = re.compile(r"(?:INC-?)?0*([0-9]{1,15})", re.IGNORECASE)
_TEXT_CONTROLS_ALLOWED = frozenset("\n\t")

StatValue = int | float | str | bool


class IncidentError(Exception):
    """Base class of the store's refusals; messages name the incident, never event content."""


class IncidentNotFoundError(IncidentError, LookupError):
    """No incident has that id."""


class InvalidTransitionError(IncidentError):
    """The workflow does not allow this step from the incident's current status."""


class IncidentStatus(StrEnum):
    """Workflow states: ``open`` → ``acknowledged`` → ``resolved``, or ``false_positive``."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    FALSE_POSITIVE = "false_positive"

    @property
    def active(self) -> bool:
        """True while someone still has to act on it (open or acknowledged)."""
        return self in (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)


class ChangeAction(StrEnum):
    """What an :class:`IncidentChange` records."""

    OPENED = "opened"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    FALSE_POSITIVE = "false_positive"
    NOTED = "noted"


_ACTIVE = frozenset({IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED})
_CLOSED = frozenset({IncidentStatus.RESOLVED, IncidentStatus.FALSE_POSITIVE})

TRANSITIONS: Final[Mapping[ChangeAction, frozenset[IncidentStatus]]] = {
    ChangeAction.ACKNOWLEDGED: frozenset({IncidentStatus.OPEN}),
    ChangeAction.ASSIGNED: _ACTIVE,
    ChangeAction.RESOLVED: _ACTIVE,
    # A resolved incident may be reclassified as a false positive once investigated.
    ChangeAction.FALSE_POSITIVE: _ACTIVE | {IncidentStatus.RESOLVED},
    ChangeAction.REOPENED: _CLOSED,
    ChangeAction.NOTED: frozenset(IncidentStatus),
}
"""The statuses each human step may start from."""


def check_transition(incident_id: str, status: IncidentStatus, action: ChangeAction) -> None:
    """Raise :class:`InvalidTransitionError` unless ``action`` is allowed from ``status``."""
    allowed = TRANSITIONS[action]
    if status not in allowed:
        froms = ", ".join(sorted(s.value for s in allowed))
        raise InvalidTransitionError(
            f"{incident_id} is {status.value}: cannot {_VERB[action]} it (only from {froms})"
        )


_VERB: Final[Mapping[ChangeAction, str]] = {
    ChangeAction.ACKNOWLEDGED: "acknowledge",
    ChangeAction.ASSIGNED: "assign",
    ChangeAction.RESOLVED: "resolve",
    ChangeAction.FALSE_POSITIVE: "mark as false positive",
    ChangeAction.REOPENED: "reopen",
    ChangeAction.NOTED: "add a note to",
}


def format_incident_id(number: int) -> str:
    """``INC-000123``: short, sortable, and what analysts type."""
    return f"{ID_PREFIX}{number:06d}"


def parse_incident_id(text: str | int) -> int:
    """The number in ``INC-000123``, ``inc-123`` or ``123``; ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError("incident id must look like INC-000123")
    if isinstance(text, int):
        number = text
    else:
        match = _ID.fullmatch(text.strip())
        if match is None:
            raise ValueError("incident id must look like INC-000123")
        number = int(match.group(1))
    if number < 1:
        raise ValueError("incident ids start at INC-000001")
    return number


def check_name(kind: str, value: str) -> str:
    """An owner, author or actor: 1-200 printable characters, trimmed."""
    out = value.strip() if isinstance(value, str) else ""
    if not out or len(out) > MAX_NAME_LENGTH or not out.isprintable():
        raise ValueError(f"{kind} must be 1-{MAX_NAME_LENGTH} printable characters")
    return out


def check_text(kind: str, value: str, limit: int) -> str:
    """Free text (a reason, a note): non-empty, bounded, no control characters but newline/tab.

    Control characters are refused so that a note cannot rewrite an analyst's terminal.
    """
    out = value.strip() if isinstance(value, str) else ""
    if not out or len(out) > limit:
        raise ValueError(f"{kind} must be 1-{limit} characters")
    if any(not c.isprintable() and c not in _TEXT_CONTROLS_ALLOWED for c in out):
        raise ValueError(f"{kind} must not contain control characters")
    return out


def _aware(when: datetime, kind: str) -> datetime:
    if not isinstance(when, datetime) or when.tzinfo is None:
        raise ValueError(f"{kind} must be a timezone-aware datetime")
    return when.astimezone(UTC)


def _check_statistic(stat: Mapping[str, Any]) -> dict[str, StatValue]:
    if len(stat) > MAX_STATISTIC_ENTRIES:
        raise ValueError(f"statistic has more than {MAX_STATISTIC_ENTRIES} entries")
    out: dict[str, StatValue] = {}
    for key, value in stat.items():
        if not isinstance(key, str) or not 0 < len(key) <= MAX_STATISTIC_KEY_LENGTH:
            raise ValueError(f"statistic keys must be 1-{MAX_STATISTIC_KEY_LENGTH} characters")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("statistic values must be finite")
        if isinstance(value, str):
            out[key] = value[:MAX_STATISTIC_TEXT_LENGTH]
        elif isinstance(value, int | float | bool):
            out[key] = value
        else:
            raise ValueError("statistic values must be numbers, booleans or short strings")
    return out


@dataclass(frozen=True, slots=True)
class IncidentKey:
    """What groups events into one incident: the same caller, route and kind of attack.

    ``tenant`` is part of the key so two tenants' callers with the same subject never share an
    incident (or each other's evidence).
    """

    identity: str
    route: str
    category: str
    tenant: str = ""


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """What a detector or the gateway reports. ``summary`` must be safe to show and store.

    Callers pass a summary they wrote (counts, rule ids, the verdict), never the prompt or answer;
    it is clipped to :data:`MAX_SUMMARY_LENGTH`. ``statistic`` lets a behavioural detector say
    which measurement fired (e.g. ``{"distinct_prompts_per_min": 240, "threshold": 60}``).
    Validation happens here, so a malformed event fails where it is built.
    """

    identity: str
    route: str
    category: str
    severity: Severity
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    tenant: str = ""
    score: float = 0.0
    rule_ids: tuple[str, ...] = ()
    taxonomy: tuple[TaxonomyId, ...] = ()
    audit_seq: int | None = None
    exchange_id: str | None = None
    summary: str = ""
    statistic: Mapping[str, StatValue] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.identity, str) or not 0 < len(self.identity) <= MAX_IDENTITY_LENGTH:
            raise ValueError(f"identity must be 1-{MAX_IDENTITY_LENGTH} characters")
        if not isinstance(self.tenant, str) or len(self.tenant) > MAX_IDENTITY_LENGTH:
            raise ValueError(f"tenant must be at most {MAX_IDENTITY_LENGTH} characters")
        if not isinstance(self.route, str) or not 0 < len(self.route) <= MAX_ROUTE_LENGTH:
            raise ValueError(f"route must be 1-{MAX_ROUTE_LENGTH} characters")
        category = str(self.category)
        if not _CATEGORY.fullmatch(category):
            raise ValueError("category must be 1-64 of [a-z0-9_.-], starting with a letter")
        if not isinstance(self.score, int | float) or not 0.0 <= self.score <= 1.0:
            raise ValueError("score must be in [0, 1]")
        seq = self.audit_seq
        if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 0):
            raise ValueError("audit_seq must be a non-negative integer")
        xid = self.exchange_id
        if xid is not None and (
            not 0 < len(xid) <= MAX_EXCHANGE_ID_LENGTH or not xid.isprintable()
        ):
            raise ValueError(f"exchange_id must be 1-{MAX_EXCHANGE_ID_LENGTH} printable characters")
        rule_ids = tuple(dict.fromkeys(r for r in self.rule_ids if r))
        if any(len(r) > MAX_RULE_ID_LENGTH or not r.isprintable() for r in rule_ids):
            raise ValueError(f"rule ids must be 1-{MAX_RULE_ID_LENGTH} printable characters")
        statistic = None if self.statistic is None else _check_statistic(self.statistic)
        normalised: dict[str, Any] = {
            "category": category,
            "severity": Severity(self.severity),
            "at": _aware(self.at, "at"),
            "score": float(self.score),
            "rule_ids": rule_ids[:MAX_EVENT_RULE_IDS],
            "taxonomy": tuple(dict.fromkeys(parse_tag(str(t)) for t in self.taxonomy)),
            "summary": self.summary[:MAX_SUMMARY_LENGTH],
            "statistic": statistic,
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)

    @property
    def key(self) -> IncidentKey:
        return IncidentKey(self.identity, self.route, self.category, self.tenant)


@dataclass(frozen=True, slots=True)
class AuditLinks:
    """The audit records that evidence an incident: the first and the most recent, bounded.

    An incident fed for months must not grow without bound, yet an investigator needs both how it
    started and what it is doing now; ``total`` says how many were linked in all.
    """

    first: tuple[int, ...] = ()
    last: tuple[int, ...] = ()
    total: int = 0

    def add(self, seq: int) -> AuditLinks:
        """These links with ``seq`` appended (a repeat of the latest seq is ignored)."""
        tail = self.last or self.first
        if tail and tail[-1] == seq:
            return self
        if len(self.first) < FIRST_SEQS:
            return AuditLinks((*self.first, seq), self.last, self.total + 1)
        return AuditLinks(self.first, (*self.last, seq)[-LAST_SEQS:], self.total + 1)

    @property
    def seqs(self) -> tuple[int, ...]:
        """The kept seqs, in the order they were linked."""
        return self.first + self.last

    @property
    def truncated(self) -> bool:
        """True when some linked seqs between ``first`` and ``last`` were not kept."""
        return self.total > len(self.first) + len(self.last)


@dataclass(frozen=True, slots=True)
class Note:
    """An analyst's note on an incident."""

    author: str
    at: datetime
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"author": self.author, "at": _iso(self.at), "text": self.text}


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat(timespec="seconds")


def incident_title(key: IncidentKey) -> str:
    """``prompt injection by alice on chat``: what the incident is, in a list."""
    return f"{key.category.replace('_', ' ')} by {key.identity} on {key.route}"


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident as stored. Times are UTC.

    ``opened_at`` is when the current open period began (``first_seen``, or the reopening), the
    start for time-to-acknowledge and time-to-resolve. ``resolved_at`` is set when the incident
    is closed either way (resolved or false positive). ``notes`` is filled by
    :meth:`~wardgate.incidents.store.IncidentStore.get` only; listings give ``note_count``.
    """

    number: int
    key: IncidentKey
    title: str
    severity: Severity
    status: IncidentStatus
    first_seen: datetime
    last_seen: datetime
    opened_at: datetime
    event_count: int
    owner: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    reopen_count: int = 0
    max_score: float = 0.0
    taxonomy: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    audit: AuditLinks = AuditLinks()
    summary: str = ""
    statistic: Mapping[str, StatValue] | None = None
    last_exchange_id: str | None = None
    note_count: int = 0
    notes: tuple[Note, ...] = ()

    @property
    def id(self) -> str:
        return format_incident_id(self.number)

    @property
    def category(self) -> str:
        return self.key.category

    @property
    def identity(self) -> str:
        return self.key.identity

    @property
    def route(self) -> str:
        return self.key.route

    @property
    def tenant(self) -> str:
        return self.key.tenant

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view, as ``wardgate incidents --json`` prints it."""
        return {
            "id": self.id,
            "title": self.title,
            "identity": self.identity,
            "tenant": self.tenant,
            "route": self.route,
            "category": self.category,
            "severity": str(self.severity),
            "status": self.status.value,
            "owner": self.owner,
            "event_count": self.event_count,
            "reopen_count": self.reopen_count,
            "note_count": self.note_count,
            "max_score": round(self.max_score, 4),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "opened_at": _iso(self.opened_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
            "resolution": self.resolution,
            "taxonomy": list(self.taxonomy),
            "rule_ids": list(self.rule_ids),
            "audit_seqs": list(self.audit.seqs),
            "audit_seq_count": self.audit.total,
            "summary": self.summary,
            "statistic": None if self.statistic is None else dict(self.statistic),
            "last_exchange_id": self.last_exchange_id,
            "notes": [n.to_dict() for n in self.notes],
        }


def merge_ordered(kept: Iterable[str], new: Iterable[str], limit: int) -> tuple[str, ...]:
    """``kept`` then the new values not in it, at most ``limit`` in all (first seen win)."""
    return tuple(dict.fromkeys((*kept, *new)))[:limit]


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """One change to an incident: what changed (field → (before, after)), who, when.

    The gateway and the CLI append :meth:`to_audit_body` to the audit trail as an ``incident``
    record, so the workflow itself is tamper-evident.
    """

    incident_id: str
    key: IncidentKey
    action: ChangeAction
    actor: str
    at: datetime
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    detail: str = ""

    def to_audit_body(self) -> dict[str, Any]:
        """A canonical-JSON-ready body (strings, ints, None) for an ``incident`` audit record."""
        return {
            "incident": self.incident_id,
            "action": self.action.value,
            "actor": self.actor,
            "at": self.at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "identity": self.key.identity,
            "tenant": self.key.tenant,
            "route": self.key.route,
            "category": self.key.category,
            "changes": {
                name: {"from": _plain(before), "to": _plain(after)}
                for name, (before, after) in self.changes.items()
            },
            "detail": self.detail,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Severity):
        return str(value)
    if isinstance(value, StrEnum):
        return value.value
    return value
