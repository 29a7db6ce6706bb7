"""The inventory: observations in, one :class:`EndpointRecord` per endpoint out.

Each observation is templated (``/users/8812`` -> ``/users/{userId}``) and folded into the
accumulators of its endpoint: counts, statuses, parameter and body schemas, how callers
authenticated, where sensitive data appeared, whether it is an AI API, what the gateway detected.

Templates improve as traffic grows: a path first kept literal (``/users/alice``) may later be
recognised as an instance of ``/users/{userId}``. Accumulators are therefore keyed by the template
at the time of observation, together with one concrete example path; :meth:`Inventory.records`
re-templates each example with everything learned since and merges the accumulators that now
share a template. Nothing is lost when a template generalises.

Cost is bounded per observation: bodies are parsed and classified for every call while an
endpoint is young and then for a sample (``sample_after``/``sample_every``), because shapes
stabilise quickly and a million calls must ingest in under a minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wardgate.discovery.ai import recognise
from wardgate.discovery.auth import detect_auth
from wardgate.discovery.model import EndpointRecord
from wardgate.discovery.observation import Observation
from wardgate.discovery.schema import ParameterSketch, SchemaSketch
from wardgate.discovery.sensitive import NOT_JSON, classify, parse_json_body
from wardgate.discovery.spec import STANDARD_HEADERS
from wardgate.discovery.templating import PathTemplater

# Request headers that describe the transport or the client, not the API: not parameters.
_TRANSPORT_HEADERS = STANDARD_HEADERS  # HTTP's own headers are not API parameters
_MAX_PARAMS = 64  # query parameters / headers tracked per endpoint


@dataclass(slots=True)
class _Accumulator:
    """What is being learned about one (host, method, template-at-the-time)."""

    host: str
    method: str
    example: str
    count: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    query: dict[str, ParameterSketch] = field(default_factory=dict)
    headers: dict[str, ParameterSketch] = field(default_factory=dict)
    content_types: dict[str, int] = field(default_factory=dict)
    request_schema: SchemaSketch | None = None
    response_schemas: dict[str, SchemaSketch] = field(default_factory=dict)
    auth: dict[str, int] = field(default_factory=dict)
    auth_details: dict[str, set[str]] = field(default_factory=dict)
    sensitive: dict[str, set[str]] = field(default_factory=dict)
    ai: str | None = None
    findings: dict[str, int] = field(default_factory=dict)

    def merge(self, other: _Accumulator) -> None:
        if other.first_seen and (not self.first_seen or other.first_seen < self.first_seen):
            self.first_seen = other.first_seen
        self.last_seen = max(self.last_seen, other.last_seen)
        self.count += other.count
        _add_counts(self.statuses, other.statuses)
        _add_counts(self.content_types, other.content_types)
        _add_counts(self.auth, other.auth)
        _add_counts(self.findings, other.findings)
        for name, sketch in other.query.items():
            _merge_sketch(self.query, name, sketch)
        for name, sketch in other.headers.items():
            _merge_sketch(self.headers, name, sketch)
        if other.request_schema is not None:
            if self.request_schema is None:
                self.request_schema = SchemaSketch()
            self.request_schema.merge(other.request_schema)
        for status, body in other.response_schemas.items():
            self.response_schemas.setdefault(status, SchemaSketch()).merge(body)
        for kind, details in other.auth_details.items():
            self.auth_details.setdefault(kind, set()).update(details)
        for where, kinds in other.sensitive.items():
            self.sensitive.setdefault(where, set()).update(kinds)
        self.ai = self.ai or other.ai


class Inventory:
    """In-memory endpoint inventory fed by any source; see the module docstring."""

    def __init__(
        self,
        templater: PathTemplater | None = None,
        *,
        sample_after: int = 32,
        sample_every: int = 16,
    ) -> None:
        self.templater = templater or PathTemplater()
        self._acc: dict[tuple[str, str, str], _Accumulator] = {}
        self._sample_after = sample_after
        self._sample_every = sample_every
        self.observed = 0

    @classmethod
    def restored(cls, templater_state: dict[str, Any] | None) -> Inventory:
        """An inventory whose templater resumes from saved state (a person's merges, splits and
        renames are remembered), or a fresh one when there is none."""
        if templater_state is None:
            return cls()
        return cls(PathTemplater.from_dict(templater_state))

    def observe(self, obs: Observation) -> None:
        """Fold one observation in."""
        self.observed += 1
        host = obs.host.lower()
        method = obs.method.upper()
        path = obs.path or "/"
        response_json = parse_json_body(obs.response_body, obs.response_content_type)
        template = self.templater.observe(host, method, path, response_shape=_shape(response_json))
        key = (host, method, template)
        acc = self._acc.get(key)
        if acc is None:
            acc = self._acc[key] = _Accumulator(host, method, path)
        acc.count += 1
        if obs.timestamp:
            if not acc.first_seen or obs.timestamp < acc.first_seen:
                acc.first_seen = obs.timestamp
            acc.last_seen = max(acc.last_seen, obs.timestamp)
        if obs.status is not None:
            status = str(obs.status)
            acc.statuses[status] = acc.statuses.get(status, 0) + 1
        for category in obs.findings:
            acc.findings[category] = acc.findings.get(category, 0) + 1
        for evidence in detect_auth(obs):
            kind = evidence.kind.value
            acc.auth[kind] = acc.auth.get(kind, 0) + 1
            if evidence.detail:
                acc.auth_details.setdefault(kind, set()).add(evidence.detail)
        if acc.count > self._sample_after and acc.count % self._sample_every:
            return  # the shapes of a well-known endpoint: sample them
        self._learn_shapes(acc, obs, response_json)

    def _learn_shapes(self, acc: _Accumulator, obs: Observation, response_json: Any) -> None:
        names = {k for k, _ in obs.query}
        for name, value in obs.query:
            if name in acc.query or len(acc.query) < _MAX_PARAMS:
                acc.query.setdefault(name, ParameterSketch(name)).observe(value)
        for name, sketch in acc.query.items():
            if name not in names:
                sketch.observe(None)
        for name, value in obs.request_headers:
            if name in _TRANSPORT_HEADERS or name.startswith(("sec-", ":")):
                continue
            if name in acc.headers or len(acc.headers) < _MAX_PARAMS:
                acc.headers.setdefault(name, ParameterSketch(name)).observe(value)
        ctype = obs.request_content_type
        if ctype:
            acc.content_types[ctype] = acc.content_types.get(ctype, 0) + 1
        request_json = parse_json_body(obs.request_body, ctype)
        if request_json is not NOT_JSON:
            if acc.request_schema is None:
                acc.request_schema = SchemaSketch()
            acc.request_schema.observe(request_json)
        if response_json is not NOT_JSON and obs.status is not None:
            acc.response_schemas.setdefault(str(obs.status), SchemaSketch()).observe(response_json)
        found = classify(obs, request_json=request_json, response_json=response_json)
        for where, kinds in found.items():
            acc.sensitive.setdefault(where, set()).update(kinds)
        if acc.ai is None:
            ai = recognise(obs)
            if ai is not None:
                acc.ai = ai.kind

    def observe_all(self, observations: Iterable[Observation]) -> int:
        n = 0
        for obs in observations:
            self.observe(obs)
            n += 1
        return n

    def records(self) -> list[EndpointRecord]:
        """One record per endpoint, with templates as they stand now."""
        merged: dict[tuple[str, str, str], _Accumulator] = {}
        for (host, method, _), acc in self._acc.items():
            template = self.templater.template_for(host, method, acc.example)
            key = (host, method, template)
            if key in merged:
                merged[key].merge(acc)
            else:
                fresh = _Accumulator(host, method, acc.example)
                fresh.merge(acc)
                merged[key] = fresh
        return [_record(key, acc) for key, acc in sorted(merged.items())]


def _record(key: tuple[str, str, str], acc: _Accumulator) -> EndpointRecord:
    host, method, template = key
    return EndpointRecord(
        host=host,
        method=method,
        template=template,
        count=acc.count,
        first_seen=acc.first_seen,
        last_seen=acc.last_seen,
        statuses=dict(acc.statuses),
        query={k: _parameter(v) for k, v in sorted(acc.query.items())},
        request_headers={k: _parameter(v) for k, v in sorted(acc.headers.items())},
        request_content_types=dict(acc.content_types),
        request_schema=None if acc.request_schema is None else acc.request_schema.to_json_schema(),
        response_schemas={k: v.to_json_schema() for k, v in sorted(acc.response_schemas.items())},
        auth=dict(acc.auth),
        auth_details={k: sorted(v) for k, v in acc.auth_details.items()},
        sensitive={k: sorted(v) for k, v in sorted(acc.sensitive.items())},
        ai=acc.ai,
        findings=dict(acc.findings),
    )


def _shape(value: Any) -> str | None:
    """A fingerprint of a JSON answer's structure (its top-level keys, or those of its first
    item): equal for two instances of one resource type, whatever their values."""
    if isinstance(value, list):
        value = value[0] if value else None
        prefix = "[]"
    else:
        prefix = ""
    if isinstance(value, dict):
        return prefix + ",".join(sorted(value)[:32])
    return None


def _parameter(sketch: ParameterSketch) -> dict[str, Any]:
    """A parameter's schema, with whether every call sent it (for ``required`` in exports)."""
    schema = dict(sketch.to_json_schema())
    schema["x-wardgate-required"] = sketch.always_present
    return schema


def _add_counts(into: dict[str, int], other: dict[str, int]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _merge_sketch(into: dict[str, ParameterSketch], name: str, sketch: ParameterSketch) -> None:
    if name in into:
        into[name].merge(sketch)
    else:
        copy = ParameterSketch(name)
        copy.merge(sketch)
        into[name] = copy
