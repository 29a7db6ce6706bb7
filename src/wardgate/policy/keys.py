"""Gateway API keys: the key format, generation and hashing. Pure logic, no storage.

A key reads ``wg_<key_id>_<secret>``:

* ``key_id``: 12 lowercase base32 characters (60 random bits). Public: it names the key in the
  store, in logs and in the CLI, and lets the gateway find the record without a scan.
* ``secret``: 32 random bytes from :mod:`secrets`, lowercase base32 without padding
  (52 characters, 256 bits).

The whole key matches ``wg_[a-z2-7]{12}_[a-z2-7]{52}``: URL-safe, selectable with a double click,
and easy for secret scanners to recognise.

Why a fast hash: slow password hashes (bcrypt, scrypt, Argon2) exist because passwords are
guessable. A 256-bit random secret is not; a single SHA-256 cannot be inverted or brute-forced,
so a leaked table reveals no usable key, and verification stays in the microseconds that every
request can afford. An optional server-side *pepper* (HMAC-SHA256 keyed with it) adds defence in
depth: a stolen database alone is then not even enough to test a candidate key. The stored hash
names its scheme (``sha256$...`` or ``hmac-sha256$...``), so keys created before a pepper was
configured keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping

PREFIX = "wg_"
KEY_ID_LENGTH = 12
SECRET_BYTES = 32
SECRET_LENGTH = 52  # base32 of 32 bytes, unpadded
KEY_LENGTH = len(PREFIX) + KEY_ID_LENGTH + 1 + SECRET_LENGTH

PEPPER_ENV = "WARDGATE_KEY_PEPPER"
"""Environment variable holding the optional pepper; the CLI and the gateway must agree on it."""

_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")
_SHA256 = "sha256"
_HMAC_SHA256 = "hmac-sha256"


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _is_b32(text: str, length: int) -> bool:
    return len(text) == length and all(c in _ALPHABET for c in text)


def new_key_id() -> str:
    """A fresh random key id (60 bits)."""
    return _b32(secrets.token_bytes(8))[:KEY_ID_LENGTH]


def new_secret() -> str:
    """A fresh random secret (256 bits)."""
    return _b32(secrets.token_bytes(SECRET_BYTES))


def format_key(key_id: str, secret: str) -> str:
    """The full key string a client sends; the inverse of :func:`parse_key`."""
    if not (_is_b32(key_id, KEY_ID_LENGTH) and _is_b32(secret, SECRET_LENGTH)):
        raise ValueError("not a valid key id and secret")
    return f"{PREFIX}{key_id}_{secret}"


def looks_like_key(text: str) -> bool:
    """True if ``text`` claims to be a Wardgate key (has the prefix), well-formed or not."""
    return text.startswith(PREFIX)


def parse_key(text: str) -> tuple[str, str] | None:
    """Split a key into ``(key_id, secret)``, or None unless it is exactly well-formed.

    Strict on length and alphabet, so junk never reaches the store; never raises.
    """
    if not isinstance(text, str) or len(text) != KEY_LENGTH or not text.startswith(PREFIX):
        return None
    key_id = text[len(PREFIX) : len(PREFIX) + KEY_ID_LENGTH]
    sep = text[len(PREFIX) + KEY_ID_LENGTH]
    secret = text[len(PREFIX) + KEY_ID_LENGTH + 1 :]
    if sep != "_" or not _is_b32(key_id, KEY_ID_LENGTH) or not _is_b32(secret, SECRET_LENGTH):
        return None
    return key_id, secret


def hash_secret(secret: str, pepper: bytes = b"") -> str:
    """The stored form of ``secret``: ``hmac-sha256$<hex>`` with a pepper, else ``sha256$<hex>``."""
    data = secret.encode("utf-8")
    if pepper:
        return f"{_HMAC_SHA256}${hmac.new(pepper, data, hashlib.sha256).hexdigest()}"
    return f"{_SHA256}${hashlib.sha256(data).hexdigest()}"


def verify(secret: str, stored_hash: str, pepper: bytes = b"") -> bool:
    """True if ``secret`` matches ``stored_hash``; the comparison is constant-time.

    A peppered hash never verifies without the pepper. An unpeppered hash verifies whatever
    the pepper, so adding a pepper later does not lock out existing keys.
    """
    scheme, _, _ = stored_hash.partition("$")
    if scheme == _HMAC_SHA256:
        if not pepper:
            return False
        candidate = hash_secret(secret, pepper)
    elif scheme == _SHA256:
        candidate = hash_secret(secret)
    else:
        return False
    return hmac.compare_digest(candidate.encode("ascii"), stored_hash.encode("utf-8"))


def pepper_from_env(environ: Mapping[str, str] | None = None) -> bytes:
    """The pepper configured in ``WARDGATE_KEY_PEPPER`` (UTF-8), or empty when unset."""
    env = os.environ if environ is None else environ
    return env.get(PEPPER_ENV, "").encode("utf-8")
