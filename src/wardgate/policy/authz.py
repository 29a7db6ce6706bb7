"""Authorisation: may this identity make this call? Decided by Cedar policies, deny by default.

Policy authors write Cedar against this entity model (it is checked by a Cedar schema, so a typo
in an attribute name is an error when the policies load, never a silently skipped policy):

``principal``: ``Wardgate::Identity::"<subject>"``, a member (``in``) of ``Wardgate::Group::"<g>"``
for each of the caller's groups. Attributes:

- ``tenant: String``, ``method: String`` (``anonymous``, ``api_key`` or ``jwt``),
  ``anonymous: Bool``, ``scopes: Set<String>``, ``key_id: String`` (``""`` unless an API key).

``action``: ``Wardgate::Action::"call"`` (the only action).

``resource``: ``Wardgate::Route::"<route name>"`` with ``provider: String``.

``context``:

- ``model: String`` (``""`` when the call names none), ``operation: String`` (``chat``,
  ``messages``, ``embeddings``, ``http``, ...), ``tools: Set<String>`` (tools declared or called),
  ``method: String`` (HTTP method), ``path: String`` (canonical path);
- ``risk``: a record with one ``Long`` per finding category (``context.risk.prompt_injection``),
  the highest detector score as a percentage 0..100; every category of
  :class:`wardgate.core.finding.Category` is present (0 when nothing was found), because Cedar has
  no floats. A score of 0.93 is 93; NaN counts as 100;
- ``max_risk: Long``: the highest of all risk percentages; ``categories: Set<String>``: the
  categories found;
- ``anonymous: Bool``: the caller is not authenticated; ``anonymous_allowed: Bool``: the route
  accepts anonymous callers.

Example::

    @id("eng-gpt4o-only")
    permit (principal in Wardgate::Group::"eng", action, resource)
    when { context.model == "gpt-4o" };

    @id("no-injection")
    forbid (principal, action, resource) when { context.risk.prompt_injection >= 80 };

``@id("...")`` names a policy in decisions and logs; without it the positional Cedar id
(``policy0``, ``policy1``, ...) is reported. ``@id`` values must be unique.

Cedar skips a policy whose evaluation fails. For a ``forbid`` that would fail open, so a forbid
that errors denies the call here (fail closed); a ``permit`` that errors simply does not permit.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import cedarpy

from wardgate.core.exchange import Identity
from wardgate.core.finding import Category

__all__ = [
    "DEFAULT_POLICY",
    "SCHEMA",
    "Authorizer",
    "AuthzDecision",
    "AuthzRequest",
    "PolicyError",
    "validate_policy",
]

_CATEGORIES: Final = tuple(c.value for c in Category)
_RISK_FIELDS: Final = ",\n".join(f"    {name}: Long" for name in _CATEGORIES)

SCHEMA: Final[str] = f"""namespace Wardgate {{
  entity Group;
  entity Identity in [Group] {{
    tenant: String,
    method: String,
    anonymous: Bool,
    scopes: Set<String>,
    key_id: String,
  }};
  entity Route {{ provider: String }};
  type Risk = {{
{_RISK_FIELDS}
  }};
  action call appliesTo {{
    principal: [Identity],
    resource: [Route],
    context: {{
      model: String,
      operation: String,
      tools: Set<String>,
      method: String,
      path: String,
      risk: Risk,
      max_risk: Long,
      categories: Set<String>,
      anonymous: Bool,
      anonymous_allowed: Bool,
    }}
  }};
}}
"""
"""The Cedar schema of the entity model above; policies are validated against it."""

DEFAULT_POLICY: Final[str] = """\
@id("default-authenticated")
permit (principal, action == Wardgate::Action::"call", resource)
when { !context.anonymous };

@id("default-anonymous-route")
permit (principal, action == Wardgate::Action::"call", resource)
when { context.anonymous && context.anonymous_allowed };
"""
"""Authenticated callers may call any route; anonymous ones only routes that allow them.
Detection-based blocking is not here: the gateway's decide step acts on findings."""

_SCHEMA_HANDLE: Final = cedarpy.Schema.from_str(SCHEMA)
_ACTION: Final = {"type": "Wardgate::Action", "id": "call"}
_INCOMPLETE: Final = frozenset({"unexpected end of input"})
_TOKEN_ERRORS: Final = ("unexpected token", "invalid token")
_MAX_REFINE_LINES: Final = 200
_ERROR_POLICY = re.compile(r"policy `([^`]+)`")
_MAX_ERROR_CHARS: Final = 300

REASON_PERMIT: Final = "permitted"
REASON_FORBID: Final = "forbidden by policy"
REASON_NO_PERMIT: Final = "no permit matched"
REASON_FORBID_ERROR: Final = "a forbid policy failed to evaluate"
REASON_INVALID_REQUEST: Final = "the request does not fit the policy schema"


class PolicyError(ValueError):
    """The Cedar policies do not parse or do not fit the schema; ``errors`` lists each problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class AuthzRequest:
    """One call to authorise. ``risk`` maps finding categories to scores in 0..1."""

    identity: Identity
    route: str
    provider: str
    operation: str
    model: str | None = None
    tools: tuple[str, ...] = ()
    method: str = "POST"
    path: str = "/"
    risk: Mapping[str, float] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    anonymous_allowed: bool = False


@dataclass(frozen=True, slots=True)
class AuthzDecision:
    """The answer. ``policy_ids`` are the policies that decided it (``@id`` when they have one):
    the matching permits when allowed, the matching forbids when forbidden, none when no permit
    matched."""

    allowed: bool
    policy_ids: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    reason: str = ""


# -- locating problems in policy text ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Statement:
    """One policy's text, and the line (1-based) it starts on."""

    text: str
    line: int
    complete_lines: frozenset[int]  # line offsets (0-based) after which no string is open


def _split_statements(text: str) -> list[_Statement]:
    """Split Cedar text at top-level ``;`` (not in strings or ``//`` comments).

    Cedar reports syntax errors without positions; parsing one statement at a time tells which
    policy is wrong and where it starts.
    """
    statements: list[_Statement] = []
    start: int | None = None
    start_line = line = 1
    in_string = in_comment = escaped = False
    safe: set[int] = set()
    i = 0
    while i < len(text):
        ch = text[i]
        if in_comment:
            if ch == "\n":
                in_comment = False
        elif in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == "/" and text.startswith("//", i):
            in_comment = True
        elif not ch.isspace():
            if start is None:
                start, start_line, safe = i, line, set()
            if ch == '"':
                in_string = True
            elif ch == ";":
                statements.append(
                    _Statement(
                        text[start : i + 1], start_line, frozenset(safe | {line - start_line})
                    )
                )
                start = None
        if ch == "\n":
            if start is not None and not in_string:
                safe.add(line - start_line)
            line += 1
        i += 1
    if start is not None:
        safe.add(line - start_line)
        statements.append(_Statement(text[start:], start_line, frozenset(safe)))
    return statements


def _parse_error(statement: _Statement) -> str | None:
    """Cedar's message for a statement that does not parse, with the line it points at."""
    try:
        cedarpy.PolicySet.from_str(statement.text)
    except ValueError as exc:
        message = str(exc)
    else:
        return None
    lines = statement.text.split("\n")
    if len(lines) > _MAX_REFINE_LINES:  # each refinement step re-parses a prefix
        return f"policy at line {statement.line}: {message}"
    for k in range(len(lines) - 1):
        if k not in statement.complete_lines:
            continue
        try:
            cedarpy.PolicySet.from_str("\n".join(lines[: k + 1]))
        except ValueError as exc:
            if str(exc) not in _INCOMPLETE:
                return f"line {statement.line + k}: {exc}"
    if message.startswith(_TOKEN_ERRORS) and len(lines) - 2 in statement.complete_lines | {-1}:
        # every shorter prefix was merely incomplete: the offending token is on the last line
        return f"line {statement.line + len(lines) - 1}: {message}"
    if not statement.text.rstrip().endswith(";"):
        return f"policy at line {statement.line}: {message} (a policy ends with ';')"
    return f"policy at line {statement.line}: {message}"


def _display_ids(policy_set_json: dict[str, Any]) -> dict[str, str]:
    """Cedar's positional ids (``policy0``) -> the policy's ``@id``, when it has a non-empty one."""
    ids: dict[str, str] = {}
    for pid, body in policy_set_json.get("staticPolicies", {}).items():
        annotation = body.get("annotations", {}).get("id")
        if isinstance(annotation, str) and annotation:
            ids[pid] = annotation
    return ids


@dataclass(frozen=True, slots=True)
class _Compiled:
    policy_set: cedarpy.PolicySet
    display: dict[str, str]
    forbids: frozenset[str]


def _compile(text: str) -> tuple[_Compiled | None, list[str]]:
    """Parse and schema-check ``text``; the compiled set, or the list of problems."""
    statements = _split_statements(text)
    try:
        policy_set = cedarpy.PolicySet.from_str(text)
        as_json: dict[str, Any] = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        errors = [e for e in (_parse_error(s) for s in statements) if e is not None]
        return None, errors or [str(exc)]
    if as_json.get("templates"):
        return None, ["policy templates (?principal, ?resource) are not supported"]
    display = _display_ids(as_json)
    if len(statements) != len(policy_set):
        statements = []  # the split disagrees with Cedar: report no lines rather than wrong ones
    errors = []
    seen: dict[str, str] = {}
    for pid in sorted(display, key=_order):
        name = display[pid]
        if name in seen:
            errors.append(f"{_where(pid, statements)}duplicate @id({json.dumps(name)})")
        seen[name] = pid
    result = cedarpy.validate_policies(text, _SCHEMA_HANDLE)
    for err in result.errors:
        pid = err.policy_id
        errors.append(f"{_where(pid, statements)}{_rename(err.error, display)}")
    if errors:
        return None, errors
    forbids = frozenset(
        pid
        for pid, body in as_json.get("staticPolicies", {}).items()
        if body.get("effect") == "forbid"
    )
    return _Compiled(policy_set, display, forbids), []


def _order(pid: str) -> tuple[int, str]:
    """Sort key: Cedar's positional ids in text order."""
    digits = pid.removeprefix("policy")
    return (int(digits), "") if digits.isdigit() else (1 << 30, pid)


def _where(pid: str, statements: list[_Statement]) -> str:
    """``"policy at line 7: "`` for Cedar's positional id ``pid``, when the line is known."""
    if pid.startswith("policy") and pid[6:].isdigit():
        index = int(pid[6:])
        if index < len(statements):
            return f"policy at line {statements[index].line}: "
    return ""


def _rename(message: str, display: Mapping[str, str]) -> str:
    """Replace positional ids in a Cedar message by the policies' ``@id``."""
    return _ERROR_POLICY.sub(lambda m: f"policy `{display.get(m[1], m[1])}`", message)


def validate_policy(text: str) -> list[str]:
    """Problems with Cedar policy ``text`` (syntax, schema, duplicate ``@id``); empty when fine."""
    return _compile(text)[1]


# -- deciding ---------------------------------------------------------------------------------


def _percent(score: float) -> int:
    """A 0..1 score as a whole percentage; NaN is treated as certain (fail closed)."""
    if math.isnan(score):
        return 100
    return math.floor(min(1.0, max(0.0, score)) * 100 + 0.5)


class Authorizer:
    """Cedar policies, parsed and schema-checked once, evaluated per call.

    Raises :class:`PolicyError` at construction when the policies are not valid.
    """

    def __init__(self, policy_text: str = DEFAULT_POLICY, *, cache_size: int = 4096) -> None:
        compiled, errors = _compile(policy_text)
        if compiled is None:
            raise PolicyError(errors)
        self._compiled = compiled
        self.policy_text = policy_text
        # Decisions are a pure function of the request's Cedar inputs (policies are immutable
        # here), and most calls repeat them exactly: remember recent ones. One Cedar evaluation
        # costs ~0.1 ms; a lookup ~2 µs.
        self._cache: OrderedDict[tuple[Any, ...], AuthzDecision] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def policy_ids(self) -> list[str]:
        """Every policy's id (its ``@id``, else Cedar's positional id), for audit records."""
        names = (f"policy{i}" for i in range(len(self._compiled.policy_set)))
        return [self._compiled.display.get(pid, pid) for pid in names]

    @property
    def policy_count(self) -> int:
        return len(self._compiled.policy_set)

    def authorize(self, req: AuthzRequest) -> AuthzDecision:
        """Decide ``req``. Deny unless a permit matches and no forbid matches or fails."""
        key = _cache_key(req)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        decision = self._evaluate(req)
        with self._lock:
            self._cache[key] = decision
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return decision

    def _evaluate(self, req: AuthzRequest) -> AuthzDecision:
        compiled = self._compiled
        principal, entities, context = _cedar_inputs(req)
        result = cedarpy.is_authorized(
            {
                "principal": principal,
                "action": _ACTION,
                "resource": {"type": "Wardgate::Route", "id": req.route},
                "context": context,
            },
            compiled.policy_set,
            entities,
            schema=_SCHEMA_HANDLE,
        )
        raw_errors = result.diagnostics.errors
        errors = tuple(_rename(e, compiled.display)[:_MAX_ERROR_CHARS] for e in raw_errors)
        if result.decision is cedarpy.Decision.NoDecision:
            return AuthzDecision(False, (), errors, REASON_INVALID_REQUEST)
        failed_forbids = [pid for pid in _failed_policies(raw_errors) if pid in compiled.forbids]
        failed_unknown = any(_ERROR_POLICY.search(e) is None for e in raw_errors)
        if failed_forbids or failed_unknown:
            ids = tuple(compiled.display.get(p, p) for p in failed_forbids)
            return AuthzDecision(False, ids, errors, REASON_FORBID_ERROR)
        ids = tuple(
            compiled.display.get(p, p) for p in sorted(result.diagnostics.reasons, key=_order)
        )
        if result.allowed:
            return AuthzDecision(True, ids, errors, REASON_PERMIT)
        return AuthzDecision(False, ids, errors, REASON_FORBID if ids else REASON_NO_PERMIT)


def _cache_key(req: AuthzRequest) -> tuple[Any, ...]:
    """Everything the Cedar inputs are made of, with risk as the percentages Cedar sees."""
    identity = req.identity
    return (
        identity.subject,
        identity.tenant,
        identity.method,
        identity.scopes,
        identity.groups,
        identity.key_id,
        req.route,
        req.provider,
        req.operation,
        req.model,
        req.tools,
        req.method,
        req.path,
        tuple(sorted((k, _percent(v)) for k, v in req.risk.items())),
        req.categories,
        req.anonymous_allowed,
    )


def _failed_policies(errors: list[str]) -> list[str]:
    return [m[1] for e in errors if (m := _ERROR_POLICY.search(e)) is not None]


def _cedar_inputs(req: AuthzRequest) -> tuple[dict[str, str], str, dict[str, Any]]:
    """The Cedar principal, entities (JSON) and context for ``req``."""
    identity = req.identity
    principal = {"type": "Wardgate::Identity", "id": identity.subject}
    anonymous = identity.is_anonymous
    entities = [
        {
            "uid": principal,
            "attrs": {
                "tenant": identity.tenant,
                "method": identity.method,
                "anonymous": anonymous,
                "scopes": sorted(set(identity.scopes)),
                "key_id": identity.key_id,
            },
            "parents": [{"type": "Wardgate::Group", "id": g} for g in sorted(set(identity.groups))],
        },
        {
            "uid": {"type": "Wardgate::Route", "id": req.route},
            "attrs": {"provider": req.provider},
            "parents": [],
        },
    ]
    percents = {name: _percent(score) for name, score in req.risk.items()}
    context = {
        "model": req.model or "",
        "operation": req.operation,
        "tools": sorted(set(req.tools)),
        "method": req.method,
        "path": req.path,
        "risk": {name: percents.get(name, 0) for name in _CATEGORIES},
        "max_risk": max(percents.values(), default=0),
        "categories": sorted(set(req.categories)),
        "anonymous": anonymous,
        "anonymous_allowed": req.anonymous_allowed,
    }
    return principal, json.dumps(entities), context
