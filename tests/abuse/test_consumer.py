"""The LOG-phase consumer: incident events, re-alerting, sanctions, exemptions, outages, and
two gateway replicas sharing one Redis."""

from __future__ import annotations

import random
import uuid

import pytest
from redis.asyncio import Redis

from tests.abuse.traffic import T0, chat, every, get, words
from tests.conftest import free_port
from wardgate.abuse.consumer import AbuseConsumer, build_consumer
from wardgate.abuse.detectors import AbuseFinding
from wardgate.abuse.features import FeatureSnapshot
from wardgate.abuse.responses import MemorySanctionBook, RedisSanctionBook
from wardgate.abuse.settings import AbuseSettings, ResponseRule
from wardgate.abuse.state import MemoryFeatureState, RedisFeatureState
from wardgate.core.exchange import Exchange, Identity
from wardgate.core.taxonomy import Atlas
from wardgate.gateway.logphase import LogPhase
from wardgate.incidents.model import IncidentEvent

DAY = 86_400.0


def extraction(n: int = 120, subject: str = "mallory", start: float = T0 + DAY) -> list[Exchange]:
    rng = random.Random(1)
    return [
        chat(
            t,
            f'Translate "{words(rng)}" into French',
            subject=subject,
            usage=(30, 400),
            logprobs=True,
            top_logprobs=10,
            temperature=[0, 0.5, 1.0, 1.5][i % 4],
        )
        for i, t in enumerate(every(start, 10, n))
    ]


def bola(n: int, start: float = T0 + DAY) -> list[Exchange]:
    rng = random.Random(2)
    return [
        get(
            t, f"/orders/{rng.randint(100_000, 999_999)}", rng.choice((403, 404)), subject="mallory"
        )
        for t in every(start, 5, n)
    ]


class Sink:
    def __init__(self) -> None:
        self.events: list[IncidentEvent] = []

    async def __call__(self, event: IncidentEvent) -> None:
        self.events.append(event)


@pytest.mark.asyncio
async def test_events_carry_the_statistic_and_no_prompt_text() -> None:
    sink = Sink()
    consumer = AbuseConsumer(emit=sink)
    for exchange in extraction():
        await consumer(exchange)
    assert len(sink.events) == 1  # re-alert filter: one event per key, detector and hour
    event = sink.events[0]
    assert event.category == "model_extraction"
    assert event.identity == "mallory"
    assert event.tenant == "acme"
    assert event.route == "chat"
    assert event.rule_ids == ("abuse.model_extraction",)
    assert Atlas.EXTRACT_ML_MODEL in event.taxonomy
    assert event.statistic is not None
    assert {"name", "value", "threshold", "window"} <= set(event.statistic)
    assert "French" not in event.summary
    assert "Translate" not in event.summary
    assert consumer.findings > consumer.events == 1
    assert consumer.observed == 120


@pytest.mark.asyncio
async def test_realert_after_the_period_or_on_higher_severity() -> None:
    sink = Sink()
    consumer = AbuseConsumer(AbuseSettings(realert_s=600), emit=sink)
    for exchange in extraction(200):  # 10 s apart: 2,000 s, so three periods
        await consumer(exchange)
    assert 2 <= len(sink.events) <= 4
    assert sink.events == sorted(sink.events, key=lambda e: e.at)


@pytest.mark.asyncio
async def test_sanctions_follow_the_rules() -> None:
    book = MemorySanctionBook(clock=lambda: T0)
    settings = AbuseSettings(
        responses=(
            ResponseRule(
                detector="model_extraction",
                actions=("alert", "degrade", "throttle"),
                throttle_factor=0.1,
            ),
        )
    )
    consumer = AbuseConsumer(settings, sanctions=book, clock=lambda: T0)
    for exchange in extraction():
        await consumer(exchange)
    sanction = await book.sanction_for(Identity("mallory", tenant="acme", method="api_key"))
    assert sanction is not None
    assert sanction.throttle_factor == 0.1
    assert sanction.degrade is not None
    assert sanction.detectors == ("model_extraction",)
    assert consumer.sanctioned == 1
    assert await book.sanction_for(Identity("alice", tenant="acme", method="api_key")) is None


@pytest.mark.asyncio
async def test_default_rules_only_alert_on_everything_but_extraction() -> None:
    book = MemorySanctionBook(clock=lambda: T0)
    consumer = AbuseConsumer(sanctions=book, clock=lambda: T0)
    for exchange in bola(80):
        await consumer(exchange)
    assert consumer.findings
    assert book.get(Identity("mallory", tenant="acme", method="api_key")) is None


@pytest.mark.asyncio
async def test_exempt_identities_are_not_analysed() -> None:
    consumer = AbuseConsumer(AbuseSettings(exempt_subjects=("mallory",)))
    for exchange in extraction(100):
        await consumer(exchange)
    assert consumer.observed == 0
    assert consumer.findings == 0
    grouped = AbuseConsumer(AbuseSettings(exempt_groups=("eval-harness",)))
    from dataclasses import replace

    for exchange in extraction(100):
        ident = replace(exchange.identity, groups=("eval-harness",))
        await grouped(replace(exchange, identity=ident))
    assert grouped.observed == 0


@pytest.mark.asyncio
async def test_disabled_consumer_does_nothing() -> None:
    consumer = AbuseConsumer(AbuseSettings(enabled=False))
    await consumer(extraction(1)[0])
    assert consumer.observed == 0


@pytest.mark.asyncio
async def test_a_redis_outage_is_counted_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    consumer = AbuseConsumer(state=RedisFeatureState(dead, timeout_s=0.5))
    for exchange in extraction(3):
        await consumer(exchange)
    assert consumer.state_errors == 3
    assert consumer.observed == 0
    assert sum("unavailable" in r.message for r in caplog.records) == 1  # logged once
    await consumer.aclose()


@pytest.mark.asyncio
async def test_runs_inside_the_log_phase() -> None:
    sink = Sink()
    consumer = AbuseConsumer(emit=sink)
    phase = LogPhase(1_000)
    phase.add_consumer(consumer)
    phase.start()
    for exchange in extraction():
        assert phase.submit(exchange)
    await phase.stop()
    assert phase.delivered == 120
    assert len(sink.events) == 1


def test_build_consumer_from_settings() -> None:
    memory = build_consumer(AbuseSettings())
    assert isinstance(memory.state, MemoryFeatureState)
    shared = build_consumer(AbuseSettings(state="redis", redis_url="redis://127.0.0.1:1/0"))
    assert isinstance(shared.state, RedisFeatureState)
    assert isinstance(shared.sanctions, RedisSanctionBook)


# -- two replicas, one Redis --------------------------------------------------------------------


async def alternate(replicas: list[AbuseConsumer], exchanges: list[Exchange]) -> int | None:
    """Send the exchanges round-robin; the 1-based index of the first finding, or None."""
    for i, exchange in enumerate(exchanges):
        await replicas[i % len(replicas)](exchange)
        if any(r.findings for r in replicas):
            return i + 1
    return None


@pytest.mark.asyncio
async def test_two_replicas_sharing_redis_see_the_whole_attacker(redis_port: int) -> None:
    """BOLA probing spread over two replicas by a load balancer: 60 probes of random order ids.
    With Redis state the replicas together see 40 distinct objects (the floor) by about the
    40th probe. With in-process state each sees every other probe: 30 at most, never enough."""
    prefix = f"wardgate:test-{uuid.uuid4().hex}:"
    clients = [Redis(host="127.0.0.1", port=redis_port) for _ in range(2)]
    found: list[tuple[AbuseFinding, FeatureSnapshot]] = []
    shared = [
        AbuseConsumer(
            state=RedisFeatureState(c, prefix=prefix),
            sanctions=RedisSanctionBook(c, prefix=f"{prefix}sanction:"),
            on_finding=lambda f, s: found.append((f, s)),
        )
        for c in clients
    ]
    try:
        at = await alternate(shared, bola(60))
        assert at is not None
        assert 40 <= at <= 45
        finding, snap = found[0]
        assert finding.detector == "api_enumeration"
        assert snap.key.value == "acme/mallory"
        assert finding.statistic["distinct_objects"] >= 40
        alone = [AbuseConsumer(), AbuseConsumer()]
        assert await alternate(alone, bola(60)) is None
        assert all(r.observed == 30 for r in alone)
        # ... and at the same point a single in-process replica that saw everything does fire
        whole = AbuseConsumer()
        alone_at = await alternate([whole], bola(60))
        assert alone_at is not None
        assert abs(alone_at - at) <= 3
    finally:
        for c in clients:
            await c.aclose()


@pytest.mark.asyncio
async def test_sanction_filed_by_one_replica_is_seen_by_the_other(redis_port: int) -> None:
    prefix = f"wardgate:test-{uuid.uuid4().hex}:"
    a, b = Redis(host="127.0.0.1", port=redis_port), Redis(host="127.0.0.1", port=redis_port)
    settings = AbuseSettings(
        responses=(ResponseRule(actions=("alert", "suspend"), min_severity="medium"),)
    )
    try:
        replica_a = AbuseConsumer(
            settings,
            state=RedisFeatureState(a, prefix=prefix),
            sanctions=RedisSanctionBook(a, prefix=f"{prefix}sanction:"),
        )
        book_b = RedisSanctionBook(b, prefix=f"{prefix}sanction:")
        for exchange in bola(60):
            await replica_a(exchange)
        sanction = await book_b.sanction_for(Identity("mallory", tenant="acme", method="api_key"))
        assert sanction is not None
        assert sanction.suspended
        assert sanction.reason == "suspended"
    finally:
        await a.aclose()
        await b.aclose()
