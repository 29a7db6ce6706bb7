"""A small but complete Wardgate database, built once per session with the real AuditLog."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.compliance.store import T0, config, decision, finding, write_log
from wardgate.audit.signing import generate_private_key, save_public_key
from wardgate.compliance.report import Report, build_report


@pytest.fixture(scope="session")
def signer() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory, signer: Ed25519PrivateKey) -> Path:
    """Two days of traffic on two routes, a config reload, key and incident events."""
    path = tmp_path_factory.mktemp("compliance") / "wardgate.db"
    day1 = [
        config(),
        decision(),
        decision(
            route="rag",
            findings=[
                finding("indirect_injection", kind="document", tags=["LLM01", "AML.T0051.001"])
            ],
            request={"action": "block"},
        ),
        decision(
            auth="invalid",
            identity={"method": "anonymous", "subject": None},
            request={"action": "deny", "policy_ids": []},
        ),
        decision(
            request={"action": "redact"},
            redactions=2,
            findings=[finding("pii", tags=["LLM02", "AML.T0057"])],
        ),
        (
            "key",
            {
                "event": "create",
                "key_id": "k2",
                "name": "ci",
                "groups": [],
                "scopes": [],
                "expires_at": None,
            },
        ),
        (
            "incident",
            {
                "event": "open",
                "incident": "INC-000001",
                "category": "prompt_injection",
                "severity": "high",
                "identity": "svc-a",
                "route": "chat",
                "by": None,
            },
        ),
    ]
    day2 = [
        decision(
            response={"action": "block"},
            findings=[
                finding(
                    "system_prompt_leak",
                    phase="response",
                    kind="output",
                    tags=["LLM07", "AML.T0056"],
                )
            ],
        ),
        decision(
            mode="monitor",
            request={"action": "block", "enforced": False},
            findings=[finding("jailbreak", tags=["LLM01", "AML.T0054"])],
        ),
        ("incident", {"event": "acknowledge", "incident": "INC-000001", "by": "oncall"}),
        (
            "policy",
            {
                "event": "update",
                "policy_sha256": "33" * 32,
                "policy_ids": ["p-allow", "p-deny-default", "p-new"],
                "by": "alice",
            },
        ),
    ]
    return write_log(
        path,
        [(T0, day1), (T0 + timedelta(days=1), day2)],
        checkpoint_with=signer,
    )


@pytest.fixture(scope="session")
def public_key_file(tmp_path_factory: pytest.TempPathFactory, signer: Ed25519PrivateKey) -> Path:
    path = tmp_path_factory.mktemp("keys") / "audit.pub"
    save_public_key(signer.public_key(), path)
    return path


@pytest.fixture(scope="session")
def sample_report(sample_db: Path, signer: Ed25519PrivateKey) -> Report:
    return build_report(
        sample_db,
        public_key=signer.public_key(),
        benchmarks=Path(__file__).parents[2] / "docs" / "benchmarks.md",
        now=T0 + timedelta(days=1, hours=2),
    )
