"""Responses: plans from rules, degraded request bodies, and the sanction book (memory, Redis)."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from tests.conftest import free_port
from wardgate.abuse.detectors import AbuseFinding
from wardgate.abuse.observation import EntityKey, Scope
from wardgate.abuse.responses import (
    Degrade,
    MemorySanctionBook,
    RedisSanctionBook,
    ResponsePlan,
    Sanction,
    apply_degrade,
    plan_for,
    sanction_keys,
)
from wardgate.abuse.settings import ResponseRule
from wardgate.abuse.sketches import hash64
from wardgate.core.exchange import Identity
from wardgate.core.finding import Severity

KEY = EntityKey(Scope.IDENTITY, "acme/mallory")
MALLORY = Identity("mallory", tenant="acme", method="api_key")


def finding(detector: str = "model_extraction", severity: Severity = Severity.HIGH) -> AbuseFinding:
    return AbuseFinding(detector, KEY, severity, 0.9, {"name": "x", "value": 1}, (), "summary")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


# -- plans --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "found", "expect"),
    [
        ((), [finding()], ResponsePlan()),
        (
            (ResponseRule(actions=("alert",)),),
            [finding()],
            ResponsePlan(alert=True, duration_s=3600, detectors=("model_extraction",)),
        ),
        (
            (ResponseRule(min_severity="critical", actions=("suspend",)),),
            [finding()],
            ResponsePlan(),
        ),
        (
            (
                ResponseRule(
                    detector="model_extraction",
                    actions=("degrade", "throttle"),
                    throttle_factor=0.1,
                ),
                ResponseRule(actions=("suspend",)),
            ),
            [finding()],
            ResponsePlan(
                throttle_factor=0.1,
                degrade=Degrade(max_tokens=512),
                duration_s=3600,
                detectors=("model_extraction",),
            ),
        ),
        (
            (
                ResponseRule(detector="cost_harvesting", actions=("step_up",), duration_s=60),
                ResponseRule(actions=("suspend",), duration_s=600),
            ),
            [finding("cost_harvesting"), finding("api_enumeration")],
            ResponsePlan(
                step_up=True,
                suspend=True,
                duration_s=600,
                detectors=("cost_harvesting", "api_enumeration"),
            ),
        ),
    ],
)
def test_plan_for(
    rules: tuple[ResponseRule, ...], found: list[AbuseFinding], expect: ResponsePlan
) -> None:
    assert plan_for(found, rules) == expect


def test_an_alert_only_plan_imposes_nothing() -> None:
    assert ResponsePlan(alert=True).sanction(KEY, 0.0) is None
    sanction = ResponsePlan(suspend=True, duration_s=60).sanction(KEY, 100.0)
    assert sanction is not None
    assert sanction.until == 160.0
    assert sanction.key == str(KEY)
    assert sanction.reason == "suspended"


# -- degrading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "degraded"),
    [
        (
            {
                "model": "m",
                "logprobs": True,
                "top_logprobs": 20,
                "n": 4,
                "max_tokens": 4096,
                "logit_bias": {"1": 2},
            },
            {"model": "m", "n": 1, "max_tokens": 512},
        ),
        ({"max_completion_tokens": 100, "n": 1}, {"max_completion_tokens": 100, "n": 1}),
        (
            {"include": ["message.output_text.logprobs", "reasoning"], "max_output_tokens": 9000},
            {"include": ["reasoning"], "max_output_tokens": 512},
        ),
        (
            {
                "generationConfig": {
                    "responseLogprobs": True,
                    "logprobs": 5,
                    "candidateCount": 3,
                    "maxOutputTokens": 8192,
                }
            },
            {"generationConfig": {"candidateCount": 1, "maxOutputTokens": 512}},
        ),
        (
            {"options": {"num_predict": 9999, "temperature": 1}},
            {"options": {"num_predict": 512, "temperature": 1}},
        ),
        (
            {"messages": [], "max_tokens": True},
            {"messages": [], "max_tokens": True},
        ),  # not an int: left alone
        ({"prompt": "x"}, {"prompt": "x"}),  # no cap added where none was sent
    ],
)
def test_apply_degrade(body: dict[str, object], degraded: dict[str, object]) -> None:
    original = repr(body)
    assert apply_degrade(body, Degrade()) == degraded
    assert repr(body) == original  # the input is not modified


def test_apply_degrade_without_degradation_is_a_copy() -> None:
    body = {"logprobs": True}
    assert apply_degrade(body, None) == body
    assert apply_degrade(body, ResponsePlan(alert=True)) == body
    plan = ResponsePlan(degrade=Degrade(strip_logprobs=False, max_n=2, max_tokens=None))
    assert apply_degrade({"logprobs": True, "n": 5, "max_tokens": 10**6}, plan) == {
        "logprobs": True,
        "n": 2,
        "max_tokens": 10**6,
    }


# -- sanctions ----------------------------------------------------------------------------------


def test_sanction_json_round_trip_and_validation() -> None:
    s = Sanction(
        "identity:acme/m",
        99.5,
        throttle_factor=0.2,
        step_up=True,
        degrade=Degrade(),
        detectors=("a",),
    )
    assert Sanction.from_json(s.to_json()) == s
    for bad in (
        "[]",
        '{"until": "soon"}',
        '{"until": 1, "throttle_factor": 7}',
        '{"until": 1, "degrade": 3}',
    ):
        with pytest.raises(ValueError, match="sanction"):
            Sanction.from_json(bad)


def test_merge_keeps_the_strictest() -> None:
    a = Sanction("k", 100, throttle_factor=0.5, degrade=Degrade(max_tokens=1000))
    b = Sanction(
        "k", 50, throttle_factor=0.2, suspended=True, degrade=Degrade(max_tokens=200, max_n=3)
    )
    merged = a.merge(b)
    assert merged.until == 100
    assert merged.throttle_factor == 0.2
    assert merged.suspended
    assert merged.degrade == Degrade(max_tokens=200, max_n=1)


def test_sanction_keys() -> None:
    assert sanction_keys(MALLORY, "10.0.0.1") == [
        "identity:acme/mallory",
        "tenant:acme",
        "client:10.0.0.1",
    ]
    assert sanction_keys(Identity("anonymous"), "10.0.0.2") == ["client:10.0.0.2"]


@pytest.mark.asyncio
async def test_memory_book_expires_lifts_and_merges_scopes() -> None:
    clock = Clock()
    book = MemorySanctionBook(clock=clock, max_keys=2)
    assert await book.sanction_for(MALLORY) is None
    await book.impose(Sanction("identity:acme/mallory", 1_100, throttle_factor=0.5))
    await book.impose(Sanction("tenant:acme", 2_000, degrade=Degrade()))
    got = await book.sanction_for(MALLORY, "10.0.0.1")
    assert got is not None
    assert got.throttle_factor == 0.5
    assert got.degrade == Degrade()
    clock.now = 1_200  # the identity's sanction is over, the tenant's is not
    got = book.get(MALLORY)
    assert got is not None
    assert got.throttle_factor is None
    assert got.degrade is not None
    await book.lift("tenant:acme")
    assert book.get(MALLORY) is None
    for i in range(5):
        await book.impose(Sanction(f"client:{i}", 9_999, suspended=True))
    assert len(book) == 2


@pytest.mark.asyncio
async def test_redis_book_is_shared_cached_and_fails_open(redis_port: int) -> None:
    prefix = f"wardgate:test-{uuid.uuid4().hex}:"
    clock = Clock()
    writer = Redis(host="127.0.0.1", port=redis_port)
    reader = Redis(host="127.0.0.1", port=redis_port)
    try:
        book_a = RedisSanctionBook(writer, prefix=prefix, clock=clock, cache_s=1.0)
        book_b = RedisSanctionBook(reader, prefix=prefix, clock=clock, cache_s=1.0)
        assert await book_b.sanction_for(MALLORY) is None
        await book_a.impose(Sanction("identity:acme/mallory", clock.now + 60, step_up=True))
        assert await book_b.sanction_for(MALLORY) is None  # cached "none" for a second
        clock.now += 1.5
        got = await book_b.sanction_for(MALLORY)
        assert got is not None
        assert got.reason == "step_up_required"
        await book_a.impose(Sanction("identity:acme/mallory", clock.now + 10, throttle_factor=0.1))
        clock.now += 1.5
        got = await book_b.sanction_for(MALLORY)
        assert got is not None
        assert got.step_up
        assert got.throttle_factor == 0.1
        assert await writer.pttl(f"{prefix}{hash64('identity:acme/mallory'):016x}") > 0  # expires
        await book_a.lift("identity:acme/mallory")
        clock.now += 1.5
        assert await book_b.sanction_for(MALLORY) is None
    finally:
        await writer.aclose()
        await reader.aclose()
    dead = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    book = RedisSanctionBook(dead, prefix=prefix, timeout_s=0.5)
    assert await book.sanction_for(MALLORY) is None
    assert book.backend_errors == 1
    await dead.aclose()
