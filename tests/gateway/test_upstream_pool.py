"""The upstream pool against a real HTTP/1.1 server on a socket: keep-alive reuse, concurrency
bounded by the pool, a connection the upstream closed while idle never handed out, idle
connections closed once their keep-alive runs out, and the client a route gets uses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpcore
import httpx
import pytest
import pytest_asyncio

from wardgate.gateway.config import Route
from wardgate.gateway.upstream import client_for
from wardgate.gateway.upstream_pool import UpstreamConnectionPool, UpstreamTransport


@dataclass
class Upstream:
    """A keep-alive HTTP/1.1 server that counts connections; it closes a connection that sat
    idle for ``idle_close_s`` (as servers do, without telling the client first)."""

    url: str = ""
    accepted: int = 0
    open: int = 0
    idle_close_s: float | None = None
    delay_s: float = 0.0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        self.writers.append(writer)
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_close_s)
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return
                if not head:
                    return
                await asyncio.sleep(self.delay_s)
                body = b'{"ok": true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        finally:
            self.open -= 1
            writer.close()


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[Upstream]:
    state = Upstream()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        server.close()
        for writer in state.writers:
            writer.close()


def _client(upstream: Upstream, connections: int, keepalive_s: float = 5.0) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=keepalive_s,
    )
    return httpx.AsyncClient(base_url=upstream.url, transport=UpstreamTransport(limits))


def _pool(client: httpx.AsyncClient) -> UpstreamConnectionPool:
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool, UpstreamConnectionPool)
    return pool


@pytest.mark.asyncio
async def test_sequential_calls_reuse_one_connection(upstream: Upstream) -> None:
    async with _client(upstream, 8) as client:
        for _ in range(20):
            assert (await client.get("/x")).json() == {"ok": True}
        assert upstream.accepted == 1
        assert len(_pool(client).connections) == 1


@pytest.mark.asyncio
async def test_concurrency_is_bounded_by_the_pool(upstream: Upstream) -> None:
    upstream.delay_s = 0.02
    async with _client(upstream, 4) as client:
        answers = await asyncio.gather(*(client.get(f"/{i}") for i in range(40)))
        assert all(a.status_code == 200 for a in answers)
        assert upstream.accepted <= 4  # the others waited for a connection
        assert len(_pool(client).connections) <= 4


@pytest.mark.asyncio
async def test_a_connection_the_upstream_closed_while_idle_is_not_reused(
    upstream: Upstream,
) -> None:
    upstream.idle_close_s = 0.1
    async with _client(upstream, 8) as client:
        assert (await client.get("/a")).status_code == 200
        await asyncio.sleep(0.3)  # the server closed it meanwhile
        assert upstream.open == 0
        assert (await client.get("/b")).status_code == 200  # polled, dropped, a new one
        assert upstream.accepted == 2


@pytest.mark.asyncio
async def test_idle_connections_close_when_their_keep_alive_runs_out(
    upstream: Upstream,
) -> None:
    upstream.delay_s = 0.05
    async with _client(upstream, 8, keepalive_s=0.2) as client:
        await asyncio.gather(*(client.get(f"/{i}") for i in range(6)))
        assert len(_pool(client).connections) == 6  # a burst left six behind
        await asyncio.sleep(1.3)  # past their keep-alive and the next sweep
        assert (await client.get("/later")).status_code == 200
        assert len(_pool(client).connections) == 1


def test_a_route_gets_a_client_on_this_pool_with_its_limits() -> None:
    route = Route.model_validate(
        {
            "name": "r",
            "prefix": "/r",
            "upstream": "http://127.0.0.1:9",
            "pool": {"connections": 7, "keepalive_s": 2.5},
        }
    )
    pool = _pool(client_for(route).client)
    assert pool._max_connections == 7
    assert pool._max_keepalive_connections == 7  # idle ones are never closed to open new ones
    assert pool._keepalive_expiry == 2.5


@pytest.mark.asyncio
async def test_a_grown_pool_does_not_make_each_request_poll_every_connection(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collapse this pool prevents: httpcore polled all idle connections per request."""
    upstream.delay_s = 0.05
    polls: list[int] = []
    original = httpcore.AsyncHTTPConnection.has_expired

    def counted(self: httpcore.AsyncHTTPConnection) -> bool:
        polls.append(1)
        return original(self)

    monkeypatch.setattr(httpcore.AsyncHTTPConnection, "has_expired", counted)
    async with _client(upstream, 64) as client:
        await asyncio.gather(*(client.get(f"/{i}") for i in range(30)))
        assert len(_pool(client).connections) == 30
        upstream.delay_s = 0.0
        _pool(client)._next_sweep = float("inf")  # between two sweeps
        polls.clear()
        for _ in range(10):
            await client.get("/steady")
        assert len(polls) <= 10 * 2  # the connection handed out, once per pass
