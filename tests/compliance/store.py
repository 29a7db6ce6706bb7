"""Builders for audit records shaped like the gateway's, and a real audit log to hold them."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardgate.audit.log import AuditLog

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_DECISION: dict[str, Any] = {
    "exchange": "ex-1",
    "route": "chat",
    "provider": "openai",
    "mode": "enforce",
    "method": "POST",
    "path": "/v1/chat/completions",
    "status": 200,
    "identity": {
        "subject": "svc-a",
        "method": "api_key",
        "key_id": "k1",
        "tenant": "t1",
        "groups": ["eng"],
    },
    "request": {"action": "allow", "enforced": True, "policy_ids": ["p-allow"], "reasons": []},
    "response": {"action": "allow", "enforced": True, "policy_ids": [], "reasons": []},
    "findings": [],
    "model": "gpt-4o-2024-08-06",
    "answer_model": "gpt-4o-2024-08-06",
    "tokens": {"input": 10, "output": 20},
    "prompt": {"sha256": "ab" * 32, "chars": 12},
    "answer": {"sha256": "cd" * 32, "chars": 40},
    "response_scan": "complete",
    "redactions": 0,
    "auth": "ok",
    "latency_ms": 3.5,
}

_CONFIG: dict[str, Any] = {
    "event": "start",
    "config_sha256": "11" * 32,
    "policy_sha256": "22" * 32,
    "policy_ids": ["p-allow", "p-deny-default"],
    "routes": [
        {
            "name": "chat",
            "provider": "openai",
            "mode": "enforce",
            "fail_closed": True,
            "anonymous": False,
            "upstream_host": "api.openai.com",
        }
    ],
    "detection": {"version": "wardgate-0.1.0", "threshold": 0.5},
    "limits": {"requests": {"requests": 600, "per_s": 60.0}, "tokens": None},
    "audit": {"fail_closed": False, "checkpoint_every_s": 300.0, "export": True},
}


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def decision(**changes: Any) -> tuple[str, dict[str, Any]]:
    """A decision record body (nested dicts in ``changes`` are merged, not replaced)."""
    return "decision", _merge(_DECISION, changes)


def config(**changes: Any) -> tuple[str, dict[str, Any]]:
    return "config", _merge(_CONFIG, changes)


def finding(category: str, phase: str = "request", **extra: Any) -> dict[str, Any]:
    return {
        "detector": "signatures",
        "rule_id": f"{category}.1",
        "category": category,
        "severity": "high",
        "score": 0.9,
        "phase": phase,
        "tags": extra.pop("tags", ["LLM01"]),
        "chain": [],
        "kind": extra.pop("kind", "prompt"),
        **extra,
    }


class Clock:
    """A settable clock for :class:`AuditLog` (each batch gets the current time)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now.timestamp()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def write_log(
    path: Path,
    batches: Iterable[tuple[datetime, list[tuple[str, Mapping[str, Any]]]]],
    *,
    checkpoint_with: Ed25519PrivateKey | None = None,
) -> Path:
    """Append each batch at its time; sign a checkpoint at the end when a key is given."""
    clock = Clock()
    log = AuditLog.open(path, clock=clock)
    try:
        for when, records in batches:
            clock.now = when
            log.append_many(records)
        if checkpoint_with is not None:
            log.checkpoint(checkpoint_with)
    finally:
        log.close()
    return path
