"""The AI inventory page works with the AI inventory installed, and says so when it is not."""

from __future__ import annotations

import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio


async def test_not_available_is_said_not_crashed(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env.app.console, "has_table", lambda name: False)
    async with env.client() as c:
        await login(c, "val")
        page = await c.get("/ai")
        assert page.status_code == 200
        assert "not available yet" in page.text
        assert (await c.get("/api/ai/models")).status_code == 503
        assert (await c.get("/api/ai/bom")).status_code == 503


async def test_models_and_bom(env: Env) -> None:
    consumers = [
        c for c in env.gateway.c.log_phase.consumers if type(c).__name__ == "AIInventoryConsumer"
    ]
    assert consumers, "the gateway runs the AI inventory in the LOG phase"
    assert await env.call(env.keys["alice"], "hello", model="gpt-4o-mini") == 200
    await consumers[0].flush()
    async with env.client() as c:
        await login(c, "val")
        models = (await c.get("/api/ai/models")).json()
        assert [m["model"] for m in models["items"]] == ["gpt-4o-mini"]
        assert models["items"][0]["callers"][0][0] == "alice"
        bom = await c.get("/api/ai/bom")
        assert bom.json()["bomFormat"] == "CycloneDX"
