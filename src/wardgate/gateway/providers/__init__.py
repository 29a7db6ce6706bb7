"""Provider adapters by name: the route's ``provider`` value in the gateway configuration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from wardgate.gateway.providers.anthropic import AnthropicAdapter
from wardgate.gateway.providers.base import ProviderAdapter
from wardgate.gateway.providers.gemini import GeminiAdapter
from wardgate.gateway.providers.http import HttpAdapter
from wardgate.gateway.providers.ollama import OllamaAdapter
from wardgate.gateway.providers.openai import OpenAIAdapter, OpenAICompatibleAdapter

AdapterFactory = Callable[[], ProviderAdapter]

_FACTORIES: dict[str, AdapterFactory] = {
    "openai": OpenAIAdapter,
    "openai-compatible": OpenAICompatibleAdapter,
    "anthropic": AnthropicAdapter,
    "gemini": GeminiAdapter,
    "ollama": OllamaAdapter,
    "http": HttpAdapter,
}
ADAPTERS: Mapping[str, AdapterFactory] = MappingProxyType(_FACTORIES)
"""Provider name -> adapter factory (each adapter class is its own factory)."""


def adapter_for(name: str) -> ProviderAdapter:
    """A new adapter for the provider ``name``; KeyError naming the known providers otherwise."""
    try:
        factory = ADAPTERS[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}; known: {', '.join(sorted(ADAPTERS))}") from None
    return factory()


__all__ = ["ADAPTERS", "AdapterFactory", "adapter_for"]
