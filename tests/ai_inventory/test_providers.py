from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.ai_inventory.providers import (
    PROVIDER_HOSTS,
    identify_provider,
    provider_for_host,
    split_host,
)


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("api.openai.com", "openai"),
        ("API.OpenAI.com:443", "openai"),
        ("contoso.openai.azure.com", "azure-openai"),
        ("contoso.cognitiveservices.azure.com", "azure-openai"),
        ("models.inference.ai.azure.com", "github-models"),
        ("api.anthropic.com", "anthropic"),
        ("generativelanguage.googleapis.com", "google"),
        ("us-central1-aiplatform.googleapis.com", "google"),
        ("aiplatform.googleapis.com", "google"),
        ("bedrock-runtime.us-east-1.amazonaws.com", "aws-bedrock"),
        ("bedrock-runtime-fips.us-gov-west-1.amazonaws.com", "aws-bedrock"),
        ("api.cohere.com", "cohere"),
        ("api.cohere.ai", "cohere"),
        ("api.mistral.ai", "mistral"),
        ("api-inference.huggingface.co", "huggingface"),
        ("router.huggingface.co", "huggingface"),
        ("someone-demo.hf.space", "huggingface"),
        ("api.groq.com", "groq"),
        ("api.together.xyz", "together"),
        ("api.deepseek.com", "deepseek"),
        ("openrouter.ai", "openrouter"),
    ],
)
def test_provider_hosts(host: str, provider: str) -> None:
    assert provider_for_host(host) == provider
    assert identify_provider(host, wire="openai.chat") == provider


@pytest.mark.parametrize(
    "host",
    ["api.openai.com.evil.io", "openai.azure.com.attacker.net", "s3.us-east-1.amazonaws.com", ""],
)
def test_lookalike_hosts_are_not_providers(host: str) -> None:
    assert provider_for_host(host) is None


@pytest.mark.parametrize(
    ("host", "wire", "hint", "internal", "provider"),
    [
        ("gpu-box:11434", "openai.chat", None, True, "ollama"),  # Ollama's port
        ("10.0.0.7:8000", "ollama.chat", "ollama", True, "ollama"),
        ("10.0.0.7:8080", "tgi.generate", "tgi", True, "tgi"),
        ("10.0.0.7:8000", "vllm.generate", "vllm", True, "vllm"),
        ("10.0.0.7:8000", "openai.chat", "vllm", True, "vllm"),  # vLLM-only body fields
        ("vllm-0.ml.internal:8000", "openai.chat", None, True, "vllm"),
        ("litellm-proxy:4000", "openai.chat", None, True, "litellm"),
        ("llm.corp.example", "openai.chat", None, True, "openai-compatible"),
        ("llm.corp.example", "anthropic.messages", None, True, "anthropic-compatible"),
        ("gateway.example.com", "openai.chat", "azure", False, "azure-openai"),
        ("proxy.example.com", "bedrock.converse", "aws", False, "aws-bedrock"),
        ("proxy.example.com", "gemini.generate", None, False, "google"),
        (
            "vllm.example.com",
            "openai.chat",
            None,
            False,
            "openai-compatible",
        ),  # public: no name guess
        ("proxy.example.com", None, None, False, "unknown"),
    ],
)
def test_self_hosted_and_proxied(
    host: str, wire: str | None, hint: str | None, internal: bool, provider: str
) -> None:
    assert identify_provider(host, wire=wire, hint=hint, internal=internal) == provider


@pytest.mark.parametrize(
    ("via", "vendor", "provider"),
    [
        ("bedrock", "anthropic", "aws-bedrock"),
        ("ollama", "meta", "ollama"),
        ("huggingface", "alibaba", "huggingface"),
        (None, "openai", "openai"),
        (None, None, "unknown"),
    ],
)
def test_code_has_no_host(via: str | None, vendor: str | None, provider: str) -> None:
    assert identify_provider("", via=via, vendor=vendor) == provider


@pytest.mark.parametrize(
    ("host", "name", "port"),
    [
        ("api.openai.com", "api.openai.com", None),
        ("API.openai.com.:443", "api.openai.com", 443),
        ("[::1]:11434", "::1", 11434),
        ("[fd00::1]", "fd00::1", None),
        ("fd00::1", "fd00::1", None),
        ("gpu-box:11434", "gpu-box", 11434),
    ],
)
def test_split_host(host: str, name: str, port: int | None) -> None:
    assert split_host(host) == (name, port)


def test_host_rules_are_lower_case_globs() -> None:
    assert all(r.pattern == r.pattern.lower() and r.provider for r in PROVIDER_HOSTS)


@given(st.text(max_size=80))
def test_any_host_text_is_classified_without_error(host: str) -> None:
    assert isinstance(identify_provider(host, wire="openai.chat"), str)
