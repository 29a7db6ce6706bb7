"""Limits shared by gateway replicas through a real Redis: two gateways, each on its own socket and
event loop, count one identity's requests and tokens together; and what happens when Redis is down.

The request limit is counted before the call is forwarded, so sharing is exact. Token spending is
recorded after the answer, off the request path (usage is only known then), so a replica sees
another's spend once that write has landed: the test waits for it in Redis rather than sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import free_port
from wardgate.app import build_gateway
from wardgate.detect.scanner import Scanner
from wardgate.gateway.config import GatewayConfig
from wardgate.gateway.proxy import Gateway
from wardgate.storage.keys import KeyStore
from wardgate.testing.fake_llm import FakeLLM
from wardgate.testing.server import serve_in_thread

LIMIT = 3  # requests per identity per hour, across replicas
PER_S = 3600
TOKEN_BUDGET = 40
IDENTITIES = ("openai", "anthropic", "gemini", "tokens")


def _config(tmp: Path, upstream: str, redis_url: str, *, fail_open: bool) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "database": str(tmp / "wardgate.db"),
            "limits": {
                "requests": {"requests": LIMIT, "per_s": PER_S},
                "redis_url": redis_url,
                "fail_open": fail_open,
            },
            "routes": [
                {"name": "openai", "prefix": "/openai", "upstream": upstream, "provider": "openai"},
                {
                    "name": "anthropic",
                    "prefix": "/anthropic",
                    "upstream": upstream,
                    "provider": "anthropic",
                },
                {"name": "gemini", "prefix": "/gemini", "upstream": upstream, "provider": "gemini"},
                {
                    "name": "budget",
                    "prefix": "/budget",
                    "upstream": upstream,
                    "provider": "openai",
                    "limits": {"tokens": {"tokens": TOKEN_BUDGET, "per_s": PER_S}},
                },
            ],
        }
    )


@dataclass
class Replicas:
    urls: tuple[str, str]
    gateways: tuple[Gateway, Gateway]
    fake: FakeLLM
    keys: dict[str, str]
    redis: redis.Redis


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, redis_port: int, scanner: Scanner
) -> Iterator[Replicas]:
    tmp = tmp_path_factory.mktemp("replicas")
    fake = FakeLLM()
    with serve_in_thread(fake) as upstream:
        config = _config(tmp, upstream.url, f"redis://127.0.0.1:{redis_port}/0", fail_open=False)
        store = KeyStore.open(Path(config.database))
        keys = {name: store.create(f"shared-{name}")[1] for name in IDENTITIES}
        store.close()
        a = build_gateway(config, scanner=scanner)
        b = build_gateway(config, scanner=scanner)  # its own limiter, Redis client and key cache
        assert a.c.limiter is not b.c.limiter
        client = redis.Redis(host="127.0.0.1", port=redis_port)
        with serve_in_thread(a) as run_a, serve_in_thread(b) as run_b:
            yield Replicas((run_a.url, run_b.url), (a, b), fake, keys, client)
        client.close()


# -- one call per dialect ------------------------------------------------------------------------


def _openai(base: str, key: str, text: str = "hi", prefix: str = "/openai") -> httpx.Response:
    return httpx.post(
        f"{base}{prefix}/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": text}]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def _anthropic(base: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{base}/anthropic/v1/messages",
        json={
            "model": "claude-test-model",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}],
        },
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
        timeout=10,
    )


def _gemini(base: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{base}/gemini/v1beta/models/gemini-2.0-flash:generateContent",
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        headers={"x-goog-api-key": key},
        timeout=10,
    )


def _is_openai_429(body: dict[str, Any]) -> bool:
    return body["error"]["type"] == "rate_limit_error" and (
        body["error"]["code"] == "rate_limit_exceeded"
    )


def _is_anthropic_429(body: dict[str, Any]) -> bool:
    return body["type"] == "error" and body["error"]["type"] == "rate_limit_error"


def _is_gemini_429(body: dict[str, Any]) -> bool:
    return body["error"]["status"] == "RESOURCE_EXHAUSTED" and body["error"]["code"] == 429


DIALECTS = {
    "openai": (_openai, _is_openai_429),
    "anthropic": (_anthropic, _is_anthropic_429),
    "gemini": (_gemini, _is_gemini_429),
}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_request_limit_is_shared_across_replicas(replicas: Replicas, dialect: str) -> None:
    call, is_rate_limit_error = DIALECTS[dialect]
    key = replicas.keys[dialect]
    upstream_calls = len(replicas.fake.requests)
    answers = [call(replicas.urls[i % 2], key) for i in range(2 * LIMIT)]  # A, B, A, B, ...
    assert [r.status_code for r in answers] == [200] * LIMIT + [429] * LIMIT
    assert len(replicas.fake.requests) - upstream_calls == LIMIT  # refused calls never left
    for refused in answers[LIMIT:]:
        assert is_rate_limit_error(refused.json()), refused.text
        assert "request rate limit reached" in refused.text
        # GCRA: the next call is allowed one interval (PER_S / LIMIT seconds) after the last.
        assert PER_S / LIMIT - 60 < int(refused.headers["retry-after"]) <= PER_S / LIMIT


def _token_state(replicas: Replicas, subject: str) -> bytes | None:
    keys = replicas.redis.keys(f"wardgate:limit:t:*:{subject}")
    assert len(keys) <= 1
    value = replicas.redis.get(keys[0]) if keys else None
    return value if isinstance(value, bytes) else None


def _wait_for_token_state(replicas: Replicas, subject: str, other_than: bytes | None) -> bytes:
    """The spend is written after the answer, off the request path: wait until it lands."""
    deadline = time.monotonic() + 3
    while (state := _token_state(replicas, subject)) is None or state == other_than:
        assert time.monotonic() < deadline, "the token spend never reached Redis"
        time.sleep(0.01)
    return state


def test_token_budget_spent_on_one_replica_is_seen_by_the_other(replicas: Replicas) -> None:
    url_a, url_b = replicas.urls
    key = replicas.keys["tokens"]
    small = _openai(url_b, key, "hi", prefix="/budget")  # 1 + 3 words: well inside the budget
    assert small.status_code == 200
    after_small = _wait_for_token_state(replicas, "shared-tokens", None)
    big = _openai(url_a, key, " ".join(["word"] * 25), prefix="/budget")  # 25 + 27 > 40 - 4
    assert big.status_code == 200  # a budget is checked before the call, spent after it
    _wait_for_token_state(replicas, "shared-tokens", after_small)
    for url in (url_b, url_a):
        refused = _openai(url, key, "more", prefix="/budget")
        assert refused.status_code == 429
        assert _is_openai_429(refused.json())
        assert f"token budget spent ({TOKEN_BUDGET} per {PER_S} s)" in refused.text
        assert int(refused.headers["retry-after"]) >= 1


# -- Redis down ----------------------------------------------------------------------------------


def _closed_port() -> int:
    return free_port()  # bound and released: nobody listens, so connecting is refused at once


@pytest.mark.parametrize("fail_open", [True, False])
def test_redis_down(tmp_path: Path, scanner: Scanner, fail_open: bool) -> None:
    fake = FakeLLM()
    config = _config(
        tmp_path,
        "http://fake.invalid",
        f"redis://127.0.0.1:{_closed_port()}/0",
        fail_open=fail_open,
    )
    _, key = KeyStore.open(Path(config.database)).create("outage")
    gateway = build_gateway(
        config, scanner=scanner, transports={"openai": httpx.ASGITransport(app=fake)}
    )
    with serve_in_thread(gateway) as running:
        started = time.monotonic()
        answers = [_openai(running.url, key) for _ in range(LIMIT + 2)]
        elapsed = time.monotonic() - started
        metrics = httpx.get(f"{running.url}/metrics").text
    assert elapsed < 5  # an unreachable Redis costs a refused connection, not a stall
    errors = gateway.c.limiter.backend_errors  # type: ignore[attr-defined]
    assert errors == LIMIT + 2  # every decision fell back, and was counted
    assert f"wardgate_limit_backend_errors {float(errors)}" in metrics
    if fail_open:
        # Fail open: no limit is enforced during the outage, not even this replica's own share;
        # every call goes through (more than LIMIT of them).
        assert [r.status_code for r in answers] == [200] * (LIMIT + 2)
        assert len(fake.requests) == LIMIT + 2
    else:
        # Fail closed: the limiter refuses with its fixed retry (RedisLimiter's
        # fail_retry_after_s, 1 s, which build_gateway does not change) and the gateway answers
        # the usual rate-limit error: the client cannot tell an outage from a spent limit.
        assert [r.status_code for r in answers] == [429] * (LIMIT + 2)
        assert all(_is_openai_429(r.json()) for r in answers)
        assert {r.headers["retry-after"] for r in answers} == {"1"}
        assert "request rate limit reached" in answers[0].json()["error"]["message"]
        assert not fake.requests
