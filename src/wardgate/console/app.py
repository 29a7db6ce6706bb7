"""The console's ASGI application: every request passes the same gates, in this order.

1. **Host**: the Host header must name the console (DNS-rebinding defence), else 421.
2. **Static files** (``/static/...``) are public, immutable, served from the package.
3. **Route**: unknown paths 404, wrong methods 405.
4. **Who**: an ``Authorization: Bearer wgc_...`` API token, else the session cookie (signed,
   looked up server-side, expired when old or idle). Pages without a user redirect to the login
   page; the API answers 401.
5. **Role**: the route's minimum role (viewer < analyst < admin), else 403.
6. **CSRF**: a state-changing request made with the session cookie must come from the console's
   own origin and carry the session's CSRF token (form field or ``X-CSRF-Token``), else 403.
7. The handler; errors become a page or RFC 9457 problem JSON, with no internals.

Every response carries the security headers (:func:`~wardgate.console.security.security_headers`).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from wardgate.console import views
from wardgate.console.context import Console
from wardgate.console.passwords import DEFAULT_COST, Cost
from wardgate.console.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    cookie_name,
    cross_site,
    host_allowed,
    parse_cookies,
    security_headers,
)
from wardgate.console.settings import ConsoleSettings
from wardgate.console.web import (
    MAX_ANY_BODY,
    HTTPError,
    Request,
    Response,
    Router,
    json_response,
    redirect,
)
from wardgate.gateway.asgi import Receive, Scope, Send
from wardgate.gateway.config import GatewayConfig
from wardgate.gateway.proxy import Gateway

log = logging.getLogger("wardgate.console")

STATIC_DIR: Final = Path(__file__).parent / "static"
_STATIC_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}
_PROBLEM_TITLES: Final = {
    400: "Bad request",
    401: "Sign in required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    421: "Misdirected request",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Internal error",
    503: "Unavailable",
}


class ConsoleApp:
    """ASGI entry point of the console (see the module docstring for the gates)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.router = Router()
        views.register_all(self.router, console)
        self._static: dict[str, tuple[bytes, str, str]] = {}
        self._hosts = console.settings.hosts()
        self._cookie = cookie_name(SESSION_COOKIE, console.settings.secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.console.start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.console.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        req = Request.from_scope(scope, receive)
        secure = self.console.settings.secure
        private = True
        try:
            if not host_allowed(req.host, self._hosts):
                raise HTTPError(421, "this console does not answer to that host name")
            if req.path.startswith("/static/"):
                private = False
                response = self._static_file(req)
            else:
                response = await self._dispatch(req)
        except HTTPError as exc:
            response = self._error(req, exc)
        except Exception:
            log.exception("console error", extra={"wardgate": {"path": req.path}})
            response = self._error(req, HTTPError(500, "internal error; see the server log"))
        response.headers.extend(security_headers(secure=secure, private=private))
        await response.send(send, head=req.method == "HEAD")

    async def _dispatch(self, req: Request) -> Response:
        route, params = self.router.match(req.method, req.path)
        req.params = params
        self._identify(req)
        if route.role is not None:
            if req.user is None:
                if req.wants_json:
                    raise HTTPError(401, "sign in, or send an API token (Authorization: Bearer)")
                return redirect("/login" + (f"?next={req.path}" if req.path != "/" else ""))
            if not req.user.role.allows(route.role):
                raise HTTPError(403, f"this needs the {route.role.value} role")
            if req.method not in SAFE_METHODS and not req.via_token:
                await self._check_csrf(req)
        return await route.handler(req)

    def _identify(self, req: Request) -> None:
        accounts = self.console.accounts
        auth = req.headers.get("authorization", "")
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise HTTPError(401, "unsupported Authorization header; use Bearer wgc_...")
            user = accounts.token_user(token.strip())
            if user is None:
                raise HTTPError(401, "invalid or revoked API token")
            req.user, req.via_token = user, True
            return
        req.cookies = parse_cookies(req.headers.get("cookie", ""))
        value = req.cookies.get(self._cookie)
        if not value:
            return
        raw = self.console.signer.unsign_cookie(value)
        if raw is None:
            return
        session = accounts.session(raw, self.console.settings.session_idle_s)
        if session is None:
            return
        req.user = session.user
        req.session_hash = session.id_hash
        req.csrf = self.console.signer.csrf_token(session.id_hash)

    async def _check_csrf(self, req: Request) -> None:
        if cross_site(req.headers, req.host, req.scheme):
            raise HTTPError(403, "cross-site request refused")
        token = req.headers.get(CSRF_HEADER, "")
        if not token and not req.headers.get("content-type", "").startswith("application/json"):
            try:
                token = (await req.form(MAX_ANY_BODY)).get(CSRF_FIELD, "")
            except HTTPError:
                token = ""
        if not token or not req.csrf or not _equal(token, req.csrf):
            raise HTTPError(403, "missing or invalid CSRF token; reload the page and try again")

    def _static_file(self, req: Request) -> Response:
        if req.method not in {"GET", "HEAD"}:
            raise HTTPError(405, "method not allowed", headers=(("allow", "GET, HEAD"),))
        name = req.path.removeprefix("/static/")
        cached = self._static.get(name)
        if cached is None:
            cached = _load_static(name)
            self._static[name] = cached
        body, ctype, etag = cached
        if req.headers.get("if-none-match") == etag:
            return Response(304, b"", ctype, [("etag", etag)])
        return Response(200, body, ctype, [("etag", etag), ("cache-control", "no-cache")])

    def _error(self, req: Request, exc: HTTPError) -> Response:
        title = _PROBLEM_TITLES.get(exc.status, "Error")
        if req.wants_json or req.path.startswith("/static/"):
            problem: dict[str, Any] = {"type": "about:blank", "title": title, "status": exc.status}
            problem["detail"] = exc.message
            if exc.errors:
                problem["errors"] = exc.errors
            response = json_response(problem, exc.status)
            response.content_type = "application/problem+json"
        else:
            response = self.console.templates.render(
                req, "error.html", exc.status, title=title, message=exc.message, status=exc.status
            )
        response.headers.extend(exc.headers)
        return response


def _equal(a: str, b: str) -> bool:
    import hmac  # noqa: PLC0415 - one use

    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _load_static(name: str) -> tuple[bytes, str, str]:
    """A file under ``static/`` (no traversal: every part must be a plain name)."""
    parts = name.split("/")
    if not name or any(p in {"", ".", ".."} or p.startswith(".") for p in parts):
        raise HTTPError(404, "not found")
    path = STATIC_DIR.joinpath(*parts)
    ctype = _STATIC_TYPES.get(path.suffix.lower())
    if ctype is None or not path.is_file():
        raise HTTPError(404, "not found")
    if STATIC_DIR.resolve() not in path.resolve().parents:
        raise HTTPError(404, "not found")
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return body, ctype, etag


def build_console(
    gateway: Gateway,
    config: GatewayConfig,
    settings: ConsoleSettings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    password_cost: Cost = DEFAULT_COST,
) -> ConsoleApp:
    """The console for ``gateway``: an ASGI app to serve on the console's own address.

    ``settings`` default to ``config.console`` when the configuration has that section, else to
    the defaults. The console becomes a LOG-phase consumer of ``gateway`` at once (its exchange
    index); call this before the gateway starts serving.
    """
    if settings is None:
        found = getattr(config, "console", None)
        settings = found if isinstance(found, ConsoleSettings) else ConsoleSettings()
    env = os.environ if environ is None else environ
    console = Console(gateway, config, settings, environ=env, password_cost=password_cost)
    console.attach()
    return ConsoleApp(console)


__all__ = ["ConsoleApp", "build_console"]
