"""The HTTP/1.1 implementation the gateway serves with, and the header bound it enforces.

uvicorn offers two parsers. ``httptools`` (llhttp, in C) costs about a tenth of a millisecond
less per request and per streamed chunk than ``h11``, but it hands complete header values to
Python only once they end, buffering them in the meantime without a limit: one request line or
header of a gigabyte would be held in memory. :class:`BoundedHttpToolsProtocol` counts the bytes
a request's head takes while they arrive and refuses the request with ``431`` the moment the head
outgrows ``max_header_bytes``, so the fast parser has the same bounded memory as ``h11`` (which
enforces the bound itself, through ``h11_max_incomplete_event_size``).
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from wardgate.gateway.config import ServerSettings

HttpImplementation = Literal["auto", "h11", "httptools"]


def _refusal() -> bytes:
    body = b"request head over the gateway's limit\r\n"
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


def has_httptools() -> bool:
    return importlib.util.find_spec("httptools") is not None


def protocol_for(
    implementation: HttpImplementation, max_header_bytes: int
) -> type[asyncio.Protocol] | Literal["h11"]:
    """What to hand uvicorn as ``http``: ``"h11"``, or the bounded httptools protocol class.

    ``auto`` picks httptools when it is installed, else h11.
    """
    if implementation == "h11" or (implementation == "auto" and not has_httptools()):
        return "h11"
    if not has_httptools():
        raise ValueError("server.http is httptools, but the httptools package is not installed")
    return bounded_httptools(max_header_bytes)


def bounded_httptools(max_header_bytes: int) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol, refusing request heads over ``max_header_bytes``."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: PLC0415

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """Counts head bytes as they arrive; feeds the parser no more than the bound allows."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._in_head = True
            self._head_bytes = 0
            self._heads = 0  # heads completed on this connection

        def on_message_begin(self) -> None:
            self._in_head = True
            self._head_bytes = 0
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._heads += 1
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True  # what follows on this connection is the next request's head
            self._head_bytes = 0

        def data_received(self, data: bytes) -> None:
            if not self._in_head:
                super().data_received(data)
                return
            room = max_header_bytes - self._head_bytes
            if len(data) <= room:
                self._head_bytes += len(data)
                super().data_received(data)
                return
            # Feed only what the bound allows: if the head ends within it, go on with the rest
            # (body, or a pipelined request counted afresh: a pipelined head that began inside
            # the allowance may take up to twice the bound); if not, the head is too large.
            heads = self._heads
            super().data_received(data[:room])
            if self.transport.is_closing():
                return
            if self._heads == heads:
                self.transport.write(_refusal())
                self.transport.close()
                return
            self.data_received(data[room:])

    return BoundedHttpToolsProtocol


def uvicorn_http_options(
    implementation: HttpImplementation,
    max_header_bytes: int,
    trusted_proxies: Sequence[str] = (),
) -> dict[str, object]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config``: request heads bounded, and the
    client address taken from ``X-Forwarded-For``/``-Proto`` only when the connection comes
    from one of ``trusted_proxies`` (addresses or networks; uvicorn's own default would trust
    any local process, and the address is what limits and abuse analytics key on)."""
    return {
        "http": protocol_for(implementation, max_header_bytes),
        "h11_max_incomplete_event_size": max_header_bytes,
        "proxy_headers": bool(trusted_proxies),
        "forwarded_allow_ips": list(trusted_proxies) if trusted_proxies else None,
    }


def listener_options(server: ServerSettings) -> dict[str, object]:
    """:func:`uvicorn_http_options` for the gateway's listener, from its ``server`` settings
    (``wardgate serve`` alone or with the console, the demo)."""
    return uvicorn_http_options(server.http, server.max_header_bytes, server.trusted_proxies)
