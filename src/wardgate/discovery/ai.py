"""Which AI wire format an observed call speaks, wherever it is served.

LLM and embedding APIs are reached through proxies, gateways, self-hosted servers and cloud
wrappers, under any host and path prefix, so :func:`recognise` looks at the path's *ending* and at
the request body's *shape* together: the path alone (``/v1/messages``, ``/api/chat``) is shared
by ordinary APIs, and a ``messages`` field is everywhere. A format is named only when several
markers agree: a role-tagged ``messages`` list *and* ``max_tokens`` *and* an ``anthropic-version``
header or a ``model``; a body whose keys stay within the dialect's vocabulary for paths that
generic APIs also use (``/api/generate``, ``/generate``). Path-only recognition is kept for the
few paths nothing else uses (``models/x:generateContent``, ``/v1/chat/completions``, Bedrock's
``/model/{id}/converse``) and only when the source has no bodies (access logs).

Kinds: ``openai.chat``, ``openai.completions``, ``openai.responses``, ``openai.embeddings``,
``anthropic.messages``, ``gemini.generate``, ``gemini.embed``, ``bedrock.invoke``,
``bedrock.converse``, ``cohere.chat``, ``cohere.embed``, ``ollama.chat``, ``ollama.generate``,
``ollama.embed``, ``tgi.generate``, ``vllm.generate`` (vLLM's own ``/generate``) and ``mcp``.
A kind names the wire format, not the server: vLLM, Groq, Azure and LiteLLM speaking OpenAI's
format are ``openai.*`` with ``provider_hint`` saying who serves it when the host, the path or
vendor-only body fields tell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final
from urllib.parse import unquote

from wardgate.discovery.observation import Observation
from wardgate.discovery.sources import clean_text

MAX_MODEL_CHARS = 200

KINDS: Final = (
    "openai.chat",
    "openai.completions",
    "openai.responses",
    "openai.embeddings",
    "anthropic.messages",
    "gemini.generate",
    "gemini.embed",
    "bedrock.invoke",
    "bedrock.converse",
    "cohere.chat",
    "cohere.embed",
    "ollama.chat",
    "ollama.generate",
    "ollama.embed",
    "tgi.generate",
    "vllm.generate",
    "mcp",
)
"""Every kind :func:`recognise` may name."""


@dataclass(frozen=True, slots=True)
class AIEndpoint:
    """The wire format (``kind``), the model the call names (body or path), and who likely serves
    it (``openai``, ``azure``, ``vllm``, ``ollama``...; None when nothing says)."""

    kind: str
    model: str | None = None
    provider_hint: str | None = None


class _Cut:
    """A value cut off by body truncation: present, shape unknown."""

    def __repr__(self) -> str:
        return "<cut>"


CUT: Final = _Cut()


@dataclass(frozen=True, slots=True)
class _Call:
    path: str  # lower-case, no trailing slash, %3A decoded
    body: dict[str, Any] | None  # None: no JSON object body (or none at all)
    bodiless: bool  # the source carries no body: path-only rules may apply
    obs: Observation

    def header(self, name: str) -> str | None:
        return self.obs.request_header(name)


def recognise(obs: Observation) -> AIEndpoint | None:
    """The AI wire format ``obs`` speaks, or None for anything else (and for non-POST calls)."""
    if obs.method != "POST":
        return None
    path = obs.path.rstrip("/").lower().replace("%3a", ":")
    if not path.endswith(_ENDINGS) and b'"jsonrpc"' not in (obs.request_body or b""):
        return None  # most traffic: no body to parse
    call = _Call(path, _body(obs), obs.request_body is None, obs)
    for rule in _RULES:
        found = rule(call)
        if found is not None:
            hint = found.provider_hint or _host_hint(obs.host)
            return AIEndpoint(found.kind, _model_name(found.model), hint)
    return None


_ENDINGS = (
    "/completions",
    "/responses",
    "/embeddings",
    "/messages",
    "/chat",
    "/embed",
    "/generate",
    "/generate_stream",
    "/invoke",
    "/invoke-with-response-stream",
    "/converse",
    "/converse-stream",
    "rawpredict",
    "content",
    "contents",
)
"""Every path a rule but MCP's (any path, JSON-RPC body) can match ends so."""


# -- the body ----------------------------------------------------------------------------------


def _body(obs: Observation) -> dict[str, Any] | None:
    """The request body as a JSON object: a cut body gives its complete top-level members and
    the one cut off as :data:`CUT`; a JSON-RPC batch gives its first message."""
    raw = obs.request_body
    if not raw:
        return None
    text = raw.decode("utf-8", "replace").lstrip()
    if obs.request_truncated:
        return _partial_object(text)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]
    return parsed if isinstance(parsed, dict) else None


_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"\s*")


def _partial_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    found: dict[str, Any] = {}
    at = 1
    while True:
        try:
            at = _skip(text, at)
            key, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if not isinstance(key, str) or text[at : at + 1] != ":":
                return found
            at = _skip(text, at + 1)
        except (ValueError, RecursionError):
            return found
        try:
            found[key], at = _DECODER.raw_decode(text, at)
        except (ValueError, RecursionError):
            found[key] = CUT
            return found
        at = _skip(text, at)
        if text[at : at + 1] != ",":
            return found
        at += 1


def _skip(text: str, at: int) -> int:
    blank = _BLANK.match(text, at)
    return blank.end() if blank else at


# -- markers -----------------------------------------------------------------------------------

_OPENAI_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_ANTHROPIC_ROLES = frozenset({"user", "assistant"})
_CHAT_ROLES = frozenset({"system", "user", "assistant", "tool"})


def _roles(value: Any, roles: frozenset[str]) -> bool:
    """A non-empty list of ``{"role": ...}`` objects with known roles (or a cut-off value)."""
    if value is CUT:
        return True
    if not isinstance(value, list) or not value:
        return False
    return all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and m["role"] in roles
        for m in value[:64]
    )


def _text(value: Any) -> bool:
    return (isinstance(value, str) and bool(value)) or value is CUT


def _texts(value: Any) -> bool:
    """A string, or a non-empty list (of strings or token ids)."""
    return _text(value) or (isinstance(value, list) and bool(value))


def _integer(value: Any) -> bool:
    return (type(value) is int and value > 0) or value is CUT


def _within(body: dict[str, Any], vocabulary: frozenset[str], unknown: int = 1) -> bool:
    """The body's keys are the dialect's, but for at most ``unknown`` new ones."""
    return sum(1 for key in body if key not in vocabulary) <= unknown


def _model(body: dict[str, Any] | None) -> str | None:
    value = body.get("model") if body else None
    return value if isinstance(value, str) else None


def _model_name(model: str | None) -> str | None:
    if not model:
        return None
    return clean_text(model[:MAX_MODEL_CHARS])


# -- the formats -------------------------------------------------------------------------------

_Rule = Callable[[_Call], AIEndpoint | None]

_MCP_METHODS = frozenset(
    {
        "initialize",
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/read",
        "resources/templates/list",
        "resources/subscribe",
        "resources/unsubscribe",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        "logging/setlevel",
        "sampling/createmessage",
        "roots/list",
        "elicitation/create",
        "notifications/initialized",
        "notifications/cancelled",
        "notifications/progress",
        "notifications/message",
        "notifications/roots/list_changed",
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
    }
)


def _mcp(call: _Call) -> AIEndpoint | None:
    """Model Context Protocol over HTTP: JSON-RPC 2.0 with MCP's method names."""
    body = call.body
    if body is None or body.get("jsonrpc") != "2.0" or not isinstance(body.get("method"), str):
        return None
    method = body["method"].lower()
    params = body.get("params")
    session = call.header("mcp-session-id") or call.header("mcp-protocol-version")
    if method == "initialize":
        known = isinstance(params, dict) and ("protocolVersion" in params or "clientInfo" in params)
    elif method == "tools/call":
        known = isinstance(params, dict) and isinstance(params.get("name"), str)
    elif method == "ping":
        known = session is not None
    else:
        known = method in _MCP_METHODS
    return AIEndpoint("mcp") if known else None


_GEMINI = re.compile(r"(?:^|/)(?:models|tunedmodels)/([^/:]+):([a-z]+)$")
_GEMINI_KINDS = {
    "generatecontent": "gemini.generate",
    "streamgeneratecontent": "gemini.generate",
    "embedcontent": "gemini.embed",
    "batchembedcontents": "gemini.embed",
}


def _gemini(call: _Call) -> AIEndpoint | None:
    """Gemini (AI Studio and Vertex): ``.../models/{model}:generateContent`` and friends."""
    found = _GEMINI.search(call.path)
    if found is None or found.group(2) not in _GEMINI_KINDS:
        return None
    kind = _GEMINI_KINDS[found.group(2)]
    body = call.body
    if kind == "gemini.generate":
        shaped = body is not None and (
            isinstance(body.get("contents"), list) or body.get("contents") is CUT
        )
    else:
        shaped = body is not None and any(k in body for k in ("content", "requests"))
    if not (shaped or call.bodiless):
        return None
    hint = "vertex" if "/publishers/google/" in call.path else None
    return AIEndpoint(kind, _original(call, found.group(1)), hint)


_BEDROCK = re.compile(
    r"(?:^|/)model/([^/]+)/(invoke|invoke-with-response-stream|converse|converse-stream)$"
)
_BEDROCK_MODEL = re.compile(
    r"(?:(?:us|eu|apac|us-gov|global|jp|au)\.)?(?:anthropic|amazon|meta|cohere|mistral|ai21"
    r"|stability|deepseek|writer|qwen|openai|twelvelabs|luma)\.[\w.:-]+"
    r"|arn:aws[\w-]*:bedrock:.+"
)


def _bedrock(call: _Call) -> AIEndpoint | None:
    """Amazon Bedrock runtime: ``/model/{id}/invoke`` (the model's own body) and ``/converse``."""
    found = _BEDROCK.search(call.path)
    if found is None:
        return None
    model = unquote(_original(call, found.group(1)))
    authorization = call.header("authorization") or ""
    aws = (
        "bedrock" in call.obs.host
        or call.header("x-amz-date") is not None
        or call.header("x-amz-content-sha256") is not None
        or authorization.startswith("AWS4-HMAC-SHA256")
        or _BEDROCK_MODEL.fullmatch(model.lower()) is not None
    )
    if not aws:
        return None
    if found.group(2).startswith("converse"):
        body = call.body
        if not (
            call.bodiless or (body is not None and _roles(body.get("messages"), _ANTHROPIC_ROLES))
        ):
            return None
        return AIEndpoint("bedrock.converse", model, "aws")
    if not (call.bodiless or call.body is not None):
        return None
    return AIEndpoint("bedrock.invoke", model, "aws")


_VERTEX_ANTHROPIC = re.compile(r"/publishers/anthropic/models/([^/:]+):(?:stream)?rawpredict$")


def _vertex_anthropic(call: _Call) -> AIEndpoint | None:
    """Claude on Vertex AI: Anthropic's body (``anthropic_version`` in it) at ``:rawPredict``."""
    found = _VERTEX_ANTHROPIC.search(call.path)
    if found is None:
        return None
    body = call.body
    if not call.bodiless and not (
        body is not None
        and _roles(body.get("messages"), _ANTHROPIC_ROLES)
        and _integer(body.get("max_tokens"))
    ):
        return None
    return AIEndpoint("anthropic.messages", _original(call, found.group(1)), "vertex")


_OLLAMA = re.compile(r"(?:^|/)api/(chat|generate|embed|embeddings)$")
_OLLAMA_COMMON = frozenset({"model", "options", "stream", "keep_alive", "format", "think"})
_OLLAMA_VOCABULARY = {
    "chat": _OLLAMA_COMMON | {"messages", "tools"},
    "generate": _OLLAMA_COMMON
    | {"prompt", "suffix", "images", "system", "template", "raw", "context"},
    "embed": _OLLAMA_COMMON | {"input", "truncate", "dimensions"},
    "embeddings": _OLLAMA_COMMON | {"prompt"},
}


def _ollama(call: _Call) -> AIEndpoint | None:
    """Ollama's native API; ``/api/chat`` and ``/api/generate`` are common paths, so the body
    must also keep to Ollama's fields."""
    found = _OLLAMA.search(call.path)
    body = call.body
    if found is None or body is None or not _text(body.get("model")):
        return None
    endpoint = found.group(1)
    if not _within(body, _OLLAMA_VOCABULARY[endpoint]):
        return None
    if endpoint == "chat":
        shaped = _roles(body.get("messages"), _CHAT_ROLES)
        kind = "ollama.chat"
    elif endpoint == "generate":
        shaped = _text(body.get("prompt"))
        kind = "ollama.generate"
    elif endpoint == "embed":
        shaped = _texts(body.get("input"))
        kind = "ollama.embed"
    else:
        shaped = _text(body.get("prompt"))
        kind = "ollama.embed"
    return AIEndpoint(kind, _model(body), "ollama") if shaped else None


_TGI_PARAMETERS = frozenset(
    {
        "best_of",
        "decoder_input_details",
        "details",
        "do_sample",
        "frequency_penalty",
        "grammar",
        "max_new_tokens",
        "repetition_penalty",
        "return_full_text",
        "seed",
        "stop",
        "temperature",
        "top_k",
        "top_n_tokens",
        "top_p",
        "truncate",
        "typical_p",
        "watermark",
        "adapter_id",
    }
)
_VLLM_SAMPLING = frozenset(
    {
        "n",
        "best_of",
        "presence_penalty",
        "frequency_penalty",
        "repetition_penalty",
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "seed",
        "use_beam_search",
        "length_penalty",
        "early_stopping",
        "stop",
        "stop_token_ids",
        "include_stop_str_in_output",
        "ignore_eos",
        "max_tokens",
        "min_tokens",
        "logprobs",
        "prompt_logprobs",
        "detokenize",
        "skip_special_tokens",
        "spaces_between_special_tokens",
        "truncate_prompt_tokens",
    }
)


def _generate(call: _Call) -> AIEndpoint | None:
    """Text Generation Inference (``inputs`` + ``parameters``) and vLLM's own ``/generate``
    (``prompt`` + sampling parameters) at ``/generate`` or ``/generate_stream``."""
    if not call.path.endswith(("/generate", "/generate_stream")) or call.body is None:
        return None
    body = call.body
    if _text(body.get("inputs")):
        parameters = body.get("parameters", {})
        if not _within(body, frozenset({"inputs", "parameters", "stream"}), unknown=0):
            return None
        if not isinstance(parameters, dict) or not _within(parameters, _TGI_PARAMETERS):
            return None
        return AIEndpoint("tgi.generate", None, "tgi")
    if _texts(body.get("prompt")) and call.path.endswith("/generate"):
        vocabulary = _VLLM_SAMPLING | {"prompt", "stream"}
        if _within(body, vocabulary, unknown=0) and any(k in _VLLM_SAMPLING for k in body):
            return AIEndpoint("vllm.generate", None, "vllm")
    return None


_COHERE_FIELDS = frozenset(
    {
        "chat_history",
        "preamble",
        "connectors",
        "prompt_truncation",
        "search_queries_only",
        "citation_quality",
        "citation_options",
        "safety_mode",
        "documents",
        "return_prompt",
        "force_single_step",
        "tool_results",
        "raw_prompting",
        "conversation_id",
        "p",
        "k",
    }
)
_COHERE_MODELS = ("command", "c4ai-", "aya")


def _cohere(call: _Call) -> AIEndpoint | None:
    """Cohere's chat (``/v1/chat``: ``message``; ``/v2/chat``: ``messages``) and embed."""
    body = call.body
    if body is None or not call.path.endswith(("/v1/chat", "/v2/chat", "/v1/embed", "/v2/embed")):
        return None
    model = _model(body)
    if call.path.endswith("/embed"):
        inputs = any(isinstance(body.get(k), list) for k in ("texts", "images", "inputs"))
        typed = (
            isinstance(body.get("input_type"), str)
            or isinstance(body.get("embedding_types"), list)
            or (model or "").startswith("embed-")
        )
        return AIEndpoint("cohere.embed", model, "cohere") if inputs and typed else None
    cohere = (
        any(k in body for k in _COHERE_FIELDS)
        or (model or "").lower().startswith(_COHERE_MODELS)
        or "cohere" in call.obs.host
    )
    if call.path.endswith("/v1/chat"):
        shaped = _text(body.get("message"))
    else:
        shaped = _roles(body.get("messages"), _CHAT_ROLES) and model is not None
    return AIEndpoint("cohere.chat", model, "cohere") if cohere and shaped else None


def _anthropic(call: _Call) -> AIEndpoint | None:
    """Anthropic's Messages API: ``/v1/messages`` with role-tagged ``messages``, ``max_tokens``
    and an ``anthropic-version`` header or a ``model``."""
    if not call.path.endswith("/messages"):
        return None
    version = call.header("anthropic-version") is not None
    body = call.body
    if body is None:
        if call.bodiless and version and call.path.endswith("/v1/messages"):
            return AIEndpoint("anthropic.messages")
        return None
    if not (
        _roles(body.get("messages"), _ANTHROPIC_ROLES)
        and _integer(body.get("max_tokens"))
        and (version or _text(body.get("model")))
    ):
        return None
    return AIEndpoint("anthropic.messages", _model(body))


_AZURE = re.compile(r"/openai/deployments/([^/]+)/")
_VLLM_EXTENSIONS = frozenset(
    {
        "guided_json",
        "guided_regex",
        "guided_choice",
        "guided_grammar",
        "guided_decoding_backend",
        "guided_whitespace_pattern",
        "use_beam_search",
        "chat_template",
        "chat_template_kwargs",
        "add_generation_prompt",
        "continue_final_message",
        "skip_special_tokens",
        "spaces_between_special_tokens",
        "include_stop_str_in_output",
        "prompt_logprobs",
        "truncate_prompt_tokens",
        "mm_processor_kwargs",
    }
)


def _openai(call: _Call) -> AIEndpoint | None:
    """OpenAI's format (and every server compatible with it): chat completions, completions,
    responses and embeddings."""
    path = call.path
    if path.endswith("/chat/completions"):
        kind = "openai.chat"
    elif path.endswith("/completions"):
        kind = "openai.completions"
    elif path.endswith("/responses"):
        kind = "openai.responses"
    elif path.endswith("/embeddings"):
        kind = "openai.embeddings"
    else:
        return None
    azure = _AZURE.search(path)
    deployment = _original(call, azure.group(1)) if azure else None
    hint = "azure" if azure or any(k == "api-version" for k, _ in call.obs.query) else None
    body = call.body
    if body is None:
        plain = path.endswith("/v1/chat/completions") or (
            azure is not None and kind == "openai.chat"
        )
        if call.bodiless and plain:
            return AIEndpoint(kind, deployment, hint)
        return None
    model = _model(body) or deployment
    named = model is not None or body.get("model") is CUT
    if kind == "openai.chat":
        shaped = _roles(body.get("messages"), _OPENAI_ROLES)
    elif kind == "openai.completions":
        shaped = named and _texts(body.get("prompt"))
    elif kind == "openai.responses":
        shaped = named and any(k in body for k in ("input", "previous_response_id", "prompt"))
    else:
        shaped = named and _texts(body.get("input"))
    if not shaped:
        return None
    if any(k in _VLLM_EXTENSIONS for k in body):
        hint = "vllm"
    return AIEndpoint(kind, model, hint)


def _original(call: _Call, lowered: str) -> str:
    """``lowered`` (a piece of the lower-cased path) as the path spells it."""
    raw = call.obs.path.replace("%3A", ":").replace("%3a", ":")
    at = raw.lower().find(lowered)
    return raw[at : at + len(lowered)] if at >= 0 else lowered


_RULES: tuple[_Rule, ...] = (
    _mcp,
    _gemini,
    _bedrock,
    _vertex_anthropic,
    _ollama,
    _generate,
    _cohere,
    _anthropic,
    _openai,
)

_HOSTS: tuple[tuple[str, str], ...] = (
    ("api.openai.com", "openai"),
    (".openai.azure.com", "azure"),
    (".cognitiveservices.azure.com", "azure"),
    (".services.ai.azure.com", "azure"),
    ("api.anthropic.com", "anthropic"),
    ("generativelanguage.googleapis.com", "google"),
    ("aiplatform.googleapis.com", "vertex"),
    (".amazonaws.com", "aws"),
    ("api.cohere.com", "cohere"),
    ("api.cohere.ai", "cohere"),
    ("api.mistral.ai", "mistral"),
    ("api.groq.com", "groq"),
    ("api.together.xyz", "together"),
    ("api.together.ai", "together"),
    ("openrouter.ai", "openrouter"),
    ("api.deepseek.com", "deepseek"),
    ("api.fireworks.ai", "fireworks"),
    ("api.perplexity.ai", "perplexity"),
    ("api.x.ai", "xai"),
    ("huggingface.co", "huggingface"),
)


@lru_cache(
    maxsize=4096
)  # a pure function of a name traffic repeats: the LOG phase calls it per call
def _host_hint(host: str) -> str | None:
    name = host.rpartition(":")[0] if host.rpartition(":")[2].isdigit() else host
    if host.endswith(":11434"):
        return "ollama"
    return next((hint for suffix, hint in _HOSTS if _matches(name, suffix)), None)


def _matches(name: str, suffix: str) -> bool:
    if suffix.startswith("."):
        return name.endswith(suffix)
    return name == suffix or name.endswith("." + suffix)


__all__ = ["CUT", "KINDS", "MAX_MODEL_CHARS", "AIEndpoint", "recognise"]
