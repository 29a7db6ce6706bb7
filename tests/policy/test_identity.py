import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from wardgate.policy import keys as keyfmt
from wardgate.policy.identity import REASONS, Authenticator, AuthError, JwtSettings
from wardgate.storage.keys import KeyStore

ISS = "https://idp.example"
AUD = "wardgate"
T0 = 1_750_000_000.0


# -- key material (generated once: RSA key generation is the slow part) --------------------


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def ed_key():
    return ed25519.Ed25519PrivateKey.generate()


def _jwk(algorithm, private_key, kid, alg):
    data = algorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**data, "kid": kid, "use": "sig", "alg": alg}


@pytest.fixture(scope="module")
def jwks(rsa_key, ec_key, ed_key):
    return {
        "keys": [
            _jwk(RSAAlgorithm, rsa_key, "rsa-1", "RS256"),
            _jwk(ECAlgorithm, ec_key, "ec-1", "ES256"),
            _jwk(OKPAlgorithm, ed_key, "ed-1", "EdDSA"),
            # A symmetric key in the set must never be usable.
            {"kty": "oct", "kid": "oct-1", "k": base64.urlsafe_b64encode(b"k" * 32).decode()},
        ]
    }


@pytest.fixture
def jwks_file(tmp_path, jwks):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    return path


@pytest.fixture
def rsa_pem_file(tmp_path, rsa_key):
    path = tmp_path / "rsa.pem"
    path.write_bytes(_public_pem(rsa_key))
    return path


def _public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "sub": "alice",
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "exp": now + 300,
        "tenant": "acme",
        "groups": ["eng", "admins"],
        "scope": "chat:write models:read",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(private_key, alg, kid, **claims):
    headers = {} if kid is None else {"kid": kid}
    return jwt.encode(_claims(**claims), private_key, algorithm=alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict, claims: dict, sign) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _bearer(token):
    return [("Authorization", f"Bearer {token}")]


def _reason(auth, headers, query=""):
    with pytest.raises(AuthError) as info:
        auth.authenticate(headers, query)
    assert info.value.reason in REASONS
    assert str(info.value) == info.value.reason  # nothing but the code, never the credential
    return info.value.reason


@pytest.fixture
def jwt_auth(jwks_file):
    return Authenticator(None, JwtSettings(issuer=ISS, audience=AUD, jwks_file=jwks_file))


# -- JWT: must pass ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_fixture", "alg", "kid"),
    [("rsa_key", "RS256", "rsa-1"), ("ec_key", "ES256", "ec-1"), ("ed_key", "EdDSA", "ed-1")],
)
def test_valid_jwt_via_jwks_file(request, jwt_auth, key_fixture, alg, kid):
    token = _sign(request.getfixturevalue(key_fixture), alg, kid)
    result = jwt_auth.authenticate(_bearer(token), "")
    assert result.credential_source == ("header", "authorization")
    ident = result.identity
    assert (ident.subject, ident.tenant, ident.method, ident.key_id) == ("alice", "acme", "jwt", "")
    assert ident.groups == ("eng", "admins")
    assert ident.scopes == ("chat:write", "models:read")


@pytest.mark.parametrize(
    ("overrides", "groups", "scopes", "tenant"),
    [
        ({"groups": "eng  ops"}, ("eng", "ops"), ("chat:write", "models:read"), "acme"),
        ({"groups": None, "scope": None, "tenant": None}, (), (), ""),
        ({"scope": ["a", "b", "a"]}, ("eng", "admins"), ("a", "b"), "acme"),
    ],
)
def test_claim_shapes(jwt_auth, rsa_key, overrides, groups, scopes, tenant):
    ident = jwt_auth.authenticate(_bearer(_sign(rsa_key, "RS256", "rsa-1", **overrides))).identity
    assert (ident.groups, ident.scopes, ident.tenant) == (groups, scopes, tenant)


def test_exp_within_leeway_is_accepted(jwt_auth, rsa_key):
    token = _sign(rsa_key, "RS256", "rsa-1", exp=int(time.time()) - 10)
    assert jwt_auth.authenticate(_bearer(token)).identity.subject == "alice"


def test_custom_claim_names(jwks_file, rsa_key):
    settings = JwtSettings(
        issuer=ISS,
        audience=AUD,
        jwks_file=jwks_file,
        subject_claim="email",
        tenant_claim="org",
        groups_claim="roles",
        scopes_claim="scp",
    )
    token = _sign(rsa_key, "RS256", "rsa-1", email="a@x.io", org="o1", roles=["r"], scp="s1 s2")
    ident = Authenticator(None, settings).authenticate(_bearer(token)).identity
    assert (ident.subject, ident.tenant, ident.groups, ident.scopes) == (
        "a@x.io",
        "o1",
        ("r",),
        ("s1", "s2"),
    )


def test_single_key_jwks_accepts_a_token_without_kid(tmp_path, rsa_key):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"keys": [_jwk(RSAAlgorithm, rsa_key, "only", "RS256")]}))
    auth = Authenticator(None, JwtSettings(issuer=ISS, audience=AUD, jwks_file=path))
    assert auth.authenticate(_bearer(_sign(rsa_key, "RS256", None))).identity.subject == "alice"


def test_valid_jwt_via_public_key_file(rsa_pem_file, rsa_key):
    auth = Authenticator(None, JwtSettings(issuer=ISS, audience=AUD, public_key_file=rsa_pem_file))
    assert auth.authenticate(_bearer(_sign(rsa_key, "RS256", None))).identity.subject == "alice"


# -- JWT: must fail ------------------------------------------------------------------------


def _now():
    return int(time.time())


JWT_REJECTIONS = [
    ("expired", lambda k: _sign(k["rsa"], "RS256", "rsa-1", exp=_now() - 120), "expired_token"),
    (
        "nbf_future",
        lambda k: _sign(k["rsa"], "RS256", "rsa-1", nbf=_now() + 600),
        "token_not_yet_valid",
    ),
    (
        "iat_future",
        lambda k: _sign(k["rsa"], "RS256", "rsa-1", iat=_now() + 600),
        "token_not_yet_valid",
    ),
    ("wrong_iss", lambda k: _sign(k["rsa"], "RS256", "rsa-1", iss="https://evil"), "wrong_issuer"),
    ("wrong_aud", lambda k: _sign(k["rsa"], "RS256", "rsa-1", aud="other"), "wrong_audience"),
    ("missing_exp", lambda k: _sign(k["rsa"], "RS256", "rsa-1", exp=None), "invalid_token"),
    ("missing_iss", lambda k: _sign(k["rsa"], "RS256", "rsa-1", iss=None), "invalid_token"),
    ("missing_aud", lambda k: _sign(k["rsa"], "RS256", "rsa-1", aud=None), "invalid_token"),
    ("missing_sub", lambda k: _sign(k["rsa"], "RS256", "rsa-1", sub=None), "invalid_token"),
    ("sub_not_string", lambda k: _sign(k["rsa"], "RS256", "rsa-1", sub=42), "invalid_token"),
    (
        "groups_bad_type",
        lambda k: _sign(k["rsa"], "RS256", "rsa-1", groups={"a": 1}),
        "invalid_token",
    ),
    ("tenant_bad_type", lambda k: _sign(k["rsa"], "RS256", "rsa-1", tenant=["a"]), "invalid_token"),
    ("unknown_kid", lambda k: _sign(k["rsa"], "RS256", "nope"), "unknown_signing_key"),
    ("no_kid_many_keys", lambda k: _sign(k["rsa"], "RS256", None), "unknown_signing_key"),
    ("wrong_signer", lambda k: _sign(k["other"], "RS256", "rsa-1"), "invalid_token"),
    ("kid_alg_mismatch", lambda k: _sign(k["ec"], "ES256", "rsa-1"), "invalid_token"),
    (
        "alg_none",
        lambda k: jwt.encode(_claims(), None, algorithm="none", headers={"kid": "rsa-1"}),
        "invalid_token",
    ),
    (
        "alg_none_forged",
        lambda k: _forge({"alg": "none", "kid": "rsa-1"}, _claims(), lambda m: b""),
        "invalid_token",
    ),
    (
        "hs256_with_rsa_public_pem",
        lambda k: _forge(
            {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
            _claims(),
            lambda m: hmac.new(_public_pem(k["rsa"]), m, hashlib.sha256).digest(),
        ),
        "invalid_token",
    ),
    (
        "hs256_with_oct_key_from_jwks",
        lambda k: jwt.encode(_claims(), b"k" * 32, algorithm="HS256", headers={"kid": "oct-1"}),
        "invalid_token",
    ),
    ("garbage", lambda k: "not.a.jwt", "invalid_token"),
    ("two_parts", lambda k: "eyJhbGciOiJSUzI1NiJ9.eyJ9", "invalid_token"),
    ("huge", lambda k: "eyJ" + "A" * 20_000, "invalid_token"),
    (
        "alg_not_string",
        lambda k: _forge({"alg": ["RS256"]}, _claims(), lambda m: b"x"),
        "invalid_token",
    ),
]


@pytest.fixture
def key_map(rsa_key, other_rsa_key, ec_key):
    return {"rsa": rsa_key, "other": other_rsa_key, "ec": ec_key}


@pytest.mark.parametrize(
    ("case", "make", "reason"), JWT_REJECTIONS, ids=[c[0] for c in JWT_REJECTIONS]
)
def test_jwt_rejections(jwt_auth, key_map, case, make, reason):
    assert _reason(jwt_auth, _bearer(make(key_map))) == reason


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda k: _forge(
                {"alg": "HS256", "typ": "JWT"},
                _claims(),
                lambda m: hmac.new(_public_pem(k["rsa"]), m, hashlib.sha256).digest(),
            ),
            "invalid_token",
        ),
        (lambda k: _sign(k["ec"], "ES256", None), "invalid_token"),  # EC token, RSA key
        (lambda k: _sign(k["other"], "RS256", None), "invalid_token"),
    ],
)
def test_public_key_file_rejections(rsa_pem_file, key_map, make, reason):
    settings = JwtSettings(
        issuer=ISS,
        audience=AUD,
        public_key_file=rsa_pem_file,
        algorithms=("RS256", "ES256"),
    )
    assert _reason(Authenticator(None, settings), _bearer(make(key_map))) == reason


def test_algorithm_not_configured_is_rejected(jwks_file, ec_key):
    settings = JwtSettings(issuer=ISS, audience=AUD, jwks_file=jwks_file, algorithms=("RS256",))
    auth = Authenticator(None, settings)
    assert _reason(auth, _bearer(_sign(ec_key, "ES256", "ec-1"))) == "invalid_token"


# -- JwtSettings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"algorithms": ("HS256",)},
        {"algorithms": ("RS256", "none")},
        {"algorithms": ()},
        {"jwks_file": None},  # no key source
        {"jwks_url": "https://idp.example/jwks"},  # two key sources
        {"jwks_file": None, "jwks_url": "http://idp.example/jwks"},  # plain http, not loopback
        {"jwks_file": None, "jwks_url": "file:///etc/passwd"},
        {"issuer": ""},
        {"leeway_s": -1},
        {"unknown_field": 1},
    ],
)
def test_jwt_settings_refuse(tmp_path, overrides):
    base = {"issuer": ISS, "audience": AUD, "jwks_file": tmp_path / "j.json"}
    with pytest.raises(ValidationError):
        JwtSettings(**{**base, **overrides})


def test_jwt_settings_accept_loopback_http_and_are_frozen():
    s = JwtSettings(issuer=ISS, audience=AUD, jwks_url="http://127.0.0.1:8080/jwks")
    with pytest.raises(ValidationError):
        s.issuer = "x"  # type: ignore[misc]


def test_bad_key_files_fail_at_construction(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="JWKS"):
        Authenticator(None, JwtSettings(issuer=ISS, audience=AUD, jwks_file=bad))
    only_oct = tmp_path / "oct.json"
    only_oct.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "o", "k": "a2V5a2V5"}]}))
    with pytest.raises(ValueError, match="usable"):
        Authenticator(None, JwtSettings(issuer=ISS, audience=AUD, jwks_file=only_oct))


# -- JWKS over HTTP (a local server; no external network) -----------------------------------


class _JwksServer:
    def __init__(self, body: bytes):
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def jwks_server(jwks):
    server = _JwksServer(json.dumps(jwks).encode())
    yield server
    server.close()


def test_jwks_url_is_fetched_once_per_cache_lifetime(jwks_server, rsa_key, ec_key):
    settings = JwtSettings(issuer=ISS, audience=AUD, jwks_url=jwks_server.url, jwks_timeout_s=2)
    auth = Authenticator(None, settings)
    assert jwks_server.hits == 0  # construction does not fetch
    auth.refresh_jwks()
    assert jwks_server.hits == 1
    for _ in range(3):
        assert auth.authenticate(_bearer(_sign(rsa_key, "RS256", "rsa-1"))).identity.subject
    assert auth.authenticate(_bearer(_sign(ec_key, "ES256", "ec-1"))).identity.subject
    # Unknown kids must not force refetches within the cache lifetime.
    for kid in ("x1", "x2", "x3"):
        assert _reason(auth, _bearer(_sign(rsa_key, "RS256", kid))) == "unknown_signing_key"
    assert _reason(auth, _bearer(_sign(rsa_key, "RS256", None))) == "unknown_signing_key"
    assert _reason(auth, _bearer(_sign(rsa_key, "HS256" if False else "RS256", "oct-1"))) in {
        "unknown_signing_key",
        "invalid_token",
    }
    assert jwks_server.hits == 1


def test_jwks_url_first_use_fetches_lazily(jwks_server, rsa_key):
    auth = Authenticator(
        None, JwtSettings(issuer=ISS, audience=AUD, jwks_url=jwks_server.url, jwks_timeout_s=2)
    )
    assert auth.authenticate(_bearer(_sign(rsa_key, "RS256", "rsa-1"))).identity.subject == "alice"
    assert jwks_server.hits == 1


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"keys": []}'])
def test_broken_jwks_document_is_a_server_side_failure(rsa_key, body):
    server = _JwksServer(body)
    try:
        settings = JwtSettings(issuer=ISS, audience=AUD, jwks_url=server.url, jwks_timeout_s=2)
        auth = Authenticator(None, settings)
        assert _reason(auth, _bearer(_sign(rsa_key, "RS256", "rsa-1"))) == "jwks_unavailable"
        with pytest.raises(AuthError, match="jwks_unavailable"):
            auth.refresh_jwks()
    finally:
        server.close()


def test_unreachable_jwks_url_is_a_server_side_failure(rsa_key):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    settings = JwtSettings(
        issuer=ISS, audience=AUD, jwks_url=f"http://127.0.0.1:{port}/jwks", jwks_timeout_s=1
    )
    auth = Authenticator(None, settings)
    assert _reason(auth, _bearer(_sign(rsa_key, "RS256", "rsa-1"))) == "jwks_unavailable"
    with pytest.raises(AuthError, match="jwks_unavailable"):
        auth.refresh_jwks()


# -- API keys --------------------------------------------------------------------------------


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    s = KeyStore.open(tmp_path / "keys.db", clock=clock)
    yield s
    s.close()


@pytest.fixture
def key_auth(store, clock):
    return Authenticator(store, None, clock=clock)


@pytest.fixture
def issued(store):
    return store.create("ci-bot", tenant="acme", groups=["eng"], scopes=["chat"])


@pytest.mark.parametrize(
    ("headers", "query", "source"),
    [
        ("authorization", "", ("header", "authorization")),
        ("x-api-key", "", ("header", "x-api-key")),
        ("X-Api-Key", "", ("header", "x-api-key")),
        ("api-key", "", ("header", "api-key")),
        ("x-goog-api-key", "", ("header", "x-goog-api-key")),
        (None, "key={key}", ("query", "key")),
        (None, "alt=sse&key={key}", ("query", "key")),
    ],
)
def test_api_key_in_each_location(key_auth, issued, headers, query, source):
    record, full = issued
    if headers == "authorization":
        hdrs = [("Authorization", f"Bearer {full}")]
    elif headers is None:
        hdrs = [("content-type", "application/json")]
    else:
        hdrs = [(headers, full)]
    result = key_auth.authenticate(hdrs, query.format(key=full))
    assert result.credential_source == source
    ident = result.identity
    assert (ident.subject, ident.tenant, ident.method, ident.key_id) == (
        "ci-bot",
        "acme",
        "api_key",
        record.key_id,
    )
    assert (ident.groups, ident.scopes) == (("eng",), ("chat",))


def test_bearer_scheme_is_case_insensitive(key_auth, issued):
    assert key_auth.authenticate([("authorization", f"bearer {issued[1]}")]).identity.subject


@pytest.mark.parametrize(
    ("headers", "query", "reason"),
    [
        ([], "", "missing_credentials"),
        ([("x-api-key", "   ")], "key=", "missing_credentials"),
        ([("content-type", "text/plain")], "alt=sse", "missing_credentials"),
        ([("authorization", "Basic dXNlcjpwYXNz")], "", "unsupported_auth_scheme"),
        ([("authorization", "Bearer")], "", "malformed_credentials"),
        ([("authorization", "Bearer    ")], "", "malformed_credentials"),
        ([("x-api-key", "sk-ant-not-a-gateway-key")], "", "malformed_key"),
        ([("authorization", "Bearer sk-proj-abc")], "", "malformed_key"),  # no JWT configured
        ([("authorization", "Bearer eyJhbGciOi.x.y")], "", "malformed_key"),  # ditto
        ([("api-key", "wg_short")], "", "malformed_key"),
        ([("x-api-key", "wg_" + "a" * 12 + "_" + "b" * 52)], "", "unknown_key"),
    ],
)
def test_api_key_rejections(key_auth, issued, headers, query, reason):
    assert _reason(key_auth, headers, query) == reason


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ([("x-api-key", "{k}"), ("authorization", "Bearer {k}")], ""),
        ([("x-api-key", "{k}"), ("x-api-key", "{k}")], ""),
        ([("x-api-key", "{k}")], "key={k}"),
        ([], "key={k}&key={k}"),
        ([("api-key", "{k}"), ("x-goog-api-key", "{k}")], ""),
    ],
)
def test_more_than_one_credential_is_ambiguous(key_auth, issued, headers, query):
    full = issued[1]
    hdrs = [(n, v.format(k=full)) for n, v in headers]
    assert _reason(key_auth, hdrs, query.format(k=full)) == "ambiguous_credentials"


def test_wrong_secret_with_right_id_fails(key_auth, issued):
    record, full = issued
    key_id, secret = keyfmt.parse_key(full)
    wrong = keyfmt.format_key(key_id, ("a" if secret[0] != "a" else "b") + secret[1:])
    assert _reason(key_auth, [("x-api-key", wrong)]) == "unknown_key"
    # Also when the right key was just accepted and its record is cached.
    assert key_auth.authenticate([("x-api-key", full)]).identity.key_id == record.key_id
    assert _reason(key_auth, [("x-api-key", wrong)]) == "unknown_key"


def test_keys_are_unknown_without_a_store(issued):
    assert _reason(Authenticator(None, None), [("x-api-key", issued[1])]) == "unknown_key"


def test_revoked_key_fails(store, key_auth, issued):
    record, full = issued
    store.revoke(record.key_id)
    assert _reason(key_auth, [("x-api-key", full)]) == "revoked_key"


def test_revoked_key_with_wrong_secret_reveals_nothing(store, key_auth, issued):
    record, full = issued
    store.revoke(record.key_id)
    wrong = full[:-1] + ("a" if full[-1] != "a" else "b")
    assert _reason(key_auth, [("x-api-key", wrong)]) == "unknown_key"


def test_expired_key_fails_exactly_at_expiry(store, clock):
    from datetime import UTC, datetime

    _, full = store.create("tmp", expires_at=datetime.fromtimestamp(T0 + 60, UTC))
    auth = Authenticator(store, None, clock=clock)
    clock.now = T0 + 59
    assert auth.authenticate([("x-api-key", full)]).identity.subject == "tmp"
    clock.now = T0 + 60  # still within the cache TTL: expiry is not cached
    assert _reason(auth, [("x-api-key", full)]) == "expired_key"


def test_hash_check_is_constant_time_on_every_request(monkeypatch, key_auth, issued):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(keyfmt.hmac, "compare_digest", spy)
    for _ in range(3):
        key_auth.authenticate([("x-api-key", issued[1])])
    assert len(calls) == 3  # cached record, but the secret is compared each time


class CountingStore:
    """Wraps a KeyStore and counts database lookups."""

    def __init__(self, inner):
        self.inner = inner
        self.gets = 0
        self.pepper = inner.pepper

    def get(self, key_id):
        self.gets += 1
        return self.inner.get(key_id)

    def touch(self, key_id, when):
        return self.inner.touch(key_id, when)


def test_lookups_are_cached_and_revocation_lands_within_the_ttl(store, clock, issued):
    record, full = issued
    counting = CountingStore(store)
    auth = Authenticator(counting, None, clock=clock, cache_ttl_s=5)  # type: ignore[arg-type]
    creds = [("x-api-key", full)]
    assert auth.authenticate(creds).identity.key_id == record.key_id
    clock.now += 1
    auth.authenticate(creds)
    assert counting.gets == 1
    store.revoke(record.key_id)
    clock.now += 3  # 4 s after caching: still inside the TTL, the stale record is served
    assert auth.authenticate(creds).identity.key_id == record.key_id
    assert counting.gets == 1
    clock.now += 1  # 5 s: the TTL has passed, the revocation is seen
    assert _reason(auth, creds) == "revoked_key"
    assert counting.gets == 2


def test_invalidate_makes_revocation_immediate(store, clock, issued):
    record, full = issued
    auth = Authenticator(store, None, clock=clock)
    auth.authenticate([("x-api-key", full)])
    store.revoke(record.key_id)
    auth.invalidate(record.key_id)
    assert _reason(auth, [("x-api-key", full)]) == "revoked_key"


def test_clock_going_backwards_does_not_extend_the_cache(store, clock, issued):
    _, full = issued
    counting = CountingStore(store)
    auth = Authenticator(counting, None, clock=clock)  # type: ignore[arg-type]
    auth.authenticate([("x-api-key", full)])
    clock.now -= 100
    auth.authenticate([("x-api-key", full)])
    assert counting.gets == 2


def test_successful_auth_records_last_use(store, key_auth, issued, clock):
    record, full = issued
    key_auth.authenticate([("x-api-key", full)])
    assert store.get(record.key_id).last_used_at.timestamp() == T0


def test_peppered_store_keys_authenticate(tmp_path, clock):
    s = KeyStore.open(tmp_path / "p.db", pepper=b"pep", clock=clock)
    _, full = s.create("p")
    assert Authenticator(s, None, clock=clock).authenticate([("x-api-key", full)]).identity
    plain = KeyStore.open(tmp_path / "p.db", clock=clock)  # gateway missing the pepper
    assert _reason(Authenticator(plain, None, clock=clock), [("x-api-key", full)]) == "unknown_key"


def test_api_keys_and_jwts_together(store, clock, issued, jwks_file, rsa_key):
    auth = Authenticator(
        store, JwtSettings(issuer=ISS, audience=AUD, jwks_file=jwks_file), clock=clock
    )
    assert auth.authenticate(_bearer(issued[1])).identity.method == "api_key"
    assert auth.authenticate(_bearer(_sign(rsa_key, "RS256", "rsa-1"))).identity.method == "jwt"
    assert _reason(auth, _bearer("wg_malformed")) == "malformed_key"
    assert _reason(auth, _bearer("sk-proj-abc")) == "invalid_token"
    # JWTs are only read from Authorization.
    assert _reason(auth, [("x-api-key", _sign(rsa_key, "RS256", "rsa-1"))]) == "malformed_key"
