"""The AI model catalogue: every model in use, from traffic and from code, one entry each.

An entry is a model as served by one provider: ``gpt-4o`` from OpenAI and ``gpt-4o`` from Azure
are two entries (two contracts, two places data goes), while the endpoints, the versions the
answers name (``gpt-4o`` requested, ``gpt-4o-2024-08-06`` answered), the callers, the routes and
the data classes seen are gathered on it. Model ids are keyed by
:func:`~wardgate.ai_inventory.model_names.normalise_model_id`.

Traffic and code meet on the model id. Code rarely says who serves a model; an entry from code
whose provider is only inferred from the model's vendor (``inferred_provider``) merges into the
served entry for the same id (the one with most calls), and a served call adopts such a
code-only entry. An explicit hosting convention in code (``bedrock/...``, an Ollama tag) names
the provider, and then only the same provider's entry matches. :func:`resolve` is that rule; the
store applies it too, so the gateway and ``wardgate inventory scan --db`` fill one catalogue.

Memory is bounded: at most ``max_entries`` entries (later new models are counted in
``dropped``), and every per-entry list or counter has a fixed cap (see :mod:`sketch`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, Final

from wardgate.ai_inventory.deployment import (
    DEFAULT_NETWORK,
    INTERNAL,
    NetworkRules,
    deployment_class,
)
from wardgate.ai_inventory.model_names import model_facts, normalise_model_id
from wardgate.ai_inventory.policy import Allowlist
from wardgate.ai_inventory.providers import VIA_PROVIDERS, identify_provider
from wardgate.ai_inventory.scan.result import Artefact, ScanReport
from wardgate.ai_inventory.sketch import DistinctSketch, TopCounter
from wardgate.core.exchange import Exchange, Identity
from wardgate.discovery.ai import recognise
from wardgate.discovery.observation import Observation
from wardgate.discovery.sources.exchange import from_exchange

TRAFFIC: Final = "traffic"
CODE: Final = "code"
ARTEFACT_PROVIDER: Final = "local-file"
DATA_CATEGORIES: Final = frozenset({"pii", "secret", "system_prompt_leak"})
"""Finding categories that name data a prompt or an answer carried (the rest are detections)."""

MAX_ENTRIES: Final = 10_000
MAX_ENDPOINTS: Final = 16
MAX_LOCATIONS: Final = 50
MAX_ARTEFACTS: Final = 20
MAX_LABEL: Final = 200
TOP_CALLERS: Final = 50
_CALLER_CAPACITY: Final = 2 * TOP_CALLERS
_SMALL: Final = 16
_MAX_ANSWER_BYTES: Final = 1 << 20
_CREDENTIAL_HEADERS: Final = frozenset(
    {"authorization", "x-api-key", "api-key", "x-goog-api-key", "x-amz-security-token"}
)
# The gateway's route kinds and the wire dialect their parsed operation belongs to.
_ROUTE_DIALECTS: Final = {
    "openai": "openai",
    "openai-compatible": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "ollama": "ollama",
}
# Where answers say which model answered, and how many tokens went in and out, by dialect.
_ANSWER_MODEL_KEYS: Final = ("model", "modelVersion", "model_version")
_USAGE_PATHS: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = (
    (("usage", "prompt_tokens"), ("usage", "completion_tokens")),  # OpenAI chat
    (("usage", "input_tokens"), ("usage", "output_tokens")),  # Anthropic, OpenAI responses
    (("usage", "inputTokens"), ("usage", "outputTokens")),  # Bedrock Converse
    (("usageMetadata", "promptTokenCount"), ("usageMetadata", "candidatesTokenCount")),  # Gemini
    (("usage", "tokens", "input_tokens"), ("usage", "tokens", "output_tokens")),  # Cohere v2
    (("meta", "billed_units", "input_tokens"), ("meta", "billed_units", "output_tokens")),
    (("prompt_eval_count",), ("eval_count",)),  # Ollama
)
_ARTEFACT_KEYS: Final = (
    "architecture",
    "name",
    "basename",
    "size_label",
    "file_type",
    "parameters",
    "tensors",
    "version",
    "producer_name",
    "producer_version",
    "opset",
    "ir_version",
    "torchscript",
)


@lru_cache(
    maxsize=4096
)  # a pure function of a name traffic repeats: the LOG phase calls it per call
def label(value: str) -> str:
    """A name from traffic or code, safe to store and show: printable, bounded."""
    return "".join(c for c in value[:MAX_LABEL] if c.isprintable())


@dataclass(slots=True)
class EndpointStats:
    """One endpoint (``scheme://host[:port]``) a model was reached at."""

    calls: int = 0
    kinds: TopCounter = field(default_factory=lambda: TopCounter(_SMALL))
    authenticated: bool | None = None  # True once a call carried a credential

    def merge(self, other: EndpointStats) -> None:
        self.calls += other.calls
        self.kinds.update(other.kinds)
        if other.authenticated:
            self.authenticated = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "kinds": self.kinds.to_dict(),
            "authenticated": self.authenticated,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EndpointStats:
        auth = data.get("authenticated")
        return cls(
            calls=_int(data.get("calls")),
            kinds=TopCounter.from_data(data.get("kinds"), _SMALL),
            authenticated=auth if isinstance(auth, bool) else None,
        )


@dataclass(frozen=True, slots=True)
class ArtefactFacts:
    """A model file behind an entry: identity, format, header facts, and the pickle verdict."""

    path: str
    sha256: str | None
    format: str
    size: int
    dangerous: bool = False
    severity: str | None = None
    unsafe_globals: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, artefact: Artefact) -> ArtefactFacts:
        meta: dict[str, Any] = {}
        for key in _ARTEFACT_KEYS:
            value = artefact.metadata.get(key)
            if isinstance(value, (bool, int, float)):
                meta[key] = value
            elif isinstance(value, str) and value:
                meta[key] = label(value)
        dtypes = artefact.metadata.get("dtypes")
        if isinstance(dtypes, Mapping):
            meta["dtypes"] = {label(str(k)): v for k, v in list(dtypes.items())[:_SMALL]}
        header = artefact.metadata.get("metadata")
        if isinstance(header, Mapping):
            for key, value in header.items():
                if str(key).endswith(".context_length") and type(value) is int:
                    meta["context_length"] = value
                    break
        return cls(
            path=label(artefact.path),
            sha256=artefact.sha256,
            format=artefact.format,
            size=artefact.size,
            dangerous=artefact.dangerous,
            severity=artefact.severity,
            unsafe_globals=tuple(label(g) for g in artefact.unsafe_globals[:_SMALL]),
            metadata=meta,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "size": self.size,
            "dangerous": self.dangerous,
            "severity": self.severity,
            "unsafe_globals": list(self.unsafe_globals),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArtefactFacts:
        sha = data.get("sha256")
        severity = data.get("severity")
        meta = data.get("metadata")
        return cls(
            path=str(data.get("path", "")),
            sha256=sha if isinstance(sha, str) else None,
            format=str(data.get("format", "")),
            size=_int(data.get("size")),
            dangerous=bool(data.get("dangerous", False)),
            severity=severity if isinstance(severity, str) else None,
            unsafe_globals=tuple(str(g) for g in data.get("unsafe_globals", ()) or ()),
            metadata=dict(meta) if isinstance(meta, Mapping) else {},
        )


def entry_key(provider: str, model: str, endpoint: str = "") -> str:
    """``provider|model``; a call naming no model is keyed by its endpoint instead."""
    return f"{provider}|{model}" if model else f"{provider}|@{endpoint}"


@dataclass(slots=True)
class ModelEntry:
    """One model as one provider serves it; see the module docstring."""

    provider: str
    model: str
    key: str
    vendor: str | None = None
    family: str | None = None
    open_weights: bool | None = None
    inferred_provider: bool = False
    hosting: str | None = None
    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    requested: TopCounter = field(default_factory=lambda: TopCounter(_SMALL))
    answered: TopCounter = field(default_factory=lambda: TopCounter(_SMALL))
    callers: TopCounter = field(default_factory=lambda: TopCounter(_CALLER_CAPACITY))
    distinct_callers: DistinctSketch = field(default_factory=DistinctSketch)
    applications: TopCounter = field(default_factory=TopCounter)
    operations: TopCounter = field(default_factory=lambda: TopCounter(_SMALL))
    calls: int = 0
    blocked: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    data_in: TopCounter = field(default_factory=TopCounter)
    data_out: TopCounter = field(default_factory=TopCounter)
    detections: TopCounter = field(default_factory=TopCounter)
    sources: set[str] = field(default_factory=set)
    code_locations: list[str] = field(default_factory=list)
    artefacts: list[ArtefactFacts] = field(default_factory=list)
    approved: bool | None = None
    unapproved_callers: TopCounter = field(default_factory=lambda: TopCounter(_CALLER_CAPACITY))
    unapproved_calls: int = 0

    @classmethod
    def new(cls, provider: str, model: str, endpoint: str = "") -> ModelEntry:
        return cls(provider=provider, model=model, key=entry_key(provider, model, endpoint))

    @property
    def deployment(self) -> str:
        """``open_source``, ``internal`` or ``external`` (see :mod:`deployment`)."""
        return deployment_class(self.hosting, self.open_weights)

    @property
    def name(self) -> str:
        return self.model or "(unnamed model)"

    @property
    def version(self) -> str | None:
        """The model version the answers name most often, when they name one."""
        top = self.answered.top(1)
        return top[0][0] if top else None

    @property
    def caller_count(self) -> int:
        """Distinct callers (estimated beyond a few hundred)."""
        return self.distinct_callers.estimate()

    @property
    def shadow(self) -> bool:
        """Not approved, or called by someone it is not approved for."""
        return self.approved is False or self.unapproved_calls > 0

    def add_locations(self, locations: Iterable[str]) -> None:
        for location in locations:
            if location not in self.code_locations and len(self.code_locations) < MAX_LOCATIONS:
                self.code_locations.append(location)

    def merge(self, other: ModelEntry) -> None:
        """Add ``other`` (the same model, seen elsewhere or later) into this entry."""
        if self.inferred_provider and not other.inferred_provider:
            self.provider, self.key, self.hosting = other.provider, other.key, other.hosting
            self.inferred_provider = False
        elif not other.inferred_provider and other.hosting is not None:
            self.hosting = other.hosting
        self.vendor = self.vendor or other.vendor
        self.family = self.family or other.family
        if other.open_weights is not None:
            self.open_weights = other.open_weights
        for url, stats in other.endpoints.items():
            if url in self.endpoints:
                self.endpoints[url].merge(stats)
            elif len(self.endpoints) < MAX_ENDPOINTS:
                self.endpoints[url] = EndpointStats()
                self.endpoints[url].merge(stats)
        for mine, theirs in (
            (self.requested, other.requested),
            (self.answered, other.answered),
            (self.callers, other.callers),
            (self.applications, other.applications),
            (self.operations, other.operations),
            (self.data_in, other.data_in),
            (self.data_out, other.data_out),
            (self.detections, other.detections),
            (self.unapproved_callers, other.unapproved_callers),
        ):
            mine.update(theirs)
        self.distinct_callers.update(other.distinct_callers)
        self.calls += other.calls
        self.blocked += other.blocked
        self.errors += other.errors
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.unapproved_calls += other.unapproved_calls
        seen = [t for t in (self.first_seen, other.first_seen) if t]
        self.first_seen = min(seen) if seen else 0.0
        self.last_seen = max(self.last_seen, other.last_seen)
        self.sources |= other.sources
        self.add_locations(other.code_locations)
        known = {(a.path, a.sha256) for a in self.artefacts}
        for artefact in other.artefacts:
            if (artefact.path, artefact.sha256) not in known and len(
                self.artefacts
            ) < MAX_ARTEFACTS:
                self.artefacts.append(artefact)
                known.add((artefact.path, artefact.sha256))
        if other.approved is not None:
            self.approved = other.approved

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; :meth:`from_dict` reads it back (the sketch included)."""
        return {
            "key": self.key,
            "provider": self.provider,
            "model": self.model,
            "vendor": self.vendor,
            "family": self.family,
            "open_weights": self.open_weights,
            "inferred_provider": self.inferred_provider,
            "hosting": self.hosting,
            "deployment": self.deployment,
            "endpoints": {url: s.to_dict() for url, s in self.endpoints.items()},
            "requested": self.requested.to_dict(),
            "answered": self.answered.to_dict(),
            "callers": self.callers.to_dict(),
            "caller_count": self.caller_count,
            "caller_sketch": self.distinct_callers.to_list(),
            "applications": self.applications.to_dict(),
            "operations": self.operations.to_dict(),
            "calls": self.calls,
            "blocked": self.blocked,
            "errors": self.errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "data_in": self.data_in.to_dict(),
            "data_out": self.data_out.to_dict(),
            "detections": self.detections.to_dict(),
            "sources": sorted(self.sources),
            "code_locations": list(self.code_locations),
            "artefacts": [a.to_dict() for a in self.artefacts],
            "approved": self.approved,
            "unapproved_callers": self.unapproved_callers.to_dict(),
            "unapproved_calls": self.unapproved_calls,
        }

    def summary(self) -> dict[str, Any]:
        """:meth:`to_dict` without the sketch, callers cut to the top
        :data:`TOP_CALLERS` (what ``--json`` listings show)."""
        data = self.to_dict()
        del data["caller_sketch"]
        data["callers"] = dict(self.callers.top(TOP_CALLERS))
        data["unapproved_callers"] = dict(self.unapproved_callers.top(TOP_CALLERS))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelEntry:
        endpoints = data.get("endpoints")
        artefacts = data.get("artefacts")
        approved = data.get("approved")
        open_weights = data.get("open_weights")
        hosting = data.get("hosting")
        return cls(
            provider=str(data["provider"]),
            model=str(data["model"]),
            key=str(data["key"]),
            vendor=_opt_str(data.get("vendor")),
            family=_opt_str(data.get("family")),
            open_weights=open_weights if isinstance(open_weights, bool) else None,
            inferred_provider=bool(data.get("inferred_provider", False)),
            hosting=hosting if isinstance(hosting, str) else None,
            endpoints={
                str(url): EndpointStats.from_dict(s)
                for url, s in (endpoints.items() if isinstance(endpoints, Mapping) else ())
                if isinstance(s, Mapping)
            },
            requested=TopCounter.from_data(data.get("requested"), _SMALL),
            answered=TopCounter.from_data(data.get("answered"), _SMALL),
            callers=TopCounter.from_data(data.get("callers"), _CALLER_CAPACITY),
            distinct_callers=DistinctSketch.from_data(data.get("caller_sketch")),
            applications=TopCounter.from_data(data.get("applications")),
            operations=TopCounter.from_data(data.get("operations"), _SMALL),
            calls=_int(data.get("calls")),
            blocked=_int(data.get("blocked")),
            errors=_int(data.get("errors")),
            input_tokens=_int(data.get("input_tokens")),
            output_tokens=_int(data.get("output_tokens")),
            first_seen=_float(data.get("first_seen")),
            last_seen=_float(data.get("last_seen")),
            data_in=TopCounter.from_data(data.get("data_in")),
            data_out=TopCounter.from_data(data.get("data_out")),
            detections=TopCounter.from_data(data.get("detections")),
            sources={str(s) for s in data.get("sources", ()) or ()},
            code_locations=[str(x) for x in (data.get("code_locations") or ())][:MAX_LOCATIONS],
            artefacts=[
                ArtefactFacts.from_dict(a)
                for a in (artefacts if isinstance(artefacts, list) else ())
                if isinstance(a, Mapping)
            ][:MAX_ARTEFACTS],
            approved=approved if isinstance(approved, bool) else None,
            unapproved_callers=TopCounter.from_data(
                data.get("unapproved_callers"), _CALLER_CAPACITY
            ),
            unapproved_calls=_int(data.get("unapproved_calls")),
        )


def resolve(incoming: ModelEntry, candidates: Iterable[ModelEntry]) -> ModelEntry | None:
    """The entry among ``candidates`` that ``incoming`` merges into, or None for a new one.

    The same key first. Else, for the same model id: an entry whose provider was inferred from
    the model name (code) merges into the served entry with most calls; a served entry adopts
    an inferred one. Entries naming no model merge by key only.
    """
    pool = list(candidates)
    exact = next((c for c in pool if c.key == incoming.key), None)
    if exact is not None or not incoming.model:
        return exact
    same = sorted(
        (c for c in pool if c.model == incoming.model and c.provider != ARTEFACT_PROVIDER),
        key=lambda c: (-c.calls, c.key),
    )
    if incoming.provider == ARTEFACT_PROVIDER:
        return None
    if incoming.inferred_provider:
        return next((c for c in same if not c.inferred_provider), None)
    return next((c for c in same if c.inferred_provider), None)


@dataclass(frozen=True, slots=True)
class _Call:
    """The facts of one observed model call, whatever source it came from."""

    host: str
    scheme: str
    wire: str | None
    hint: str | None
    requested: str | None
    answered: str | None
    identity: Identity | None
    route: str | None
    operation: str | None
    input_tokens: int
    output_tokens: int
    reached: bool
    failed: bool
    data_in: frozenset[str]
    data_out: frozenset[str]
    detections: frozenset[str]
    credential: bool
    at: float


class Catalogue:
    """The catalogue in memory. ``observe_exchange`` (gateway), ``observe`` (HAR files, access
    logs, streams), ``add_scan`` (code); ``entries`` to read, ``drain`` to hand over and reset.

    ``allowlist`` (optional) judges every call: an entry's ``approved`` says whether its model
    is on the list at all, ``unapproved_callers`` who called it without approval.
    """

    def __init__(
        self,
        *,
        allowlist: Allowlist | None = None,
        network: NetworkRules = DEFAULT_NETWORK,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.allowlist = allowlist
        self.network = network
        self.max_entries = max(1, max_entries)
        self._clock = clock
        self._entries: dict[str, ModelEntry] = {}
        self._by_model: dict[str, set[str]] = {}
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[ModelEntry]:
        """Every entry, most called first."""
        return sorted(self._entries.values(), key=lambda e: (-e.calls, e.key))

    def get(self, key: str) -> ModelEntry | None:
        return self._entries.get(key)

    def drain(self) -> list[ModelEntry]:
        """Every entry, leaving the catalogue empty (the consumer saves deltas)."""
        out = self.entries()
        self._entries.clear()
        self._by_model.clear()
        return out

    def merge(self, entries: Iterable[ModelEntry]) -> None:
        """Add entries back (e.g. a flush that failed to save)."""
        for entry in entries:
            self._absorb(entry)

    # -- traffic --------------------------------------------------------------------------------

    def observe_exchange(self, exchange: Exchange) -> ModelEntry | None:
        """Record one gateway exchange (LOG phase); None when it is no model call."""
        meta = exchange.metadata
        response = exchange.response
        upstream = meta.get("upstream_status")
        if type(upstream) is not int and response is not None and response.status == 401:
            return None  # refused before anyone was identified: noise, not AI use
        obs = from_exchange(exchange)
        ai = recognise(obs)
        if ai is not None and ai.kind == "mcp":
            return None  # a tool server, not a model
        operation = _opt_str(meta.get("operation"))
        if operation in ("other", "http"):  # the route's adapter did not parse a model call
            operation = None
        wire = ai.kind if ai is not None else None
        dialect = _ROUTE_DIALECTS.get(str(meta.get("provider")))
        if wire is None and dialect is not None and operation is not None:
            wire = f"{dialect}.{operation}"
        requested = _opt_str(meta.get("model")) or (ai.model if ai is not None else None)
        if wire is None and requested is None:
            return None
        answered = _opt_str(meta.get("answer_model"))
        tokens_in, tokens_out = _usage(meta.get("usage"))
        if response is not None and response.body and (answered is None or tokens_in is None):
            body_model, body_in, body_out = answer_facts(response.body)
            answered = answered or body_model
            if tokens_in is None:
                tokens_in, tokens_out = body_in, body_out
        data_in: set[str] = set()
        data_out: set[str] = set()
        detections: set[str] = set()
        for finding in exchange.findings:
            category = finding.category.value
            if category in DATA_CATEGORIES:
                target = data_out if finding.kind == "output" else data_in
                target.add(label(finding.rule_id or category))
            else:
                detections.add(category)
        call = _Call(
            host=obs.host,
            scheme=obs.scheme,
            wire=wire,
            hint=ai.provider_hint if ai is not None else None,
            requested=requested,
            answered=answered,
            identity=exchange.identity,
            route=_opt_str(meta.get("route")),
            operation=operation or _operation_of(wire),
            input_tokens=tokens_in or 0,
            output_tokens=tokens_out or 0,
            reached=type(upstream) is int,
            failed=type(upstream) is int and upstream >= 400,
            data_in=frozenset(data_in),
            data_out=frozenset(data_out),
            detections=frozenset(detections),
            credential=_has_credential(obs),
            at=exchange.started_at.timestamp(),
        )
        return self._observe_call(call)

    def observe(
        self,
        observation: Observation,
        identity: str = "",
        *,
        groups: tuple[str, ...] = (),
        route: str | None = None,
    ) -> ModelEntry | None:
        """Record one observed call (HAR file, access log, traffic stream); None when it is no
        model call. ``identity`` overrides the observation's own caller."""
        ai = recognise(observation)
        if ai is None or ai.kind == "mcp":
            return None
        answered, tokens_in, tokens_out = (None, None, None)
        if observation.response_body and not observation.response_truncated:
            answered, tokens_in, tokens_out = answer_facts(observation.response_body)
        subject = label(identity or observation.identity)
        who = Identity(subject=subject, method="api_key", groups=groups) if subject else None
        categories = set(observation.findings)
        status = observation.status
        call = _Call(
            host=observation.host,
            scheme=observation.scheme,
            wire=ai.kind,
            hint=ai.provider_hint,
            requested=ai.model,
            answered=answered,
            identity=who,
            route=route,
            operation=_operation_of(ai.kind),
            input_tokens=tokens_in or 0,
            output_tokens=tokens_out or 0,
            reached=True,
            failed=status is not None and status >= 400,
            data_in=frozenset(categories & DATA_CATEGORIES),
            data_out=frozenset(),
            detections=frozenset(categories - DATA_CATEGORIES),
            credential=_has_credential(observation),
            at=observation.timestamp or self._clock(),
        )
        return self._observe_call(call)

    def _observe_call(self, call: _Call) -> ModelEntry | None:
        raw = call.requested or call.answered or ""
        model = normalise_model_id(raw)
        facts = model_facts(raw)
        hosting = self.network.hosting(call.host)
        provider = identify_provider(
            call.host, wire=call.wire, hint=call.hint, internal=hosting == INTERNAL
        )
        endpoint = f"{call.scheme}://{call.host}" if call.host else ""
        entry = ModelEntry.new(provider, model, endpoint)
        if facts is not None:
            entry.vendor, entry.family, entry.open_weights = (
                facts.provider,
                facts.family,
                facts.open_weights,
            )
        entry.hosting = hosting
        if endpoint:
            stats = EndpointStats(calls=1, authenticated=True if call.credential else None)
            if call.wire:
                stats.kinds.add(call.wire)
            entry.endpoints[endpoint] = stats
        if call.requested:
            entry.requested.add(label(call.requested))
        if call.answered:
            entry.answered.add(label(call.answered))
        subject = ""
        if call.identity is not None:
            subject = label(call.identity.subject)
            entry.callers.add(subject)
            entry.distinct_callers.add(subject)
        if call.route:
            entry.applications.add(label(call.route))
        if call.operation:
            entry.operations.add(label(call.operation))
        entry.calls = 1
        entry.blocked = 0 if call.reached else 1
        entry.errors = 1 if call.failed else 0
        entry.input_tokens, entry.output_tokens = call.input_tokens, call.output_tokens
        entry.first_seen = entry.last_seen = call.at
        for name in call.data_in:
            entry.data_in.add(name)
        for name in call.data_out:
            entry.data_out.add(name)
        for name in call.detections:
            entry.detections.add(name)
        entry.sources.add(TRAFFIC)
        if self.allowlist is not None:
            entry.approved = self.allowlist.approves_model(entry)
            if not self.allowlist.is_approved(entry, call.identity, call.route or ""):
                entry.unapproved_calls = 1
                entry.unapproved_callers.add(subject or "anonymous")
        return self._absorb(entry)

    # -- code -----------------------------------------------------------------------------------

    def add_scan(self, report: ScanReport) -> None:
        """Merge a static scan: model ids in code and configuration, and model files."""
        now = self._clock()
        for ref in report.models:
            model = normalise_model_id(ref.model_id)
            if not model:
                continue
            served_by = VIA_PROVIDERS.get(ref.via) if ref.via is not None else None
            entry = ModelEntry.new(served_by or ref.provider, model)
            entry.inferred_provider = served_by is None
            entry.vendor, entry.family, entry.open_weights = (
                ref.provider,
                ref.family,
                ref.open_weights,
            )
            entry.requested.add(label(ref.model_id))
            self._from_code(entry, ref.path, f"{label(ref.path)}:{ref.line}", now)
        for artefact in report.artefacts:
            name = _artefact_name(artefact)
            facts = model_facts(name)
            entry = ModelEntry.new(ARTEFACT_PROVIDER, normalise_model_id(name) or name)
            entry.hosting = INTERNAL  # the file is in the organisation's own tree
            if facts is not None:
                entry.vendor, entry.family, entry.open_weights = (
                    facts.provider,
                    facts.family,
                    facts.open_weights,
                )
            entry.artefacts.append(ArtefactFacts.of(artefact))
            self._from_code(entry, artefact.path, label(artefact.path), now)

    def _from_code(self, entry: ModelEntry, path: str, location: str, now: float) -> None:
        entry.sources.add(CODE)
        entry.code_locations.append(location)
        application = _application(path)
        if application:
            entry.applications.add(application)
        entry.first_seen = entry.last_seen = now
        if self.allowlist is not None:
            entry.approved = self.allowlist.approves_model(entry)
        self._absorb(entry)

    # -- the index ------------------------------------------------------------------------------

    def _absorb(self, incoming: ModelEntry) -> ModelEntry | None:
        keys = self._by_model.get(incoming.model, set()) | {incoming.key}
        candidates = [self._entries[k] for k in keys if k in self._entries]
        target = resolve(incoming, candidates)
        if target is None:
            if len(self._entries) >= self.max_entries:
                self.dropped += 1
                return None
            self._entries[incoming.key] = incoming
            self._by_model.setdefault(incoming.model, set()).add(incoming.key)
            return incoming
        old_key = target.key
        target.merge(incoming)
        if target.key != old_key:
            del self._entries[old_key]
            self._by_model[target.model].discard(old_key)
            existing = self._entries.get(target.key)
            if existing is not None:  # adopted into a key that already had an entry
                existing.merge(target)
                return existing
            self._entries[target.key] = target
            self._by_model[target.model].add(target.key)
        return target


# -- helpers -----------------------------------------------------------------------------------


def answer_facts(body: bytes) -> tuple[str | None, int | None, int | None]:
    """``(model, input tokens, output tokens)`` an answer's JSON body states, where it does."""
    text = body.lstrip()
    if not text.startswith(b"{") or len(text) > _MAX_ANSWER_BYTES:
        return None, None, None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    model = next((v for k in _ANSWER_MODEL_KEYS if isinstance(v := data.get(k), str) and v), None)
    for in_path, out_path in _USAGE_PATHS:
        tokens_in, tokens_out = _dig(data, in_path), _dig(data, out_path)
        if tokens_in is not None or tokens_out is not None:
            return model, tokens_in, tokens_out
    return model, None, None


def _dig(data: Any, path: tuple[str, ...]) -> int | None:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if type(data) is int and data >= 0 else None


def _usage(value: Any) -> tuple[int | None, int | None]:
    if not isinstance(value, Mapping):
        return None, None
    tokens_in, tokens_out = value.get("input"), value.get("output")
    return (
        tokens_in if type(tokens_in) is int else None,
        tokens_out if type(tokens_out) is int else None,
    )


def _has_credential(obs: Observation) -> bool:
    return any(name in _CREDENTIAL_HEADERS for name, _ in obs.request_headers) or any(
        name.lower() in ("key", "api_key", "api-key") for name, _ in obs.query
    )


def _operation_of(wire: str | None) -> str | None:
    return (wire.partition(".")[2] or None) if wire else None


def _application(path: str) -> str:
    """The project a file belongs to: the first directory of its path in the scanned tree."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return label(parts[0]) if len(parts) > 1 else ""


def _artefact_name(artefact: Artefact) -> str:
    for key in ("basename", "name"):
        value = artefact.metadata.get(key)
        if isinstance(value, str) and value.strip():
            return label(value.strip().replace(" ", "-"))
    return label(PurePosixPath(artefact.path.replace("\\", "/")).stem)


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


def _float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


__all__ = [
    "ARTEFACT_PROVIDER",
    "CODE",
    "DATA_CATEGORIES",
    "MAX_ENTRIES",
    "TRAFFIC",
    "ArtefactFacts",
    "Catalogue",
    "EndpointStats",
    "ModelEntry",
    "answer_facts",
    "entry_key",
    "label",
    "resolve",
]
