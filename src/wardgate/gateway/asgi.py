"""ASGI plumbing the proxy needs: types, reading a bounded body, sending a whole response."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyTooLarge(Exception):
    """The client sent more than the route accepts."""


class ClientTimeout(Exception):
    """The client did not finish sending its body in time (a slow-loris client)."""


class ClientGone(Exception):
    """The client disconnected before its request was complete."""


async def read_body(receive: Receive, limit: int, timeout_s: float) -> bytes:
    """The whole request body, at most ``limit`` bytes, within ``timeout_s`` seconds in all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise ClientTimeout
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            raise ClientTimeout from None
        if message["type"] == "http.disconnect":
            raise ClientGone
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            raise BodyTooLarge
        if body:
            chunks.append(body)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_response(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    headers: Sequence[tuple[str, str]] = (),
) -> None:
    """A complete response with a correct content length."""
    raw = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("ascii")),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
