"""Abuse analytics: attacks visible only across many calls of one caller.

Model extraction and distillation, embedding harvesting, system-prompt probing over many turns,
API enumeration and scraping, and cost harvesting look innocent one request at a time. The
LOG-phase :class:`AbuseConsumer` keeps per-identity (and optionally per-tenant and per-address)
sliding-window features (:mod:`.features`, in process or in Redis: :mod:`.state`), compares
them with adaptive baselines (:mod:`.baseline`), runs the detectors (:mod:`.detectors`), emits
incident events and files sanctions (:mod:`.responses`) that the request path reads.
"""

from wardgate.abuse.consumer import AbuseConsumer, build_consumer, to_event
from wardgate.abuse.detectors import DETECTORS, AbuseFinding, run_detectors
from wardgate.abuse.features import FeatureParams, FeatureSnapshot
from wardgate.abuse.observation import EntityKey, Observation, Scope, observe
from wardgate.abuse.responses import (
    Degrade,
    MemorySanctionBook,
    RedisSanctionBook,
    ResponsePlan,
    Sanction,
    SanctionBook,
    apply_degrade,
    plan_for,
)
from wardgate.abuse.settings import AbuseSettings, ResponseRule
from wardgate.abuse.state import (
    FeatureState,
    MemoryFeatureState,
    RedisFeatureState,
    StateUnavailableError,
)

__all__ = [
    "DETECTORS",
    "AbuseConsumer",
    "AbuseFinding",
    "AbuseSettings",
    "Degrade",
    "EntityKey",
    "FeatureParams",
    "FeatureSnapshot",
    "FeatureState",
    "MemoryFeatureState",
    "MemorySanctionBook",
    "Observation",
    "RedisFeatureState",
    "RedisSanctionBook",
    "ResponsePlan",
    "ResponseRule",
    "Sanction",
    "SanctionBook",
    "Scope",
    "StateUnavailableError",
    "apply_degrade",
    "build_consumer",
    "observe",
    "plan_for",
    "run_detectors",
    "to_event",
]
