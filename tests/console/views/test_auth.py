"""Accounts in the console: admins manage users; everyone their own password and tokens."""

from __future__ import annotations

import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio


async def test_admins_manage_users(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "ada")
        h = {"x-csrf-token": csrf}
        made = await c.post("/api/users", json={"name": "newbie", "role": "analyst"}, headers=h)
        assert made.status_code == 201
        password = made.json()["password"]
        assert (await c.post("/api/users", json={"name": "newbie"}, headers=h)).status_code == 409
        assert (await c.post("/api/users", json={"name": "bad name"}, headers=h)).status_code == 422
        assert (await c.post("/api/users/newbie/role", json={"role": "viewer"}, headers=h)).json()[
            "role"
        ] == "viewer"
        assert (await c.delete("/api/users/ada", headers=h)).status_code == 409  # not yourself
        assert (
            await c.post("/api/users/ada/role", json={"role": "viewer"}, headers=h)
        ).status_code == 409  # the last admin
        page = await c.post("/users/newbie/password", data={"csrf": csrf})
        assert 'id="new-secret"' in page.text
        assert password not in page.text
        assert (await c.delete("/api/users/newbie", headers=h)).status_code == 200
        assert (await c.delete("/api/users/newbie", headers=h)).status_code == 404
    log = env.app.console.audit_log
    assert log is not None
    events = [r.decode().body["event"] for r in log.records() if r.decode().kind == "console"]
    assert events == ["user-add", "user-role", "password-reset", "user-remove"]


async def test_changing_ones_password_ends_the_session(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "val")
        wrong = await c.post(
            "/account/password",
            data={
                "csrf": csrf,
                "current": "nope",
                "new": "a-brand-new-password",
                "confirm": "a-brand-new-password",
            },
        )
        assert wrong.status_code == 403
        differ = await c.post(
            "/account/password",
            data={
                "csrf": csrf,
                "current": "viewer-password-123",
                "new": "a-brand-new-password",
                "confirm": "another-new-password",
            },
        )
        assert differ.status_code == 422
        done = await c.post(
            "/account/password",
            data={
                "csrf": csrf,
                "current": "viewer-password-123",
                "new": "a-brand-new-password",
                "confirm": "a-brand-new-password",
            },
        )
        assert done.status_code == 303
        assert (await c.get("/api/me")).status_code == 401
    assert env.app.console.accounts.authenticate("val", "a-brand-new-password") is not None


async def test_tokens_page(env: Env) -> None:
    async with env.client() as c:
        csrf = await login(c, "val")
        page = await c.post("/account/tokens", data={"csrf": csrf, "label": "cli"})
        assert 'id="new-secret">wgc_' in page.text
        token_id = (await c.get("/api/tokens")).json()[0]["token_id"]
        assert (
            await c.post(f"/account/tokens/{token_id}/revoke", data={"csrf": csrf})
        ).status_code == 303
        assert (await c.get("/api/tokens")).json()[0]["revoked_at"] is not None
        assert (
            await c.post("/account/tokens/zzzzzzzzzzzz/revoke", data={"csrf": csrf})
        ).status_code == 404
