"""Adaptive baselines: what is normal for this caller, and for this route's callers.

A fixed threshold either flags every heavy integration or misses every attacker who stays under
it. Each behaviour key therefore learns its own typical *active hour* (hours with no traffic
are not samples: a user who chats twice a day is not "usually at 0"), as time-decayed moments:
an active hour ``a`` hours ago weighs ``0.5 ** (a / half_life_h)``, so mean and variance follow
a caller whose work grows, at the speed the operator chooses, and an attacker cannot reset them
by pausing. Detectors compare the current hour to that mean as a z-score with an absolute floor
(a z-score alone would flag a user whose mean is 2 requests for sending 12).

Callers without enough history (new keys) are compared to their route's population instead:
:class:`RouteBaselines` keeps the same moments over all keys' active hours per route.

The same moments can be rebuilt from stored hourly history (:meth:`BaselinePolicy.moments`),
which is how replicas sharing Redis agree on a baseline without read-modify-write.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import OrderedDict
from collections.abc import Iterable, MutableSequence, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

HOURS_PER_DAY: Final = 24


class Metric(IntEnum):
    """What the baselines measure per active hour."""

    REQUESTS = 0
    COST = 1  # input tokens + output_weight * output tokens
    EMBED_ITEMS = 2


N_METRICS: Final = len(Metric)


Sums = tuple[float, float, float, float]
"""Decayed moments as plain numbers: (last hour folded, s0, s1, s2)."""


def folded(
    sums: Sums, hour: int, value: float, *, half_life_h: float, cap: float | None = None
) -> Sums:
    """``sums`` after folding active hour ``hour`` with ``value`` (clipped to ``cap``); a last
    hour of -1 means nothing was folded yet."""
    last, s0, s1, s2 = sums
    if cap is not None:
        value = min(value, cap)
    if last >= 0:
        decay = 0.5 ** (max(0, hour - last) / half_life_h)
        s0 *= decay
        s1 *= decay
        s2 *= decay
    return max(last, hour), s0 + 1.0, s1 + value, s2 + value * value


class DecayedMoments:
    """Sums ``Σw``, ``Σw·x``, ``Σw·x²`` over active hours, decayed by age. O(1) state."""

    __slots__ = ("hour", "s0", "s1", "s2")

    def __init__(self) -> None:
        self.hour = -1  # the last hour folded
        self.s0 = 0.0
        self.s1 = 0.0
        self.s2 = 0.0

    def fold(self, hour: int, value: float, half_life_h: float, cap: float | None = None) -> None:
        """Add active hour ``hour`` (later than the last one folded) with ``value``, clipped to
        ``cap`` when given (a winsorised update: see :class:`BaselinePolicy`)."""
        h, self.s0, self.s1, self.s2 = folded(
            (self.hour, self.s0, self.s1, self.s2), hour, value, half_life_h=half_life_h, cap=cap
        )
        self.hour = int(h)

    def weight_at(self, hour: int, half_life_h: float) -> float:
        """The total weight of the history as seen from ``hour`` (its effective sample size)."""
        if self.hour < 0:
            return 0.0
        return self.s0 * float(0.5 ** (max(0, hour - self.hour) / half_life_h))

    @property
    def mean(self) -> float:
        return self.s1 / self.s0 if self.s0 > 0 else 0.0

    @property
    def std(self) -> float:
        if self.s0 <= 0:
            return 0.0
        mean = self.s1 / self.s0
        return math.sqrt(max(0.0, self.s2 / self.s0 - mean * mean))


@dataclass(frozen=True, slots=True)
class BaselinePolicy:
    """How baselines learn.

    Updates are *winsorised*: once a key has ``min_weight`` hours of history, an hour is folded
    in at most at ``mean + clip_z * sd`` (sd floored as in :meth:`Deviation.z`). Without that,
    an attacker's own attack hours would become its normal within hours; with it, genuine
    growth is still learnt, a step of at most ``clip_z`` sd per hour.
    """

    half_life_h: float = 72.0
    clip_z: float = 4.0
    min_weight: float = 6.0
    min_std: tuple[float, float, float] = (10.0, 50_000.0, 2_000.0)  # per Metric

    def cap(self, moments: DecayedMoments, hour: int, metric: int) -> float | None:
        return self.cap_of(hour, (moments.hour, moments.s0, moments.s1, moments.s2), metric)

    def cap_of(self, hour: int, sums: Sums, metric: int) -> float | None:
        """The most ``hour`` may add to ``sums``: None while they hold fewer than
        ``min_weight`` hours, as seen from ``hour``."""
        last, s0, s1, s2 = sums
        if last < 0 or s0 <= 0:
            return None
        if s0 * 0.5 ** (max(0, hour - last) / self.half_life_h) < self.min_weight:
            return None
        mean = s1 / s0
        std = math.sqrt(max(0.0, s2 / s0 - mean * mean))
        return mean + self.clip_z * max(std, self.min_std[metric], 0.25 * mean)

    def fold(self, moments: DecayedMoments, hour: int, value: float, metric: int) -> None:
        moments.fold(hour, value, self.half_life_h, self.cap(moments, hour, metric))

    def moments(self, active: Iterable[tuple[int, float]], metric: int) -> DecayedMoments:
        """The moments of ``(hour, value)`` active hours folded in hour order (zeros too:
        an active hour with no embedding is a sample of 0 embeddings)."""
        out = DecayedMoments()
        for hour, value in sorted(active):
            self.fold(out, hour, value, metric)
        return out


@dataclass(frozen=True, slots=True)
class Deviation:
    """How the current hour compares with a baseline, for one metric."""

    value: float
    mean: float
    std: float
    weight: float  # effective number of past active hours behind mean and std

    def z(self, min_std: float, rel_std: float = 0.25) -> float:
        """z-score with the std floored at ``max(min_std, rel_std * mean)``: a caller that
        always sends exactly 10 requests is not 'infinitely' anomalous at 11."""
        sd = max(self.std, min_std, rel_std * self.mean)
        return (self.value - self.mean) / sd

    def ratio(self) -> float:
        return self.value / max(self.mean, 1.0)


@dataclass(frozen=True, slots=True)
class BaselineView:
    """What detectors read: the current hour against the key's and the route's baselines."""

    hour: int
    age_s: float
    current: tuple[float, ...]  # per Metric, this hour so far
    own: tuple[Deviation, ...]  # per Metric
    route: tuple[Deviation, ...] | None  # per Metric, None when the route has no history
    hour_share: float  # share of this key's decayed activity at this hour of day
    history_h: float  # hours of history behind the hour-of-day profile
    kind_age_s: float = 0.0  # since the key first sent this kind of request (chat, embeddings..)

    def deviation(self, metric: Metric, min_weight: float) -> Deviation | None:
        """The key's own deviation when it has ``min_weight`` hours of history, else the
        route's (a new key is compared to its peers), else None."""
        own = self.own[metric]
        if own.weight >= min_weight:
            return own
        return None if self.route is None else self.route[metric]

    def off_hours(self, min_history_h: float, max_share: float) -> bool:
        """This hour of day is one the key has (almost) never been active at, given enough
        history to know its rhythm."""
        return self.history_h >= min_history_h and self.hour_share <= max_share


_KINDS: Final = ("llm", "embeddings", "http", "other")
_KIND_INDEX: Final = {kind: i for i, kind in enumerate(_KINDS)}
_MOMENT_FIELDS: Final = 4  # hour, s0, s1, s2


class ActivityBaseline:
    """One key's baseline, in process: current-hour sums, decayed moments, hour-of-day profile.

    Kept in three flat arrays (not lists of floats): a hundred thousand keys make that a few
    hundred bytes each instead of a few kilobytes, and arrays are nothing for the garbage
    collector to traverse.
    """

    __slots__ = ("_first_by_kind", "_moments", "current", "first_seen", "hod", "hour")

    def __init__(self, first_seen: float) -> None:
        self.first_seen = first_seen
        self.hour = -1
        self.current = array("d", bytes(8 * N_METRICS))
        self._moments = array("d", [-1.0, 0.0, 0.0, 0.0] * N_METRICS)
        self.hod = array("f", bytes(4 * HOURS_PER_DAY))
        self._first_by_kind = array("d", [math.nan] * len(_KINDS))

    def nbytes(self) -> int:
        arrays = (self.current, self._moments, self.hod, self._first_by_kind)
        return 72 + sum(sys.getsizeof(a) for a in arrays)

    @property
    def moments(self) -> list[DecayedMoments]:
        """The decayed moments per :class:`Metric` (copies: change them with :meth:`add`)."""
        out = []
        m = self._moments
        for i in range(N_METRICS):
            d = DecayedMoments()
            base = i * _MOMENT_FIELDS
            d.hour, d.s0, d.s1, d.s2 = int(m[base]), m[base + 1], m[base + 2], m[base + 3]
            out.append(d)
        return out

    def add(
        self,
        hour: int,
        values: Sequence[float],
        policy: BaselinePolicy,
        on_fold: RouteBaselines | None = None,
        route: str = "",
    ) -> None:
        """Count ``values`` (per Metric) in ``hour``; folds the previous hour when it changes."""
        if hour != self.hour:
            if self.hour >= 0 and hour > self.hour:
                self._fold(policy, on_fold, route)
            if hour > self.hour:
                self.hour = hour
                for i in range(N_METRICS):
                    self.current[i] = 0.0
        for i, v in enumerate(values):
            self.current[i] += v

    def _fold(self, policy: BaselinePolicy, on_fold: RouteBaselines | None, route: str) -> None:
        current = self.current
        if current[Metric.REQUESTS] <= 0:
            return
        # Straight on the flat array: this runs once per key and active hour, and light keys
        # (most of them) turn an hour on nearly every call.
        m = self._moments
        hour = self.hour
        last = int(m[Metric.REQUESTS * _MOMENT_FIELDS])
        for metric in range(N_METRICS):
            base = metric * _MOMENT_FIELDS
            sums = (m[base], m[base + 1], m[base + 2], m[base + 3])
            m[base], m[base + 1], m[base + 2], m[base + 3] = folded(
                sums,
                hour,
                current[metric],
                half_life_h=policy.half_life_h,
                cap=policy.cap_of(hour, sums, metric),
            )
        fold_hod(self.hod, hour, current[Metric.REQUESTS], last, policy.half_life_h)
        if on_fold is not None:
            on_fold.add(route, self.hour, list(current), policy.half_life_h)

    def saw_kind(self, kind: str, at: float) -> None:
        """Remember when the key first sent ``kind`` (a new behaviour gets no benefit of the
        doubt an old one has earned)."""
        first = self._first_by_kind
        i = _KIND_INDEX.get(kind, len(_KINDS) - 1)
        if first[i] != first[i]:  # NaN: not seen yet
            first[i] = at

    def first_seen_kind(self, kind: str) -> float | None:
        i = _KIND_INDEX.get(kind, len(_KINDS) - 1)
        first = self._first_by_kind[i]
        return None if math.isnan(first) else first

    def view(
        self,
        at: float,
        half_life_h: float,
        route_view: tuple[Deviation, ...] | None = None,
        current: Sequence[float] | None = None,
        kind: str = "",
    ) -> BaselineView:
        hour = int(at // 3600)
        cur = tuple(current if current is not None else self.current)
        return baseline_view(
            hour=hour,
            age_s=at - self.first_seen,
            current=cur,
            moments=self.moments,
            hod=self.hod,
            half_life_h=half_life_h,
            route_view=route_view,
            kind_age_s=at - (self.first_seen_kind(kind) or at),
        )


def fold_hod(
    hod: MutableSequence[float], hour: int, requests: float, last: int, half_life_h: float
) -> None:
    """Decay the hour-of-day profile from ``last`` to ``hour`` and add ``requests`` at it."""
    if last >= 0 and hour > last:
        decay = 0.5 ** ((hour - last) / (half_life_h * 3))
        for i in range(HOURS_PER_DAY):
            hod[i] *= decay
    hod[hour % HOURS_PER_DAY] += requests


def hod_from_history(history: Iterable[tuple[int, float]], half_life_h: float) -> list[float]:
    """The hour-of-day profile of ``(hour, requests)`` active hours, as if folded in order."""
    hod = [0.0] * HOURS_PER_DAY
    last = -1
    for hour, requests in sorted(history):
        if requests > 0:
            fold_hod(hod, hour, requests, last, half_life_h)
            last = hour
    return hod


def baseline_view(
    *,
    hour: int,
    age_s: float,
    current: tuple[float, ...],
    moments: Sequence[DecayedMoments],
    hod: Sequence[float],
    half_life_h: float,
    route_view: tuple[Deviation, ...] | None,
    kind_age_s: float = 0.0,
) -> BaselineView:
    """Assemble a :class:`BaselineView` (shared by the in-process and Redis states)."""
    own = tuple(
        Deviation(value, m.mean, m.std, m.weight_at(hour, half_life_h))
        for value, m in zip(current, moments, strict=True)
    )
    total = sum(hod)
    share = hod[hour % HOURS_PER_DAY] / total if total > 0 else 0.0
    return BaselineView(
        hour=hour,
        age_s=max(0.0, age_s),
        current=current,
        own=own,
        route=route_view,
        hour_share=share,
        history_h=min(age_s / 3600.0, 10_000.0),
        kind_age_s=max(0.0, kind_age_s),
    )


class RouteBaselines:
    """Per-route moments over every key's active hours (what a typical caller of it does).

    Kept per process (each replica learns from the keys it sees, which is a fair sample) and
    bounded to ``max_routes`` routes, least recently used first out.
    """

    def __init__(self, max_routes: int = 1_000, min_weight: float = 20.0) -> None:
        self._routes: OrderedDict[str, list[DecayedMoments]] = OrderedDict()
        self._max = max_routes
        self.min_weight = min_weight

    def add(self, route: str, hour: int, values: Sequence[float], half_life_h: float) -> None:
        moments = self._routes.get(route)
        if moments is None:
            moments = [DecayedMoments() for _ in range(N_METRICS)]
            self._routes[route] = moments
            while len(self._routes) > self._max:
                self._routes.popitem(last=False)
        else:
            self._routes.move_to_end(route)
        for m, v in zip(moments, values, strict=True):
            # Several keys close the same hour: fold them as samples of that hour.
            m.fold(max(hour, m.hour), v, half_life_h)

    def view(
        self, route: str, hour: int, current: Sequence[float], half_life_h: float
    ) -> tuple[Deviation, ...] | None:
        moments = self._routes.get(route)
        if moments is None:
            return None
        weight = moments[Metric.REQUESTS].weight_at(hour, half_life_h)
        if weight < self.min_weight:
            return None
        return tuple(
            Deviation(v, m.mean, m.std, m.weight_at(hour, half_life_h))
            for v, m in zip(current, moments, strict=True)
        )


__all__ = [
    "N_METRICS",
    "ActivityBaseline",
    "BaselinePolicy",
    "BaselineView",
    "DecayedMoments",
    "Deviation",
    "Metric",
    "RouteBaselines",
    "baseline_view",
    "fold_hod",
    "hod_from_history",
]
