"""Just enough HTTP for the console on plain ASGI: requests, responses, a router.

The console needs no web framework: a dozen page types, forms, JSON and static files. Keeping it
on plain ASGI (as the gateway is) means no new dependency in a security product, and every
limit is visible here: bodies are read up to a bound, forms and JSON are parsed with bounded
field counts, path parameters are matched by anchored patterns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl, quote, urlencode

from pydantic import BaseModel, ValidationError

from wardgate.console.accounts import Role, User
from wardgate.gateway.asgi import Receive, Scope, Send

MAX_BODY: Final = 1024 * 1024
MAX_ANY_BODY: Final = 4 * 1024 * 1024  # the largest any route accepts (a declared API spec)
M = TypeVar("M", bound=BaseModel)
MAX_FIELDS: Final = 200


class HTTPError(Exception):
    """Answer with ``status`` and a short, safe ``message`` (never echoes secrets)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        self.errors = errors


@dataclass(slots=True)
class Request:
    """One request: what it asked, who asked (set by the app), and its body on demand."""

    scope: Scope
    receive: Receive
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    user: User | None = None
    session_hash: str | None = None
    csrf: str = ""
    via_token: bool = False
    _body: bytes | None = None

    @classmethod
    def from_scope(cls, scope: Scope, receive: Receive) -> Request:
        headers: dict[str, str] = {}
        for k, v in scope.get("headers", []):
            name = k.decode("latin-1").lower()
            if name not in headers:
                headers[name] = v.decode("latin-1")
        raw_query = scope.get("query_string", b"").decode("latin-1")
        query: dict[str, str] = {}
        for k, v in parse_qsl(raw_query, keep_blank_values=True, max_num_fields=MAX_FIELDS):
            query.setdefault(k, v)
        return cls(
            scope=scope,
            receive=receive,
            method=str(scope["method"]).upper(),
            path=str(scope["path"]),
            query=query,
            headers=headers,
        )

    @property
    def client(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client else ""

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    @property
    def scheme(self) -> str:
        return str(self.scope.get("scheme", "http"))

    @property
    def wants_json(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def role(self) -> Role | None:
        return None if self.user is None else self.user.role

    async def body(self, limit: int = MAX_BODY) -> bytes:
        """The whole body, refused with 413 beyond ``limit`` bytes."""
        if self._body is not None:  # read already (the CSRF check reads forms first)
            if len(self._body) > limit:
                raise HTTPError(413, f"request body over {limit} bytes")
            return self._body
        length = self.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise HTTPError(413, f"request body over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise HTTPError(400, "client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HTTPError(413, f"request body over {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        self._body = b"".join(chunks)
        return self._body

    async def form(self, limit: int = MAX_BODY) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body (first value of each field)."""
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise HTTPError(415, "expected a form (application/x-www-form-urlencoded)")
        try:
            text = (await self.body(limit)).decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise HTTPError(400, "malformed form") from None
        out: dict[str, str] = {}
        for k, v in pairs:
            out.setdefault(k, v)
        return out

    async def json(self, limit: int = MAX_BODY) -> Any:
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise HTTPError(415, "expected JSON (application/json)")
        try:
            return json.loads(await self.body(limit))
        except (ValueError, RecursionError):
            raise HTTPError(400, "malformed JSON") from None

    async def data(self, limit: int = MAX_BODY) -> dict[str, Any]:
        """The body as a mapping, from JSON (the API) or a form (the pages)."""
        if self.headers.get("content-type", "").lower().startswith("application/json"):
            value = await self.json(limit)
            if not isinstance(value, dict):
                raise HTTPError(422, "expected a JSON object")
            return value
        return dict(await self.form(limit))


def validate(model: type[M], data: Mapping[str, Any]) -> M:
    """``data`` as ``model``, or a 422 listing what is wrong (field and reason only)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{e['field'] or 'body'}: {e['problem']}" for e in errors[:5])
        raise HTTPError(422, f"invalid input: {summary}", errors=errors) from None


@dataclass(slots=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, send: Send, *, head: bool = False) -> None:
        headers = [(b"content-type", self.content_type.encode("latin-1"))]
        headers.append((b"content-length", str(len(self.body)).encode("ascii")))
        headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else self.body})


def html(body: str, status: int = 200) -> Response:
    return Response(status, body.encode("utf-8"))


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    return Response(status, body.encode("utf-8"), "application/json")


def redirect(location: str, status: int = 303) -> Response:
    if not location.startswith("/") or location.startswith("//"):
        location = "/"  # only ever within the console: no open redirect
    return Response(status, b"", "text/plain; charset=utf-8", [("location", location)])


def download(body: bytes, content_type: str, filename: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:100] or "download"
    return Response(
        200, body, content_type, [("content-disposition", f'attachment; filename="{safe}"')]
    )


def url(path: str, **params: Any) -> str:
    """``path`` with the non-empty ``params`` as its query string."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept, quote_via=quote) if kept else "")


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class ApiDoc:
    """What the OpenAPI description says about an API route."""

    summary: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: Mapping[str, Any] | None = None
    responses: Mapping[int, str] = field(default_factory=dict)
    content_type: str = "application/json"
    tag: str = ""
    status: int = 200


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    role: Role | None  # None: public (login page, static files)
    doc: ApiDoc | None = None
    regex: re.Pattern[str] = field(default=re.compile(""), compare=False)

    @property
    def params(self) -> list[str]:
        return re.findall(r"{([a-z_]+)}", self.pattern)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``/api/incidents/{incident}`` -> an anchored regex; parameters never contain ``/``."""
    parts = re.split(r"({[a-z_]+})", pattern)
    out = "".join(
        f"(?P<{p[1:-1]}>[^/]{{1,200}})" if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(f"^{out}$")


class Router:
    """Method + path pattern -> handler, with the role each route needs."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        role: Role | None,
        doc: ApiDoc | None = None,
    ) -> None:
        self.routes.append(Route(method, pattern, handler, role, doc, compile_pattern(pattern)))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed: list[str] = []
        for route in self.routes:
            found = route.regex.match(path)
            if found is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, found.groupdict()
            allowed.append(route.method)
        if allowed:
            raise HTTPError(405, "method not allowed", headers=(("allow", ", ".join(allowed)),))
        raise HTTPError(404, "not found")

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)


__all__ = [
    "ApiDoc",
    "HTTPError",
    "Handler",
    "Request",
    "Response",
    "Route",
    "Router",
    "download",
    "html",
    "json_response",
    "redirect",
    "url",
    "validate",
]
