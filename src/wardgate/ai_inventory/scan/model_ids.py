"""Model identifiers in code and configuration: which models an application is wired to.

Precision first. A candidate must be a whole string literal (code) or a whole configuration value
(YAML/TOML/INI/.env), and must *fully* match a family pattern that includes a version or size
marker: ``gpt-4o`` and ``claude-3-5-sonnet-20241022`` match, ``gpt``, ``claude`` and a sentence
mentioning a llama do not. Bare ids that are also ordinary tokens (``o1``, ``o3``, ``sonar``) count
only next to a ``model`` key. A ``provider/`` routing prefix (LiteLLM, OpenRouter) or a known
Hugging Face organisation (``meta-llama/``, ``Qwen/``) is accepted; an unknown ``something/``
prefix is not, so file paths never pass.

``open_weights`` is a family-level judgement (see :class:`ModelReference`). The table is data:
add a row to support a new family. A Hyperscan prefilter of family anchors keeps files that
mention no model at the cost of one scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from wardgate.ai_inventory.scan.fileio import LineIndex
from wardgate.ai_inventory.scan.result import ModelReference
from wardgate.detect.leaks import Prefilter

MAX_ID_LENGTH = 160
# A generated file can repeat an id thousands of times; the inventory needs where, not each copy.
MAX_REFERENCES_PER_FILE = 1000
# Tail of an identifier after its family marker: dotted/alnum runs joined by - : or _.
_T = r"[a-z0-9.]*(?:[-:_][a-z0-9.]+)*"


@dataclass(frozen=True, slots=True)
class Family:
    """A model family: how its identifiers look and what is known about it.

    ``open_if`` flips ``open_weights`` to True for identifiers it matches (a family with both
    API-only and published models). ``strict`` rows need a ``model`` key nearby.
    """

    provider: str
    family: str
    open_weights: bool | None
    pattern: str
    strict: bool = False
    open_if: str | None = None


F = Family
FAMILIES: tuple[Family, ...] = (
    # --- OpenAI
    F("openai", "gpt-oss", True, r"gpt-oss(?:-\d+b)?(?::\d+b)?"),
    F(
        "openai",
        "audio",
        False,
        r"(?:whisper-1|tts-1(?:-hd)?(?:-\d{4})?|gpt-4o(?:-mini)?-(?:tts|transcribe))",
    ),
    F(
        "openai",
        "gpt",
        False,
        r"(?:chat)?gpt-(?:3\.5|4(?:\.\d)?o?|5(?:\.\d)?|image-\d)(?:-[a-z0-9.]+)*",
    ),
    F(
        "openai",
        "o-series",
        False,
        r"o[1-9](?:-(?:mini|pro|preview|deep-research|high|low|medium))+(?:-\d{4}-\d{2}-\d{2})?"
        r"|o[1-9]-\d{4}-\d{2}-\d{2}",
    ),
    F("openai", "o-series", False, r"o[1-9]", strict=True),
    F("openai", "text-embedding", False, r"text-embedding-(?:3-small|3-large|ada-002)"),
    F(
        "openai",
        "gpt-3",
        False,
        r"text-(?:davinci|curie|babbage|ada)-\d{3}|(?:davinci|babbage)-002",
    ),
    F("openai", "dall-e", False, r"dall-e-[23]"),
    F(
        "openai",
        "moderation",
        False,
        r"(?:omni|text)-moderation-(?:latest|stable|\d{3}|\d{4}-\d{2}-\d{2})",
    ),
    F("openai", "codex", False, r"codex-mini-latest|gpt-5(?:\.\d)?-codex(?:-[a-z0-9]+)*"),
    # --- Anthropic
    F(
        "anthropic",
        "claude",
        False,
        r"claude-(?:(?:opus|sonnet|haiku)-\d+(?:[.-]\d+)?|\d(?:[.-]\d)?(?:-(?:opus|sonnet|haiku))?"
        r"|instant(?:-v?\d(?:\.\d)?)?)(?:-\d{8}|-latest|-v\d+(?::\d+)?|@\d{8})?",
    ),
    # --- Google
    F(
        "google",
        "gemini",
        False,
        r"gemini-(?:\d+(?:\.\d+)?|pro|ultra|exp|embedding|live|flash)(?:-[a-z0-9.]+)*",
    ),
    F(
        "google",
        "gemma",
        True,
        r"(?:code|pali|shield|data|med|t5)?gemma-?\d+(?:\.\d+)?" + _T,
    ),
    F("google", "palm", False, r"(?:text|chat|code|codechat)-bison(?:-32k)?(?:@\d{3})?"),
    F(
        "google",
        "google-embedding",
        False,
        r"(?:multimodal|text)embedding(?:-gecko)?(?:-multilingual)?(?:@\d{3})?|text-(?:multilingual-)?embedding-00\d",
    ),
    F("google", "imagen", False, r"(?:imagen|veo)-\d(?:\.\d)?-[a-z0-9-]+"),
    # --- Meta
    F(
        "meta",
        "llama",
        True,
        r"(?:meta-)?(?:code)?llama(?:-?guard)?-?\d+(?:\.\d+)?" + _T + r"|codellama:" + _T,
    ),
    # --- Mistral
    F(
        "mistral",
        "mistral",
        None,
        r"(?:open-)?(?:mistral|mixtral|codestral|ministral|pixtral|magistral|devstral|voxtral)"
        r"(?:-(?:large|medium|small|tiny|embed|nemo|saba|moderation|ocr|latest|instruct|base"
        r"|\d+x\d+b|\d+b|\d{4}|v\d+(?:\.\d+)?|\d+(?:\.\d+)?)|:[a-z0-9.-]+)+",
        open_if=r"(?:open-|mixtral|.*(?:nemo|\d+b|:))",
    ),
    # --- Cohere
    F(
        "cohere",
        "command",
        None,
        r"command(?:-r(?:7b|\+|-plus)?|-a|-light|-nightly|-xlarge|-medium)(?:-[a-z0-9]+)*"
        r"|c4ai-command-[a-z0-9.-]+",
        open_if=r"c4ai-",
    ),
    F(
        "cohere",
        "cohere-embed",
        False,
        r"(?:embed|rerank)-(?:(?:english|multilingual)(?:-light)?-v\d\.\d|v\d(?:\.\d)?)",
    ),
    F("cohere", "aya", True, r"aya-(?:expanse|vision|23|101)" + _T),
    # --- Alibaba (API-only aliases first, then the published Qwen models)
    F(
        "alibaba",
        "qwen",
        False,
        r"qwen-(?:max|plus|turbo|long|mt|vl-max|vl-plus|omni-turbo)(?:-[a-z0-9.]+)*",
    ),
    F(
        "alibaba",
        "qwen",
        True,
        r"qwen\d*(?:\.\d+)?(?:[-:][a-z0-9.]+)+|qwen\d+(?:\.\d+)?|qwq(?:[-:][a-z0-9.]+)+",
    ),
    F("alibaba", "gte", True, r"gte-(?:small|base|large|qwen|multilingual)" + _T),
    # --- DeepSeek
    F(
        "deepseek",
        "deepseek",
        True,
        r"deepseek-(?:chat|reasoner|coder|llm|math|prover|moe|vl\d?|v\d(?:\.\d+)?|r\d)" + _T,
    ),
    # --- Microsoft
    F("microsoft", "phi", True, r"phi-?\d+(?:\.\d+)?(?:[-:][a-z0-9.]+)*"),
    F("microsoft", "e5", True, r"(?:multilingual-)?e5-(?:small|base|large|mistral)" + _T),
    # --- others with published weights
    F("tii", "falcon", True, r"falcon(?:3|-?h1|-mamba)?[-:]\d+(?:\.\d+)?b(?:[-:][a-z0-9.]+)*"),
    F("ai21", "jamba", True, r"jamba-(?:\d(?:\.\d)?-)?(?:mini|large|instruct)(?:-[a-z0-9.]+)*"),
    F(
        "ibm",
        "granite",
        True,
        r"granite-?\d+(?:\.\d+)?(?:[-:][a-z0-9.]+)+|granite-(?:code|embedding|guardian)[-:]" + _T,
    ),
    F("nvidia", "nemotron", True, r"(?:llama-\d(?:\.\d)?-)?nemotron" + _T + r"(?:[-:][a-z0-9.]+)+"),
    F("bigcode", "starcoder", True, r"starcoder2?(?:[-:][a-z0-9.]+)+"),
    F("allenai", "olmo", True, r"olmo-?\d" + _T),
    F("huggingface", "smollm", True, r"smollm\d?(?:[-:][a-z0-9.]+)+"),
    F("moonshot", "kimi", True, r"kimi-k\d" + _T),
    F("zhipu", "glm", True, r"glm-4(?:\.\d+)?" + _T + r"|chatglm\d" + _T),
    F("minimax", "minimax", True, r"minimax-(?:m\d|text-01)" + _T),
    F("xai", "grok", None, r"grok-(?:\d(?:\.\d)?|beta|vision-beta|code-fast)(?:-[a-z0-9]+)*"),
    F("perplexity", "sonar", False, r"sonar(?:-(?:pro|reasoning|deep-research))+"),
    F("perplexity", "sonar", False, r"sonar", strict=True),
    # --- embedding models people name directly
    F(
        "sbert",
        "sentence-transformers",
        True,
        r"(?:all|paraphrase|multi-qa|msmarco|distiluse)-(?:minilm|mpnet|distilroberta|multilingual|distilbert|albert)[a-z0-9-]*",
    ),
    F("baai", "bge", True, r"bge-(?:small|base|large|m3|reranker|multilingual)" + _T),
    F("nomic", "nomic-embed", True, r"nomic-embed-text(?:-v\d(?:\.\d)?)?(?::[a-z0-9.]+)?"),
    F("mixedbread", "mxbai", True, r"mxbai-embed-large(?:-v\d)?(?::[a-z0-9.]+)?"),
    F("snowflake", "arctic-embed", True, r"snowflake-arctic-embed" + _T),
    F("jina", "jina-embeddings", None, r"jina-(?:embeddings|reranker|clip)-v\d" + _T),
    F(
        "voyage",
        "voyage",
        False,
        r"voyage-(?:\d(?:\.\d)?|large|code|finance|law|multilingual|lite)" + _T,
    ),
)

# Routing prefixes of gateways and SDKs: "openrouter/anthropic/claude-3.5-sonnet".
ROUTES = frozenset(
    {
        "openai",
        "anthropic",
        "azure",
        "azure_ai",
        "bedrock",
        "bedrock_converse",
        "vertex_ai",
        "vertex_ai_beta",
        "gemini",
        "groq",
        "together_ai",
        "together",
        "ollama",
        "ollama_chat",
        "openrouter",
        "mistral",
        "cohere",
        "deepseek",
        "huggingface",
        "fireworks_ai",
        "accounts",
        "perplexity",
        "xai",
        "replicate",
        "deepinfra",
        "cerebras",
        "sambanova",
        "nvidia_nim",
        "watsonx",
        "databricks",
        "sagemaker",
        "hosted_vllm",
        "lm_studio",
        "models",
        "publishers",
    }
)
# Hugging Face organisations whose repositories are models: org -> provider. Repos of the first
# group count even outside the family table (with a digit in the name); of the second, whose
# GitHub namesakes are full of non-model repos, only family-table matches count.
HUB_MODEL_ORGS = {
    "meta-llama": "meta",
    "mistralai": "mistral",
    "qwen": "alibaba",
    "deepseek-ai": "deepseek",
    "tiiuae": "tii",
    "bigscience": "bigscience",
    "eleutherai": "eleutherai",
    "baai": "baai",
    "sentence-transformers": "sbert",
    "cross-encoder": "sbert",
    "intfloat": "microsoft",
    "nomic-ai": "nomic",
    "huggingfaceh4": "huggingface",
    "huggingfacetb": "huggingface",
    "tinyllama": "tinyllama",
    "stabilityai": "stability",
    "coherelabs": "cohere",
    "cohereforai": "cohere",
    "ibm-granite": "ibm",
    "allenai": "allenai",
    "01-ai": "01-ai",
    "thudm": "zhipu",
    "zai-org": "zhipu",
    "openbmb": "openbmb",
    "mosaicml": "mosaicml",
    "bigcode": "bigcode",
    "nousresearch": "nousresearch",
    "unsloth": "unsloth",
    "thebloke": "thebloke",
    "moonshotai": "moonshot",
    "minimaxai": "minimax",
    "mixedbread-ai": "mixedbread",
    "jinaai": "jina",
    "alibaba-nlp": "alibaba",
    "black-forest-labs": "black-forest-labs",
    "llava-hf": "llava",
    "answerdotai": "answerdotai",
    "openai-community": "openai",
    "lmsys": "lmsys",
    "teknium": "nousresearch",
}
HUB_GENERAL_ORGS = {
    "google": "google",
    "microsoft": "microsoft",
    "facebook": "meta",
    "meta": "meta",
    "openai": "openai",
    "nvidia": "nvidia",
    "amazon": "amazon",
    "apple": "apple",
    "salesforce": "salesforce",
    "databricks": "databricks",
    "snowflake": "snowflake",
    "xai-org": "xai",
}
_HUB_URLS = ("https://huggingface.co/", "http://huggingface.co/", "hf://", "hf.co/")
_NOT_HOSTS = frozenset({"models", "publishers", "accounts"})
_HUB_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,95}", re.IGNORECASE)

# Bedrock model ids: [region.]vendor.model-vN[:M].
_BEDROCK = re.compile(
    r"(?:(?:us|eu|apac|us-gov|global|jp|au|ca)\.)?"
    r"(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|stability|writer|qwen|openai|twelvelabs|luma)"
    r"\.([a-z0-9][a-z0-9.-]*?(?:-v\d+(?::\d+)?|:\d+))",
    re.IGNORECASE,
)
_BEDROCK_VENDORS = {"ai21": "ai21", "stability": "stability", "writer": "writer", "qwen": "alibaba"}
_BEDROCK_OPEN = {"meta": True, "deepseek": True, "qwen": True, "mistral": None}
_BEDROCK_VERSION = re.compile(r"(?:-v\d+(?::\d+)?|:\d+)$", re.IGNORECASE)

_COMBINED = re.compile(
    "|".join(f"(?P<f{i}>{row.pattern})" for i, row in enumerate(FAMILIES)), re.IGNORECASE
)
_OPEN_IF = {
    i: re.compile(row.open_if, re.IGNORECASE) for i, row in enumerate(FAMILIES) if row.open_if
}
_MODEL_CONTEXT = re.compile(r"model", re.IGNORECASE)

# Anchors: a file mentioning none of these cannot hold a model id (Hyperscan, caseless).
_ANCHORS = (
    r"gpt-",
    r"\bo[1-9]\b",
    r"claude",
    r"gemini",
    r"gemma",
    r"bison",
    r"embedding",
    r"imagen-|veo-",
    r"llama",
    r"stral|mixtral",
    r"command-|c4ai-|embed-|rerank-|\baya-",
    r"qwen|qwq",
    r"deepseek",
    r"phi-?\d",
    r"\be5-|\bgte-|bge-|nomic-|mxbai-|arctic-embed|jina-|voyage-",
    r"falcon|jamba|granite|nemotron|starcoder|olmo|smollm|kimi-|glm|minimax",
    r"grok-|sonar",
    r"minilm|mpnet|distil",
    r"whisper-1|tts-1|dall-e|moderation|davinci|babbage|curie|text-ada|codex-",
    r"(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|stability|writer|qwen|openai|twelvelabs|luma)\.",
    "|".join(re.escape(org) + "/" for org in (*HUB_MODEL_ORGS, *HUB_GENERAL_ORGS)),
)
_PREFILTER = Prefilter([(a, True) for a in _ANCHORS])

# A whole string literal in code (no escapes, one line), and a whole configuration value.
_LITERAL = re.compile(r"\"([^\"\\\n]{2,160})\"|'([^'\\\n]{2,160})'|`([^`\\\n$]{2,160})`")
_CONFIG_VALUE = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(?:[\w.\-]+[ \t]*(?:=|:[ \t])[ \t]*)?([^\s\"'#,;\[\]{}]{2,160})[ \t]*(?:[#;].*)?\r?$",
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class ModelMatch:
    """What one identifier is: provider, family, openness and hosting convention."""

    provider: str
    family: str
    open_weights: bool | None
    via: str | None


def classify(candidate: str, *, model_context: bool = False) -> ModelMatch | None:
    """The model ``candidate`` names, or None when it is not (only) a model identifier.

    ``model_context`` says a ``model`` key or argument names the value, which admits the bare ids
    that are also ordinary tokens (``o1``, ``sonar``).
    """
    value = candidate.strip()
    if not 2 <= len(value) <= MAX_ID_LENGTH or any(c.isspace() for c in value):
        return None
    via: str | None = None
    if value.lower().startswith(_HUB_URLS):
        value = value.split("/", 3)[-1] if "://" in value else value.split("/", 1)[-1]
        via = "huggingface"
    hub_org: str | None = None
    for _ in range(3):  # at most: gateway / provider / hub organisation
        head, sep, rest = value.partition("/")
        if not sep:
            break
        org = head.lower()
        if org in HUB_MODEL_ORGS or org in HUB_GENERAL_ORGS:
            hub_org = org
        elif org not in ROUTES:
            return None  # a path, a URL, a repository: not a model id
        elif org not in _NOT_HOSTS and via is None:
            via = org
        value = rest
    if not value or "/" in value:
        return None
    found = _family(value, model_context)
    if found is not None:
        provider, family, open_weights, hint = found
        if via is None:
            if hint is not None:
                via = hint
            elif hub_org is not None and open_weights is not False:
                via = "huggingface"
        return ModelMatch(provider, family, open_weights, via)
    if hub_org in HUB_MODEL_ORGS and _HUB_NAME.fullmatch(value) and any(c.isdigit() for c in value):
        return ModelMatch(HUB_MODEL_ORGS[hub_org], hub_org, True, via or "huggingface")
    return None


def _family(value: str, model_context: bool) -> tuple[str, str, bool | None, str | None] | None:
    """``(provider, family, open_weights, hosting hint)`` of an id without routing prefixes."""
    bedrock = _BEDROCK.fullmatch(value)
    if bedrock is not None:
        vendor = bedrock.group(1).lower()
        model = _BEDROCK_VERSION.sub("", bedrock.group(2))
        inner = _family(model, True) if model else None
        if inner is not None:
            return inner[0], inner[1], inner[2], "bedrock"
        family = re.split(r"[-.]", model, maxsplit=1)[0] or vendor
        provider = _BEDROCK_VENDORS.get(vendor, vendor)
        return provider, family, _BEDROCK_OPEN.get(vendor, False), "bedrock"
    match = _COMBINED.fullmatch(value)
    if match is None or match.lastgroup is None:
        return None
    index = int(match.lastgroup[1:])
    row = FAMILIES[index]
    if row.strict and not model_context:
        return None
    open_weights = row.open_weights
    rule = _OPEN_IF.get(index)
    if rule is not None and rule.match(value):
        open_weights = True
    hint = "ollama" if ":" in value and open_weights is not False else None
    return row.provider, row.family, open_weights, hint


def may_contain(text: str) -> bool:
    """False when ``text`` mentions no family anchor or hub organisation (one Hyperscan pass)."""
    return bool(_PREFILTER.present(text))


def _candidates(text: str, config: bool) -> Iterator[tuple[int, str]]:
    for m in _LITERAL.finditer(text):
        group = m.lastindex or 1
        yield m.start(group), m.group(group)
    if config:
        for m in _CONFIG_VALUE.finditer(text):
            yield m.start(1), m.group(1)


def scan_model_ids(path: str, text: str, lines: LineIndex, *, config: bool) -> list[ModelReference]:
    """Model identifiers in one file: string literals, plus bare values when ``config``.

    At most :data:`MAX_REFERENCES_PER_FILE` distinct (line, id) references per file.
    """
    if not may_contain(text):
        return []
    found: dict[tuple[int, str], ModelReference] = {}
    context = "config" if config else "code"
    for offset, raw in _candidates(text, config):
        value = raw.strip()
        match = classify(value, model_context=_near_model_key(text, offset))
        if match is None:
            continue
        line = lines.line(offset)
        key = (line, value)
        if key not in found:
            if len(found) >= MAX_REFERENCES_PER_FILE:
                break
            found[key] = ModelReference(
                path=path,
                line=line,
                model_id=value,
                provider=match.provider,
                family=match.family,
                open_weights=match.open_weights,
                context=context,
                via=match.via,
            )
    return sorted(found.values(), key=lambda m: (m.line, m.model_id))


def _near_model_key(text: str, offset: int) -> bool:
    """A ``model`` key or argument just before the value on its line: ``model="o3"``."""
    start = max(text.rfind("\n", max(0, offset - 40), offset) + 1, offset - 40, 0)
    return _MODEL_CONTEXT.search(text, start, offset) is not None
