from __future__ import annotations

from pathlib import Path

import pytest

from wardgate.ai_inventory.policy import (
    POLICY_ID,
    Allowlist,
    AllowlistError,
    ModelCall,
    RouteFacts,
    cedar_policy_for,
    route_facts,
)
from wardgate.core.exchange import Identity
from wardgate.gateway.config import Route
from wardgate.policy.authz import DEFAULT_POLICY, Authorizer, AuthzRequest, validate_policy

ALICE = Identity("alice", method="api_key", groups=("eng",))
BOB = Identity("bob", method="api_key", groups=("sales",))
CAROL = Identity("carol", method="jwt")
ANON = Identity("anonymous")

YAML = """
approved:
  - provider: openai
    model: "gpt-4o-mini*"
  - provider: anthropic
    model: "claude-*"
    groups: [eng]
  - model: "OpenAI/GPT-4o"
    provider: azure-openai
    deployment: external
    identities: [carol]
    routes: [azure]
  - model: "llama*"
    deployment: open_source
"""


@pytest.fixture
def allowlist() -> Allowlist:
    return Allowlist.from_yaml(YAML)


@pytest.mark.parametrize(
    ("call", "identity", "route", "approved"),
    [
        (ModelCall("openai", "gpt-4o-mini", "external"), BOB, "openai", True),
        (ModelCall("openai", "gpt-4o-mini-2024-07-18", "external"), ANON, None, True),
        (ModelCall("openai", "gpt-4o", "external"), ALICE, "openai", False),
        (ModelCall("azure-openai", "gpt-4o-mini", "external"), BOB, "azure", False),
        (ModelCall("anthropic", "claude-3-5-haiku", "external"), ALICE, "anthropic", True),
        (ModelCall("anthropic", "claude-3-5-haiku", "external"), BOB, "anthropic", False),
        (ModelCall("anthropic", "claude-3-5-haiku", "external"), ANON, "anthropic", False),
        (ModelCall("azure-openai", "gpt-4o", "external"), CAROL, "azure", True),
        (ModelCall("azure-openai", "gpt-4o", "external"), CAROL, "other", False),
        (ModelCall("azure-openai", "gpt-4o", "external"), ALICE, "azure", False),
        (ModelCall("ollama", "llama3.1:8b", "open_source"), BOB, "ollama", True),
        (ModelCall("ollama", "llama3.1:8b", "internal"), BOB, "ollama", False),
        (ModelCall("ollama", "LLAMA3.1:8B", "open_source"), BOB, "ollama", True),
    ],
)
def test_call_approval(
    allowlist: Allowlist,
    call: ModelCall,
    identity: Identity,
    route: str | None,
    approved: bool,
) -> None:
    assert allowlist.is_approved(call, identity, route) is approved


def test_model_level_approval_ignores_who(allowlist: Allowlist) -> None:
    assert allowlist.is_approved(ModelCall("anthropic", "claude-3", "external"))
    assert allowlist.approves_model(ModelCall("azure-openai", "gpt-4o", "external"))
    assert not allowlist.is_approved(ModelCall("openai", "gpt-4o", "external"))
    assert not Allowlist().is_approved(ModelCall("openai", "gpt-4o-mini", "external"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("approved: 3", "a list of entries"),
        ("other: []", "one key"),
        ("- 3", "expected a mapping"),
        ("- {model: gpt-4o, colour: red}", "unknown keys colour"),
        ("- {model: 'gpt-4o?'}", "model is a glob"),
        ("- {model: 'gpt-[45]o'}", "model is a glob"),
        ('- {model: "gpt\\"4"}', "model is a glob"),
        ("- {model: gpt-4o, provider: OpenAI}", "provider"),
        ("- {model: gpt-4o, deployment: cloud}", "deployment"),
        ("- {model: gpt-4o, groups: [eng, 3]}", "groups"),
        ('- {model: gpt-4o, identities: ["a\\nb"]}', "identities"),
        ("approved: [", "not valid YAML"),
    ],
)
def test_invalid_allowlists_are_rejected(text: str, message: str) -> None:
    with pytest.raises(AllowlistError, match=message):
        Allowlist.from_yaml(text)


def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "approved.yaml"
    path.write_text("- {model: gpt-4o}\n")
    assert Allowlist.load(path).entries[0].model == "gpt-4o"
    assert Allowlist.from_yaml("").entries == ()
    with pytest.raises(AllowlistError, match="cannot read"):
        Allowlist.load(tmp_path / "missing.yaml")


# -- Cedar -------------------------------------------------------------------------------------

ROUTES = {
    "openai": RouteFacts("openai", "openai", "external"),
    "azure": RouteFacts("azure", "azure-openai", "external"),
    "anthropic": RouteFacts("anthropic", "anthropic", "external"),
    "ollama": RouteFacts("ollama", "ollama", "internal"),
}


def _decide(
    authorizer: Authorizer, who: Identity, route: str, provider: str, model: str | None
) -> bool:
    request = AuthzRequest(
        identity=who, route=route, provider=provider, operation="chat", model=model
    )
    return authorizer.authorize(request).allowed


@pytest.mark.parametrize(
    ("who", "route", "kind", "model", "allowed"),
    [
        (BOB, "openai", "openai", "gpt-4o-mini", True),
        (BOB, "openai", "openai", "gpt-4o", False),  # shadow AI
        (BOB, "azure", "openai-compatible", "gpt-4o-mini", False),  # right model, wrong provider
        (ALICE, "anthropic", "anthropic", "claude-3-5-haiku", True),
        (BOB, "anthropic", "anthropic", "claude-3-5-haiku", False),
        (CAROL, "azure", "openai-compatible", "gpt-4o", True),
        (ALICE, "azure", "openai-compatible", "gpt-4o", False),
        (BOB, "ollama", "ollama", "llama3.1:8b", False),  # open_source is not expressible: closed
        (BOB, "internal", "http", None, True),  # no model named: not governed
    ],
)
def test_rendered_policy_is_enforced_by_the_authorizer(
    allowlist: Allowlist, who: Identity, route: str, kind: str, model: str | None, allowed: bool
) -> None:
    text = cedar_policy_for(allowlist, ROUTES)
    authorizer = Authorizer(DEFAULT_POLICY + text)
    assert _decide(authorizer, who, route, kind, model) is allowed
    if not allowed and model:
        request = AuthzRequest(
            identity=who, route=route, provider=kind, operation="chat", model=model
        )
        assert authorizer.authorize(request).policy_ids == (POLICY_ID,)


def test_rendered_policy_validates_and_says_what_it_left_out(allowlist: Allowlist) -> None:
    text = cedar_policy_for(allowlist, ROUTES)
    assert validate_policy(text) == []
    assert "entry 4 (model llama*) left out" in text
    without_routes = cedar_policy_for(allowlist)
    assert validate_policy(without_routes) == []
    assert "entry 1 (model gpt-4o-mini*) left out" in without_routes  # openai: many route kinds
    assert 'resource.provider == "anthropic"' in without_routes


def test_an_empty_allowlist_forbids_every_model_call() -> None:
    authorizer = Authorizer(DEFAULT_POLICY + cedar_policy_for(Allowlist()))
    assert not _decide(authorizer, ALICE, "openai", "openai", "gpt-4o-mini")
    assert _decide(authorizer, ALICE, "openai", "openai", None)


def test_names_are_escaped_not_injected() -> None:
    hostile = Allowlist.from_data(
        [{"model": "gpt-4o", "groups": ['eng") || true || ("', "back\\slash"]}]
    )
    authorizer = Authorizer(DEFAULT_POLICY + cedar_policy_for(hostile))
    assert not _decide(authorizer, BOB, "openai", "openai", "gpt-4o")
    weird = Identity("x", method="api_key", groups=('eng") || true || ("',))
    assert _decide(authorizer, weird, "openai", "openai", "gpt-4o")


def test_route_facts_from_gateway_routes() -> None:
    routes = [
        Route(name="openai", upstream="https://api.openai.com", provider="openai"),
        Route(name="az", upstream="https://x.openai.azure.com", provider="openai-compatible"),
        Route(name="local", upstream="http://gpu-box:11434", provider="ollama"),
        Route(name="web", upstream="https://shop.example.com", provider="http"),
    ]
    facts = route_facts(routes)
    assert facts == {
        "openai": RouteFacts("openai", "openai", "external"),
        "az": RouteFacts("az", "azure-openai", "external"),
        "local": RouteFacts("local", "ollama", "internal"),
    }
