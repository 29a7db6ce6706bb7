"""Fixtures for the console's tests: a real gateway (not serving) with the console built on it,
driven in-process through httpx's ASGI transport, and accounts of every role."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from wardgate.app import build_gateway
from wardgate.console.accounts import Role
from wardgate.console.app import ConsoleApp, build_console
from wardgate.console.passwords import Cost
from wardgate.detect.scanner import Scanner
from wardgate.gateway.config import GatewayConfig
from wardgate.gateway.proxy import Gateway
from wardgate.testing.fake_llm import FakeLLM

FAST = Cost(log_n=4, r=8, p=1)  # test accounts: hashing in microseconds
PASSWORDS = {
    "ada": "admin-password-123",
    "ann": "analyst-password-123",
    "val": "viewer-password-123",
}
ROLES = {"ada": Role.ADMIN, "ann": Role.ANALYST, "val": Role.VIEWER}
BASE = "http://127.0.0.1:8081"
POLICY = """@id("authenticated")
permit (principal, action == Wardgate::Action::"call", resource) when { !context.anonymous };
"""


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    return Scanner()


def gateway_config(tmp: Path, upstream: str, **extra: Any) -> GatewayConfig:
    """Routes of every kind, a policy file (so saved policies are written), fast flushes."""
    policy = tmp / "policy.cedar"
    if not policy.exists():
        policy.write_text(POLICY, encoding="utf-8")
    data: dict[str, Any] = {
        "database": str(tmp / "wardgate.db"),
        "policy_file": str(policy),
        "limits": {"requests": {"requests": 100_000, "per_s": 60}},
        "discovery": {"flush_s": 0.1},
        "routes": [
            {"name": "openai", "prefix": "/openai", "upstream": upstream, "provider": "openai"},
            {
                "name": "monitor",
                "prefix": "/monitor",
                "upstream": upstream,
                "provider": "openai",
                "mode": "monitor",
            },
            {
                "name": "internal",
                "prefix": "/internal",
                "upstream": upstream,
                "provider": "http",
                "strip_prefix": False,
            },
        ],
    }
    if "ai_inventory" in GatewayConfig.model_fields:
        data["ai_inventory"] = {"flush_s": 0.1}
    data.update(extra)
    return GatewayConfig.model_validate(data)


@dataclass
class Env:
    """A started gateway (in-process, in front of a fake LLM) with its console."""

    app: ConsoleApp
    gateway: Gateway
    config: GatewayConfig
    tmp: Path
    keys: dict[str, str]

    def client(self, **headers: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 40000))
        return httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers)

    async def call(
        self, key: str | None, text: str, *, route: str = "openai", model: str = "gpt-4o-mini"
    ) -> int:
        """One chat call through the gateway; its status once the console has indexed it."""
        before = self.app.console.index.written
        headers = {} if key is None else {"authorization": f"Bearer {key}"}
        transport = httpx.ASGITransport(app=self.gateway, client=("10.0.0.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
            answer = await gw.post(
                f"/{route}/v1/chat/completions",
                json={"model": model, "messages": [{"role": "user", "content": text}]},
                headers=headers,
            )
        await self.settle(before + 1)
        return answer.status_code

    async def settle(self, written: int) -> None:
        for _ in range(500):
            if self.app.console.index.written >= written:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the console's index did not catch up")


@pytest_asyncio.fixture
async def env(tmp_path: Path, scanner: Scanner) -> AsyncIterator[Env]:
    config = gateway_config(tmp_path, "http://fake.llm")
    fake = httpx.ASGITransport(app=FakeLLM())
    transports = {r.name: fake for r in config.routes}
    gateway = build_gateway(config, scanner=scanner, environ={}, transports=transports)
    app = build_console(gateway, config, environ={}, password_cost=FAST)
    for name, role in ROLES.items():
        app.console.accounts.add(name, role, PASSWORDS[name])
    assert app.console.keys is not None
    keys = {n: app.console.keys.create(n, groups=("eng",))[1] for n in ("alice", "mallory")}
    await gateway.startup()
    await app.console.start()
    try:
        yield Env(app, gateway, config, tmp_path, keys)
    finally:
        await app.console.stop()
        await gateway.shutdown()
        app.console.close()


_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


async def login(client: httpx.AsyncClient, name: str) -> str:
    """Sign in as ``name`` through the login form; returns the session's CSRF token."""
    page = await client.get("/login")
    token = _CSRF.search(page.text)
    assert token is not None
    answer = await client.post(
        "/login",
        data={"name": name, "password": PASSWORDS[name], "csrf": token.group(1), "next": "/x"},
    )
    assert answer.status_code == 303, answer.text[:500]
    home = await client.get("/overview")
    meta = _META.search(home.text)
    assert meta is not None
    assert meta.group(1)
    return meta.group(1)
