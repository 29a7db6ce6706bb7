"""The admin API's OpenAPI description: valid 3.1, complete, faithful to the handlers."""

from __future__ import annotations

import pytest

from tests.console.conftest import Env, login
from wardgate.discovery.openapi import validate

pytestmark = pytest.mark.asyncio


async def test_the_description_is_valid_and_complete(env: Env) -> None:
    async with env.client() as c:
        answer = await c.get("/api/openapi.json")  # public: the API's shape is no secret
    doc = answer.json()
    assert doc["openapi"] == "3.1.0"
    assert validate(doc) == []
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    routes = {
        (r.method, r.pattern)
        for r in env.app.router
        if r.pattern.startswith("/api/") and r.pattern != "/api/openapi.json"
    }
    assert routes == documented
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for ops in doc["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                assert "anyOf" not in param["schema"]  # query parameters are never null
            assert "401" in op["responses"]
            assert "403" in op["responses"]


async def test_the_described_bounds_are_enforced(env: Env) -> None:
    async with env.client() as c:
        await login(c, "val")
        doc = (await c.get("/api/openapi.json")).json()
        limit = next(
            p for p in doc["paths"]["/api/detections"]["get"]["parameters"] if p["name"] == "limit"
        )
        assert limit["schema"]["maximum"] == 200
        assert (await c.get("/api/detections", params={"limit": 200})).status_code == 200
        assert (await c.get("/api/detections", params={"limit": 201})).status_code == 422
        enum = doc["components"]["schemas"]["Category"]["enum"]
        assert "prompt_injection" in enum
        assert (await c.get("/api/detections", params={"category": "nonsense"})).status_code == 422
