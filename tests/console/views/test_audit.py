"""The audit pages: records, proofs checked against signed checkpoints, verification."""

from __future__ import annotations

import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio


async def test_records_proofs_and_verification(env: Env) -> None:
    assert await env.call(env.keys["alice"], "hello") == 200
    audit = env.gateway.c.audit
    assert audit is not None
    await audit.checkpoint()
    async with env.client() as c:
        csrf = await login(c, "ann")
        status = (await c.get("/api/audit")).json()
        assert status["size"] >= 2
        assert status["checkpoints"][0]["size"] == status["size"]
        decisions = (await c.get("/api/audit", params={"kind": "decision"})).json()["records"]
        assert decisions
        assert all(r["kind"] == "decision" for r in decisions)
        seq = decisions[0]["seq"]
        proof = (await c.get(f"/api/audit/records/{seq}")).json()
        assert proof["proof"]["verifies"] is True
        assert proof["proof"]["against"] == "signed checkpoint"
        assert proof["leaf_hash_matches"] is True
        assert proof["record"]["body"]["identity"]["subject"] == "alice"
        assert (await c.get("/api/audit/records/999999")).status_code == 404
        verified = (await c.post("/api/audit/verify", headers={"x-csrf-token": csrf})).json()
        assert verified["state"] == "done"
        assert verified["result"]["ok"] is True
        assert verified["result"]["trusted_key"] is True
        page = await c.get(f"/audit/records/{seq}")
        assert "Included" in page.text
