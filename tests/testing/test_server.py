import asyncio
import contextlib
import socket

import httpx
import pytest

from wardgate.testing.server import serve_in_thread


async def hello(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(30)
    body = f"{scope['method']} {scope['path']}".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def test_serves_on_a_free_port_and_stops():
    with serve_in_thread(hello) as server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.url}/ping").text == "GET /ping"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/ping", timeout=1)


def test_two_servers_get_different_ports():
    with serve_in_thread(hello) as first, serve_in_thread(hello) as second:
        assert first.port != second.port
        assert httpx.post(f"{second.url}/x").text == "POST /x"


def test_a_taken_port_is_an_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="did not start"):
            serve_in_thread(hello, port=port, log_level="critical")


def test_stops_even_with_a_request_in_flight():
    server = serve_in_thread(hello, grace_s=0.1)
    with httpx.Client() as client, contextlib.suppress(httpx.ReadTimeout):
        client.get(f"{server.url}/slow", timeout=0.05)
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/ping", timeout=1)
