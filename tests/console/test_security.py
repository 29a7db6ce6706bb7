"""Signed cookies, CSRF tokens, origin and host checks, response headers."""

from __future__ import annotations

import pytest

from wardgate.console.security import (
    Signer,
    cookie_name,
    cross_site,
    host_allowed,
    parse_cookies,
    security_headers,
    set_cookie,
)


def test_signatures_are_bound_to_their_purpose() -> None:
    signer = Signer.from_secret("s3cret")
    assert Signer.from_secret("s3cret").sign("csrf", "x") == signer.sign("csrf", "x")
    assert signer.sign("csrf", "x") != signer.sign("session", "x")
    assert signer.sign("csrf", "x") != Signer.from_secret("other").sign("csrf", "x")
    assert Signer.from_secret(None).sign("a", "b") != Signer.from_secret(None).sign("a", "b")


def test_session_cookies_unsign_only_when_intact() -> None:
    signer = Signer.from_secret("k")
    value = signer.cookie_value("abc123")
    assert signer.unsign_cookie(value) == "abc123"
    raw, _, sig = value.partition(".")
    for forged in (
        "",
        "abc123",
        f"{raw}.",
        f".{sig}",
        f"abc124.{sig}",
        f"{raw}.{sig}x",
        "x" * 200 + "." + sig,
    ):
        assert signer.unsign_cookie(forged) is None


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Signer(b"short")


def test_cookies() -> None:
    assert cookie_name("c", secure=True) == "__Host-c"
    assert cookie_name("c", secure=False) == "c"
    header = set_cookie("c", "v", secure=True, max_age=60)
    for part in ("c=v", "Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=60", "Secure"):
        assert part in header
    assert parse_cookies('a=1; b="2"; a=3; junk; =x') == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("headers", "cross"),
    [
        ({}, False),
        ({"sec-fetch-site": "same-origin"}, False),
        ({"sec-fetch-site": "none"}, False),
        ({"sec-fetch-site": "same-site"}, True),
        ({"sec-fetch-site": "cross-site"}, True),
        ({"origin": "http://console.test:8081"}, False),
        ({"origin": "HTTP://CONSOLE.TEST:8081"}, False),
        ({"origin": "http://evil.test"}, True),
        ({"origin": "https://console.test:8081"}, True),
        ({"origin": "null"}, True),
        ({"sec-fetch-site": "same-origin", "origin": "null"}, False),  # the browser's word wins
    ],
)
def test_cross_site(headers: dict[str, str], cross: bool) -> None:
    assert cross_site(headers, "console.test:8081", "http") is cross


@pytest.mark.parametrize(
    ("host", "allowed", "ok"),
    [
        ("127.0.0.1:8081", {"127.0.0.1", "localhost"}, True),
        ("localhost", {"127.0.0.1", "localhost"}, True),
        ("[::1]:8081", {"[::1]"}, True),
        ("evil.test:8081", {"127.0.0.1", "localhost"}, False),
        ("", {"127.0.0.1"}, False),
        ("anything", set(), True),
    ],
)
def test_host_allowed(host: str, allowed: set[str], ok: bool) -> None:
    assert host_allowed(host, frozenset(allowed)) is ok


def test_headers() -> None:
    plain = dict(security_headers(secure=False, private=True))
    assert "default-src 'self'" in plain["content-security-policy"]
    assert "frame-ancestors 'none'" in plain["content-security-policy"]
    assert plain["cache-control"] == "no-store"
    assert "strict-transport-security" not in plain
    tls = dict(security_headers(secure=True, private=False))
    assert tls["strict-transport-security"].startswith("max-age=")
    assert "cache-control" not in tls
