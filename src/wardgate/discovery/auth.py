"""How a caller authenticated, as far as one observed call shows it.

Discovery wants to know, per endpoint, which mechanisms callers use (an endpoint reached both with
and without credentials is worth a look) and safe facts about them: the header or parameter name
that carries an API key, the cookie that holds the session, a JWT's issuer and algorithm. It never
wants the credential itself, so nothing here returns, stores or logs a value: JWTs are decoded
without verification, in bounded size, only to read ``alg`` and ``iss``; every other value is at
most looked at to tell a key from an ordinary parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from wardgate.discovery.observation import Observation


class AuthKind(StrEnum):
    """The mechanisms :class:`~wardgate.discovery.model.EndpointRecord` counts."""

    NONE = "none"
    BASIC = "basic"
    BEARER = "bearer"
    JWT = "jwt"
    API_KEY_HEADER = "api_key_header"
    API_KEY_QUERY = "api_key_query"
    COOKIE = "cookie"
    MTLS = "mtls"


@dataclass(frozen=True, slots=True)
class AuthEvidence:
    """One mechanism seen on a call; ``detail`` is safe metadata (a name, ``alg=… iss=…``)."""

    kind: AuthKind
    detail: str = ""


# --- names ---------------------------------------------------------------------------------------

API_KEY_HEADERS = frozenset(
    {
        "x-api-key",
        "api-key",
        "apikey",
        "x-apikey",
        "x-goog-api-key",
        "x-functions-key",
        "ocp-apim-subscription-key",
        "x-rapidapi-key",
        "x-auth-token",
        "x-access-token",
        "x-api-token",
        "x-token",
        "x-auth-key",
        "x-client-secret",
        "private-token",
        "x-amz-security-token",
    }
)
"""Headers that carry an API key or token by convention."""
# Other x-… headers ending like these carry a key too; anti-CSRF tokens are not credentials.
_API_KEY_HEADER_NAME = re.compile(r"x-[a-z0-9-]*(?:api-?key|auth-?token|access-?token|api-?token)")
_NOT_CREDENTIAL_NAME = re.compile(r"csrf|xsrf")

STRONG_API_KEY_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "x-api-key",
        "access_token",
        "auth_token",
        "api_token",
        "apitoken",
        "subscription-key",
        "client_secret",
    }
)
"""Query parameters that are credentials whatever their value looks like."""
WEAK_API_KEY_PARAMS = frozenset({"key", "token", "auth", "sig", "signature", "access_key"})
"""Query parameters that are credentials only when the value looks like a key (``key`` is also a
cache key or a sort key)."""

MTLS_CERT_HEADERS = frozenset(
    {
        "x-client-cert",
        "x-forwarded-client-cert",
        "ssl-client-cert",
        "x-ssl-client-cert",
        "x-ssl-cert",
        "x-client-certificate",
        "x-arr-clientcert",
        "x-amzn-mtls-clientcert",
        "x-amzn-mtls-clientcert-leaf",
        "x-ssl-client-s-dn",
        "x-client-dn",
    }
)
"""Headers a TLS-terminating proxy sets to pass the client certificate (or its subject) on."""
MTLS_VERIFY_HEADERS = frozenset({"x-ssl-client-verify", "ssl-client-verify", "x-client-verify"})
"""Headers a proxy sets to the verification result; only a success counts."""
_VERIFIED = frozenset({"success", "true", "ok", "verified", "1", "yes"})
_EMPTY_VALUES = frozenset({"", "-", "(null)", "null", "none"})

_SESSION_COOKIE = re.compile(
    r"sess|(?:^|[_.-])s?sid(?:$|[_.-])|auth|token|jwt|login|remember", re.IGNORECASE
)
_RANDOM_RUN = re.compile(r"[0-9a-fA-F]{12,}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]{16,4096}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")

MAX_NAME = 64
MAX_COOKIES = 64
MAX_JWT_CHARS = 16 * 1024
MAX_JWT_HEADER_CHARS = 2048
MAX_ISS_CHARS = 128


def is_credential_header(name: str) -> bool:
    """Whether a (lower-case) request header carries a credential, not data."""
    return (
        name in ("authorization", "proxy-authorization", "cookie", "set-cookie")
        or name in API_KEY_HEADERS
        or name in MTLS_CERT_HEADERS
        or name in MTLS_VERIFY_HEADERS
        or _is_api_key_header(name)
    )


def _is_api_key_header(name: str) -> bool:
    return name in API_KEY_HEADERS or (
        bool(_API_KEY_HEADER_NAME.fullmatch(name)) and not _NOT_CREDENTIAL_NAME.search(name)
    )


# --- JWT -----------------------------------------------------------------------------------------


def _b64url_json(part: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None


def _safe_text(value: str, limit: int) -> str:
    """Printable ASCII only, cut: an unverified claim must not smuggle newlines into logs."""
    cleaned = "".join(c if " " < c < "\x7f" else "?" for c in value[: limit * 2])
    return cleaned[:limit]


def _safe_issuer(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    iss = value.strip()
    scheme, sep, rest = iss.partition("://")
    if sep:  # keep scheme, host and path; drop any user-info, query or fragment
        rest = re.split(r"[?#]", rest, maxsplit=1)[0]
        authority, slash, path = rest.partition("/")
        iss = scheme + sep + authority.rpartition("@")[2] + slash + path
    return _safe_text(iss, MAX_ISS_CHARS)


def jwt_metadata(token: str) -> str | None:
    """``alg=RS256 iss=https://idp.example`` for a JWT (JWS or JWE), else None.

    Decoded without verification and without keeping the token: only the header's ``alg`` and the
    payload's ``iss`` (sanitised, cut) come out. Oversized tokens are not decoded.
    """
    if len(token) > MAX_JWT_CHARS or not token.startswith("ey"):
        return None
    parts = token.split(".")
    if len(parts) not in (3, 5) or len(parts[0]) > MAX_JWT_HEADER_CHARS:
        return None
    header = _b64url_json(parts[0])
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        return None
    alg = header["alg"]
    alg = alg if re.fullmatch(r"[A-Za-z0-9+._-]{1,32}", alg) else "unknown"
    detail = f"alg={alg}"
    if len(parts) == 3:  # a JWE's payload is encrypted: no claims to read
        payload = _b64url_json(parts[1])
        if not isinstance(payload, dict):
            return None
        iss = _safe_issuer(payload.get("iss"))
        if iss:
            detail += f" iss={iss}"
    return detail


# --- detection -----------------------------------------------------------------------------------


def _looks_like_key(value: str) -> bool:
    """A value that could be a key: long, token characters, not a plain number or word."""
    value = value.strip()
    return (
        bool(_TOKEN_CHARS.fullmatch(value))
        and not value.isdigit()
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    )


def _cookie_name(name: str) -> str:
    """The name as safe metadata: no odd characters, random per-site suffixes folded to ``*``."""
    name = _UNSAFE_NAME.sub("", name)[:MAX_NAME]
    if name.upper().startswith("ASPSESSIONID"):  # classic ASP appends a random suffix
        return "ASPSESSIONID*"
    return _RANDOM_RUN.sub("*", name)


def _authorization(value: str, found: list[AuthEvidence]) -> None:
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    low = scheme.lower()
    if not credential:  # a bare token, no scheme
        meta = jwt_metadata(scheme)
        found.append(
            AuthEvidence(AuthKind.JWT, meta)
            if meta
            else AuthEvidence(AuthKind.API_KEY_HEADER, "authorization")
        )
    elif low == "bearer":
        meta = jwt_metadata(credential)
        found.append(
            AuthEvidence(AuthKind.JWT, meta)
            if meta
            else AuthEvidence(AuthKind.BEARER, "authorization")
        )
    elif low in ("basic", "digest"):
        found.append(AuthEvidence(AuthKind.BASIC, "authorization" if low == "basic" else "digest"))
    else:
        name = scheme if _SCHEME.fullmatch(scheme) else "other"
        found.append(AuthEvidence(AuthKind.API_KEY_HEADER, f"authorization:{name}"))


def _cookies(value: str, found: list[AuthEvidence]) -> None:
    for i, pair in enumerate(value.split(";")):
        if i >= MAX_COOKIES:
            break
        name, _, cookie_value = pair.strip().partition("=")
        name = name.strip()
        if not name or _NOT_CREDENTIAL_NAME.search(name.lower()):
            continue
        meta = jwt_metadata(cookie_value.strip().strip('"'))
        if meta or _SESSION_COOKIE.search(name):
            found.append(AuthEvidence(AuthKind.COOKIE, _cookie_name(name)))
        if meta:
            found.append(AuthEvidence(AuthKind.JWT, meta))


def detect_auth(obs: Observation) -> list[AuthEvidence]:
    """Every mechanism the call's request carries, once each; ``[none]`` when there is none."""
    found: list[AuthEvidence] = []
    for name, value in obs.request_headers:
        if name == "authorization":
            _authorization(value, found)
        elif name == "cookie":
            _cookies(value, found)
        elif _is_api_key_header(name):
            if value.strip():
                found.append(AuthEvidence(AuthKind.API_KEY_HEADER, name))
                meta = jwt_metadata(value.strip())
                if meta:
                    found.append(AuthEvidence(AuthKind.JWT, meta))
        elif name in MTLS_CERT_HEADERS:
            if value.strip().lower() not in _EMPTY_VALUES:
                found.append(AuthEvidence(AuthKind.MTLS, name))
        elif name in MTLS_VERIFY_HEADERS and value.strip().lower() in _VERIFIED:
            found.append(AuthEvidence(AuthKind.MTLS, name))
    for name, value in obs.query:
        low = name.lower()
        strong = low in STRONG_API_KEY_PARAMS
        if not (strong or low in WEAK_API_KEY_PARAMS) or not value.strip():
            continue
        meta = jwt_metadata(value.strip())
        if strong or meta or _looks_like_key(value):
            found.append(AuthEvidence(AuthKind.API_KEY_QUERY, _safe_text(low, MAX_NAME)))
        if meta:
            found.append(AuthEvidence(AuthKind.JWT, meta))
    if not found:
        return [AuthEvidence(AuthKind.NONE)]
    return list(dict.fromkeys(found))


AUTH_REQUIRED_STATUSES = frozenset({401, 403})


def requires_auth(statuses: Mapping[str, int] | Iterable[int | str]) -> bool:
    """Whether the endpoint has refused a caller (401/403): evidence it enforces access control.

    Takes an :class:`EndpointRecord`'s ``statuses`` map (status -> count) or plain status codes.
    """
    if isinstance(statuses, Mapping):
        codes: Iterable[int | str] = (s for s, n in statuses.items() if n > 0)
    else:
        codes = statuses
    for code in codes:
        try:
            if int(code) in AUTH_REQUIRED_STATUSES:
                return True
        except (TypeError, ValueError):
            continue
    return False


def auth_challenges(obs: Observation) -> list[str]:
    """The schemes a 401's ``WWW-Authenticate`` asks for (``Bearer``, ``Basic``), names only."""
    if obs.status != 401:
        return []
    schemes: list[str] = []
    for name, value in obs.response_headers:
        if name != "www-authenticate":
            continue
        # "Scheme param=…, param=…, Scheme2 …": a scheme is a token not followed by "=".
        for m in re.finditer(r"(?:^|,)\s*([A-Za-z][A-Za-z0-9_-]{0,31})(?=\s|,|$)", value[:1024]):
            scheme = m.group(1)
            if scheme not in schemes:
                schemes.append(scheme)
    return schemes[:8]
