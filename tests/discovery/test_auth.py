"""Authentication evidence: every mechanism recognised, only safe metadata returned, never a value."""

from __future__ import annotations

import base64
import json
import random
import string

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.discovery.auth import (
    AuthEvidence,
    AuthKind,
    auth_challenges,
    detect_auth,
    is_credential_header,
    jwt_metadata,
    requires_auth,
)
from wardgate.discovery.observation import Observation

HS_SECRET = "a-test-only-hmac-secret-that-is-long-enough-for-hs384!"
HS256 = jwt.encode({"iss": "https://auth.acme.test/", "sub": "user-42"}, HS_SECRET, "HS256")
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RS256 = jwt.encode(
    {"iss": "https://login.idp.test/tenant-1/v2.0", "sub": "u-1", "email": "jane@acme-mail.net"},
    RSA_KEY,
    "RS256",
    headers={"kid": "key-1"},
)
NO_ISS = jwt.encode({"sub": "svc"}, HS_SECRET, "HS384")
# Made-up keys, assembled at run time so that no literal here has a live credential's shape.
_rng = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits
API_KEY = "sk_" + "live_" + "".join(_rng.choice(ALNUM) for _ in range(24))
GOOGLE_KEY = "AI" + "za" + "".join(_rng.choice(ALNUM) for _ in range(35))
BASIC = "Basic " + base64.b64encode(b"jane:correct horse battery staple").decode()
SESSION = "s%3AJ9kX2mQ7vR4tY8wZ1aB3cD5eF6gH"
CERT = "Hash=cf8a1b;Cert=%22-----BEGIN%20CERTIFICATE-----%0AMIIB...%22;Subject=%22CN=client%22"

SECRETS = [HS256, RS256, NO_ISS, API_KEY, GOOGLE_KEY, BASIC, SESSION, CERT, "correct horse"]


def obs(headers=(), query=(), status=None, response_headers=()) -> Observation:
    return Observation(
        "GET",
        "api.acme.test",
        "/v1/things",
        query=tuple(query),
        request_headers=tuple(headers),
        status=status,
        response_headers=tuple(response_headers),
    )


def E(kind: AuthKind, detail: str = "") -> AuthEvidence:
    return AuthEvidence(kind, detail)


CASES = [
    ("none", obs(), [E(AuthKind.NONE)]),
    (
        "hs256-jwt",
        obs([("authorization", f"Bearer {HS256}")]),
        [E(AuthKind.JWT, "alg=HS256 iss=https://auth.acme.test/")],
    ),
    (
        "rs256-jwt",
        obs([("authorization", f"Bearer {RS256}")]),
        [E(AuthKind.JWT, "alg=RS256 iss=https://login.idp.test/tenant-1/v2.0")],
    ),
    ("jwt-without-iss", obs([("authorization", f"bearer {NO_ISS}")]), [E(AuthKind.JWT, "alg=HS384")]),
    ("opaque-bearer", obs([("authorization", f"Bearer {API_KEY}")]), [E(AuthKind.BEARER, "authorization")]),
    ("basic", obs([("authorization", BASIC)]), [E(AuthKind.BASIC, "authorization")]),
    ("digest", obs([("authorization", 'Digest username="jane", response="6629fae49393a"')]), [E(AuthKind.BASIC, "digest")]),
    ("other-scheme", obs([("authorization", f"Token {API_KEY}")]), [E(AuthKind.API_KEY_HEADER, "authorization:Token")]),
    ("bare-authorization", obs([("authorization", API_KEY)]), [E(AuthKind.API_KEY_HEADER, "authorization")]),
    ("x-api-key", obs([("x-api-key", API_KEY)]), [E(AuthKind.API_KEY_HEADER, "x-api-key")]),
    ("api-key", obs([("api-key", API_KEY)]), [E(AuthKind.API_KEY_HEADER, "api-key")]),
    ("goog", obs([("x-goog-api-key", GOOGLE_KEY)]), [E(AuthKind.API_KEY_HEADER, "x-goog-api-key")]),
    ("custom-x-header", obs([("x-acme-api-key", API_KEY)]), [E(AuthKind.API_KEY_HEADER, "x-acme-api-key")]),
    (
        "jwt-in-key-header",
        obs([("x-access-token", RS256)]),
        [E(AuthKind.API_KEY_HEADER, "x-access-token"), E(AuthKind.JWT, "alg=RS256 iss=https://login.idp.test/tenant-1/v2.0")],
    ),
    ("query-api_key", obs(query=[("api_key", API_KEY)]), [E(AuthKind.API_KEY_QUERY, "api_key")]),
    ("query-key", obs(query=[("key", GOOGLE_KEY)]), [E(AuthKind.API_KEY_QUERY, "key")]),
    ("query-apikey", obs(query=[("apiKey", "short")]), [E(AuthKind.API_KEY_QUERY, "apikey")]),
    (
        "query-access_token-jwt",
        obs(query=[("access_token", HS256)]),
        [E(AuthKind.API_KEY_QUERY, "access_token"), E(AuthKind.JWT, "alg=HS256 iss=https://auth.acme.test/")],
    ),
    ("session-cookie", obs([("cookie", f"_ga=GA1.2.3; connect.sid={SESSION}; theme=dark")]), [E(AuthKind.COOKIE, "connect.sid")]),
    ("jsessionid", obs([("cookie", "JSESSIONID=9F2C4A6B8D0E1F3A5B7C9D1E3F5A7B9C")]), [E(AuthKind.COOKIE, "JSESSIONID")]),
    ("phpsessid", obs([("cookie", "PHPSESSID=el4ukv0kqbvoirg7nkp4dncpk3")]), [E(AuthKind.COOKIE, "PHPSESSID")]),
    ("asp-net", obs([("cookie", "ASP.NET_SessionId=xy1abc2def3ghi4jkl5mno6p")]), [E(AuthKind.COOKIE, "ASP.NET_SessionId")]),
    ("rails", obs([("cookie", "_myapp_session=abc123def456")]), [E(AuthKind.COOKIE, "_myapp_session")]),
    ("classic-asp", obs([("cookie", "ASPSESSIONIDQSCQRCTA=KNJDPLEBBHLKGMFMHAKLDGNA")]), [E(AuthKind.COOKIE, "ASPSESSIONID*")]),
    (
        "jwt-cookie",
        obs([("cookie", f"prefs=1; id={HS256}")]),
        [E(AuthKind.COOKIE, "id"), E(AuthKind.JWT, "alg=HS256 iss=https://auth.acme.test/")],
    ),
    ("mtls-xfcc", obs([("x-forwarded-client-cert", CERT)]), [E(AuthKind.MTLS, "x-forwarded-client-cert")]),
    ("mtls-cert", obs([("x-client-cert", CERT)]), [E(AuthKind.MTLS, "x-client-cert")]),
    ("mtls-verify", obs([("x-ssl-client-verify", "SUCCESS")]), [E(AuthKind.MTLS, "x-ssl-client-verify")]),
    ("mtls-ssl-client-cert", obs([("ssl-client-cert", CERT)]), [E(AuthKind.MTLS, "ssl-client-cert")]),
    (
        "several",
        obs([("authorization", f"Bearer {RS256}"), ("x-ssl-client-verify", "SUCCESS")], [("api_key", API_KEY)]),
        [
            E(AuthKind.JWT, "alg=RS256 iss=https://login.idp.test/tenant-1/v2.0"),
            E(AuthKind.MTLS, "x-ssl-client-verify"),
            E(AuthKind.API_KEY_QUERY, "api_key"),
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "observation", "expected"), CASES, ids=[c[0] for c in CASES])
def test_mechanisms_are_recognised(name, observation, expected):
    assert detect_auth(observation) == expected


NOT_AUTH = [
    ("analytics-cookies", obs([("cookie", "_ga=GA1.2.345; _gid=GA1.2.678; theme=dark; lang=en")])),
    ("csrf-cookie", obs([("cookie", "csrftoken=abcdef1234567890abcdef")])),
    ("csrf-header", obs([("x-csrf-token", API_KEY)])),
    ("mtls-verify-failed", obs([("x-ssl-client-verify", "NONE")])),
    ("mtls-empty-cert", obs([("x-client-cert", "")])),
    ("query-key-not-a-key", obs(query=[("key", "created_at"), ("sort", "desc")])),
    ("query-token-short", obs(query=[("token", "abc")])),
    ("ordinary-headers", obs([("accept", "application/json"), ("x-request-id", "3f2b8c1e-9a4d")])),
    ("empty-api-key", obs([("x-api-key", "  ")])),
]


@pytest.mark.parametrize(("name", "observation"), NOT_AUTH, ids=[c[0] for c in NOT_AUTH])
def test_look_alikes_are_not_auth(name, observation):
    assert detect_auth(observation) == [E(AuthKind.NONE)]


@pytest.mark.parametrize(("name", "observation", "expected"), CASES, ids=[c[0] for c in CASES])
def test_no_credential_value_is_ever_returned(name, observation, expected):
    rendered = repr(detect_auth(observation))
    for secret in SECRETS:
        assert secret not in rendered
        for part in secret.split("."):  # nor any part of a JWT (its payload carries an e-mail)
            if len(part) > 8:
                assert part not in rendered
    assert "jane@acme-mail.net" not in rendered
    assert "user-42" not in rendered


def test_jwt_metadata_is_bounded_and_sanitised():
    hostile = jwt.encode(
        {"iss": "https://u:p@evil.test/x?y=1\n\x1b[31m" + "a" * 500}, HS_SECRET, "HS256"
    )
    meta = jwt_metadata(hostile)
    assert meta is not None
    assert "\n" not in meta
    assert "\x1b" not in meta
    assert "u:p" not in meta
    assert "?y=1" not in meta
    assert meta.startswith("alg=HS256 iss=https://evil.test/x")
    assert len(meta) < 160
    assert jwt_metadata("ey" + "A" * 20_000 + ".e30.x") is None  # oversized: not decoded
    weird_alg = (
        base64.urlsafe_b64encode(json.dumps({"alg": "x" * 100}).encode()).decode().rstrip("=")
    )
    assert jwt_metadata(f"{weird_alg}.e30.sig") == "alg=unknown"
    assert jwt_metadata("eyJhbGciOiJub25lIn0.bm90IGpzb24.x") is None
    assert jwt_metadata("not.a.jwt") is None


def test_jwe_reports_its_algorithm_only():
    header = base64.urlsafe_b64encode(b'{"alg":"RSA-OAEP","enc":"A256GCM"}').decode().rstrip("=")
    assert jwt_metadata(f"{header}.a.b.c.d") == "alg=RSA-OAEP"


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["authorization", "cookie", "x-api-key", "x-client-cert", "x-ssl-client-verify"]), st.text(max_size=80)), max_size=4),
    st.lists(st.tuples(st.sampled_from(["api_key", "key", "token", "q"]), st.text(max_size=80)), max_size=3),
)  # fmt: skip
def test_arbitrary_headers_never_raise_nor_leak(headers, query):
    found = detect_auth(obs(headers, query))
    assert found
    for evidence in found:
        assert isinstance(evidence.kind, AuthKind)
        for _, value in headers + query:
            credential = value.strip().rpartition(" ")[2].rpartition("=")[2]
            if len(credential) >= 12:
                assert credential not in evidence.detail


REQUIRES = [
    ({"200": 10}, False),
    ({"200": 10, "401": 1}, True),
    ({"403": 2}, True),
    ({"401": 0, "200": 3}, False),
    ([200, 404, 500], False),
    ([200, 403], True),
    (["401"], True),
    (["abc"], False),
]


@pytest.mark.parametrize(("statuses", "expected"), REQUIRES)
def test_requires_auth(statuses, expected):
    assert requires_auth(statuses) is expected


def test_challenges_name_the_schemes_only():
    challenge = obs(
        status=401,
        response_headers=[
            ("www-authenticate", 'Bearer realm="api", error="invalid_token", Basic realm="x"')
        ],
    )
    assert auth_challenges(challenge) == ["Bearer", "Basic"]
    assert auth_challenges(obs(status=200, response_headers=[("www-authenticate", "Bearer")])) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("authorization", True),
        ("cookie", True),
        ("x-api-key", True),
        ("x-acme-auth-token", True),
        ("x-forwarded-client-cert", True),
        ("x-csrf-token", False),
        ("x-user-email", False),
        ("content-type", False),
    ],
)
def test_is_credential_header(name, expected):
    assert is_credential_header(name) is expected
