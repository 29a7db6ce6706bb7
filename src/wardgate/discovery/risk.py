"""How risky one endpoint looks, from what discovery saw, with OWASP API Security Top 10 2023 tags.

The score is additive and capped at 100, so every point is explained by one reason sentence.
It ranks endpoints for review; it is not a verdict (the gateway's detectors and policies decide).

Scoring table (points, OWASP API Security Top 10 2023 tag):

==============================================================  ======  =====
Signal                                                          Points  Tag
==============================================================  ======  =====
Path addresses objects by an id-like parameter (``{userId}``)     +15   API1
... and the method writes (POST, PUT, PATCH, DELETE)              +10   API1
... and calls succeed without credentials                         +10   API1
Never called with credentials, path not clearly public           +25   API2
Some calls without credentials succeeded (2xx > authed calls)     +20   API2
Unauthenticated write method                                      +10   API2
HTTP basic authentication                                         +10   API2
Credentials sent over plain HTTP (``scheme="http"``)              +15   API2, API8
API key in the query string                                       +15   API2
JWT with ``alg: none`` seen                                       +30   API2
Secrets or credentials in responses                               +25   API3
National ids, card or bank numbers in responses                   +20   API3
Other personal data in responses (email, phone, ...)              +10   API3
  (response data points above capped at 35 together)
Sensitive response data reachable without credentials             +15   API3
Sensitive data in the query string (ends up in logs)              +10   API3
Shadow endpoint (called, not declared)                            +20   API9
Zombie endpoint (deprecated or superseded, still called)          +25   API9
Orphan (declared, not called)                                      +5   API9
AI endpoint (model output is third-party data)                    +10   API10
AI endpoint not covered by an AI policy                           +20   API10
Unauthenticated AI endpoint (cost harvesting)                     +10   API2
Detections, per category seen: injection/jailbreak class          +15   (API10 for indirect)
  data leak class (pii, secret, system_prompt_leak)               +15   API3
  web attacks, model extraction                                   +15   (API4 for extraction)
  obfuscation, hidden text                                         +5
  10 or more detections in total                                  +10
  (detections capped at 40 together)
==============================================================  ======  =====

Levels: 0-24 low, 25-49 medium, 50-74 high, 75-100 critical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from wardgate.core.taxonomy import OwaspApi
from wardgate.discovery.model import EndpointRecord

Level = Literal["low", "medium", "high", "critical"]

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"\{([^{}/]*)\}")
_ID_NAMES = frozenset({"id", "uuid", "guid", "ulid", "oid", "pk", "key", "slug"})
_ID_SUFFIXES = ("_id", "-id", ".id", "_uuid", "-uuid", "number", "_no", "_num")
_CAMEL_ID = re.compile(r"[a-z0-9](?:Id|ID|Uuid|UUID|Guid|GUID|Key|No|Num)$")
_PUBLIC_SEGMENTS = re.compile(
    r"^(?:health|healthz|livez|readyz|ping|status|version|login|signin|sign-in|signup|sign-up"
    r"|register|logout|token|oauth|oauth2|authorize|auth|\.well-known|openapi(?:\.json|\.yaml)?"
    r"|swagger(?:\.json|\.yaml|-ui)?|docs|favicon\.ico|robots\.txt|static|assets|public"
    r"|jwks(?:\.json)?)$",
    re.IGNORECASE,
)
_SECRET_KINDS = frozenset(
    {"SECRET", "PASSWORD", "API_KEY", "TOKEN", "JWT", "PRIVATE_KEY", "CREDENTIAL", "AWS_KEY"}
)
_IDENTITY_KINDS = frozenset(
    {"CARD", "CREDIT_CARD", "IBAN", "BANK_ACCOUNT", "SSN", "US_SSN", "PASSPORT", "NATIONAL_ID"}
)
_IDENTITY_PREFIXES = ("SG_", "UK_", "IN_", "MY_", "ID_", "US_")
_INJECTION_FINDINGS = frozenset(
    {
        "prompt_injection",
        "indirect_injection",
        "jailbreak",
        "system_prompt_extraction",
        "role_spoofing",
        "exfiltration",
    }
)
_LEAK_FINDINGS = frozenset({"pii", "secret", "system_prompt_leak"})
_ABUSE_FINDINGS = frozenset({"web_attack", "model_extraction"})
_EVASION_FINDINGS = frozenset({"obfuscation", "hidden_text"})
_RESPONSE_DATA_CAP = 35
_FINDINGS_CAP = 40


@dataclass(frozen=True, slots=True)
class Risk:
    """An endpoint's risk: ``score`` 0..100, its ``level``, one human sentence per contribution
    and the OWASP API Security Top 10 2023 ids (``API1``..``API10``) involved, sorted."""

    score: int
    level: Level
    reasons: list[str] = field(default_factory=list)
    owasp: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.level,
            "reasons": list(self.reasons),
            "owasp": list(self.owasp),
        }


def level_for(score: int) -> Level:
    if score >= 75:
        return "critical"
    if score >= 50:
        return "high"
    if score >= 25:
        return "medium"
    return "low"


@dataclass(slots=True)
class _Tally:
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    owasp: set[str] = field(default_factory=set)

    def add(self, points: int, reason: str, *tags: OwaspApi) -> None:
        self.score += points
        self.reasons.append(f"{reason} (+{points})")
        self.owasp.update(str(t) for t in tags)


def assess(
    record: EndpointRecord,
    *,
    shadow: bool = False,
    zombie: bool = False,
    orphan: bool = False,
    ai_policy_covered: bool | None = None,
    scheme: str | None = None,
) -> Risk:
    """Score one endpoint from its record and what a spec comparison said about it.

    ``ai_policy_covered`` is None when unknown (no penalty). ``scheme`` is the transport the
    traffic used (``"http"``/``"https"``) when the caller knows it; records do not carry it.
    """
    tally = _Tally()
    method = record.method.upper()
    id_params = [n for n in path_parameters(record.template) if is_id_like(n)]
    anonymous_ok = _anonymous_successes(record) > 0
    never_authed = bool(record.auth) and record.auth.get("none", 0) >= sum(record.auth.values())
    public = is_clearly_public(record.template) or method == "OPTIONS"

    if id_params:
        names = ", ".join("{" + n + "}" for n in id_params[:3])
        tally.add(
            15,
            f"Path addresses objects by id ({names}): every call must be authorised for that object",
            OwaspApi.BROKEN_OBJECT_LEVEL_AUTHORIZATION,
        )
        if method in _WRITE_METHODS:
            tally.add(
                10,
                f"{method} changes objects chosen by an id in the path",
                OwaspApi.BROKEN_OBJECT_LEVEL_AUTHORIZATION,
            )
        if anonymous_ok and not public:
            tally.add(
                10,
                "Objects are reachable by id without credentials",
                OwaspApi.BROKEN_OBJECT_LEVEL_AUTHORIZATION,
            )

    _authentication(tally, record, method, never_authed=never_authed, public=public, scheme=scheme)
    _exposure(tally, record, unauthenticated=anonymous_ok and not public)

    if shadow:
        tally.add(
            20,
            "Shadow endpoint: called but not in any declared API description",
            OwaspApi.IMPROPER_INVENTORY_MANAGEMENT,
        )
    if zombie:
        tally.add(
            25,
            "Zombie endpoint: deprecated or superseded, yet still called",
            OwaspApi.IMPROPER_INVENTORY_MANAGEMENT,
        )
    if orphan:
        tally.add(
            5,
            "Declared but never called: unused attack surface",
            OwaspApi.IMPROPER_INVENTORY_MANAGEMENT,
        )

    if record.ai:
        tally.add(
            10,
            f"AI endpoint ({record.ai}): model output is untrusted third-party data",
            OwaspApi.UNSAFE_CONSUMPTION_OF_APIS,
        )
        if ai_policy_covered is False:
            tally.add(
                20,
                "AI endpoint is not covered by any gateway AI policy",
                OwaspApi.UNSAFE_CONSUMPTION_OF_APIS,
            )
        if anonymous_ok:
            tally.add(
                10,
                "AI endpoint answers without credentials: anyone can spend its model budget",
                OwaspApi.BROKEN_AUTHENTICATION,
            )

    _detections(tally, record)
    score = max(0, min(100, tally.score))
    return Risk(score, level_for(score), tally.reasons, sorted(tally.owasp, key=_owasp_order))


def _authentication(
    tally: _Tally,
    record: EndpointRecord,
    method: str,
    *,
    never_authed: bool,
    public: bool,
    scheme: str | None,
) -> None:
    if never_authed and not public:
        tally.add(
            25,
            "No call ever carried credentials, and the path does not look public",
            OwaspApi.BROKEN_AUTHENTICATION,
        )
    elif record.auth.get("none", 0) and _anonymous_successes(record) and not public:
        tally.add(
            20,
            "Some calls without credentials succeeded while others authenticated",
            OwaspApi.BROKEN_AUTHENTICATION,
        )
    if (never_authed or _anonymous_successes(record)) and not public and method in _WRITE_METHODS:
        tally.add(10, f"{method} accepted without credentials", OwaspApi.BROKEN_AUTHENTICATION)
    if record.auth.get("basic", 0):
        tally.add(
            10,
            "HTTP basic authentication: a long-lived password travels with every call",
            OwaspApi.BROKEN_AUTHENTICATION,
        )
    credentialed = any(n for kind, n in record.auth.items() if kind != "none")
    if scheme is not None and scheme.lower() == "http" and credentialed:
        tally.add(
            15,
            "Credentials sent over plain HTTP",
            OwaspApi.BROKEN_AUTHENTICATION,
            OwaspApi.SECURITY_MISCONFIGURATION,
        )
    if record.auth.get("api_key_query", 0):
        tally.add(
            15,
            "API key sent in the query string, where logs and proxies keep it",
            OwaspApi.BROKEN_AUTHENTICATION,
        )
    if any(_is_alg_none(d) for d in record.auth_details.get("jwt", ())):
        tally.add(
            30,
            "Unsigned JWTs (alg: none) were presented",
            OwaspApi.BROKEN_AUTHENTICATION,
        )


def _exposure(tally: _Tally, record: EndpointRecord, *, unauthenticated: bool) -> None:
    response_kinds: set[str] = set()
    query_kinds: set[str] = set()
    for where, kinds in record.sensitive.items():
        if where.startswith("response."):
            response_kinds.update(k.upper() for k in kinds)
        elif where.startswith("query."):
            query_kinds.update(k.upper() for k in kinds)
    if response_kinds:
        budget = _RESPONSE_DATA_CAP
        secrets = sorted(response_kinds & _SECRET_KINDS)
        identity = sorted(k for k in response_kinds - _SECRET_KINDS if _is_identity(k))
        personal = sorted(response_kinds - _SECRET_KINDS - set(identity))
        for points, kinds, what in (
            (25, secrets, "Secrets or credentials"),
            (20, identity, "National ids or financial numbers"),
            (10, personal, "Personal data"),
        ):
            if kinds and budget > 0:
                given = min(points, budget)
                budget -= given
                tally.add(
                    given,
                    f"{what} in responses ({', '.join(kinds[:4])})",
                    OwaspApi.BROKEN_OBJECT_PROPERTY_LEVEL_AUTHORIZATION,
                )
        if unauthenticated:
            tally.add(
                15,
                "Sensitive response data is served to callers without credentials",
                OwaspApi.BROKEN_OBJECT_PROPERTY_LEVEL_AUTHORIZATION,
            )
    if query_kinds:
        tally.add(
            10,
            f"Sensitive data in the query string ({', '.join(sorted(query_kinds)[:4])}), "
            "where logs keep it",
            OwaspApi.BROKEN_OBJECT_PROPERTY_LEVEL_AUTHORIZATION,
        )


def _detections(tally: _Tally, record: EndpointRecord) -> None:
    seen = {k: n for k, n in record.findings.items() if n > 0}
    budget = _FINDINGS_CAP
    for category in sorted(seen):
        points, tags = _finding_weight(category)
        if not points or budget <= 0:
            continue
        given = min(points, budget)
        budget -= given
        label = category.replace("_", " ")
        tally.add(given, f"The gateway detected {label} here ({seen[category]} times)", *tags)
    total = sum(seen.values())
    if total >= 10 and budget > 0:
        tally.add(
            min(10, budget),
            f"The gateway raised {total} detections here in all: it is being probed",
        )


def _finding_weight(category: str) -> tuple[int, tuple[OwaspApi, ...]]:
    if category == "indirect_injection":
        return 15, (OwaspApi.UNSAFE_CONSUMPTION_OF_APIS,)
    if category in _INJECTION_FINDINGS:
        return 15, ()
    if category in _LEAK_FINDINGS:
        return 15, (OwaspApi.BROKEN_OBJECT_PROPERTY_LEVEL_AUTHORIZATION,)
    if category == "model_extraction":
        return 15, (OwaspApi.UNRESTRICTED_RESOURCE_CONSUMPTION,)
    if category in _ABUSE_FINDINGS:
        return 15, ()
    if category in _EVASION_FINDINGS:
        return 5, ()
    return 0, ()


def _anonymous_successes(record: EndpointRecord) -> int:
    """A lower bound on calls without credentials that got a 2xx: authenticated calls are at
    most ``count - none``, so 2xx answers beyond that went to anonymous callers."""
    none = record.auth.get("none", 0)
    if not none:
        return 0
    succeeded = sum(n for s, n in record.statuses.items() if s.startswith("2"))
    if not record.statuses:  # no responses seen (access log without status): assume served
        return none if none >= record.count else 0
    return max(0, succeeded - max(0, record.count - none))


def _is_alg_none(detail: str) -> bool:
    """Whether a JWT detail (``alg=none iss=https://idp``) names the unsigned algorithm."""
    return any(token.lower() == "alg=none" for token in detail.split())


def _is_identity(kind: str) -> bool:
    return kind in _IDENTITY_KINDS or kind.startswith(_IDENTITY_PREFIXES)


def _owasp_order(tag: str) -> int:
    return int(tag[3:]) if tag[3:].isdigit() else 99


def path_parameters(template: str) -> list[str]:
    """Parameter names in a path template, in order."""
    return _PARAM.findall(template)


def is_id_like(name: str) -> bool:
    """Whether a path parameter names an object (``id``, ``userId``, ``order_id``, ``uuid``)."""
    lowered = name.lower()
    return lowered in _ID_NAMES or lowered.endswith(_ID_SUFFIXES) or bool(_CAMEL_ID.search(name))


def is_clearly_public(template: str) -> bool:
    """Whether some path segment marks a deliberately public endpoint (health, login, docs...)."""
    return any(_PUBLIC_SEGMENTS.match(segment) for segment in template.split("/") if segment)
