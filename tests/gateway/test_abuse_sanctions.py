"""Abuse detection's standing responses, applied by the gateway on the request path: a
suspended identity is refused, a degraded one loses logprobs and extra samples, and a caller
without a sanction is untouched."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from wardgate.abuse.responses import Degrade, Sanction
from wardgate.app import build_gateway
from wardgate.gateway.config import GatewayConfig
from wardgate.storage.keys import KeyStore
from wardgate.testing.fake_llm import FakeLLM
from wardgate.testing.server import serve_in_thread


def _chat(url: str, key: str, **extra: object) -> httpx.Response:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], **extra}
    return httpx.post(
        f"{url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
    )


def test_sanctions_are_enforced_on_the_request_path(tmp_path: Path) -> None:
    db = tmp_path / "wg.db"
    store = KeyStore.open(db)
    _, suspended = store.create("scraper")
    _, degraded = store.create("distiller")
    _, clean = store.create("app")
    fake = FakeLLM()
    with serve_in_thread(fake) as upstream:
        config = GatewayConfig.model_validate(
            {
                "database": str(db),
                "routes": [
                    {
                        "name": "openai",
                        "prefix": "/",
                        "upstream": upstream.url,
                        "provider": "openai",
                    }
                ],
            }
        )
        gateway = build_gateway(config)
        book = gateway.c.sanctions
        assert book is not None
        until = time.time() + 600
        asyncio.run(book.impose(Sanction("identity:/scraper", until, suspended=True)))
        asyncio.run(
            book.impose(Sanction("identity:/distiller", until, degrade=Degrade(max_tokens=64)))
        )
        with serve_in_thread(gateway) as running:
            refused = _chat(running.url, suspended)
            assert refused.status_code == 403
            assert "suspended" in refused.json()["error"]["message"]
            assert 1 <= int(refused.headers["retry-after"]) <= 600

            fake.reset()
            r = _chat(running.url, degraded, logprobs=True, top_logprobs=5, n=4, max_tokens=4000)
            assert r.status_code == 200
            sent = fake.requests[-1].json
            assert "logprobs" not in sent
            assert "top_logprobs" not in sent
            assert sent["n"] == 1
            assert sent["max_tokens"] == 64

            fake.reset()
            r = _chat(running.url, clean, logprobs=True, n=2)
            assert r.status_code == 200
            assert fake.requests[-1].json["logprobs"] is True
            assert fake.requests[-1].json["n"] == 2
