"""Per-key behaviour features over sliding windows, updated once per exchange.

Each behaviour key (an identity, a tenant, a source address) has two windows, *short* (by
default four 15-minute buckets: the last 45-60 minutes) and *long* (four 6-hour buckets: the
last 18-24 hours). A bucket holds counters (:class:`Counter`), distinct-item sketches
(:class:`Family`), and for the long window the sum of prompt sketches (how alike the prompts
are) and, for busy keys, a count-min of prompt templates. A window's value is the sum, or for
distinct items the union, of its live buckets: when the clock enters a new bucket the oldest is
cleared, so an update is O(1) and memory per key is fixed.

Besides the windows a key keeps two short rings: the last prompts after a blocked request (their
MinHash signatures, for near-duplicate retries) and the last object ids it fetched (for
sequential enumeration), plus its :class:`~wardgate.abuse.baseline.ActivityBaseline`.

:class:`EntityFeatures` is the in-process form; :mod:`wardgate.abuse.state` also keeps the same
windows in Redis. Both produce a :class:`FeatureSnapshot`, which is all detectors read.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

from wardgate.abuse.baseline import (
    ActivityBaseline,
    BaselinePolicy,
    BaselineView,
    Metric,
    RouteBaselines,
)
from wardgate.abuse.observation import (
    DISPERSION_DIM,
    SKETCH_SCALE,
    EntityKey,
    Observation,
    OpKind,
)
from wardgate.abuse.sketches import (
    CountMinSketch,
    MinHash,
    count_min_cells,
    mix64,
    registers_of,
    union_estimate,
)


class Counter(IntEnum):
    """Sums kept per bucket."""

    REQUESTS = 0
    LLM = 1
    EMBED = 2
    HTTP = 3
    TOKENS_IN = 4
    TOKENS_OUT = 5
    LOGPROBS = 6  # requests asking for logprobs or top_logprobs
    TOP_LOGPROBS = 7  # sum of top_logprobs asked for
    MULTI_N = 8  # requests with n (or candidates) > 1
    CAPPED = 9  # answers that ran to a large max_tokens
    PROBES = 10  # system-prompt probes: lexical, or extraction findings
    BLOCKED = 11
    DENIED = 12  # HTTP 401/403/404/410
    EMBED_ITEMS = 13
    EMBED_SHORT = 14  # embedding inputs shorter than a sentence
    LOGIT_BIAS = 15
    PROMPTS = 16  # LLM requests with a prompt sketch
    OBJECTS = 17  # HTTP requests naming an object id


N_COUNTERS: Final = len(Counter)


class Family(IntEnum):
    """Distinct items counted per bucket (each one a detector reads). The values name Redis
    fields: never renumber them. 0 was distinct prompts, which no detector read (prompt
    diversity is the sketch dispersion): retired, not reused."""

    TEMPLATES = 1
    FILLERS = 2  # (template, fillers) pairs
    TEMPERATURES = 3
    BIASES = 4
    PROBE_PROMPTS = 5
    EMBED_INPUTS = 6
    HOURS = 7  # active hours
    OBJECTS = 8  # (path template, id) pairs
    OBJECT_TEMPLATES = 9


N_FAMILIES: Final = max(Family) + 1
LONG_ONLY: Final = frozenset({Family.HOURS, Family.PROBE_PROMPTS, Family.OBJECT_TEMPLATES})
"""Families detectors read over the long window only: the short window does not keep them."""
POOL_FAMILY_LIMIT: Final = 16
"""Exact fingerprints a family keeps in one bucket before it gets its own HyperLogLog."""
HLL_PRECISION: Final = 8
CMS_WIDTH: Final = 64
CMS_DEPTH: Final = 3
CMS_AFTER: Final = 32
"""Long-window LLM requests before a key gets template count-mins (light keys never pay)."""
_ENTITY_OVERHEAD: Final = 480
"""The entity object, its key and its entries in the state's LRU and size maps (measured)."""
_FIXED_BYTES: dict[int, int] = {}
"""Bytes of a key's fixed-size parts, by its number of buckets."""
RECENT_PROMPTS: Final = 16
RECENT_OBJECTS: Final = 48
MINHASH: Final = MinHash(k=32)
SHORT: Final = 0
LONG: Final = 1


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A window of ``buckets`` buckets of ``bucket_s`` seconds, named for statistics."""

    name: str
    bucket_s: float
    buckets: int

    @property
    def span_s(self) -> float:
        return self.bucket_s * self.buckets

    def epoch(self, at: float) -> int:
        return int(at // self.bucket_s)


DEFAULT_WINDOWS: Final = (WindowSpec("1h", 900.0, 4), WindowSpec("24h", 21_600.0, 4))


@dataclass(frozen=True, slots=True)
class Screen:
    """The least any detector needs before it can fire, per window (counter sums).

    A key below every floor, with no probe in its long window, is not evaluated at all: most
    keys are light, and their snapshots would be built only for detectors to decline them.
    Use 0 to evaluate everything; ``inf`` for a disabled detector.
    """

    llm: tuple[float, float] = (60.0, 250.0)
    embed_items: tuple[float, float] = (3_000.0, 5_000.0)
    objects: tuple[float, float] = (40.0, 120.0)
    capped: tuple[float, float] = (15.0, 50.0)
    cost_short: float = 3_000_000.0
    output_weight: float = 4.0

    def passes(self, short: Sequence[float], long: Sequence[float]) -> bool:
        if long[Counter.PROBES] > 0:
            return True
        for scale, counts in ((0, short), (1, long)):
            if (
                counts[Counter.LLM] >= self.llm[scale]
                or counts[Counter.EMBED_ITEMS] >= self.embed_items[scale]
                or counts[Counter.OBJECTS] >= self.objects[scale]
                or counts[Counter.CAPPED] >= self.capped[scale]
            ):
                return True
        cost = short[Counter.TOKENS_IN] + self.output_weight * short[Counter.TOKENS_OUT]
        return cost >= self.cost_short


@dataclass(frozen=True, slots=True)
class FeatureParams:
    """The few settings feature extraction itself needs."""

    windows: tuple[WindowSpec, WindowSpec] = DEFAULT_WINDOWS
    capped_min_tokens: int = 2_048
    output_weight: float = 4.0
    baseline: BaselinePolicy = field(default_factory=BaselinePolicy)
    retry_window_s: float = 900.0
    retry_similarity: float = 0.5
    screen: Screen = field(default_factory=Screen)


_COUNTER_BITS: Final = 64
_COUNTER_MASK: Final = (1 << _COUNTER_BITS) - 1
_COUNTS_BYTES: Final = N_COUNTERS * _COUNTER_BITS // 8


def _unit(counter: Counter) -> int:
    return 1 << (_COUNTER_BITS * counter)


# One of each counter, packed (module constants: an enum lookup per counter costs more than
# the addition it names).
_REQUEST: Final = _unit(Counter.REQUESTS)
_LLM: Final = _unit(Counter.LLM)
_EMBED: Final = _unit(Counter.EMBED)
_HTTP: Final = _unit(Counter.HTTP)
_DENIED: Final = _unit(Counter.DENIED)
_OBJECTS: Final = _unit(Counter.OBJECTS)
_LOGPROBS: Final = _unit(Counter.LOGPROBS)
_MULTI_N: Final = _unit(Counter.MULTI_N)
_CAPPED: Final = _unit(Counter.CAPPED)
_PROBES: Final = _unit(Counter.PROBES)
_BLOCKED: Final = _unit(Counter.BLOCKED)
_LOGIT_BIAS: Final = _unit(Counter.LOGIT_BIAS)
_PROMPTS: Final = _unit(Counter.PROMPTS)
_AT_EMBED_ITEMS: Final = _COUNTER_BITS * Counter.EMBED_ITEMS
_AT_EMBED_SHORT: Final = _COUNTER_BITS * Counter.EMBED_SHORT
_AT_TOKENS_IN: Final = _COUNTER_BITS * Counter.TOKENS_IN
_AT_TOKENS_OUT: Final = _COUNTER_BITS * Counter.TOKENS_OUT
_AT_TOP_LOGPROBS: Final = _COUNTER_BITS * Counter.TOP_LOGPROBS


def packed_increments(obs: Observation, params: FeatureParams) -> int:
    """What one observation adds to each :class:`Counter`, packed (:func:`unpack_counts`):
    counter ``c`` in bits ``64c..64c+63``. Adding two packed values adds every counter at once
    (counts are whole and never negative)."""
    packed = _REQUEST
    kind = obs.kind
    if kind is OpKind.LLM:
        packed += _LLM
    elif kind is OpKind.EMBEDDINGS:
        packed += _EMBED
        packed += obs.embed_items << _AT_EMBED_ITEMS
        packed += obs.embed_short_items << _AT_EMBED_SHORT
    elif kind is OpKind.HTTP:
        packed += _HTTP
        if obs.denied:
            packed += _DENIED
        if obs.object_hash is not None:
            packed += _OBJECTS
    if obs.tokens_in:
        packed += obs.tokens_in << _AT_TOKENS_IN
    if obs.tokens_out:
        packed += obs.tokens_out << _AT_TOKENS_OUT
    if obs.logprobs:
        packed += _LOGPROBS
        packed += obs.top_logprobs << _AT_TOP_LOGPROBS
    if obs.n > 1:
        packed += _MULTI_N
    if capped(obs, params.capped_min_tokens):
        packed += _CAPPED
    if obs.probe:
        packed += _PROBES
    if obs.blocked:
        packed += _BLOCKED
    if obs.logit_bias is not None:
        packed += _LOGIT_BIAS
    if obs.sketch is not None:
        packed += _PROMPTS
    return packed


def unpack_counts(packed: int) -> list[int]:
    """Every counter of a packed value, in :class:`Counter` order."""
    return array("Q", packed.to_bytes(_COUNTS_BYTES, sys.byteorder)).tolist()


def counter_of(packed: int, counter: Counter) -> int:
    """One counter of a packed value."""
    return (packed >> (_COUNTER_BITS * counter)) & _COUNTER_MASK


def increments(obs: Observation, params: FeatureParams) -> list[tuple[int, float]]:
    """The non-zero counter increments of one observation."""
    counts = unpack_counts(packed_increments(obs, params))
    return [(counter, float(value)) for counter, value in enumerate(counts) if value]


def capped(obs: Observation, min_tokens: int) -> bool:
    """The answer ran (nearly) to a large ``max_tokens``, or was very long without one."""
    if obs.max_tokens is not None and obs.max_tokens >= min_tokens:
        return obs.tokens_out >= 0.9 * obs.max_tokens
    return obs.tokens_out >= 2 * min_tokens


def family_items(obs: Observation) -> list[tuple[int, int]]:
    """``(family, 64-bit hash)`` items of one observation. The families only the long window
    keeps (:data:`LONG_ONLY`) come first, hours first of all, so a window's share is a slice."""
    out: list[tuple[int, int]] = [(Family.HOURS, hour_item(obs.hour))]
    if obs.probe:
        out.append((Family.PROBE_PROMPTS, obs.probe_hash or mix64(int(obs.at * 1000))))
    if obs.object_hash is not None and obs.object_template is not None:
        out.append((Family.OBJECT_TEMPLATES, obs.object_template))
    if obs.prompt_hash is not None:
        if obs.template_hash is not None:
            out.append((Family.TEMPLATES, obs.template_hash))
        if obs.filler_hash is not None:
            out.append((Family.FILLERS, obs.filler_hash))
    if obs.temperature is not None:
        out.append((Family.TEMPERATURES, mix64(round(obs.temperature * 100) + (1 << 40))))
    if obs.logit_bias is not None:
        out.append((Family.BIASES, obs.logit_bias))
    out.extend((Family.EMBED_INPUTS, h) for h in obs.embed_hashes)
    if obs.object_hash is not None and obs.object_template is not None:
        out.append((Family.OBJECTS, obs.object_hash))
    return out


@lru_cache(maxsize=64)
def hour_item(hour: int) -> int:
    """The HOURS item of an hour (every call of an hour has the same: hashed once)."""
    return mix64(hour)


def metric_values(obs: Observation, params: FeatureParams) -> tuple[float, float, float]:
    """What one observation adds to its hour, per :class:`~wardgate.abuse.baseline.Metric`."""
    cost = obs.tokens_in + params.output_weight * obs.tokens_out
    return 1.0, float(cost), float(obs.embed_items)


_SKETCH_BITS: Final = 40
"""Bits per dimension of a packed sketch sum: sums stay exact below 2**39 in magnitude, which at
most SKETCH_SCALE per request is billions of requests in one bucket."""
_SKETCH_MASK: Final = (1 << _SKETCH_BITS) - 1
_SKETCH_BIAS: Final = 1 << (_SKETCH_BITS - 1)
_SKETCH_BIASES: Final = sum(_SKETCH_BIAS << (_SKETCH_BITS * i) for i in range(DISPERSION_DIM))


def pack_sketch(values: Sequence[int]) -> int:
    """``Σ values[i] * 2**(40 i)`` as one integer: adding two packed sketches adds them
    dimension by dimension, in one integer addition instead of sixteen (or a numpy call)."""
    packed = 0
    for v in reversed(values):
        packed = (packed << _SKETCH_BITS) + v
    return packed


def unpack_sketch(packed: int) -> list[int]:
    """The dimensions of a (sum of) :func:`pack_sketch`; each may be negative."""
    biased = packed + _SKETCH_BIASES  # every digit non-negative: plain shifts read them
    return [
        ((biased >> (_SKETCH_BITS * i)) & _SKETCH_MASK) - _SKETCH_BIAS
        for i in range(DISPERSION_DIM)
    ]


_KIND_BITS: Final = {kind: 1 << i for i, kind in enumerate(OpKind)}


class Delta:
    """What one observation adds to a key, worked out once per exchange: an exchange updates up
    to three keys (identity, tenant, address), and each would otherwise redo it."""

    __slots__ = (
        "_cms_cells",
        "counts",
        "hour",
        "kind",
        "kind_bit",
        "llm",
        "long_items",
        "long_items_same_hour",
        "short_items",
        "sketch",
        "template",
        "values",
    )

    def __init__(self, obs: Observation, params: FeatureParams) -> None:
        self.counts = packed_increments(obs, params)
        items = family_items(obs)
        tagged = pool_items(items)
        long_only = 0  # family_items puts the long window's own families first
        for family, _ in items:
            if family not in LONG_ONLY:
                break
            long_only += 1
        self.long_items = tagged
        # The hour was counted by the last call of the same hour, in the same long bucket when
        # its buckets are whole hours (a key's hour only moves forward).
        whole_hours = params.windows[LONG].bucket_s % 3600 == 0
        self.long_items_same_hour = tagged[1:] if whole_hours else tagged
        self.short_items = tagged[long_only:]
        self.values = metric_values(obs, params)
        self.hour = obs.hour
        self.kind = obs.kind  # a str enum: the baseline's kind index takes it as is
        self.kind_bit = _KIND_BITS[obs.kind]
        self.llm = obs.kind is OpKind.LLM
        self.sketch = None if obs.sketch is None else pack_sketch(obs.sketch)
        self.template = obs.template_hash
        self._cms_cells: list[int] | None = None

    def cms_cells(self) -> list[int]:
        """Where the template is counted in a count-min (only busy keys have one: lazily)."""
        if self._cms_cells is None:
            assert self.template is not None
            self._cms_cells = count_min_cells(self.template, CMS_WIDTH, CMS_DEPTH)
        return self._cms_cells


# -- views --------------------------------------------------------------------------------------


class WindowView:
    """One window's aggregates, as detectors read them (either state backend)."""

    __slots__ = ("_distinct", "_estimates", "counts", "sketch_sum", "spec", "template_requests")

    def __init__(
        self,
        spec: WindowSpec,
        counts: Sequence[float],
        distinct: Callable[[Family], float] | Mapping[Family, float],
        *,
        template_requests: float = 0.0,
        sketch_sum: Sequence[float] | None = None,
    ) -> None:
        self.spec = spec
        self.counts = tuple(counts)
        self._distinct = distinct
        self._estimates: dict[Family, float] = {}
        self.template_requests = template_requests
        self.sketch_sum = sketch_sum

    def count(self, counter: Counter) -> float:
        return self.counts[counter]

    def distinct(self, family: Family) -> float:
        """Distinct items of ``family`` in the window (computed on first use, then cached)."""
        cached = self._estimates.get(family)
        if cached is not None:
            return cached
        source = self._distinct
        value = float(source(family)) if callable(source) else float(source.get(family, 0.0))
        self._estimates[family] = value
        return value

    def share(self, counter: Counter, of: Counter) -> float:
        total = self.counts[of]
        return self.counts[counter] / total if total > 0 else 0.0

    def mean_similarity(self) -> float | None:
        """Mean cosine similarity between two different prompts of the window, from the sum of
        their unit sketches: ``(|Σv|² - n) / (n(n-1))``. None under three prompts."""
        n = self.counts[Counter.PROMPTS]
        if self.sketch_sum is None or n < 3:
            return None
        total = float(sum(float(x) * float(x) for x in self.sketch_sum)) / (SKETCH_SCALE**2)
        return max(-1.0, min(1.0, (total - n) / (n * (n - 1))))


@dataclass(frozen=True, slots=True)
class FeatureSnapshot:
    """Everything detectors know about one key right after one exchange was counted."""

    key: EntityKey
    obs: Observation
    short: WindowView
    long: WindowView
    baseline: BaselineView
    near_dup_retries: int = 0
    sequential_share: float = 0.0
    sequential_pairs: int = 0
    windows: tuple[WindowView, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.windows:
            object.__setattr__(self, "windows", (self.short, self.long))


def evaluation_due(obs: Observation, long_requests: float, screened_in: bool = True) -> bool:
    """Whether detectors should run after this exchange.

    Never while the key is below every detector's floor (``screened_in`` False: see
    :class:`Screen`). Then always for the first 32 requests of the long window and after
    events that change a verdict (probes, blocks, denials), and otherwise 16 times per doubling
    of the window's volume (every n/32 to n/16 requests): O(1) amortised detector work for a
    busy key, for a verdict at most ~6 % of the volume late. The rule reads counts only, so
    replicas sharing state agree on it.
    """
    if not screened_in:
        return False
    n = int(long_requests)
    if n <= 32 or obs.probe or obs.blocked or obs.denied:
        return True
    step = 1 << max(0, n.bit_length() - 5)
    return n % step == 0


def near_dup_retries(
    entries: Sequence[tuple[float, bool, bytes]],
    window_s: float,
    threshold: float,
    now: float | None = None,
) -> int:
    """Prompts sent within ``window_s`` after a blocked prompt they resemble (MinHash Jaccard
    ``>= threshold`` but not identical): rewording a refused request until it passes. With
    ``now``, only retries of the last ``window_s`` count."""
    blocked = [i for i, e in enumerate(entries) if e[1]]
    if not blocked or len(entries) < 2:
        return 0
    k = len(entries[0][2])
    sigs = np.stack([np.frombuffer(e[2], dtype="<u4") for e in entries if len(e[2]) == k])
    if sigs.shape[0] != len(entries):
        return 0
    times = [e[0] for e in entries]
    count = 0
    for j in range(len(entries)):
        if now is not None and times[j] < now - window_s:
            continue
        before = [i for i in blocked if times[i] < times[j] <= times[i] + window_s]
        if not before:
            continue
        sims = np.count_nonzero(sigs[before] == sigs[j], axis=1) / sigs.shape[1]
        # Reworded, not resent: the same prompt again is a client retry or an agent's loop.
        if np.any((sims >= threshold) & (sims < 1.0)):
            count += 1
    return count


def sequential_share(pairs: Sequence[tuple[int, int]]) -> tuple[float, int]:
    """Share of consecutive fetches of one path template whose ids differ by 1 to 3
    (enumeration), and how many consecutive same-template pairs there were."""
    last: dict[int, int] = {}
    steps = 0
    comparable = 0
    for template, number in pairs:
        prev = last.get(template)
        if prev is not None:
            comparable += 1
            if 0 < abs(number - prev) <= 3:
                steps += 1
        last[template] = number
    return (steps / comparable if comparable else 0.0), comparable


# -- in process ---------------------------------------------------------------------------------


PoolItem = int
"""``family << 32 | fingerprint``: a family item as a slot pool keeps it (the fingerprint is the
top 32 bits of the item's 64-bit hash)."""
_FP_MASK: Final = 0xFFFFFFFF


def pool_items(items: Iterable[tuple[int, int]]) -> list[PoolItem]:
    """:data:`PoolItem` of each ``(family, 64-bit hash)``."""
    return [(family << 32) | (item >> 32) for family, item in items]


class SlotPool:
    """Distinct items of every family in one bucket: exact 32-bit fingerprints in one shared
    array until a family passes :data:`POOL_FAMILY_LIMIT`, then a HyperLogLog for that family.
    One array for all families keeps a light key's buckets small; it is kept sorted on
    ``family << 32 | fingerprint``, so membership is a binary search and a family's items are
    one contiguous run (a scan of a busy key's few hundred items cost microseconds per item)."""

    __slots__ = ("exact", "hll", "sizes")

    def __init__(self) -> None:
        self.exact: array[int] = array("Q")
        self.sizes = bytearray(N_FAMILIES)
        self.hll: dict[int, bytearray] | None = None

    def add_many(self, items: Iterable[PoolItem]) -> None:
        """Add each :data:`PoolItem` (one loop, not a call per item: this runs for every item
        of every request, twice)."""
        exact = self.exact
        sizes = self.sizes
        hll = self.hll
        for tagged in items:
            family = tagged >> 32
            if hll is not None and (registers := hll.get(family)) is not None:
                _register(registers, tagged & _FP_MASK)
                continue
            at = bisect_left(exact, tagged)
            if at < len(exact) and exact[at] == tagged:
                continue
            if sizes[family] < POOL_FAMILY_LIMIT:
                exact.insert(at, tagged)
                sizes[family] += 1
            else:
                self._promote(family, tagged & _FP_MASK)
                hll = self.hll

    def add(self, family: int, item: int) -> None:
        self.add_many(pool_items(((family, item),)))

    def _promote(self, family: int, fp: int) -> None:
        """Move a family that passed the limit, and ``fp``, into a HyperLogLog."""
        lo, hi = self._run(family)
        mine = [t & _FP_MASK for t in self.exact[lo:hi]]
        del self.exact[lo:hi]  # in place: add_many holds the same array
        self.sizes[family] = 0
        registers = registers_of(mine, HLL_PRECISION)
        _register(registers, fp)
        if self.hll is None:
            self.hll = {}
        self.hll[family] = registers

    def _run(self, family: int) -> tuple[int, int]:
        """Where ``family``'s exact items lie in :attr:`exact`."""
        lo = bisect_left(self.exact, family << 32)
        return lo, lo + self.sizes[family]

    def parts(self, family: int) -> tuple[list[int], bytearray | None]:
        regs = None if self.hll is None else self.hll.get(family)
        if regs is not None:
            return [], regs
        lo, hi = self._run(family)
        return [t & _FP_MASK for t in self.exact[lo:hi]], None

    def nbytes(self) -> int:
        size = 56 + sys.getsizeof(self.exact) + sys.getsizeof(self.sizes)
        if self.hll is not None:
            size += sys.getsizeof(self.hll) + sum(sys.getsizeof(r) for r in self.hll.values())
        return size


_HLL_WIDTH: Final = 32 - HLL_PRECISION
_HLL_MASK: Final = (1 << _HLL_WIDTH) - 1
"""A fingerprint's register index is its top HLL_PRECISION bits, its rank read from the rest."""


def _register(registers: bytearray, fp: int) -> None:
    index = fp >> _HLL_WIDTH
    rank = _HLL_WIDTH - (fp & _HLL_MASK).bit_length() + 1
    registers[index] = max(registers[index], rank)


def pools_union(pools: Iterable[SlotPool], family: int) -> float:
    fps: list[int] = []
    regs: list[npt.NDArray[np.uint8]] = []
    for pool in pools:
        mine, registers = pool.parts(family)
        fps.extend(mine)
        if registers is not None:
            regs.append(np.frombuffer(bytes(registers), dtype=np.uint8))
    return union_estimate(fps, regs, HLL_PRECISION)


class EntityFeatures:
    """One key's windows, rings and baseline, in process (fixed size per key)."""

    __slots__ = (
        "baseline",
        "cms",
        "counts",
        "epochs",
        "kinds",
        "last_seen",
        "objects",
        "pools",
        "recent",
        "updates",
        "vecs",
    )

    def __init__(self, first_seen: float, windows: tuple[WindowSpec, WindowSpec]) -> None:
        k = windows[0].buckets
        if windows[1].buckets != k:
            raise ValueError("both windows must have the same number of buckets")
        # [scale][bucket 0..k-1, then the window's total], each all counters packed in one
        # integer (pack_counts): a request adds to a bucket and its total in one addition
        # each, exactly; the totals make a window's sums O(1) to read.
        self.counts: list[int] = [0] * (2 * (k + 1))
        self.epochs = array("q", [-1] * (2 * k))
        self.pools: list[SlotPool | None] = [None] * (2 * k)
        self.cms: list[CountMinSketch | None] | None = None
        self.vecs: list[int] | None = None  # per long bucket: the packed sum of its sketches
        self.recent: deque[tuple[float, bool, bytes]] | None = None
        self.objects: array[int] | None = None
        self.baseline = ActivityBaseline(first_seen)
        self.last_seen = first_seen
        self.kinds = 0  # bits of the OpKinds seen: the baseline is told each kind's first call
        self.updates = 0

    def nbytes(self) -> int:
        """Bytes held, close to what the allocator sees (``sys.getsizeof`` of each part, which
        is O(1) for arrays): what the in-process state's memory budget counts."""
        k = len(self.epochs)
        size = _FIXED_BYTES.get(k)
        if size is None:  # the same for every key with these windows: measured once
            size = _FIXED_BYTES[k] = (
                _ENTITY_OVERHEAD
                + sys.getsizeof(self.counts)
                + sys.getsizeof(self.epochs)
                + sys.getsizeof(self.pools)
                + self.baseline.nbytes()
            )
        size += sum(p.nbytes() for p in self.pools if p is not None)
        size += sum(sys.getsizeof(c) for c in self.counts if c)  # 0 is a shared object
        if self.cms is not None:
            size += sys.getsizeof(self.cms) + sum(c.nbytes() + 64 for c in self.cms if c)
        if self.vecs is not None:
            size += sys.getsizeof(self.vecs) + sum(sys.getsizeof(v) for v in self.vecs)
        if self.recent is not None:
            size += sys.getsizeof(self.recent) + len(self.recent) * (MINHASH.k * 4 + 120)
        if self.objects is not None:
            size += sys.getsizeof(self.objects)
        return size

    def _row(self, scale: int, bucket: int) -> int:
        """Index of a bucket's packed counters (``bucket == k``: the window total)."""
        k = len(self.epochs) // 2
        return scale * (k + 1) + bucket

    def update(
        self,
        obs: Observation,
        params: FeatureParams,
        routes: RouteBaselines | None = None,
        delta: Delta | None = None,
    ) -> None:
        """Count ``obs`` in every window, the rings and the baseline (``delta``: the
        observation's :class:`Delta`, when the caller already has it)."""
        if delta is None:
            delta = Delta(obs, params)
        incs = delta.counts
        counts = self.counts
        epochs = self.epochs
        pools = self.pools
        at = obs.at
        short, long = params.windows
        k = short.buckets  # both windows have k buckets
        # The short window. The bucket of the last call is the common case; _slot handles
        # entering a new bucket (and a call too late for the window).
        epoch = int(at // short.bucket_s)
        slot = epoch % k
        found = slot if epochs[slot] == epoch else self._slot(SHORT, short, at)
        if found is not None:
            slot = found
            counts[slot] += incs
            counts[k] += incs  # the window's total
            pool = pools[slot]
            if pool is None:
                pool = pools[slot] = SlotPool()
            pool.add_many(delta.short_items)
        # The long window: counts rows k+1..2k+1, pools and epochs k..2k-1.
        epoch = int(at // long.bucket_s)
        slot = k + epoch % k
        found = slot if epochs[slot] == epoch else self._slot(LONG, long, at)
        if found is not None:
            slot = found
            bucket = slot - k
            counts[k + 1 + bucket] += incs
            counts[2 * k + 1] += incs
            pool = pools[slot]
            if pool is None:
                pool = pools[slot] = SlotPool()
            same_hour = delta.hour == self.baseline.hour
            pool.add_many(delta.long_items_same_hour if same_hour else delta.long_items)
            if delta.llm:
                self._long_llm(bucket, delta, long)
        if obs.blocked or self.recent is not None or obs.object_template is not None:
            self._rings(obs, params)
        self.baseline.add(delta.hour, delta.values, params.baseline, routes, obs.route)
        if not self.kinds & delta.kind_bit:  # the first call of its kind
            self.kinds |= delta.kind_bit
            self.baseline.saw_kind(delta.kind, at)
        self.last_seen = max(self.last_seen, at)
        self.updates += 1

    def _slot(self, scale: int, spec: WindowSpec, at: float) -> int | None:
        """The bucket for ``at``; entering a new bucket clears the ones that left the window."""
        epoch = spec.epoch(at)
        k = spec.buckets
        base = scale * k
        slot = base + epoch % k  # both windows have k buckets
        current = self.epochs[slot]
        if current == epoch:
            return slot
        if current > epoch:
            return None
        for j in range(k):
            e = self.epochs[base + j]
            if e != -1 and (e <= epoch - k or base + j == slot):
                self._clear(scale, j)
        self.epochs[slot] = epoch
        return slot

    def _clear(self, scale: int, bucket: int) -> None:
        k = len(self.epochs) // 2
        row = self._row(scale, bucket)
        self.counts[self._row(scale, k)] -= self.counts[row]  # exact: integers
        self.counts[row] = 0
        self.epochs[scale * k + bucket] = -1
        self.pools[scale * k + bucket] = None
        if scale == LONG:
            if self.cms is not None:
                self.cms[bucket] = None
            if self.vecs is not None:
                self.vecs[bucket] = 0

    def _long_llm(self, k: int, delta: Delta, spec: WindowSpec) -> None:
        if delta.sketch is not None:
            if self.vecs is None:
                self.vecs = [0] * spec.buckets
            self.vecs[k] += delta.sketch
        if delta.template is None:
            return
        if self.cms is None:
            if counter_of(self.counts[self._row(LONG, spec.buckets)], Counter.LLM) < CMS_AFTER:
                return
            self.cms = [None] * spec.buckets
        cms = self.cms[k]
        if cms is None:
            cms = self.cms[k] = CountMinSketch(CMS_WIDTH, CMS_DEPTH)
        cms.add_cells(delta.cms_cells())

    def _rings(self, obs: Observation, params: FeatureParams) -> None:
        if obs.kind is OpKind.LLM and obs.shingles is not None:
            recent = self.recent
            if recent is not None and recent and obs.at - recent[-1][0] > params.retry_window_s:
                recent = self.recent = None  # the last block is long past
            if obs.blocked or recent is not None:
                if recent is None:
                    recent = self.recent = deque(maxlen=RECENT_PROMPTS)
                recent.append((obs.at, obs.blocked, MINHASH.signature(obs.shingles)))
        if obs.object_template is not None and obs.object_number is not None:
            if self.objects is None:
                self.objects = array("q")
            self.objects.extend((obs.object_template >> 1, obs.object_number))
            if len(self.objects) > 2 * RECENT_OBJECTS:
                del self.objects[:2]

    def _live(self, scale: int, spec: WindowSpec, at: float) -> list[int]:
        """Bucket indexes (within the scale) of the window ending at ``at``."""
        now = spec.epoch(at)
        base = scale * spec.buckets
        return [k for k in range(spec.buckets) if now - spec.buckets < self.epochs[base + k] <= now]

    def window_counts(self, scale: int, params: FeatureParams) -> list[int]:
        """Counter sums of one window as of the last update (its running total)."""
        return unpack_counts(self.counts[self._row(scale, params.windows[scale].buckets)])

    def due(self, obs: Observation, params: FeatureParams) -> bool:
        """Whether detectors should run on this key now (:func:`evaluation_due`)."""
        long = self.window_counts(LONG, params)
        if not params.screen.passes(long, long) and not obs.probe:
            return False  # the short window is part of the long one: below its floors too
        short = self.window_counts(SHORT, params)
        return evaluation_due(obs, long[Counter.REQUESTS], params.screen.passes(short, long))

    def view(self, scale: int, params: FeatureParams, obs: Observation) -> WindowView:
        spec = params.windows[scale]
        live = self._live(scale, spec, obs.at)
        counts = [float(c) for c in self.window_counts(scale, params)]  # as the Redis state's
        base = scale * spec.buckets
        pools = [p for k in live if (p := self.pools[base + k]) is not None]
        template_requests = 0.0
        sketch_sum = None
        if scale == LONG:
            if self.cms is not None and obs.template_hash is not None:
                template_requests = float(
                    sum(c.estimate(obs.template_hash) for k in live if (c := self.cms[k]))
                )
            if self.vecs is not None and live:
                sketch_sum = [float(x) for x in unpack_sketch(sum(self.vecs[k] for k in live))]
        return WindowView(
            spec,
            counts,
            lambda family: pools_union(pools, family),
            template_requests=template_requests,
            sketch_sum=sketch_sum,
        )

    def snapshot(
        self,
        key: EntityKey,
        obs: Observation,
        params: FeatureParams,
        routes: RouteBaselines | None = None,
    ) -> FeatureSnapshot:
        half_life = params.baseline.half_life_h
        hour = obs.hour
        current = list(self.baseline.current) if self.baseline.hour == hour else [0.0] * len(Metric)
        route_view = None if routes is None else routes.view(obs.route, hour, current, half_life)
        retries = 0
        if self.recent is not None and obs.kind is OpKind.LLM and obs.shingles is not None:
            retries = near_dup_retries(
                list(self.recent), params.retry_window_s, params.retry_similarity, obs.at
            )
        share, pairs = 0.0, 0
        if self.objects is not None and obs.object_template is not None:
            objs = self.objects
            share, pairs = sequential_share(
                [(objs[i], objs[i + 1]) for i in range(0, len(objs), 2)]
            )
        return FeatureSnapshot(
            key=key,
            obs=obs,
            short=self.view(SHORT, params, obs),
            long=self.view(LONG, params, obs),
            baseline=self.baseline.view(obs.at, half_life, route_view, current, obs.kind.value),
            near_dup_retries=retries,
            sequential_share=share,
            sequential_pairs=pairs,
        )


__all__ = [
    "DEFAULT_WINDOWS",
    "LONG",
    "LONG_ONLY",
    "MINHASH",
    "N_COUNTERS",
    "N_FAMILIES",
    "SHORT",
    "Counter",
    "Delta",
    "EntityFeatures",
    "Family",
    "FeatureParams",
    "FeatureSnapshot",
    "Screen",
    "SlotPool",
    "WindowSpec",
    "WindowView",
    "capped",
    "counter_of",
    "evaluation_due",
    "family_items",
    "increments",
    "metric_values",
    "near_dup_retries",
    "pack_sketch",
    "packed_increments",
    "pool_items",
    "sequential_share",
    "unpack_counts",
    "unpack_sketch",
]
