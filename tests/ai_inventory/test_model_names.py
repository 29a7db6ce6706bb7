from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.ai_inventory.model_names import model_facts, normalise_model_id


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("gpt-4o", "gpt-4o"),
        ("  GPT-4o ", "gpt-4o"),
        ("openai/gpt-4o", "gpt-4o"),
        ("openrouter/anthropic/claude-3.5-sonnet", "claude-3.5-sonnet"),
        ("models/gemini-1.5-pro", "gemini-1.5-pro"),
        ("projects/p/locations/us/publishers/google/models/gemini-1.5-pro", "gemini-1.5-pro"),
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307"),
        ("meta.llama3-1-70b-instruct-v1:0", "llama3-1-70b-instruct"),
        ("amazon.titan-text-express-v1", "titan-text-express"),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "claude-3-5-sonnet-20240620",
        ),
        ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307"),
        ("llama3:latest", "llama3"),
        ("llama3.1:8b", "llama3.1:8b"),
        ("ollama_chat/llama3.1:8b", "llama3.1:8b"),
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/llama-3.1-8b-instruct"),
        ("https://huggingface.co/Qwen/Qwen2.5-7B", "qwen/qwen2.5-7b"),
        ("hf://Qwen/Qwen2.5-7B", "qwen/qwen2.5-7b"),
        ("my-company/finetune", "my-company/finetune"),  # unknown prefixes stay
        ("gpt-4o\x1b[31m", "gpt-4o[31m"),  # control characters dropped
        ("", ""),
        ("llama3:latest:latest", "llama3"),
        ("us.anthropic.us.anthropic.claude-3-v1:0", "claude-3"),
        ("openai/ models/gpt-4o", "gpt-4o"),
    ],
)
def test_normalise(raw: str, key: str) -> None:
    assert normalise_model_id(raw) == key


@pytest.mark.parametrize(
    ("raw", "vendor", "open_weights"),
    [
        ("gpt-4o", "openai", False),
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic", False),
        ("llama3.1:8b", "meta", True),
        ("meta.llama3-1-70b-instruct-v1:0", "meta", True),
        ("Qwen/Qwen2.5-7B-Instruct", "alibaba", True),
        ("gemma2:9b", "google", True),
        ("mixtral-8x7b", "mistral", True),
        ("mistral-large-latest", "mistral", None),
    ],
)
def test_model_facts_come_from_the_family_table(raw: str, vendor: str, open_weights: bool) -> None:
    facts = model_facts(raw)
    assert facts is not None
    assert (facts.provider, facts.open_weights) == (vendor, open_weights)


@pytest.mark.parametrize("raw", ["", "acme-support-v2", "hello world"])
def test_unknown_models_have_no_facts(raw: str) -> None:
    assert model_facts(raw) is None


@given(
    st.lists(
        st.sampled_from(
            ["openai/", "models/", "us.", "anthropic.", "gpt-4o", ":latest", "-v1:0", " ", "/", ":"]
        )
    ).map("".join)
    | st.text(max_size=200)
)
def test_normalising_is_idempotent_bounded_and_lower_case(raw: str) -> None:
    key = normalise_model_id(raw)
    assert normalise_model_id(key) == key
    assert len(key) <= 160
    assert key == key.lower() or not key.isascii()
    assert all(c.isprintable() for c in key)


@given(
    st.sampled_from(["openai/", "openrouter/openai/", "azure/", "OpenAI/"]),
    st.text("abc-4o", min_size=1),
)
def test_routing_prefixes_never_change_the_key(prefix: str, name: str) -> None:
    assert normalise_model_id(prefix + name) == normalise_model_id(name)
