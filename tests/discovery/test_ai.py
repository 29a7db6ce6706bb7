"""AI wire formats recognised by path and body shape, under any host and prefix; ordinary APIs not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.discovery.ai import KINDS, AIEndpoint, recognise
from wardgate.discovery.observation import MAX_BODY_BYTES, Observation, cut


def call(
    path: str,
    body: Any = None,
    *,
    host: str = "llm.internal.test",
    method: str = "POST",
    headers: tuple[tuple[str, str], ...] = (),
    query: tuple[tuple[str, str], ...] = (),
    raw: bytes | None = None,
) -> Observation:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    data, truncated = cut(data)
    return Observation(
        method=method,
        host=host,
        path=path,
        query=query,
        request_headers=(("content-type", "application/json"), *headers),
        request_body=data,
        request_truncated=truncated,
    )


CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Summarise this ticket."},
]

MUST_RECOGNISE: list[tuple[str, Observation, AIEndpoint]] = [
    (
        "openai chat",
        call(
            "/v1/chat/completions",
            {"model": "gpt-4o-mini", "messages": CHAT, "temperature": 0.2},
            host="api.openai.com",
        ),
        AIEndpoint("openai.chat", "gpt-4o-mini", "openai"),
    ),
    (
        "openai chat behind a gateway prefix, tool turn",
        call(
            "/llm/openai/v1/chat/completions",
            {
                "model": "gpt-4.1",
                "messages": [
                    *CHAT,
                    {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]},
                    {"role": "tool", "tool_call_id": "c1", "content": "42"},
                ],
                "stream": True,
            },
        ),
        AIEndpoint("openai.chat", "gpt-4.1"),
    ),
    (
        "azure openai deployment",
        call(
            "/openai/deployments/Prod-GPT4o/chat/completions",
            {"messages": CHAT},
            host="acme.openai.azure.com",
            query=(("api-version", "2024-06-01"),),
        ),
        AIEndpoint("openai.chat", "Prod-GPT4o", "azure"),
    ),
    (
        "vllm's openai server with guided decoding",
        call(
            "/v1/chat/completions",
            {
                "model": "meta-llama/Llama-3.1-8B-Instruct",
                "messages": CHAT,
                "guided_json": {"type": "object"},
            },
        ),
        AIEndpoint("openai.chat", "meta-llama/Llama-3.1-8B-Instruct", "vllm"),
    ),
    (
        "groq, openai-compatible",
        call(
            "/openai/v1/chat/completions",
            {"model": "llama-3.3-70b-versatile", "messages": CHAT},
            host="api.groq.com",
        ),
        AIEndpoint("openai.chat", "llama-3.3-70b-versatile", "groq"),
    ),
    (
        "openai legacy completions",
        call(
            "/v1/completions",
            {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "max_tokens": 5},
        ),
        AIEndpoint("openai.completions", "gpt-3.5-turbo-instruct"),
    ),
    (
        "openai responses",
        call(
            "/v1/responses",
            {
                "model": "o4-mini",
                "input": [{"role": "user", "content": "hi"}],
                "reasoning": {"effort": "low"},
            },
        ),
        AIEndpoint("openai.responses", "o4-mini"),
    ),
    (
        "openai embeddings",
        call("/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"]}),
        AIEndpoint("openai.embeddings", "text-embedding-3-small"),
    ),
    (
        "anthropic messages",
        call(
            "/v1/messages",
            {
                "model": "claude-sonnet-4-20250514",
                "max_tokens": 1024,
                "system": "Be brief.",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
            },
            host="api.anthropic.com",
            headers=(("anthropic-version", "2023-06-01"), ("x-api-key", "[REDACTED]")),
        ),
        AIEndpoint("anthropic.messages", "claude-sonnet-4-20250514", "anthropic"),
    ),
    (
        "anthropic messages through a proxy, no version header",
        call(
            "/proxy/anthropic/v1/messages",
            {
                "model": "claude-3-5-haiku-latest",
                "max_tokens": 256,
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "yo"},
                ],
            },
        ),
        AIEndpoint("anthropic.messages", "claude-3-5-haiku-latest"),
    ),
    (
        "claude on vertex",
        call(
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-3-5-sonnet-v2@20241022:streamRawPredict",
            {
                "anthropic_version": "vertex-2023-10-16",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "hi"}],
            },
            host="us-east5-aiplatform.googleapis.com",
        ),
        AIEndpoint("anthropic.messages", "claude-3-5-sonnet-v2@20241022", "vertex"),
    ),
    (
        "gemini generateContent",
        call(
            "/v1beta/models/gemini-2.0-flash:generateContent",
            {
                "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                "generationConfig": {"temperature": 0.1},
            },
            host="generativelanguage.googleapis.com",
        ),
        AIEndpoint("gemini.generate", "gemini-2.0-flash", "google"),
    ),
    (
        "gemini stream, percent-encoded colon",
        call(
            "/gemini/v1beta/models/gemini-1.5-pro%3AstreamGenerateContent",
            {"contents": [{"parts": [{"text": "hi"}]}]},
        ),
        AIEndpoint("gemini.generate", "gemini-1.5-pro"),
    ),
    (
        "gemini on vertex",
        call(
            "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent",
            {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        ),
        AIEndpoint("gemini.generate", "gemini-2.5-pro", "vertex"),
    ),
    (
        "gemini embed",
        call(
            "/v1beta/models/text-embedding-004:embedContent",
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "hi"}]}},
        ),
        AIEndpoint("gemini.embed", "text-embedding-004"),
    ),
    (
        "gemini batch embed",
        call("/v1beta/models/gemini-embedding-001:batchEmbedContents", {"requests": []}),
        AIEndpoint("gemini.embed", "gemini-embedding-001"),
    ),
    (
        "bedrock invoke, anthropic body, encoded model id",
        call(
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 200,
                "messages": [{"role": "user", "content": "hi"}],
            },
            host="bedrock-runtime.us-east-1.amazonaws.com",
        ),
        AIEndpoint("bedrock.invoke", "anthropic.claude-3-haiku-20240307-v1:0", "aws"),
    ),
    (
        "bedrock invoke-with-response-stream, titan body, sigv4 only",
        call(
            "/model/amazon.titan-text-express-v1/invoke-with-response-stream",
            {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 50}},
            host="vpce-123.example",
            headers=(("authorization", "AWS4-HMAC-SHA256 Credential=..."),),
        ),
        AIEndpoint("bedrock.invoke", "amazon.titan-text-express-v1", "aws"),
    ),
    (
        "bedrock converse, cross-region profile",
        call(
            "/model/us.meta.llama3-2-11b-instruct-v1:0/converse",
            {
                "messages": [{"role": "user", "content": [{"text": "hi"}]}],
                "inferenceConfig": {"maxTokens": 100},
            },
        ),
        AIEndpoint("bedrock.converse", "us.meta.llama3-2-11b-instruct-v1:0", "aws"),
    ),
    (
        "bedrock converse-stream",
        call(
            "/model/mistral.mistral-large-2402-v1:0/converse-stream",
            {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
            host="bedrock-runtime.eu-west-1.amazonaws.com",
        ),
        AIEndpoint("bedrock.converse", "mistral.mistral-large-2402-v1:0", "aws"),
    ),
    (
        "cohere v1 chat",
        call(
            "/v1/chat",
            {
                "message": "What is RAG?",
                "model": "command-r",
                "chat_history": [{"role": "USER", "message": "hi"}],
                "connectors": [{"id": "web-search"}],
            },
            host="api.cohere.com",
        ),
        AIEndpoint("cohere.chat", "command-r", "cohere"),
    ),
    (
        "cohere v2 chat",
        call("/v2/chat", {"model": "command-a-03-2025", "messages": CHAT, "documents": []}),
        AIEndpoint("cohere.chat", "command-a-03-2025", "cohere"),
    ),
    (
        "cohere v2 embed",
        call(
            "/v2/embed",
            {
                "model": "embed-v4.0",
                "texts": ["a"],
                "input_type": "search_document",
                "embedding_types": ["float"],
            },
        ),
        AIEndpoint("cohere.embed", "embed-v4.0", "cohere"),
    ),
    (
        "cohere v1 embed",
        call(
            "/v1/embed",
            {"texts": ["a", "b"], "model": "embed-english-v3.0", "input_type": "classification"},
        ),
        AIEndpoint("cohere.embed", "embed-english-v3.0", "cohere"),
    ),
    (
        "ollama chat",
        call(
            "/api/chat",
            {
                "model": "llama3.2",
                "messages": [{"role": "user", "content": "hi"}],
                "stream": False,
                "options": {"temperature": 0},
            },
            host="gpu-box:11434",
        ),
        AIEndpoint("ollama.chat", "llama3.2", "ollama"),
    ),
    (
        "ollama generate",
        call("/api/generate", {"model": "qwen2.5-coder:7b", "prompt": "def fib(n):", "raw": True}),
        AIEndpoint("ollama.generate", "qwen2.5-coder:7b", "ollama"),
    ),
    (
        "ollama embed",
        call("/ollama/api/embed", {"model": "nomic-embed-text", "input": ["a", "b"]}),
        AIEndpoint("ollama.embed", "nomic-embed-text", "ollama"),
    ),
    (
        "ollama legacy embeddings",
        call("/api/embeddings", {"model": "all-minilm", "prompt": "hello"}),
        AIEndpoint("ollama.embed", "all-minilm", "ollama"),
    ),
    (
        "tgi generate",
        call(
            "/generate",
            {
                "inputs": "What is Deep Learning?",
                "parameters": {"max_new_tokens": 20, "do_sample": True},
            },
        ),
        AIEndpoint("tgi.generate", None, "tgi"),
    ),
    (
        "tgi generate_stream, minimal",
        call("/tgi/generate_stream", {"inputs": "Hi"}),
        AIEndpoint("tgi.generate", None, "tgi"),
    ),
    (
        "vllm native generate",
        call(
            "/generate",
            {"prompt": "San Francisco is a", "max_tokens": 16, "temperature": 0.0, "stream": False},
        ),
        AIEndpoint("vllm.generate", None, "vllm"),
    ),
    (
        "mcp initialize",
        call(
            "/mcp",
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "claude-code", "version": "1.0"},
                },
            },
        ),
        AIEndpoint("mcp"),
    ),
    (
        "mcp tools/call at an odd path",
        call(
            "/internal/agents/tools",
            {
                "jsonrpc": "2.0",
                "id": 7,
                "method": "tools/call",
                "params": {"name": "search_tickets", "arguments": {"q": "x"}},
            },
        ),
        AIEndpoint("mcp"),
    ),
    (
        "mcp tools/list",
        call("/mcp", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        AIEndpoint("mcp"),
    ),
    (
        "mcp resources/read",
        call(
            "/sse/messages",
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "resources/read",
                "params": {"uri": "file:///etc/motd"},
            },
        ),
        AIEndpoint("mcp"),
    ),
    (
        "mcp prompts/get",
        call(
            "/mcp",
            {"jsonrpc": "2.0", "id": 4, "method": "prompts/get", "params": {"name": "review"}},
        ),
        AIEndpoint("mcp"),
    ),
    (
        "mcp notification in a batch",
        call("/mcp", [{"jsonrpc": "2.0", "method": "notifications/initialized"}]),
        AIEndpoint("mcp"),
    ),
    (
        "mcp ping with a session",
        call(
            "/mcp",
            {"jsonrpc": "2.0", "id": 9, "method": "ping"},
            headers=(("mcp-session-id", "abc"),),
        ),
        AIEndpoint("mcp"),
    ),
    # bodies cut at MAX_BODY_BYTES: the complete top-level members still speak
    (
        "long openai chat, body cut",
        call(
            "/v1/chat/completions",
            raw=b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "'
            + b"x" * MAX_BODY_BYTES
            + b'"}]}',
        ),
        AIEndpoint("openai.chat", "gpt-4o"),
    ),
    (
        "long anthropic request, body cut",
        call(
            "/v1/messages",
            headers=(("anthropic-version", "2023-06-01"),),
            raw=b'{"model": "claude-opus-4", "max_tokens": 4096, "messages": [{"role": "user", "content": "'
            + b"y" * MAX_BODY_BYTES
            + b'"}]}',
        ),
        AIEndpoint("anthropic.messages", "claude-opus-4"),
    ),
    # access logs carry no bodies: only paths nothing else uses
    (
        "access log: openai chat",
        call("/v1/chat/completions"),
        AIEndpoint("openai.chat"),
    ),
    (
        "access log: gemini",
        call("/v1beta/models/gemini-2.0-flash:streamGenerateContent"),
        AIEndpoint("gemini.generate", "gemini-2.0-flash"),
    ),
    (
        "access log: bedrock",
        call("/model/cohere.command-r-v1:0/invoke"),
        AIEndpoint("bedrock.invoke", "cohere.command-r-v1:0", "aws"),
    ),
    (
        "access log: anthropic with its version header",
        call("/v1/messages", headers=(("anthropic-version", "2023-06-01"),)),
        AIEndpoint("anthropic.messages"),
    ),
]


@pytest.mark.parametrize(
    ("name", "obs", "expected"), MUST_RECOGNISE, ids=[c[0] for c in MUST_RECOGNISE]
)
def test_must_recognise(name: str, obs: Observation, expected: AIEndpoint) -> None:
    assert recognise(obs) == expected


def test_every_kind_is_covered_by_the_table() -> None:
    assert {e.kind for _, _, e in MUST_RECOGNISE} == set(KINDS)


MUST_NOT: list[tuple[str, Observation]] = [
    (
        "a chat app's messages API",
        call("/v1/messages", {"messages": [{"role": "user", "content": "hi"}]}),
    ),
    (
        "messaging API with max_tokens-like fields",
        call("/api/v1/messages", {"to": "+6591234567", "body": "hi", "max_tokens": 3}),
    ),
    (
        "messages without roles",
        call("/v1/messages", {"model": "x", "max_tokens": 5, "messages": [{"text": "hi"}]}),
    ),
    (
        "anthropic shape but unknown role",
        call(
            "/v1/messages",
            {"model": "x", "max_tokens": 5, "messages": [{"role": "admin", "content": "hi"}]},
        ),
    ),
    ("support chat widget", call("/api/chat", {"message": "where is my order?", "session": "abc"})),
    (
        "chat app with messages and a model field, not Ollama's vocabulary",
        call(
            "/api/chat",
            {
                "model": "support-bot",
                "messages": [{"role": "user", "content": "hi"}],
                "room_id": 4,
                "user_id": 9,
                "attachments": [],
            },
        ),
    ),
    ("generic v1 chat", call("/v1/chat", {"message": "hello"})),
    ("v2 chat without cohere markers", call("/v2/chat", {"model": "gpt", "messages": CHAT})),
    ("embed without cohere markers", call("/v1/embed", {"texts": ["a"]})),
    ("chat completions with no messages", call("/v1/chat/completions", {"foo": 1})),
    (
        "chat completions with an empty list",
        call("/v1/chat/completions", {"model": "x", "messages": []}),
    ),
    ("completions without a prompt", call("/v1/completions", {"model": "x", "query": "hi"})),
    ("search completions", call("/search/completions", {"q": "pyth"})),
    (
        "an app's responses endpoint",
        call("/api/survey/responses", {"answers": [1, 2], "model": "form-3"}),
    ),
    ("embeddings without a model", call("/v1/embeddings", {"input": "x"})),
    (
        "GET of an AI path",
        call("/v1/chat/completions", {"model": "x", "messages": CHAT}, method="GET"),
    ),
    ("listing models", call("/v1beta/models/gemini-2.0-flash", method="GET")),
    ("gemini path, unrelated body", call("/v1beta/models/x:generateContent", {"prompt": "hi"})),
    ("gemini countTokens is no generation", call("/v1beta/models/gemini-2.0-flash:countTokens")),
    ("an ML service's invoke", call("/model/churn-v2/invoke", {"features": [1, 2, 3]})),
    (
        "bedrock-looking converse without markers",
        call("/model/my-model/converse", {"messages": CHAT}),
    ),
    (
        "image generation at /api/generate",
        call(
            "/api/generate",
            {"model": "sdxl", "prompt": "a cat", "width": 512, "height": 512, "steps": 30},
        ),
    ),
    ("report generation", call("/reports/generate", {"inputs": "Q3", "format": "pdf"})),
    (
        "generate with a prompt but no sampling",
        call("/generate", {"prompt": "a logo", "style": "flat"}),
    ),
    (
        "tgi-like with foreign parameters",
        call("/generate", {"inputs": "x", "parameters": {"a": 1, "b": 2}}),
    ),
    (
        "json-rpc that is not MCP",
        call("/rpc", {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}),
    ),
    (
        "json-rpc ping without MCP headers",
        call("/rpc", {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    ),
    (
        "LSP initialize",
        call(
            "/lsp",
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": 1, "rootUri": "file:///x", "capabilities": {}},
            },
        ),
    ),
    ("MCP method names without JSON-RPC", call("/mcp", {"method": "tools/list"})),
    ("not JSON", call("/v1/chat/completions", raw=b"model=gpt&messages=hi")),
    ("body is a list", call("/v1/chat/completions", [1, 2, 3])),
    ("access log: a generic path", call("/v1/messages")),
    ("access log: /api/chat", call("/api/chat")),
]


@pytest.mark.parametrize(("name", "obs"), MUST_NOT, ids=[c[0] for c in MUST_NOT])
def test_must_not_recognise(name: str, obs: Observation) -> None:
    assert recognise(obs) is None


def test_model_names_are_bounded() -> None:
    found = recognise(call("/v1/chat/completions", {"model": "m" * 10_000, "messages": CHAT}))
    assert found is not None
    assert found.model == "m" * 200


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "/v1/chat/completions",
            "/v1/messages",
            "/api/chat",
            "/generate",
            "/mcp",
            "/v1beta/models/g:generateContent",
            "/model/amazon.x/converse",
            "/v2/chat",
            "/v1/embed",
        ]
    ),
    st.binary(max_size=200) | st.none(),
    st.booleans(),
)
def test_never_raises(path: str, body: bytes | None, truncated: bool) -> None:
    obs = Observation("POST", "h", path, request_body=body, request_truncated=truncated)
    found = recognise(obs)
    assert found is None or found.kind in KINDS
