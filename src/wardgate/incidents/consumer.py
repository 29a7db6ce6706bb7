"""The LOG-phase consumer that turns a finished exchange's findings into incident events.

One event per finding category (with the category's highest severity and score), so an exchange
that tripped three injection rules adds one event to one incident, not three. The summary it
writes names counts, rule ids and the verdict only: never evidence, messages or body text, which
may quote what the caller sent.

SQLite work runs in a worker thread (:func:`asyncio.to_thread`): the LOG phase shares the event
loop with requests, and a write may wait on another process's lock for up to the busy timeout.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC

from wardgate.core.exchange import Exchange
from wardgate.core.finding import Category, Finding, Severity
from wardgate.incidents.model import (
    MAX_ROUTE_LENGTH,
    MAX_SUMMARY_LENGTH,
    IncidentChange,
    IncidentEvent,
)
from wardgate.incidents.store import IncidentStore, RecordResult

DEFAULT_IGNORED: frozenset[str] = frozenset({Category.DETECTOR_ERROR.value})
"""Categories that never open incidents: a detector timing out is an operations matter (its
metric and the route's ``fail`` setting cover it), not something a caller did."""
NO_ROUTE = "-"
_MAX_SUMMARY_RULES = 5

ChangeHook = Callable[[IncidentChange], Awaitable[None]]


def _summary(category: str, findings: list[Finding], exchange: Exchange) -> str:
    rules = list(dict.fromkeys(f.rule_id or f.detector for f in findings))
    shown = ", ".join(rules[:_MAX_SUMMARY_RULES])
    if len(rules) > _MAX_SUMMARY_RULES:
        shown += f" and {len(rules) - _MAX_SUMMARY_RULES} more"
    noun = "finding" if len(findings) == 1 else "findings"
    text = f"{len(findings)} {category} {noun} ({shown})"
    verdict = exchange.verdict
    if verdict is not None:
        text += f"; verdict {verdict.action.value}"
        if not verdict.enforced:
            text += " (monitor only)"
    return text[:MAX_SUMMARY_LENGTH]


def _route(exchange: Exchange) -> str:
    route = exchange.metadata.get("route")
    if not isinstance(route, str) or not 0 < len(route) <= MAX_ROUTE_LENGTH:
        return NO_ROUTE
    return route


def _audit_seq(exchange: Exchange) -> int | None:
    seq = exchange.metadata.get("audit_seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return None
    return seq


def events_for(
    exchange: Exchange,
    *,
    min_severity: Severity = Severity.MEDIUM,
    min_score: float = 0.0,
    ignore_categories: Iterable[str] = DEFAULT_IGNORED,
) -> list[IncidentEvent]:
    """The incident events for ``exchange``: one per category that reaches ``min_severity``.

    Findings under ``min_score`` or in an ignored category are left out before grouping.
    """
    ignored = {str(c) for c in ignore_categories}
    groups: dict[str, list[Finding]] = {}
    for finding in exchange.findings:
        category = finding.category.value
        if category in ignored or finding.score < min_score:
            continue
        groups.setdefault(category, []).append(finding)
    at = exchange.started_at
    if at.tzinfo is None:  # an exchange rebuilt from a naive timestamp: the gateway uses UTC
        at = at.replace(tzinfo=UTC)
    events: list[IncidentEvent] = []
    for category, findings in groups.items():
        severity = max(f.severity for f in findings)
        if severity < min_severity:
            continue
        ordered = sorted(findings, key=lambda f: (-f.severity, -f.score))
        events.append(
            IncidentEvent(
                identity=exchange.identity.subject or "anonymous",
                tenant=exchange.identity.tenant,
                route=_route(exchange),
                category=category,
                severity=severity,
                at=at,
                score=max(f.score for f in findings),
                rule_ids=tuple(f.rule_id or f.detector for f in ordered),
                taxonomy=tuple(dict.fromkeys(t for f in ordered for t in f.tags)),
                audit_seq=_audit_seq(exchange),
                exchange_id=exchange.id,
                summary=_summary(category, ordered, exchange),
            )
        )
    return events


class IncidentConsumer:
    """``async def __call__(exchange)`` for :meth:`LogPhase.add_consumer
    <wardgate.gateway.logphase.LogPhase.add_consumer>`.

    ``on_change`` (optional, async) receives each change worth an audit record (an incident
    opened, reopened or escalated), on the event loop, after it is committed: the gateway appends
    it to the audit trail there.
    """

    def __init__(
        self,
        store: IncidentStore,
        *,
        min_severity: Severity = Severity.MEDIUM,
        min_score: float = 0.0,
        ignore_categories: Iterable[str] = DEFAULT_IGNORED,
        on_change: ChangeHook | None = None,
    ) -> None:
        self._store = store
        self.min_severity = min_severity
        self.min_score = min_score
        self.ignore_categories = frozenset(str(c) for c in ignore_categories)
        self._on_change = on_change
        self.events = 0
        self.failures = 0

    async def __call__(self, exchange: Exchange) -> None:
        events = events_for(
            exchange,
            min_severity=self.min_severity,
            min_score=self.min_score,
            ignore_categories=self.ignore_categories,
        )
        if not events:
            return  # the common case: no thread hop, no database work
        await self.record(events)

    async def record(self, events: list[IncidentEvent]) -> None:
        """Record events from any detector (abuse analytics too), off the event loop; each
        change goes to ``on_change``."""
        try:
            result: RecordResult = await asyncio.to_thread(
                self._store.record_many, events, min_severity=self.min_severity
            )
        except sqlite3.Error:
            self.failures += 1  # the LOG phase logs the exception with the exchange id
            raise
        self.events += len(events)
        if self._on_change is not None:
            for change in result.changes:
                await self._on_change(change)
