"""Talking to upstreams: one pooled client per route, and failures named precisely.

Requests and answers are httpx's types (per-phase timeouts, an injectable transport so tests can
hand a route an in-process app); on the wire each route has an :class:`AiohttpTransport`
(``gateway/upstream_transport.py``): aiohttp's pool and C parser. Answers are always opened as
streams, so large or streamed answers are never buffered whole by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from wardgate.gateway.config import Route
from wardgate.gateway.upstream_transport import AiohttpTransport, UpstreamAnswer

# Headers that describe one connection, not the message (RFC 9110 section 7.6.1), plus the ones the
# gateway recomputes. They are never forwarded in either direction.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)


class UpstreamFailure(StrEnum):
    """How an upstream call failed; each maps to one provider-shaped gateway error."""

    TIMEOUT = "timeout"  # connect, read or pool timeout: 504
    CONNECT = "connect"  # refused, unreachable, DNS: 502
    RESET = "reset"  # the connection broke mid-answer, or the answer is not HTTP: 502


@dataclass(frozen=True, slots=True)
class UpstreamError(Exception):
    """An upstream call failed before or while its answer arrived."""

    failure: UpstreamFailure
    detail: str

    def __str__(self) -> str:
        return f"upstream {self.failure.value}: {self.detail}"


def classify(exc: httpx.HTTPError) -> UpstreamError:
    """Name an httpx failure (never includes request content)."""
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError(UpstreamFailure.TIMEOUT, type(exc).__name__)
    if isinstance(exc, httpx.ConnectError):
        return UpstreamError(UpstreamFailure.CONNECT, type(exc).__name__)
    return UpstreamError(UpstreamFailure.RESET, type(exc).__name__)


class UpstreamClient:
    """One route's upstream. On the route's :class:`AiohttpTransport` a call goes straight to the
    wire (no httpx request or response objects: about 60 µs of CPU per call); any other httpx
    transport (the in-process apps tests hand a route) gets an ``httpx.Request`` built by the
    client. Either way nothing a shared proxy client must not do happens: no cookies kept, no
    redirects followed, no auth flows."""

    def __init__(self, client: httpx.AsyncClient, transport: httpx.AsyncBaseTransport) -> None:
        self.client = client
        self.transport = transport
        self._base = str(client.base_url).rstrip("/")
        self._timeouts = client.timeout.as_dict()  # the route's, as httpx hands them to transports

    async def send(
        self, method: str, target: str, *, headers: list[tuple[str, str]], content: bytes
    ) -> UpstreamAnswer:
        """The upstream's answer to ``method target`` (``target``: path and query, encoded),
        its body still to be read and the answer closed."""
        if isinstance(self.transport, AiohttpTransport):
            return await self.transport.open(
                method, self._base + target, headers, content, self._timeouts
            )
        request = self.client.build_request(method, target, headers=headers, content=content)
        return UpstreamAnswer.of(await self.transport.handle_async_request(request))

    async def aclose(self) -> None:
        await self.client.aclose()  # closes the transport and its pool too


def client_for(route: Route, transport: httpx.AsyncBaseTransport | None = None) -> UpstreamClient:
    """A pooled client for one route's upstream."""
    t = route.timeouts
    limits = httpx.Limits(
        max_connections=route.pool.connections,
        max_keepalive_connections=route.pool.connections,
        keepalive_expiry=route.pool.keepalive_s,
    )
    transport = transport if transport is not None else AiohttpTransport(limits)
    client = httpx.AsyncClient(
        base_url=route.upstream,
        # One client serves every caller of the route: a cookie an upstream sets belongs to the
        # caller it answered (relayed in Set-Cookie), never to the next one. The jar keeps none.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
        transport=transport,
        follow_redirects=False,
        trust_env=False,
    )
    return UpstreamClient(client, transport)
