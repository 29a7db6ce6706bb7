"""The LOG-phase consumer of abuse analytics: count, detect, report, sanction.

For every finished exchange: extract its :class:`~wardgate.abuse.observation.Observation`,
count it in the feature state for each configured scope, run the detectors on the keys that are
due, and for each finding emit an :class:`~wardgate.incidents.model.IncidentEvent` (at most one
per key and detector every ``realert_s``, or sooner when the severity rises) and file the
sanction the response rules choose in the :class:`~wardgate.abuse.responses.SanctionBook`.

It runs after the client has its answer and never raises for a state outage: when Redis is
unreachable the exchange is not counted (``state_errors``) and the gateway carries on.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Final

from wardgate.abuse.baseline import RouteBaselines
from wardgate.abuse.detectors import ALL_DETECTORS, AbuseFinding, Detector, run_detectors
from wardgate.abuse.features import FeatureSnapshot
from wardgate.abuse.observation import (
    EntityKey,
    Observation,
    Scope,
    compile_probes,
    observe,
)
from wardgate.abuse.responses import MemorySanctionBook, SanctionBook, plan_for
from wardgate.abuse.settings import AbuseSettings
from wardgate.abuse.state import FeatureState, MemoryFeatureState, StateUnavailableError
from wardgate.core.exchange import Exchange
from wardgate.core.finding import Severity
from wardgate.incidents.model import MAX_ROUTE_LENGTH, IncidentEvent

log = logging.getLogger("wardgate.abuse")

EmitHook = Callable[[IncidentEvent], Awaitable[None]]
FindingHook = Callable[[AbuseFinding, FeatureSnapshot], None]
_MAX_ALERT_KEYS: Final = 100_000


def incident_identity(key: EntityKey, obs: Observation) -> str:
    """The incident's identity: the subject for identity keys, ``tenant:x`` / ``client:x``
    for shared keys (so a tenant-wide incident is not filed against one of its users)."""
    if key.scope is Scope.IDENTITY:
        return obs.subject or "anonymous"
    return str(key)[:512]


def to_event(finding: AbuseFinding, exchange: Exchange, obs: Observation) -> IncidentEvent:
    """The incident event of ``finding`` (numbers and ids only: no prompt text)."""
    seq = exchange.metadata.get("audit_seq")
    route = obs.route if 0 < len(obs.route) <= MAX_ROUTE_LENGTH else "-"
    return IncidentEvent(
        identity=incident_identity(finding.key, obs),
        tenant=obs.tenant,
        route=route,
        category=finding.detector,
        severity=finding.severity,
        at=datetime.fromtimestamp(obs.at, UTC),
        score=finding.score,
        rule_ids=(f"abuse.{finding.detector}",),
        taxonomy=finding.taxonomy,
        audit_seq=seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else None,
        exchange_id=exchange.id[:64] or None,
        summary=finding.summary,
        statistic=finding.statistic,
    )


class AbuseConsumer:
    """``async def __call__(exchange)`` for :meth:`LogPhase.add_consumer
    <wardgate.gateway.logphase.LogPhase.add_consumer>`.

    ``emit`` receives each incident event (e.g. ``IncidentStore.record`` on a worker thread);
    ``on_finding`` (optional, synchronous) sees every finding before the re-alert filter, for
    metrics and the traffic simulator; ``clock`` dates sanctions.
    """

    def __init__(
        self,
        settings: AbuseSettings | None = None,
        *,
        state: FeatureState | None = None,
        sanctions: SanctionBook | None = None,
        emit: EmitHook | None = None,
        on_finding: FindingHook | None = None,
        detectors: tuple[Detector, ...] = ALL_DETECTORS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings if settings is not None else AbuseSettings()
        s = self.settings
        # "is None", not "or": an empty in-process state or book has len() 0 and is falsy.
        self.state: FeatureState = (
            state
            if state is not None
            else MemoryFeatureState(
                s.feature_params(),
                max_entities=s.max_entities,
                max_bytes=s.max_bytes,
                routes=RouteBaselines(min_weight=s.baseline.route_min_hours),
            )
        )
        self.sanctions: SanctionBook = (
            sanctions if sanctions is not None else MemorySanctionBook(clock=clock)
        )
        self._emit = emit
        self._on_finding = on_finding
        self._detectors = detectors
        self._clock = clock
        self._probes = compile_probes(s.probing.phrases)
        self._exempt_subjects = frozenset(s.exempt_subjects)
        self._exempt_groups = frozenset(s.exempt_groups)
        self._alerted: OrderedDict[tuple[EntityKey, str], tuple[float, Severity]] = OrderedDict()
        self.observed = 0
        self.evaluations = 0
        self.findings = 0
        self.events = 0
        self.sanctioned = 0
        self.state_errors = 0
        self._failing = False

    def exempt(self, exchange: Exchange) -> bool:
        identity = exchange.identity
        return identity.subject in self._exempt_subjects or not self._exempt_groups.isdisjoint(
            identity.groups
        )

    async def __call__(self, exchange: Exchange) -> None:
        if not self.settings.enabled or self.exempt(exchange):
            return
        obs = observe(exchange, probes=self._probes)
        keys = obs.keys(self.settings.scopes)
        try:
            snapshots = await self.state.update(obs, keys)
        except StateUnavailableError as exc:
            self.state_errors += 1
            if not self._failing:
                self._failing = True
                log.warning("abuse: feature state unavailable (%s); not counting until it is", exc)
            return
        if self._failing:
            self._failing = False
            log.warning("abuse: feature state available again")
        self.observed += 1
        for snap in snapshots:
            self.evaluations += 1
            for finding in run_detectors(snap, self.settings, self._detectors):
                self.findings += 1
                if self._on_finding is not None:
                    self._on_finding(finding, snap)
                await self._act(finding, exchange, obs)

    def _due(self, finding: AbuseFinding, at: float) -> bool:
        """Re-alert at most every ``realert_s`` per key and detector, unless severity rises."""
        slot = (finding.key, finding.detector)
        last = self._alerted.get(slot)
        if (
            last is not None
            and at - last[0] < self.settings.realert_s
            and finding.severity <= last[1]
        ):
            return False
        self._alerted[slot] = (at, finding.severity)
        self._alerted.move_to_end(slot)
        while len(self._alerted) > _MAX_ALERT_KEYS:
            self._alerted.popitem(last=False)
        return True

    async def _act(self, finding: AbuseFinding, exchange: Exchange, obs: Observation) -> None:
        if not self._due(finding, obs.at):
            return
        plan = plan_for([finding], self.settings.responses)
        if plan.alert and self._emit is not None:
            await self._emit(to_event(finding, exchange, obs))
            self.events += 1
        sanction = plan.sanction(finding.key, self._clock())
        if sanction is not None:
            await self.sanctions.impose(sanction)
            self.sanctioned += 1

    async def aclose(self) -> None:
        await self.state.aclose()


def build_consumer(settings: AbuseSettings, *, emit: EmitHook | None = None) -> AbuseConsumer:
    """The consumer and sanction book ``settings`` describe (Redis clients made here when
    ``state: redis``; they are closed by :meth:`AbuseConsumer.aclose`)."""
    if settings.state != "redis" or not settings.redis_url:
        return AbuseConsumer(settings, emit=emit)
    import redis.asyncio as redis  # noqa: PLC0415 - only needed when Redis is configured
    from redis.asyncio.retry import Retry  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415

    from wardgate.abuse.responses import RedisSanctionBook  # noqa: PLC0415
    from wardgate.abuse.state import RedisFeatureState  # noqa: PLC0415

    client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.timeout_s,
        socket_connect_timeout=settings.timeout_s,
        retry=Retry(NoBackoff(), 1),
    )
    state = RedisFeatureState(
        client,
        settings.feature_params(),
        prefix=settings.key_prefix,
        timeout_s=settings.timeout_s,
        history_days=settings.history_days,
        routes=RouteBaselines(min_weight=settings.baseline.route_min_hours),
    )
    book = RedisSanctionBook(client, prefix=f"{settings.key_prefix}sanction:")
    return AbuseConsumer(settings, state=state, sanctions=book, emit=emit)


__all__ = [
    "AbuseConsumer",
    "EmitHook",
    "FindingHook",
    "build_consumer",
    "incident_identity",
    "to_event",
]
