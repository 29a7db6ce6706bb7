"""The upstream client one route shares between all its callers must not remember anything
about one caller for the next: cookies an upstream sets go back to that caller only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from wardgate.app import build_gateway
from wardgate.detect.scanner import Scanner
from wardgate.gateway.config import GatewayConfig


async def cookie_upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/login`` sets a session cookie; ``/whoami`` answers with the Cookie header it got."""
    assert scope["type"] == "http"
    cookie = dict(scope["headers"]).get(b"cookie", b"").decode()
    headers = [(b"content-type", b"text/plain")]
    if scope["path"] == "/login":
        headers.append((b"set-cookie", b"session=alice-secret; Path=/"))
        body = b"welcome"
    else:
        body = cookie.encode() or b"(no cookie)"
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_an_upstream_cookie_never_reaches_another_caller(tmp_path: Path, scanner: Scanner) -> None:
    config = GatewayConfig.model_validate(
        {
            "database": str(tmp_path / "w.db"),
            "routes": [
                {
                    "name": "app",
                    "prefix": "/app",
                    "upstream": "https://app.internal.test",
                    "provider": "http",
                    "anonymous": True,
                }
            ],
        }
    )
    gateway = build_gateway(
        config, scanner=scanner, transports={"app": httpx.ASGITransport(app=cookie_upstream)}
    )

    async def run() -> tuple[httpx.Response, str, str]:
        await gateway.startup()
        try:
            transport = httpx.ASGITransport(app=gateway)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as alice:
                login = await alice.get("/app/login")
                own = (await alice.get("/app/whoami")).text  # alice's client sends it back
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as bob:
                other = (await bob.get("/app/whoami")).text
            return login, own, other
        finally:
            await gateway.shutdown()

    login, own, other = asyncio.run(run())
    assert login.headers["set-cookie"].startswith("session=alice-secret")  # relayed to alice
    assert own == "session=alice-secret"
    assert other == "(no cookie)"  # not replayed by the gateway's shared client
