"""The overview and traffic: what the live page polls, calls listed and found by exchange id."""

from __future__ import annotations

import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio


async def test_overview_counts_calls(env: Env) -> None:
    for text in ("hello", "what time is it"):
        assert await env.call(env.keys["alice"], text) == 200
    assert await env.call(None, "anonymous") == 401
    async with env.client() as c:
        await login(c, "val")
        data = (await c.get("/api/overview", params={"window": "1h"})).json()
        assert data["totals"]["requests"] == 3
        assert data["totals"]["denied"] == 1
        assert data["counts"]["audit_records"] >= 3
        assert {r["value"] for r in data["top"]["identity"]} == {"alice", "anonymous"}
        assert (await c.get("/api/overview", params={"window": "2y"})).status_code == 422
        page = await c.get("/overview", params={"window": "1h"})
        assert 'data-total="requests">3<' in page.text
        assert '<svg class="chart"' in page.text  # drawn by the server, for JavaScript-free reading
        calls = (await c.get("/api/exchanges", params={"identity": "alice"})).json()
        assert [i["identity"] for i in calls["items"]] == ["alice", "alice"]
        one = calls["items"][0]["exchange"]
        assert (await c.get(f"/api/exchanges/{one}")).json()["exchange"] == one
        assert (await c.get(f"/traffic/{one}")).status_code == 200
        assert (await c.get("/api/exchanges/0123")).status_code == 404
