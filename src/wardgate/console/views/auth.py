"""Signing in and out, one's own account (password, API tokens), and accounts (admins).

Logins are throttled per name and address (:mod:`wardgate.console.ratelimit`), the password is
checked on a worker thread (scrypt takes tens of milliseconds), every login gets a new session
id, and the login form carries its own CSRF token bound to a pre-login cookie. Account and token
changes are audited (``console`` records: what, whom, by whom; never a password or token).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any, Literal

from pydantic import Field

from wardgate.console.accounts import AccountError, Role
from wardgate.console.context import Console
from wardgate.console.passwords import PasswordError, check_password, generate_password
from wardgate.console.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    cookie_name,
    cross_site,
    parse_cookies,
    set_cookie,
)
from wardgate.console.views.common import Body, actor, body, schema
from wardgate.console.web import (
    ApiDoc,
    HTTPError,
    Request,
    Response,
    Router,
    json_response,
    redirect,
)

log = logging.getLogger("wardgate.console.auth")

RoleName = Literal["viewer", "analyst", "admin"]
_USER = schema(
    {
        "name": {"type": "string"},
        "role": {"type": "string", "enum": ["viewer", "analyst", "admin"]},
        "created_at": {"type": "number"},
        "last_login_at": {"type": ["number", "null"]},
    }
)


class LoginForm(Body):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    next: str = Field("/overview", max_length=500)


class NewUser(Body):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: RoleName = "viewer"


class RoleChange(Body):
    role: RoleName


class PasswordChange(Body):
    current: str = Field(min_length=1, max_length=1024)
    new: str = Field(min_length=12, max_length=1024)
    confirm: str | None = Field(None, max_length=1024)


class NewToken(Body):
    label: str = Field(min_length=1, max_length=100)


def _next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/overview"
    return value


class AuthViews:
    def __init__(self, console: Console) -> None:
        self.c = console
        secure = console.settings.secure
        self.secure = secure
        self.session_cookie = cookie_name(SESSION_COOKIE, secure)
        self.login_cookie = cookie_name(LOGIN_COOKIE, secure)

    def register(self, r: Router) -> None:
        r.add("GET", "/", self.home, None)
        r.add("GET", "/login", self.login_page, None)
        r.add("POST", "/login", self.login, None)
        r.add("POST", "/logout", self.logout, Role.VIEWER)
        r.add("GET", "/account", self.account_page, Role.VIEWER)
        r.add("POST", "/account/password", self.change_password, Role.VIEWER)
        r.add("POST", "/account/tokens", self.create_token_form, Role.VIEWER)
        r.add("POST", "/account/tokens/{token_id}/revoke", self.revoke_token_form, Role.VIEWER)
        r.add("GET", "/users", self.users_page, Role.ADMIN)
        r.add("POST", "/users", self.add_user_form, Role.ADMIN)
        r.add("POST", "/users/{name}/role", self.role_form, Role.ADMIN)
        r.add("POST", "/users/{name}/password", self.reset_form, Role.ADMIN)
        r.add("POST", "/users/{name}/remove", self.remove_form, Role.ADMIN)
        tag = "accounts"
        r.add(
            "GET",
            "/api/me",
            self.api_me,
            Role.VIEWER,
            ApiDoc("The signed-in account and its role", response=_USER, tag=tag),
        )
        r.add(
            "GET",
            "/api/users",
            self.api_users,
            Role.ADMIN,
            ApiDoc(
                "List console accounts", response=schema(_USER["properties"], array=True), tag=tag
            ),
        )
        r.add(
            "POST",
            "/api/users",
            self.api_add_user,
            Role.ADMIN,
            ApiDoc(
                "Create an account; the generated password is returned once",
                body=NewUser,
                response=schema({"user": _USER, "password": {"type": "string"}}),
                responses={409: "the name is taken"},
                tag=tag,
                status=201,
            ),
        )
        r.add(
            "POST",
            "/api/users/{name}/role",
            self.api_role,
            Role.ADMIN,
            ApiDoc("Change an account's role", body=RoleChange, response=_USER, tag=tag),
        )
        r.add(
            "DELETE",
            "/api/users/{name}",
            self.api_remove,
            Role.ADMIN,
            ApiDoc("Remove an account, its sessions and tokens", response=schema({}), tag=tag),
        )
        r.add(
            "GET",
            "/api/tokens",
            self.api_tokens,
            Role.VIEWER,
            ApiDoc("Your API tokens (never their secrets)", tag=tag),
        )
        r.add(
            "POST",
            "/api/tokens",
            self.api_create_token,
            Role.VIEWER,
            ApiDoc(
                "Create an API token acting as you; the token is returned once",
                body=NewToken,
                response=schema({"token": {"type": "string"}, "token_id": {"type": "string"}}),
                tag=tag,
                status=201,
            ),
        )
        r.add(
            "DELETE",
            "/api/tokens/{token_id}",
            self.api_revoke_token,
            Role.VIEWER,
            ApiDoc("Revoke one of your API tokens", response=schema({}), tag=tag),
        )

    # -- login -----------------------------------------------------------------------------------

    async def home(self, req: Request) -> Response:
        return redirect("/overview")

    def _login_form(
        self, req: Request, *, error: str = "", status: int = 200, name: str = ""
    ) -> Response:
        nonce = secrets.token_urlsafe(24)
        response = self.c.templates.render(
            req,
            "login.html",
            status,
            login_csrf=self.c.signer.login_token(nonce),
            next=_next(req.query.get("next")),
            error=error,
            name=name,
            no_users=not self.c.accounts.users(),
        )
        response.headers.append(
            ("set-cookie", set_cookie(self.login_cookie, nonce, secure=self.secure, max_age=1800))
        )
        return response

    async def login_page(self, req: Request) -> Response:
        self._identify_quietly(req)
        if req.user is not None:
            return redirect(_next(req.query.get("next")))
        return self._login_form(req)

    def _identify_quietly(self, req: Request) -> None:
        cookies = parse_cookies(req.headers.get("cookie", ""))
        raw = self.c.signer.unsign_cookie(cookies.get(self.session_cookie, ""))
        if raw:
            session = self.c.accounts.session(raw, self.c.settings.session_idle_s)
            req.user = None if session is None else session.user

    async def login(self, req: Request) -> Response:
        form = await req.form(16 * 1024)
        cookies = parse_cookies(req.headers.get("cookie", ""))
        nonce = cookies.get(self.login_cookie, "")
        token = form.get("csrf", "")
        if (
            cross_site(req.headers, req.host, req.scheme)
            or not nonce
            or not self.c.signer.verify("login-csrf", nonce, token)
        ):
            return self._login_form(
                req, error="The form expired; please sign in again.", status=403
            )
        name = form.get("name", "")[:64]
        password = form.get("password", "")[:1024]
        req.query["next"] = form.get("next", "")
        address = req.client
        wait = self.c.throttle.retry_after(name, address)
        if wait > 0:
            log.warning("console login throttled", extra={"wardgate": {"address": address}})
            response = self._login_form(
                req,
                error=f"Too many failed attempts. Try again in {int(wait) + 1} seconds.",
                status=429,
                name=name,
            )
            response.headers.append(("retry-after", str(int(wait) + 1)))
            return response
        user = await asyncio.to_thread(self.c.accounts.authenticate, name, password)
        if user is None:
            self.c.throttle.failed(name, address)
            log.warning("console login failed", extra={"wardgate": {"address": address}})
            return self._login_form(req, error="Wrong name or password.", status=401, name=name)
        self.c.throttle.succeeded(name, address)
        raw, _ = self.c.accounts.create_session(user, self.c.settings.session_max_age_s)
        log.info("console login", extra={"wardgate": {"user": user.name, "address": address}})
        response = redirect(_next(form.get("next")))
        cookie = self.c.signer.cookie_value(raw)
        max_age = int(self.c.settings.session_max_age_s)
        response.headers.append(
            (
                "set-cookie",
                set_cookie(self.session_cookie, cookie, secure=self.secure, max_age=max_age),
            )
        )
        response.headers.append(
            ("set-cookie", set_cookie(self.login_cookie, "", secure=self.secure, max_age=0))
        )
        return response

    async def logout(self, req: Request) -> Response:
        cookies = parse_cookies(req.headers.get("cookie", ""))
        raw = self.c.signer.unsign_cookie(cookies.get(self.session_cookie, ""))
        if raw:
            self.c.accounts.end_session(raw)
        response = redirect("/login")
        response.headers.append(
            ("set-cookie", set_cookie(self.session_cookie, "", secure=self.secure, max_age=0))
        )
        return response

    # -- one's own account ------------------------------------------------------------------------

    def _account(self, req: Request, status: int = 200, **extra: Any) -> Response:
        me = actor(req)
        context: dict[str, Any] = {"message": "", "error": "", "new_token": None}
        context.update(extra)
        return self.c.templates.render(
            req,
            "account.html",
            status,
            tokens=[t for t in self.c.accounts.tokens(me) if t.revoked_at is None],
            **context,
        )

    async def account_page(self, req: Request) -> Response:
        return self._account(req)

    async def change_password(self, req: Request) -> Response:
        form = await body(req, PasswordChange)
        me = actor(req)
        if form.confirm is not None and form.confirm != form.new:
            return self._account(req, 422, error="The new passwords differ.")
        user = await asyncio.to_thread(self.c.accounts.authenticate, me, form.current)
        if user is None:
            return self._account(req, 403, error="The current password is wrong.")
        try:
            check_password(form.new)
            await asyncio.to_thread(self.c.accounts.set_password, me, form.new)
        except PasswordError as exc:
            return self._account(req, 422, error=str(exc))
        await self.c.record("console", {"event": "password-change", "user": me, "by": me})
        response = redirect("/login")
        response.headers.append(
            ("set-cookie", set_cookie(self.session_cookie, "", secure=self.secure, max_age=0))
        )
        return response

    async def _create_token(self, req: Request) -> tuple[dict[str, Any], str]:
        form = await body(req, NewToken)
        me = actor(req)
        try:
            record, token = self.c.accounts.create_token(me, form.label)
        except AccountError as exc:
            raise HTTPError(422, str(exc)) from None
        await self.c.record(
            "console", {"event": "token-create", "token_id": record.token_id, "user": me, "by": me}
        )
        return record.to_dict(), token

    async def create_token_form(self, req: Request) -> Response:
        record, token = await self._create_token(req)
        return self._account(req, new_token={"token": token, **record})

    async def _revoke_token(self, req: Request) -> None:
        me = actor(req)
        token_id = req.params["token_id"]
        if not self.c.accounts.revoke_token(token_id, owner=me):
            raise HTTPError(404, "no such token")
        await self.c.record(
            "console", {"event": "token-revoke", "token_id": token_id, "user": me, "by": me}
        )

    async def revoke_token_form(self, req: Request) -> Response:
        await self._revoke_token(req)
        return redirect("/account")

    async def api_me(self, req: Request) -> Response:
        assert req.user is not None
        return json_response(req.user.to_dict())

    async def api_tokens(self, req: Request) -> Response:
        return json_response([t.to_dict() for t in self.c.accounts.tokens(actor(req))])

    async def api_create_token(self, req: Request) -> Response:
        record, token = await self._create_token(req)
        return json_response({**record, "token": token}, 201)

    async def api_revoke_token(self, req: Request) -> Response:
        await self._revoke_token(req)
        return json_response({})

    # -- accounts (admins) ------------------------------------------------------------------------

    def _users(self, req: Request, status: int = 200, **extra: Any) -> Response:
        context: dict[str, Any] = {"error": "", "created": None}
        context.update(extra)
        return self.c.templates.render(
            req,
            "users.html",
            status,
            users=self.c.accounts.users(),
            roles=[r.value for r in Role],
            **context,
        )

    async def users_page(self, req: Request) -> Response:
        return self._users(req)

    async def _add_user(self, req: Request) -> tuple[dict[str, Any], str]:
        form = await body(req, NewUser)
        password = generate_password()
        try:
            user = await asyncio.to_thread(self.c.accounts.add, form.name, form.role, password)
        except AccountError as exc:
            raise HTTPError(409, str(exc)) from None
        await self.c.record(
            "console",
            {"event": "user-add", "user": user.name, "role": user.role.value, "by": actor(req)},
        )
        return user.to_dict(), password

    async def add_user_form(self, req: Request) -> Response:
        try:
            user, password = await self._add_user(req)
        except HTTPError as exc:
            if exc.status not in {409, 422}:
                raise
            return self._users(req, exc.status, error=exc.message)
        return self._users(req, 201, created={"name": user["name"], "password": password})

    async def api_add_user(self, req: Request) -> Response:
        user, password = await self._add_user(req)
        return json_response({"user": user, "password": password}, 201)

    async def api_users(self, req: Request) -> Response:
        return json_response([u.to_dict() for u in self.c.accounts.users()])

    def _guard_last_admin(self, name: str, new_role: Role | None) -> None:
        user = self.c.accounts.get(name)
        if user is None:
            raise HTTPError(404, "no such account")
        if (
            user.role is Role.ADMIN
            and (new_role is None or new_role is not Role.ADMIN)
            and self.c.accounts.count_admins() <= 1
        ):
            raise HTTPError(409, "the last admin cannot be removed or demoted")

    async def _set_role(self, req: Request) -> dict[str, Any]:
        form = await body(req, RoleChange)
        name = req.params["name"]
        role = Role(form.role)
        self._guard_last_admin(name, role)
        user = self.c.accounts.set_role(name, role)
        await self.c.record(
            "console", {"event": "user-role", "user": name, "role": role.value, "by": actor(req)}
        )
        return user.to_dict()

    async def role_form(self, req: Request) -> Response:
        await self._set_role(req)
        return redirect("/users")

    async def api_role(self, req: Request) -> Response:
        return json_response(await self._set_role(req))

    async def reset_form(self, req: Request) -> Response:
        name = req.params["name"]
        if self.c.accounts.get(name) is None:
            raise HTTPError(404, "no such account")
        password = generate_password()
        await asyncio.to_thread(self.c.accounts.set_password, name, password)
        await self.c.record("console", {"event": "password-reset", "user": name, "by": actor(req)})
        return self._users(req, created={"name": name, "password": password})

    async def _remove(self, req: Request) -> None:
        name = req.params["name"]
        if name == actor(req):
            raise HTTPError(409, "you cannot remove your own account")
        self._guard_last_admin(name, None)
        if not self.c.accounts.remove(name):
            raise HTTPError(404, "no such account")
        await self.c.record("console", {"event": "user-remove", "user": name, "by": actor(req)})

    async def remove_form(self, req: Request) -> Response:
        await self._remove(req)
        return redirect("/users")

    async def api_remove(self, req: Request) -> Response:
        await self._remove(req)
        return json_response({})


def register(r: Router, console: Console) -> None:
    AuthViews(console).register(r)


__all__ = ["register"]
