"""Console passwords: scrypt hashes (standard library only), verified in constant time.

A hash is stored as ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``, so the cost can be
raised later and old hashes still verify (:func:`needs_rehash` says when to re-hash at the next
login). The parameters read back from storage are bounded, so a tampered row cannot make a
login allocate gigabytes. n = 2**15, r = 8 costs 32 MiB and about 50-100 ms per check: slow for
a guesser, fine for a person logging in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

SCHEME: Final = "scrypt"
MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 1024  # hashing a megabyte password is a denial of service, not security
_SALT_BYTES: Final = 16
_HASH_BYTES: Final = 32
_MAX_LOG_N: Final = 20
_MAX_R: Final = 32
_MAX_P: Final = 4


@dataclass(frozen=True, slots=True)
class Cost:
    """scrypt's work factors: n = 2**log_n, block size r, parallelism p."""

    log_n: int = 15
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not (1 <= self.log_n <= _MAX_LOG_N and 1 <= self.r <= _MAX_R and 1 <= self.p <= _MAX_P):
            raise ValueError("scrypt cost out of range")

    @property
    def memory(self) -> int:
        return 128 * self.r * (1 << self.log_n) * self.p + 1024 * 1024


DEFAULT_COST: Final = Cost()


class PasswordError(ValueError):
    """A password that may not be set (too short, too long, not printable)."""


def check_password(password: str) -> str:
    """Return ``password`` if it may be set; the message never repeats it."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"passwords must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"passwords must be at most {MAX_LENGTH} characters")
    if not password.isprintable():
        raise PasswordError("passwords must be printable characters")
    return password


def generate_password() -> str:
    """A random password of 20 URL-safe characters (about 120 bits)."""
    return secrets.token_urlsafe(15)


def _derive(password: str, salt: bytes, cost: Cost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=1 << cost.log_n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.memory,
        dklen=_HASH_BYTES,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, cost: Cost = DEFAULT_COST) -> str:
    """The storable hash of ``password`` (checked with :func:`check_password` first)."""
    check_password(password)
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(password, salt, cost)
    return f"{SCHEME}${cost.log_n}${cost.r}${cost.p}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[Cost, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        cost = Cost(int(parts[1]), int(parts[2]), int(parts[3]))
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    if len(digest) != _HASH_BYTES or not salt:
        return None
    return cost, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; False for malformed hashes or oversized input."""
    parsed = _parse(stored)
    if parsed is None or len(password) > MAX_LENGTH:
        return False
    cost, salt, digest = parsed
    return hmac.compare_digest(_derive(password, salt, cost), digest)


def needs_rehash(stored: str, cost: Cost = DEFAULT_COST) -> bool:
    """True when ``stored`` was made with a different cost than ``cost``."""
    parsed = _parse(stored)
    return parsed is None or parsed[0] != cost


_DUMMY: dict[Cost, str] = {}


def burn(password: str, cost: Cost = DEFAULT_COST) -> None:
    """Spend the time a real check costs, for logins with an unknown name (no timing oracle)."""
    if cost not in _DUMMY:
        _DUMMY[cost] = hash_password(generate_password() + "-dummy", cost)
    verify_password(password[:MAX_LENGTH], _DUMMY[cost])


__all__ = [
    "DEFAULT_COST",
    "Cost",
    "PasswordError",
    "burn",
    "check_password",
    "generate_password",
    "hash_password",
    "needs_rehash",
    "verify_password",
]
