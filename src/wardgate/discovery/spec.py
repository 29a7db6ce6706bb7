"""Declared API descriptions, and how observed traffic departs from them.

An OpenAPI document (2.0 "Swagger", 3.0 or 3.1; JSON or YAML) is flattened into one
:class:`DeclaredOperation` per (server, method, path). :func:`compare` then lines those up with the
:class:`~wardgate.discovery.model.EndpointRecord` inventory and reports what an API security team
acts on: *shadow* endpoints (called, never declared), *orphans* (declared, never called),
*zombies* (deprecated or superseded, still called) and *drift* (a matched endpoint used beyond its
description: undeclared parameters, body fields or statuses, weaker authentication).

Specs are untrusted input. Only local ``$ref``s (``#/...``) are followed — never files or URLs —
and resolution is bounded in depth and size and safe against reference cycles, so a hostile or
merely enormous document costs bounded time and memory.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from wardgate.discovery.model import EndpointRecord, JsonSchema

MAX_SPEC_BYTES = 32 * 1024 * 1024
"""Largest spec file accepted; the biggest public specs are a few MiB."""
MAX_OPERATIONS = 20_000
"""Operations kept per document (servers x paths x methods)."""
MAX_SERVERS = 8
"""Servers per document, path or operation that become operations of their own."""
MAX_REF_HOPS = 32
"""``$ref``s followed in a chain, or nested on one branch of a schema."""
MAX_SCHEMA_DEPTH = 24
"""Nesting depth kept when a schema is resolved; deeper parts become ``{}`` (unconstrained)."""
MAX_SCHEMA_NODES = 4_000
"""Nodes one resolved schema may hold: bounds the blow-up of shared ``$ref``s."""
MAX_CACHED_SCHEMAS = 4_096
"""Resolved top-level schema refs remembered per document, so shared bodies resolve once."""
MAX_DRIFT_PER_ENDPOINT = 200
"""Drift items reported per endpoint: enough to act on, bounded for huge bodies."""
DEFAULT_ZOMBIE_WINDOW = 30 * 86_400.0
"""A deprecated endpoint is "still called" when its last call is this recent (seconds)."""

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

STANDARD_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "authorization",
        "cache-control",
        "connection",
        "content-length",
        "content-type",
        "cookie",
        "dnt",
        "forwarded",
        "host",
        "origin",
        "pragma",
        "priority",
        "referer",
        "te",
        "traceparent",
        "tracestate",
        "upgrade",
        "user-agent",
        "via",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "x-request-id",
    }
)
"""Request headers that belong to HTTP, not to the API: never undeclared parameters (OpenAPI
itself ignores ``Accept``, ``Content-Type`` and ``Authorization`` header parameters)."""

EndpointKey = tuple[str, str, str]

_PARAM = re.compile(r"\{[^{}/]*\}")
_VERSION_SEGMENT = re.compile(r"^v(\d{1,6})(?:[._](\d{1,6}))?$", re.IGNORECASE)
_STATUS = re.compile(r"^[1-5]\d\d$")
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_SCHEMA_KEYS_V2 = (
    "type",
    "format",
    "items",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
)


class SpecError(ValueError):
    """The input is not a usable OpenAPI/Swagger document (the message never quotes it)."""


class SchemeKind(StrEnum):
    """How a declared security scheme authenticates."""

    NONE = "none"
    BASIC = "basic"
    BEARER = "bearer"
    API_KEY_HEADER = "apiKey:header"
    API_KEY_QUERY = "apiKey:query"
    API_KEY_COOKIE = "apiKey:cookie"
    OAUTH2 = "oauth2"
    OPENID_CONNECT = "openIdConnect"
    MUTUAL_TLS = "mutualTLS"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """One declared scheme; ``param_name`` is the header, query or cookie name of an API key."""

    name: str
    kind: SchemeKind
    param_name: str | None = None
    bearer_format: str | None = None


SecurityRequirement = tuple[SecurityScheme, ...]
"""Schemes that must all be satisfied together; the empty tuple allows anonymous calls."""


@dataclass(frozen=True, slots=True)
class DeclaredParameter:
    """A declared parameter; ``location`` is OpenAPI's ``in`` (path, query, header, cookie)."""

    name: str
    location: str
    required: bool
    schema: JsonSchema


@dataclass(frozen=True, slots=True)
class DeclaredOperation:
    """One operation as a spec declares it, on one server.

    ``template`` is the full path template (server path or ``basePath`` + declared ``path``), the
    form discovery's records use. ``host`` is None when the spec names no host (relative server
    URL, Swagger without ``host``): it then matches traffic to any host. ``security`` lists the
    alternatives a caller may satisfy (OpenAPI's OR of ANDs); empty means no authentication is
    declared. ``api_version`` is ``info.version``; ``path_version`` the first ``v<N>`` segment;
    ``title`` and ``source`` name the spec (its ``info.title`` and the file it came from).
    """

    host: str | None
    base_path: str
    method: str
    template: str
    path: str = ""
    parameters: tuple[DeclaredParameter, ...] = ()
    request_schema: JsonSchema | None = None
    request_content_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    response_schemas: Mapping[str, JsonSchema] = field(default_factory=dict)
    security: tuple[SecurityRequirement, ...] = ()
    deprecated: bool = False
    operation_id: str | None = None
    api_version: str | None = None
    path_version: str | None = None
    title: str = ""
    source: str = ""

    @property
    def requires_auth(self) -> bool:
        """True when every declared alternative needs credentials."""
        return bool(self.security) and all(self.security)

    @property
    def scheme_kinds(self) -> frozenset[SchemeKind]:
        """Every way a caller may authenticate (``NONE`` when anonymous calls are allowed)."""
        kinds = {scheme.kind for requirement in self.security for scheme in requirement}
        if not self.requires_auth:
            kinds.add(SchemeKind.NONE)
        return frozenset(kinds)

    def parameter_names(self, location: str) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters if p.location == location)

    def to_dict(self) -> dict[str, Any]:
        """The identifying facts, JSON-ready (schemas left out: they can be large)."""
        return {
            "host": self.host,
            "method": self.method,
            "template": self.template,
            "operation_id": self.operation_id,
            "deprecated": self.deprecated,
            "api_version": self.api_version,
            "path_version": self.path_version,
            "security": sorted(str(kind) for kind in self.scheme_kinds),
        }


# --------------------------------------------------------------------------- loading


def load(path: str | os.PathLike[str]) -> list[DeclaredOperation]:
    """Operations declared by the spec file at ``path`` (JSON or YAML)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_SPEC_BYTES + 1)
    return parse(data, source=os.fspath(path))


def parse(text: str | bytes, *, source: str = "") -> list[DeclaredOperation]:
    """Operations declared by a spec given as JSON or YAML text."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"spec larger than {MAX_SPEC_BYTES} bytes")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpecError("spec is not UTF-8") from None
    document: Any
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        raise SpecError("spec is neither valid JSON nor valid YAML") from None
    if not isinstance(document, Mapping):
        raise SpecError("spec is not a mapping")
    return operations(document, source=source)


def operations(document: Mapping[str, Any], *, source: str = "") -> list[DeclaredOperation]:
    """Operations declared by an already-parsed spec (Swagger 2.0, OpenAPI 3.0 or 3.1)."""
    if str(document.get("swagger", "")).startswith("2"):
        return _Loader(document, swagger=True, source=source).operations()
    if str(document.get("openapi", "")).startswith("3"):
        return _Loader(document, swagger=False, source=source).operations()
    raise SpecError("not a Swagger 2.0 or OpenAPI 3.x document")


class _Resolver:
    """Local JSON-pointer ``$ref`` resolution, bounded and cycle-safe."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self._cache: dict[str, JsonSchema] = {}

    def lookup(self, ref: str) -> Any:
        """The node a local ref points at, or None (remote, malformed or dangling)."""
        if not ref.startswith("#"):
            return None
        pointer = unquote(ref[1:])
        if not pointer:
            return self.root
        if not pointer.startswith("/"):
            return None
        node: Any = self.root
        for raw in pointer[1:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping):
                if token in node:
                    node = node[token]
                elif token.isdigit() and int(token) in node:  # YAML int keys (status codes)
                    node = node[int(token)]
                else:
                    return None
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node

    def deref(self, node: Any) -> Any:
        """``node`` with any chain of top-level ``$ref``s followed; ``{}`` when unresolvable."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or len(seen) >= MAX_REF_HOPS:
                return {}
            seen.add(ref)
            target = self.lookup(ref)
            if target is None:
                return {}
            node = target
        return node

    def schema(self, node: Any) -> JsonSchema:
        """A self-contained schema with local refs inlined, bounded in size.

        A bare ``{"$ref": ...}`` (most bodies in large specs) is resolved once and the result
        shared between operations: treat returned schemas as read-only.
        """
        ref = node.get("$ref") if isinstance(node, Mapping) and len(node) == 1 else None
        if isinstance(ref, str) and ref in self._cache:
            return self._cache[ref]
        budget = [MAX_SCHEMA_NODES]
        resolved = self._copy(node, (), 0, budget)
        result = resolved if isinstance(resolved, dict) else {}
        if isinstance(ref, str) and len(self._cache) < MAX_CACHED_SCHEMAS:
            self._cache[ref] = result
        return result

    def _copy(self, node: Any, stack: tuple[str, ...], depth: int, budget: list[int]) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_SCHEMA_DEPTH:
            return {}
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in stack or len(stack) >= MAX_REF_HOPS:
                    return {"x-wardgate-cycle": ref}
                target = self.lookup(ref)
                if target is None:
                    return {"x-wardgate-unresolved": ref}
                resolved = self._copy(target, (*stack, ref), depth + 1, budget)
                if isinstance(resolved, dict):
                    siblings = {k: v for k, v in node.items() if k != "$ref"}
                    for key, value in siblings.items():  # OpenAPI 3.1 allows $ref siblings
                        resolved.setdefault(str(key), self._copy(value, stack, depth + 1, budget))
                return resolved
            return {str(k): self._copy(v, stack, depth + 1, budget) for k, v in node.items()}
        if isinstance(node, list):
            return [self._copy(item, stack, depth + 1, budget) for item in node]
        if isinstance(node, str | int | float | bool) or node is None:
            return node
        return str(node)  # YAML dates and the like


class _Loader:
    """Flattens one document into operations."""

    def __init__(self, document: Mapping[str, Any], *, swagger: bool, source: str) -> None:
        self.doc = document
        self.source = source
        self.swagger = swagger
        self.refs = _Resolver(document)
        info = _mapping(document.get("info"))
        version = info.get("version")
        self.api_version = None if version is None else str(version)
        self.title = str(info.get("title", ""))
        self.schemes = self._security_schemes()

    def operations(self) -> list[DeclaredOperation]:
        out: list[DeclaredOperation] = []
        root_servers = self._root_servers()
        for raw_path, raw_item in _mapping(self.doc.get("paths")).items():
            path = str(raw_path)
            item = _mapping(self.refs.deref(raw_item))
            shared = _sequence(item.get("parameters"))
            path_servers = self._servers(item.get("servers")) or root_servers
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping):
                    continue
                servers = self._servers(op.get("servers")) or path_servers
                for host, base in servers:
                    if len(out) >= MAX_OPERATIONS:
                        return out
                    out.append(
                        self._operation(
                            host=host, base=base, method=method, path=path, op=op, shared=shared
                        )
                    )
        return out

    # servers

    def _root_servers(self) -> list[tuple[str | None, str]]:
        if self.swagger:
            host = self.doc.get("host")
            base = str(self.doc.get("basePath") or "")
            return [(_host(str(host)) if host else None, _base_path(base))]
        return self._servers(self.doc.get("servers")) or [(None, "")]

    def _servers(self, node: Any) -> list[tuple[str | None, str]]:
        if self.swagger:
            return []
        out: list[tuple[str | None, str]] = []
        for raw in _sequence(node)[:MAX_SERVERS]:
            server = _mapping(raw)
            url = _expand_server_url(str(server.get("url", "")), _mapping(server.get("variables")))
            if url.startswith("//") or "://" in url:
                parts = urlsplit(url if "://" in url else "https:" + url)
                netloc = parts.netloc.rsplit("@", 1)[-1]
                host = _host(netloc) if netloc and "{" not in netloc else None
                entry = (host, _base_path(parts.path))
            else:
                entry = (None, _base_path(url))
            if entry not in out:
                out.append(entry)
        return out

    # security

    def _security_schemes(self) -> dict[str, SecurityScheme]:
        if self.swagger:
            raw = _mapping(self.doc.get("securityDefinitions"))
        else:
            raw = _mapping(_mapping(self.doc.get("components")).get("securitySchemes"))
        schemes: dict[str, SecurityScheme] = {}
        for name, node in list(raw.items())[:256]:
            schemes[str(name)] = _scheme(str(name), _mapping(self.refs.deref(node)))
        return schemes

    def _security(self, node: Any) -> tuple[SecurityRequirement, ...]:
        requirements: list[SecurityRequirement] = []
        for raw in _sequence(node)[:32]:
            names = [str(n) for n in _mapping(raw)][:16]
            requirements.append(
                tuple(self.schemes.get(n, SecurityScheme(n, SchemeKind.OTHER)) for n in names)
            )
        return tuple(requirements)

    # one operation

    def _operation(
        self,
        *,
        host: str | None,
        base: str,
        method: str,
        path: str,
        op: Mapping[str, Any],
        shared: Sequence[Any],
    ) -> DeclaredOperation:
        params: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*shared, *_sequence(op.get("parameters"))][:256]:
            param = _mapping(self.refs.deref(raw))
            if "name" in param and "in" in param:
                params[(str(param["name"]), str(param["in"]))] = param
        declared: list[DeclaredParameter] = []
        request_schema: JsonSchema | None = None
        content_types: tuple[str, ...] = ()
        form_fields: dict[str, Any] = {}
        for (name, location), param in params.items():
            if self.swagger and location == "body":
                request_schema = self.refs.schema(param.get("schema", {}))
                continue
            if self.swagger and location == "formData":
                form_fields[name] = self._parameter_schema(param)
                continue
            declared.append(
                DeclaredParameter(
                    name=name,
                    location=location,
                    required=bool(param.get("required", location == "path")),
                    schema=self._parameter_schema(param),
                )
            )
        if self.swagger:
            consumes = op.get("consumes", self.doc.get("consumes"))
            content_types = tuple(str(c).lower() for c in _sequence(consumes))
            if form_fields and request_schema is None:
                request_schema = {"type": "object", "properties": form_fields}
        else:
            request_schema, content_types = self._request_body(op.get("requestBody"))
        statuses, response_schemas = self._responses(op.get("responses"))
        security_node = op["security"] if "security" in op else self.doc.get("security")
        template = _join(base, path)
        return DeclaredOperation(
            host=host,
            base_path=base,
            method=method.upper(),
            template=template,
            path=path,
            parameters=tuple(declared),
            request_schema=request_schema,
            request_content_types=content_types,
            statuses=statuses,
            response_schemas=response_schemas,
            security=self._security(security_node),
            deprecated=op.get("deprecated") is True,
            operation_id=str(op["operationId"]) if "operationId" in op else None,
            api_version=self.api_version,
            path_version=path_version(template),
            title=self.title,
            source=self.source,
        )

    def _parameter_schema(self, param: Mapping[str, Any]) -> JsonSchema:
        if "schema" in param:
            return self.refs.schema(param["schema"])
        content = _mapping(param.get("content"))
        for media in content.values():
            return self.refs.schema(_mapping(self.refs.deref(media)).get("schema", {}))
        return self.refs.schema({k: param[k] for k in _SCHEMA_KEYS_V2 if k in param})

    def _request_body(self, node: Any) -> tuple[JsonSchema | None, tuple[str, ...]]:
        if node is None:
            return None, ()
        body = _mapping(self.refs.deref(node))
        content = _mapping(body.get("content"))
        types = tuple(str(t).lower() for t in content)
        media = _json_media(content)
        if media is None:
            return ({} if types else None), types
        return self.refs.schema(_mapping(self.refs.deref(media)).get("schema", {})), types

    def _responses(self, node: Any) -> tuple[tuple[str, ...], dict[str, JsonSchema]]:
        statuses: list[str] = []
        schemas: dict[str, JsonSchema] = {}
        for raw_status, raw in list(_mapping(node).items())[:128]:
            status = str(raw_status).upper() if str(raw_status) != "default" else "default"
            statuses.append(status)
            response = _mapping(self.refs.deref(raw))
            if self.swagger:
                if "schema" in response:
                    schemas[status] = self.refs.schema(response["schema"])
                continue
            media = _json_media(_mapping(response.get("content")))
            if media is not None:
                schemas[status] = self.refs.schema(
                    _mapping(self.refs.deref(media)).get("schema", {})
                )
        return tuple(statuses), schemas


def _scheme(name: str, node: Mapping[str, Any]) -> SecurityScheme:
    kind_name = str(node.get("type", ""))
    if kind_name == "basic":  # Swagger 2.0
        return SecurityScheme(name, SchemeKind.BASIC)
    if kind_name == "http":
        http = str(node.get("scheme", "")).lower()
        if http == "basic":
            return SecurityScheme(name, SchemeKind.BASIC)
        if http == "bearer":
            fmt = node.get("bearerFormat")
            return SecurityScheme(
                name, SchemeKind.BEARER, bearer_format=None if fmt is None else str(fmt)
            )
        return SecurityScheme(name, SchemeKind.OTHER)
    if kind_name == "apiKey":
        where = str(node.get("in", "")).lower()
        kind = {
            "header": SchemeKind.API_KEY_HEADER,
            "query": SchemeKind.API_KEY_QUERY,
            "cookie": SchemeKind.API_KEY_COOKIE,
        }.get(where, SchemeKind.OTHER)
        param = node.get("name")
        return SecurityScheme(name, kind, param_name=None if param is None else str(param))
    simple = {
        "oauth2": SchemeKind.OAUTH2,
        "openIdConnect": SchemeKind.OPENID_CONNECT,
        "mutualTLS": SchemeKind.MUTUAL_TLS,
    }
    return SecurityScheme(name, simple.get(kind_name, SchemeKind.OTHER))


def _json_media(content: Mapping[str, Any]) -> Any:
    """The JSON media type's entry (``application/json``, ``*+json``), else the first one."""
    for media_type, media in content.items():
        if "json" in str(media_type).lower():
            return media
    for media in content.values():
        return media
    return None


def _expand_server_url(url: str, variables: Mapping[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        var = _mapping(variables.get(match.group(0)[1:-1]))
        if "default" in var:
            return str(var["default"])
        enum = _sequence(var.get("enum"))
        return str(enum[0]) if enum else match.group(0)

    expanded = _PARAM.sub(value, url)
    if expanded.startswith("{"):  # an unexpanded scheme variable: keep host and path
        expanded = "//" + expanded.split("://", 1)[-1] if "://" in expanded else expanded
    return expanded


def _mapping(node: Any) -> Mapping[str, Any]:
    return node if isinstance(node, Mapping) else {}


def _sequence(node: Any) -> list[Any]:
    return list(node) if isinstance(node, list | tuple) else []


# --------------------------------------------------------------------------- templates


def normalise_template(template: str) -> str:
    """The template as matching sees it: parameter names erased (``{id}`` -> ``{}``), no query,
    no repeated or trailing slashes, leading slash added."""
    path = template.split("?", 1)[0]
    path = _PARAM.sub("{}", path)
    path = re.sub(r"/{2,}", "/", path)
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/"


def path_version(template: str) -> str | None:
    """The first ``v<N>`` segment of a path (``/api/v2/users`` -> ``v2``), or None."""
    for segment in template.split("/"):
        if _VERSION_SEGMENT.match(segment):
            return segment
    return None


def _join(base: str, path: str) -> str:
    joined = base.rstrip("/") + "/" + path.lstrip("/")
    joined = re.sub(r"/{2,}", "/", joined)
    return joined.rstrip("/") if len(joined) > 1 else joined


def _base_path(path: str) -> str:
    path = path.split("?", 1)[0].strip()
    if path and not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/")


def _host(host: str) -> str:
    """Lower-case, no trailing dot, no default port."""
    host = host.strip().lower()
    for default in (":443", ":80"):
        if host.endswith(default):
            host = host[: -len(default)]
    return host.rstrip(".")


def _hosts_match(declared: str | None, observed: str) -> bool:
    if declared is None or not observed:
        return True
    a, b = _host(declared), _host(observed)
    if a == b:
        return True
    if (":" in a) != (":" in b):  # one names a port, the other does not
        return a.rsplit(":", 1)[0] == b.rsplit(":", 1)[0]
    return False


def _segment_regex(segment: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in segment.split("{}")]
    return re.compile("[^/]+".join(parts))


MAX_MATCH_STEPS = 4_096
"""Trie nodes visited to match one observed template: bounds pathological specs."""


@dataclass(slots=True)
class _Node:
    """One segment position in the declared-path trie of one method."""

    children: dict[str, _Node] = field(default_factory=dict)
    templated: list[tuple[str, re.Pattern[str] | None, _Node]] = field(default_factory=list)
    ops: list[int] = field(default_factory=list)

    def child(self, segment: str) -> _Node:
        node = self.children.get(segment)
        if node is None:
            node = self.children[segment] = _Node()
            if "{}" in segment:
                pattern = None if segment == "{}" else _segment_regex(segment)
                self.templated.append((segment, pattern, node))
        return node


class _Matcher:
    """Finds the declared operation that best fits an observed endpoint.

    Paths are compared segment by segment after :func:`normalise_template`. Equal segments
    score 2. A declared parameter also accepts a literal the templater kept (``/users/{name}``
    fits ``/users/alice``), scoring 1; a declared literal never accepts an observed parameter.
    The highest total wins; ties go to the operation declared first.
    """

    def __init__(self, declared: Sequence[DeclaredOperation]) -> None:
        self.declared = declared
        self.roots: dict[str, _Node] = {}
        for index, op in enumerate(declared):
            node = self.roots.setdefault(op.method.upper(), _Node())
            for segment in normalise_template(op.template).split("/"):
                node = node.child(segment)
            node.ops.append(index)

    def best(self, record: EndpointRecord) -> int | None:
        root = self.roots.get(record.method.upper())
        if root is None:
            return None
        segments = normalise_template(record.template).split("/")
        found = self._walk(root, segments, 0, record.host, [MAX_MATCH_STEPS])
        return None if found is None else -found[1]

    def _walk(
        self, node: _Node, segments: list[str], i: int, host: str, steps: list[int]
    ) -> tuple[int, int] | None:
        """(score, -index) of the best match below ``node``, or None."""
        steps[0] -= 1
        if steps[0] < 0:
            return None
        if i == len(segments):
            for index in node.ops:
                if _hosts_match(self.declared[index].host, host):
                    return 0, -index
            return None
        seen = segments[i]
        best: tuple[int, int] | None = None
        exact = node.children.get(seen)
        if exact is not None:
            below = self._walk(exact, segments, i + 1, host, steps)
            if below is not None:
                best = (below[0] + 2, below[1])
        if "{}" not in seen:
            for segment, pattern, child in node.templated:
                if segment == seen or (pattern is not None and not pattern.fullmatch(seen)):
                    continue
                below = self._walk(child, segments, i + 1, host, steps)
                if below is not None and (best is None or (below[0] + 1, below[1]) > best):
                    best = (below[0] + 1, below[1])
        elif "{}" in node.children and seen != "{}":
            below = self._walk(node.children["{}"], segments, i + 1, host, steps)  # {id}.json
            if below is not None and (best is None or (below[0] + 1, below[1]) > best):
                best = (below[0] + 1, below[1])
        return best


# --------------------------------------------------------------------------- comparison


class DriftKind(StrEnum):
    """Ways a matched endpoint is used beyond its description."""

    UNDECLARED_QUERY_PARAM = "undeclared_query_param"
    UNDECLARED_HEADER = "undeclared_header"
    UNDECLARED_REQUEST_BODY = "undeclared_request_body"
    UNDECLARED_REQUEST_FIELD = "undeclared_request_field"
    UNDECLARED_RESPONSE_FIELD = "undeclared_response_field"
    UNDECLARED_STATUS = "undeclared_status"
    AUTH_WEAKER = "auth_weaker"
    AUTH_MISMATCH = "auth_mismatch"


class ZombieReason(StrEnum):
    DEPRECATED = "deprecated"
    OLD_VERSION = "old_version"


@dataclass(frozen=True, slots=True)
class Drift:
    """One departure; ``name`` is the parameter, status, field path (``$.user.ssn``) or the
    observed auth kind."""

    kind: DriftKind
    name: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": str(self.kind), "name": self.name, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class EndpointDrift:
    key: EndpointKey
    declared: DeclaredOperation
    items: tuple[Drift, ...]


@dataclass(frozen=True, slots=True)
class Zombie:
    """A still-called endpoint that should be gone; ``declared`` is None for an old version
    that is not declared at all (it is then a shadow endpoint too)."""

    key: EndpointKey
    reason: ZombieReason
    detail: str
    declared: DeclaredOperation | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.key[0],
            "method": self.key[1],
            "template": self.key[2],
            "reason": str(self.reason),
            "detail": self.detail,
        }


@dataclass(slots=True)
class SpecReport:
    """What :func:`compare` found. Keys are ``EndpointRecord.key`` (host, method, template)."""

    generated_at: float
    matched: list[tuple[EndpointKey, DeclaredOperation]] = field(default_factory=list)
    shadow: list[EndpointKey] = field(default_factory=list)
    orphan: list[DeclaredOperation] = field(default_factory=list)
    zombie: list[Zombie] = field(default_factory=list)
    drift: list[EndpointDrift] = field(default_factory=list)
    _declared: dict[EndpointKey, DeclaredOperation] = field(default_factory=dict, repr=False)
    _zombies: dict[EndpointKey, list[Zombie]] = field(default_factory=dict, repr=False)
    _drift: dict[EndpointKey, tuple[Drift, ...]] = field(default_factory=dict, repr=False)
    _shadow: set[EndpointKey] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the per-endpoint lookups (call after editing the lists by hand)."""
        self._declared = dict(self.matched)
        self._shadow = set(self.shadow)
        self._zombies = {}
        for z in self.zombie:
            self._zombies.setdefault(z.key, []).append(z)
        self._drift = {d.key: d.items for d in self.drift}

    def declared_for(self, key: EndpointKey) -> DeclaredOperation | None:
        return self._declared.get(key)

    def is_shadow(self, key: EndpointKey) -> bool:
        return key in self._shadow

    def zombies_for(self, key: EndpointKey) -> list[Zombie]:
        return list(self._zombies.get(key, ()))

    def drift_for(self, key: EndpointKey) -> tuple[Drift, ...]:
        return self._drift.get(key, ())

    def summary(self) -> dict[str, int]:
        return {
            "matched": len(self.matched),
            "shadow": len(self.shadow),
            "orphan": len(self.orphan),
            "zombie": len(self.zombie),
            "drifted": len(self.drift),
            "drift_items": sum(len(d.items) for d in self.drift),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "summary": self.summary(),
            "shadow": [{"host": h, "method": m, "template": t} for h, m, t in self.shadow],
            "orphan": [op.to_dict() for op in self.orphan],
            "zombie": [z.to_dict() for z in self.zombie],
            "drift": [
                {
                    "host": d.key[0],
                    "method": d.key[1],
                    "template": d.key[2],
                    "declared": d.declared.template,
                    "items": [i.to_dict() for i in d.items],
                }
                for d in self.drift
            ],
        }


def compare(
    declared: list[DeclaredOperation],
    observed: list[EndpointRecord],
    *,
    now: float,
    version_zombie: bool = True,
    zombie_window: float | None = DEFAULT_ZOMBIE_WINDOW,
) -> SpecReport:
    """Line the inventory up with the declared operations.

    An observed endpoint matches the declared operation with the same method (any case) whose
    path fits best: parameter names are ignored (``{id}`` = ``{userId}``), trailing slashes too,
    and hosts must agree when both are known. Zombies must have been called within
    ``zombie_window`` seconds before ``now`` (None: any call counts; records without timestamps
    count as recent). With ``version_zombie``, ``/v1/users/{id}`` is a zombie while the same
    method on ``/v2/users/{id}`` is declared or observed on the same host.
    """
    matcher = _Matcher(declared)
    report = SpecReport(generated_at=now)
    used: set[int] = set()
    for record in observed:
        best = matcher.best(record)
        if best is None:
            report.shadow.append(record.key)
            continue
        op = declared[best]
        used.add(best)
        report.matched.append((record.key, op))
        if op.deprecated and _recent(record, now, zombie_window):
            report.zombie.append(
                Zombie(record.key, ZombieReason.DEPRECATED, "declared deprecated, still called", op)
            )
        items = drift(op, record)
        if items:
            report.drift.append(EndpointDrift(record.key, op, tuple(items)))
    report.orphan = [op for i, op in enumerate(declared) if i not in used]
    if version_zombie:
        report.zombie.extend(_version_zombies(declared, observed, report, now, zombie_window))
    report.reindex()
    return report


def _recent(record: EndpointRecord, now: float, window: float | None) -> bool:
    if record.count <= 0 and not record.last_seen:
        return False
    return window is None or not record.last_seen or record.last_seen >= now - window


def _version_key(method: str, template: str) -> tuple[str, tuple[int, int]] | None:
    """(method + path with its version segment blanked, version), or None when unversioned."""
    segments = normalise_template(template).split("/")
    for i, segment in enumerate(segments):
        match = _VERSION_SEGMENT.match(segment)
        if match:
            blanked = "/".join([*segments[:i], "{v}", *segments[i + 1 :]])
            minor = int(match.group(2)) if match.group(2) else 0
            return f"{method.upper()} {blanked}", (int(match.group(1)), minor)
    return None


def _version_zombies(
    declared: Iterable[DeclaredOperation],
    observed: Sequence[EndpointRecord],
    report: SpecReport,
    now: float,
    window: float | None,
) -> list[Zombie]:
    versions: dict[str, list[tuple[str | None, tuple[int, int], str]]] = {}
    for op in declared:
        key = _version_key(op.method, op.template)
        if key is not None:
            versions.setdefault(key[0], []).append((op.host, key[1], op.template))
    for record in observed:
        key = _version_key(record.method, record.template)
        if key is not None:
            versions.setdefault(key[0], []).append((record.host, key[1], record.template))
    zombies: list[Zombie] = []
    matched = dict(report.matched)
    for record in observed:
        key = _version_key(record.method, record.template)
        if key is None or not _recent(record, now, window):
            continue
        newer = [
            (version, template)
            for host, version, template in versions[key[0]]
            if version > key[1] and _hosts_match(host, record.host)
        ]
        if newer:
            _, template = max(newer)
            zombies.append(
                Zombie(
                    record.key,
                    ZombieReason.OLD_VERSION,
                    f"newer version {template} exists",
                    matched.get(record.key),
                )
            )
    return zombies


# --------------------------------------------------------------------------- drift


_OBSERVED_SATISFIES: dict[str, frozenset[SchemeKind]] = {
    "basic": frozenset({SchemeKind.BASIC}),
    "bearer": frozenset({SchemeKind.BEARER, SchemeKind.OAUTH2, SchemeKind.OPENID_CONNECT}),
    "jwt": frozenset({SchemeKind.BEARER, SchemeKind.OAUTH2, SchemeKind.OPENID_CONNECT}),
    "api_key_header": frozenset({SchemeKind.API_KEY_HEADER}),
    "api_key_query": frozenset({SchemeKind.API_KEY_QUERY}),
    "cookie": frozenset({SchemeKind.API_KEY_COOKIE}),
    "mtls": frozenset({SchemeKind.MUTUAL_TLS}),
}
"""Which declared scheme kinds an observed credential kind can be an instance of."""

_OBSERVED_STRENGTH = {
    "none": 0,
    "api_key_query": 1,
    "basic": 2,
    "api_key_header": 3,
    "cookie": 3,
    "bearer": 4,
    "jwt": 4,
    "mtls": 5,
}
_DECLARED_STRENGTH = {
    SchemeKind.NONE: 0,
    SchemeKind.API_KEY_QUERY: 1,
    SchemeKind.BASIC: 2,
    SchemeKind.API_KEY_HEADER: 3,
    SchemeKind.API_KEY_COOKIE: 3,
    SchemeKind.BEARER: 4,
    SchemeKind.OAUTH2: 4,
    SchemeKind.OPENID_CONNECT: 4,
    SchemeKind.MUTUAL_TLS: 5,
}
"""A rough order of how much a stolen or guessed credential of each kind is worth to an attacker:
query keys leak into logs, basic credentials are long-lived, tokens expire, mTLS needs a key."""


def drift(op: DeclaredOperation, record: EndpointRecord) -> list[Drift]:
    """How ``record`` departs from ``op`` (bounded to :data:`MAX_DRIFT_PER_ENDPOINT` items)."""
    out: list[Drift] = []
    schemes = [s for requirement in op.security for s in requirement]
    query_ok = op.parameter_names("query") | {
        s.param_name for s in schemes if s.kind is SchemeKind.API_KEY_QUERY and s.param_name
    }
    for name in record.query:
        if name not in query_ok:
            out.append(
                Drift(DriftKind.UNDECLARED_QUERY_PARAM, name, "query parameter not declared")
            )
    header_ok = {n.lower() for n in op.parameter_names("header")} | {
        s.param_name.lower()
        for s in schemes
        if s.kind is SchemeKind.API_KEY_HEADER and s.param_name
    }
    for name in record.request_headers:
        lowered = name.lower()
        if lowered not in header_ok and lowered not in STANDARD_HEADERS:
            out.append(Drift(DriftKind.UNDECLARED_HEADER, lowered, "header not declared"))
    if record.request_schema is not None:
        if op.request_schema is None and not op.request_content_types:
            out.append(Drift(DriftKind.UNDECLARED_REQUEST_BODY, "$", "request body not declared"))
        elif op.request_schema is not None:
            for where in undeclared_fields(op.request_schema, record.request_schema):
                out.append(
                    Drift(DriftKind.UNDECLARED_REQUEST_FIELD, where, "request field not declared")
                )
    for status, observed_schema in record.response_schemas.items():
        declared_schema = _declared_for_status(op.response_schemas, status)
        if declared_schema is not None:
            for where in undeclared_fields(declared_schema, observed_schema):
                out.append(
                    Drift(
                        DriftKind.UNDECLARED_RESPONSE_FIELD,
                        f"{status}:{where}",
                        f"field in {status} response not declared",
                    )
                )
    if op.statuses:
        for status in record.statuses:
            if _STATUS.match(status) and not _status_declared(status, op.statuses):
                out.append(Drift(DriftKind.UNDECLARED_STATUS, status, "status code not declared"))
    out.extend(_auth_drift(op, record))
    return out[:MAX_DRIFT_PER_ENDPOINT]


def _status_declared(status: str, declared: Sequence[str]) -> bool:
    return status in declared or f"{status[0]}XX" in declared or "default" in declared


def _declared_for_status(schemas: Mapping[str, JsonSchema], status: str) -> JsonSchema | None:
    for key in (status, f"{status[:1]}XX", "default"):
        if key in schemas:
            return schemas[key]
    return None


def _auth_drift(op: DeclaredOperation, record: EndpointRecord) -> list[Drift]:
    if not op.requires_auth or not record.auth:
        return []
    out: list[Drift] = []
    unauthenticated = record.auth.get("none", 0)
    succeeded = sum(n for s, n in record.statuses.items() if s.startswith("2"))
    # ``count - none`` bounds the authenticated calls, so any 2xx beyond it were anonymous.
    anonymous_successes = succeeded - max(0, record.count - unauthenticated)
    if unauthenticated and anonymous_successes > 0:
        out.append(
            Drift(
                DriftKind.AUTH_WEAKER,
                "none",
                f"authentication declared, but at least {anonymous_successes} calls without "
                "credentials succeeded",
            )
        )
    declared_kinds = op.scheme_kinds - {SchemeKind.OTHER}
    if not declared_kinds:
        return out
    strongest = max(_DECLARED_STRENGTH[k] for k in declared_kinds)
    for kind, n in record.auth.items():
        satisfies = _OBSERVED_SATISFIES.get(kind)
        if n <= 0 or satisfies is None or satisfies & declared_kinds:
            continue
        if _OBSERVED_STRENGTH.get(kind, 0) < strongest:
            detail = f"{n} calls used {kind}, weaker than declared " + ", ".join(
                sorted(str(k) for k in declared_kinds)
            )
            out.append(Drift(DriftKind.AUTH_WEAKER, kind, detail))
        else:
            out.append(Drift(DriftKind.AUTH_MISMATCH, kind, f"{n} calls used undeclared {kind}"))
    return out


def undeclared_fields(
    declared: JsonSchema, observed: JsonSchema, *, max_depth: int = 8, limit: int = 100
) -> list[str]:
    """Field paths (``$.a``, ``$.items[*].b``) present in ``observed`` and absent from ``declared``.

    Only objects whose declared schema lists ``properties`` are checked: an unconstrained
    declaration (``{}``, bare ``type: object``, ``additionalProperties`` given explicitly, an
    unresolved or cyclic ``$ref``) declares everything below it. ``allOf``/``anyOf``/``oneOf``
    branches are united.
    """
    walker = _FieldWalker(max_depth, limit)
    walker.walk(declared, observed, "$", 0)
    return walker.found


@dataclass(slots=True)
class _FieldWalker:
    """Walks a declared and an observed schema side by side, collecting undeclared fields."""

    max_depth: int
    limit: int
    found: list[str] = field(default_factory=list)

    def walk(self, declared: Any, observed: Any, where: str, depth: int) -> None:
        if depth > self.max_depth or len(self.found) >= self.limit:
            return
        declared_props, closed = _properties(declared, 0)
        observed_props, _ = _properties(observed, 0)
        for name, sub in observed_props.items():
            child = _child(where, name)
            if name in declared_props:
                self.walk(declared_props[name], sub, child, depth + 1)
            elif closed:
                self.found.append(child)
            if len(self.found) >= self.limit:
                return
        declared_items = _items(declared, 0)
        observed_items = _items(observed, 0)
        if declared_items is not None and observed_items is not None:
            self.walk(declared_items, observed_items, where + "[*]", depth + 1)


def _child(where: str, name: str) -> str:
    return f"{where}.{name}" if _PLAIN_FIELD.match(name) else f"{where}[{json.dumps(name)}]"


def _branches(schema: Mapping[str, Any]) -> list[Any]:
    return [b for k in ("allOf", "anyOf", "oneOf") for b in _sequence(schema.get(k))]


def _properties(schema: Any, depth: int) -> tuple[dict[str, Any], bool]:
    """(properties, closed): the union of properties over composition branches, and whether they
    are a closed list (some branch lists properties and none leaves the object open)."""
    if not isinstance(schema, Mapping) or depth > 4:
        return {}, False
    props: dict[str, Any] = {}
    raw = schema.get("properties")
    listed = False
    if isinstance(raw, Mapping):
        listed = True
        props.update({str(k): v for k, v in raw.items()})
    open_extra = "patternProperties" in schema or schema.get("additionalProperties") not in (
        None,
        False,
    )
    for branch in _branches(schema):
        sub, sub_closed = _properties(branch, depth + 1)
        props.update({k: v for k, v in sub.items() if k not in props})
        if sub_closed:
            listed = True
        elif isinstance(branch, Mapping) and _is_open_object(branch):
            open_extra = True
    return props, listed and not open_extra


def _is_open_object(schema: Mapping[str, Any]) -> bool:
    """A branch that allows any object (``{}``, ``type: object`` without properties)."""
    return (
        "properties" not in schema
        and not _branches(schema)
        and schema.get("type") in (None, "object")
        and "items" not in schema
    )


def _items(schema: Any, depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > 4:
        return None
    if isinstance(schema.get("items"), Mapping):
        return schema["items"]
    for branch in _branches(schema):
        found = _items(branch, depth + 1)
        if found is not None:
            return found
    return None
