"""The wire to an upstream: httpx's transport interface on aiohttp's connection pool and parser.

The gateway speaks httpx (``httpx.Request`` in, ``httpx.Response`` out) so routes, tests and
error mapping see one interface, and tests hand a route an in-process transport. On the wire,
httpx's own transport (httpcore + h11, pure Python) cost about 0.5 ms of CPU per upstream call,
a third of the gateway's whole budget at 500 req/s; aiohttp's client (C parser, protocol-based
pool) costs about a tenth of that. This transport sends each request through one
``aiohttp.ClientSession`` per route, configured as a proxy needs it:

* nothing is added or changed: no default headers (``User-Agent``, ``Accept``,
  ``Content-Type``), no compression, no decompression, no cookie jar (a cookie an upstream sets
  belongs to the caller it answered), no redirects followed, the URL sent as encoded (the path
  the policy saw is the path the upstream gets: no re-quoting, no dot-segment folding);
* the pool holds at most ``max_connections`` connections; more calls wait for one up to the
  pool timeout; idle connections close after the keep-alive time, and one the upstream closed
  while idle is never handed out;
* failures become httpx's exceptions, precisely: a refused or unresolvable upstream is a
  ``ConnectError``, the connect, pool, write and read timeouts their httpx timeouts, and a
  broken or non-HTTP answer a ``ReadError``/``RemoteProtocolError``, so the gateway maps each to
  its provider-shaped 502 or 504.

Timeouts: ``connect`` bounds opening a connection, ``pool`` + ``connect`` getting one, ``read``
the wait for each piece of the answer (its head included); writing the request and receiving the
answer's head together are bounded by ``write`` + ``read``.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

MAX_HEAD_LINE_BYTES = 16 * 1024
"""Longest status line or header line accepted from an upstream."""
MAX_HEADERS = 256
"""Most header fields accepted in an upstream's answer."""
READ_BUFFER_BYTES = 64 * 1024
"""Per-connection read buffer: aiohttp stops reading the socket while twice this is unread."""

# Never added on the caller's behalf: what reaches the upstream is what the gateway built.
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
_SENDABLE = re.compile(r"[\x21-\x7e]+")  # printable ASCII: already a percent-encoded URL
_FRAMING = frozenset({"connection", "transfer-encoding"})  # aiohttp frames the message
_DEFAULT_TIMEOUT = {"connect": 5.0, "read": 120.0, "write": 30.0, "pool": 5.0}


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One route's pooled HTTP/1.1 connections to its upstream (see the module docstring)."""

    def __init__(self, limits: httpx.Limits, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._limits = limits
        self._ssl = ssl_context if ssl_context is not None else httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _session_now(self) -> aiohttp.ClientSession:
        """The session of the running loop, made on first use (a session belongs to its loop)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                limit_per_host=0,
                keepalive_timeout=self._limits.keepalive_expiry,
                ssl=self._ssl,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=_NO_AUTO_HEADERS,
                auto_decompress=False,
                trust_env=False,
                read_bufsize=READ_BUFFER_BYTES,
                max_line_size=MAX_HEAD_LINE_BYTES,
                max_field_size=MAX_HEAD_LINE_BYTES,
                max_headers=MAX_HEADERS,
            )
            self._loop = loop
        return self._session

    def _timeout(self, t: Mapping[str, float | None]) -> tuple[aiohttp.ClientTimeout, float | None]:
        """aiohttp's timeouts for httpx-style ones, and the bound on writing the request and
        reading its answer's head."""
        connect, read, write, pool = t.get("connect"), t.get("read"), t.get("write"), t.get("pool")
        key = (connect, read, write, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:
            acquire = None if connect is None or pool is None else connect + pool
            timeout = aiohttp.ClientTimeout(
                total=None, connect=acquire, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = timeout
        head = None if write is None or read is None else write + read
        if head is not None and timeout.connect is not None:
            head += timeout.connect
        return timeout, head

    async def open(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeouts: Mapping[str, float | None],
    ) -> UpstreamAnswer:
        """Send one request; the answer's head is read, its body (content-decoded) still to come.

        The gateway's own path: no ``httpx.Request`` or ``httpx.Response`` is built.
        """
        answer = await self._send(method, url, headers, body, timeouts, decompress=True)
        return UpstreamAnswer(
            answer.status,
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.raw_headers],
            _body(answer, None),
            _closer(answer),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = await request.aread()
        headers = request.headers.multi_items()
        timeouts = request.extensions.get("timeout") or _DEFAULT_TIMEOUT
        answer = await self._send(
            request.method,
            str(request.url),
            headers,
            body,
            timeouts,
            decompress=False,
            request=request,
        )
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if answer.reason:
            extensions["reason_phrase"] = answer.reason.encode("latin-1", "replace")
        return httpx.Response(
            answer.status,
            headers=list(answer.raw_headers),
            stream=_AnswerStream(answer, request),
            request=request,
            extensions=extensions,
        )

    async def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeouts: Mapping[str, float | None],
        *,
        decompress: bool,
        request: httpx.Request | None = None,
    ) -> aiohttp.ClientResponse:
        session = self._session_now()
        timeout, head_s = self._timeout(timeouts)
        if not _SENDABLE.fullmatch(url):  # not yet percent-encoded: encode as httpx would
            url = str(httpx.URL(url))
        sent = [(k, v) for k, v in headers if k.lower() not in _FRAMING]
        with _as_httpx(request, writing=True):
            async with asyncio.timeout(head_s):
                return await session.request(
                    method,
                    URL(url, encoded=True),
                    headers=sent,
                    data=body or None,
                    allow_redirects=False,
                    compress=None,
                    auto_decompress=decompress,
                    timeout=timeout,
                )

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class UpstreamAnswer:
    """An upstream's answer, its body still to come: what the proxy relays, from any wire.

    ``headers`` are as received (order and repeats kept); ``aiter_bytes`` yields the body with
    any content encoding undone; failures while reading are httpx exceptions. ``aclose`` must
    be called (the connection goes back to the pool only when the body was read to its end).
    """

    __slots__ = ("_chunks", "_close", "headers", "status_code")

    def __init__(
        self,
        status_code: int,
        headers: list[tuple[str, str]],
        chunks: AsyncIterator[bytes],
        close: Callable[[], Awaitable[None]],
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self._chunks = chunks
        self._close = close

    @classmethod
    def of(cls, response: httpx.Response) -> UpstreamAnswer:
        """The answer of any httpx transport (the in-process apps tests hand a route)."""
        return cls(
            response.status_code,
            response.headers.multi_items(),
            response.aiter_bytes(),
            response.aclose,
        )

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        return self._chunks

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self._chunks])

    async def aclose(self) -> None:
        await self._close()


async def _body(
    answer: aiohttp.ClientResponse, request: httpx.Request | None
) -> AsyncIterator[bytes]:
    with _as_httpx(request, writing=False):
        async for chunk in answer.content.iter_any():
            yield chunk


def _closer(answer: aiohttp.ClientResponse) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        answer.release()

    return close


class _AnswerStream(httpx.AsyncByteStream):
    """The answer's body as it arrives (chunked transfer decoded, content left as sent)."""

    def __init__(self, answer: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in _body(self._answer, self._request):
            yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the answer was read to its end; closed otherwise.
        self._answer.release()


@contextmanager
def _as_httpx(request: httpx.Request | None, *, writing: bool) -> Iterator[None]:
    """Raise aiohttp's failures as the httpx exceptions the gateway classifies."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(_say(exc), request=request) from exc
    except aiohttp.SocketTimeoutError as exc:
        raise httpx.ReadTimeout(_say(exc), request=request) from exc
    except TimeoutError as exc:  # the head bound, or a timeout aiohttp did not name
        kind = httpx.WriteTimeout if writing else httpx.ReadTimeout
        raise kind(_say(exc) or "timed out", request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(_say(exc), request=request) from exc
    except (aiohttp.ClientResponseError, HttpProcessingError) as exc:
        raise httpx.RemoteProtocolError(_say(exc), request=request) from exc
    except aiohttp.InvalidURL as exc:
        raise httpx.UnsupportedProtocol(_say(exc), request=request) from exc
    except (aiohttp.ClientError, OSError) as exc:  # disconnected, reset, incomplete body
        raise httpx.ReadError(_say(exc), request=request) from exc


def _say(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


__all__ = [
    "MAX_HEADERS",
    "MAX_HEAD_LINE_BYTES",
    "READ_BUFFER_BYTES",
    "AiohttpTransport",
    "UpstreamAnswer",
]
