import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.discovery.model import EndpointRecord
from wardgate.discovery.risk import (
    Risk,
    assess,
    is_clearly_public,
    is_id_like,
    level_for,
)


def _record(method: str, template: str, **kw: Any) -> EndpointRecord:
    kw.setdefault("count", 10)
    kw.setdefault("statuses", {"200": kw["count"]})
    kw.setdefault("auth", {"jwt": kw["count"]})
    return EndpointRecord(host="api.example.com", method=method, template=template, **kw)


_ANON = {"auth": {"none": 10}}

# (record, assess keyword arguments, expected OWASP tags, expected level, expected score)
CASES: list[tuple[str, EndpointRecord, dict[str, Any], list[str], str, int]] = [
    ("public health check", _record("GET", "/health", **_ANON), {}, [], "low", 0),
    ("login is public by nature", _record("POST", "/api/v1/login", **_ANON), {}, [], "low", 0),
    ("CORS preflight", _record("OPTIONS", "/api/items", **_ANON), {}, [], "low", 0),
    ("authenticated read by id", _record("GET", "/api/users/{userId}"), {}, ["API1"], "low", 15),
    (
        "authenticated delete by id",
        _record("DELETE", "/api/users/{userId}"),
        {},
        ["API1"],
        "medium",
        25,
    ),
    (
        "anonymous read by id",
        _record("GET", "/api/users/{user_id}", **_ANON),
        {},
        ["API1", "API2"],
        "high",
        50,
    ),
    ("anonymous write", _record("POST", "/api/orders", **_ANON), {}, ["API2"], "medium", 35),
    (
        "anonymous calls refused",
        _record("GET", "/api/items", auth={"none": 4, "jwt": 6}, statuses={"200": 6, "401": 4}),
        {},
        [],
        "low",
        0,
    ),
    (
        "some anonymous calls succeeded",
        _record("GET", "/api/items", auth={"none": 2, "jwt": 8}),
        {},
        ["API2"],
        "low",
        20,
    ),
    ("basic auth", _record("GET", "/api/reports", auth={"basic": 10}), {}, ["API2"], "low", 10),
    (
        "basic auth over plain http",
        _record("GET", "/api/reports", auth={"basic": 10}),
        {"scheme": "http"},
        ["API2", "API8"],
        "medium",
        25,
    ),
    (
        "api key in query",
        _record("GET", "/api/search", auth={"api_key_query": 10}),
        {},
        ["API2"],
        "low",
        15,
    ),
    (
        "unsigned JWT",
        _record("GET", "/api/me", auth_details={"jwt": ["alg=none iss=https://idp.example"]}),
        {},
        ["API2"],
        "medium",
        30,
    ),
    (
        "sensitive responses, capped",
        _record(
            "GET",
            "/api/profile",
            sensitive={
                "response.body.$.email": ["EMAIL"],
                "response.body.$.nric": ["SG_NRIC"],
                "response.body.$.token": ["SECRET"],
            },
        ),
        {},
        ["API3"],
        "medium",
        35,
    ),
    (
        "personal data in responses",
        _record("GET", "/api/contacts", sensitive={"response.body.$[*].phone": ["PHONE"]}),
        {},
        ["API3"],
        "low",
        10,
    ),
    (
        "sensitive data in the query string",
        _record("GET", "/api/lookup", sensitive={"query.email": ["EMAIL"]}),
        {},
        ["API3"],
        "low",
        10,
    ),
    (
        "sensitive request bodies are not exposure",
        _record("POST", "/api/signup-form", sensitive={"request.body.$.email": ["EMAIL"]}),
        {},
        [],
        "low",
        0,
    ),
    ("shadow", _record("GET", "/internal/debug"), {"shadow": True}, ["API9"], "low", 20),
    (
        "shadow zombie",
        _record("GET", "/internal/debug"),
        {"shadow": True, "zombie": True},
        ["API9"],
        "medium",
        45,
    ),
    (
        "orphan",
        _record("GET", "/api/legacy", count=0, statuses={}, auth={}),
        {"orphan": True},
        ["API9"],
        "low",
        5,
    ),
    (
        "AI endpoint, policy unknown",
        _record("POST", "/v1/chat/completions", ai="openai.chat"),
        {},
        ["API10"],
        "low",
        10,
    ),
    (
        "AI endpoint without policy",
        _record("POST", "/v1/chat/completions", ai="openai.chat"),
        {"ai_policy_covered": False},
        ["API10"],
        "medium",
        30,
    ),
    (
        "AI endpoint with policy",
        _record("POST", "/v1/chat/completions", ai="openai.chat"),
        {"ai_policy_covered": True},
        ["API10"],
        "low",
        10,
    ),
    (
        "anonymous AI endpoint without policy",
        _record("POST", "/v1/chat/completions", ai="openai.chat", **_ANON),
        {"ai_policy_covered": False},
        ["API2", "API10"],
        "critical",
        75,
    ),
    (
        "detections, capped",
        _record(
            "POST",
            "/api/notes",
            findings={"prompt_injection": 3, "pii": 2, "indirect_injection": 8},
        ),
        {},
        ["API3", "API10"],
        "medium",
        40,
    ),
    (
        "probing",
        _record("GET", "/api/search", findings={"web_attack": 12}),
        {},
        [],
        "medium",
        25,
    ),
    (
        "model extraction",
        _record("POST", "/v1/embeddings", ai="openai.embeddings", findings={"model_extraction": 1}),
        {"ai_policy_covered": True},
        ["API4", "API10"],
        "medium",
        25,
    ),
    (
        "everything at once is capped",
        _record(
            "DELETE",
            "/v1/users/{userId}",
            auth={"none": 10},
            ai="mcp",
            sensitive={"response.body.$.password": ["SECRET"]},
            findings={"jailbreak": 20, "secret": 1},
        ),
        {"shadow": True, "zombie": True, "ai_policy_covered": False},
        ["API1", "API2", "API3", "API9", "API10"],
        "critical",
        100,
    ),
]


@pytest.mark.parametrize(
    ("record", "kwargs", "owasp", "level", "score"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_risk_table(
    record: EndpointRecord, kwargs: dict[str, Any], owasp: list[str], level: str, score: int
) -> None:
    risk = assess(record, **kwargs)
    assert risk.owasp == owasp, risk.reasons
    assert risk.score == score, risk.reasons
    assert risk.level == level


@pytest.mark.parametrize(("record", "kwargs"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_every_point_has_a_reason(record: EndpointRecord, kwargs: dict[str, Any]) -> None:
    risk = assess(record, **kwargs)
    points = [int(m.group(1)) for r in risk.reasons for m in [re.search(r"\(\+(\d+)\)$", r)] if m]
    assert len(points) == len(risk.reasons)
    assert min(sum(points), 100) == risk.score
    for reason in risk.reasons:
        assert reason[0].isupper()
        assert len(reason.split()) >= 4  # a sentence, not a code


def test_to_dict_is_plain_data() -> None:
    risk = assess(_record("GET", "/api/users/{id}"), shadow=True)
    assert risk.to_dict() == {
        "score": risk.score,
        "level": risk.level,
        "reasons": risk.reasons,
        "owasp": ["API1", "API9"],
    }


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, "low"),
        (24, "low"),
        (25, "medium"),
        (49, "medium"),
        (50, "high"),
        (74, "high"),
        (75, "critical"),
        (100, "critical"),
    ],
)
def test_level_boundaries(score: int, level: str) -> None:
    assert level_for(score) == level


@pytest.mark.parametrize(
    "name",
    [
        "id",
        "ID",
        "userId",
        "user_id",
        "orderID",
        "uuid",
        "accountNumber",
        "invoice_no",
        "itemKey",
        "slug",
    ],
)
def test_id_like_names(name: str) -> None:
    assert is_id_like(name)


@pytest.mark.parametrize(
    "name", ["date", "version", "format", "lang", "paid", "android", "kind", "page"]
)
def test_not_id_like_names(name: str) -> None:
    assert not is_id_like(name)


@pytest.mark.parametrize(
    "template",
    [
        "/health",
        "/api/v1/login",
        "/.well-known/openid-configuration",
        "/oauth/token",
        "/docs/{page}",
    ],
)
def test_clearly_public(template: str) -> None:
    assert is_clearly_public(template)


@pytest.mark.parametrize(
    "template", ["/api/users", "/api/healthcare/records", "/admin/tokens-list", "/"]
)
def test_not_clearly_public(template: str) -> None:
    assert not is_clearly_public(template)


_kinds = st.sampled_from(
    ["none", "basic", "bearer", "jwt", "api_key_header", "api_key_query", "cookie", "mtls"]
)


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    template=st.from_regex(r"(/[a-z{}A-Z_]{0,12}){0,5}", fullmatch=True),
    auth=st.dictionaries(_kinds, st.integers(0, 50), max_size=4),
    statuses=st.dictionaries(
        st.sampled_from(["200", "201", "401", "403", "500"]), st.integers(0, 50), max_size=3
    ),
    findings=st.dictionaries(
        st.sampled_from(["jailbreak", "pii", "web_attack", "detector_error", "new_kind"]),
        st.integers(0, 30),
        max_size=3,
    ),
    flags=st.tuples(
        st.booleans(), st.booleans(), st.booleans(), st.sampled_from([None, True, False])
    ),
    ai=st.sampled_from([None, "openai.chat"]),
)
def test_assess_is_total_and_bounded(
    method: str,
    template: str,
    auth: dict[str, int],
    statuses: dict[str, int],
    findings: dict[str, int],
    flags: tuple[bool, bool, bool, bool | None],
    ai: str | None,
) -> None:
    record = EndpointRecord(
        host="h",
        method=method,
        template=template,
        count=sum(auth.values()),
        statuses=statuses,
        auth=auth,
        findings=findings,
        ai=ai,
    )
    shadow, zombie, orphan, covered = flags
    risk = assess(record, shadow=shadow, zombie=zombie, orphan=orphan, ai_policy_covered=covered)
    assert isinstance(risk, Risk)
    assert 0 <= risk.score <= 100
    assert risk.level == level_for(risk.score)
    assert all(re.fullmatch(r"API(10|[1-9])", t) for t in risk.owasp)
    assert risk.owasp == sorted(set(risk.owasp), key=lambda t: int(t[3:]))
