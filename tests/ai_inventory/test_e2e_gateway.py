"""Acceptance: AI traffic replayed through the real gateway fills the catalogue, and the rendered
allowlist, enforced by the gateway's Cedar authoriser, refuses shadow AI.

A real gateway on a real socket; its routes point at the real provider host names
(``api.openai.com``, ``contoso.openai.azure.com``, ``bedrock-runtime.us-east-1.amazonaws.com``...)
and at self-hosted servers (``gpu-box:11434``, ``vllm-0.ml.internal:8000``,
``llm.corp.example:8000`` under a configured internal domain), each reached through an in-process
httpx transport: the fake LLM for the OpenAI, Anthropic, Gemini and Ollama dialects, and the small
ASGI app below for Azure, Bedrock, Cohere, Mistral, vLLM and TGI. Everything the catalogue sees
comes from the gateway's own LOG phase.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from wardgate.ai_inventory.catalogue import Catalogue, ModelEntry
from wardgate.ai_inventory.consumer import AIInventoryConsumer
from wardgate.ai_inventory.deployment import NetworkRules
from wardgate.ai_inventory.policy import Allowlist, cedar_policy_for, route_facts
from wardgate.ai_inventory.store import AIInventoryStore
from wardgate.app import build_gateway
from wardgate.detect.scanner import Scanner
from wardgate.gateway.config import GatewayConfig
from wardgate.gateway.proxy import Gateway
from wardgate.policy.authz import DEFAULT_POLICY
from wardgate.storage.keys import KeyStore
from wardgate.testing.fake_llm import FakeLLM
from wardgate.testing.server import serve_in_thread

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

EMAIL = "maria.gonzalez@acme-corp.de"
CARD = "4539 1488 0343 6467"
# What each fake server answers a requested model with: the dated version behind an alias.
ANSWERED = {"gpt-4o": "gpt-4o-2024-08-06", "mistral-large-latest": "mistral-large-2411"}


class WireFakes:
    """Answers in the Azure/OpenAI-compatible, Bedrock Converse, Cohere v2 and TGI formats."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(body or b"{}")
        path: str = scope["path"]
        if path.endswith("/chat/completions"):
            deployment = (
                path.split("/deployments/")[1].split("/")[0] if "/deployments/" in path else None
            )
            requested = request.get("model") or deployment or "unknown"
            answer: Any = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": ANSWERED.get(requested, requested),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "fine"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8},
            }
        elif path.endswith("/converse"):
            answer = {
                "output": {"message": {"role": "assistant", "content": [{"text": "fine"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 5, "outputTokens": 1, "totalTokens": 6},
            }
        elif path.endswith("/v2/chat"):
            answer = {
                "id": "c1",
                "finish_reason": "COMPLETE",
                "message": {"role": "assistant", "content": [{"type": "text", "text": "fine"}]},
                "usage": {"tokens": {"input_tokens": 4, "output_tokens": 1}},
            }
        elif path.endswith("/generate"):
            answer = {"generated_text": "fine"}
        else:
            answer = {"error": "not found"}
        data = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200 if "error" not in answer else 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": data})


FAST = {"connect": 2, "read": 5, "client_body": 2}
ROUTES: tuple[tuple[str, str, str, str], ...] = (
    # name, upstream, gateway provider kind, which fake answers
    ("openai", "https://api.openai.com", "openai", "llm"),
    ("anthropic", "https://api.anthropic.com", "anthropic", "llm"),
    ("gemini", "https://generativelanguage.googleapis.com", "gemini", "llm"),
    ("ollama", "http://gpu-box:11434", "ollama", "llm"),
    ("azure", "https://contoso.openai.azure.com", "openai-compatible", "wire"),
    ("mistral", "https://api.mistral.ai", "openai-compatible", "wire"),
    ("vllm", "http://vllm-0.ml.internal:8000", "openai-compatible", "wire"),
    ("corp", "http://llm.corp.example:8000", "openai-compatible", "wire"),
    ("bedrock", "https://bedrock-runtime.us-east-1.amazonaws.com", "http", "wire"),
    ("cohere", "https://api.cohere.com", "http", "wire"),
    ("tgi", "http://tgi.ml.internal:8080", "http", "wire"),
)
NETWORK = NetworkRules.of(["corp.example"])


@dataclass
class Stack:
    url: str
    gateway: Gateway
    consumer: AIInventoryConsumer
    store: AIInventoryStore
    keys: dict[str, str]
    sent: int = 0

    def post(
        self, who: str, path: str, body: object, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        self.sent += 1
        return httpx.post(
            f"{self.url}{path}",
            json=body,
            headers={"authorization": f"Bearer {self.keys[who]}", **(headers or {})},
            timeout=10,
        )

    def settle(self) -> None:
        """Wait until the LOG phase has handed every exchange sent so far to the consumers."""
        deadline = time.monotonic() + 10
        while self.gateway.c.log_phase.delivered < self.sent:
            assert time.monotonic() < deadline, "the LOG phase did not deliver every exchange"
            time.sleep(0.01)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


def _stack(tmp: Path, scanner: Scanner, allowlist: Allowlist | None) -> Iterator[Stack]:
    config_data: dict[str, Any] = {
        "database": str(tmp / "wardgate.db"),
        "discovery": {"enabled": False},
        "audit": {"enabled": False},
        "limits": {"requests": {"requests": 10_000, "per_s": 60}},
        "routes": [
            {
                "name": name,
                "prefix": f"/{name}",
                "upstream": upstream,
                "provider": kind,
                "timeouts": FAST,
            }
            for name, upstream, kind, _ in ROUTES
        ],
    }
    if allowlist is not None:
        routes = GatewayConfig.model_validate(config_data).routes
        config_data["policy"] = DEFAULT_POLICY + cedar_policy_for(
            allowlist, route_facts(routes, NETWORK)
        )
    config = GatewayConfig.model_validate(config_data)
    keystore = KeyStore.open(Path(config.database))
    keys = {
        "alice": keystore.create("alice", groups=("eng",))[1],
        "bob": keystore.create("bob", groups=("sales",))[1],
    }
    fakes = {
        "llm": httpx.ASGITransport(app=FakeLLM()),
        "wire": httpx.ASGITransport(app=WireFakes()),
    }
    transports = {name: fakes[fake] for name, _, _, fake in ROUTES}
    gateway = build_gateway(config, scanner=scanner, transports=transports)
    store = AIInventoryStore.open(tmp / "catalogue.db")
    consumer = AIInventoryConsumer(
        Catalogue(allowlist=allowlist, network=NETWORK), store, flush_s=0.0
    )
    gateway.c.log_phase.add_consumer(consumer)
    with serve_in_thread(gateway) as running:
        yield Stack(running.url, gateway, consumer, store, keys)
    store.close()


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory, scanner: Scanner) -> Iterator[Stack]:
    yield from _stack(tmp_path_factory.mktemp("ai-traffic"), scanner, None)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, scanner: Scanner) -> Iterator[Stack]:
    allowlist = Allowlist.from_data(
        [
            {"provider": "openai", "model": "gpt-4o-mini"},
            {"provider": "anthropic", "model": "claude-*", "groups": ["eng"]},
        ]
    )
    yield from _stack(tmp_path_factory.mktemp("ai-shadow"), scanner, allowlist)


def chat(model: str, text: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def replay(st: Stack) -> None:
    """Calls in ten providers' wire formats from two identities, some prompts carrying PII."""
    ok = []
    ok.append(st.post("alice", "/openai/v1/chat/completions", chat("gpt-4o-mini", f"mail {EMAIL}")))
    ok.append(st.post("bob", "/openai/v1/chat/completions", chat("gpt-4o-mini", "hello there")))
    ok.append(
        st.post(
            "alice", "/openai/v1/embeddings", {"model": "text-embedding-3-small", "input": "hi"}
        )
    )
    ok.append(
        st.post(
            "bob",
            "/anthropic/v1/messages",
            {**chat("claude-3-5-haiku-20241022", f"card {CARD}"), "max_tokens": 20},
            {"anthropic-version": "2023-06-01"},
        )
    )
    ok.append(
        st.post(
            "alice",
            "/gemini/v1beta/models/gemini-2.0-flash:generateContent",
            {"contents": [{"role": "user", "parts": [{"text": "capital of France?"}]}]},
        )
    )
    ok.append(st.post("alice", "/ollama/api/chat", {**chat("llama3.1:8b", "hi"), "stream": False}))
    ok.append(
        st.post(
            "bob",
            "/azure/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01",
            {"messages": [{"role": "user", "content": f"reach me at {EMAIL}"}]},
        )
    )
    ok.append(st.post("alice", "/mistral/v1/chat/completions", chat("mistral-large-latest", "hi")))
    ok.append(
        st.post(
            "bob",
            "/vllm/v1/chat/completions",
            chat("Qwen/Qwen2.5-7B-Instruct", "summarise"),
        )
    )
    ok.append(st.post("alice", "/corp/v1/chat/completions", chat("acme-support-v2", "help")))
    ok.append(
        st.post(
            "alice",
            "/bedrock/model/anthropic.claude-3-5-sonnet-20241022-v2:0/converse",
            {"messages": [{"role": "user", "content": [{"text": "hello"}]}]},
        )
    )
    ok.append(
        st.post(
            "bob",
            "/cohere/v2/chat",
            {"model": "command-r-plus", "messages": [{"role": "user", "content": "hi"}]},
        )
    )
    ok.append(
        st.post(
            "bob",
            "/tgi/generate",
            {"inputs": "Once upon a time", "parameters": {"max_new_tokens": 5}},
        )
    )
    assert [r.status_code for r in ok] == [200] * len(ok), [
        r.text for r in ok if r.status_code != 200
    ]
    st.settle()


def stored(st: Stack) -> dict[str, ModelEntry]:
    return {e.key: e for e in st.store.load()}


EXPECTED = (
    # key, deployment, hosting, callers, wire kind
    ("openai|gpt-4o-mini", "external", "external", {"alice": 1, "bob": 1}, "openai.chat"),
    ("openai|text-embedding-3-small", "external", "external", {"alice": 1}, "openai.embeddings"),
    (
        "anthropic|claude-3-5-haiku-20241022",
        "external",
        "external",
        {"bob": 1},
        "anthropic.messages",
    ),
    ("google|gemini-2.0-flash", "external", "external", {"alice": 1}, "gemini.generate"),
    ("ollama|llama3.1:8b", "open_source", "internal", {"alice": 1}, "ollama.chat"),
    ("azure-openai|gpt-4o", "external", "external", {"bob": 1}, "openai.chat"),
    ("mistral|mistral-large-latest", "external", "external", {"alice": 1}, "openai.chat"),
    ("vllm|qwen/qwen2.5-7b-instruct", "open_source", "internal", {"bob": 1}, "openai.chat"),
    ("openai-compatible|acme-support-v2", "internal", "internal", {"alice": 1}, "openai.chat"),
    (
        "aws-bedrock|claude-3-5-sonnet-20241022",
        "external",
        "external",
        {"alice": 1},
        "bedrock.converse",
    ),
    ("cohere|command-r-plus", "external", "external", {"bob": 1}, "cohere.chat"),
    ("tgi|@http://tgi.ml.internal:8080", "internal", "internal", {"bob": 1}, "tgi.generate"),
)


def test_replayed_traffic_catalogues_every_model(traffic: Stack) -> None:
    replay(traffic)
    entries = stored(traffic)
    assert set(entries) == {key for key, *_ in EXPECTED}
    for key, deployment, hosting, callers, kind in EXPECTED:
        entry = entries[key]
        assert (entry.deployment, entry.hosting) == (deployment, hosting), key
        assert entry.callers.to_dict() == callers, key
        assert entry.caller_count == len(callers), key
        assert entry.sources == {"traffic"}, key
        assert entry.calls == sum(callers.values()), key
        assert [k for stats in entry.endpoints.values() for k, _ in stats.kinds.items()] == [kind]
        assert entry.approved is None
        assert not entry.shadow
    assert len({kind for *_, kind in EXPECTED}) >= 8


def test_endpoints_versions_routes_and_tokens(traffic: Stack) -> None:
    entries = stored(traffic)
    azure = entries["azure-openai|gpt-4o"]
    assert list(azure.endpoints) == ["https://contoso.openai.azure.com"]
    assert azure.requested.to_dict() == {"gpt-4o": 1}
    assert azure.version == "gpt-4o-2024-08-06"  # requested the alias, answered a version
    assert entries["mistral|mistral-large-latest"].version == "mistral-large-2411"
    assert entries["ollama|llama3.1:8b"].applications.to_dict() == {"ollama": 1}
    assert list(entries["ollama|llama3.1:8b"].endpoints) == ["http://gpu-box:11434"]
    bedrock = entries["aws-bedrock|claude-3-5-sonnet-20241022"]
    assert bedrock.requested.to_dict() == {"anthropic.claude-3-5-sonnet-20241022-v2:0": 1}
    assert bedrock.vendor == "anthropic"
    # Parsed answers give tokens (plain HTTP routes stream answers through, unkept).
    assert (azure.input_tokens, azure.output_tokens) == (7, 1)
    assert entries["openai|gpt-4o-mini"].input_tokens > 0
    assert all(stats.authenticated for e in entries.values() for stats in e.endpoints.values())


def test_data_classes_seen_in_prompts(traffic: Stack) -> None:
    entries = stored(traffic)
    assert entries["openai|gpt-4o-mini"].data_in.to_dict() == {"pii.email": 1}
    assert entries["azure-openai|gpt-4o"].data_in.to_dict() == {"pii.email": 1}
    assert entries["anthropic|claude-3-5-haiku-20241022"].data_in.to_dict() == {"pii.card": 1}
    assert not entries["cohere|command-r-plus"].data_in.to_dict()
    assert not any(e.data_out.to_dict() for e in entries.values())


def test_store_filters_what_the_gateway_saved(traffic: Stack) -> None:
    internal = {e.key for e in traffic.store.list(deployment="internal")}
    assert internal == {"openai-compatible|acme-support-v2", "tgi|@http://tgi.ml.internal:8080"}
    assert {e.key for e in traffic.store.list(deployment="open_source")} == {
        "ollama|llama3.1:8b",
        "vllm|qwen/qwen2.5-7b-instruct",
    }
    assert [e.model for e in traffic.store.list(provider="openai")] != []
    assert traffic.store.count(provider="openai") == 2


# -- shadow AI ----------------------------------------------------------------------------------


def test_shadow_ai_is_flagged_and_refused_by_the_rendered_cedar_policy(guarded: Stack) -> None:
    approved = guarded.post("bob", "/openai/v1/chat/completions", chat("gpt-4o-mini", "hi"))
    assert approved.status_code == 200, approved.text
    shadow = guarded.post("alice", "/openai/v1/chat/completions", chat("gpt-4o", "hi"))
    assert shadow.status_code == 403, shadow.text
    claude = {**chat("claude-3-5-haiku-20241022", "hi"), "max_tokens": 20}
    headers = {"anthropic-version": "2023-06-01"}
    assert guarded.post("alice", "/anthropic/v1/messages", claude, headers).status_code == 200
    assert guarded.post("bob", "/anthropic/v1/messages", claude, headers).status_code == 403
    guarded.settle()
    entries = stored(guarded)
    gpt4o = entries["openai|gpt-4o"]
    assert gpt4o.approved is False
    assert gpt4o.shadow
    assert gpt4o.unapproved_callers.to_dict() == {"alice": 1}
    assert gpt4o.blocked == 1  # refused before the provider saw it
    haiku = entries["anthropic|claude-3-5-haiku-20241022"]
    assert haiku.approved is True
    assert haiku.shadow
    assert haiku.unapproved_callers.to_dict() == {"bob": 1}
    mini = entries["openai|gpt-4o-mini"]
    assert mini.approved is True
    assert not mini.shadow
    assert {e.key for e in guarded.store.list(unapproved=True)} == {
        "openai|gpt-4o",
        "anthropic|claude-3-5-haiku-20241022",
    }
