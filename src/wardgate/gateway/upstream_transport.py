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
import ssl
from collections.abc import AsyncIterator, Iterator
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

    def _timeout(self, request: httpx.Request) -> tuple[aiohttp.ClientTimeout, float | None]:
        """aiohttp's timeouts for this request, and the bound on writing it and reading its head."""
        t = request.extensions.get("timeout") or _DEFAULT_TIMEOUT
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

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session_now()
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:
            body = await request.aread()
        timeout, head_s = self._timeout(request)
        headers = [(k, v) for k, v in request.headers.multi_items() if k not in _FRAMING]
        with _as_httpx(request, writing=True):
            async with asyncio.timeout(head_s):
                answer = await session.request(
                    request.method,
                    URL(str(request.url), encoded=True),
                    headers=headers,
                    data=body or None,
                    allow_redirects=False,
                    compress=None,
                    timeout=timeout,
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

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class _AnswerStream(httpx.AsyncByteStream):
    """The answer's body as it arrives (chunked transfer decoded, content left as sent)."""

    def __init__(self, answer: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(self._request, writing=False):
            async for chunk in self._answer.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the answer was read to its end; closed otherwise.
        self._answer.release()


@contextmanager
def _as_httpx(request: httpx.Request, *, writing: bool) -> Iterator[None]:
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


__all__ = ["MAX_HEADERS", "MAX_HEAD_LINE_BYTES", "READ_BUFFER_BYTES", "AiohttpTransport"]
