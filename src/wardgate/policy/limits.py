"""Per-identity limits: requests per period and LLM tokens per period, in process or in Redis.

Algorithm: GCRA (the generic cell rate algorithm, a leaky bucket kept as one timestamp per key).
Each key stores its *theoretical arrival time* (TAT): when its bucket will be empty again. A
request costs ``per_s / requests`` seconds of TAT and is allowed while the TAT stays at most
``per_s`` ahead of now. So a fresh key may burst ``requests`` calls at once, then regains one call
every ``per_s / requests`` seconds. Unlike fixed windows there is no boundary at which the count
resets: ``requests`` calls just before a minute turns and ``requests`` just after cannot both
pass (a fixed window allows 2x there). In any interval of length ``t`` at most
``requests + t * requests / per_s`` calls pass. State is O(1) per key, which keeps memory
bounded and makes each Redis update one small atomic script.

Token budgets use the same state: ``spend_tokens`` adds ``tokens * per_s / budget`` seconds of
TAT after the answer (usage is only known then); ``check_tokens`` allows a call while at least one
token of budget is left. An answer larger than the rest of the budget is carried over as debt
(capped at ``MAX_DEBT_WINDOWS`` periods), so a budget cannot be exceeded in the long run.

Time is kept in whole microseconds, so that the in-process limiter and the Redis Lua scripts
(doubles) compute exactly the same decisions. Rates above one call per microsecond are clamped.

Clocks: :class:`RedisLimiter` sends the gateway's clock to Redis with each call (tests inject
one; replicas must keep their clocks NTP-synchronised). A replica whose clock runs ``d`` seconds
ahead admits at most about ``d * requests / per_s`` extra calls; one running behind admits fewer.
Redis ``TIME`` would avoid skew but make decisions untestable without sleeping; with NTP, skew is
milliseconds, far below any useful limit period.

Keys name the limited thing and its scope (``"route:chat:sub:alice"``): the same key under two
different limits shares one state. Build keys from ids, never from secrets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "KEY_PREFIX",
    "MAX_DEBT_WINDOWS",
    "LimitDecision",
    "Limiter",
    "MemoryLimiter",
    "RateLimit",
    "RedisLimiter",
    "TokenBudget",
]

log = logging.getLogger(__name__)

KEY_PREFIX: Final = "wardgate:limit:"
MAX_DEBT_WINDOWS: Final = 16
_US: Final = 1_000_000
_MAX_PERIOD_S: Final = 366 * 86_400.0  # keeps microsecond timestamps exact in Lua doubles

Clock = Callable[[], float]


class RateLimit(BaseModel):
    """At most ``requests`` calls per ``per_s`` seconds (a burst of ``requests`` is allowed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: int = Field(ge=1, le=1_000_000_000)
    per_s: float = Field(gt=0, le=_MAX_PERIOD_S)

    @property
    def interval_us(self) -> int:
        """Microseconds of TAT one call costs."""
        return max(1, round(self.per_s * _US / self.requests))

    @property
    def period_us(self) -> int:
        """The burst tolerance: exactly ``requests`` intervals."""
        return self.interval_us * self.requests


class TokenBudget(BaseModel):
    """At most ``tokens`` LLM tokens (prompt plus completion) per ``per_s`` seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens: int = Field(ge=1, le=1_000_000_000_000)
    per_s: float = Field(gt=0, le=_MAX_PERIOD_S)

    @property
    def period_us(self) -> int:
        return max(1, round(self.per_s * _US))

    def cost_us(self, tokens: int) -> int:
        """Microseconds of TAT that ``tokens`` cost, rounded up (never free)."""
        return -(-tokens * self.period_us // self.tokens)


@dataclass(frozen=True, slots=True)
class LimitDecision:
    """Whether the call may go ahead; when not, ``retry_after_s`` says when it may.
    ``remaining`` is what is left after this call (requests or tokens), ``limit`` the total."""

    allowed: bool
    retry_after_s: float
    remaining: int
    limit: int


@runtime_checkable
class Limiter(Protocol):
    """Counts calls and tokens per key. Implementations agree decision for decision."""

    async def hit(self, key: str, limit: RateLimit) -> LimitDecision:
        """Count one request against ``limit``; refused requests are not counted."""
        ...

    async def check_tokens(self, key: str, budget: TokenBudget) -> LimitDecision:
        """Is any of ``budget`` left? Called before forwarding; spends nothing."""
        ...

    async def spend_tokens(self, key: str, budget: TokenBudget, tokens: int) -> None:
        """Record ``tokens`` used (after the answer, or an estimate for a cut-off stream)."""
        ...


# -- the arithmetic both implementations share ------------------------------------------------


def _hit(tat: int | None, now: int, limit: RateLimit) -> tuple[bool, int]:
    """GCRA step: (allowed, the new TAT when allowed else the time it becomes allowed).

    ``_HIT_LUA`` is the same function in Lua; keep them in step.
    """
    start = now if tat is None or tat < now else tat
    new_tat = start + limit.interval_us
    allow_at = new_tat - limit.period_us
    if allow_at > now:
        return False, allow_at
    return True, new_tat


def _spend(tat: int | None, now: int, budget: TokenBudget, tokens: int) -> int:
    """The TAT after spending ``tokens``; debt is capped. ``_SPEND_LUA`` mirrors it."""
    start = now if tat is None or tat < now else tat
    return min(start + budget.cost_us(tokens), now + MAX_DEBT_WINDOWS * budget.period_us)


def _rate_decision(allowed: bool, value: int, now: int, limit: RateLimit) -> LimitDecision:
    if not allowed:
        return LimitDecision(False, (value - now) / _US, 0, limit.requests)
    remaining = (now - (value - limit.period_us)) // limit.interval_us
    return LimitDecision(True, 0.0, min(remaining, limit.requests), limit.requests)


def _token_decision(tat: int | None, now: int, budget: TokenBudget) -> LimitDecision:
    period = budget.period_us
    debt = 0 if tat is None else max(0, tat - now)
    remaining = (period - debt) * budget.tokens // period if debt < period else 0
    if remaining >= 1:
        return LimitDecision(True, 0.0, min(remaining, budget.tokens), budget.tokens)
    unit = -(-period // budget.tokens)  # microseconds per token, at least 1
    return LimitDecision(False, (debt - period + unit) / _US, 0, budget.tokens)


def _now_us(clock: Clock) -> int:
    return int(clock() * _US)


# -- in process -------------------------------------------------------------------------------


class MemoryLimiter:
    """Limits for one gateway process. At most ``max_keys`` keys are kept: idle keys (whose
    bucket has drained, so forgetting them changes nothing) go first; beyond that the least
    recently used key is forgotten, which gives it a fresh budget (``evictions`` counts those)."""

    def __init__(self, *, max_keys: int = 100_000, clock: Clock = time.time) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._max_keys = max_keys
        self._clock = clock
        self._tats: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._tats)

    async def hit(self, key: str, limit: RateLimit) -> LimitDecision:
        now = _now_us(self._clock)
        with self._lock:
            allowed, value = _hit(self._tats.get(("r", key)), now, limit)
            if allowed:
                self._store(("r", key), value, now)
        return _rate_decision(allowed, value, now, limit)

    async def check_tokens(self, key: str, budget: TokenBudget) -> LimitDecision:
        now = _now_us(self._clock)
        with self._lock:
            tat = self._tats.get(("t", key))
        return _token_decision(tat, now, budget)

    async def spend_tokens(self, key: str, budget: TokenBudget, tokens: int) -> None:
        if tokens <= 0:
            return
        now = _now_us(self._clock)
        with self._lock:
            self._store(("t", key), _spend(self._tats.get(("t", key)), now, budget, tokens), now)

    def _store(self, slot: tuple[str, str], tat: int, now: int) -> None:
        self._tats[slot] = tat
        self._tats.move_to_end(slot)
        for _ in range(2):  # amortised sweep: the oldest entries are the likeliest idle
            oldest, oldest_tat = next(iter(self._tats.items()))
            if oldest_tat > now:  # never the entry just stored: its TAT is in the future
                break
            del self._tats[oldest]
        while len(self._tats) > self._max_keys:
            self._tats.popitem(last=False)
            self.evictions += 1


# -- in Redis ---------------------------------------------------------------------------------

# KEYS[1] = state key; ARGV = now_us, interval_us, period_us. Returns {allowed, tat_or_allow_at}.
_HIT_LUA: Final = """
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local new_tat = tat + tonumber(ARGV[2])
local allow_at = new_tat - tonumber(ARGV[3])
if allow_at > now then return {0, allow_at} end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, new_tat}
"""

# KEYS[1] = state key; ARGV = now_us, cost_us, max_debt_us. Returns the new TAT.
_SPEND_LUA: Final = """
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
tat = math.min(tat + tonumber(ARGV[2]), now + tonumber(ARGV[3]))
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
return tat
"""


class RedisLimiter:
    """Limits shared by gateway replicas through Redis; each update is one atomic Lua script
    (EVALSHA), and keys expire once their bucket has drained.

    When Redis fails or takes longer than ``timeout_s`` (redis-py's own retries can stall a call
    for seconds), ``fail_open`` decides: allow the call (logging once per outage and counting
    ``backend_errors``) or refuse it with ``retry_after_s = fail_retry_after_s``.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        fail_open: bool = False,
        fail_retry_after_s: float = 1.0,
        timeout_s: float = 0.5,
        clock: Clock = time.time,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self._redis = redis
        self._fail_open = fail_open
        self._fail_retry_after_s = fail_retry_after_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._prefix = prefix
        self._hit_script = redis.register_script(_HIT_LUA)
        self._spend_script = redis.register_script(_SPEND_LUA)
        self._failing = False
        self.backend_errors = 0

    async def aclose(self) -> None:
        """Close the Redis connections (the gateway calls this at shutdown)."""
        await self._redis.aclose()

    async def hit(self, key: str, limit: RateLimit) -> LimitDecision:
        now = _now_us(self._clock)
        try:
            async with asyncio.timeout(self._timeout_s):
                reply = await self._hit_script(
                    keys=[f"{self._prefix}r:{key}"], args=[now, limit.interval_us, limit.period_us]
                )
        except (RedisError, TimeoutError) as exc:
            return self._failed(exc, limit.requests)
        self._recovered()
        return _rate_decision(bool(int(reply[0])), int(reply[1]), now, limit)

    async def check_tokens(self, key: str, budget: TokenBudget) -> LimitDecision:
        now = _now_us(self._clock)
        try:
            async with asyncio.timeout(self._timeout_s):
                raw = await self._redis.get(f"{self._prefix}t:{key}")
        except (RedisError, TimeoutError) as exc:
            return self._failed(exc, budget.tokens)
        self._recovered()
        return _token_decision(None if raw is None else int(raw), now, budget)

    async def spend_tokens(self, key: str, budget: TokenBudget, tokens: int) -> None:
        if tokens <= 0:
            return
        now = _now_us(self._clock)
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._spend_script(
                    keys=[f"{self._prefix}t:{key}"],
                    args=[now, budget.cost_us(tokens), MAX_DEBT_WINDOWS * budget.period_us],
                )
        except (RedisError, TimeoutError) as exc:
            self._failed(exc, budget.tokens)  # nothing to refuse any more: count and log only
            return
        self._recovered()

    def _failed(self, exc: Exception, limit: int) -> LimitDecision:
        self.backend_errors += 1
        if not self._failing:
            self._failing = True
            log.warning(
                "limits: Redis unavailable (%s); failing %s until it answers again",
                type(exc).__name__,
                "open" if self._fail_open else "closed",
            )
        if self._fail_open:
            return LimitDecision(True, 0.0, 0, limit)
        return LimitDecision(False, self._fail_retry_after_s, 0, limit)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.warning("limits: Redis answers again")
