"""Hostile traffic never takes the gateway down: each case gets a precise error in the route's
dialect (or a closed connection), and the next ordinary request still succeeds."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from wardgate.testing.fake_llm import Reply

from .conftest import Stack, raw_http

CHAT = "/openai/v1/chat/completions"


def ok_afterwards(gw: Stack) -> None:
    response = httpx.post(
        f"{gw.url}{CHAT}",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "still there?"}]},
        headers={"Authorization": f"Bearer {gw.keys['alice']}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "You said: still there?"


def post(gw: Stack, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.post(
        f"{gw.url}{CHAT}",
        content=body,
        headers={"Authorization": f"Bearer {gw.keys['alice']}", "Content-Type": content_type},
        timeout=10,
    )


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b'{"model": "gpt-4o", "messages": [', "application/json", "not valid JSON"),
        (b"\xff\xfe{}", "application/json", "not valid UTF-8"),
        (
            b'{"model":"x","messages":[{"role":"user","content":"caf\xe9"}]}',
            "application/json",
            "UTF-8",
        ),
        (b"model=gpt-4o", "application/x-www-form-urlencoded", "expected a JSON body"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "JSON"),
        (b'"just a string"', "application/json", ""),
        (b'{"model": "gpt-4o", "messages": "hi"}', "application/json", "messages"),
        (
            b'{"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}',
            "application/json",
            "content",
        ),
    ],
)
def test_malformed_requests_get_a_precise_400(
    gw: Stack, body: bytes, content_type: str, fragment: str
) -> None:
    response = post(gw, body, content_type)
    assert response.status_code == 400
    error = response.json()["error"]
    assert fragment in error["message"]
    assert not gw.fake.requests
    ok_afterwards(gw)


def test_huge_declared_body_is_refused_before_reading(gw: Stack) -> None:
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {gw.keys['alice']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n"
    ).encode()
    status, body = raw_http(gw.url, head + b"{" * 65536)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "request_too_large"
    ok_afterwards(gw)


def test_huge_chunked_body_is_cut_at_the_limit(gw: Stack) -> None:
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {gw.keys['alice']}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunk = b"a" * 65536
    framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    status, _ = raw_http(gw.url, head + framed * 32)  # 2 MiB against a 1 MB limit
    assert status == 413
    ok_afterwards(gw)


def test_half_closed_connection(gw: Stack) -> None:
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {gw.keys['alice']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    status, _ = raw_http(gw.url, head + b'{"model":', shutdown_write=True, timeout=5)
    assert status in (0, 400)
    assert not gw.fake.requests
    ok_afterwards(gw)


def test_slow_client_times_out(gw: Stack) -> None:
    host, _, port = gw.url.removeprefix("http://").partition(":")
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {gw.keys['alice']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b'{"mo')
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(65536):  # until the gateway closes: the body may come later
            answer += chunk
            if time.monotonic() - started > 8:
                break
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"not received in time" in answer
    assert 1.5 < waited < 6
    ok_afterwards(gw)


def test_upstream_that_hangs_gets_a_504(gw: Stack) -> None:
    gw.fake.replies.append(Reply(hang=True))
    started = time.monotonic()
    response = post(
        gw,
        json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode(),
    )
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"
    assert time.monotonic() - started < 8
    ok_afterwards(gw)


def test_unreachable_upstream_gets_a_502(gw: Stack) -> None:
    response = httpx.post(
        f"{gw.url}/dead/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {gw.keys['alice']}"},
    )
    assert response.status_code == 502
    assert response.json()["error"]["type"] == "server_error"
    ok_afterwards(gw)


def test_upstream_html_error_page_is_said_in_the_dialect(gw: Stack) -> None:
    gw.fake.replies.append(
        Reply(
            status=503, raw_body=b"<html><body>Bad gateway</body></html>", content_type="text/html"
        )
    )
    response = post(
        gw,
        json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode(),
    )
    assert response.status_code == 502
    assert "HTTP 503" in response.json()["error"]["message"]
    ok_afterwards(gw)


def test_unknown_route_and_websocket_like_requests(gw: Stack) -> None:
    response = httpx.get(
        f"{gw.url}/nowhere", headers={"Authorization": f"Bearer {gw.keys['alice']}"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    ok_afterwards(gw)


def test_too_many_headers(gw: Stack) -> None:
    headers = {f"x-h{i}": "v" for i in range(150)}
    headers["Authorization"] = f"Bearer {gw.keys['alice']}"
    response = httpx.post(f"{gw.url}{CHAT}", json={}, headers=headers)
    assert response.status_code == 400
    ok_afterwards(gw)


def test_health_and_metrics(gw: Stack) -> None:
    assert httpx.get(f"{gw.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{gw.url}/readyz").status_code == 200
    metrics = httpx.get(f"{gw.url}/metrics").text
    assert "wardgate_requests_total" in metrics
    assert "wardgate_detection_seconds_bucket" in metrics


def test_client_leaving_mid_stream_stops_the_relay(gw: Stack) -> None:
    gw.fake.replies.append(Reply(text="word " * 200, chunk_chars=5, delay_s=0.05))  # ~10 s
    body = json.dumps(
        {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "long"}]}
    )
    host, _, port = gw.url.removeprefix("http://").partition(":")
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {gw.keys['alice']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")  # streaming has begun
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        metrics = httpx.get(f"{gw.url}/metrics").text
        if 'wardgate_client_disconnects_total{route="openai"}' in metrics:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the gateway kept relaying a stream nobody reads")
    ok_afterwards(gw)
