"""Who serves a model call: the provider, from the host, the wire format and the model name.

The host decides first: ``api.openai.com`` is OpenAI whatever the body says. A self-hosted
inference server has no well-known host, so then the default port (Ollama's 11434), the wire
format's own dialect (Ollama's ``/api/chat``, TGI's ``inputs``/``parameters``, vLLM's
``/generate``), hints :func:`wardgate.discovery.ai.recognise` read from the path and body (Azure's
``/openai/deployments/``, vLLM's ``guided_json``), and a server name in an internal host name
(``vllm.ml.internal``, ``litellm-proxy``) decide, in that order. What is left speaks a
well-known format on an unknown host: ``openai-compatible`` or ``anthropic-compatible``.

Code names no host: there the model id's hosting convention (``bedrock``, ``ollama``,
``huggingface`` prefixes and tags) or else the model's vendor names the provider.

Every rule is a row in a table below; add a row to support a new provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Final


@dataclass(frozen=True, slots=True)
class HostRule:
    """Host names matching ``pattern`` (``fnmatch`` glob on the lower-cased name, no port) are
    served by ``provider``."""

    pattern: str
    provider: str


H = HostRule
PROVIDER_HOSTS: Final[tuple[HostRule, ...]] = (
    H("api.openai.com", "openai"),
    H("models.inference.ai.azure.com", "github-models"),
    H("models.github.ai", "github-models"),
    H("*.openai.azure.com", "azure-openai"),
    H("*.cognitiveservices.azure.com", "azure-openai"),
    H("*.services.ai.azure.com", "azure-ai"),
    H("*.models.ai.azure.com", "azure-ai"),
    H("*.inference.ai.azure.com", "azure-ai"),
    H("api.anthropic.com", "anthropic"),
    H("generativelanguage.googleapis.com", "google"),
    H("aiplatform.googleapis.com", "google"),
    H("*-aiplatform.googleapis.com", "google"),
    H("bedrock-runtime.*.amazonaws.com", "aws-bedrock"),
    H("bedrock-runtime-fips.*.amazonaws.com", "aws-bedrock"),
    H("bedrock-agent-runtime.*.amazonaws.com", "aws-bedrock"),
    H("runtime.sagemaker.*.amazonaws.com", "aws-sagemaker"),
    H("api.cohere.com", "cohere"),
    H("api.cohere.ai", "cohere"),
    H("api.mistral.ai", "mistral"),
    H("codestral.mistral.ai", "mistral"),
    H("api-inference.huggingface.co", "huggingface"),
    H("router.huggingface.co", "huggingface"),
    H("*.hf.space", "huggingface"),
    H("*.endpoints.huggingface.cloud", "huggingface"),
    H("api.groq.com", "groq"),
    H("api.together.xyz", "together"),
    H("api.together.ai", "together"),
    H("api.deepseek.com", "deepseek"),
    H("openrouter.ai", "openrouter"),
    H("api.fireworks.ai", "fireworks"),
    H("api.perplexity.ai", "perplexity"),
    H("api.x.ai", "xai"),
    H("api.replicate.com", "replicate"),
    H("api.deepinfra.com", "deepinfra"),
    H("api.cerebras.ai", "cerebras"),
    H("api.sambanova.ai", "sambanova"),
    H("integrate.api.nvidia.com", "nvidia-nim"),
    H("api.ai21.com", "ai21"),
    H("api.voyageai.com", "voyage"),
    H("api.moonshot.ai", "moonshot"),
    H("api.moonshot.cn", "moonshot"),
    H("dashscope.aliyuncs.com", "alibaba"),
    H("dashscope-intl.aliyuncs.com", "alibaba"),
    H("open.bigmodel.cn", "zhipu"),
    H("api.minimax.io", "minimax"),
    H("api.jina.ai", "jina"),
)
"""Hosts of AI providers reached over the internet."""

SERVER_PORTS: Final[dict[int, str]] = {11434: "ollama"}
"""Default ports only one inference server uses."""

WIRE_PROVIDERS: Final[dict[str, str]] = {
    "ollama": "ollama",
    "tgi": "tgi",
    "vllm": "vllm",
    "bedrock": "aws-bedrock",
    "cohere": "cohere",
    "gemini": "google",
}
"""Wire formats (the part of a :func:`~wardgate.discovery.ai.recognise` kind before the dot)
that only one provider or server speaks."""

HINT_PROVIDERS: Final[dict[str, str]] = {
    "azure": "azure-openai",
    "vertex": "google",
    "aws": "aws-bedrock",
    "vllm": "vllm",
    "tgi": "tgi",
    "ollama": "ollama",
}
"""``provider_hint`` values of :func:`~wardgate.discovery.ai.recognise` (path and body markers)
that name a provider; its host hints are covered by :data:`PROVIDER_HOSTS`."""

SERVER_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("ollama", "ollama"),
    ("vllm", "vllm"),
    ("text-generation-inference", "tgi"),
    ("tgi", "tgi"),
    ("litellm", "litellm"),
    ("llamacpp", "llama.cpp"),
    ("llama-cpp", "llama.cpp"),
    ("lmstudio", "lm-studio"),
    ("localai", "localai"),
    ("sglang", "sglang"),
    ("triton", "triton"),
    ("tabby", "tabby"),
)
"""Words in a self-hosted server's host name (``vllm-0.ml.svc``) that name the server."""

COMPATIBLE: Final[dict[str, str]] = {
    "openai": "openai-compatible",
    "anthropic": "anthropic-compatible",
    "mcp": "mcp",
}
"""Widely copied wire formats on a host nothing else identifies."""

VIA_PROVIDERS: Final[dict[str, str]] = {
    "bedrock": "aws-bedrock",
    "bedrock_converse": "aws-bedrock",
    "sagemaker": "aws-sagemaker",
    "azure": "azure-openai",
    "azure_ai": "azure-ai",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "gemini": "google",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "huggingface": "huggingface",
    "groq": "groq",
    "together_ai": "together",
    "together": "together",
    "openrouter": "openrouter",
    "fireworks_ai": "fireworks",
    "deepinfra": "deepinfra",
    "cerebras": "cerebras",
    "sambanova": "sambanova",
    "nvidia_nim": "nvidia-nim",
    "hosted_vllm": "vllm",
    "lm_studio": "lm-studio",
    "replicate": "replicate",
    "perplexity": "perplexity",
    "xai": "xai",
    "mistral": "mistral",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "anthropic": "anthropic",
    "openai": "openai",
}
"""Hosting conventions a model id shows in code (``bedrock/...``, ``ollama_chat/...``, an Ollama
tag, a Hugging Face organisation) -> the provider that serves it."""

UNKNOWN: Final = "unknown"


def split_host(host: str) -> tuple[str, int | None]:
    """``(name, port)`` of ``host`` (``name[:port]`` or ``[v6][:port]``), lower-cased."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":")
        return name, int(port) if port.isdigit() else None
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        return name.rstrip("."), int(port)
    return host, None


@lru_cache(
    maxsize=4096
)  # a pure function of a name traffic repeats: the LOG phase calls it per call
def provider_for_host(host: str) -> str | None:
    """The provider whose public API ``host`` is, or None."""
    name, _ = split_host(host)
    if not name:
        return None
    return next((r.provider for r in PROVIDER_HOSTS if fnmatchcase(name, r.pattern)), None)


def identify_provider(
    host: str,
    *,
    wire: str | None = None,
    hint: str | None = None,
    internal: bool = False,
    via: str | None = None,
    vendor: str | None = None,
) -> str:
    """Who serves a call to ``host`` in wire format ``wire`` (a ``recognise`` kind such as
    ``ollama.chat``, or just its dialect ``ollama``).

    ``hint`` is ``recognise``'s ``provider_hint``; ``internal`` says ``host`` is the
    organisation's own (server names in it then count); ``via`` and ``vendor`` are the model
    id's hosting convention and vendor, used when there is no host (code).
    """
    found = provider_for_host(host)
    if found is not None:
        return found
    name, port = split_host(host)
    if port is not None and port in SERVER_PORTS:
        return SERVER_PORTS[port]
    dialect = (wire or "").partition(".")[0]
    if dialect in WIRE_PROVIDERS:
        return WIRE_PROVIDERS[dialect]
    if hint is not None and hint in HINT_PROVIDERS:
        return HINT_PROVIDERS[hint]
    if name and internal:
        server = next((p for word, p in SERVER_NAMES if word in name), None)
        if server is not None:
            return server
    if dialect in COMPATIBLE:
        return COMPATIBLE[dialect]
    if not name:
        if via is not None and via in VIA_PROVIDERS:
            return VIA_PROVIDERS[via]
        if vendor:
            return vendor
    return UNKNOWN


__all__ = [
    "COMPATIBLE",
    "HINT_PROVIDERS",
    "PROVIDER_HOSTS",
    "SERVER_NAMES",
    "SERVER_PORTS",
    "UNKNOWN",
    "VIA_PROVIDERS",
    "WIRE_PROVIDERS",
    "HostRule",
    "identify_provider",
    "provider_for_host",
    "split_host",
]
