"""The console's request protections: signed cookies, CSRF tokens, origin and host checks, and the
headers every response carries.

* **Session cookie**: ``<random id>.<HMAC>``; the id is looked up server-side (its SHA-256 is
  stored), the HMAC lets forged cookies be refused without touching the database. ``HttpOnly``,
  ``SameSite=Strict``, ``Path=/``, ``Secure`` (and the ``__Host-`` prefix) over https.
* **CSRF**: every state-changing request with a session cookie must carry a token bound to that
  session (``HMAC(key, "csrf:" + session)``) in the form field ``csrf`` or the header
  ``X-CSRF-Token``; the login form gets one bound to a pre-login cookie. Cross-site
  ``Origin``/``Sec-Fetch-Site`` headers are refused on top (defence in depth). API-token
  requests carry no cookie, so they need no token.
* **Headers**: a CSP that allows only the console's own scripts and styles (no inline script),
  no framing, no sniffing, no referrer to other sites (``same-origin``: with ``no-referrer``
  browsers send ``Origin: null`` on the console's own forms), HSTS over https, ``no-store`` for anything behind login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Final

SESSION_COOKIE: Final = "wardgate_console"
LOGIN_COOKIE: Final = "wardgate_console_login"
CSRF_FIELD: Final = "csrf"
CSRF_HEADER: Final = "x-csrf-token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    """HMAC-SHA256 with the console's key, with a purpose label so one signature never serves
    as another (a session cookie's signature is not a CSRF token)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the console's signing key must be at least 32 bytes")
        self._key = key

    @classmethod
    def from_secret(cls, secret: str | None) -> Signer:
        """From the configured secret (any length, stretched with SHA-256), else a random key."""
        if not secret:
            return cls(secrets.token_bytes(32))
        return cls(hashlib.sha256(b"wardgate-console:" + secret.encode("utf-8")).digest() * 2)

    def sign(self, purpose: str, value: str) -> str:
        mac = hmac.new(self._key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return _b64(mac.digest())

    def verify(self, purpose: str, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, value), signature)

    # -- cookies ---------------------------------------------------------------------------------

    def cookie_value(self, raw: str) -> str:
        return f"{raw}.{self.sign('session', raw)}"

    def unsign_cookie(self, value: str) -> str | None:
        """The session id in a cookie value, if its signature holds."""
        raw, dot, signature = value.rpartition(".")
        if not dot or not raw or len(raw) > 128 or not self.verify("session", raw, signature):
            return None
        return raw

    # -- CSRF ------------------------------------------------------------------------------------

    def csrf_token(self, session_hash: str) -> str:
        return self.sign("csrf", session_hash)

    def login_token(self, nonce: str) -> str:
        return self.sign("login-csrf", nonce)


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-`` names are only accepted by browsers with Secure, Path=/ and no Domain."""
    return f"__Host-{base}" if secure else base


def set_cookie(name: str, value: str, *, secure: bool, max_age: int | None) -> str:
    """A ``Set-Cookie`` value: HttpOnly, SameSite=Strict, Path=/, Secure over https."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max(0, max_age)}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def parse_cookies(header: str) -> dict[str, str]:
    """Cookie header into name -> value (first wins; bounded: at most 64 cookies)."""
    out: dict[str, str] = {}
    for piece in header.split(";")[:64]:
        name, eq, value = piece.strip().partition("=")
        if eq and name and name not in out:
            out[name] = value.strip().strip('"')
    return out


def cross_site(headers: Mapping[str, str], host: str, scheme: str) -> bool:
    """True when the browser says the request comes from another site (Origin or
    Sec-Fetch-Site); requests without those headers (scripts, old browsers) are not judged
    here: the CSRF token still is required for them."""
    fetch_site = headers.get("sec-fetch-site", "")
    if fetch_site:  # set by the browser only (pages cannot forge it): the best witness
        return fetch_site not in {"same-origin", "none"}
    origin = headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or origin.lower() != f"{scheme}://{host}".lower()


def host_allowed(host_header: str, allowed: frozenset[str]) -> bool:
    """Whether the Host header names the console (empty ``allowed``: any name)."""
    if not allowed:
        return True
    name = host_header.lower()
    if name.startswith("["):
        name = name[: name.find("]") + 1]
    else:
        name = name.rpartition(":")[0] if name.count(":") == 1 else name
    return name in allowed


def security_headers(*, secure: bool, private: bool) -> list[tuple[str, str]]:
    """The headers on every console response."""
    headers = [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if private:
        headers.append(("cache-control", "no-store"))
    if secure:
        headers.append(("strict-transport-security", "max-age=31536000; includeSubDomains"))
    return headers


__all__ = [
    "CSP",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_COOKIE",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "Signer",
    "cookie_name",
    "cross_site",
    "host_allowed",
    "parse_cookies",
    "security_headers",
    "set_cookie",
]
