"""The inventory as an OpenAPI 3.1 document, one per host, ready for API catalogues and review.

The document describes what traffic *did*, not what the API intends: schemas are inferred,
parameters are marked required only when the record says they were present in every call, and
security schemes are the mechanisms callers were seen using. Wardgate's own knowledge travels in
``x-wardgate-*`` extensions (risk, sensitive data kinds, AI wire format, first/last seen, call
counts, and — given a :class:`~wardgate.discovery.spec.SpecReport` — shadow, zombie and drift
status), so one file carries both the description and the findings.

Only names, shapes and counts ever come from traffic; schemas are rebuilt through a keyword
allow-list, so example values never leak into the document. :func:`validate` checks the result
with ``openapi-spec-validator``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from wardgate.discovery.model import EndpointRecord, JsonSchema
from wardgate.discovery.risk import Risk
from wardgate.discovery.spec import STANDARD_HEADERS, EndpointKey, SpecReport, ZombieReason

OPENAPI_VERSION = "3.1.0"
MAX_SCHEMA_DEPTH = 32
MAX_SCHEMA_NODES = 20_000
MAX_VALIDATION_ERRORS = 100

_METHOD_ORDER = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAM = re.compile(r"\{([^{}/]*)\}")
_STATUS = re.compile(r"^[1-5]\d\d$")
_SAFE_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$"
)
_COMPONENT_NAME = re.compile(r"[^A-Za-z0-9._-]")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_PARAM_NAME = re.compile(r"[^A-Za-z0-9_.\-]")
_JSON_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_COUNT_KEYWORDS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)
_TEXT_KEYWORDS = ("format", "title", "description")
# OpenAPI ignores header parameters with these names (they are described elsewhere).
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def export(
    records: Iterable[EndpointRecord],
    host: str,
    *,
    title: str | None = None,
    risk: Mapping[EndpointKey, Risk] | None = None,
    sensitivity: bool = True,
    report: SpecReport | None = None,
    scheme: str = "https",
) -> dict[str, Any]:
    """An OpenAPI 3.1.0 document for ``host``'s endpoints (records of other hosts are skipped).

    ``risk`` maps record keys to their :class:`~wardgate.discovery.risk.Risk`; ``sensitivity``
    adds where sensitive data was seen (``x-wardgate-sensitive``: field -> kinds, never values);
    ``report`` adds shadow, zombie, drift and orphan status from a spec comparison.
    """
    wanted = host.lower()
    mine = [r for r in records if r.host.lower() == wanted]
    safe_host = host if _SAFE_HOST.match(host) else None
    builder = _Builder(risk or {}, report, sensitivity=sensitivity)
    paths = builder.paths(mine)
    calls = sum(r.count for r in mine)
    seen = [r.first_seen for r in mine if r.first_seen] + [r.last_seen for r in mine if r.last_seen]
    description = (
        f"Discovered by Wardgate from {calls} observed calls to {len(mine)} endpoints. "
        "Describes observed behaviour, not intended behaviour."
    )
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title or f"{safe_host or 'unnamed host'} (discovered)",
            "version": "discovered",
            "description": description,
        },
        "servers": [{"url": f"{scheme}://{safe_host}" if safe_host else "/"}],
        "paths": paths,
    }
    if builder.schemes:
        doc["components"] = {"securitySchemes": dict(sorted(builder.schemes.items()))}
    doc["x-wardgate-endpoints"] = len(mine)
    doc["x-wardgate-calls"] = calls
    if seen:
        doc["x-wardgate-first-seen"] = _iso(min(seen))
        doc["x-wardgate-last-seen"] = _iso(max(seen))
    if report is not None:
        doc["x-wardgate-spec-summary"] = report.summary()
        orphans = [
            {
                "method": op.method,
                "template": op.template,
                "operationId": op.operation_id,
                "deprecated": op.deprecated,
            }
            for op in report.orphan
            if op.host is None or op.host == wanted
        ]
        if orphans:
            doc["x-wardgate-orphans"] = orphans
    return doc


def validate(doc: Mapping[str, Any]) -> list[str]:
    """Problems ``openapi-spec-validator`` finds in ``doc`` (empty when valid), for 2.0/3.0/3.1."""
    # Imported here: the validator and its JSON Schema stack cost ~0.2 s, needed only to validate.
    from openapi_spec_validator import (  # noqa: PLC0415
        OpenAPIV2SpecValidator,
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )

    version = str(doc.get("openapi", doc.get("swagger", "")))
    if version.startswith("3.1"):
        validator: Any = OpenAPIV31SpecValidator(doc)
    elif version.startswith("3.0"):
        validator = OpenAPIV30SpecValidator(doc)
    elif version.startswith("2"):
        validator = OpenAPIV2SpecValidator(doc)
    else:
        return [f"unsupported OpenAPI version {version[:16]!r}"]
    problems: list[str] = []
    try:
        for error in validator.iter_errors():
            where = "/".join(str(p) for p in getattr(error, "path", ()))
            message = str(getattr(error, "message", error))
            problems.append(f"{where}: {message}" if where else message)
            if len(problems) >= MAX_VALIDATION_ERRORS:
                break
    except Exception as exc:  # the validator's own failures are problems too, not crashes
        problems.append(f"validator failed: {type(exc).__name__}")
    return problems


class _Builder:
    """Accumulates paths, operation ids and security schemes for one document."""

    def __init__(
        self,
        risk: Mapping[EndpointKey, Risk],
        report: SpecReport | None,
        *,
        sensitivity: bool,
    ) -> None:
        self.risk = risk
        self.report = report
        self.sensitivity = sensitivity
        self.schemes: dict[str, dict[str, Any]] = {}
        self.operation_ids: set[str] = set()

    def paths(self, records: list[EndpointRecord]) -> dict[str, Any]:
        # OpenAPI forbids two paths that differ only in parameter names (/a/{id}, /a/{key}):
        # such records share the path of the busiest one.
        groups: dict[str, list[EndpointRecord]] = {}
        for record in sorted(records, key=lambda r: (-r.count, r.template, r.method)):
            template, _ = _path_key(record.template)
            groups.setdefault(_PARAM.sub("{}", template), []).append(record)
        paths: dict[str, Any] = {}
        for group in sorted(groups.values(), key=lambda g: _path_key(g[0].template)[0]):
            template, names = _path_key(group[0].template)
            item: dict[str, Any] = {}
            aliases: dict[str, list[str]] = {}
            for record in group:
                method = record.method.lower()
                if method not in _METHOD_ORDER:
                    continue
                if method in item:
                    aliases.setdefault(method, []).append(record.template)
                    continue
                item[method] = self.operation(record, template, names)
            for method, others in aliases.items():
                item[method]["x-wardgate-merged-templates"] = others
            if item:
                paths[template] = {m: item[m] for m in _METHOD_ORDER if m in item}
        return paths

    def operation(self, record: EndpointRecord, template: str, names: list[str]) -> dict[str, Any]:
        method = record.method.lower()
        op: dict[str, Any] = {"operationId": self._operation_id(method, template)}
        parameters = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
        ]
        parameters += _parameters(record, "query", record.query, skip=_query_key_names(record))
        header_skip = _header_key_names(record) | STANDARD_HEADERS | _IGNORED_HEADERS
        parameters += _parameters(record, "header", record.request_headers, skip=header_skip)
        if parameters:
            op["parameters"] = parameters
        body = _request_body(record)
        if body is not None:
            op["requestBody"] = body
        op["responses"] = _responses(record)
        security = self._security(record)
        if security is not None:
            op["security"] = security
        self._extensions(op, record)
        return op

    def _operation_id(self, method: str, template: str) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "_", template).strip("_") or "root"
        base = f"{method}_{slug}"
        candidate, n = base, 2
        while candidate in self.operation_ids:
            candidate, n = f"{base}_{n}", n + 1
        self.operation_ids.add(candidate)
        return candidate

    def _security(self, record: EndpointRecord) -> list[dict[str, list[str]]] | None:
        if not record.auth:
            return None  # nothing known: say nothing
        alternatives: list[dict[str, list[str]]] = []
        for kind, n in sorted(record.auth.items()):
            if n <= 0 or kind == "none":
                continue
            for name, scheme in _schemes_for(kind, record.auth_details.get(kind, [])):
                self.schemes.setdefault(name, scheme)
                if {name: []} not in alternatives:
                    alternatives.append({name: []})
        if record.auth.get("none", 0) > 0 and alternatives:
            alternatives.append({})  # anonymous calls were seen too
        return alternatives

    def _extensions(self, op: dict[str, Any], record: EndpointRecord) -> None:
        op["x-wardgate-calls"] = record.count
        if record.first_seen:
            op["x-wardgate-first-seen"] = _iso(record.first_seen)
        if record.last_seen:
            op["x-wardgate-last-seen"] = _iso(record.last_seen)
        if record.auth:
            op["x-wardgate-auth"] = dict(sorted(record.auth.items()))
        risk = self.risk.get(record.key)
        if risk is not None:
            op["x-wardgate-risk"] = risk.to_dict()
        if self.sensitivity and record.sensitive:
            op["x-wardgate-sensitive"] = {k: sorted(v) for k, v in sorted(record.sensitive.items())}
        if record.ai:
            op["x-wardgate-ai"] = record.ai
        if record.findings:
            op["x-wardgate-findings"] = dict(sorted(record.findings.items()))
        if self.report is None:
            return
        op["x-wardgate-shadow"] = self.report.is_shadow(record.key)
        declared = self.report.declared_for(record.key)
        if declared is not None:
            op["x-wardgate-declared"] = {
                "template": declared.template,
                "operationId": declared.operation_id,
                "deprecated": declared.deprecated,
            }
        zombies = self.report.zombies_for(record.key)
        if zombies:
            op["x-wardgate-zombie"] = [
                {"reason": str(z.reason), "detail": z.detail} for z in zombies
            ]
        if (declared is not None and declared.deprecated) or any(
            z.reason is ZombieReason.OLD_VERSION for z in zombies
        ):
            op["deprecated"] = True
        drift = self.report.drift_for(record.key)
        if drift:
            op["x-wardgate-drift"] = [d.to_dict() for d in drift]


def _path_key(template: str) -> tuple[str, list[str]]:
    """A valid OpenAPI path for ``template`` and its parameter names (unique, non-empty)."""
    path = template.split("?", 1)[0] or "/"
    if not path.startswith("/"):
        path = "/" + path
    names: list[str] = []

    def rename(match: re.Match[str]) -> str:
        name = _PARAM_NAME.sub("_", match.group(1))[:64] or "param"
        candidate, n = name, 2
        while candidate in names:
            candidate, n = f"{name}{n}", n + 1
        names.append(candidate)
        return "{" + candidate + "}"

    return _PARAM.sub(rename, path), names


def _parameters(
    record: EndpointRecord,
    location: str,
    schemas: Mapping[str, JsonSchema],
    *,
    skip: Iterable[str],
) -> list[dict[str, Any]]:
    skipped = {s.lower() for s in skip}
    out: list[dict[str, Any]] = []
    for name, schema in sorted(schemas.items()):
        if not name or name.lower() in skipped:
            continue
        if location == "header" and not _HEADER_NAME.match(name):
            continue
        out.append(
            {
                "name": name,
                "in": location,
                "required": _always_present(schema, record.count),
                "schema": clean_schema(schema),
            }
        )
    return out


def _always_present(schema: Any, count: int) -> bool:
    """Whether the record says the parameter came with every call.

    Parameter schemas may carry ``x-wardgate-required`` (bool) or ``x-wardgate-seen`` /
    ``x-wardgate-count`` (calls that had it); without either, presence is unknown: not required.
    """
    if not isinstance(schema, Mapping):
        return False
    flag = schema.get("x-wardgate-required")
    if isinstance(flag, bool):
        return flag
    for key in ("x-wardgate-seen", "x-wardgate-count"):
        seen = schema.get(key)
        if isinstance(seen, int) and not isinstance(seen, bool):
            return count > 0 and seen >= count
    return False


def _request_body(record: EndpointRecord) -> dict[str, Any] | None:
    types = [t for t, _ in sorted(record.request_content_types.items(), key=lambda kv: -kv[1])]
    types = [t for t in types if "/" in t][:8]
    if record.request_schema is None and not types:
        return None
    if not types:
        types = ["application/json"]
    content: dict[str, Any] = {}
    for media_type in types:
        jsonish = "json" in media_type or media_type == "application/x-www-form-urlencoded"
        schema = clean_schema(record.request_schema) if jsonish and record.request_schema else {}
        content[media_type] = {"schema": schema}
    return {"content": content}


def _responses(record: EndpointRecord) -> dict[str, Any]:
    statuses = {s for s in record.statuses if _STATUS.match(s)}
    statuses |= {s for s in record.response_schemas if _STATUS.match(s)}
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        calls = record.statuses.get(status, 0)
        response: dict[str, Any] = {
            "description": f"HTTP {status}, seen {calls} times",
            "x-wardgate-calls": calls,
        }
        schema = record.response_schemas.get(status)
        if schema is not None:
            response["content"] = {"application/json": {"schema": clean_schema(schema)}}
        responses[status] = response
    if not responses:
        responses["default"] = {"description": "No response was observed"}
    return responses


def _component(prefix: str, name: str) -> str:
    return f"{prefix}.{_COMPONENT_NAME.sub('_', name)[:64]}"


def _names(details: Iterable[str]) -> list[str]:
    """Header, query or cookie names from auth details (``x-api-key``, ``authorization:Token``)."""
    out: list[str] = []
    for detail in details:
        name = detail.split(":", 1)[0].strip()
        if _HEADER_NAME.match(name) and name not in out:
            out.append(name)
    return out[:16]


def _schemes_for(kind: str, details: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The OpenAPI security schemes an observed auth kind stands for."""
    if kind == "basic":
        out: list[tuple[str, dict[str, Any]]] = []
        if not details or any(d != "digest" for d in details):
            out.append(("basicAuth", {"type": "http", "scheme": "basic"}))
        if "digest" in details:
            out.append(("digestAuth", {"type": "http", "scheme": "digest"}))
        return out
    if kind == "bearer":
        return [("bearerAuth", {"type": "http", "scheme": "bearer"})]
    if kind == "jwt":
        scheme: dict[str, Any] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        if details:
            scheme["x-wardgate-jwt"] = sorted(details)[:16]
        return [("jwtAuth", scheme)]
    if kind == "mtls":
        return [("mutualTLS", {"type": "mutualTLS"})]
    where = {"api_key_header": "header", "api_key_query": "query", "cookie": "cookie"}.get(kind)
    if where is None:
        return []
    prefix = {"header": "apiKeyHeader", "query": "apiKeyQuery", "cookie": "cookieAuth"}[where]
    names = _names(details)
    if not names:
        return [
            (
                prefix,
                {
                    "type": "apiKey",
                    "in": where,
                    "name": "unknown",
                    "x-wardgate-name-unknown": True,
                },
            )
        ]
    return [
        (_component(prefix, n), {"type": "apiKey", "in": where, "name": _display(where, n)})
        for n in names
    ]


def _display(where: str, name: str) -> str:
    return "Authorization" if where == "header" and name.lower() == "authorization" else name


def _query_key_names(record: EndpointRecord) -> set[str]:
    return set(_names(record.auth_details.get("api_key_query", [])))


def _header_key_names(record: EndpointRecord) -> set[str]:
    return {n.lower() for n in _names(record.auth_details.get("api_key_header", []))}


def _iso(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- schemas


def clean_schema(schema: Any) -> JsonSchema:
    """A JSON Schema (2020-12, as OpenAPI 3.1 uses) rebuilt from allowed keywords only.

    Inferred schemas pass through here so the document stays valid whatever the sketcher emits,
    and so value-bearing keywords (``example``, ``default``, ``const``) never reach it. 3.0's
    ``nullable`` becomes a ``"null"`` type. Bounded in depth and size.
    """
    budget = [MAX_SCHEMA_NODES]
    cleaned = _clean(schema, 0, budget)
    return cleaned if isinstance(cleaned, dict) else {}


def _clean(node: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if not isinstance(node, Mapping) or depth > MAX_SCHEMA_DEPTH or budget[0] < 0:
        return {}
    out: dict[str, Any] = {}
    types = _types(node.get("type"))
    if node.get("nullable") is True and types and "null" not in types:
        types.append("null")
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    for key in _TEXT_KEYWORDS:
        if isinstance(node.get(key), str):
            out[key] = node[key][:1024]
    for key in _NUMBER_KEYWORDS:
        value = node.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = value
    for key in _COUNT_KEYWORDS:
        value = node.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            out[key] = value
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        out["properties"] = {
            str(k): _clean(v, depth + 1, budget) for k, v in list(properties.items())[:1024]
        }
    required = node.get("required")
    if isinstance(required, list):
        names = list(dict.fromkeys(r for r in required if isinstance(r, str)))
        if names:
            out["required"] = names
    items = node.get("items")
    if isinstance(items, Mapping):
        out["items"] = _clean(items, depth + 1, budget)
    elif isinstance(items, list) and items:
        out["prefixItems"] = [_clean(i, depth + 1, budget) for i in items[:64]]
    additional = node.get("additionalProperties")
    if isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif isinstance(additional, Mapping):
        out["additionalProperties"] = _clean(additional, depth + 1, budget)
    for key in ("anyOf", "oneOf", "allOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches:
            out[key] = [_clean(b, depth + 1, budget) for b in branches[:64]]
    enum = node.get("enum")
    if isinstance(enum, list) and enum and all(_scalar(v) for v in enum):
        out["enum"] = list(enum[:256])
    for key, value in node.items():
        if isinstance(key, str) and key.startswith("x-") and _scalar_tree(value, 0):
            out[key] = value
    return out


def _types(value: Any) -> list[str]:
    raw = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(t for t in raw if isinstance(t, str) and t in _JSON_TYPES))


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _scalar_tree(value: Any, depth: int) -> bool:
    """JSON-ready and small: extension values are copied only when they are plain data."""
    if depth > 4:
        return False
    if _scalar(value):
        return True
    if isinstance(value, list):
        return len(value) <= 64 and all(_scalar_tree(v, depth + 1) for v in value)
    if isinstance(value, Mapping):
        return len(value) <= 64 and all(
            isinstance(k, str) and _scalar_tree(v, depth + 1) for k, v in value.items()
        )
    return False
