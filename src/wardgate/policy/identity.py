"""Who is calling: turn a request's credentials into an :class:`Identity`.

Two kinds of credential are accepted:

* **Gateway API keys** (``wg_...``, see :mod:`wardgate.policy.keys`), in any of the places LLM
  SDKs put their key: ``Authorization: Bearer``, ``x-api-key`` (Anthropic), ``api-key`` (Azure
  OpenAI), ``x-goog-api-key`` and the ``key=`` query parameter (Gemini).
* **JWTs** from an identity provider, only as ``Authorization: Bearer`` and only when
  :class:`JwtSettings` are given. Signatures are checked against a JWKS (file or URL) or a PEM
  public key; only asymmetric algorithms are accepted, which rules out ``none`` and the
  HS256-with-the-public-key confusion attack by construction.

Exactly one credential must be present: two (even equal ones) raise ``ambiguous_credentials``,
so the gateway never has to guess which one to trust, and the one it strips before forwarding
(:attr:`AuthResult.credential_source`) is the only one there was.

Whether anonymous calls are allowed is the route's decision, not this module's: with no
credential :meth:`Authenticator.authenticate` raises ``AuthError("missing_credentials")``.

Failures raise :class:`AuthError` whose ``reason`` is one of :data:`REASONS`; the credential
itself never appears in a reason, message or log.

Performance: API-key records are cached per process for ``cache_ttl_s`` (default 5 s) so the
request path rarely touches SQLite; the secret's hash is still compared on every request in
constant time, and expiry is checked against the clock on every request. **A revocation takes
effect within ``cache_ttl_s``** (or at once in this process via :meth:`Authenticator.invalidate`).

JWKS over a URL: :class:`jwt.PyJWKClient` caches the key set for ``jwks_cache_s`` and fetches
with ``jwks_timeout_s``; an unknown ``kid`` forces a refresh only once the last fetch is a full
cache lifetime old, so whatever tokens callers send, the URL is fetched at most once per
lifetime (a rotated key is picked up within one lifetime). Call
:meth:`Authenticator.refresh_jwks` at startup so the first fetch is not on a request; after that
a fetch lands on the one request that finds the cache expired (others wait for it, bounded by
the timeout). PyJWKClient does not serve stale keys: if that fetch fails, JWTs fail with
``jwks_unavailable`` until the endpoint answers again.
JWT time claims (``exp``, ``nbf``, ``iat``) are checked by PyJWT against the system clock, not
the injected ``clock``.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wardgate.core.exchange import Identity
from wardgate.policy import keys as keyfmt
from wardgate.storage.keys import ApiKeyRecord, KeyStore

REASONS: Final = frozenset(
    {
        "missing_credentials",  # nothing that looks like a credential
        "ambiguous_credentials",  # more than one credential location used
        "unsupported_auth_scheme",  # Authorization is not "Bearer ..."
        "malformed_credentials",  # "Authorization: Bearer" with no token
        "malformed_key",  # not a well-formed wg_ key (and not a JWT location)
        "unknown_key",  # no such key, or wrong secret (indistinguishable on purpose)
        "revoked_key",
        "expired_key",
        "invalid_token",  # undecodable, bad signature, disallowed alg, bad or missing claims
        "expired_token",
        "token_not_yet_valid",  # nbf or iat in the future
        "wrong_audience",
        "wrong_issuer",
        "unknown_signing_key",  # no key for the token's kid
        "jwks_unavailable",  # the JWKS URL could not be fetched: a server-side failure
    }
)

ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""The only JWT algorithms Wardgate verifies: public-key ones, never ``none`` or ``HS*``."""

CREDENTIAL_HEADERS: Final = ("authorization", "x-api-key", "api-key", "x-goog-api-key")
CREDENTIAL_QUERY_PARAM: Final = "key"

MAX_TOKEN_LENGTH = 16_384
MAX_CLAIM_VALUES = 256
MAX_SUBJECT_LENGTH = 512
DEFAULT_CACHE_TTL_S = 5.0
_MAX_CACHED_KEYS = 4_096

_AUTHORIZATION: Final = ("header", "authorization")

_RSA_ALGS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC_ALGS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


class AuthError(Exception):
    """Authentication failed; ``reason`` is a short code from :data:`REASONS`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AuthResult:
    """The caller's identity and where the credential was: ``("header", name)`` (lowercase) or
    ``("query", "key")``, so the gateway can strip it before forwarding upstream."""

    identity: Identity
    credential_source: tuple[str, str]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class JwtSettings(BaseModel):
    """How to verify JWTs. Exactly one key source: ``jwks_file``, ``jwks_url`` or
    ``public_key_file``. ``jwks_url`` must be https (plain http only to a loopback host), since
    whoever can alter the key set can mint tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(min_length=1)
    audience: str = Field(min_length=1)
    jwks_file: Path | None = None
    jwks_url: str | None = None
    public_key_file: Path | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    leeway_s: float = Field(default=30, ge=0, le=300)
    subject_claim: str = Field(default="sub", min_length=1)
    tenant_claim: str = Field(default="tenant", min_length=1)
    groups_claim: str = Field(default="groups", min_length=1)
    scopes_claim: str = Field(default="scope", min_length=1)
    jwks_cache_s: float = Field(default=300, gt=0, le=86_400)
    jwks_timeout_s: float = Field(default=5, gt=0, le=60)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one algorithm is required")
        bad = sorted(set(value) - ASYMMETRIC_ALGORITHMS)
        if bad:
            raise ValueError(
                f"unsupported JWT algorithms {bad}: only public-key algorithms are allowed "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))})"
            )
        return value

    @field_validator("jwks_url")
    @classmethod
    def _secure_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        host = parts.hostname or ""
        if not host or not (
            parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
        ):
            raise ValueError("jwks_url must be an https URL (http only for a loopback host)")
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> JwtSettings:
        sources = [self.jwks_file, self.jwks_url, self.public_key_file]
        if sum(s is not None for s in sources) != 1:
            raise ValueError("set exactly one of jwks_file, jwks_url, public_key_file")
        return self


_VerificationKey = (
    jwt.PyJWK | rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
)


class _KeySource:
    """Finds the verification key (and the algorithms it may be used with) for a token."""

    def resolve(self, kid: str | None) -> tuple[_VerificationKey, list[str]]:
        raise NotImplementedError

    def refresh(self) -> None:
        """Re-fetch remote keys; nothing to do for local ones."""


def _usable_jwks(jwk_set: jwt.PyJWKSet, allowed: frozenset[str]) -> list[jwt.PyJWK]:
    """Signature keys with an allowed asymmetric algorithm; symmetric (``oct``) keys never."""
    return [
        k
        for k in jwk_set.keys
        if k.key_type != "oct" and k.public_key_use in ("sig", None) and k.algorithm_name in allowed
    ]


class _JwksFileSource(_KeySource):
    def __init__(self, path: Path, allowed: frozenset[str]) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            jwk_set = jwt.PyJWKSet.from_dict(data)
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise ValueError(f"cannot load JWKS file {path}: {type(exc).__name__}") from None
        usable = _usable_jwks(jwk_set, allowed)
        if not usable:
            raise ValueError(f"JWKS file {path} has no usable signing key")
        self._by_kid = {k.key_id: k for k in usable if k.key_id}
        self._only = usable[0] if len(usable) == 1 else None

    def resolve(self, kid: str | None) -> tuple[_VerificationKey, list[str]]:
        key = self._only if kid is None else self._by_kid.get(kid)
        if key is None:
            raise AuthError("unknown_signing_key")
        return key, [key.algorithm_name]


class _JwksUrlSource(_KeySource):
    def __init__(self, settings: JwtSettings, allowed: frozenset[str]) -> None:
        assert settings.jwks_url is not None
        self._allowed = allowed
        self._client = jwt.PyJWKClient(
            settings.jwks_url,
            cache_jwk_set=True,
            lifespan=settings.jwks_cache_s,
            timeout=settings.jwks_timeout_s,
            # An unknown kid forces a refresh at most once per cache lifetime, so tokens with
            # made-up kids cannot turn the gateway into a JWKS request amplifier.
            cooldown_duration=settings.jwks_cache_s,
        )

    def resolve(self, kid: str | None) -> tuple[_VerificationKey, list[str]]:
        if kid is None:
            raise AuthError("unknown_signing_key")
        try:
            # Cached after the first fetch. Failing here (unreachable, not JSON, no usable keys)
            # is the identity provider's problem, not the caller's.
            self._client.get_signing_keys()
        except (jwt.PyJWTError, OSError, ValueError):
            raise AuthError("jwks_unavailable") from None
        try:
            key = self._client.get_signing_key(kid)  # may refresh once per cooldown
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, OSError, ValueError):
            raise AuthError("jwks_unavailable") from None
        except jwt.PyJWTError:
            raise AuthError("unknown_signing_key") from None
        if key.key_type == "oct" or key.algorithm_name not in self._allowed:
            raise AuthError("unknown_signing_key")
        return key, [key.algorithm_name]

    def refresh(self) -> None:
        try:
            self._client.get_jwk_set(refresh=True)
        except (jwt.PyJWTError, OSError, ValueError):
            raise AuthError("jwks_unavailable") from None


class _PublicKeySource(_KeySource):
    def __init__(self, path: Path, allowed: frozenset[str]) -> None:
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"cannot load public key {path}: {type(exc).__name__}") from None
        if isinstance(key, rsa.RSAPublicKey):
            family = _RSA_ALGS
        elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC_ALGS:
            family = frozenset({_EC_ALGS[key.curve.name]})
        elif isinstance(key, ed25519.Ed25519PublicKey):
            family = frozenset({"EdDSA"})
        else:
            raise ValueError(f"unsupported public key type in {path}")
        algorithms = sorted(family & allowed)
        if not algorithms:
            raise ValueError(f"no configured algorithm fits the public key in {path}")
        self._key: _VerificationKey = key
        self._algorithms = algorithms

    def resolve(self, kid: str | None) -> tuple[_VerificationKey, list[str]]:
        return self._key, list(self._algorithms)


def _key_source(settings: JwtSettings) -> _KeySource:
    allowed = frozenset(settings.algorithms) & ASYMMETRIC_ALGORITHMS
    if settings.jwks_file is not None:
        return _JwksFileSource(settings.jwks_file, allowed)
    if settings.jwks_url is not None:
        return _JwksUrlSource(settings, allowed)
    assert settings.public_key_file is not None
    return _PublicKeySource(settings.public_key_file, allowed)


def _claim_values(value: Any) -> tuple[str, ...]:
    """A groups/scopes claim as a tuple: a list of strings, or a space-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        items = value.split()
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = value
    else:
        raise AuthError("invalid_token")
    out = tuple(dict.fromkeys(v for v in items if v))
    if len(out) > MAX_CLAIM_VALUES:
        raise AuthError("invalid_token")
    return out


_JWT_ERRORS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired_token"),
    (jwt.ImmatureSignatureError, "token_not_yet_valid"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
)


class Authenticator:
    """Resolves request credentials to an :class:`Identity`. Thread-safe.

    ``keys`` enables gateway API keys, ``jwt`` enables JWT bearer tokens; either may be None.
    ``clock`` (seconds since the epoch) drives key expiry and the key cache, so tests can move
    time. Building one with ``jwt`` settings loads local key files at once (raising ValueError
    on a bad file) but does not fetch a JWKS URL: see :meth:`refresh_jwks`.
    """

    def __init__(
        self,
        keys: KeyStore | None,
        jwt: JwtSettings | None,
        *,
        clock: Callable[[], float] = time.time,
        cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
    ) -> None:
        if cache_ttl_s < 0:
            raise ValueError("cache_ttl_s must not be negative")
        # ``jwt`` (the settings) shadows the PyJWT module in this method only.
        self._keys = keys
        self._jwt = jwt
        self._clock = clock
        self._cache_ttl_s = cache_ttl_s
        self._cache: OrderedDict[str, tuple[float, ApiKeyRecord]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._key_source = None if jwt is None else _key_source(jwt)
        self._jwt_algorithms = frozenset() if jwt is None else frozenset(jwt.algorithms)

    def authenticate(self, headers: Sequence[tuple[str, str]], query: str = "") -> AuthResult:
        """The identity behind the request's single credential, or raise :class:`AuthError`."""
        source, value = self._find_credential(headers, query)
        if source != _AUTHORIZATION:
            return AuthResult(self._from_api_key(value), source)
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer":
            raise AuthError("unsupported_auth_scheme")
        token = token.strip()
        if not token:
            raise AuthError("malformed_credentials")
        if self._jwt is None or keyfmt.looks_like_key(token):
            return AuthResult(self._from_api_key(token), source)
        return AuthResult(self._from_jwt(token), source)

    def invalidate(self, key_id: str | None = None) -> None:
        """Drop ``key_id`` (or every key) from the cache, e.g. right after revoking it here."""
        with self._cache_lock:
            if key_id is None:
                self._cache.clear()
            else:
                self._cache.pop(key_id, None)

    def refresh_jwks(self) -> None:
        """Fetch the JWKS URL now (call at startup, or periodically off the request path).

        No-op without a JWKS URL; raises ``AuthError("jwks_unavailable")`` if the fetch fails.
        """
        if self._key_source is not None:
            self._key_source.refresh()

    # -- credential discovery -------------------------------------------------------------

    @staticmethod
    def _find_credential(
        headers: Sequence[tuple[str, str]], query: str
    ) -> tuple[tuple[str, str], str]:
        found: list[tuple[tuple[str, str], str]] = []
        for name, raw in headers:
            lname = name.lower()
            if lname in CREDENTIAL_HEADERS and raw.strip():
                found.append((("header", lname), raw.strip()))
        if query:
            for name, raw in parse_qsl(query, keep_blank_values=False):
                if name == CREDENTIAL_QUERY_PARAM and raw.strip():
                    found.append((("query", CREDENTIAL_QUERY_PARAM), raw.strip()))
        if not found:
            raise AuthError("missing_credentials")
        if len(found) > 1:
            raise AuthError("ambiguous_credentials")
        return found[0]

    # -- API keys ---------------------------------------------------------------------------

    def _lookup(self, key_id: str, now: float) -> ApiKeyRecord | None:
        with self._cache_lock:
            hit = self._cache.get(key_id)
            if hit is not None and 0 <= now - hit[0] < self._cache_ttl_s:
                self._cache.move_to_end(key_id)
                return hit[1]
        assert self._keys is not None
        record = self._keys.get(key_id)
        if record is not None and self._cache_ttl_s > 0:
            with self._cache_lock:
                self._cache[key_id] = (now, record)
                self._cache.move_to_end(key_id)
                while len(self._cache) > _MAX_CACHED_KEYS:
                    self._cache.popitem(last=False)
        return record

    def _from_api_key(self, text: str) -> Identity:
        parsed = keyfmt.parse_key(text)
        if parsed is None:
            raise AuthError("malformed_key")
        if self._keys is None:
            raise AuthError("unknown_key")
        key_id, secret = parsed
        now = self._clock()
        record = self._lookup(key_id, now)
        # The secret is checked before revocation and expiry, so only the key's holder can
        # learn that a key id is revoked or expired.
        if record is None or not keyfmt.verify(secret, record.secret_hash, self._keys.pepper):
            raise AuthError("unknown_key")
        when = datetime.fromtimestamp(now, UTC)
        if record.revoked:
            raise AuthError("revoked_key")
        if record.expired(when):
            raise AuthError("expired_key")
        self._keys.touch(key_id, when)
        return Identity(
            subject=record.name,
            tenant=record.tenant,
            method="api_key",
            scopes=record.scopes,
            groups=record.groups,
            key_id=record.key_id,
        )

    # -- JWTs -------------------------------------------------------------------------------

    def _from_jwt(self, token: str) -> Identity:
        settings, source = self._jwt, self._key_source
        assert settings is not None
        assert source is not None
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError("invalid_token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("invalid_token") from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self._jwt_algorithms:
            raise AuthError("invalid_token")  # "none", HS*, anything not configured
        if kid is not None and not isinstance(kid, str):
            raise AuthError("invalid_token")
        key, algorithms = source.resolve(kid)
        if alg not in algorithms:
            raise AuthError("invalid_token")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_s,
                options={
                    "verify_signature": True,
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_iss": True,
                    "verify_aud": True,
                    "require": ["exp", "iss", "aud"],
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.PyJWTError as exc:
            reason = next((r for cls, r in _JWT_ERRORS if isinstance(exc, cls)), "invalid_token")
            raise AuthError(reason) from None
        except (ValueError, TypeError):
            raise AuthError("invalid_token") from None
        return self._identity_from_claims(claims, settings)

    @staticmethod
    def _identity_from_claims(claims: dict[str, Any], settings: JwtSettings) -> Identity:
        subject = claims.get(settings.subject_claim)
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_LENGTH:
            raise AuthError("invalid_token")
        tenant = claims.get(settings.tenant_claim, "")
        if not isinstance(tenant, str) or len(tenant) > MAX_SUBJECT_LENGTH:
            raise AuthError("invalid_token")
        return Identity(
            subject=subject,
            tenant=tenant,
            method="jwt",
            scopes=_claim_values(claims.get(settings.scopes_claim)),
            groups=_claim_values(claims.get(settings.groups_claim)),
        )
