"""Keys in the console: the secret once, revocation effective on the gateway at once, audited."""

from __future__ import annotations

import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio


async def _key_records(env: Env) -> list[dict[str, object]]:
    log = env.app.console.audit_log
    assert log is not None
    return [r.decode().body for r in log.records() if r.decode().kind == "key"]


async def test_create_use_revoke(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "ada")
        made = await c.post(
            "/api/keys",
            json={"name": "bot", "groups": ["eng", "qa"], "expires_in_days": 30},
            headers={"x-csrf-token": csrf},
        )
        assert made.status_code == 201
        secret, key = made.json()["secret"], made.json()["key"]
        assert key["groups"] == ["eng", "qa"]
        assert key["expires_at"] is not None
        listed = (await c.get("/api/keys")).json()
        assert secret not in str(listed)
        assert await env.call(secret, "hello") == 200
        revoked = await c.post(f"/api/keys/{key['key_id']}/revoke", headers={"x-csrf-token": csrf})
        assert revoked.json()["revoked_at"] is not None
        assert await env.call(secret, "hello") == 401  # at once, not after the cache's lifetime
        assert (
            await c.post("/api/keys/nope/revoke", headers={"x-csrf-token": csrf})
        ).status_code == 404
    events = [(r["event"], r["key_id"], r["by"]) for r in await _key_records(env)]
    assert events == [("create", key["key_id"], "ada"), ("revoke", key["key_id"], "ada")]
    assert secret not in str(await _key_records(env))


async def test_rotate(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "ada")
        made = (
            await c.post(
                "/api/keys",
                json={"name": "svc", "tenant": "acme", "scopes": "chat embed"},
                headers={"x-csrf-token": csrf},
            )
        ).json()
        rotated = await c.post(
            f"/api/keys/{made['key']['key_id']}/rotate", headers={"x-csrf-token": csrf}
        )
        assert rotated.status_code == 200
        new = rotated.json()
        assert new["key"]["tenant"] == "acme"
        assert new["key"]["scopes"] == ["chat", "embed"]
        assert new["revoked"]["key_id"] == made["key"]["key_id"]
        assert await env.call(made["secret"], "hi") == 401
        assert await env.call(new["secret"], "hi") == 200
        again = await c.post(
            f"/api/keys/{made['key']['key_id']}/rotate", headers={"x-csrf-token": csrf}
        )
        assert again.status_code == 409


async def test_the_page_shows_the_secret_once(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "ada")
        page = await c.post("/keys", data={"name": "form-bot", "groups": "eng, qa", "csrf": csrf})
        assert page.status_code == 200
        assert 'id="new-secret">wg_' in page.text
        assert page.headers["cache-control"] == "no-store"
        again = await c.get("/keys")
        assert "new-secret" not in again.text
        assert "form-bot" in again.text
        bad = await c.post("/keys", data={"name": "x", "groups": "g" * 201, "csrf": csrf})
        assert bad.status_code == 422
