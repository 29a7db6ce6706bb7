"""Policies: validate, test against a sample, save into the live gateway, audited."""

from __future__ import annotations

import hashlib

import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio

FORBID = (
    '\n@id("no-gpt-4o")\nforbid (principal, action, resource) when { context.model == "gpt-4o" };\n'
)


async def test_validate_and_test(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "ann")
        h = {"x-csrf-token": csrf}
        bad = (
            await c.post(
                "/api/policies/validate",
                json={"text": "permit (principal action, resource);"},
                headers=h,
            )
        ).json()
        assert bad["valid"] is False
        assert bad["errors"]
        typo = (
            await c.post(
                "/api/policies/validate",
                json={
                    "text": 'permit (principal, action, resource) when { context.modle == "x" };'
                },
                headers=h,
            )
        ).json()
        assert typo["valid"] is False  # schema-checked, not just parsed
        live = (await c.get("/api/policies")).json()["text"]
        sample = {"subject": "alice", "model": "gpt-4o", "route": "openai"}
        tested = (
            await c.post(
                "/api/policies/test", json={"text": live + FORBID, "request": sample}, headers=h
            )
        ).json()
        assert tested["draft"]["allowed"] is False
        assert tested["draft"]["policy_ids"] == ["no-gpt-4o"]
        assert tested["live"]["allowed"] is True
        risky = {"subject": "x", "risk": {"prompt_injection": 0.95}}
        rule = '@id("p") permit (principal, action, resource) when { context.risk.prompt_injection < 90 };'
        assert (
            await c.post("/api/policies/test", json={"text": rule, "request": risky}, headers=h)
        ).json()["draft"]["allowed"] is False
        assert (
            await c.put("/api/policies", json={"text": live}, headers=h)
        ).status_code == 403  # analysts test, admins save


async def test_saving_swaps_the_live_authorizer_and_is_audited(env: Env) -> None:
    assert await env.call(env.keys["alice"], "hi", model="gpt-4o") == 200
    async with env.client() as c:
        csrf = await login(c, "ada")
        live = (await c.get("/api/policies")).json()["text"]
        text = live + FORBID
        saved = await c.put("/api/policies", json={"text": text}, headers={"x-csrf-token": csrf})
        assert saved.status_code == 200
        body = saved.json()
        assert body["persisted"] == "file"
        assert env.config.policy_file is not None
        assert env.config.policy_file.read_text() == text
        assert await env.call(env.keys["alice"], "hi", model="gpt-4o") == 403
        assert await env.call(env.keys["alice"], "hi", model="gpt-4o-mini") == 200
        broken = await c.put(
            "/api/policies", json={"text": "forbid (;"}, headers={"x-csrf-token": csrf}
        )
        assert broken.status_code == 422
        assert await env.call(env.keys["alice"], "hi", model="gpt-4o") == 403  # unchanged
        history = (await c.get("/api/policies")).json()["history"]
        assert history[0]["by"] == "ada"
    log = env.app.console.audit_log
    assert log is not None
    record = log.record(body["audit_seq"])
    assert record is not None
    decoded = record.decode()
    assert decoded.kind == "policy"
    assert decoded.body == {
        "event": "update",
        "policy_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "policy_ids": ["authenticated", "no-gpt-4o"],
        "by": "ada",
    }


async def test_the_form_buttons(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "ann")
        live = (await c.get("/api/policies")).json()["text"]
        tested = await c.post(
            "/policies",
            data={
                "csrf": csrf,
                "text": live + FORBID,
                "intent": "test",
                "model": "gpt-4o",
                "risk": "prompt_injection=0.5",
            },
        )
        assert tested.status_code == 200
        assert 'id="policy-result"' in tested.text
        assert "DENY" in tested.text
        invalid = await c.post(
            "/policies", data={"csrf": csrf, "text": "nonsense", "intent": "validate"}
        )
        assert invalid.status_code == 422
        assert 'id="policy-errors"' in invalid.text
        assert (
            await c.post("/policies", data={"csrf": csrf, "text": live, "intent": "save"})
        ).status_code == 403
        bad_risk = await c.post(
            "/policies", data={"csrf": csrf, "text": live, "intent": "test", "risk": "nope"}
        )
        assert bad_risk.status_code == 422
