"""A real gateway on a real socket in front of a fake LLM upstream, for the end-to-end tests.

The clients are the official ``openai`` and ``anthropic`` SDKs, unchanged but for ``base_url``.
Only the LLM provider is fake (it is external); everything between is the real thing: uvicorn,
the ASGI gateway, httpx to the upstream, SQLite keys, Cedar, the detection engine.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import free_port
from wardgate.app import build_gateway
from wardgate.detect.scanner import Scanner
from wardgate.gateway.config import GatewayConfig
from wardgate.gateway.http_server import listener_options
from wardgate.gateway.proxy import Gateway
from wardgate.storage.keys import KeyStore
from wardgate.testing.fake_llm import FakeLLM
from wardgate.testing.server import RunningServer, serve_in_thread

UPSTREAM_KEY = "sk-upstream-provider-key-0000"
ISSUER = "https://idp.example.test/"
AUDIENCE = "wardgate"

POLICY = """
@id("authenticated")
permit (principal, action == Wardgate::Action::"call", resource)
when { !context.anonymous };

@id("anonymous-where-allowed")
permit (principal, action == Wardgate::Action::"call", resource)
when { context.anonymous && context.anonymous_allowed };

@id("interns-mini-only")
forbid (principal in Wardgate::Group::"interns", action, resource)
unless { context.model == "gpt-4o-mini" };

@id("no-admin-api")
forbid (principal, action, resource)
when { context.path like "/internal/admin*" };
"""


@dataclass
class Stack:
    url: str
    fake: FakeLLM
    gateway: Gateway
    keys: dict[str, str]
    jwt_key: rsa.RSAPrivateKey

    def token(
        self, subject: str = "svc-reporting", *, exp_in: float = 300, groups: tuple[str, ...] = ()
    ) -> str:
        now = int(time.time())
        claims = {
            "sub": subject,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + int(exp_in),
            "groups": list(groups),
        }
        return jwt.encode(claims, self.jwt_key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    return Scanner()


def _config(tmp: Path, upstream: str) -> GatewayConfig:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_jwt_key().public_key()))
    jwk.update(kid="k1", alg="RS256", use="sig")
    (tmp / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    fast = {"connect": 2, "read": 2, "client_body": 2}
    return GatewayConfig.model_validate(
        {
            "database": str(tmp / "wardgate.db"),
            "auth": {
                "jwt": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_file": str(tmp / "jwks.json")}
            },
            "policy": POLICY,
            "limits": {"requests": {"requests": 10_000, "per_s": 60}},
            "routes": [
                {
                    "name": "openai",
                    "prefix": "/openai",
                    "upstream": upstream,
                    "provider": "openai",
                    "upstream_auth": {"env": "TEST_UPSTREAM_KEY"},
                    "timeouts": fast,
                    "max_body_bytes": 1_000_000,
                },
                {
                    "name": "anthropic",
                    "prefix": "/anthropic",
                    "upstream": upstream,
                    "provider": "anthropic",
                    "upstream_auth": {
                        "env": "TEST_UPSTREAM_KEY",
                        "header": "x-api-key",
                        "scheme": "",
                    },
                    "timeouts": fast,
                },
                {
                    "name": "budget",
                    "prefix": "/budget",
                    "upstream": upstream,
                    "provider": "openai",
                    "limits": {"tokens": {"tokens": 40, "per_s": 3600}},
                },
                {
                    "name": "monitor",
                    "prefix": "/monitor",
                    "upstream": upstream,
                    "provider": "openai",
                    "mode": "monitor",
                },
                {
                    "name": "public",
                    "prefix": "/public",
                    "upstream": upstream,
                    "provider": "openai",
                    "anonymous": True,
                },
                {
                    "name": "internal",
                    "prefix": "/internal",
                    "upstream": upstream,
                    "provider": "http",
                    "strip_prefix": False,
                },
                {
                    "name": "dead",
                    "prefix": "/dead",
                    "upstream": _closed_port_url(),
                    "provider": "openai",
                    "timeouts": fast,
                },
            ],
        }
    )


def _closed_port_url() -> str:
    """A local port nobody listens on: connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}"


def raw_http(
    url: str, data: bytes, *, shutdown_write: bool = False, timeout: float = 10
) -> tuple[int, bytes]:
    """Send bytes exactly as given (no client-side path normalisation) and read the answer.

    Returns the status (0 when the server closed without answering) and the body.
    """
    host, _, port = url.removeprefix("http://").partition(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    if not answer:
        return 0, b""
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


_KEY: list[rsa.RSAPrivateKey] = []


def _jwt_key() -> rsa.RSAPrivateKey:
    if not _KEY:
        _KEY.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEY[0]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, scanner: Scanner) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("gateway")
    fake = FakeLLM()
    with serve_in_thread(fake) as upstream:
        config = _config(tmp, upstream.url)
        store = KeyStore.open(Path(config.database))
        keys = {}
        for name, groups in (
            ("alice", ("eng",)),
            ("bob", ("interns",)),
            ("carol", ()),
            ("dave", ()),
        ):
            _, secret = store.create(name, groups=groups)
            keys[name] = secret
        record, revoked = store.create("mallory")
        store.revoke(record.key_id)
        keys["revoked"] = revoked
        gateway = build_gateway(
            config, scanner=scanner, environ={"TEST_UPSTREAM_KEY": UPSTREAM_KEY}
        )
        server = config.server
        http = listener_options(server)
        with serve_in_thread(gateway, **http) as running:
            yield Stack(running.url, fake, gateway, keys, _jwt_key())


@pytest.fixture
def gw(stack: Stack) -> Stack:
    stack.fake.reset()
    return stack


__all__ = ["RunningServer", "Stack"]
