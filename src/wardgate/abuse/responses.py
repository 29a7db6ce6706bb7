"""What happens when an abuse detector fires: the response plan and the sanction book.

Detectors report; the operator's rules (:class:`~wardgate.abuse.settings.ResponseRule`) choose
per detector and severity among five responses:

* ``alert``: an incident event only (the default for everything);
* ``throttle``: the key's rate limit is multiplied by ``throttle_factor``;
* ``step_up``: the gateway answers 401 with reason ``step_up_required`` until the sanction ends
  or is lifted (the caller must re-authenticate more strongly);
* ``suspend``: the key is refused until the sanction ends;
* ``degrade``: requests still pass, with what extraction needs taken out: ``logprobs``,
  ``top_logprobs`` and ``logit_bias`` removed, ``n`` capped, ``max_tokens`` capped
  (:func:`apply_degrade`).

:func:`plan_for` turns findings into a pure :class:`ResponsePlan`; its :meth:`ResponsePlan.sanction`
is what the LOG phase writes to a :class:`SanctionBook`, which the request path asks, in O(1),
``sanction_for(identity, client)`` before forwarding a call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from redis.exceptions import RedisError

from wardgate.abuse.detectors import AbuseFinding
from wardgate.abuse.observation import EntityKey, Scope
from wardgate.abuse.settings import ResponseRule
from wardgate.abuse.sketches import hash64
from wardgate.core.exchange import Identity
from wardgate.core.finding import Severity

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

SANCTION_PREFIX: Final = "wardgate:abuse:sanction:"
_LOGPROB_FIELDS: Final = ("logprobs", "top_logprobs", "logit_bias", "responseLogprobs")
_N_FIELDS: Final = ("n", "best_of", "candidateCount", "candidate_count")
_MAX_FIELDS: Final = (
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "maxOutputTokens",
    "num_predict",
)
_NESTED: Final = ("generationConfig", "generation_config", "options")

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Degrade:
    """What a degraded request loses."""

    strip_logprobs: bool = True
    max_n: int = 1
    max_tokens: int | None = 512

    def merge(self, other: Degrade) -> Degrade:
        """The stricter of the two, field by field."""
        caps = [c for c in (self.max_tokens, other.max_tokens) if c is not None]
        return Degrade(
            strip_logprobs=self.strip_logprobs or other.strip_logprobs,
            max_n=min(self.max_n, other.max_n),
            max_tokens=min(caps) if caps else None,
        )


@dataclass(frozen=True, slots=True)
class Sanction:
    """A standing response against one key (``str(EntityKey)``) until ``until`` (epoch s)."""

    key: str
    until: float
    throttle_factor: float | None = None
    step_up: bool = False
    suspended: bool = False
    degrade: Degrade | None = None
    detectors: tuple[str, ...] = ()

    def active(self, now: float) -> bool:
        return now < self.until

    @property
    def reason(self) -> str:
        """The strongest effect, as the gateway names it in a refusal or a log line."""
        if self.suspended:
            return "suspended"
        if self.step_up:
            return "step_up_required"
        if self.throttle_factor is not None:
            return "throttled"
        return "degraded"

    def merge(self, other: Sanction) -> Sanction:
        """The stricter of two sanctions (of any keys), lasting as long as the longer."""
        factors = [f for f in (self.throttle_factor, other.throttle_factor) if f is not None]
        degrade = self.degrade
        if other.degrade is not None:
            degrade = other.degrade if degrade is None else degrade.merge(other.degrade)
        return Sanction(
            key=self.key,
            until=max(self.until, other.until),
            throttle_factor=min(factors) if factors else None,
            step_up=self.step_up or other.step_up,
            suspended=self.suspended or other.suspended,
            degrade=degrade,
            detectors=tuple(dict.fromkeys(self.detectors + other.detectors)),
        )

    def to_json(self) -> str:
        d = self.degrade
        return json.dumps(
            {
                "key": self.key,
                "until": self.until,
                "throttle_factor": self.throttle_factor,
                "step_up": self.step_up,
                "suspended": self.suspended,
                "degrade": None
                if d is None
                else {
                    "strip_logprobs": d.strip_logprobs,
                    "max_n": d.max_n,
                    "max_tokens": d.max_tokens,
                },
                "detectors": list(self.detectors),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Sanction:
        """Parse :meth:`to_json`; ValueError on anything else (the store is not trusted blindly)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a sanction is a JSON object")
        until = data.get("until")
        factor = data.get("throttle_factor")
        if not isinstance(until, int | float) or not math.isfinite(until):
            raise ValueError("sanction until must be a number")
        if factor is not None and (not isinstance(factor, int | float) or not 0 < factor <= 1):
            raise ValueError("sanction throttle_factor must be in (0, 1]")
        raw = data.get("degrade")
        degrade = None
        if raw is not None:
            if not isinstance(raw, dict):
                raise ValueError("sanction degrade must be an object")
            cap = raw.get("max_tokens")
            degrade = Degrade(
                strip_logprobs=bool(raw.get("strip_logprobs", True)),
                max_n=max(1, int(raw.get("max_n", 1))),
                max_tokens=None if cap is None else max(1, int(cap)),
            )
        detectors = data.get("detectors", [])
        return cls(
            key=str(data.get("key", "")),
            until=float(until),
            throttle_factor=None if factor is None else float(factor),
            step_up=data.get("step_up") is True,
            suspended=data.get("suspended") is True,
            degrade=degrade,
            detectors=tuple(str(d) for d in detectors[:16]) if isinstance(detectors, list) else (),
        )


@dataclass(frozen=True, slots=True)
class ResponsePlan:
    """What the policy chose for a set of findings; pure data, applied by the gateway."""

    alert: bool = False
    throttle_factor: float | None = None
    step_up: bool = False
    suspend: bool = False
    degrade: Degrade | None = None
    duration_s: float = 0.0
    detectors: tuple[str, ...] = ()

    @property
    def sanctions(self) -> bool:
        """True when the plan does more than alert."""
        return bool(
            self.throttle_factor is not None or self.step_up or self.suspend or self.degrade
        )

    def sanction(self, key: EntityKey | str, now: float) -> Sanction | None:
        """The standing sanction this plan imposes on ``key`` from ``now``, or None."""
        if not self.sanctions:
            return None
        return Sanction(
            key=str(key),
            until=now + self.duration_s,
            throttle_factor=self.throttle_factor,
            step_up=self.step_up,
            suspended=self.suspend,
            degrade=self.degrade,
            detectors=self.detectors,
        )

    def merge(self, other: ResponsePlan) -> ResponsePlan:
        factors = [f for f in (self.throttle_factor, other.throttle_factor) if f is not None]
        degrade = self.degrade
        if other.degrade is not None:
            degrade = other.degrade if degrade is None else degrade.merge(other.degrade)
        return ResponsePlan(
            alert=self.alert or other.alert,
            throttle_factor=min(factors) if factors else None,
            step_up=self.step_up or other.step_up,
            suspend=self.suspend or other.suspend,
            degrade=degrade,
            duration_s=max(self.duration_s, other.duration_s),
            detectors=tuple(dict.fromkeys(self.detectors + other.detectors)),
        )


def _rule_plan(rule: ResponseRule, detector: str) -> ResponsePlan:
    actions = set(rule.actions)
    return ResponsePlan(
        alert="alert" in actions,
        throttle_factor=rule.throttle_factor if "throttle" in actions else None,
        step_up="step_up" in actions,
        suspend="suspend" in actions,
        degrade=Degrade(max_n=rule.degrade_max_n, max_tokens=rule.degrade_max_tokens)
        if "degrade" in actions
        else None,
        duration_s=rule.duration_s,
        detectors=(detector,),
    )


def plan_for(findings: Iterable[AbuseFinding], rules: Sequence[ResponseRule]) -> ResponsePlan:
    """The merged plan for ``findings``: for each, the first rule naming its detector (else the
    first ``"*"`` rule) whose ``min_severity`` it reaches. No matching rule: nothing."""
    plan = ResponsePlan()
    for finding in findings:
        specific = [r for r in rules if r.detector == finding.detector]
        generic = [r for r in rules if r.detector == "*"]
        for rule in specific or generic:
            if finding.severity >= Severity.parse(rule.min_severity):
                plan = plan.merge(_rule_plan(rule, finding.detector))
                break
    return plan


def _cap(container: dict[str, Any], names: Iterable[str], cap: int) -> None:
    for name in names:
        value = container.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > cap:
            container[name] = cap


def apply_degrade(
    body: Mapping[str, Any], plan: Degrade | ResponsePlan | Sanction | None
) -> dict[str, Any]:
    """A copy of a JSON request ``body`` with the degradation applied (the input is unchanged).

    Knows OpenAI (chat, completions, responses), Gemini ``generationConfig`` and Ollama
    ``options``. Only caps fields that are present: adding a ``max_tokens`` the caller did not
    send could change which parameter a provider reads.
    """
    degrade = plan if isinstance(plan, Degrade) or plan is None else plan.degrade
    out = dict(body)
    if degrade is None:
        return out
    containers = [out]
    for nested in _NESTED:
        inner = out.get(nested)
        if isinstance(inner, Mapping):
            out[nested] = dict(inner)
            containers.append(out[nested])
    for c in containers:
        if degrade.strip_logprobs:
            for name in _LOGPROB_FIELDS:
                c.pop(name, None)
            if isinstance(c.get("include"), list):
                c["include"] = [i for i in c["include"] if "logprobs" not in str(i)]
        _cap(c, _N_FIELDS, degrade.max_n)
        if degrade.max_tokens is not None:
            _cap(c, _MAX_FIELDS, degrade.max_tokens)
    return out


def sanction_keys(identity: Identity, client: str = "") -> list[str]:
    """The keys a sanction on this caller may be filed under (its identity, or its address when
    anonymous; its tenant; its address), as ``str(EntityKey)``."""
    keys = []
    if identity.is_anonymous:
        keys.append(EntityKey(Scope.CLIENT, client or "-"))
    else:
        keys.append(EntityKey(Scope.IDENTITY, f"{identity.tenant}/{identity.subject}"))
    if identity.tenant:
        keys.append(EntityKey(Scope.TENANT, identity.tenant))
    if client:
        keys.append(EntityKey(Scope.CLIENT, client))
    return list(dict.fromkeys(str(k) for k in keys))


def _merge_all(found: Iterable[Sanction | None], now: float) -> Sanction | None:
    out: Sanction | None = None
    for s in found:
        if s is None or not s.active(now):
            continue
        out = s if out is None else out.merge(s)
    return out


@runtime_checkable
class SanctionBook(Protocol):
    """Standing sanctions, written by the LOG phase and read by the request path."""

    async def sanction_for(self, identity: Identity, client: str = "") -> Sanction | None:
        """The active sanction (merged over identity, tenant and address), or None."""
        ...

    async def impose(self, sanction: Sanction) -> None:
        """File ``sanction`` under its key, merged with any standing one."""
        ...

    async def lift(self, key: str) -> None:
        """End any sanction on ``key`` now (an operator's decision)."""
        ...


class MemorySanctionBook:
    """Sanctions for one process: a dict, bounded to ``max_keys`` (oldest first out)."""

    def __init__(self, *, max_keys: int = 100_000, clock: Clock = time.time) -> None:
        self._book: OrderedDict[str, Sanction] = OrderedDict()
        self._max = max_keys
        self._clock = clock

    def __len__(self) -> int:
        return len(self._book)

    def get(self, identity: Identity, client: str = "") -> Sanction | None:
        """Synchronous :meth:`sanction_for` (three dict lookups)."""
        now = self._clock()
        return _merge_all((self._book.get(k) for k in sanction_keys(identity, client)), now)

    async def sanction_for(self, identity: Identity, client: str = "") -> Sanction | None:
        return self.get(identity, client)

    async def impose(self, sanction: Sanction) -> None:
        now = self._clock()
        old = self._book.get(sanction.key)
        if old is not None and old.active(now):
            sanction = replace(old.merge(sanction), key=sanction.key)
        self._book[sanction.key] = sanction
        self._book.move_to_end(sanction.key)
        while len(self._book) > self._max:
            self._book.popitem(last=False)

    async def lift(self, key: str) -> None:
        self._book.pop(key, None)


class RedisSanctionBook:
    """Sanctions shared by replicas: one Redis string per key (JSON, expiring with the
    sanction). Reads are one MGET, cached for ``cache_s`` per caller so that a busy caller
    costs Redis one read per ``cache_s``, not one per request; when Redis fails, the book
    answers None (no sanction: fail open) and counts ``backend_errors``."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = SANCTION_PREFIX,
        cache_s: float = 1.0,
        max_cached: int = 50_000,
        timeout_s: float = 0.25,
        clock: Clock = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._cache_s = cache_s
        self._cache: OrderedDict[tuple[str, ...], tuple[float, Sanction | None]] = OrderedDict()
        self._max_cached = max_cached
        self._timeout_s = timeout_s
        self._clock = clock
        self.backend_errors = 0

    def _name(self, key: str) -> str:
        return f"{self._prefix}{hash64(key):016x}"

    async def sanction_for(self, identity: Identity, client: str = "") -> Sanction | None:
        keys = tuple(sanction_keys(identity, client))
        now = self._clock()
        cached = self._cache.get(keys)
        if cached is not None and cached[0] > now:
            return cached[1] if cached[1] is None or cached[1].active(now) else None
        try:
            async with asyncio.timeout(self._timeout_s):
                raw = await self._redis.mget([self._name(k) for k in keys])
        except (RedisError, TimeoutError):
            self.backend_errors += 1
            return None
        found = []
        for value in raw:
            if value is None:
                continue
            try:
                found.append(Sanction.from_json(value))
            except (ValueError, TypeError):
                log.warning("abuse: ignoring a malformed sanction record")
        merged = _merge_all(found, now)
        self._cache[keys] = (now + self._cache_s, merged)
        self._cache.move_to_end(keys)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
        return merged

    async def impose(self, sanction: Sanction) -> None:
        now = self._clock()
        name = self._name(sanction.key)
        try:
            async with asyncio.timeout(self._timeout_s):
                old_raw = await self._redis.get(name)
                if old_raw is not None:
                    old = Sanction.from_json(old_raw)
                    if old.active(now):
                        sanction = replace(old.merge(sanction), key=sanction.key)
                ttl_ms = max(1, math.ceil((sanction.until - now) * 1000))
                await self._redis.set(name, sanction.to_json(), px=ttl_ms)
        except (RedisError, TimeoutError, ValueError):
            self.backend_errors += 1
            log.warning("abuse: could not file a sanction in Redis")
            return
        self._cache.clear()

    async def lift(self, key: str) -> None:
        async with asyncio.timeout(self._timeout_s):
            await self._redis.delete(self._name(key))
        self._cache.clear()


__all__ = [
    "SANCTION_PREFIX",
    "Degrade",
    "MemorySanctionBook",
    "RedisSanctionBook",
    "ResponsePlan",
    "Sanction",
    "SanctionBook",
    "apply_degrade",
    "plan_for",
    "sanction_keys",
]
