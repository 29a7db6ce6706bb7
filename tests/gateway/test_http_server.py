"""The request head is bounded while it arrives, whichever HTTP parser serves: a head over the
limit is refused (and its bytes never all held), one within it is served, pipelined requests and
bodies after a head are unaffected, and the connection after a refusal does not take the server
down."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from wardgate.gateway.http_server import protocol_for, uvicorn_http_options
from wardgate.testing.server import RunningServer, serve_in_thread

LIMIT = 8 * 1024


async def echo(scope: dict[str, object], receive: object, send: object) -> None:  # type: ignore[misc]
    """Answers with the size of the body it read and the number of headers."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()  # type: ignore[operator]
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = f"{len(body)} {len(scope['headers'])}".encode()  # type: ignore[arg-type]
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": answer})  # type: ignore[operator]


@pytest.fixture(params=["h11", "httptools"], scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    with serve_in_thread(echo, **uvicorn_http_options(request.param, LIMIT)) as running:
        running.http = request.param  # type: ignore[attr-defined]
        yield running


def _exchange(server: RunningServer, data: bytes, *, pieces: int = 1, answers: int = 1) -> bytes:
    """Send ``data`` (in ``pieces``) and read until ``answers`` complete responses or EOF."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        step = max(1, len(data) // pieces)
        try:
            for i in range(0, len(data), step):
                sock.sendall(data[i : i + step])
                if pieces > 1:
                    time.sleep(0.001)
        except OSError:  # the server closed the connection on us: its answer is still readable
            pass
        answer = b""
        try:
            while answer.count(b"\r\n0\r\n\r\n") + answer.count(b"connection: close") < answers:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer else 0


def _request(header_bytes: int, body: bytes = b"") -> bytes:
    return (
        b"POST /x HTTP/1.1\r\nHost: t\r\nX-Big: "
        + b"a" * header_bytes
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def test_a_head_within_the_limit_is_served(server: RunningServer) -> None:
    answer = _exchange(server, _request(LIMIT // 2, b"x" * 100_000))
    assert _status(answer) == 200
    assert b"\r\n100000 3\r\n" in answer


@pytest.mark.parametrize("pieces", [1, 64])
def test_a_head_over_the_limit_is_refused(server: RunningServer, pieces: int) -> None:
    answer = _exchange(server, _request(4 * LIMIT), pieces=pieces)
    if server.http == "h11" and pieces == 1:  # type: ignore[attr-defined]
        # h11 bounds only a head still incomplete after a read: one that arrives whole in a
        # single read reaches the app, and the gateway refuses it there (max_header_bytes).
        assert _status(answer) in (200, 400)
    else:
        assert _status(answer) in (400, 431)
    ok = _exchange(server, _request(10))
    assert _status(ok) == 200


def test_an_endless_head_is_cut_off_without_reading_it_all(server: RunningServer) -> None:
    """A client streaming a header forever gets an answer and a closed connection early."""
    sent = 0
    refused = threading.Event()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\nX-Endless: ")
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            refused.set()
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    assert refused.is_set()
    assert sent < 16 * 1024 * 1024  # the server stopped reading long before 64 MiB
    assert _status(answer) in (0, 400, 431)


def test_pipelined_requests_each_get_their_own_allowance(server: RunningServer) -> None:
    one = _request(LIMIT // 2, b"abc")
    answer = _exchange(server, one + one + one, answers=3)
    assert answer.count(b"HTTP/1.1 200") == 3


def test_auto_prefers_httptools_and_h11_is_named_as_such() -> None:
    assert protocol_for("h11", LIMIT) == "h11"
    chosen = protocol_for("auto", LIMIT)
    assert chosen != "h11"  # httptools is installed in the test environment
    assert chosen.__name__ == "BoundedHttpToolsProtocol"  # type: ignore[union-attr]


async def who(scope: dict[str, object], receive: object, send: object) -> None:  # type: ignore[misc]
    """Answers with the client address and scheme the server gave the app."""
    if scope["type"] != "http":
        return
    host, _ = scope["client"]  # type: ignore[misc]
    answer = f"{host} {scope['scheme']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": answer})  # type: ignore[operator]


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [((), "127.0.0.1 http"), (("127.0.0.0/8",), "203.0.113.9 https")],
)
def test_forwarded_headers_count_only_from_trusted_proxies(
    trusted: tuple[str, ...], seen: str
) -> None:
    with serve_in_thread(who, **uvicorn_http_options("httptools", LIMIT, trusted)) as running:
        head = (
            b"GET / HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 203.0.113.9\r\n"
            b"x-forwarded-proto: https\r\nconnection: close\r\n\r\n"
        )
        answer = _exchange(running, head)
    assert seen.encode() in answer
