import json

import pytest

from tests.ai_inventory.scan.builders import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY
from wardgate.ai_inventory.scan.fileio import LineIndex
from wardgate.ai_inventory.scan.keys import fingerprint, redact, scan_keys

GOOGLE_KEY = "AIza" + "SyD7kQ2mX9vB4nR8tW1cE6hJ3pL5sF0gZ2y"
HF_TOKEN = "hf_" + "Qm7Rz2Kx9Wv4Tb8Yn3Hc6Jd1Lf5Gp0XsAb"
AWS_ID = "AKIA" + "Q7RZ2KX9WV4TB8YN"
COHERE_KEY = "Zq7Rm2Kx9Wv4Tb8Yn3Hc6Jd1Lf5Gp0XsQa7Eu2Io"
MISTRAL_KEY = "Hq3Wm8Zr2Vx7Kt1Nb6Yc4Pd9Lf0Js5Ga"


def _scan(text):
    return scan_keys("cfg", text, LineIndex(text))


@pytest.mark.parametrize(
    ("text", "rule_id", "provider", "redacted"),
    [
        (
            f'OPENAI_API_KEY = "{FAKE_OPENAI_KEY}"',
            "secret.openai_key",
            "openai",
            "sk-proj-…" + FAKE_OPENAI_KEY[-4:],
        ),
        (
            f"key: {FAKE_ANTHROPIC_KEY}",
            "secret.anthropic_key",
            "anthropic",
            "sk-ant-api03-…" + FAKE_ANTHROPIC_KEY[-4:],
        ),
        (f"GOOGLE_API_KEY={GOOGLE_KEY}", "secret.gcp_api_key", "google", "AIza…" + GOOGLE_KEY[-4:]),
        (
            f'token = "{HF_TOKEN}"',
            "secret.huggingface_token",
            "huggingface",
            "hf_…" + HF_TOKEN[-4:],
        ),
        (f"aws_access_key_id = {AWS_ID}", "secret.aws_access_key_id", "amazon", "AKIA…"),
        (
            f'COHERE_API_KEY = "{COHERE_KEY}"',
            "inventory.cohere_key",
            "cohere",
            "…" + COHERE_KEY[-4:],
        ),
        (
            f"MISTRAL_API_KEY={MISTRAL_KEY}",
            "inventory.mistral_key",
            "mistral",
            "…" + MISTRAL_KEY[-4:],
        ),
    ],
)
def test_provider_keys_are_found_and_redacted(text, rule_id, provider, redacted):
    found = _scan("# settings\n" + text + "\n")
    assert [(k.rule_id, k.provider, k.line) for k in found] == [(rule_id, provider, 2)]
    key = found[0]
    assert key.redacted == redacted
    assert key.fingerprint.startswith("sha256:")
    assert len(key.fingerprint) == 7 + 16
    raw = text.split("=")[-1].split(":")[-1].strip().strip('"')
    assert raw not in json.dumps(key.to_dict())
    assert key.length == len(raw)


@pytest.mark.parametrize(
    "text",
    [
        'OPENAI_API_KEY = "sk-proj-your-key-here-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
        "OPENAI_API_KEY = os.environ['OPENAI_API_KEY']",
        "api_key: ${OPENAI_API_KEY}",
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        f"cohere_unrelated = '{COHERE_KEY}'",
        "MISTRAL_API_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "password = 'Tr0ub4dor&3-horse-battery'",  # not an AI provider credential
        "ghp_" + "A" * 36,
    ],
)
def test_placeholders_references_and_other_secrets_are_not_reported(text):
    assert _scan(text) == []


def test_same_key_same_fingerprint_and_no_raw_value():
    assert fingerprint(FAKE_OPENAI_KEY) == fingerprint(FAKE_OPENAI_KEY)
    assert fingerprint(FAKE_OPENAI_KEY) != fingerprint(FAKE_ANTHROPIC_KEY)
    assert FAKE_OPENAI_KEY[8:20] not in redact(FAKE_OPENAI_KEY)
    assert redact("short") == "…"
