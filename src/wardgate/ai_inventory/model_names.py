"""One spelling per model: how the catalogue keys a model id, whoever wrote it.

The same model is named differently by code, gateways and clouds: ``GPT-4o``, ``openai/gpt-4o``
(LiteLLM, OpenRouter), ``models/gemini-1.5-pro`` (Gemini's REST path),
``us.anthropic.claude-3-5-sonnet-20241022-v2:0`` (a Bedrock inference profile) or
``llama3:latest`` (Ollama). :func:`normalise_model_id` applies, in order:

1. trim and lower-case (model ids are case-insensitive everywhere that matters);
2. drop a Hugging Face URL prefix (``https://huggingface.co/``, ``hf://``, ``hf.co/``);
3. keep only the last path segment of an AWS ARN (``arn:aws:bedrock:...:foundation-model/ID``);
4. keep what follows the last ``models/`` of a Gemini or Vertex resource name;
5. drop leading routing prefixes (``openai/``, ``openrouter/anthropic/``, ``bedrock/``...: the
   scanner's :data:`~wardgate.ai_inventory.scan.model_ids.ROUTES`), but keep a Hugging Face
   organisation (``meta-llama/llama-3.1-8b``): it is part of the model's identity;
6. strip a Bedrock region and vendor prefix and its version suffix (``-v2:0``, ``:0``);
7. drop Ollama's implicit ``:latest`` tag.

What the model *is* (vendor, family, open weights) comes from the scanner's family table
(:func:`wardgate.ai_inventory.scan.model_ids.classify`), not from a second copy of it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from wardgate.ai_inventory.scan.model_ids import ROUTES, ModelMatch, classify

MAX_MODEL_CHARS = 160
_MAX_ROUNDS = MAX_MODEL_CHARS + 1  # each round that changes the id shortens it
_HUB_PREFIXES = ("https://huggingface.co/", "http://huggingface.co/", "hf://", "hf.co/")
_RESOURCE_STARTS = ("projects/", "publishers/", "models/", "tunedmodels/")
_BEDROCK_ID = re.compile(
    r"(?:(?:us|eu|apac|us-gov|global|jp|au|ca)\.)?"
    r"(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|stability|writer|qwen|openai"
    r"|twelvelabs|luma)\.(?P<model>[a-z0-9][a-z0-9.-]*?)(?:-v\d+(?::\d+)?|:\d+)?"
)


@lru_cache(
    maxsize=4096
)  # a pure function of a name traffic repeats: the LOG phase calls it per call
def normalise_model_id(raw: str) -> str:
    """The catalogue's key for model id ``raw`` (see the module docstring); ``""`` for none.

    Idempotent: the steps repeat until nothing changes (``llama3:latest:latest``)."""
    value = "".join(c for c in raw.strip().lower()[:MAX_MODEL_CHARS] if c.isprintable())
    for _ in range(_MAX_ROUNDS):
        before, value = value, _normalise_once(value)
        if value == before:
            break
    return value


def _normalise_once(value: str) -> str:
    value = value.strip()
    for prefix in _HUB_PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    if value.startswith("arn:"):
        value = value.rpartition("/")[2]
    if value.startswith(_RESOURCE_STARTS) and "models/" in value:
        value = value.rpartition("models/")[2]
    while "/" in value:
        head, _, rest = value.partition("/")
        if head not in ROUTES or not rest:
            break
        value = rest
    bedrock = _BEDROCK_ID.fullmatch(value)
    if bedrock is not None:
        value = bedrock.group("model")
    return value.removesuffix(":latest")


@lru_cache(
    maxsize=4096
)  # a pure function of a name traffic repeats: the LOG phase calls it per call
def model_facts(model_id: str) -> ModelMatch | None:
    """Vendor, family, open weights and hosting convention of ``model_id`` (raw or normalised),
    from the scanner's family table; None when the id is no known family's."""
    if not model_id:
        return None
    return classify(model_id[:MAX_MODEL_CHARS], model_context=True) or classify(
        normalise_model_id(model_id), model_context=True
    )


__all__ = ["MAX_MODEL_CHARS", "model_facts", "normalise_model_id"]
