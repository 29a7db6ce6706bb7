"""Limits: the in-process and the Redis limiter must give the same decisions, call for call."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import pytest_asyncio
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from wardgate.policy.limits import (
    MAX_DEBT_WINDOWS,
    LimitDecision,
    Limiter,
    MemoryLimiter,
    RateLimit,
    RedisLimiter,
    TokenBudget,
)

T0 = 1_700_000_000.0  # a realistic epoch: microsecond timestamps near 2**51
TEN_PER_MINUTE = RateLimit(requests=10, per_s=60.0)  # one call regained every 6 s
BUDGET = TokenBudget(tokens=1000, per_s=60.0)  # one token regained every 60 ms


@dataclass
class FakeClock:
    now: float = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


MakeLimiter = Callable[[FakeClock], Limiter]


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> MakeLimiter:
    """Builds the limiter under test around a fake clock."""
    if request.param == "memory":
        return lambda clock: MemoryLimiter(clock=clock)
    client: Redis = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("redis_prefix")
    return lambda clock: RedisLimiter(client, clock=clock, prefix=prefix)


async def hits(limiter: Limiter, n: int, key: str = "k") -> list[LimitDecision]:
    return [await limiter.hit(key, TEN_PER_MINUTE) for _ in range(n)]


# -- requests ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_burst_up_to_the_limit_then_refused(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(FakeClock())
    decisions = await hits(limiter, 11)
    assert [d.allowed for d in decisions] == [True] * 10 + [False]
    assert [d.remaining for d in decisions] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    assert {d.limit for d in decisions} == {10}
    assert decisions[-1].retry_after_s == pytest.approx(6.0)
    assert all(d.retry_after_s == 0.0 for d in decisions[:10])


# (advance seconds, allowed, remaining, retry_after_s) after a full burst at T0
REFILL_TABLE = [
    (5.75, False, 0, 0.25),  # not yet: one call every 6 s
    (0.25, True, 0, 0.0),  # 6 s after the burst: exactly one more
    (0.0, False, 0, 6.0),
    (12.0, True, 1, 0.0),  # 18 s: two regained, one used
    (60.0, True, 9, 0.0),  # a full period idle: the whole burst is back
]


@pytest.mark.asyncio
async def test_refills_one_call_per_interval(make_limiter: MakeLimiter) -> None:
    clock = FakeClock()
    limiter = make_limiter(clock)
    await hits(limiter, 10)
    for advance, allowed, remaining, retry in REFILL_TABLE:
        clock.advance(advance)
        d = await limiter.hit("k", TEN_PER_MINUTE)
        assert (d.allowed, d.remaining) == (allowed, remaining), advance
        assert d.retry_after_s == pytest.approx(retry)


@pytest.mark.asyncio
async def test_no_double_burst_at_a_window_boundary(make_limiter: MakeLimiter) -> None:
    """Fixed one-minute windows would allow 10 calls at 0:59.75 and 10 more at 1:00.25."""
    clock = FakeClock(T0 + 59.75)
    limiter = make_limiter(clock)
    assert all(d.allowed for d in await hits(limiter, 10))
    clock.now = T0 + 60.25
    after = await hits(limiter, 10)
    assert not any(d.allowed for d in after)
    assert after[0].retry_after_s == pytest.approx(5.5)


@pytest.mark.asyncio
async def test_any_interval_admits_at_most_burst_plus_refill(make_limiter: MakeLimiter) -> None:
    """A client hammering every 0.25 s for 3 minutes: every window of w seconds admits at most
    10 + w/6 calls (GCRA's bound), so at most 10 in any single second."""
    clock = FakeClock()
    limiter = make_limiter(clock)
    admitted: list[float] = []
    for step in range(720):
        clock.now = T0 + step * 0.25
        if (await limiter.hit("k", TEN_PER_MINUTE)).allowed:
            admitted.append(clock.now - T0)
    assert len(admitted) == 10 + 29  # the burst, then one every 6 s up to 179.75 s
    for width in (1.0, 6.0, 60.0):
        for start in admitted:
            in_window = sum(1 for t in admitted if start <= t < start + width)
            assert in_window <= 10 + width / 6, (width, start)


@pytest.mark.asyncio
async def test_refused_calls_are_not_counted(make_limiter: MakeLimiter) -> None:
    clock = FakeClock()
    limiter = make_limiter(clock)
    await hits(limiter, 10)
    await hits(limiter, 100)  # all refused; they must not push the next slot further out
    clock.advance(6.0)
    assert (await limiter.hit("k", TEN_PER_MINUTE)).allowed


@pytest.mark.asyncio
async def test_keys_and_kinds_are_independent(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(FakeClock())
    await hits(limiter, 10, key="alice")
    assert not (await limiter.hit("alice", TEN_PER_MINUTE)).allowed
    assert (await limiter.hit("bob", TEN_PER_MINUTE)).allowed
    assert (await limiter.check_tokens("alice", BUDGET)).remaining == 1000


@pytest.mark.asyncio
async def test_clock_going_backwards_never_grants_more(make_limiter: MakeLimiter) -> None:
    clock = FakeClock()
    limiter = make_limiter(clock)
    await hits(limiter, 10)
    clock.advance(-30.0)
    assert not (await limiter.hit("k", TEN_PER_MINUTE)).allowed


# -- tokens -----------------------------------------------------------------------------------


# (advance seconds, tokens spent after the check, allowed, remaining before spending, retry)
TOKEN_TABLE = [
    (0.0, 600, True, 1000, 0.0),
    (0.0, 400, True, 400, 0.0),
    (0.0, 0, False, 0, 0.06),  # exhausted: one token comes back after 60 ms
    (0.06, 0, True, 1, 0.0),
    (29.94, 0, True, 500, 0.0),  # half the period: half the budget
    (30.0, 0, True, 1000, 0.0),  # a full period after exhaustion: all of it
    (100.0, 0, True, 1000, 0.0),  # never more than the budget
]


@pytest.mark.asyncio
async def test_token_budget_exhaustion_and_recovery(make_limiter: MakeLimiter) -> None:
    clock = FakeClock()
    limiter = make_limiter(clock)
    for advance, spend, allowed, remaining, retry in TOKEN_TABLE:
        clock.advance(advance)
        d = await limiter.check_tokens("k", BUDGET)
        assert (d.allowed, d.remaining, d.limit) == (allowed, remaining, 1000), advance
        assert d.retry_after_s == pytest.approx(retry)
        await limiter.spend_tokens("k", BUDGET, spend)


@pytest.mark.asyncio
async def test_overspend_is_carried_as_capped_debt(make_limiter: MakeLimiter) -> None:
    clock = FakeClock()
    limiter = make_limiter(clock)
    await limiter.spend_tokens("k", BUDGET, 3000)  # three periods' worth in one answer
    d = await limiter.check_tokens("k", BUDGET)
    assert not d.allowed
    assert d.retry_after_s == pytest.approx(120.06)
    clock.advance(121.0)
    assert (await limiter.check_tokens("k", BUDGET)).allowed
    await limiter.spend_tokens("huge", BUDGET, 10**15)
    d = await limiter.check_tokens("huge", BUDGET)
    assert d.retry_after_s == pytest.approx((MAX_DEBT_WINDOWS - 1) * 60 + 0.06)


@pytest.mark.asyncio
@pytest.mark.parametrize("tokens", [0, -5, -(10**9)])
async def test_spending_nothing_or_negative_changes_nothing(
    make_limiter: MakeLimiter, tokens: int
) -> None:
    limiter = make_limiter(FakeClock())
    await limiter.spend_tokens("k", BUDGET, 500)
    await limiter.spend_tokens("k", BUDGET, tokens)
    assert (await limiter.check_tokens("k", BUDGET)).remaining == 500


# -- both implementations agree ---------------------------------------------------------------


async def apply(
    lim: Limiter, op: int, key: str, limit: RateLimit, budget: TokenBudget, n: int
) -> LimitDecision | None:
    """One of the three operations, by number."""
    if op == 0:
        return await lim.hit(key, limit)
    if op == 1:
        return await lim.check_tokens(key, budget)
    await lim.spend_tokens(key, budget, n)
    return None


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_memory_and_redis_agree_call_for_call(
    redis_client: Redis, redis_prefix: str, seed: int
) -> None:
    rng = random.Random(seed)
    mem_clock, redis_clock = FakeClock(), FakeClock()
    memory = MemoryLimiter(clock=mem_clock)
    shared = RedisLimiter(redis_client, clock=redis_clock, prefix=redis_prefix)
    limits = [RateLimit(requests=3, per_s=1.0), RateLimit(requests=7, per_s=2.5), TEN_PER_MINUTE]
    budgets = [BUDGET, TokenBudget(tokens=3, per_s=0.7)]
    outcomes: set[tuple[int, bool]] = set()
    for _ in range(300):
        step = rng.choice([0.0, 0.0, 0.001, 0.1, 0.35, 1.0, 7.0])
        mem_clock.advance(step)
        redis_clock.advance(step)
        key = rng.choice(["a", "b"])
        op = rng.randrange(3)
        limit, budget, n = rng.choice(limits), rng.choice(budgets), rng.randrange(0, 900)
        args = (op, key, limit, budget, n)
        decision = await apply(memory, *args)
        assert decision == await apply(shared, *args), (args, step)
        if decision is not None:
            outcomes.add((op, decision.allowed))
    assert outcomes == {(0, True), (0, False), (1, True), (1, False)}  # the table hit both ways


# -- Redis specifics --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_redis_concurrent_hits_admit_exactly_the_limit(
    redis_client: Redis, redis_prefix: str
) -> None:
    limiter = RedisLimiter(redis_client, clock=FakeClock(), prefix=redis_prefix)
    decisions = await asyncio.gather(*(limiter.hit("k", TEN_PER_MINUTE) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))


@pytest.mark.asyncio
async def test_redis_keys_are_prefixed_and_expire(redis_client: Redis, redis_prefix: str) -> None:
    limiter = RedisLimiter(redis_client, prefix=redis_prefix)  # the real clock: TTLs are real
    await limiter.hit("alice", TEN_PER_MINUTE)
    await limiter.spend_tokens("alice", BUDGET, 500)
    assert 5_000 < await redis_client.pttl(f"{redis_prefix}r:alice") <= 6_000
    assert 29_000 < await redis_client.pttl(f"{redis_prefix}t:alice") <= 30_000
    assert RedisLimiter(redis_client)._prefix == "wardgate:limit:"


@pytest.mark.asyncio
async def test_redis_scripts_survive_a_script_flush(redis_client: Redis, redis_prefix: str) -> None:
    limiter = RedisLimiter(redis_client, clock=FakeClock(), prefix=redis_prefix)
    await limiter.hit("k", TEN_PER_MINUTE)
    assert (await redis_client.script_exists(limiter._hit_script.sha)) == [True]
    await redis_client.script_flush()
    assert (await limiter.hit("k", TEN_PER_MINUTE)).remaining == 8
    assert limiter.backend_errors == 0


# -- Redis unreachable ------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture
async def dead_redis() -> AsyncIterator[Redis]:
    client = Redis(
        host="127.0.0.1",
        port=_closed_port(),
        socket_connect_timeout=0.2,
        retry=Retry(NoBackoff(), 0),
    )
    yield client
    await client.aclose()


@pytest.mark.asyncio
async def test_redis_down_fail_open_allows_and_counts(
    dead_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisLimiter(dead_redis, fail_open=True)
    with caplog.at_level(logging.WARNING, logger="wardgate.policy.limits"):
        first = await limiter.hit("secret-subject", TEN_PER_MINUTE)
        tokens = await limiter.check_tokens("secret-subject", BUDGET)
        await limiter.spend_tokens("secret-subject", BUDGET, 10)
    assert first.allowed
    assert tokens.allowed
    assert limiter.backend_errors == 3
    assert len(caplog.records) == 1  # once per outage, not once per call
    assert "secret-subject" not in caplog.text


@pytest.mark.asyncio
async def test_redis_down_fail_closed_refuses_with_retry(dead_redis: Redis) -> None:
    limiter = RedisLimiter(dead_redis, fail_open=False, fail_retry_after_s=2.5)
    for decision in (
        await limiter.hit("k", TEN_PER_MINUTE),
        await limiter.check_tokens("k", BUDGET),
    ):
        assert not decision.allowed
        assert decision.retry_after_s == 2.5
    await limiter.spend_tokens("k", BUDGET, 10)  # must not raise
    assert limiter.backend_errors == 3


@pytest.mark.asyncio
async def test_redis_slow_beyond_timeout_fails_over(dead_redis: Redis) -> None:
    """redis-py's default retries stall for seconds; the limiter's own timeout bounds that."""
    slow = Redis(host="127.0.0.1", port=dead_redis.connection_pool.connection_kwargs["port"])
    limiter = RedisLimiter(slow, fail_open=True, timeout_s=0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await limiter.hit("k", TEN_PER_MINUTE)).allowed
    assert loop.time() - started < 1.0
    await slow.aclose()


# -- memory specifics -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_memory_forgets_idle_keys() -> None:
    clock = FakeClock()
    limiter = MemoryLimiter(clock=clock)
    for i in range(5):
        await limiter.hit(f"k{i}", TEN_PER_MINUTE)
    assert len(limiter) == 5
    clock.advance(7.0)  # every bucket has drained
    await limiter.hit("fresh", TEN_PER_MINUTE)
    await limiter.hit("fresh2", TEN_PER_MINUTE)
    assert len(limiter) < 5


@pytest.mark.asyncio
async def test_memory_is_bounded_by_max_keys() -> None:
    limiter = MemoryLimiter(max_keys=3, clock=FakeClock())
    for i in range(10):
        await limiter.hit(f"k{i}", TEN_PER_MINUTE)
    assert len(limiter) == 3
    assert limiter.evictions == 7
    # the most recent keys keep their state
    assert (await limiter.hit("k9", TEN_PER_MINUTE)).remaining == 8


def test_memory_rejects_zero_capacity() -> None:
    with pytest.raises(ValueError, match="max_keys"):
        MemoryLimiter(max_keys=0)


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests": 0, "per_s": 1.0},
        {"requests": 1, "per_s": 0.0},
        {"requests": 1, "per_s": -1.0},
        {"requests": 1, "per_s": 1.0, "burst": 3},
    ],
)
def test_rate_limit_settings_must_flag(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RateLimit.model_validate(kwargs)


def test_settings_are_frozen_and_integer_exact() -> None:
    third = RateLimit(requests=3, per_s=1.0)
    assert (third.interval_us, third.period_us) == (333_333, 999_999)
    assert RateLimit(requests=10**9, per_s=1.0).interval_us == 1  # clamped, never free
    assert TokenBudget(tokens=3, per_s=1.0).cost_us(1) == 333_334  # rounded up
    with pytest.raises(ValidationError):
        third.requests = 5  # type: ignore[misc]
    with pytest.raises(ValidationError):
        TokenBudget(tokens=0, per_s=1.0)
