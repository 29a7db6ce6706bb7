"""Hard-coded AI provider credentials in source and configuration.

Reuses the gateway's own secret rules (:mod:`wardgate.detect.leaks.secrets`), restricted to the
providers an AI inventory cares about, so the formats, placeholder filtering and entropy checks
stay in one place. Cohere and Mistral keys have no prefix; they are recognised only as values
assigned to a name that says what they are (``COHERE_API_KEY = "..."``).

A finding keeps the key's public prefix, its last four characters and a SHA-256 fingerprint (to
tell "the same key in three repositories" from "three keys"), never the key itself.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from wardgate.ai_inventory.scan.fileio import LineIndex
from wardgate.ai_inventory.scan.result import KeyFinding
from wardgate.core.phase import InputKind
from wardgate.detect.base import ScanContext, TextView
from wardgate.detect.leaks.secrets import (
    HIGH_ENTROPY_RULE_ID,
    RULES,
    SecretsConfig,
    SecretsDetector,
    random_token,
)

# Rule id -> provider, for the secret rules that are AI (or AI-hosting cloud) credentials.
PROVIDER_RULES = {
    "secret.anthropic_key": "anthropic",
    "secret.openai_key": "openai",
    "secret.openai_legacy_key": "openai",
    "secret.sk_api_key": "openai-compatible",
    "secret.huggingface_token": "huggingface",
    "secret.huggingface_org_token": "huggingface",
    "secret.groq_key": "groq",
    "secret.xai_key": "xai",
    "secret.replicate_token": "replicate",
    "secret.perplexity_key": "perplexity",
    "secret.langsmith_key": "langchain",
    "secret.gcp_api_key": "google",
    "secret.aws_access_key_id": "amazon",
    "secret.aws_secret_key": "amazon",
}
_PUBLIC_PREFIX = re.compile(
    r"sk-ant-(?:api|admin|oat|ort)\d\d-|sk-(?:proj|svcacct|admin)-|sk-|hf_|api_org_|gsk_|xai-|r8_"
    r"|pplx-|lsv2_(?:pt|sk)_|AIza|AKIA|ASIA|ABIA|ACCA"
)
FINGERPRINT_HEX = 16


@dataclass(frozen=True, slots=True)
class _KeywordRule:
    rule_id: str
    label: str
    provider: str
    pattern: re.Pattern[str]
    length: int


# Prefix-less provider keys: only as the value of a variable or setting that names the provider.
_KEYWORD_RULES = (
    _KeywordRule(
        "inventory.cohere_key",
        "Cohere API key",
        "cohere",
        re.compile(
            r"(?i:\bco(?:here)?_?api_?key)[\"']?\s{0,3}[:=]\s{0,3}[\"']?([A-Za-z0-9]{40})(?![A-Za-z0-9])"
        ),
        40,
    ),
    _KeywordRule(
        "inventory.mistral_key",
        "Mistral API key",
        "mistral",
        re.compile(
            r"(?i:\bmistral_?api_?key)[\"']?\s{0,3}[:=]\s{0,3}[\"']?([A-Za-z0-9]{32})(?![A-Za-z0-9])"
        ),
        32,
    ),
)


@lru_cache(maxsize=1)
def _detector() -> SecretsDetector:
    """The secrets detector with every non-AI rule (and the generic ones) switched off."""
    disabled = tuple(r.rule_id for r in RULES if r.rule_id not in PROVIDER_RULES)
    return SecretsDetector(SecretsConfig(disabled_rules=(*disabled, HIGH_ENTROPY_RULE_ID)))


def redact(value: str) -> str:
    """Public prefix, an ellipsis and the last four characters (none for short values)."""
    prefix = _PUBLIC_PREFIX.match(value)
    head = prefix.group(0) if prefix else ""
    tail = value[-4:] if len(value) >= 24 else ""
    return f"{head}…{tail}"


def fingerprint(value: str) -> str:
    """A short SHA-256 prefix: equal keys compare equal, and nothing can be read back."""
    return (
        "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:FINGERPRINT_HEX]
    )


def scan_keys(path: str, text: str, lines: LineIndex) -> list[KeyFinding]:
    """Provider keys written into one file, redacted."""
    found: list[KeyFinding] = []
    view = TextView(text=text, kind=InputKind.DOCUMENT)
    for finding in _detector().inspect(view, ScanContext()):
        if finding.span is None:
            continue
        value = text[finding.span.start : finding.span.end]
        found.append(
            _finding(path, lines.line(finding.span.start), finding.rule_id, value, finding.message)
        )
    for rule in _KEYWORD_RULES:
        for m in rule.pattern.finditer(text):
            value = m.group(1)
            if random_token(value, 3.5, rule.length):
                found.append(
                    _finding(path, lines.line(m.start(1)), rule.rule_id, value, rule.label)
                )
    return sorted(found, key=lambda k: k.line)


def _finding(path: str, line: int, rule_id: str, value: str, message: str) -> KeyFinding:
    label = message.split(" (", 1)[0]  # the detector appends the length; we keep it separately
    provider = PROVIDER_RULES.get(rule_id)
    if provider is None:
        provider = next((r.provider for r in _KEYWORD_RULES if r.rule_id == rule_id), "unknown")
    return KeyFinding(
        path=path,
        line=line,
        rule_id=rule_id,
        label=label,
        provider=provider,
        redacted=redact(value),
        fingerprint=fingerprint(value),
        length=len(value),
    )
