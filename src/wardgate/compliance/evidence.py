"""Collect an :class:`Evidence` snapshot from a Wardgate database, for one time window.

Everything is computed in one streaming pass over the audit records (oldest first), so memory
stays bounded whatever the log's size: counters keyed by attacker-influenced values (subjects,
models, policy ids, tags) keep at most :data:`MAX_KEYS` keys and fold the rest into
``"(other)"``; latency percentiles come from a fixed-size reservoir sample.

The database is opened **read-only**: evidence is never written to while it is read. Records
are parsed as plain JSON; proving they were not altered is the verifier's job
(:func:`wardgate.audit.verify.verify_log`), run here only when a public key is given.

Window: a record counts when ``since <= time < until`` (UTC). Configuration, policy and incident
records *before* the window still set the state in force at its start (the routes, the policy
set), so a report for last week knows what was configured last week.

Record bodies are those the gateway writes (``decision``, ``config``, ``key``, ``incident``,
``policy``); every field is optional here, so older or newer gateways still produce a report.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sqlite3
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wardgate.audit.records import format_time
from wardgate.audit.signing import CheckpointError, parse_checkpoint, verify_checkpoint
from wardgate.audit.verify import verify_log
from wardgate.compliance.benchmarks import BenchmarkEvidence
from wardgate.compliance.sources import (
    AiModelInventory,
    ApiInventory,
    IncidentStoreStats,
    read_ai_models,
    read_api_inventory,
    read_incident_store,
    table_names,
)

MAX_KEYS = 1000
"""Most distinct keys one counter keeps before folding the rest into ``(other)``."""
MAX_PRINCIPALS = 10_000
MAX_DAYS = 3_700
MAX_LIST = 100
"""Most individual events (config changes, key events...) listed; the rest are counted."""
RESERVOIR = 10_000
OTHER = "(other)"
MAX_PROBLEMS = 20

AUTH_FAILURES = frozenset({"missing", "invalid", "expired", "revoked"})
_AUTHENTICATED_METHODS = frozenset({"api_key", "jwt"})
_BLOCKING = frozenset({"block", "deny"})
_DIGEST_KEYS = frozenset({"sha256", "hmac-sha256"})
_TIME_PREFIX = b',"time":"'
_TIME_LEN = 24  # 2026-01-31T12:00:00.000Z


class EvidenceError(ValueError):
    """The database cannot be read as a Wardgate store (missing, or not SQLite)."""


class BoundedCounter:
    """A counter that keeps at most ``limit`` keys; later new keys are counted as ``(other)``."""

    __slots__ = ("counts", "limit")

    def __init__(self, limit: int = MAX_KEYS) -> None:
        self.counts: dict[str, int] = {}
        self.limit = limit

    def add(self, key: str, n: int = 1) -> None:
        counts = self.counts
        if key in counts:
            counts[key] += n
        elif len(counts) < self.limit:
            counts[key] = n
        else:
            counts[OTHER] = counts.get(OTHER, 0) + n

    def top(self, n: int | None = None) -> dict[str, int]:
        """Keys by descending count (ties by key), at most ``n`` of them."""
        ordered = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return dict(ordered if n is None else ordered[:n])


class Reservoir:
    """A uniform sample of at most ``size`` values (Vitter's algorithm R, seeded: repeatable)."""

    __slots__ = ("_rng", "count", "maximum", "size", "total", "values")

    def __init__(self, size: int = RESERVOIR) -> None:
        self.size = size
        self.values: list[float] = []
        self.count = 0
        self.total = 0.0
        self.maximum = 0.0
        self._rng = random.Random(0)  # noqa: S311 - sampling, not security

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.maximum = max(self.maximum, value)
        if len(self.values) < self.size:
            self.values.append(value)
        else:
            j = self._rng.randrange(self.count)
            if j < self.size:
                self.values[j] = value

    def summary(self) -> LatencySummary:
        if not self.count:
            return LatencySummary()
        ordered = sorted(self.values)

        def pct(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        return LatencySummary(
            count=self.count,
            mean_ms=round(self.total / self.count, 3),
            p50_ms=pct(0.50),
            p95_ms=pct(0.95),
            p99_ms=pct(0.99),
            max_ms=round(self.maximum, 3),
        )


@dataclass(slots=True)
class LatencySummary:
    """Gateway latency of decisions in the window (percentiles from a sample)."""

    count: int = 0
    mean_ms: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None


@dataclass(slots=True)
class RouteCounts:
    """What happened on one route in the window."""

    decisions: int = 0
    blocked: int = 0
    would_block: int = 0
    redacted: int = 0
    throttled: int = 0
    denied: int = 0
    anonymous: int = 0
    detections: int = 0


@dataclass(slots=True)
class DecisionEvidence:
    """Aggregates over ``decision`` records in the window."""

    total: int = 0
    authenticated: int = 0
    anonymous: int = 0
    auth_failures: int = 0
    auth_outcomes: dict[str, int] = field(default_factory=dict)
    identity_methods: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    enforced_blocks: int = 0
    would_block: int = 0
    response_blocks: int = 0
    throttled: int = 0
    denied: int = 0
    redacted_decisions: int = 0
    redactions: int = 0
    with_policy_ids: int = 0
    deciding_policies: dict[str, int] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    routes: dict[str, RouteCounts] = field(default_factory=dict)
    detections: int = 0
    detections_by_category: dict[str, int] = field(default_factory=dict)
    detections_by_tag: dict[str, int] = field(default_factory=dict)
    detections_by_kind: dict[str, int] = field(default_factory=dict)
    detections_by_phase: dict[str, int] = field(default_factory=dict)
    blocked_by_category: dict[str, int] = field(default_factory=dict)
    redacted_by_category: dict[str, int] = field(default_factory=dict)
    response_scan: dict[str, int] = field(default_factory=dict)
    response_scan_gaps: dict[str, int] = field(default_factory=dict)
    text_fields: dict[str, int] = field(default_factory=dict)
    """How prompts and answers were recorded: ``sha256``, ``hmac-sha256``, ``absent`` or
    ``raw`` (anything but a digest: the proof that logs hold no raw text fails)."""
    models: dict[str, int] = field(default_factory=dict)
    model_pinning: dict[str, int] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)
    with_tokens: int = 0
    tokens_input: int = 0
    tokens_output: int = 0
    tokens_by_principal: dict[str, int] = field(default_factory=dict)
    principals: int = 0
    per_day: dict[str, int] = field(default_factory=dict)
    blocked_per_day: dict[str, int] = field(default_factory=dict)
    latency: LatencySummary = field(default_factory=LatencySummary)
    first: str | None = None
    last: str | None = None

    @property
    def authenticated_share(self) -> float | None:
        return self.authenticated / self.total if self.total else None

    @property
    def policy_share(self) -> float | None:
        return self.with_policy_ids / self.total if self.total else None

    @property
    def response_scan_share(self) -> float | None:
        """Complete response scans over decisions that recorded a response scan at all."""
        seen = sum(v for k, v in self.response_scan.items() if k != "unrecorded")
        return self.response_scan.get("complete", 0) / seen if seen else None


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One configured route, as the config record describes it."""

    name: str
    provider: str
    mode: str
    fail_closed: bool | None
    anonymous: bool
    upstream_host: str

    @property
    def unprotected_reasons(self) -> list[str]:
        reasons = []
        if self.mode == "off":
            reasons.append("inspection off")
        if self.anonymous:
            reasons.append("anonymous callers allowed")
        return reasons


@dataclass(frozen=True, slots=True)
class ConfigChange:
    time: str
    event: str
    config_sha256: str | None
    policy_sha256: str | None
    by: str | None = None
    kind: str = "config"


@dataclass(slots=True)
class ConfigEvidence:
    """The configuration in force at the window's end, and its changes during the window."""

    snapshot_time: str | None = None
    snapshot_event: str | None = None
    config_sha256: str | None = None
    policy_sha256: str | None = None
    policy_ids: list[str] = field(default_factory=list)
    routes: list[RouteInfo] = field(default_factory=list)
    detection: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    changes_in_window: int = 0
    policy_updates_in_window: int = 0
    unattributed_policy_updates: int = 0
    distinct_config_hashes: int = 0
    changes: list[ConfigChange] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return self.snapshot_time is not None

    @property
    def unprotected_routes(self) -> dict[str, list[str]]:
        return {r.name: r.unprotected_reasons for r in self.routes if r.unprotected_reasons}

    def routes_in_mode(self, mode: str) -> list[str]:
        return [r.name for r in self.routes if r.mode == mode]


@dataclass(slots=True)
class KeyEvidence:
    """API-key lifecycle events in the window."""

    events: dict[str, int] = field(default_factory=dict)
    created_without_expiry: int = 0
    recent: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class IncidentEvidence:
    """Incidents: from the audit trail's ``incident`` records, and the incident store."""

    events: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    acknowledged: int = 0
    resolved: int = 0
    false_positive: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    mean_ack_s: float | None = None
    median_ack_s: float | None = None
    mean_resolve_s: float | None = None
    median_resolve_s: float | None = None
    store: IncidentStoreStats = field(default_factory=lambda: IncidentStoreStats(False))

    @property
    def tracking_available(self) -> bool:
        return self.store.available or bool(self.events)


@dataclass(slots=True)
class CheckpointEvidence:
    """Signed tree heads, and the verdict of offline verification when a key was given."""

    count: int = 0
    readable: int = 0
    latest_id: int | None = None
    latest_size: int | None = None
    latest_root: str | None = None
    latest_time: str | None = None
    recorded_key_sha256: str | None = None
    verified: bool | None = None
    """None: no public key given. True/False: the whole log verified / failed."""
    key_sha256: str | None = None
    valid_checkpoints: int | None = None
    latest_valid_time: str | None = None
    verified_size: int | None = None
    unverified_records: int | None = None
    problems: list[str] = field(default_factory=list)
    verify_error: str | None = None


@dataclass(slots=True)
class LogEvidence:
    """The audit log as a whole."""

    present: bool = False
    origin: str | None = None
    records: int = 0
    unreadable: int = 0
    first_time: str | None = None
    last_time: str | None = None
    in_window: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class InventoryEvidence:
    api: ApiInventory = field(default_factory=lambda: ApiInventory(False))
    ai_models: AiModelInventory = field(default_factory=lambda: AiModelInventory(False))


@dataclass(slots=True)
class Evidence:
    """Everything the report knows, as of ``generated_at``, for the window ``since..until``."""

    generated_at: str
    database: str
    since: str | None
    until: str | None
    log: LogEvidence = field(default_factory=LogEvidence)
    decisions: DecisionEvidence = field(default_factory=DecisionEvidence)
    config: ConfigEvidence = field(default_factory=ConfigEvidence)
    keys: KeyEvidence = field(default_factory=KeyEvidence)
    incidents: IncidentEvidence = field(default_factory=IncidentEvidence)
    checkpoints: CheckpointEvidence = field(default_factory=CheckpointEvidence)
    inventory: InventoryEvidence = field(default_factory=InventoryEvidence)
    benchmarks: BenchmarkEvidence | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        d = self.decisions
        data["decisions"]["authenticated_share"] = d.authenticated_share
        data["decisions"]["policy_share"] = d.policy_share
        data["decisions"]["response_scan_share"] = d.response_scan_share
        data["config"]["unprotected_routes"] = self.config.unprotected_routes
        return data


# ---- helpers ----------------------------------------------------------------------------------


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _i(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _time_of(data: bytes) -> str | None:
    """The record's ``time`` from the tail of its canonical bytes, without parsing JSON."""
    if data[-35:-26] == _TIME_PREFIX and data.endswith(b'"}'):
        try:
            return data[-26:-2].decode("ascii")
        except UnicodeDecodeError:
            return None
    return None


def _epoch(text: str | None) -> float | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _summarise(durations: list[float]) -> tuple[float | None, float | None]:
    if not durations:
        return None, None
    return round(statistics.fmean(durations), 3), round(statistics.median(durations), 3)


def window_bound(when: datetime | None) -> str | None:
    """A window bound in the records' own time format (so strings compare as times)."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return format_time(when)


def open_readonly(db_path: str | Path) -> sqlite3.Connection:
    """The database at ``db_path``, read-only; :class:`EvidenceError` when absent or not SQLite."""
    path = Path(db_path)
    if not path.is_file():
        raise EvidenceError(f"no database at {path}")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise EvidenceError(f"{path} is not a SQLite database ({exc})") from None
    return conn


# ---- the collector -----------------------------------------------------------------------------


class _Collector:
    """One pass over the audit records; see the module docstring."""

    def __init__(self, since: str | None, until: str | None) -> None:
        self.since = since
        self.until = until
        self.log = LogEvidence()
        self.dec = DecisionEvidence()
        self.cfg = ConfigEvidence()
        self.keys = KeyEvidence()
        self.inc = IncidentEvidence()
        c = BoundedCounter
        self.auth_outcomes, self.methods, self.actions = c(), c(), c()
        self.policies, self.modes, self.cats, self.tags = c(), c(), c(), c()
        self.kinds, self.phases, self.blocked_cats, self.redacted_cats = c(), c(), c(), c()
        self.scan, self.scan_gaps, self.text_fields = c(), c(), c()
        self.models, self.pinning, self.providers = c(), c(), c()
        self.spend = c(MAX_PRINCIPALS)
        self.subjects = c(MAX_PRINCIPALS)
        self.days, self.blocked_days = c(MAX_DAYS), c(MAX_DAYS)
        self.routes: dict[str, RouteCounts] = {}
        self.latency = Reservoir()
        self.config_hashes: set[str] = set()
        self.key_events, self.inc_events = c(), c()
        self.inc_cats, self.inc_sev = c(), c()
        self.open_at: dict[str, float] = {}
        self.ack_s: list[float] = []
        self.resolve_s: list[float] = []
        self.acked: set[str] = set()

    # -- dispatch --------------------------------------------------------------------------------

    def feed(self, rows: Iterable[tuple[str, bytes]]) -> None:
        since, until = self.since, self.until
        log = self.log
        in_window = BoundedCounter(64)
        for kind, data in rows:
            log.records += 1
            when = _time_of(data)
            if when is None:
                when = self._slow_time(data)
                if when is None:
                    log.unreadable += 1
                    continue
            if log.first_time is None:
                log.first_time = when
            log.last_time = when
            if until is not None and when >= until:
                continue
            inside = since is None or when >= since
            if kind == "decision" and not inside:
                continue
            if kind not in {"decision", "config", "policy", "key", "incident"}:
                if inside:
                    in_window.add(kind)
                continue
            try:
                record = json.loads(data)
                body = record["body"]
            except (ValueError, KeyError, TypeError):
                log.unreadable += 1
                continue
            if not isinstance(body, dict):
                log.unreadable += 1
                continue
            if inside:
                in_window.add(kind)
            if kind == "decision":
                self.decision(when, body)
            elif kind == "config":
                self.config(when, body, inside)
            elif kind == "policy":
                self.policy(when, body, inside)
            elif kind == "key":
                if inside:
                    self.key(when, body)
            else:
                self.incident(when, body, inside)
        log.in_window = in_window.top()

    @staticmethod
    def _slow_time(data: bytes) -> str | None:
        try:
            value = json.loads(data).get("time")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) and len(value) == _TIME_LEN else None

    # -- decisions -------------------------------------------------------------------------------

    def decision(self, when: str, body: dict[str, Any]) -> None:
        d = self.dec
        d.total += 1
        if d.first is None:
            d.first = when
        d.last = when
        day = when[:10]
        self.days.add(day)

        route_name = _s(body.get("route")) or "(unknown)"
        route = self.routes.get(route_name)
        if route is None:
            if len(self.routes) >= MAX_KEYS:
                route_name = OTHER
                route = self.routes.setdefault(OTHER, RouteCounts())
            else:
                route = self.routes[route_name] = RouteCounts()
        route.decisions += 1

        ident = _d(body.get("identity"))
        method = _s(ident.get("method"))
        auth = _s(body.get("auth"))
        self.auth_outcomes.add(auth or "unrecorded")
        self.methods.add(method or "unrecorded")
        if auth == "ok" or (auth is None and method in _AUTHENTICATED_METHODS):
            d.authenticated += 1
        elif auth == "anonymous" or method == "anonymous":
            d.anonymous += 1
            route.anonymous += 1
        if auth in AUTH_FAILURES:
            d.auth_failures += 1
        subject = _s(ident.get("subject"))
        if subject:
            self.subjects.add(subject)

        mode = _s(body.get("mode")) or "unrecorded"
        self.modes.add(mode)
        provider = _s(body.get("provider"))
        if provider:
            self.providers.add(provider)

        request = _d(body.get("request"))
        action = _s(request.get("action")) or "unrecorded"
        enforced = request.get("enforced") is True
        self.actions.add(action)
        blocked = False
        if action in _BLOCKING:
            if enforced:
                d.enforced_blocks += 1
                route.blocked += 1
                blocked = True
            else:
                d.would_block += 1
                route.would_block += 1
        if action == "deny":
            d.denied += 1
            route.denied += 1
        elif action == "throttle":
            d.throttled += 1
            route.throttled += 1
        policy_ids = _l(request.get("policy_ids"))
        if policy_ids:
            d.with_policy_ids += 1
            for pid in policy_ids:
                if isinstance(pid, str):
                    self.policies.add(pid)

        response = _d(body.get("response"))
        response_action = _s(response.get("action"))
        response_blocked = response_action in _BLOCKING and response.get("enforced") is True
        if response_blocked:
            d.response_blocks += 1
            route.blocked += 1
            blocked = True
        if blocked:
            self.blocked_days.add(day)
        redacting_phases = set()
        if action == "redact":
            redacting_phases.add("request")
        if response_action == "redact":
            redacting_phases.add("response")
        redactions = _i(body.get("redactions")) or 0
        if redactions > 0 or redacting_phases:
            d.redacted_decisions += 1
            d.redactions += max(redactions, 0)
            route.redacted += 1

        blocking_phases = set()
        if action in _BLOCKING and enforced:
            blocking_phases.add("request")
        if response_blocked:
            blocking_phases.add("response")
        findings = _l(body.get("findings"))
        if findings:
            blocked_here: set[str] = set()
            redacted_here: set[str] = set()
            for finding in findings:
                if not isinstance(finding, dict):
                    continue
                d.detections += 1
                route.detections += 1
                category = _s(finding.get("category")) or "unrecorded"
                phase = _s(finding.get("phase")) or "unrecorded"
                self.cats.add(category)
                self.phases.add(phase)
                self.kinds.add(_s(finding.get("kind")) or "unrecorded")
                for tag in _l(finding.get("tags")):
                    if isinstance(tag, str):
                        self.tags.add(tag)
                if phase in blocking_phases:
                    blocked_here.add(category)
                if phase in redacting_phases:
                    redacted_here.add(category)
            for category in blocked_here:
                self.blocked_cats.add(category)
            for category in redacted_here:
                self.redacted_cats.add(category)

        scan = _s(body.get("response_scan"))
        if scan is None:
            self.scan.add("unrecorded")
        else:
            head, _, reason = scan.partition(":")
            head = head.strip()
            self.scan.add(head if head in {"complete", "partial", "none"} else "other")
            if head != "complete":
                self.scan_gaps.add(f"{head}: {reason.strip()[:80]}" if reason else head)

        for name in ("prompt", "answer"):
            self.text_fields.add(_text_field_kind(body.get(name)))

        model = _s(body.get("model"))
        answer_model = _s(body.get("answer_model"))
        if model:
            self.models.add(model)
            if answer_model is None:
                self.pinning.add("answer model unrecorded")
            elif answer_model == model:
                self.pinning.add("pinned")
            elif answer_model.startswith(model):
                self.pinning.add("alias resolved")
            else:
                self.pinning.add("mismatch")

        tokens = _d(body.get("tokens"))
        t_in, t_out = _i(tokens.get("input")), _i(tokens.get("output"))
        if t_in is not None or t_out is not None:
            d.with_tokens += 1
            spent = (t_in or 0) + (t_out or 0)
            d.tokens_input += t_in or 0
            d.tokens_output += t_out or 0
            self.spend.add(subject or "(anonymous)", spent)

        latency = body.get("latency_ms")
        if isinstance(latency, int | float) and not isinstance(latency, bool) and latency >= 0:
            self.latency.add(float(latency))

    # -- configuration, policy, keys, incidents -----------------------------------------------------

    def config(self, when: str, body: dict[str, Any], inside: bool) -> None:
        cfg = self.cfg
        cfg.snapshot_time = when
        cfg.snapshot_event = _s(body.get("event"))
        cfg.config_sha256 = _s(body.get("config_sha256"))
        cfg.policy_sha256 = _s(body.get("policy_sha256"))
        cfg.policy_ids = [p for p in _l(body.get("policy_ids")) if isinstance(p, str)][:MAX_KEYS]
        cfg.routes = [_route(r) for r in _l(body.get("routes"))[:MAX_KEYS] if isinstance(r, dict)]
        cfg.detection = _d(body.get("detection"))
        cfg.limits = _d(body.get("limits"))
        cfg.audit = _d(body.get("audit"))
        if inside:
            cfg.changes_in_window += 1
            if cfg.config_sha256 and len(self.config_hashes) < MAX_KEYS:
                self.config_hashes.add(cfg.config_sha256)
            self._change(
                ConfigChange(when, cfg.snapshot_event or "", cfg.config_sha256, cfg.policy_sha256)
            )

    def policy(self, when: str, body: dict[str, Any], inside: bool) -> None:
        cfg = self.cfg
        policy_hash = _s(body.get("policy_sha256"))
        if policy_hash:
            cfg.policy_sha256 = policy_hash
        ids = body.get("policy_ids")
        if isinstance(ids, list):
            cfg.policy_ids = [p for p in ids if isinstance(p, str)][:MAX_KEYS]
        if inside:
            by = _s(body.get("by"))
            cfg.policy_updates_in_window += 1
            if not by:
                cfg.unattributed_policy_updates += 1
            event = _s(body.get("event")) or "update"
            self._change(ConfigChange(when, event, None, policy_hash, by, "policy"))

    def _change(self, change: ConfigChange) -> None:
        changes = self.cfg.changes
        changes.append(change)
        if len(changes) > MAX_LIST:
            del changes[0]  # keep the latest

    def key(self, when: str, body: dict[str, Any]) -> None:
        event = _s(body.get("event")) or "unrecorded"
        self.key_events.add(event)
        if event == "create" and body.get("expires_at") is None:
            self.keys.created_without_expiry += 1
        recent = self.keys.recent
        recent.append(
            {
                "time": when,
                "event": event,
                "key_id": _s(body.get("key_id")),
                "name": _s(body.get("name")),
                "expires_at": _s(body.get("expires_at")),
            }
        )
        if len(recent) > MAX_LIST:
            del recent[0]

    def incident(self, when: str, body: dict[str, Any], inside: bool) -> None:
        incident_id = _s(body.get("incident"))
        event = _s(body.get("event")) or "unrecorded"
        if not incident_id:
            return
        at = _epoch(when) or 0.0
        inc = self.inc
        if event == "open":
            if not inside:
                return
            inc.opened += 1
            self.inc_cats.add(_s(body.get("category")) or "unrecorded")
            self.inc_sev.add(str(body.get("severity") or "unrecorded"))
            if len(self.open_at) < MAX_PRINCIPALS * 10:
                self.open_at[incident_id] = at
        opened = self.open_at.get(incident_id)
        if inside:
            self.inc_events.add(event)
        if opened is None:
            return
        if event in {"acknowledge", "assign", "resolve", "false_positive"} and (
            incident_id not in self.acked
        ):
            self.acked.add(incident_id)
            inc.acknowledged += 1
            self.ack_s.append(max(0.0, at - opened))
        if event in {"resolve", "false_positive"}:
            inc.resolved += 1
            if event == "false_positive":
                inc.false_positive += 1
            self.resolve_s.append(max(0.0, at - opened))
            del self.open_at[incident_id]

    # -- results ---------------------------------------------------------------------------------

    def finish(self) -> None:
        d = self.dec
        d.auth_outcomes = self.auth_outcomes.top()
        d.identity_methods = self.methods.top()
        d.actions = self.actions.top()
        d.deciding_policies = self.policies.top(50)
        d.modes = self.modes.top()
        d.routes = dict(sorted(self.routes.items(), key=lambda kv: -kv[1].decisions))
        d.detections_by_category = self.cats.top()
        d.detections_by_tag = self.tags.top()
        d.detections_by_kind = self.kinds.top()
        d.detections_by_phase = self.phases.top()
        d.blocked_by_category = self.blocked_cats.top()
        d.redacted_by_category = self.redacted_cats.top()
        d.response_scan = self.scan.top()
        d.response_scan_gaps = self.scan_gaps.top(20)
        d.text_fields = self.text_fields.top()
        d.models = self.models.top(50)
        d.model_pinning = self.pinning.top()
        d.providers = self.providers.top()
        d.tokens_by_principal = self.spend.top(20)
        d.principals = len(self.subjects.counts)
        d.per_day = dict(sorted(self.days.counts.items()))
        d.blocked_per_day = dict(sorted(self.blocked_days.counts.items()))
        d.latency = self.latency.summary()
        self.cfg.distinct_config_hashes = len(self.config_hashes)
        self.keys.events = self.key_events.top()
        inc = self.inc
        inc.events = self.inc_events.top()
        inc.by_category = self.inc_cats.top()
        inc.by_severity = self.inc_sev.top()
        inc.mean_ack_s, inc.median_ack_s = _summarise(self.ack_s)
        inc.mean_resolve_s, inc.median_resolve_s = _summarise(self.resolve_s)


def _route(raw: Mapping[str, Any]) -> RouteInfo:
    fail_closed = raw.get("fail_closed")
    return RouteInfo(
        name=_s(raw.get("name")) or "(unnamed)",
        provider=_s(raw.get("provider")) or "",
        mode=_s(raw.get("mode")) or "unrecorded",
        fail_closed=fail_closed if isinstance(fail_closed, bool) else None,
        anonymous=raw.get("anonymous") is True,
        upstream_host=_s(raw.get("upstream_host")) or "",
    )


def _text_field_kind(value: Any) -> str:
    """How a prompt or answer was recorded; anything but a digest and a length is ``raw``."""
    if value is None:
        return "absent"
    if isinstance(value, dict):
        keys = set(value) - {"chars"}
        if len(keys) == 1 and keys <= _DIGEST_KEYS:
            (name,) = keys
            return str(name)
    return "raw"


# ---- checkpoints -------------------------------------------------------------------------------


def _key_digest(key: Ed25519PublicKey) -> str:
    return str(hashlib.sha256(key.public_bytes_raw()).hexdigest())


def _checkpoints(
    conn: sqlite3.Connection,
    db_path: Path,
    origin: str | None,
    public_key: Ed25519PublicKey | None,
) -> CheckpointEvidence:
    cp = CheckpointEvidence()
    notes: list[tuple[int, str]] = []
    for cid, note in conn.execute("SELECT id, note FROM audit_checkpoints ORDER BY id"):
        cp.count += 1
        try:
            parsed = parse_checkpoint(str(note))
        except CheckpointError:
            continue
        cp.readable += 1
        cp.latest_id, cp.latest_size = int(cid), parsed.size
        cp.latest_root, cp.latest_time = parsed.root.hex(), format_time(parsed.time)
        notes.append((int(cid), str(note)))
        if len(notes) > 64:
            del notes[0]  # only the latest few are re-checked for freshness below
    row = conn.execute("SELECT value FROM audit_meta WHERE key = 'public_key'").fetchone()
    if row is not None:
        try:
            cp.recorded_key_sha256 = hashlib.sha256(base64.b64decode(str(row[0]))).hexdigest()
        except ValueError:
            cp.recorded_key_sha256 = None
    if public_key is None:
        return cp
    cp.key_sha256 = _key_digest(public_key)
    for _, note in reversed(notes):
        try:
            verified = verify_checkpoint(note, [public_key], origin=origin)
        except CheckpointError:
            continue
        cp.latest_valid_time = format_time(verified.time)
        break
    try:
        report = verify_log(db_path, public_key)
    except (ValueError, sqlite3.Error) as exc:
        cp.verified = False
        cp.verify_error = str(exc)[:200]
        return cp
    cp.verified = report.ok
    cp.valid_checkpoints = report.valid_checkpoints
    cp.verified_size = report.verified_size
    cp.unverified_records = report.unverified_records
    cp.problems = [p.message for p in report.problems[:MAX_PROBLEMS]]
    if len(report.problems) > MAX_PROBLEMS:
        cp.problems.append(f"... and {len(report.problems) - MAX_PROBLEMS} more problems")
    return cp


# ---- entry point -------------------------------------------------------------------------------


def _rows(conn: sqlite3.Connection) -> Iterable[tuple[str, bytes]]:
    cursor = conn.execute("SELECT kind, record FROM audit_records ORDER BY seq")
    while True:
        batch = cursor.fetchmany(2000)
        if not batch:
            return
        for kind, raw in batch:
            data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
            yield str(kind), bytes(data) if data is not None else b""


def collect(
    db_path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    public_key: Ed25519PublicKey | None = None,
    benchmarks: BenchmarkEvidence | None = None,
    now: datetime | None = None,
) -> Evidence:
    """Collect the evidence in the database at ``db_path`` for ``since <= time < until``.

    With ``public_key`` the audit log is also verified offline (a linear pass of its own).
    Raises :class:`EvidenceError` when the file is missing or is not SQLite.
    """
    path = Path(db_path)
    if since is not None and until is not None and since >= until:
        raise ValueError("--since must be before --until")
    generated = (now or datetime.now(UTC)).astimezone(UTC)
    evidence = Evidence(
        generated_at=format_time(generated),
        database=str(path),
        since=window_bound(since),
        until=window_bound(until),
        benchmarks=benchmarks,
    )
    conn = open_readonly(path)
    try:
        tables = table_names(conn)
        collector = _Collector(evidence.since, evidence.until)
        if "audit_records" in tables:
            row = conn.execute("SELECT value FROM audit_meta WHERE key = 'origin'").fetchone()
            collector.log.present = True
            collector.log.origin = str(row[0]) if row is not None else None
            collector.feed(_rows(conn))
        else:
            evidence.notes.append("no audit log in this database: decisions cannot be evidenced")
        collector.finish()
        evidence.log = collector.log
        evidence.decisions = collector.dec
        evidence.config = collector.cfg
        evidence.keys = collector.keys
        evidence.incidents = collector.inc
        if collector.log.unreadable:
            evidence.notes.append(
                f"{collector.log.unreadable} audit records could not be read and were skipped"
            )
        if "audit_checkpoints" in tables:
            evidence.checkpoints = _checkpoints(conn, path, collector.log.origin, public_key)
        evidence.incidents.store = read_incident_store(path, tables, since)
        evidence.inventory = InventoryEvidence(
            api=read_api_inventory(conn, tables, _epoch(evidence.since), _epoch(evidence.until)),
            ai_models=read_ai_models(conn, tables),
        )
    finally:
        conn.close()
    return evidence
