"""Where behaviour features live: in this process, or in Redis for several replicas.

An attacker whose calls a load balancer spreads over four replicas shows each of them a quarter
of its behaviour; with :class:`RedisFeatureState` every replica counts into, and reads, the same
windows, so the whole is seen. Both states produce the same
:class:`~wardgate.abuse.features.FeatureSnapshot` from the same exchanges.

:class:`MemoryFeatureState` keeps at most ``max_entities`` keys and about ``max_bytes`` of
features (least recently active first out), so memory is bounded however many identities call.

:class:`RedisFeatureState` does one round trip per exchange: a pipeline that adds the exchange
to the current buckets (hash counters, HyperLogLogs with PFADD, short rings) and reads the
windows back (HGETALL, PFCOUNT over the window's buckets). Every key expires with its window.
Baselines are rebuilt from an hourly history (one hash per key and day, kept ``history_days``)
once per key and hour per replica, so no read-modify-write is ever needed. The pipeline is not
a transaction: two replicas updating one key at once may each read the other's update or not,
which only shifts a count by one.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from redis.exceptions import RedisError

from wardgate.abuse.baseline import (
    N_METRICS,
    DecayedMoments,
    Metric,
    RouteBaselines,
    baseline_view,
    hod_from_history,
)
from wardgate.abuse.features import (
    CMS_DEPTH,
    CMS_WIDTH,
    LONG,
    LONG_ONLY,
    MINHASH,
    N_COUNTERS,
    RECENT_OBJECTS,
    RECENT_PROMPTS,
    SHORT,
    Counter,
    Delta,
    EntityFeatures,
    Family,
    FeatureParams,
    FeatureSnapshot,
    WindowView,
    evaluation_due,
    family_items,
    increments,
    metric_values,
    near_dup_retries,
    sequential_share,
)
from wardgate.abuse.observation import DISPERSION_DIM, EntityKey, Observation, OpKind, Scope
from wardgate.abuse.sketches import count_min_columns

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import Pipeline

DEFAULT_PREFIX: Final = "wardgate:abuse:"
_META_TTL_S: Final = 30 * 86_400


class StateUnavailableError(Exception):
    """The shared state could not be reached in time; the exchange is not counted."""


@runtime_checkable
class FeatureState(Protocol):
    """Counts an observation for its keys and returns the snapshots due for detection."""

    async def update(
        self, obs: Observation, keys: Sequence[EntityKey]
    ) -> list[FeatureSnapshot]: ...

    async def aclose(self) -> None: ...


# -- in process ---------------------------------------------------------------------------------


class MemoryFeatureState:
    """Features for one process, bounded by ``max_entities`` and ``max_bytes``."""

    def __init__(
        self,
        params: FeatureParams | None = None,
        *,
        max_entities: int = 100_000,
        max_bytes: int = 512 * 1024 * 1024,
        routes: RouteBaselines | None = None,
    ) -> None:
        if max_entities < 1:
            raise ValueError("max_entities must be at least 1")
        self.params = params if params is not None else FeatureParams()
        self.routes = routes if routes is not None else RouteBaselines()
        self._entities: OrderedDict[EntityKey, EntityFeatures] = OrderedDict()
        self._sizes: dict[EntityKey, int] = {}
        self._max_entities = max_entities
        self._max_bytes = max_bytes
        self.bytes = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entities)

    def __contains__(self, key: object) -> bool:
        return key in self._entities

    def update_sync(
        self, obs: Observation, keys: Sequence[EntityKey], *, snapshots: bool = True
    ) -> list[FeatureSnapshot]:
        """Count ``obs`` for ``keys``; the snapshots of keys due for detection."""
        params = self.params
        delta = Delta(obs, params)
        for key in keys:
            entity = self._entities.get(key)
            if entity is None:
                entity = EntityFeatures(obs.at, params.windows)
                self._entities[key] = entity
            else:
                self._entities.move_to_end(key)
            feeds_route = key.scope is Scope.IDENTITY or obs.anonymous
            entity.update(obs, params, self.routes if feeds_route else None, delta)
            if entity.updates % 128 == 1:  # sizes change slowly: re-measure now and then
                size = entity.nbytes()
                self.bytes += size - self._sizes.get(key, 0)
                self._sizes[key] = size
        if len(self._entities) > self._max_entities or self.bytes > self._max_bytes:
            self._evict(keys)
        return self.snapshots(obs, keys) if snapshots else []

    def snapshots(self, obs: Observation, keys: Sequence[EntityKey]) -> list[FeatureSnapshot]:
        """The snapshots of ``keys`` due for detection after ``obs`` was counted."""
        out = []
        for key in keys:
            entity = self._entities.get(key)
            if entity is not None and entity.due(obs, self.params):
                out.append(entity.snapshot(key, obs, self.params, self.routes))
        return out

    def _evict(self, keep: Sequence[EntityKey]) -> None:
        entities = self._entities
        while len(entities) > len(keep) and (
            len(entities) > self._max_entities or self.bytes > self._max_bytes
        ):
            key, _ = entities.popitem(last=False)
            self.bytes -= self._sizes.pop(key, 0)
            self.evictions += 1

    async def update(self, obs: Observation, keys: Sequence[EntityKey]) -> list[FeatureSnapshot]:
        return self.update_sync(obs, keys)

    async def aclose(self) -> None:
        return None


# -- in Redis -----------------------------------------------------------------------------------

FAMILIES_READ: Final[dict[OpKind, tuple[Family, ...]]] = {
    OpKind.LLM: (
        Family.TEMPLATES,
        Family.FILLERS,
        Family.TEMPERATURES,
        Family.BIASES,
        Family.PROBE_PROMPTS,
        Family.HOURS,
    ),
    OpKind.EMBEDDINGS: (Family.EMBED_INPUTS, Family.HOURS, Family.PROBE_PROMPTS),
    OpKind.HTTP: (Family.OBJECTS, Family.OBJECT_TEMPLATES, Family.HOURS, Family.PROBE_PROMPTS),
    OpKind.OTHER: (Family.HOURS, Family.PROBE_PROMPTS),
}
"""Families read back per kind of exchange: the detectors that run on it need no others."""


@dataclass(slots=True)
class _Baseline:
    """A replica's copy of one key's baseline, rebuilt from the shared history each hour."""

    hour: int
    moments: list[DecayedMoments]
    hod: list[float]
    latest: int  # the latest completed active hour seen


@dataclass(slots=True)
class _Reads:
    """Where one key's replies sit in the pipeline's reply list."""

    windows: list[tuple[int, int]]  # per scale: (first HGETALL index, count)
    families: list[dict[Family, int]]  # per scale: family -> PFCOUNT index
    recent: int | None
    objects: int | None
    current: int
    first_seen: int
    history: tuple[int, int] | None  # (first HGETALL index, days)


def _f(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class RedisFeatureState:
    """Features shared by replicas through Redis (see the module docstring for the layout)."""

    def __init__(
        self,
        redis: Redis,
        params: FeatureParams | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_s: float = 0.5,
        history_days: int = 7,
        routes: RouteBaselines | None = None,
        max_cached: int = 20_000,
    ) -> None:
        self._redis = redis
        self.params = params if params is not None else FeatureParams()
        self.routes = routes if routes is not None else RouteBaselines()
        self._prefix = prefix
        self._timeout_s = timeout_s
        self._history_days = history_days
        self._baselines: OrderedDict[EntityKey, _Baseline] = OrderedDict()
        self._max_cached = max_cached
        self.round_trips = 0

    async def aclose(self) -> None:
        await self._redis.aclose()

    def _base(self, key: EntityKey) -> str:
        return f"{self._prefix}{key.digest}:"

    async def update(self, obs: Observation, keys: Sequence[EntityKey]) -> list[FeatureSnapshot]:
        pipe = self._redis.pipeline(transaction=False)
        reads = [self._queue(pipe, key, obs) for key in keys]
        try:
            async with asyncio.timeout(self._timeout_s):
                replies: list[Any] = await pipe.execute()
        except (RedisError, TimeoutError) as exc:
            raise StateUnavailableError(type(exc).__name__) from None
        self.round_trips += 1
        out = []
        for key, read in zip(keys, reads, strict=True):
            snap = self._snapshot(key, obs, read, replies)
            if snap is not None:
                out.append(snap)
        return out

    def _queue(self, pipe: Pipeline, key: EntityKey, obs: Observation) -> _Reads:
        """Queue the writes, then the reads, of one key; returns where the reads will be."""
        params = self.params
        base = self._base(key)
        incs = increments(obs, params)
        items = family_items(obs)
        by_family: dict[int, list[bytes]] = {}
        for family, item in items:
            by_family.setdefault(family, []).append(item.to_bytes(8, "little"))
        for scale, spec in enumerate(params.windows):
            epoch = spec.epoch(obs.at)
            name = f"{base}w{scale}:{epoch}"
            ttl = math.ceil(spec.span_s + spec.bucket_s)
            for counter, value in incs:
                pipe.hincrby(name, f"c{counter}", round(value))
            if scale == LONG and obs.kind is OpKind.LLM:
                if obs.sketch is not None:
                    for i, v in enumerate(obs.sketch):
                        if v:
                            pipe.hincrby(name, f"v{i}", v)
                if obs.template_hash is not None:
                    cols = count_min_columns(obs.template_hash, CMS_WIDTH, CMS_DEPTH)
                    for row, col in enumerate(cols):
                        pipe.hincrby(name, f"m{row}.{col}", 1)
            pipe.expire(name, ttl)
            for family, values in by_family.items():
                if scale != LONG and family in LONG_ONLY:
                    continue
                fname = f"{name}:f{family}"
                pipe.pfadd(fname, *values)
                pipe.expire(fname, ttl)
        hour = obs.hour
        day_name = f"{base}d:{hour // 24}"
        hod = hour % 24
        for metric, value in zip(Metric, metric_values(obs, params), strict=True):
            if value:
                pipe.hincrby(day_name, f"{metric.value}.{hod}", round(value))
        pipe.expire(day_name, (self._history_days + 1) * 86_400)
        meta = f"{base}m"
        pipe.hsetnx(meta, "first", repr(obs.at))
        pipe.hsetnx(meta, f"first.{obs.kind.value}", repr(obs.at))
        pipe.expire(meta, _META_TTL_S)
        recent_name = f"{base}rp"
        if obs.kind is OpKind.LLM and obs.shingles is not None:
            sig = MINHASH.signature(obs.shingles).hex()
            member = f"{obs.at!r}|{int(obs.blocked)}|{sig}|{id(obs):x}"
            pipe.zadd(recent_name, {member: obs.at})
            pipe.zremrangebyrank(recent_name, 0, -(RECENT_PROMPTS + 1))
            pipe.expire(recent_name, math.ceil(2 * params.retry_window_s))
        objects_name = f"{base}ob"
        if obs.object_template is not None and obs.object_number is not None:
            pipe.rpush(objects_name, f"{obs.object_template >> 1}:{obs.object_number}")
            pipe.ltrim(objects_name, -RECENT_OBJECTS, -1)
            pipe.expire(objects_name, math.ceil(params.windows[LONG].span_s))
        # -- reads, after the writes: they see this exchange
        index = len(pipe)
        windows: list[tuple[int, int]] = []
        families: list[dict[Family, int]] = []
        wanted = FAMILIES_READ[obs.kind]
        for scale, spec in enumerate(params.windows):
            epoch = spec.epoch(obs.at)
            names = [f"{base}w{scale}:{epoch - k}" for k in range(spec.buckets)]
            windows.append((index, len(names)))
            for name in names:
                pipe.hgetall(name)
                index += 1
            positions: dict[Family, int] = {}
            for family in wanted:
                if scale != LONG and family in LONG_ONLY:
                    continue
                pipe.pfcount(*(f"{name}:f{family}" for name in names))
                positions[family] = index
                index += 1
            families.append(positions)
        recent = objects = None
        if obs.kind is OpKind.LLM and obs.shingles is not None:
            pipe.zrange(recent_name, 0, -1)
            recent = index
            index += 1
        if obs.object_template is not None:
            pipe.lrange(objects_name, 0, -1)
            objects = index
            index += 1
        pipe.hmget(day_name, [f"{m.value}.{hod}" for m in Metric])
        current = index
        index += 1
        pipe.hmget(meta, ["first", f"first.{obs.kind.value}"])
        first_seen = index
        index += 1
        history = None
        cached = self._baselines.get(key)
        if cached is None or cached.hour != hour:
            days = self._history_days
            for d in range(days + 1):
                pipe.hgetall(f"{base}d:{hour // 24 - d}")
            history = (index, days + 1)
        return _Reads(windows, families, recent, objects, current, first_seen, history)

    def _snapshot(
        self, key: EntityKey, obs: Observation, read: _Reads, replies: list[Any]
    ) -> FeatureSnapshot | None:
        params = self.params
        views = []
        for scale, spec in enumerate(params.windows):
            first, count = read.windows[scale]
            hashes = replies[first : first + count]
            counts = [0.0] * N_COUNTERS
            sketch = [0.0] * DISPERSION_DIM if scale == LONG else None
            template_requests = 0.0
            cols = (
                count_min_columns(obs.template_hash, CMS_WIDTH, CMS_DEPTH)
                if scale == LONG and obs.template_hash is not None
                else None
            )
            for fields in hashes:
                for i in range(N_COUNTERS):
                    counts[i] += _f(fields.get(f"c{i}".encode()))
                if sketch:
                    for i in range(len(sketch)):
                        sketch[i] += _f(fields.get(f"v{i}".encode()))
                if cols is not None:
                    template_requests += min(
                        _f(fields.get(f"m{row}.{col}".encode())) for row, col in enumerate(cols)
                    )
            distinct = {family: _f(replies[i]) for family, i in read.families[scale].items()}
            views.append(
                WindowView(
                    spec,
                    counts,
                    distinct,
                    template_requests=template_requests,
                    sketch_sum=sketch if sketch and counts[Counter.PROMPTS] else None,
                )
            )
        screened_in = params.screen.passes(views[SHORT].counts, views[LONG].counts)
        if not evaluation_due(obs, views[LONG].count(Counter.REQUESTS), screened_in):
            self._refresh(key, obs, read, replies)  # keep the baseline cache current
            return None
        retries = 0
        if read.recent is not None:
            entries = []
            for raw in replies[read.recent]:
                parts = raw.decode("ascii", "replace").split("|")
                if len(parts) == 4:
                    try:
                        entries.append((float(parts[0]), parts[1] == "1", bytes.fromhex(parts[2])))
                    except ValueError:
                        continue
            entries.sort(key=lambda e: e[0])
            retries = near_dup_retries(
                entries, params.retry_window_s, params.retry_similarity, obs.at
            )
        share, pairs = 0.0, 0
        if read.objects is not None:
            seq = []
            for raw in replies[read.objects]:
                tpl, _, num = raw.decode("ascii", "replace").partition(":")
                try:
                    seq.append((int(tpl), int(num)))
                except ValueError:
                    continue
            share, pairs = sequential_share(seq)
        cached = self._refresh(key, obs, read, replies)
        current = tuple(_f(v) for v in replies[read.current])
        first = replies[read.first_seen]
        first_seen = _f(first[0]) or obs.at
        first_kind = _f(first[1]) or obs.at
        half_life = params.baseline.half_life_h
        route_view = self.routes.view(obs.route, obs.hour, current, half_life)
        baseline = baseline_view(
            hour=obs.hour,
            age_s=obs.at - first_seen,
            current=current,
            moments=cached.moments,
            hod=cached.hod,
            half_life_h=half_life,
            route_view=route_view,
            kind_age_s=obs.at - first_kind,
        )
        return FeatureSnapshot(
            key=key,
            obs=obs,
            short=views[SHORT],
            long=views[LONG],
            baseline=baseline,
            near_dup_retries=retries,
            sequential_share=share,
            sequential_pairs=pairs,
        )

    def _refresh(
        self, key: EntityKey, obs: Observation, read: _Reads, replies: list[Any]
    ) -> _Baseline:
        """The replica's baseline of ``key``, rebuilt from the history read when stale."""
        cached = self._baselines.get(key)
        if read.history is None and cached is not None:
            self._baselines.move_to_end(key)
            return cached
        hour = obs.hour
        series: list[list[tuple[int, float]]] = [[] for _ in range(N_METRICS)]
        if read.history is not None:
            first, days = read.history
            for d in range(days):
                day = hour // 24 - d
                for name, value in replies[first + d].items():
                    metric, _, hod = name.decode("ascii", "replace").partition(".")
                    try:
                        m, h = int(metric), int(hod)
                    except ValueError:
                        continue
                    at_hour = day * 24 + h
                    if 0 <= m < N_METRICS and at_hour < hour:  # completed hours only
                        series[m].append((at_hour, _f(value)))
        policy = self.params.baseline
        half_life = policy.half_life_h
        requests = dict(series[Metric.REQUESTS])
        moments = []
        for m in range(N_METRICS):
            values = dict(series[m])
            # Samples are the active hours (requests > 0); a metric may be zero in one.
            moments.append(policy.moments([(h, values.get(h, 0.0)) for h in requests], m))
        latest = max(requests, default=-1)
        previous = cached.latest if cached is not None else -1
        if latest > previous and latest >= 0 and (key.scope is Scope.IDENTITY or obs.anonymous):
            self.routes.add(
                obs.route, latest, [dict(s).get(latest, 0.0) for s in series], half_life
            )
        fresh = _Baseline(
            hour, moments, hod_from_history(series[Metric.REQUESTS], half_life), latest
        )
        self._baselines[key] = fresh
        self._baselines.move_to_end(key)
        while len(self._baselines) > self._max_cached:
            self._baselines.popitem(last=False)
        return fresh


__all__ = [
    "DEFAULT_PREFIX",
    "FAMILIES_READ",
    "FeatureState",
    "MemoryFeatureState",
    "RedisFeatureState",
    "StateUnavailableError",
]
