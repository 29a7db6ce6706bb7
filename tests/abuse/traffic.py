"""Synthetic exchanges for the abuse tests: what the gateway logs, built in a line each."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from wardgate.core.exchange import Exchange, HttpRequest, HttpResponse, Identity
from wardgate.core.finding import Category, Finding, Severity
from wardgate.core.phase import Phase
from wardgate.core.taxonomy import Atlas, OwaspLlm
from wardgate.core.verdict import Action, Verdict

T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
HOUR = 3600.0
WORDS = [
    "river",
    "engine",
    "recipe",
    "weather",
    "holiday",
    "invoice",
    "contract",
    "server",
    "budget",
    "garden",
    "network",
    "energy",
    "kitchen",
    "bridge",
    "doctor",
    "market",
    "price",
    "season",
    "music",
    "history",
    "science",
    "travel",
]

PROBE_FINDING = Finding(
    detector="signatures",
    category=Category.SYSTEM_PROMPT_EXTRACTION,
    score=0.9,
    severity=Severity.HIGH,
    tags=(Atlas.META_PROMPT_EXTRACTION, OwaspLlm.SYSTEM_PROMPT_LEAKAGE),
)


def words(rng: random.Random, lo: int = 4, hi: int = 10) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(lo, hi)))


def chat(
    at: float,
    prompt: str,
    *,
    subject: str = "alice",
    tenant: str = "acme",
    client: str = "10.0.0.1",
    usage: tuple[int, int] = (40, 200),
    findings: tuple[Finding, ...] = (),
    blocked: bool = False,
    messages: list[dict[str, Any]] | None = None,
    **params: Any,
) -> Exchange:
    body = {
        "model": "gpt-4o",
        "messages": messages or [{"role": "user", "content": prompt}],
        **params,
    }
    return _exchange(
        at,
        "POST",
        "https://api.openai.com/v1/chat/completions",
        json.dumps(body).encode(),
        subject=subject,
        tenant=tenant,
        client=client,
        route="chat",
        operation="chat",
        status=403 if blocked else 200,
        usage=None if blocked else usage,
        findings=findings,
        verdict=Verdict(Action.BLOCK) if blocked else None,
    )


def embeddings(at: float, inputs: list[str], *, subject: str = "alice", **kw: Any) -> Exchange:
    body = {"model": "text-embedding-3-small", "input": inputs}
    chars = sum(len(i) for i in inputs)
    return _exchange(
        at,
        "POST",
        "https://api.openai.com/v1/embeddings",
        json.dumps(body).encode(),
        subject=subject,
        route="embed",
        operation="embeddings",
        usage=(max(1, chars // 4), 0),
        **kw,
    )


def get(at: float, path: str, status: int = 200, *, subject: str = "alice", **kw: Any) -> Exchange:
    return _exchange(
        at,
        "GET",
        f"https://shop.internal{path}",
        b"",
        subject=subject,
        route="shop",
        operation="http",
        provider="http",
        status=status,
        **kw,
    )


def _exchange(
    at: float,
    method: str,
    url: str,
    body: bytes,
    *,
    subject: str,
    route: str,
    operation: str,
    tenant: str = "acme",
    client: str = "10.0.0.1",
    provider: str = "openai",
    status: int = 200,
    usage: tuple[int, int] | None = None,
    findings: tuple[Finding, ...] = (),
    verdict: Verdict | None = None,
    groups: tuple[str, ...] = (),
) -> Exchange:
    anonymous = subject == "anonymous"
    identity = Identity(
        subject, tenant=tenant, method="anonymous" if anonymous else "api_key", groups=groups
    )
    return Exchange(
        request=HttpRequest(method, url, (), body),
        response=HttpResponse(status, (), b""),
        identity=identity,
        metadata={
            "route": route,
            "provider": provider,
            "client": client,
            "operation": operation,
            "usage": None if usage is None else {"input": usage[0], "output": usage[1]},
        },
        findings=findings,
        verdict=verdict,
        phase=Phase.LOG,
        started_at=datetime.fromtimestamp(at, UTC),
    )


def every(start: float, gap: float, n: int) -> Iterator[float]:
    for i in range(n):
        yield start + i * gap
