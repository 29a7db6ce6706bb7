"""The API inventory in the console: lists, one endpoint, OpenAPI, merge and the declared spec."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio

SPEC = """
openapi: 3.0.3
info: {title: Internal, version: "1"}
paths:
  /internal/users/{id}/orders:
    get:
      responses: {"200": {description: ok}}
  /internal/health:
    get:
      responses: {"200": {description: ok}}
"""


async def _traffic(env: Env) -> str:
    transport = httpx.ASGITransport(app=env.gateway)
    headers = {"authorization": f"Bearer {env.keys['alice']}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
        for user in range(1001, 1013):
            await gw.get(f"/internal/users/{user}/orders", headers=headers)
        for period in ("daily", "weekly"):
            await gw.get(f"/internal/stats/{period}", headers=headers)
    discovery = env.gateway.c.discovery
    assert discovery is not None
    await discovery.flush()
    await asyncio.to_thread(env.app.console.catalogue.refresh)
    return discovery.inventory.records()[0].host


async def test_list_detail_and_openapi(env: Env) -> None:
    host = await _traffic(env)
    async with env.client() as c:
        await login(c, "val")
        listed = (await c.get("/api/inventory/endpoints", params={"sort": "calls"})).json()
        assert listed["items"][0]["template"].startswith("/internal/users/{")
        assert listed["items"][0]["calls"] == 12
        template = listed["items"][0]["template"]
        one = (
            await c.get(
                "/api/inventory/endpoint",
                params={"host": host, "method": "GET", "template": template},
            )
        ).json()
        assert one["record"]["count"] == 12
        assert one["risk"]["level"] in {"low", "medium", "high", "critical"}
        page = await c.get(
            "/inventory/endpoint", params={"host": host, "method": "GET", "template": template}
        )
        assert "Inferred schema" in page.text
        assert (
            await c.get(
                "/api/inventory/endpoint",
                params={"host": host, "method": "GET", "template": "/nope"},
            )
        ).status_code == 404
        doc = await c.get("/api/inventory/openapi", params={"host": host})
        assert doc.headers["content-disposition"].startswith("attachment")
        assert doc.json()["openapi"] == "3.1.0"
        assert template in doc.json()["paths"] or any(
            p.startswith("/internal/users/") for p in doc.json()["paths"]
        )
        assert (
            await c.get("/api/inventory/openapi", params={"host": "unknown.example"})
        ).status_code == 404
        assert (await c.get("/inventory")).status_code == 200


async def test_merge_and_spec(env: Env) -> None:
    host = await _traffic(env)
    async with env.client() as c:
        csrf = await login(c, "ada")
        h = {"x-csrf-token": csrf}
        templates = {
            i["template"] for i in (await c.get("/api/inventory/endpoints")).json()["items"]
        }
        stats = sorted(t for t in templates if t.startswith("/internal/stats"))
        if stats == ["/internal/stats/daily", "/internal/stats/weekly"]:
            merged = await c.post(
                "/api/inventory/merge",
                json={"host": host, "templates": stats, "into": "/internal/stats/{period}"},
                headers=h,
            )
            assert merged.status_code == 200
            after = {
                i["template"] for i in (await c.get("/api/inventory/endpoints")).json()["items"]
            }
            assert "/internal/stats/daily" not in after
        refused = await c.post(
            "/api/inventory/merge",
            json={"host": host, "templates": ["/a/b"], "into": "/a"},
            headers=h,
        )
        assert refused.status_code == 422
        declared = await c.put(
            "/api/inventory/spec", json={"name": "internal.yaml", "text": SPEC}, headers=h
        )
        assert declared.json() == {"operations": 2}
        orphans = (await c.get("/api/inventory/endpoints", params={"flag": "orphan"})).json()[
            "items"
        ]
        assert [o["template"] for o in orphans] == ["/internal/health"]
        bad = await c.put("/api/inventory/spec", json={"name": "x", "text": "{not yaml"}, headers=h)
        assert bad.status_code == 422
    log = env.app.console.audit_log
    assert log is not None
    events = [r.decode().body["event"] for r in log.records() if r.decode().kind == "discovery"]
    assert "spec" in events
