"""Configuration of abuse analytics: windows, baselines, detector thresholds, responses.

Every threshold is a pair: a z-score against the key's own (or its route's) baseline, and an
absolute floor below which nothing fires whatever the z-score. Defaults were tuned on the
traffic simulator (``bench/traffic_sim.py``) with a development seed and reported on another.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wardgate.abuse.baseline import BaselinePolicy
from wardgate.abuse.features import FeatureParams, Screen, WindowSpec
from wardgate.abuse.observation import DEFAULT_PROBE_PHRASES, Scope

SeverityName = Literal["low", "medium", "high", "critical"]
DetectorName = Literal[
    "model_extraction",
    "embedding_harvesting",
    "system_prompt_probing",
    "api_enumeration",
    "cost_harvesting",
]
ResponseAction = Literal["alert", "throttle", "step_up", "suspend", "degrade"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowSettings(_Model):
    """Short and long windows, each ``buckets`` buckets (the window slides bucket by bucket)."""

    short_bucket_s: float = Field(900.0, ge=10.0, le=86_400.0)
    long_bucket_s: float = Field(21_600.0, ge=60.0, le=7 * 86_400.0)
    buckets: int = Field(4, ge=2, le=24)

    @model_validator(mode="after")
    def _ordered(self) -> WindowSettings:
        if self.long_bucket_s <= self.short_bucket_s:
            raise ValueError("long_bucket_s must be longer than short_bucket_s")
        return self

    def specs(self) -> tuple[WindowSpec, WindowSpec]:
        short = self.short_bucket_s * self.buckets
        long = self.long_bucket_s * self.buckets
        return (
            WindowSpec(_duration(short), self.short_bucket_s, self.buckets),
            WindowSpec(_duration(long), self.long_bucket_s, self.buckets),
        )


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


class BaselineSettings(_Model):
    """How baselines learn and how far from them is anomalous."""

    half_life_h: float = Field(72.0, gt=0, le=24 * 90)
    min_own_hours: float = Field(0.5, gt=0)  # active hours before a key's own baseline counts
    min_own_age_h: float = Field(12.0, ge=0)  # and its age: a new key is compared to its route
    clip_z: float = Field(4.0, gt=0)  # winsorised learning: an hour counts at most mean + clip_z sd
    route_min_hours: float = Field(20.0, ge=1.0)
    z: float = Field(4.0, gt=0)
    min_std_requests: float = Field(10.0, gt=0)
    min_std_cost: float = Field(50_000.0, gt=0)
    min_std_embed: float = Field(250.0, gt=0)
    off_hours_share: float = Field(0.005, ge=0, le=1)
    off_hours_min_history_h: float = Field(72.0, ge=0)
    new_key_age_h: float = Field(24.0, ge=0)
    modifier: float = Field(0.1, ge=0, le=0.5)  # score added for an off-hours burst or a new key


class ExtractionSettings(_Model):
    """Model extraction / distillation: volume with logprobs, sweeps and templated coverage."""

    enabled: bool = True
    min_requests_short: int = Field(60, ge=1)
    min_requests_long: int = Field(250, ge=1)
    logprob_requests: int = Field(100, ge=1)  # logprob requests (real answers) that start to count
    threshold: float = Field(0.6, gt=0, le=1)
    high_severity_at: float = Field(0.8, gt=0, le=1)


class EmbeddingSettings(_Model):
    """Embedding harvesting: sustained, unique, short inputs above the key's norm."""

    enabled: bool = True
    min_items_short: int = Field(3_000, ge=1)
    min_items_long: int = Field(3_000, ge=1)
    absolute_items_long: int = Field(400_000, ge=1)  # fires on volume alone above this
    min_unique_share: float = Field(0.8, gt=0, le=1)
    trust_after_h: float = Field(72.0, ge=0)  # embedding for less: the shape alone fires
    threshold: float = Field(0.5, gt=0, le=1)
    high_severity_at: float = Field(0.85, gt=0, le=1)


class ProbingSettings(_Model):
    """System-prompt probing over many turns."""

    enabled: bool = True
    min_distinct_probes: int = Field(3, ge=1)
    min_probe_share: float = Field(0.01, ge=0, le=1)
    min_retries: int = Field(3, ge=1)  # near-duplicate retries after blocks
    high_severity_probes: int = Field(6, ge=1)
    phrases: tuple[str, ...] = DEFAULT_PROBE_PHRASES


class EnumerationSettings(_Model):
    """API enumeration (BOLA probing) and scraping of object endpoints."""

    enabled: bool = True
    min_objects_short: int = Field(40, ge=1)
    min_objects_long: int = Field(120, ge=1)
    denied_share: float = Field(0.25, gt=0, le=1)
    sequential_share: float = Field(0.5, gt=0, le=1)
    min_sequential_pairs: int = Field(12, ge=2)
    scrape_objects_long: int = Field(3_000, ge=1)  # distinct objects a day that is scraping
    scrape_unique_share: float = Field(0.85, gt=0, le=1)


class CostSettings(_Model):
    """Cost harvesting: answers run to huge max_tokens, or spend far above the norm."""

    enabled: bool = True
    min_capped_short: int = Field(15, ge=1)
    min_capped_long: int = Field(50, ge=1)
    capped_share: float = Field(0.3, gt=0, le=1)
    capped_min_tokens: int = Field(2_048, ge=1)
    min_cost_short: float = Field(3_000_000.0, gt=0)  # input + weighted output tokens
    output_weight: float = Field(4.0, ge=1.0)


class ResponseRule(_Model):
    """What to do when ``detector`` (or any, ``"*"``) fires at ``min_severity`` or above."""

    detector: DetectorName | Literal["*"] = "*"
    min_severity: SeverityName = "medium"
    actions: tuple[ResponseAction, ...] = ("alert",)
    throttle_factor: float = Field(0.25, gt=0, le=1)  # multiplies the key's rate limit
    duration_s: float = Field(3_600.0, gt=0, le=30 * 86_400.0)
    degrade_max_tokens: int | None = Field(512, ge=1)
    degrade_max_n: int = Field(1, ge=1)


DEFAULT_RESPONSES: tuple[ResponseRule, ...] = (
    ResponseRule(detector="model_extraction", actions=("alert", "degrade")),
    ResponseRule(detector="*", actions=("alert",)),
)


class AbuseSettings(_Model):
    """``abuse:`` in the gateway configuration.

    ``state: redis`` shares features between replicas (``redis_url`` required); ``scopes``
    chooses the keys features are kept for (anonymous callers are always keyed by address).
    Shared scopes (tenant, client) see many callers at once, so their volume floors are
    multiplied by ``shared_scope_floor_factor``. Identities in ``exempt_subjects`` or with a
    group in ``exempt_groups`` (an evaluation harness, a known partner) are not analysed.
    """

    enabled: bool = True
    state: Literal["memory", "redis"] = "memory"
    redis_url: str | None = None
    key_prefix: str = Field("wardgate:abuse:", min_length=1, max_length=64)
    timeout_s: float = Field(0.5, gt=0, le=10)
    max_entities: int = Field(100_000, ge=1)
    max_bytes: int = Field(512 * 1024 * 1024, ge=1024 * 1024)
    history_days: int = Field(7, ge=1, le=30)  # Redis: hourly history kept for baselines
    scopes: tuple[Scope, ...] = (Scope.IDENTITY,)
    shared_scope_floor_factor: float = Field(10.0, ge=1.0)
    exempt_subjects: tuple[str, ...] = ()
    exempt_groups: tuple[str, ...] = ()
    realert_s: float = Field(3_600.0, ge=0)  # one event per key and detector per this period
    retry_window_s: float = Field(900.0, gt=0)
    retry_similarity: float = Field(0.5, gt=0, le=1)
    windows: WindowSettings = WindowSettings()
    baseline: BaselineSettings = BaselineSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    probing: ProbingSettings = ProbingSettings()
    enumeration: EnumerationSettings = EnumerationSettings()
    cost: CostSettings = CostSettings()
    responses: tuple[ResponseRule, ...] = DEFAULT_RESPONSES

    @model_validator(mode="after")
    def _redis(self) -> AbuseSettings:
        if self.state == "redis" and not self.redis_url:
            raise ValueError("abuse.state redis needs abuse.redis_url")
        if not self.scopes:
            raise ValueError("abuse.scopes must name at least one scope")
        return self

    def feature_params(self) -> FeatureParams:
        b = self.baseline
        return FeatureParams(
            windows=self.windows.specs(),
            capped_min_tokens=self.cost.capped_min_tokens,
            output_weight=self.cost.output_weight,
            baseline=BaselinePolicy(
                half_life_h=b.half_life_h,
                clip_z=b.clip_z,
                min_weight=b.min_own_hours,
                min_std=(b.min_std_requests, b.min_std_cost, b.min_std_embed),
            ),
            retry_window_s=self.retry_window_s,
            retry_similarity=self.retry_similarity,
            screen=self.screen(),
        )

    def screen(self) -> Screen:
        """The floors below which no enabled detector can fire (for any scope)."""
        off = (math.inf, math.inf)
        x, e, n, c = self.extraction, self.embedding, self.enumeration, self.cost
        return Screen(
            llm=(x.min_requests_short, x.min_requests_long) if x.enabled else off,
            embed_items=(e.min_items_short, e.min_items_long) if e.enabled else off,
            objects=(n.min_objects_short, n.min_objects_long) if n.enabled else off,
            capped=(c.min_capped_short, c.min_capped_long) if c.enabled else off,
            cost_short=c.min_cost_short if c.enabled else math.inf,
            output_weight=c.output_weight,
        )


__all__ = [
    "DEFAULT_RESPONSES",
    "AbuseSettings",
    "BaselineSettings",
    "CostSettings",
    "DetectorName",
    "EmbeddingSettings",
    "EnumerationSettings",
    "ExtractionSettings",
    "ProbingSettings",
    "ResponseAction",
    "ResponseRule",
    "WindowSettings",
]
