"""Fail open or fail closed, per route, when detection cannot finish: explicit configuration,
never an accident. Driven in process: httpx's ASGI transport on both sides of the gateway."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from wardgate.app import build_gateway
from wardgate.detect.scanner import EngineConfig, Scanner
from wardgate.gateway.config import GatewayConfig
from wardgate.testing.fake_llm import FakeLLM

BODY = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
}


def _config(tmp_path: Path) -> GatewayConfig:
    route = {"upstream": "http://upstream.test", "provider": "openai", "anonymous": True}
    return GatewayConfig.model_validate(
        {
            "database": str(tmp_path / "w.db"),
            "routes": [
                {**route, "name": "open", "prefix": "/open", "fail": "open"},
                {**route, "name": "closed", "prefix": "/closed", "fail": "closed"},
            ],
        }
    )


def test_detector_budget_exhausted_fails_open_or_closed_per_route(tmp_path: Path) -> None:
    fake = FakeLLM()
    # A whole-scan budget no scan can meet: every scan reports a detector_error finding.
    starved = Scanner(EngineConfig(budget_ms=0.001))
    transport = httpx.ASGITransport(app=fake)
    gateway = build_gateway(
        _config(tmp_path), scanner=starved, transports={"open": transport, "closed": transport}
    )
    exchanges = []

    async def record(exchange: object) -> None:
        exchanges.append(exchange)

    gateway.c.log_phase.add_consumer(record)

    async def run() -> tuple[httpx.Response, httpx.Response]:
        await gateway.startup()
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gateway), base_url="http://gw"
            ) as client:
                opened = await client.post("/open/v1/chat/completions", json=BODY)
                closed = await client.post("/closed/v1/chat/completions", json=BODY)
        finally:
            await gateway.shutdown()
        return opened, closed

    opened, closed = asyncio.run(run())
    assert opened.status_code == 200
    assert opened.json()["choices"][0]["message"]["content"].startswith("You said:")
    assert closed.status_code == 503
    assert "fails closed" in closed.json()["error"]["message"]
    assert len(fake.requests) == 1  # the closed route never reached the upstream
    by_route = {e.metadata["route"]: e for e in exchanges}
    assert by_route["closed"].verdict.action.value == "block"
    assert by_route["closed"].verdict.policy_ids == ("route.closed.fail_closed",)
    assert any(f.category.value == "detector_error" for f in by_route["open"].findings)
