"""The ``secrets`` detector: credentials in prompts, documents and model outputs.

Provider tokens are recognised by their published formats (a fixed prefix and a charset/length),
which makes them near-certain; private keys by their PEM armour; JWTs by decoding the header; and
credentials without a format (passwords, unprefixed API keys) only next to a keyword that names
them and only when the value looks random (Shannon entropy, length, mixed characters). That keyword
requirement is what keeps ordinary hashes, UUIDs and commit ids in logs from firing.

All rules live in one table. A Hyperscan prefilter tells which rules can match at all, so a benign
text costs a single scan; only those rules' regexes then run. Evidence shows at most a provider's
public prefix and the length of a value, never the value.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.phase import InputKind
from wardgate.core.taxonomy import Atlas, OwaspLlm, TaxonomyId
from wardgate.detect.base import DetectorConfig, ScanContext, TextView
from wardgate.detect.leaks import Prefilter, window_matches
from wardgate.detect.redact import redacted_excerpt
from wardgate.detect.registry import register

TAGS: tuple[TaxonomyId, ...] = (
    OwaspLlm.SENSITIVE_INFORMATION_DISCLOSURE,
    Atlas.LLM_DATA_LEAKAGE,
    Atlas.UNSECURED_CREDENTIALS,
)
KINDS: frozenset[InputKind] = frozenset({InputKind.PROMPT, InputKind.DOCUMENT, InputKind.OUTPUT})
# The leetspeak view rewrites digits into letters to expose disguised words; on a token that only
# produces a second, mangled copy of the same credential.
SKIPPED_CHAINS = frozenset({"leetspeak"})

# Substrings that mark a value as a placeholder or documentation example, not a live credential.
_PLACEHOLDER_MARKS = (
    "example",
    "xxxx",
    "****",
    "....",
    "…",
    "your",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "$(",
    "%(",
    "placeholder",
    "redacted",
    "changeme",
    "change_me",
    "dummy",
    "sample",
    "insert",
    "replace",
    "fake",
)
_WEAK_PASSWORDS = frozenset(
    {
        "pass",
        "password",
        "passwd",
        "pwd",
        "pw",
        "secret",
        "admin",
        "root",
        "test",
        "guest",
        "user",
        "username",
        "mypassword",
        "123456",
        "12345678",
        "postgres",
        "mysql",
        "redis",
        "none",
        "null",
    }
)
_CODE_VALUE = re.compile(
    r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+"  # attribute access: self.password, os.environ
    r"|[A-Za-z_$][\w$.]*[(\[].*"  # call or subscript: getenv("X"), env["X"]
    r"|[a-z]+(?:_[a-z]+)+|[A-Z]+(?:_[A-Z0-9]+)+"  # snake_case variable, CONSTANT_NAME
    r"|[a-z]+(?:[A-Z][a-z]+)+",  # camelCase variable
    re.ASCII | re.DOTALL,
)
_TEMPLATE_STARTS = ("{", "$", "%", "@", "#{")
_UNLEET = str.maketrans("013457@$", "oleastas")
_LETTER_RUNS = re.compile(r"[a-z]{4,}|[A-Z]{4,}")
# Published sample values (jwt.io's demo token signature, AWS documentation keys).
KNOWN_EXAMPLES = frozenset(
    {
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAIOSFODNN7EXAMPLE",
    }
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _char_classes(value: str) -> int:
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )


def is_placeholder(value: str) -> bool:
    """Documentation examples and templates: ``AKIA...EXAMPLE``, ``<your-key>``, ``${TOKEN}``.

    Digits are read as letters too (``eXamPl3T0K3n`` is an example token), and a few well-known
    published sample values count as examples.
    """
    low = value.lower()
    if any(mark in low for mark in _PLACEHOLDER_MARKS) or any(k in value for k in KNOWN_EXAMPLES):
        return True
    unleeted = low.translate(_UNLEET)
    return unleeted != low and any(mark in unleeted for mark in _PLACEHOLDER_MARKS)


def _wordiness(value: str) -> float:
    """Share of the value in runs of four or more same-case letters: words, not randomness."""
    return sum(len(run) for run in _LETTER_RUNS.findall(value)) / max(len(value), 1)


def plausible_token(value: str) -> bool:
    """A formatted token that is not a placeholder nor a run of one repeated character."""
    return not is_placeholder(value) and (len(value) < 12 or shannon_entropy(value) >= 2.5)


def plausible_password(value: str) -> bool:
    """A URL password that is neither a placeholder, a stock word nor a variable reference."""
    return (
        len(value) >= 4
        and value.lower() not in _WEAK_PASSWORDS
        and not value.startswith(("$", "%", ":"))
        and not is_placeholder(value)
    )


def credential_value(value: str) -> bool:
    """A value assigned to ``password=``/``api_key:`` that looks chosen, not code or a template."""
    value = value.strip("\"'`")
    if len(value) < 8 or is_placeholder(value) or value.lower() in _WEAK_PASSWORDS:
        return False
    if value.startswith(_TEMPLATE_STARTS) or _CODE_VALUE.fullmatch(value):
        return False
    return _char_classes(value) >= 2 and shannon_entropy(value) >= 3.0


def random_token(value: str, min_entropy: float = 3.5, min_length: int = 20) -> bool:
    """A high-entropy credential-like token: long, letters and digits, not a UUID or a path."""
    if len(value) < min_length or is_placeholder(value) or _UUID.fullmatch(value):
        return False
    if value.count("/") > 2 or "//" in value or value.count(".") > 2:
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    if _CODE_VALUE.fullmatch(value) or _wordiness(value) > 0.5:
        return False
    hex_only = all(c in "0123456789abcdefABCDEF" for c in value)
    threshold = min(min_entropy, 3.0) if hex_only else min_entropy  # hex tops out at 4 bits
    return shannon_entropy(value) >= threshold


def _b64url_json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None


def is_jwt(value: str) -> bool:
    """A JWS/JWT: header decodes to a JSON object with ``alg``, payload to a JSON object."""
    parts = value.split(".")
    if len(parts) != 3 or len(parts[0]) > 4096:
        return False
    header = _b64url_json(parts[0])
    return isinstance(header, dict) and "alg" in header and isinstance(_b64url_json(parts[1]), dict)


_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s\\:,-]{0,65536}", re.ASCII)


def pem_block_end(text: str, end: int) -> int:
    """End of the armoured block whose BEGIN line ends at ``end`` (or of its body if truncated)."""
    stop = text.find("-----END ", end, end + 65536)
    if stop != -1:
        close = text.find("-----", stop + 9, stop + 80)
        if close != -1:
            return close + 5
    body = _PEM_BODY.match(text, end)
    return body.end() if body else end


@dataclass(frozen=True, slots=True)
class SecretRule:
    """One kind of credential.

    ``pattern`` finds it (the ``secret`` group, else the whole match, is the value and the span);
    ``prefilter`` is a cheap Hyperscan superset of it; ``confirm`` vets the value; ``near`` is a
    regex that must occur within ``window`` characters before it; ``extend`` moves the end of the
    match (armoured blocks). ``generic`` rules yield to format-specific ones on overlap. ``reveal``
    is how many leading characters of the value are public format and may appear in evidence.
    """

    rule_id: str
    label: str
    pattern: str
    prefilter: str
    score: float
    severity: Severity
    reveal: int = 0
    confirm: Callable[[str], bool] = plausible_token
    near: str | None = None
    window: int = 120
    extend: Callable[[str, int], int] | None = None
    generic: bool = False
    caseless: bool = False
    reach: int = 600


_B = r"(?<![A-Za-z0-9_-])"  # token start: not inside a longer word
_E = r"(?![A-Za-z0-9_-])"  # token end
C, H, M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM

# Keywords that name a credential; the generic rules need one of them next to the value.
_ASSIGN_KEYWORDS = (
    r"(?:api[_.-]?key|apikey|secret[_.-]?key|access[_.-]?key|private[_.-]?key|client[_.-]?secret"
    r"|(?:auth|access|refresh|bearer|api)[_.-]?token|token|secret|password|passwd|passphrase|pwd"
    r"|credentials?)"
)
_NEAR_KEYWORDS = r"(?:key|token|secret|passw(?:or)?d|pwd|credential|bearer|auth)"


def _prefixed(
    rule_id: str, label: str, body: str, score: float, severity: Severity, *, reveal: int = 4
) -> SecretRule:
    """A provider token: fixed prefix plus body, bounded on both sides."""
    return SecretRule(rule_id, label, _B + body + _E, body, score, severity, reveal)


RULES: tuple[SecretRule, ...] = (
    # --- AI providers
    _prefixed(
        "secret.anthropic_key",
        "Anthropic API key",
        r"sk-ant-(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{32,}",
        0.97,
        C,
    ),
    _prefixed(
        "secret.openai_key",
        "OpenAI API key",
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}",
        0.97,
        C,
    ),
    _prefixed(
        "secret.openai_legacy_key",
        "OpenAI API key (legacy format)",
        r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
        0.97,
        C,
    ),
    _prefixed(
        "secret.sk_api_key",
        "API key with sk- prefix (OpenAI-compatible provider)",
        r"sk-[A-Za-z0-9]{32,64}",
        0.8,
        H,
    ),
    _prefixed("secret.huggingface_token", "Hugging Face token", r"hf_[A-Za-z0-9]{34,40}", 0.93, C),
    _prefixed(
        "secret.huggingface_org_token",
        "Hugging Face organisation token",
        r"api_org_[A-Za-z0-9]{34}",
        0.9,
        C,
    ),
    _prefixed("secret.groq_key", "Groq API key", r"gsk_[A-Za-z0-9]{52}", 0.93, C),
    _prefixed("secret.xai_key", "xAI API key", r"xai-[A-Za-z0-9]{80}", 0.93, C),
    _prefixed("secret.replicate_token", "Replicate API token", r"r8_[A-Za-z0-9]{37}", 0.9, C),
    _prefixed("secret.perplexity_key", "Perplexity API key", r"pplx-[A-Za-z0-9]{48}", 0.93, C),
    _prefixed(
        "secret.langsmith_key",
        "LangSmith API key",
        r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
        0.93,
        C,
    ),
    # --- cloud
    _prefixed(
        "secret.aws_access_key_id",
        "AWS access key id",
        r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}",
        0.85,
        H,
    ),
    SecretRule(
        "secret.aws_secret_key",
        "AWS secret access key",
        r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
        r"[A-Za-z0-9/+]{40}",
        0.9,
        C,
        confirm=lambda v: random_token(v, 4.0, 40) and _char_classes(v) >= 3,
        near=r"(?i:aws|secret[_ .-]?access|(?-i:AKIA|ASIA)[A-Z0-9]{16})",
    ),
    _prefixed("secret.gcp_api_key", "Google API key", r"AIza[0-9A-Za-z_-]{35}", 0.9, H),
    _prefixed(
        "secret.google_oauth_secret",
        "Google OAuth client secret",
        r"GOCSPX-[A-Za-z0-9_-]{28}",
        0.93,
        C,
    ),
    _prefixed(
        "secret.google_oauth_token",
        "Google OAuth access token",
        r"ya29\.[0-9A-Za-z_-]{30,}",
        0.88,
        H,
    ),
    SecretRule(
        "secret.google_refresh_token",
        "Google OAuth refresh token",
        r"(?<![A-Za-z0-9])1//0[0-9A-Za-z_-]{40,}" + _E,
        r"1//0[0-9A-Za-z_-]{40}",
        0.85,
        H,
        4,
    ),
    SecretRule(
        "secret.gcp_service_account_key",
        "GCP service-account key file",
        r"\"private_key_id\"\s{0,4}:\s{0,4}\"(?P<secret>[a-f0-9]{40})\"",
        r"\"private_key_id\"\s{0,4}:\s{0,4}\"[a-f0-9]{40}",
        0.85,
        C,
    ),
    SecretRule(
        "secret.azure_storage_key",
        "Azure storage account key",
        r"AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
        r"AccountKey=[A-Za-z0-9+/]{86}==",
        0.95,
        C,
    ),
    SecretRule(
        "secret.azure_sas_signature",
        "Azure shared-access signature",
        r"[?&]sig=(?P<secret>[A-Za-z0-9%+/=]{40,120})",
        r"[?&]sig=[A-Za-z0-9%+/=]{40}",
        0.8,
        H,
        confirm=lambda v: plausible_token(v) and "sv=" not in v,
    ),
    _prefixed(
        "secret.azure_ad_client_secret",
        "Azure AD client secret",
        r"[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
        0.85,
        H,
        reveal=0,
    ),
    _prefixed(
        "secret.digitalocean_token", "DigitalOcean token", r"do[opr]_v1_[a-f0-9]{64}", 0.93, C
    ),
    _prefixed(
        "secret.databricks_token", "Databricks token", r"dapi[a-f0-9]{32}(?:-[0-9])?", 0.85, H
    ),
    _prefixed(
        "secret.hashicorp_vault_token",
        "HashiCorp Vault token",
        r"hv[sb]\.[A-Za-z0-9_-]{24,}",
        0.88,
        C,
    ),
    _prefixed(
        "secret.terraform_token",
        "Terraform Cloud token",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        0.93,
        C,
        reveal=0,
    ),
    # --- code hosting, packages, CI
    _prefixed("secret.github_token", "GitHub token", r"gh[pousr]_[A-Za-z0-9]{36}", 0.97, C),
    _prefixed(
        "secret.github_fine_grained_pat",
        "GitHub fine-grained token",
        r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        0.97,
        C,
    ),
    _prefixed(
        "secret.gitlab_token",
        "GitLab token",
        r"gl(?:pat|dt|rt|ptt|cbt|oas|soat|ft)-[A-Za-z0-9_.-]{20,}",
        0.93,
        C,
    ),
    _prefixed("secret.npm_token", "npm access token", r"npm_[A-Za-z0-9]{36}", 0.93, C),
    _prefixed(
        "secret.pypi_token",
        "PyPI upload token",
        r"pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}",
        0.97,
        C,
    ),
    _prefixed(
        "secret.docker_hub_token", "Docker Hub access token", r"dckr_pat_[A-Za-z0-9_-]{27}", 0.93, C
    ),
    _prefixed(
        "secret.atlassian_token", "Atlassian API token", r"ATATT3[A-Za-z0-9_=-]{180,200}", 0.93, C
    ),
    _prefixed("secret.postman_key", "Postman API key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", 0.93, C),
    _prefixed(
        "secret.sentry_token", "Sentry auth token", r"sntry[su]_[A-Za-z0-9+/=_-]{60,}", 0.88, H
    ),
    # --- messaging, payments, SaaS
    _prefixed("secret.slack_token", "Slack token", r"xox[abposre]-[0-9A-Za-z-]{10,250}", 0.93, C),
    _prefixed(
        "secret.slack_app_token", "Slack app token", r"xapp-[0-9]-[A-Za-z0-9-]{20,}", 0.93, C
    ),
    SecretRule(
        "secret.slack_webhook",
        "Slack incoming-webhook URL",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_-]{20,200})",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/",
        0.9,
        H,
    ),
    SecretRule(
        "secret.discord_webhook",
        "Discord webhook URL",
        r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<secret>[A-Za-z0-9_-]{60,68})",
        r"discord(?:app)?\.com/api/webhooks/",
        0.9,
        H,
    ),
    _prefixed(
        "secret.discord_bot_token",
        "Discord bot token",
        r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",
        0.8,
        H,
        reveal=0,
    ),
    SecretRule(
        "secret.telegram_bot_token",
        "Telegram bot token",
        r"(?<![0-9])[0-9]{8,10}:AA[0-9A-Za-z_-]{33}" + _E,
        r"[0-9]{8}:AA[0-9A-Za-z_-]{33}",
        0.9,
        H,
    ),
    _prefixed(
        "secret.stripe_live_key",
        "Stripe live secret key",
        r"(?:sk|rk)_live_[0-9A-Za-z]{20,}",
        0.97,
        C,
    ),
    _prefixed(
        "secret.stripe_test_key",
        "Stripe test secret key",
        r"(?:sk|rk)_test_[0-9A-Za-z]{20,}",
        0.55,
        M,
    ),
    _prefixed(
        "secret.stripe_webhook_secret", "Stripe webhook secret", r"whsec_[A-Za-z0-9]{32,}", 0.9, C
    ),
    _prefixed(
        "secret.square_token",
        "Square access token",
        r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}",
        0.93,
        C,
    ),
    _prefixed(
        "secret.shopify_token", "Shopify token", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}", 0.93, C
    ),
    _prefixed("secret.twilio_api_key", "Twilio API key SID", r"SK[0-9a-f]{32}", 0.75, H, reveal=2),
    SecretRule(
        "secret.twilio_auth_token",
        "Twilio auth token",
        _B + r"[0-9a-f]{32}" + _E,
        r"[0-9a-f]{32}",
        0.8,
        H,
        near=r"(?i:twilio)",
        window=80,
    ),
    _prefixed(
        "secret.sendgrid_key",
        "SendGrid API key",
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        0.97,
        C,
    ),
    _prefixed("secret.mailgun_key", "Mailgun API key", r"key-[0-9a-f]{32}", 0.8, H),
    _prefixed("secret.linear_key", "Linear API key", r"lin_api_[A-Za-z0-9]{40}", 0.93, C),
    _prefixed("secret.notion_token", "Notion integration token", r"ntn_[A-Za-z0-9]{43,46}", 0.9, C),
    _prefixed(
        "secret.figma_token", "Figma personal access token", r"figd_[A-Za-z0-9_-]{40}", 0.88, H
    ),
    _prefixed("secret.newrelic_key", "New Relic user API key", r"NRAK-[A-Z0-9]{27}", 0.88, H),
    # --- key material and bearer tokens
    SecretRule(
        "secret.private_key",
        "private key (PEM/PGP armour)",
        r"-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----",
        r"-----BEGIN ([A-Z0-9]{1,12} ){0,3}PRIVATE KEY",
        0.98,
        C,
        confirm=lambda _v: True,
        extend=pem_block_end,
    ),
    SecretRule(
        "secret.putty_private_key",
        "PuTTY private key",
        r"PuTTY-User-Key-File-[23]: [^\n]{1,64}",
        r"PuTTY-User-Key-File-[23]: ",
        0.95,
        C,
        confirm=lambda _v: True,
        extend=pem_block_end,
    ),
    SecretRule(
        "secret.jwt",
        "JSON Web Token",
        r"(?<![A-Za-z0-9_-])ey[A-Za-z0-9_-]{8,4096}\.ey[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{0,4096}"
        + _E,
        r"ey[A-Za-z0-9_-]{8}[A-Za-z0-9_-]*\.ey[A-Za-z0-9_-]{8}",
        0.85,
        H,
        3,
        confirm=lambda v: is_jwt(v) and not any(k in v for k in KNOWN_EXAMPLES),
        reach=30_000,
    ),
    SecretRule(
        "secret.url_credentials",
        "password in a URL",
        r"[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s/?#@:'\"<>]{1,128}:(?P<secret>[^\s/?#@'\"<>]{1,256})@[A-Za-z0-9\[]",
        r"://[^\s/?#@:]{1,128}:[^\s/?#@]{1,256}@",
        0.85,
        H,
        confirm=plausible_password,
    ),
    SecretRule(
        "secret.auth_header",
        "credential in an Authorization header",
        r"(?i:authorization)[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?i:bearer|basic|token|digest)\s{1,3}"
        r"(?P<secret>[A-Za-z0-9._~+/=-]{12,4096})",
        r"authorization[\"']?\s{0,3}[:=]\s{0,3}[\"']?(bearer|basic|token|digest)\s",
        0.8,
        H,
        confirm=lambda v: plausible_token(v) and _char_classes(v) >= 2,
        generic=True,
        reach=4_200,
        caseless=True,
    ),
    SecretRule(
        "secret.assignment",
        "credential assigned in code or config",
        r"(?i:(?<![A-Za-z])" + _ASSIGN_KEYWORDS + r")[\"']?\s{0,3}(?::=|=>|[:=])\s{0,3}[\"'`]?"
        r"(?P<secret>[^\s\"'`,;]{8,256})",
        r"(pass(word|wd|phrase)?|pwd|secret|token|key|credentials?)[\"']?\s{0,3}(:|=)\s{0,3}[\"'`]?[^\s\"'`,;]{8}",
        0.75,
        H,
        confirm=credential_value,
        generic=True,
        caseless=True,
    ),
)
# The keyword-anchored high-entropy rule is built from configuration (window, length, entropy).
HIGH_ENTROPY_RULE_ID = "secret.high_entropy"


class SecretsConfig(DetectorConfig):
    """Thresholds of the generic rules; provider formats need none."""

    min_entropy: float = Field(default=3.5, ge=0.0, le=8.0)
    min_token_length: int = Field(default=20, ge=8, le=512)
    keyword_window: int = Field(default=40, ge=0, le=400)
    disabled_rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: SecretRule
    pattern: re.Pattern[str]
    near: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    value: str
    rule: SecretRule


class SecretsDetector:
    """Finds credentials; one finding per distinct region, the most specific rule winning."""

    name: ClassVar[str] = "secrets"
    kinds: frozenset[InputKind] = KINDS

    def __init__(self, config: SecretsConfig | None = None) -> None:
        config = config or SecretsConfig()
        disabled = set(config.disabled_rules)
        high_entropy = SecretRule(
            HIGH_ENTROPY_RULE_ID,
            "high-entropy token next to a credential keyword",
            r"(?i:(?<![A-Za-z])"
            + _NEAR_KEYWORDS
            + r")[^\n]{0,"
            + str(config.keyword_window)
            + r"}?"
            r"(?<![A-Za-z0-9+/_=.~-])(?P<secret>[A-Za-z0-9+/_=.~-]{"
            + str(config.min_token_length)
            + r",512})",
            _NEAR_KEYWORDS
            + r"[^\n]{0,"
            + str(config.keyword_window)
            + r"}[A-Za-z0-9+/_=.~-]{"
            + str(config.min_token_length)
            + "}",
            0.7,
            Severity.HIGH,
            confirm=lambda v: random_token(v, config.min_entropy, config.min_token_length),
            generic=True,
            caseless=True,
        )
        rules = [r for r in (*RULES, high_entropy) if r.rule_id not in disabled]
        self._rules = tuple(
            _Compiled(
                r, re.compile(r.pattern, re.ASCII), None if r.near is None else re.compile(r.near)
            )
            for r in rules
        )
        self._prefilter = Prefilter([(r.prefilter, r.caseless) for r in rules])
        self._reach = [r.reach for r in rules]

    def inspect(self, view: TextView, context: ScanContext) -> Sequence[Finding]:
        if view.kind not in self.kinds or SKIPPED_CHAINS.intersection(view.chain):
            return []
        text = view.text
        hits: list[_Hit] = []
        for index, spans in sorted(self._prefilter.regions(text, self._reach).items()):
            hits.extend(self._matches(self._rules[index], text, spans))
        return [self._finding(h) for h in _resolve(hits)]

    @staticmethod
    def _matches(compiled: _Compiled, text: str, windows: list[tuple[int, int]]) -> list[_Hit]:
        rule = compiled.rule
        found: list[_Hit] = []
        for m in window_matches(compiled.pattern, text, windows):
            group = "secret" if "secret" in compiled.pattern.groupindex else 0
            start, end = m.span(group)
            if rule.extend is not None:
                end = rule.extend(text, end)
            value = text[start:end]
            if compiled.near is not None and not compiled.near.search(
                text, max(0, start - rule.window), start
            ):
                continue
            if rule.confirm(value):
                found.append(_Hit(start, end, value, rule))
        return found

    def _finding(self, hit: _Hit) -> Finding:
        rule = hit.rule
        return Finding(
            detector=self.name,
            category=Category.SECRET,
            score=rule.score,
            severity=rule.severity,
            span=Span(hit.start, hit.end),
            evidence=redacted_excerpt(hit.value, rule.reveal),
            tags=TAGS,
            rule_id=rule.rule_id,
            message=f"{rule.label} ({len(hit.value)} characters)",
        )


def _resolve(hits: list[_Hit]) -> list[_Hit]:
    """Keep one hit per region: format-specific before generic, then higher score, then longer."""
    ranked = sorted(hits, key=lambda h: (h.rule.generic, -h.rule.score, h.start - h.end))
    kept: list[_Hit] = []
    for hit in ranked:
        if all(hit.end <= k.start or k.end <= hit.start for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


@register("secrets", SecretsConfig)
def build(config: SecretsConfig) -> SecretsDetector:
    return SecretsDetector(config)
