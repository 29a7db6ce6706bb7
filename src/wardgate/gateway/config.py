"""The gateway's configuration: listeners, identity, policy, limits and routes, from one YAML file.

Every key has a safe default and unknown keys are errors (a typo must not silently switch a
protection off). Secrets never live in the file: upstream credentials are read from the
environment variable the route names, at start-up.
"""

from __future__ import annotations

import ipaddress
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wardgate.abuse.settings import AbuseSettings
from wardgate.console.settings import ConsoleSettings
from wardgate.core.finding import Category
from wardgate.core.verdict import Action
from wardgate.detect import registry
from wardgate.detect.scanner import EngineConfig
from wardgate.gateway.paths import PathRejected, normalise_prefix
from wardgate.policy.identity import JwtSettings
from wardgate.policy.limits import RateLimit, TokenBudget

PROVIDERS = ("openai", "openai-compatible", "anthropic", "gemini", "ollama", "http")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class GatewayConfigError(ValueError):
    """The gateway configuration is invalid; the message says where and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mode(StrEnum):
    """``enforce`` applies verdicts; ``monitor`` records them and lets every call through; ``off``
    proxies without inspection (still authenticated, authorised and limited)."""

    ENFORCE = "enforce"
    MONITOR = "monitor"
    OFF = "off"


class FailureMode(StrEnum):
    """What happens to a call when a detector errors or overruns its time budget."""

    OPEN = "open"  # let it through, record the failure
    CLOSED = "closed"  # refuse it with 503


class UpstreamAuth(_Model):
    """A credential the gateway adds on the way out, so clients never hold provider keys."""

    header: str = "authorization"
    env: str  # the environment variable holding the secret
    scheme: str = "Bearer"  # prefix, e.g. "Bearer"; empty for raw header values (x-api-key)


class Timeouts(_Model):
    """Seconds. ``read`` is between two bytes of the upstream answer, so long streams are fine."""

    connect: float = Field(5.0, gt=0)
    read: float = Field(120.0, gt=0)
    write: float = Field(30.0, gt=0)
    pool: float = Field(5.0, gt=0)
    client_body: float = Field(30.0, gt=0)  # the client must send its whole body within this


class UpstreamPool(_Model):
    """Connections to one route's upstream. ``connections`` bounds concurrent upstream calls
    (more wait up to ``timeouts.pool``, then get a 504): streamed LLM answers hold theirs for
    their whole length, so it is generous. Connections idle for ``keepalive_s`` are closed."""

    connections: int = Field(512, ge=1, le=10_000)
    keepalive_s: float = Field(5.0, gt=0)


class StreamSettings(_Model):
    """Streamed answers are checked every ``inspect_every_chars`` characters of new text (1:
    every event, before it is released) by the ``quick_detectors``, and never released more than
    ``release_ahead_chars`` characters ahead of a full check by every detector; each check
    re-reads earlier text (``quick_overlap_chars``, ``overlap_chars``) so that a secret split
    across chunks is seen whole."""

    inspect_every_chars: int = Field(1, ge=1, le=100_000)
    release_ahead_chars: int = Field(200, ge=0, le=100_000)
    overlap_chars: int = Field(512, ge=0, le=100_000)
    # Per-event checks re-read this much earlier text; a full check (overlap_chars) runs every
    # release_ahead_chars characters. Secrets up to this long never complete on the client.
    quick_overlap_chars: int = Field(128, ge=0, le=100_000)
    # What the per-event check runs, on the plain text (no decoding): the leak detectors, whose
    # findings must never complete on the client. Every detector, decoding included, runs on the
    # full checks (at least every release_ahead_chars). An empty list makes every check a full
    # one (slower: about 0.2 ms more per event).
    quick_detectors: tuple[str, ...] = ("secrets", "pii", "system_prompt_leak", "signatures")
    max_event_bytes: int = Field(1 << 20, ge=1024)

    @field_validator("quick_detectors")
    @classmethod
    def _known_detectors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = set(registry.names())
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValueError(f"unknown detectors {unknown}; known: {sorted(known)}")
        return value


DEFAULT_ACTIONS: dict[Category, Action] = {
    Category.PROMPT_INJECTION: Action.BLOCK,
    Category.INDIRECT_INJECTION: Action.BLOCK,
    Category.JAILBREAK: Action.BLOCK,
    Category.SYSTEM_PROMPT_EXTRACTION: Action.BLOCK,
    Category.ROLE_SPOOFING: Action.BLOCK,
    Category.EXFILTRATION: Action.BLOCK,
    Category.OBFUSCATION: Action.ALLOW,
    Category.HIDDEN_TEXT: Action.BLOCK,
    Category.PII: Action.REDACT,
    Category.SECRET: Action.REDACT,
    Category.SYSTEM_PROMPT_LEAK: Action.BLOCK,
    Category.WEB_ATTACK: Action.BLOCK,
    Category.MODEL_EXTRACTION: Action.BLOCK,
    Category.DETECTOR_ERROR: Action.ALLOW,  # governed by the route's ``fail`` setting instead
}


class RouteLimits(_Model):
    """Per identity, per route when set on a route, else across the gateway."""

    requests: RateLimit | None = None
    tokens: TokenBudget | None = None


class Route(_Model):
    """One protected API: which requests it takes, where they go, how they are judged."""

    name: str
    prefix: str = "/"
    host: str | None = None  # match the Host header too (case-insensitive), when set
    upstream: str
    provider: str = "openai-compatible"
    strip_prefix: bool = True
    mode: Mode = Mode.ENFORCE
    anonymous: bool = False
    fail: FailureMode = FailureMode.OPEN
    upstream_auth: UpstreamAuth | None = None
    timeouts: Timeouts = Timeouts()
    pool: UpstreamPool = UpstreamPool()
    stream: StreamSettings = StreamSettings()
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1)
    max_response_bytes: int = Field(32 * 1024 * 1024, ge=1)
    allow_duplicate_query_keys: bool = False
    actions: dict[Category, Action] = Field(default_factory=dict)
    block_threshold: float = Field(0.5, ge=0.0, le=1.0)
    redaction: str = "placeholder"  # placeholder | mask | hash
    limits: RouteLimits | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.fullmatch(v):
            raise ValueError("route names are 1-64 letters, digits, '_', '.', '-'")
        return v

    @field_validator("provider")
    @classmethod
    def _provider(cls, v: str) -> str:
        if v not in PROVIDERS:
            raise ValueError(f"unknown provider {v!r}; known: {', '.join(PROVIDERS)}")
        return v

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        try:
            return normalise_prefix(v)
        except PathRejected as exc:
            raise ValueError(f"invalid prefix: {exc.message}") from None

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, v: str) -> str:
        if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", v):
            raise ValueError("upstream must be an http:// or https:// URL")
        return v.rstrip("/")

    @field_validator("redaction")
    @classmethod
    def _redaction(cls, v: str) -> str:
        if v not in {"placeholder", "mask", "hash"}:
            raise ValueError("redaction is placeholder, mask or hash")
        return v

    def action_for(self, category: Category) -> Action:
        return self.actions.get(category, DEFAULT_ACTIONS.get(category, Action.BLOCK))


class AuthSettings(_Model):
    api_keys: bool = True
    jwt: JwtSettings | None = None


class Limits(_Model):
    requests: RateLimit | None = RateLimit(requests=600, per_s=60.0)
    tokens: TokenBudget | None = None
    redis_url: str | None = None  # shared counters for several replicas
    fail_open: bool = True  # when Redis is unreachable


class DiscoverySettings(_Model):
    """API discovery from the gateway's own traffic (LOG phase, off the request path)."""

    enabled: bool = True
    flush_s: float = Field(30.0, gt=0)  # how often the inventory is saved to the database
    publish_stream: str | None = None  # Redis URL: also publish observations for shared workers
    stream_name: str = "wardgate:traffic"
    stream_maxlen: int = Field(100_000, ge=1)


class AuditSettings(_Model):
    """The tamper-evident audit trail (``audit/``): every decision appended to a Merkle log in
    the database before the client gets the answer, checkpoints signed on a schedule."""

    enabled: bool = True
    # When the trail cannot be written: false answers anyway (counted and logged); true fails
    # the call rather than acknowledge a decision the trail lacks.
    fail_closed: bool = False
    # true: the last byte of each answer waits until its decision is durable (a client never
    # sees an acknowledged decision the trail lacks, even after kill -9). false: records are
    # committed in the background, a fraction of a millisecond later; a crash can lose the
    # last few, and each answer is that much quicker.
    wait_for_commit: bool = True
    # normal: a committed record survives the process being killed (the operating system holds
    # it) but not a power loss, and commits run on the event loop in microseconds. full: every
    # commit is synced to disk first (on a worker thread): survives power loss, costs latency.
    synchronous: Literal["normal", "full"] = "normal"
    # Ed25519 private key (PEM) that signs checkpoints; created (mode 0600) when missing, with
    # its public key beside it (KEY.pub). Default: <database>.audit-key next to the database.
    signing_key: Path | None = None
    checkpoint_every_s: float = Field(300.0, gt=0)
    # Where each signed checkpoint also goes, outside the operator's reach: a file (one note
    # appended per checkpoint) or an http(s) URL (POSTed as text/plain).
    export: str | None = None
    # Prompts and answers are kept as digests. With this variable set, as keyed HMAC-SHA256
    # (short or common texts cannot be recovered by guessing); else as plain SHA-256.
    digest_key_env: str = "WARDGATE_AUDIT_DIGEST_KEY"


class AIInventorySettings(_Model):
    """The AI model catalogue from the gateway's traffic (LOG phase, off the request path)."""

    enabled: bool = True
    flush_s: float = Field(30.0, gt=0)
    approved_file: Path | None = None  # the approved-model allowlist (YAML)
    enforce_allowlist: bool = False  # also refuse unapproved model calls (a Cedar forbid)
    internal_domains: list[str] = Field(default_factory=list)  # besides *.internal, *.local...
    internal_networks: list[str] = Field(default_factory=list)  # CIDRs besides RFC 1918...
    max_models: int = Field(10_000, ge=1)  # models held in memory per flush interval


class IncidentSettings(_Model):
    """Findings at or above ``min_severity`` open or update an incident, grouped by identity,
    route and category (``wardgate incidents``)."""

    enabled: bool = True
    min_severity: Literal["low", "medium", "high", "critical"] = "medium"
    min_score: float = Field(0.0, ge=0.0, le=1.0)
    reopen_within_s: float = Field(86_400.0, ge=0)


class ServerSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_header_count: int = Field(100, ge=8)
    max_header_bytes: int = Field(32 * 1024, ge=1024)
    log_queue: int = Field(10_000, ge=1)  # exchanges waiting for the LOG phase; overflow is dropped
    # Past this backlog the inventories (discovery, AI inventory) skip exchanges (counted in
    # wardgate_log_shed_total) so that abuse analytics and incidents keep up: see logphase.py.
    log_shed_depth: int = Field(200, ge=0)
    # HTTP/1.1 parser: httptools (faster) when installed, else h11. Either way the request head
    # is bounded by max_header_bytes while it arrives (see gateway/http_server.py).
    http: Literal["auto", "h11", "httptools"] = "auto"
    # Requests in flight at once; beyond it new connections get an immediate 503 instead of
    # queueing until everything times out (overload is shed, not amplified).
    max_concurrency: int = Field(256, ge=1)
    # Load balancers whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks). Empty: the client is the connection's peer, whatever headers it sends.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an address or network"
                ) from None
        return value


class GatewayConfig(_Model):
    """The whole file. ``detection`` is the engine configuration (see configs/default.yaml)."""

    server: ServerSettings = ServerSettings()
    database: str = "wardgate.db"
    auth: AuthSettings = AuthSettings()
    policy_file: Path | None = None  # Cedar policies; the built-in default when absent
    policy: str | None = None  # Cedar policies inline
    limits: Limits = Limits()
    detection: EngineConfig = EngineConfig()
    discovery: DiscoverySettings = DiscoverySettings()
    audit: AuditSettings = AuditSettings()
    incidents: IncidentSettings = IncidentSettings()
    ai_inventory: AIInventorySettings = AIInventorySettings()
    console: ConsoleSettings = ConsoleSettings()
    abuse: AbuseSettings = AbuseSettings()
    routes: list[Route] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> GatewayConfig:
        names = [r.name for r in self.routes]
        if len(names) != len(set(names)):
            raise ValueError("route names must be unique")
        if self.policy is not None and self.policy_file is not None:
            raise ValueError("give policy or policy_file, not both")
        return self

    def policy_text(self) -> str | None:
        if self.policy is not None:
            return self.policy
        if self.policy_file is not None:
            return self.policy_file.read_text(encoding="utf-8")
        return None


def load(path: str | Path) -> GatewayConfig:
    """Read and validate a configuration file; relative paths in it are relative to the file."""
    path = Path(path)
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise GatewayConfigError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise GatewayConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise GatewayConfigError(f"{path} must be a mapping at the top level")
    base = path.parent
    if isinstance(data.get("policy_file"), str):
        data["policy_file"] = str(base / data["policy_file"])
    ai = data.get("ai_inventory")
    if isinstance(ai, dict) and isinstance(ai.get("approved_file"), str):
        ai["approved_file"] = str(base / os.path.expanduser(ai["approved_file"]))
    if isinstance(data.get("database"), str) and data["database"] != ":memory:":
        data["database"] = str(base / os.path.expanduser(data["database"]))
    jwt = (data.get("auth") or {}).get("jwt") if isinstance(data.get("auth"), dict) else None
    if isinstance(jwt, dict):
        for key in ("jwks_file", "public_key_file"):
            if isinstance(jwt.get(key), str):
                jwt[key] = str(base / os.path.expanduser(jwt[key]))
    console = data.get("console")
    if isinstance(console, dict):
        for key in ("tls_cert", "tls_key", "index_database"):
            if isinstance(console.get(key), str) and console[key] != ":memory:":
                console[key] = str(base / os.path.expanduser(console[key]))
    if isinstance(data.get("detection"), str):
        data["detection"] = _detection_file(base / data["detection"])
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        raise GatewayConfigError(f"{path}: {exc}") from None


def _detection_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise GatewayConfigError(f"cannot read detection config {path}: {exc}") from None
    if not isinstance(data, dict):
        raise GatewayConfigError(f"{path} must be a mapping")
    section = data.get("detection", data)
    return section if isinstance(section, dict) else {}


def quick_start(
    upstream: str,
    *,
    port: int = 8080,
    anonymous: bool = False,
    upstream_key_env: str | None = None,
) -> GatewayConfig:
    """``wardgate serve --upstream URL``: one OpenAI-compatible route, enforce mode, defaults.

    With ``upstream_key_env`` the gateway sends ``Authorization: Bearer $VAR`` upstream, so
    callers hold only their Wardgate key."""
    auth = None if upstream_key_env is None else UpstreamAuth(env=upstream_key_env)
    return GatewayConfig(
        server=ServerSettings(port=port),
        database=os.environ.get("WARDGATE_DB", "wardgate.db"),  # where `wardgate keys` writes
        routes=[Route(name="default", upstream=upstream, anonymous=anonymous, upstream_auth=auth)],
    )
