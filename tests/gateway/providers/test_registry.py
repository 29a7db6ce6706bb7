import pytest

from wardgate.gateway.providers import ADAPTERS, adapter_for
from wardgate.gateway.providers.gemini import GeminiAdapter
from wardgate.gateway.providers.http import HttpAdapter
from wardgate.gateway.providers.ollama import OllamaAdapter

NAMES = ["openai", "openai-compatible", "anthropic", "gemini", "ollama", "http"]


def test_every_provider_is_registered():
    assert sorted(ADAPTERS) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_adapter_for_returns_the_adapter_of_that_name(name):
    adapter = adapter_for(name)
    assert adapter.name == name
    assert adapter_for(name) is not adapter  # a fresh adapter each time


@pytest.mark.parametrize(
    ("name", "cls"), [("gemini", GeminiAdapter), ("ollama", OllamaAdapter), ("http", HttpAdapter)]
)
def test_classes(name, cls):
    assert isinstance(adapter_for(name), cls)


@pytest.mark.parametrize("name", ["OpenAI", "", "azure", "openai "])
def test_unknown_provider_names_the_known_ones(name):
    with pytest.raises(
        KeyError, match="known: anthropic, gemini, http, ollama, openai, openai-compatible"
    ):
        adapter_for(name)


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        ADAPTERS["evil"] = HttpAdapter  # type: ignore[index]
