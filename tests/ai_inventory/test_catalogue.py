from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.ai_inventory.catalogue import (
    ARTEFACT_PROVIDER,
    Catalogue,
    ModelEntry,
    answer_facts,
    resolve,
)
from wardgate.ai_inventory.deployment import NetworkRules
from wardgate.ai_inventory.policy import Allowlist
from wardgate.ai_inventory.scan.result import Artefact, ModelReference, ScanReport
from wardgate.core.exchange import ANONYMOUS, Exchange, HttpRequest, HttpResponse, Identity
from wardgate.core.finding import Category, Finding, Severity
from wardgate.discovery.sources.har import read_har

ALICE = Identity("alice", method="api_key", groups=("eng",))
BOB = Identity("bob", method="api_key", groups=("sales",))
AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def finding(category: Category, rule_id: str, kind: str = "prompt") -> Finding:
    return Finding("test", category, 0.9, Severity.HIGH, rule_id=rule_id, kind=kind)


def exchange(
    upstream: str = "https://api.openai.com",
    path: str = "/v1/chat/completions",
    body: Any = None,
    *,
    identity: Identity = ALICE,
    route: str = "openai",
    kind: str = "openai",
    meta: dict[str, Any] | None = None,
    answer: bytes = b"",
    findings: tuple[Finding, ...] = (),
    reached: bool = True,
    started: datetime = AT,
) -> Exchange:
    if body is None:
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    host = upstream.split("://", 1)[1]
    metadata: dict[str, Any] = {
        "route": route,
        "provider": kind,
        "model": body.get("model") if isinstance(body, dict) else None,
        "operation": "chat",
        "usage": {"input": 10, "output": 2},
    }
    if reached:
        metadata["upstream_status"] = 200
    metadata.update(meta or {})
    return Exchange(
        request=HttpRequest(
            "POST",
            upstream + path,
            (("host", host), ("authorization", "Bearer [REDACTED]")),
            json.dumps(body).encode(),
        ),
        response=HttpResponse(200 if reached else 403, (), answer),
        identity=identity,
        metadata=metadata,
        findings=findings,
        started_at=started,
    )


def test_one_openai_call() -> None:
    catalogue = Catalogue()
    entry = catalogue.observe_exchange(
        exchange(
            meta={"answer_model": "gpt-4o-2024-08-06"},
            findings=(
                finding(Category.PII, "pii.email"),
                finding(Category.PII, "pii.email"),  # one call carrying it twice counts once
                finding(Category.SECRET, "secret.openai_key", "output"),
                finding(Category.PROMPT_INJECTION, "inj.override"),
            ),
        )
    )
    assert entry is not None
    assert (entry.key, entry.provider, entry.deployment, entry.hosting) == (
        "openai|gpt-4o",
        "openai",
        "external",
        "external",
    )
    assert list(entry.endpoints) == ["https://api.openai.com"]
    assert entry.endpoints["https://api.openai.com"].kinds.to_dict() == {"openai.chat": 1}
    assert entry.endpoints["https://api.openai.com"].authenticated is True
    assert entry.version == "gpt-4o-2024-08-06"
    assert entry.callers.to_dict() == {"alice": 1}
    assert entry.applications.to_dict() == {"openai": 1}
    assert (entry.calls, entry.blocked, entry.input_tokens, entry.output_tokens) == (1, 0, 10, 2)
    assert entry.data_in.to_dict() == {"pii.email": 1}
    assert entry.data_out.to_dict() == {"secret.openai_key": 1}
    assert entry.detections.to_dict() == {"prompt_injection": 1}
    assert entry.first_seen == entry.last_seen == AT.timestamp()
    assert entry.sources == {"traffic"}
    assert entry.approved is None


def test_calls_accumulate_on_one_entry() -> None:
    catalogue = Catalogue()
    later = datetime(2025, 2, 1, tzinfo=UTC)
    catalogue.observe_exchange(exchange())
    catalogue.observe_exchange(exchange(identity=BOB, started=later))
    catalogue.observe_exchange(exchange(identity=BOB, reached=False))
    (entry,) = catalogue.entries()
    assert entry.calls == 3
    assert entry.blocked == 1
    assert entry.callers.to_dict() == {"bob": 2, "alice": 1}
    assert entry.caller_count == 2
    assert (entry.first_seen, entry.last_seen) == (AT.timestamp(), later.timestamp())


@pytest.mark.parametrize(
    "ex",
    [
        exchange(path="/v1/models", body={}, meta={"model": None, "operation": None}),
        exchange(
            upstream="https://shop.example.com",
            path="/api/orders",
            body={"sku": 1},
            kind="http",
            meta={"operation": "http"},
        ),
    ],
)
def test_calls_that_are_not_model_calls_are_ignored(ex: Exchange) -> None:
    catalogue = Catalogue()
    assert catalogue.observe_exchange(ex) is None
    assert len(catalogue) == 0


def test_http_route_calls_are_recognised_by_their_wire_format() -> None:
    body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    answer = b'{"usage": {"inputTokens": 5, "outputTokens": 1}}'
    entry = Catalogue().observe_exchange(
        exchange(
            "https://bedrock-runtime.eu-west-1.amazonaws.com",
            "/model/eu.anthropic.claude-3-haiku-20240307-v1:0/converse",
            body,
            kind="http",
            meta={"operation": "http", "usage": None},
            answer=answer,
        )
    )
    assert entry is not None
    assert entry.key == "aws-bedrock|claude-3-haiku-20240307"
    assert entry.vendor == "anthropic"
    assert (entry.input_tokens, entry.output_tokens) == (5, 1)
    assert entry.operations.to_dict() == {"converse": 1}


def test_unauthenticated_refusals_and_tool_servers_are_not_models() -> None:
    catalogue = Catalogue()
    refused = exchange(identity=ANONYMOUS, reached=False)
    refused = Exchange(
        request=refused.request,
        response=HttpResponse(401),
        identity=ANONYMOUS,
        metadata=refused.metadata,
    )
    assert catalogue.observe_exchange(refused) is None
    mcp = exchange(
        "https://tools.example.com",
        "/mcp",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        kind="http",
        meta={"operation": "http"},
    )
    assert catalogue.observe_exchange(mcp) is None
    assert len(catalogue) == 0


def test_anonymous_callers_are_counted_as_anonymous() -> None:
    entry = Catalogue().observe_exchange(exchange(identity=ANONYMOUS))
    assert entry is not None
    assert entry.callers.to_dict() == {"anonymous": 1}


def test_internal_domain_configuration() -> None:
    ex = exchange(
        "http://llm.corp.example:8000",
        body={"model": "acme-v2", "messages": [{"role": "user", "content": "x"}]},
        kind="openai-compatible",
    )
    assert Catalogue().observe_exchange(ex).deployment == "external"  # type: ignore[union-attr]
    inside = Catalogue(network=NetworkRules.of(["corp.example"])).observe_exchange(ex)
    assert inside is not None
    assert (inside.provider, inside.deployment, inside.hosting) == (
        "openai-compatible",
        "internal",
        "internal",
    )


def test_open_weights_on_a_saas_host_stay_open_source() -> None:
    body = {"model": "llama-3.1-70b-versatile", "messages": [{"role": "user", "content": "x"}]}
    entry = Catalogue().observe_exchange(
        exchange("https://api.groq.com", "/openai/v1/chat/completions", body)
    )
    assert entry is not None
    assert (entry.provider, entry.deployment, entry.hosting) == ("groq", "open_source", "external")


# -- code and traffic, one entry ---------------------------------------------------------------


def ref(
    model_id: str,
    provider: str,
    family: str,
    open_weights: bool | None,
    via: str | None = None,
    path: str = "app/main.py",
    line: int = 3,
) -> ModelReference:
    return ModelReference(path, line, model_id, provider, family, open_weights, "code", via)


def report(*models: ModelReference, artefacts: tuple[Artefact, ...] = ()) -> ScanReport:
    return ScanReport(root="repo", models=list(models), artefacts=list(artefacts))


AZURE_CALL = exchange(
    "https://contoso.openai.azure.com",
    "/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01",
    {"model": "GPT-4o", "messages": [{"role": "user", "content": "x"}]},
    kind="openai-compatible",
)


@pytest.mark.parametrize("code_first", [True, False])
def test_code_and_traffic_for_one_model_are_one_entry(code_first: bool) -> None:
    catalogue = Catalogue()
    scan = report(ref("openai/gpt-4o", "openai", "gpt", False))
    if code_first:
        catalogue.add_scan(scan)
        catalogue.observe_exchange(AZURE_CALL)
    else:
        catalogue.observe_exchange(AZURE_CALL)
        catalogue.add_scan(scan)
    (entry,) = catalogue.entries()
    assert entry.key == "azure-openai|gpt-4o"
    assert not entry.inferred_provider
    assert entry.sources == {"code", "traffic"}
    assert entry.code_locations == ["app/main.py:3"]
    assert entry.applications.to_dict() == {"openai": 1, "app": 1}
    assert entry.requested.to_dict() == {"GPT-4o": 1, "openai/gpt-4o": 1}
    assert entry.calls == 1
    assert catalogue.get("openai|gpt-4o") is None


def test_bedrock_ids_in_code_meet_bedrock_traffic() -> None:
    catalogue = Catalogue()
    catalogue.add_scan(
        report(
            ref("anthropic.claude-3-haiku-20240307-v1:0", "anthropic", "claude", False, "bedrock"),
            ref("claude-3-haiku-20240307", "anthropic", "claude", False, line=9),
        )
    )
    catalogue.observe_exchange(
        exchange(
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            "/model/us.anthropic.claude-3-haiku-20240307-v1:0/converse",
            {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
            kind="http",
            meta={"operation": "http"},
        )
    )
    (entry,) = catalogue.entries()
    assert entry.key == "aws-bedrock|claude-3-haiku-20240307"
    assert entry.code_locations == ["app/main.py:3", "app/main.py:9"]
    assert entry.sources == {"code", "traffic"}


def test_a_hosting_convention_in_code_names_the_provider() -> None:
    catalogue = Catalogue()
    catalogue.add_scan(report(ref("llama3.1:8b", "meta", "llama", True, "ollama")))
    catalogue.observe_exchange(
        exchange(
            "https://api.groq.com",
            "/openai/v1/chat/completions",
            {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "x"}]},
        )
    )
    assert {e.key for e in catalogue.entries()} == {"ollama|llama3.1:8b", "groq|llama3.1:8b"}
    assert catalogue.get("ollama|llama3.1:8b").deployment == "open_source"  # type: ignore[union-attr]


def test_model_files_are_entries_with_their_hashes() -> None:
    evil = Artefact(
        "models/evil.pkl",
        "pickle",
        109,
        "ab" * 32,
        {"globals": ["posix.system"]},
        ("posix.system",),
        "critical",
    )
    gguf = Artefact(
        "models/tiny.gguf",
        "gguf",
        587,
        "cd" * 32,
        {
            "architecture": "llama",
            "basename": "Llama-3.2-1B",
            "file_type": "Q4_K_M",
            "metadata": {"llama.context_length": 4096},
        },
    )
    catalogue = Catalogue()
    catalogue.add_scan(report(artefacts=(evil, gguf)))
    entries = {e.key: e for e in catalogue.entries()}
    assert set(entries) == {f"{ARTEFACT_PROVIDER}|evil", f"{ARTEFACT_PROVIDER}|llama-3.2-1b"}
    bad = entries[f"{ARTEFACT_PROVIDER}|evil"].artefacts[0]
    assert bad.dangerous
    assert bad.unsafe_globals == ("posix.system",)
    assert bad.sha256 == "ab" * 32
    llama = entries[f"{ARTEFACT_PROVIDER}|llama-3.2-1b"]
    assert llama.deployment == "open_source"
    assert llama.hosting == "internal"
    assert llama.artefacts[0].metadata == {
        "architecture": "llama",
        "basename": "Llama-3.2-1B",
        "file_type": "Q4_K_M",
        "context_length": 4096,
    }


def test_resolve_rules() -> None:
    served = ModelEntry.new("azure-openai", "gpt-4o")
    served.calls = 5
    other = ModelEntry.new("openai", "gpt-4o")
    guessed = ModelEntry.new("openai", "gpt-4o")
    guessed.inferred_provider = True
    assert resolve(guessed, [served]) is served
    assert resolve(guessed, [served, other]) is other  # the same key first
    groq = ModelEntry.new("groq", "gpt-4o")
    groq.calls = 1
    assert resolve(guessed, [groq, served]) is served  # else the one with most calls
    assert resolve(ModelEntry.new("groq", "gpt-4o"), [served]) is None
    assert resolve(ModelEntry.new("groq", "gpt-4o"), [guessed]) is guessed
    unnamed = ModelEntry.new("tgi", "", "http://a")
    assert resolve(ModelEntry.new("tgi", "", "http://b"), [unnamed]) is None
    assert resolve(ModelEntry.new("tgi", "", "http://a"), [unnamed]) is unnamed


# -- bounds, allowlist, other sources ----------------------------------------------------------


def test_memory_is_bounded() -> None:
    catalogue = Catalogue(max_entries=3)
    for i in range(5):
        catalogue.observe_exchange(
            exchange(body={"model": f"gpt-4o-{i}", "messages": [{"role": "user", "content": "x"}]})
        )
    assert len(catalogue) == 3
    assert catalogue.dropped == 2
    many = Catalogue()
    for i in range(500):
        many.observe_exchange(exchange(identity=Identity(f"user{i}", method="api_key")))
    (entry,) = many.entries()
    assert len(entry.callers) <= 100
    assert len(entry.summary()["callers"]) == 50
    assert entry.caller_count == 500 or 400 < entry.caller_count < 600


def test_unapproved_callers_are_recorded() -> None:
    allowlist = Allowlist.from_data([{"model": "gpt-4o", "groups": ["eng"]}])
    catalogue = Catalogue(allowlist=allowlist)
    catalogue.observe_exchange(exchange(identity=ALICE))
    catalogue.observe_exchange(exchange(identity=BOB))
    catalogue.observe_exchange(
        exchange(body={"model": "o3-mini", "messages": [{"role": "user", "content": "x"}]})
    )
    gpt4o = catalogue.get("openai|gpt-4o")
    assert gpt4o is not None
    assert gpt4o.approved is True
    assert gpt4o.unapproved_callers.to_dict() == {"bob": 1}
    assert gpt4o.shadow
    o3 = catalogue.get("openai|o3-mini")
    assert o3 is not None
    assert o3.approved is False
    assert o3.unapproved_callers.to_dict() == {"alice": 1}


def test_har_traffic_feeds_the_catalogue() -> None:
    entries = [
        {
            "startedDateTime": "2025-01-02T03:04:05Z",
            "request": {
                "method": "POST",
                "url": "https://api.cohere.com/v2/chat",
                "headers": [{"name": "Authorization", "value": "Bearer x"}],
                "postData": {
                    "mimeType": "application/json",
                    "text": json.dumps(
                        {"model": "command-r-plus", "messages": [{"role": "user", "content": "hi"}]}
                    ),
                },
            },
            "response": {
                "status": 200,
                "headers": [],
                "content": {
                    "mimeType": "application/json",
                    "text": json.dumps(
                        {
                            "message": {},
                            "usage": {"tokens": {"input_tokens": 4, "output_tokens": 2}},
                        }
                    ),
                },
            },
        },
        {
            "request": {"method": "GET", "url": "https://shop.example.com/", "headers": []},
            "response": {"status": 200, "headers": [], "content": {}},
        },
    ]
    har = json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()
    catalogue = Catalogue()
    seen = [catalogue.observe(obs, identity="svc-support") for obs in read_har(io.BytesIO(har))]
    assert seen[1] is None
    (entry,) = catalogue.entries()
    assert entry.key == "cohere|command-r-plus"
    assert (entry.input_tokens, entry.output_tokens) == (4, 2)
    assert entry.callers.to_dict() == {"svc-support": 1}
    assert entry.first_seen == AT.timestamp()


def test_round_trip_and_drain() -> None:
    catalogue = Catalogue(allowlist=Allowlist.from_data([{"model": "gpt-4o"}]))
    catalogue.observe_exchange(exchange(findings=(finding(Category.PII, "pii.email"),)))
    catalogue.add_scan(report(ref("gpt-4o", "openai", "gpt", False)))
    (entry,) = catalogue.entries()
    restored = ModelEntry.from_dict(json.loads(json.dumps(entry.to_dict())))
    assert restored.to_dict() == entry.to_dict()
    assert "caller_sketch" not in entry.summary()
    drained = catalogue.drain()
    assert len(catalogue) == 0
    assert len(drained) == 1
    catalogue.merge(drained)
    assert catalogue.entries()[0].calls == 1


@pytest.mark.parametrize(
    ("body", "facts"),
    [
        (
            b'{"model": "gpt-4o-2024-08-06", "usage": {"prompt_tokens": 3, "completion_tokens": 1}}',
            ("gpt-4o-2024-08-06", 3, 1),
        ),
        (
            b'{"model": "claude-3", "usage": {"input_tokens": 4, "output_tokens": 2}}',
            ("claude-3", 4, 2),
        ),
        (
            b'{"modelVersion": "gemini-2.0-flash-001", "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 3}}',
            ("gemini-2.0-flash-001", 6, 3),
        ),
        (
            b'{"model": "llama3.1:8b", "prompt_eval_count": 9, "eval_count": 5}',
            ("llama3.1:8b", 9, 5),
        ),
        (b'{"meta": {"billed_units": {"input_tokens": 2, "output_tokens": 1}}}', (None, 2, 1)),
        (b'{"usage": {"prompt_tokens": -3}}', (None, None, None)),
        (b"data: {}\n\n", (None, None, None)),
        (b"[1, 2]", (None, None, None)),
        (b"{not json", (None, None, None)),
    ],
)
def test_answer_facts(body: bytes, facts: tuple[str | None, int | None, int | None]) -> None:
    assert answer_facts(body) == facts


@given(st.binary(max_size=300), st.text(max_size=40))
def test_any_body_and_model_name_is_observed_without_error(body: bytes, model: str) -> None:
    ex = Exchange(
        request=HttpRequest(
            "POST",
            "https://api.openai.com/v1/chat/completions",
            (("host", "api.openai.com"),),
            body,
        ),
        response=HttpResponse(200, (), body),
        identity=ALICE,
        metadata={
            "provider": "openai",
            "model": model or None,
            "operation": "chat",
            "usage": "junk",
        },
    )
    entry = Catalogue().observe_exchange(ex)
    assert entry is None or entry.calls == 1
