"""The secrets detector: provider formats, key material, JWTs, URL and generic credentials.

Fake tokens are assembled at run time from a seeded generator, so no string in this file has a
live credential's shape (which would also trip repository secret scanning).
"""

from __future__ import annotations

import base64
import json
import random
import string
import time

import pytest

from wardgate.core import Atlas, Category, InputKind, OwaspLlm
from wardgate.detect.base import ScanContext, TextView
from wardgate.detect.leaks.secrets import SecretsConfig, SecretsDetector, shannon_entropy
from wardgate.detect.registry import get

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"
UPPER = string.ascii_uppercase + string.digits
_rng = random.Random(20240611)


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


JWT = ".".join(
    [b64url({"alg": "HS256", "typ": "JWT"}), b64url({"sub": "42", "exp": 1}), rand(43, URLSAFE)]
)
PEM = (
    "-----BEGIN " + "RSA PRIVATE KEY-----\n"
    + "\n".join(rand(64, ALNUM + "+/") for _ in range(5))
    + "\n-----END RSA PRIVATE KEY-----"
)  # fmt: skip
AWS_SECRET = rand(18) + "/" + rand(10) + "+" + rand(10)

# (rule_id, text, secret) — the finding's span must cover exactly ``secret``.
MUST_FLAG = [
    ("secret.openai_key", "sk-" + "proj-" + rand(64, URLSAFE)),
    ("secret.openai_legacy_key", "sk-" + rand(20) + "T3Blbk" + "FJ" + rand(20)),
    ("secret.anthropic_key", "sk-" + "ant-api03-" + rand(93, URLSAFE)),
    ("secret.aws_access_key_id", "AKIA" + rand(16, UPPER)),
    ("secret.aws_access_key_id", "ASIA" + rand(16, UPPER)),
    ("secret.gcp_api_key", "AIza" + rand(35, URLSAFE)),
    ("secret.google_oauth_secret", "GOCSPX-" + rand(28, URLSAFE)),
    ("secret.github_token", "gh" + "p_" + rand(36)),
    ("secret.github_token", "gh" + "s_" + rand(36)),
    ("secret.github_fine_grained_pat", "github" + "_pat_" + rand(22) + "_" + rand(59)),
    ("secret.gitlab_token", "gl" + "pat-" + rand(20, URLSAFE)),
    ("secret.slack_token", "xo" + "xb-" + rand(12, string.digits) + "-" + rand(24)),
    ("secret.stripe_live_key", "sk" + "_live_" + rand(24)),
    ("secret.stripe_live_key", "rk" + "_live_" + rand(24)),
    ("secret.twilio_api_key", "S" + "K" + rand(32, HEX)),
    ("secret.sendgrid_key", "S" + "G." + rand(22, URLSAFE) + "." + rand(43, URLSAFE)),
    ("secret.huggingface_token", "h" + "f_" + rand(34)),
    ("secret.npm_token", "np" + "m_" + rand(36)),
    ("secret.pypi_token", "py" + "pi-AgEIcHlwaS5vcmc" + rand(70, URLSAFE)),
    ("secret.telegram_bot_token", rand(10, string.digits) + ":A" + "A" + rand(33, URLSAFE)),
    ("secret.mailgun_key", "ke" + "y-" + rand(32, HEX)),
    ("secret.groq_key", "gs" + "k_" + rand(52)),
    ("secret.digitalocean_token", "do" + "p_v1_" + rand(64, HEX)),
    ("secret.jwt", JWT),
    ("secret.private_key", PEM),
]


DETECTOR = SecretsDetector()  # compiling the Hyperscan database once keeps the suite fast


def inspect(text: str, detector: SecretsDetector | None = None, kind: InputKind = InputKind.PROMPT):
    return list((detector or DETECTOR).inspect(TextView(text, kind), ScanContext()))


@pytest.mark.parametrize(("rule_id", "secret"), MUST_FLAG, ids=[r for r, _ in MUST_FLAG])
def test_provider_formats_flag_with_exact_span(rule_id, secret):
    text = f"here is the value: {secret} -- keep it safe"
    findings = inspect(text)
    assert [f.rule_id for f in findings] == [rule_id]
    f = findings[0]
    assert text[f.span.start : f.span.end] == secret
    assert f.score >= 0.5
    assert f.category is Category.SECRET
    assert OwaspLlm.SENSITIVE_INFORMATION_DISCLOSURE in f.tags
    assert Atlas.LLM_DATA_LEAKAGE in f.tags
    assert secret not in f.evidence
    assert secret[5:15] not in f.evidence
    assert f"len={len(secret)}" in f.evidence
    assert secret not in f.message


@pytest.mark.parametrize(
    ("text", "rule_id", "secret"),
    [
        ("postgres://app:" + "Zq8" + "rT2vLw9@db.internal:5432/app", "secret.url_credentials",
         "Zq8rT2vLw9"),
        ('DB_PASSWORD="' + "Vx7!kQ2" + '#pL9m"', "secret.assignment", "Vx7!kQ2#pL9m"),
        ("config: {'api_key': '" + "a9F3kL0q" + "Zx7Vb2Nm'}", "secret.assignment",
         "a9F3kL0qZx7Vb2Nm"),
        ("Authorization: Bearer " + "mF9" + "xQ2LpV7tR4zK8wN3", "secret.auth_header",
         "mF9xQ2LpV7tR4zK8wN3"),
        ("my token is probably " + "Qm9vX2" + "Jhcl85OTg3NjU0MzIxYWJj", "secret.high_entropy",
         "Qm9vX2Jhcl85OTg3NjU0MzIxYWJj"),
        ("aws_secret_access_key = " + AWS_SECRET, "secret.aws_secret_key", AWS_SECRET),
        ("Bearer " + JWT, "secret.jwt", JWT),
    ],
)  # fmt: skip
def test_generic_and_contextual_credentials(text, rule_id, secret):
    findings = inspect(text)
    assert [f.rule_id for f in findings] == [rule_id]
    assert text[findings[0].span.start : findings[0].span.end] == secret
    assert secret[:-4] not in findings[0].evidence


MUST_PASS = [
    "The key takeaway is that tokens are cheap; passwords should be long.",
    "commit 3f2a9c1b0d4e5f60718293a4b5c6d7e8f9012345 fixed the parser",
    "request id 123e4567-e89b-12d3-a456-426614174000 took 12 ms",
    "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "AKIAIOSFODNN7" + "EXAMPLE is the documented example access key id",
    "password = os.environ['DB_PASSWORD']",
    "api_key: <your-api-key-here>",
    "token = get_token()",
    "password: ${DB_PASSWORD}",
    "connect to postgres://user:password@localhost:5432/db",
    "max_tokens=4096, temperature=0.2",
    "sk-" + "x" * 48,
    "eyJ" + "notajwt" * 3 + ".eyJ" + "garbage" * 3 + ".sig",
    "The risk-assessment task-force met; the ask-me-anything thread is pinned.",
    "/usr/local/lib/python3.11/site-packages/secret_module/token_utils.py",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "Use the secret sauce: patience. Your password must have 12 characters.",
    "TOKEN='" + "eX4mpl3T0k3n" + "' is what the tutorial uses",
    "hash each password with PASSWORD_BCRYPT/ARGON2I before storing it",
    "password = newPasswordValue;",
    'print(f"token: {token}")',
    ".".join(
        [
            b64url({"alg": "HS256"}),
            b64url({"sub": "1"}),
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        ]
    ),
]


@pytest.mark.parametrize("text", MUST_PASS)
def test_benign_text_does_not_flag(text):
    assert [f for f in inspect(text) if f.score >= 0.5] == []


def test_specific_rule_wins_over_generic_on_overlap():
    token = "gh" + "p_" + rand(36)
    findings = inspect(f"GITHUB_TOKEN={token}")
    assert [f.rule_id for f in findings] == ["secret.github_token"]


def test_several_secrets_are_reported_separately_in_order():
    a, b = "AKIA" + rand(16, UPPER), "gh" + "o_" + rand(36)
    findings = inspect(f"first {a} then {b}")
    assert [f.rule_id for f in findings] == ["secret.aws_access_key_id", "secret.github_token"]


def test_aws_secret_needs_context():
    assert inspect(f"checksum {AWS_SECRET} computed") == []


def test_truncated_pem_still_flags():
    text = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\n" + rand(70, ALNUM + "+/")
    findings = inspect(text)
    assert [f.rule_id for f in findings] == ["secret.private_key"]
    assert findings[0].span.end == len(text)


def test_disabled_rule_and_applies_to_all_kinds():
    token = "gh" + "p_" + rand(36)
    detector = SecretsDetector(SecretsConfig(disabled_rules=("secret.github_token",)))
    assert [f.rule_id for f in inspect(token, detector)] == []
    assert InputKind.OUTPUT in SecretsDetector.kinds
    assert InputKind.DOCUMENT in SecretsDetector.kinds
    assert inspect(token, kind=InputKind.OUTPUT)


def test_skips_leetspeak_view():
    token = "gh" + "p_" + rand(36)
    view = TextView(token, InputKind.PROMPT, chain=("leetspeak",))
    assert SecretsDetector().inspect(view, ScanContext()) == []


def test_registered_with_typed_config():
    spec = get("secrets")
    detector, config = spec.build({"min_entropy": 4.0})
    assert isinstance(detector, SecretsDetector)
    assert config.min_entropy == 4.0
    with pytest.raises(ValueError, match="extra"):
        spec.build({"nonsense": 1})


def test_entropy():
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert shannon_entropy("") == 0.0


@pytest.mark.parametrize(
    "text",
    ["", "\x00" * 1000, "\ud800\udfff" * 100 + "password=\ud800" * 10, "sk-" * 10_000,
     "password=" * 5_000, "-----BEGIN RSA PRIVATE KEY-----" * 1000, "://a:b@" * 5000,
     "ey" + "A" * 100_000 + ".ey" + "B" * 100_000, "🔑" * 50_000],
)  # fmt: skip
def test_hostile_input_never_raises(text):
    start = time.perf_counter()
    inspect(text)
    assert time.perf_counter() - start < 2.0


def test_speed_on_benign_text():
    text = ("The quarterly report covers revenue, churn and hiring plans for 2024. " * 30)[:2000]
    detector = SecretsDetector()
    detector.inspect(TextView(text, InputKind.PROMPT), ScanContext())
    start = time.perf_counter()
    for _ in range(200):
        detector.inspect(TextView(text, InputKind.PROMPT), ScanContext())
    per_call_ms = (time.perf_counter() - start) / 200 * 1000
    assert per_call_ms < 1.0  # ~0.01 ms measured; loose bound for slow CI machines


@pytest.mark.parametrize(
    "filler", ["lorem ipsum dolor sit amet ", "naïve café 東京 🔑 — ", "\ud800 x "]
)
def test_long_text_spans_are_exact_around_non_ascii(filler):
    token = "gh" + "p_" + rand(36)
    body = filler * 40_000
    text = f"{body}{token} {body}AKIA{rand(16, UPPER)}"
    findings = inspect(text)
    assert [f.rule_id for f in findings] == ["secret.github_token", "secret.aws_access_key_id"]
    assert text[findings[0].span.start : findings[0].span.end] == token
    assert findings[1].span.end == len(text)


def test_many_candidates_fall_back_to_whole_text_scan():
    token = "sk" + "_live_" + rand(24)
    text = "secret=aaaaaaaa " * 5_000 + token
    assert [f.rule_id for f in inspect(text)] == ["secret.stripe_live_key"]
