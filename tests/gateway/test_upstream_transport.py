"""The upstream transport against a real HTTP/1.1 server on a socket: keep-alive reuse, a pool
that bounds concurrency and expires idle connections, a request sent exactly as built (headers,
encoded path), answers streamed as they arrive, and every failure raised as the httpx exception
the gateway maps to its 502 or 504."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from wardgate.gateway.config import Route
from wardgate.gateway.upstream import UpstreamFailure, classify, client_for
from wardgate.gateway.upstream_transport import AiohttpTransport

Reply = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]
"""Answers one request (its head given); returns False to close the connection."""


def _ok(body: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + extra
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def _answer_ok(head: bytes, reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    w.write(_ok())
    await w.drain()
    return True


@dataclass
class Upstream:
    """A keep-alive HTTP/1.1 server that records request heads and counts connections; it
    closes a connection that sat idle for ``idle_close_s`` without telling the client first."""

    url: str = ""
    accepted: int = 0
    open: int = 0
    idle_close_s: float | None = None
    delay_s: float = 0.0
    reply: Reply = _answer_ok
    heads: list[bytes] = field(default_factory=list)
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
                self.heads.append(head)
                length = _content_length(head)
                if length:
                    await reader.readexactly(length)
                await asyncio.sleep(self.delay_s)
                if not await self.reply(head, reader, writer):
                    return
        finally:
            self.open -= 1
            writer.close()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


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


def _client(
    upstream: Upstream,
    connections: int = 8,
    *,
    keepalive_s: float = 5.0,
    timeout: httpx.Timeout | None = None,
) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=keepalive_s,
    )
    return httpx.AsyncClient(
        base_url=upstream.url,
        transport=AiohttpTransport(limits),
        timeout=timeout or httpx.Timeout(5.0),
    )


# ---- the pool ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sequential_calls_reuse_one_connection(upstream: Upstream) -> None:
    async with _client(upstream) as client:
        for _ in range(20):
            assert (await client.get("/x")).json() == {"ok": True}
    assert upstream.accepted == 1


@pytest.mark.asyncio
async def test_concurrency_is_bounded_by_the_pool(upstream: Upstream) -> None:
    upstream.delay_s = 0.02
    async with _client(upstream, 4) as client:
        answers = await asyncio.gather(*(client.get(f"/{i}") for i in range(40)))
    assert all(a.status_code == 200 for a in answers)
    assert upstream.accepted <= 4  # the others waited for a connection


@pytest.mark.asyncio
async def test_a_connection_the_upstream_closed_while_idle_is_not_reused(
    upstream: Upstream,
) -> None:
    upstream.idle_close_s = 0.1
    async with _client(upstream) as client:
        assert (await client.get("/a")).status_code == 200
        await asyncio.sleep(0.3)  # the server closed it meanwhile
        assert upstream.open == 0
        assert (await client.get("/b")).status_code == 200  # a new one
    assert upstream.accepted == 2


@pytest.mark.asyncio
async def test_idle_connections_close_when_their_keep_alive_runs_out(upstream: Upstream) -> None:
    upstream.delay_s = 0.05
    async with _client(upstream, keepalive_s=0.2) as client:
        await asyncio.gather(*(client.get(f"/{i}") for i in range(6)))
        assert upstream.open == 6  # a burst left six behind
        await asyncio.sleep(1.0)  # past their keep-alive
        assert upstream.open == 0
        assert (await client.get("/later")).status_code == 200


@pytest.mark.asyncio
async def test_waiting_for_a_busy_pool_ends_in_a_timeout(upstream: Upstream) -> None:
    upstream.delay_s = 1.0
    timeout = httpx.Timeout(connect=0.1, read=5.0, write=5.0, pool=0.1)
    async with _client(upstream, 1, timeout=timeout) as client:
        first = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.TimeoutException) as caught:
            await client.get("/queued")
        assert classify(caught.value).failure is UpstreamFailure.TIMEOUT
        assert (await first).status_code == 200


def test_a_route_gets_this_transport_with_its_limits() -> None:
    route = Route.model_validate(
        {
            "name": "r",
            "prefix": "/r",
            "upstream": "http://127.0.0.1:9",
            "pool": {"connections": 7, "keepalive_s": 2.5},
        }
    )
    transport = client_for(route).transport
    assert isinstance(transport, AiohttpTransport)
    assert transport._limits.max_connections == 7
    assert transport._limits.keepalive_expiry == 2.5


def test_a_transport_serves_one_event_loop_after_another(upstream_url: str) -> None:
    transport = AiohttpTransport(httpx.Limits(max_connections=2))

    async def call() -> int:
        async with httpx.AsyncClient(transport=transport, base_url=upstream_url) as client:
            return (await client.get("/")).status_code

    # The gateway's tests and CLI start and stop loops; a session from a closed loop is not reused.
    assert asyncio.run(call()) == 200
    assert asyncio.run(call()) == 200


@pytest.fixture
def upstream_url() -> Iterator[str]:
    """A server in its own thread, for tests that run their own event loops."""
    import threading

    started = threading.Event()
    holder: dict[str, object] = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        state = Upstream()
        server = loop.run_until_complete(asyncio.start_server(state.handle, "127.0.0.1", 0))
        holder["url"] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        holder["loop"] = loop
        started.set()
        loop.run_forever()
        server.close()
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(5)
    yield str(holder["url"])
    loop = holder["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


# ---- what is sent ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_request_goes_out_as_built_and_nothing_is_added(upstream: Upstream) -> None:
    async with _client(upstream) as client:
        request = httpx.Request(
            "POST",
            f"{upstream.url}/v1/chat",
            headers=[("x-one", "1"), ("x-dup", "a"), ("x-dup", "b")],
            content=b'{"a": 1}',
        )
        response = await client._transport.handle_async_request(request)
        await response.aread()
        await response.aclose()
    lines = upstream.heads[-1].decode().split("\r\n")
    assert lines[0] == "POST /v1/chat HTTP/1.1"
    names = sorted(line.split(":", 1)[0].lower() for line in lines[1:] if line)
    assert names == ["content-length", "host", "x-dup", "x-dup", "x-one"]


@pytest.mark.parametrize(
    "target",
    [
        "/v1/a%2Fb",
        "/v1/%2e%2e/admin",
        "/v1/x;jsessionid=1",
        "/v1/models/GPT-4o/",
        "/v1/a?q=1&q=2&x=%20y",
        "/v1/caf%C3%A9",
    ],
)
@pytest.mark.asyncio
async def test_the_encoded_path_reaches_the_upstream_unchanged(
    upstream: Upstream, target: str
) -> None:
    async with _client(upstream) as client:
        request = httpx.Request("GET", httpx.URL(upstream.url + target))
        response = await client._transport.handle_async_request(request)
        await response.aclose()
    assert upstream.heads[-1].split(b"\r\n")[0] == f"GET {target} HTTP/1.1".encode()


@pytest.mark.asyncio
async def test_a_cookie_the_upstream_sets_is_never_sent_back(upstream: Upstream) -> None:
    async def set_cookie(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
        w.write(_ok(extra=b"set-cookie: session=alice-secret; Path=/\r\n"))
        await w.drain()
        return True

    upstream.reply = set_cookie
    async with _client(upstream) as client:
        transport = client._transport
        for path in ("/login", "/whoami"):
            response = await transport.handle_async_request(
                httpx.Request("GET", upstream.url + path)
            )
            await response.aclose()
    assert b"cookie" not in upstream.heads[-1].lower()


# ---- what comes back ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_chunked_answer_streams_piece_by_piece(upstream: Upstream) -> None:
    go_on = asyncio.Event()

    async def chunked(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
        w.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n")
        w.write(b"transfer-encoding: chunked\r\n\r\n")
        w.write(b"6\r\ndata 1\r\n")
        await w.drain()
        await go_on.wait()  # the second piece only once the client has the first
        w.write(b"6\r\ndata 2\r\n0\r\n\r\n")
        await w.drain()
        return True

    upstream.reply = chunked
    async with _client(upstream) as client:
        response = await client._transport.handle_async_request(
            httpx.Request("GET", upstream.url + "/stream")
        )
        assert response.headers["transfer-encoding"] == "chunked"
        pieces = []
        async for piece in response.aiter_raw():
            pieces.append(piece)
            go_on.set()
        await response.aclose()
    assert pieces == [b"data 1", b"data 2"]


@pytest.mark.asyncio
async def test_a_compressed_answer_is_passed_on_as_sent(upstream: Upstream) -> None:
    import gzip

    packed = gzip.compress(b'{"ok": true}')

    async def gzipped(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
        w.write(_ok(packed, extra=b"content-encoding: gzip\r\n"))
        await w.drain()
        return True

    upstream.reply = gzipped
    async with _client(upstream) as client:
        response = await client._transport.handle_async_request(
            httpx.Request("GET", upstream.url + "/")
        )
        raw = b"".join([piece async for piece in response.aiter_raw()])
        await response.aclose()
    assert raw == packed


# ---- failures -------------------------------------------------------------------------------


async def _hang(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    await asyncio.sleep(30)
    return False


async def _garbage(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    w.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    await w.drain()
    return False


async def _hang_up(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    return False


async def _short_body(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    w.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n")
    w.write(b'{"partial"')
    await w.drain()
    return False


async def _reset(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
    w.transport.abort()  # RST, not FIN
    return False


@pytest.mark.parametrize(
    ("reply", "failure"),
    [
        (_hang, UpstreamFailure.TIMEOUT),
        (_garbage, UpstreamFailure.RESET),
        (_hang_up, UpstreamFailure.RESET),
        (_reset, UpstreamFailure.RESET),
    ],
)
@pytest.mark.asyncio
async def test_a_failure_before_the_answer_is_named(
    upstream: Upstream, reply: Reply, failure: UpstreamFailure
) -> None:
    upstream.reply = reply
    timeout = httpx.Timeout(connect=1.0, read=0.3, write=1.0, pool=1.0)
    async with _client(upstream, timeout=timeout) as client:
        with pytest.raises(httpx.HTTPError) as caught:
            await client.post("/v1/chat", content=b"{}")
    assert classify(caught.value).failure is failure


@pytest.mark.asyncio
async def test_an_answer_cut_short_fails_while_it_is_read(upstream: Upstream) -> None:
    upstream.reply = _short_body
    async with _client(upstream) as client:
        response = await client._transport.handle_async_request(
            httpx.Request("GET", upstream.url + "/")
        )
        assert response.status_code == 200
        with pytest.raises(httpx.HTTPError) as caught:
            async for _ in response.aiter_raw():
                pass
        await response.aclose()
    assert classify(caught.value).failure is UpstreamFailure.RESET


@pytest.mark.asyncio
async def test_a_refused_connection_is_a_connect_error() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()  # nothing listens there now
    limits = httpx.Limits(max_connections=2)
    async with httpx.AsyncClient(transport=AiohttpTransport(limits)) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get(f"http://127.0.0.1:{port}/")
    assert classify(caught.value).failure is UpstreamFailure.CONNECT


@pytest.mark.asyncio
async def test_after_a_failure_the_next_call_succeeds(upstream: Upstream) -> None:
    upstream.reply = _reset
    async with _client(upstream) as client:
        with pytest.raises(httpx.HTTPError):
            await client.get("/")
        upstream.reply = _answer_ok
        assert (await client.get("/")).json() == {"ok": True}


# ---- the gateway's own path: open() and UpstreamClient.send ---------------------------------

_TIMEOUTS = {"connect": 1.0, "read": 0.3, "write": 1.0, "pool": 1.0}


@pytest.mark.asyncio
async def test_open_sends_exactly_the_given_headers_and_decodes_the_content(
    upstream: Upstream,
) -> None:
    import gzip

    async def gzipped(head: bytes, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
        w.write(_ok(gzip.compress(b'{"ok": true}'), extra=b"content-encoding: gzip\r\n"))
        await w.drain()
        return True

    upstream.reply = gzipped
    transport = AiohttpTransport(httpx.Limits(max_connections=2))
    try:
        answer = await transport.open(
            "POST", upstream.url + "/v1/chat?x=1", [("x-a", "1")], b"{}", _TIMEOUTS
        )
        assert answer.status_code == 200
        assert answer.header("Content-Encoding") == "gzip"
        assert answer.header("x-missing") is None
        assert await answer.aread() == b'{"ok": true}'
        await answer.aclose()
    finally:
        await transport.aclose()
    lines = upstream.heads[-1].decode().split("\r\n")
    assert lines[0] == "POST /v1/chat?x=1 HTTP/1.1"
    assert sorted(line.split(":", 1)[0].lower() for line in lines[1:] if line) == [
        "content-length",
        "host",
        "x-a",
    ]


@pytest.mark.parametrize(
    ("reply", "failure"),
    [(_hang, UpstreamFailure.TIMEOUT), (_garbage, UpstreamFailure.RESET)],
)
@pytest.mark.asyncio
async def test_open_names_failures_as_httpx_does(
    upstream: Upstream, reply: Reply, failure: UpstreamFailure
) -> None:
    upstream.reply = reply
    transport = AiohttpTransport(httpx.Limits(max_connections=2))
    try:
        with pytest.raises(httpx.HTTPError) as caught:
            await transport.open("POST", upstream.url + "/", [], b"{}", _TIMEOUTS)
    finally:
        await transport.aclose()
    assert classify(caught.value).failure is failure


@pytest.mark.asyncio
async def test_a_route_upstream_with_a_path_prefixes_every_target(upstream: Upstream) -> None:
    route = Route.model_validate(
        {"name": "r", "prefix": "/r", "upstream": upstream.url + "/openai/"}
    )
    client = client_for(route)
    try:
        answer = await client.send("GET", "/v1/models?a=%20b", headers=[], content=b"")
        await answer.aread()
        await answer.aclose()
    finally:
        await client.aclose()
    assert upstream.heads[-1].split(b"\r\n")[0] == b"GET /openai/v1/models?a=%20b HTTP/1.1"


@pytest.mark.asyncio
async def test_a_target_not_yet_encoded_is_encoded_before_it_is_sent(upstream: Upstream) -> None:
    transport = AiohttpTransport(httpx.Limits(max_connections=2))
    try:
        answer = await transport.open("GET", upstream.url + "/a b/café", [], b"", _TIMEOUTS)
        await answer.aclose()
    finally:
        await transport.aclose()
    assert upstream.heads[-1].split(b"\r\n")[0] == b"GET /a%20b/caf%C3%A9 HTTP/1.1"


# ---- TLS ----------------------------------------------------------------------------------------


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.asyncio
async def test_an_https_upstream_is_verified_against_its_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    state = Upstream()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0, ssl=served)
    url = f"https://localhost:{server.sockets[0].getsockname()[1]}/v1/models"
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        transport = AiohttpTransport(httpx.Limits(max_connections=2), ssl_context=trusting)
        try:
            answer = await transport.open("GET", url, [], b"", _TIMEOUTS)
            assert answer.status_code == 200
            await answer.aclose()
        finally:
            await transport.aclose()
        # The default trust store (the one routes get) does not know this certificate: refused,
        # and named a connect failure (a 502), never sent in the clear or without verification.
        default = AiohttpTransport(httpx.Limits(max_connections=2))
        try:
            with pytest.raises(httpx.ConnectError) as caught:
                await default.open("GET", url, [], b"", _TIMEOUTS)
        finally:
            await default.aclose()
        assert classify(caught.value).failure is UpstreamFailure.CONNECT
        assert len(state.heads) == 1  # the refused call never reached the upstream's HTTP layer
    finally:
        server.close()
        for writer in state.writers:
            writer.close()
