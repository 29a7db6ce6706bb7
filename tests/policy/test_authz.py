"""Cedar authorisation: the entity model policy authors rely on, deny by default, policy ids."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.core.exchange import ANONYMOUS, Identity
from wardgate.core.finding import Category
from wardgate.policy.authz import (
    DEFAULT_POLICY,
    Authorizer,
    AuthzRequest,
    PolicyError,
    validate_policy,
)

ALICE = Identity("alice", tenant="acme", method="jwt", groups=("eng",), scopes=("llm:chat",))
BOB = Identity("bob", tenant="globex", method="api_key", groups=("sales",), key_id="k_123")
ROOT = Identity("root", tenant="acme", method="jwt", groups=("admins", "eng"))

PERMIT_ALL = '@id("all") permit (principal, action, resource);\n'


def req(identity: Identity = ALICE, **kw: object) -> AuthzRequest:
    fields: dict[str, object] = {"route": "chat", "provider": "openai", "operation": "chat"}
    fields.update(kw)
    return AuthzRequest(identity=identity, **fields)  # type: ignore[arg-type]


# -- group X may use model Y only -------------------------------------------------------------

MODEL_POLICY = """
@id("eng-gpt4o")
permit (principal in Wardgate::Group::"eng", action, resource)
when { context.model == "gpt-4o" };

@id("sales-mini")
permit (principal in Wardgate::Group::"sales", action, resource)
when { ["gpt-4o-mini", "claude-haiku"].contains(context.model) };
"""


@pytest.mark.parametrize(
    ("identity", "model", "allowed", "ids"),
    [
        (ALICE, "gpt-4o", True, ("eng-gpt4o",)),
        (ALICE, "gpt-4o-mini", False, ()),
        (ALICE, None, False, ()),
        (BOB, "claude-haiku", True, ("sales-mini",)),
        (BOB, "gpt-4o", False, ()),
        (Identity("eve", method="jwt"), "gpt-4o", False, ()),  # in no group
    ],
)
def test_group_may_use_model(
    identity: Identity, model: str | None, allowed: bool, ids: tuple[str, ...]
) -> None:
    decision = Authorizer(MODEL_POLICY).authorize(req(identity, model=model))
    assert (decision.allowed, decision.policy_ids) == (allowed, ids)


# -- the default policy: anonymous only where the route allows it ------------------------------


@pytest.mark.parametrize(
    ("identity", "anonymous_allowed", "allowed", "ids"),
    [
        (ALICE, False, True, ("default-authenticated",)),
        (BOB, True, True, ("default-authenticated",)),
        (ANONYMOUS, False, False, ()),
        (ANONYMOUS, True, True, ("default-anonymous-route",)),
        (Identity("x", method="anonymous"), False, False, ()),
    ],
)
def test_default_policy(
    identity: Identity, anonymous_allowed: bool, allowed: bool, ids: tuple[str, ...]
) -> None:
    decision = Authorizer().authorize(req(identity, anonymous_allowed=anonymous_allowed))
    assert (decision.allowed, decision.policy_ids) == (allowed, ids)
    assert decision.errors == ()
    assert decision.reason == ("permitted" if allowed else "no permit matched")


def test_default_policy_is_valid_and_the_default() -> None:
    assert validate_policy(DEFAULT_POLICY) == []
    assert Authorizer().policy_count == 2


# -- risk, in percent -------------------------------------------------------------------------

RISK_POLICY = (
    PERMIT_ALL
    + """
@id("injection")
forbid (principal, action, resource) when { context.risk.prompt_injection >= 80 };
"""
)


@pytest.mark.parametrize(
    ("score", "allowed"),
    [
        (0.0, True),
        (0.79, True),
        (0.794, True),  # 79.4 -> 79
        (0.795, False),  # 79.5 -> 80
        (0.8, False),
        (0.93, False),
        (1.0, False),
        (1.5, False),  # clamped to 100
        (-0.2, True),  # clamped to 0
        (math.inf, False),
        (math.nan, False),  # unknown counts as certain
    ],
)
def test_risk_forbid_with_percent_conversion(score: float, allowed: bool) -> None:
    decision = Authorizer(RISK_POLICY).authorize(req(risk={"prompt_injection": score}))
    assert decision.allowed is allowed
    assert decision.policy_ids == (("all",) if allowed else ("injection",))
    assert decision.reason == ("permitted" if allowed else "forbidden by policy")


def test_other_categories_do_not_trip_the_injection_policy() -> None:
    decision = Authorizer(RISK_POLICY).authorize(req(risk={"jailbreak": 0.99, "pii": 1.0}))
    assert decision.allowed


@pytest.mark.parametrize("category", list(Category))
def test_every_category_is_in_the_risk_record(category: Category) -> None:
    policy = (
        PERMIT_ALL
        + f"forbid (principal, action, resource) when {{ context.risk.{category.value} >= 50 }};"
    )
    authorizer = Authorizer(policy)
    assert authorizer.authorize(req(risk={category.value: 0.49})).allowed
    assert not authorizer.authorize(req(risk={category.value: 0.5})).allowed


@pytest.mark.parametrize(
    ("risk", "categories", "allowed"),
    [
        ({}, (), True),
        ({"pii": 0.3, "secret": 0.6}, ("pii", "secret"), False),  # max_risk 60
        ({"some_future_category": 0.7}, (), False),  # counts toward max_risk
        ({"pii": 0.1}, ("web_attack",), False),
    ],
)
def test_max_risk_and_categories(
    risk: dict[str, float], categories: tuple[str, ...], allowed: bool
) -> None:
    policy = (
        PERMIT_ALL
        + """
forbid (principal, action, resource) when { context.max_risk >= 50 };
forbid (principal, action, resource) when { context.categories.contains("web_attack") };
"""
    )
    decision = Authorizer(policy).authorize(req(risk=risk, categories=categories))
    assert decision.allowed is allowed


# -- tools ------------------------------------------------------------------------------------

TOOLS_POLICY = (
    PERMIT_ALL
    + """
@id("no-shell")
forbid (principal, action, resource)
when { context.tools.containsAny(["shell", "exec_python"]) }
unless { principal in Wardgate::Group::"admins" };
"""
)


@pytest.mark.parametrize(
    ("identity", "tools", "allowed"),
    [
        (ALICE, (), True),
        (ALICE, ("web_search", "calculator"), True),
        (ALICE, ("web_search", "shell"), False),
        (BOB, ("exec_python",), False),
        (ROOT, ("shell",), True),
    ],
)
def test_tools_restriction(identity: Identity, tools: tuple[str, ...], allowed: bool) -> None:
    assert Authorizer(TOOLS_POLICY).authorize(req(identity, tools=tools)).allowed is allowed


# -- tenants ----------------------------------------------------------------------------------

TENANT_POLICY = """
@id("acme-routes")
permit (principal, action, resource)
when { principal.tenant == "acme" && resource in [Wardgate::Route::"acme-chat", Wardgate::Route::"shared"] };

@id("globex-routes")
permit (principal, action, resource)
when { principal.tenant == "globex" && resource in [Wardgate::Route::"globex-chat", Wardgate::Route::"shared"] };

@id("acme-only")
forbid (principal, action, resource == Wardgate::Route::"acme-chat")
unless { principal.tenant == "acme" };
"""


@pytest.mark.parametrize(
    ("identity", "route", "allowed"),
    [
        (ALICE, "acme-chat", True),
        (ALICE, "globex-chat", False),
        (ALICE, "shared", True),
        (BOB, "acme-chat", False),
        (BOB, "globex-chat", True),
        (BOB, "shared", True),
        (Identity("mallory", tenant="", method="jwt"), "shared", False),
    ],
)
def test_tenant_isolation(identity: Identity, route: str, allowed: bool) -> None:
    assert Authorizer(TENANT_POLICY).authorize(req(identity, route=route)).allowed is allowed


def test_cross_tenant_forbid_is_reported() -> None:
    decision = Authorizer(TENANT_POLICY).authorize(req(BOB, route="acme-chat"))
    assert decision.policy_ids == ("acme-only",)


# -- everything else in the entity model ------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "request_", "allowed"),
    [
        ('principal.scopes.contains("llm:chat")', req(ALICE), True),
        ('principal.scopes.contains("llm:chat")', req(BOB), False),
        ('principal.method == "api_key" && principal.key_id == "k_123"', req(BOB), True),
        ("principal.anonymous", req(ANONYMOUS), True),
        ('resource.provider == "anthropic"', req(provider="anthropic"), True),
        ('resource.provider == "anthropic"', req(provider="openai"), False),
        ('context.operation == "embeddings"', req(operation="embeddings"), True),
        (
            'context.method == "GET" && context.path == "/v1/models"',
            req(method="GET", path="/v1/models"),
            True,
        ),
        ('context.model == ""', req(model=None), True),
        ('principal == Wardgate::Identity::"alice"', req(ALICE), True),
        ('principal == Wardgate::Identity::"alice"', req(BOB), False),
    ],
)
def test_entity_model_attributes(condition: str, request_: AuthzRequest, allowed: bool) -> None:
    policy = (
        f'permit (principal, action == Wardgate::Action::"call", resource) when {{ {condition} }};'
    )
    assert Authorizer(policy).authorize(request_).allowed is allowed


# -- ids and reasons --------------------------------------------------------------------------


def test_ids_of_all_matching_permits_in_text_order() -> None:
    policy = """
permit (principal, action, resource);
@id("second") permit (principal, action, resource) when { principal.tenant == "acme" };
@id("third") permit (principal, action, resource) when { principal.tenant == "nope" };
@id("fourth") permit (principal in Wardgate::Group::"eng", action, resource);
"""
    decision = Authorizer(policy).authorize(req(ALICE))
    assert decision.policy_ids == ("policy0", "second", "fourth")  # no @id: Cedar's own id


def test_forbid_reports_only_forbids() -> None:
    policy = (
        PERMIT_ALL
        + '@id("f1") forbid (principal, action, resource);\nforbid (principal, action, resource);'
    )
    decision = Authorizer(policy).authorize(req())
    assert decision.allowed is False
    assert decision.policy_ids == ("f1", "policy2")


@pytest.mark.parametrize(
    "policy",
    ["", "// nothing yet\n", '@id("x") permit (principal, action, resource) when { false };'],
)
def test_default_deny_has_no_policy_ids(policy: str) -> None:
    decision = Authorizer(policy).authorize(req())
    assert decision.allowed is False
    assert decision.policy_ids == ()
    assert decision.reason == "no permit matched"


# -- evaluation errors ------------------------------------------------------------------------

OVERFLOW = "context.max_risk + 9223372036854775807 > 0"


def test_forbid_that_fails_to_evaluate_denies() -> None:
    policy = (
        PERMIT_ALL + f'@id("broken") forbid (principal, action, resource) when {{ {OVERFLOW} }};'
    )
    decision = Authorizer(policy).authorize(req(risk={"pii": 0.5}))  # 50 + max Long overflows
    assert decision.allowed is False
    assert decision.policy_ids == ("broken",)
    assert decision.reason == "a forbid policy failed to evaluate"
    assert len(decision.errors) == 1
    assert "`broken`" in decision.errors[0]
    assert "overflow" in decision.errors[0]


def test_permit_that_fails_to_evaluate_just_does_not_permit() -> None:
    policy = (
        f'@id("broken") permit (principal, action, resource) when {{ {OVERFLOW} }};\n' + PERMIT_ALL
    )
    decision = Authorizer(policy).authorize(req(risk={"pii": 0.5}))
    assert decision.allowed is True
    assert decision.policy_ids == ("all",)
    assert len(decision.errors) == 1
    alone = Authorizer(policy.replace(PERMIT_ALL, "")).authorize(req(risk={"pii": 0.5}))
    assert (alone.allowed, alone.reason) == (False, "no permit matched")


# -- invalid policies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            'permit (principal, action, resource);\n\n@id("a")\npermit (principal, action, resource)\nwhen {\n  context.model ==\n};',
            ["line 7: unexpected token `}`"],
        ),
        ("permit (principal, action, resource)", ["policy at line 1: unexpected end of input"]),
        (
            '// a comment; with a semicolon\npermit (principal == Wardgate::Identity::"a;b", action, resource)\n  when { 1 = 1 };',
            ["policy at line 2: '=' is not a valid operator"],
        ),
        (
            'permit (principal, action, resource);\n@id("typo") forbid (principal, action, resource)\n  when { context.risk.prompt_injektion > 80 };',
            ["policy at line 2:", "`typo`", "prompt_injektion"],
        ),
        ('permit (principal in Wardgate::Gruop::"x", action, resource);', ["Wardgate::Gruop"]),
        (
            "permit (principal, action, resource) when { principal.tenant == 1 };",
            ["Long", "String"],
        ),
        ("permit (principal, action, resource) when { context.model };", ["Bool"]),
        (
            '@id("a") permit (principal, action, resource);\n@id("a") forbid (principal, action, resource);',
            ["line 2", "duplicate @id"],
        ),
        ("permit (principal == ?principal, action, resource);", ["template"]),
    ],
)
def test_invalid_policies_are_refused_with_where_and_why(policy: str, expected: list[str]) -> None:
    errors = validate_policy(policy)
    assert errors
    joined = "\n".join(errors)
    for fragment in expected:
        assert fragment in joined
    with pytest.raises(PolicyError) as caught:
        Authorizer(policy)
    assert caught.value.errors == tuple(errors)
    assert expected[0] in str(caught.value)


def test_each_broken_policy_is_reported() -> None:
    policy = "permit (principal, action, resource) when { 1 = 1 };\npermit (principal, action, resource);\nforbid (principal action resource);"
    errors = validate_policy(policy)
    assert len(errors) == 2
    assert errors[0].startswith("line 1:") or errors[0].startswith("policy at line 1:")
    assert "line 3" in errors[1]


# -- properties -------------------------------------------------------------------------------

_VALID = st.sampled_from(
    [
        "permit (principal, action, resource);",
        '@note("p;q") permit (principal, action, resource) when { context.path like "/v1/*;" };',
        'forbid (principal == Wardgate::Identity::"a\\"b;c", action, resource);',
        "permit (principal, action, resource)\n  when { context.max_risk < 50 };",
    ]
)
_GAP = st.sampled_from(["\n", "\n\n", "\n// note; not code\n", " ", '\n  // a "quote\n'])


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(st.tuples(_VALID, _GAP), max_size=4),
    after=st.lists(st.tuples(_GAP, _VALID), max_size=3),
)
def test_the_broken_policy_line_is_found_among_valid_ones(
    before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> None:
    head = "".join(p + g for p, g in before)
    text = (
        head
        + 'permit (principal, action, resource) when { context.modle == "" };'
        + "".join(g + p for g, p in after)
    )
    line = head.count("\n") + 1
    errors = validate_policy(text)
    assert len(errors) >= 1
    assert errors[0].startswith(f"policy at line {line}:")
    assert "modle" in errors[0]


@settings(max_examples=60, deadline=None)
@given(
    subject=st.text(min_size=0, max_size=40),
    group=st.text(min_size=0, max_size=20),
    route=st.text(min_size=0, max_size=20),
    model=st.text(max_size=20),
)
def test_any_names_are_data_never_syntax(subject: str, group: str, route: str, model: str) -> None:
    """Quotes, newlines and '::' in ids must not change the decision (no Cedar injection)."""
    authorizer = Authorizer(
        DEFAULT_POLICY + 'forbid (principal in Wardgate::Group::"blocked", action, resource);'
    )
    who = Identity(subject, method="jwt", groups=(group,))
    decision = authorizer.authorize(req(who, route=route, model=model))
    assert decision.allowed is (group != "blocked")
    assert decision.errors == ()
