"""The gateway's configuration file: paths relative to the file, safe defaults, and an error naming
the place for every mistake (a typo must never silently switch a protection off)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from wardgate.app import build_gateway
from wardgate.core.finding import Category
from wardgate.core.verdict import Action
from wardgate.detect.scanner import EngineConfig, Scanner
from wardgate.gateway.config import (
    GatewayConfig,
    GatewayConfigError,
    Mode,
    Route,
    StreamSettings,
    load,
    quick_start,
)

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
ROUTE = "{name: r, upstream: 'http://127.0.0.1:9'}"
UPSTREAM_ENVS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- loading -------------------------------------------------------------------------------------


def test_relative_paths_are_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    shutil.copy(CONFIGS / "default.yaml", tmp_path / "conf" / "default.yaml")
    write(tmp_path / "conf" / "policies.cedar", "permit (principal, action, resource);\n")
    path = write(
        tmp_path / "conf" / "gateway.yaml",
        f"database: keys.db\npolicy_file: policies.cedar\ndetection: default.yaml\nroutes: [{ROUTE}]\n",
    )
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where the gateway runs does not matter
    config = load(path)
    assert Path(config.database) == tmp_path / "conf" / "keys.db"
    assert config.policy_file == tmp_path / "conf" / "policies.cedar"
    assert config.policy_text() == "permit (principal, action, resource);\n"
    shipped = yaml.safe_load((CONFIGS / "default.yaml").read_text(encoding="utf-8"))
    assert config.detection == EngineConfig.model_validate(shipped)


def test_detection_file_may_nest_its_settings_under_a_detection_key(tmp_path: Path) -> None:
    write(tmp_path / "engine.yaml", "detection:\n  threshold: 0.7\n  budget_ms: 250\n")
    config = load(write(tmp_path / "g.yaml", f"detection: engine.yaml\nroutes: [{ROUTE}]\n"))
    assert config.detection.threshold == 0.7
    assert config.detection.budget_ms == 250


def test_inline_detection_and_defaults(tmp_path: Path) -> None:
    config = load(write(tmp_path / "g.yaml", f"detection: {{threshold: 0.3}}\nroutes: [{ROUTE}]\n"))
    assert config.detection.threshold == 0.3
    route = config.routes[0]
    assert (route.prefix, route.provider, route.mode, route.anonymous) == (
        "/",
        "openai-compatible",
        Mode.ENFORCE,
        False,
    )
    assert config.auth.api_keys is True
    assert config.limits.requests is not None  # a request limit unless switched off
    assert config.limits.fail_open is True
    assert config.server.host == "127.0.0.1"  # not every interface by default


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (":memory:", ":memory:"),
        ("/var/lib/wardgate/keys.db", "/var/lib/wardgate/keys.db"),
        ("~/wardgate.db", str(Path("~/wardgate.db").expanduser())),
    ],
)
def test_database_paths_that_are_not_relative_stay_as_given(
    tmp_path: Path, given: str, expected: str
) -> None:
    config = load(write(tmp_path / "g.yaml", f"database: '{given}'\nroutes: [{ROUTE}]\n"))
    assert config.database == expected


def test_route_settings_are_read(tmp_path: Path) -> None:
    text = """
routes:
  - name: chat
    prefix: /OpenAI/
    upstream: https://api.example.test/
    provider: openai
    mode: monitor
    actions: {pii: block}
    limits: {requests: {requests: 5, per_s: 1}}
"""
    route = load(write(tmp_path / "g.yaml", text)).routes[0]
    assert route.prefix == "/openai"  # canonical: lower case, no trailing slash
    assert route.upstream == "https://api.example.test"
    assert route.mode is Mode.MONITOR
    assert route.action_for(Category.PII) is Action.BLOCK
    assert route.action_for(Category.SECRET) is Action.REDACT  # the default stays
    assert route.limits is not None
    assert route.limits.requests is not None
    assert route.limits.requests.requests == 5


def test_jwt_key_files_are_relative_to_the_file(tmp_path: Path) -> None:
    text = (
        "auth:\n  jwt: {issuer: 'https://idp.test/', audience: wg, jwks_file: jwks.json}\n"
        f"routes: [{ROUTE}]\n"
    )
    config = load(write(tmp_path / "conf" / "g.yaml", text))
    assert config.auth.jwt is not None
    assert config.auth.jwt.jwks_file == tmp_path / "conf" / "jwks.json"


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (f"routs: []\nroutes: [{ROUTE}]", "routs"),  # unknown top-level key
        ("routes: [{name: r, upstream: 'http://x', prefx: /a}]", "prefx"),  # unknown route key
        (f"limits: {{requests: {{requests: 1, per_s: 1, burst: 2}}}}\nroutes: [{ROUTE}]", "burst"),
        (f"detection: {{threshhold: 0.5}}\nroutes: [{ROUTE}]", "threshhold"),
        ("routes: [{name: r, upstream: 'http://x', provider: openia}]", "unknown provider"),
        ("routes: [{name: r, upstream: 'http://x', prefix: '/a;b'}]", "invalid prefix"),
        ("routes: [{name: r, upstream: 'http://x', prefix: no-slash}]", "invalid prefix"),
        ("routes: [{name: r, upstream: 'http://x', prefix: '/a%2fb'}]", "invalid prefix"),
        (f"routes: [{ROUTE}, {ROUTE}]", "route names must be unique"),
        (
            f"policy: 'permit(principal, action, resource);'\npolicy_file: p.cedar\nroutes: [{ROUTE}]",
            "not both",
        ),
        ("server: {port: 8080}", "routes"),  # routes are required
        ("routes: []", "routes"),
        ("routes: [{name: r, upstream: 'ftp://x'}]", "http:// or https://"),
        ("routes: [{name: 'a b', upstream: 'http://x'}]", "route names are"),
        ("routes: [{name: r, upstream: 'http://x', mode: block}]", "mode"),
        ("routes: [{name: r, upstream: 'http://x', redaction: encrypt}]", "redaction"),
        ("routes: [{name: r, upstream: 'http://x', actions: {pii: shred}}]", "actions"),
        ("routes: [{name: r, upstream: 'http://x', actions: {piii: block}}]", "actions"),
        (f"server: {{port: 70000}}\nroutes: [{ROUTE}]", "port"),
        (f"server: {{trusted_proxies: [lb.corp]}}\nroutes: [{ROUTE}]", "not an address"),
        ("routes: [{name: r, upstream: 'http://x', stream: {release_ahead_chars: -1}}]", "release"),
    ],
)
def test_mistakes_are_errors_that_say_where(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path / "g.yaml", text + "\n")
    with pytest.raises(GatewayConfigError) as exc:
        load(path)
    assert fragment in str(exc.value)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({}, "cannot read"),
        ({"g.yaml": "routes: [\n"}, "not valid YAML"),
        ({"g.yaml": "- a\n- b\n"}, "must be a mapping at the top level"),
        ({"g.yaml": ""}, "routes"),  # an empty file is an empty mapping, and routes are required
        ({"g.yaml": f"detection: nowhere.yaml\nroutes: [{ROUTE}]\n"}, "cannot read detection"),
        ({"g.yaml": f"detection: d.yaml\nroutes: [{ROUTE}]\n", "d.yaml": "[1]\n"}, "mapping"),
    ],
)
def test_unreadable_files_are_errors(tmp_path: Path, files: dict[str, str], fragment: str) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    with pytest.raises(GatewayConfigError) as exc:
        load(tmp_path / "g.yaml")
    assert fragment in str(exc.value)


@given(st.text(min_size=1, max_size=70))
def test_route_names_are_short_plain_identifiers(name: str) -> None:
    plain = len(name) <= 64 and all(c.isascii() and (c.isalnum() or c in "_.-") for c in name)
    try:
        Route(name=name, upstream="http://x")
    except ValueError:
        assert not plain
    else:
        assert plain


# -- building -------------------------------------------------------------------------------------


def _with_auth(tmp_path: Path, **extra: object) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "database": str(tmp_path / "wardgate.db"),
            "routes": [
                {
                    "name": "openai",
                    "upstream": "https://api.openai.com",
                    "upstream_auth": {"env": "WG_TEST_UPSTREAM"},
                }
            ],
            **extra,
        }
    )


@pytest.mark.parametrize("environ", [{}, {"WG_TEST_UPSTREAM": ""}])
def test_build_refuses_a_missing_upstream_credential(
    tmp_path: Path, scanner: Scanner, environ: dict[str, str]
) -> None:
    with pytest.raises(GatewayConfigError) as exc:
        build_gateway(_with_auth(tmp_path), scanner=scanner, environ=environ)
    assert "WG_TEST_UPSTREAM" in str(exc.value)
    assert "'openai'" in str(exc.value)


def test_build_injects_the_upstream_credential(tmp_path: Path, scanner: Scanner) -> None:
    gateway = build_gateway(
        _with_auth(tmp_path), scanner=scanner, environ={"WG_TEST_UPSTREAM": "sk-x"}
    )
    assert gateway.c.upstream_credentials == {"openai": ("authorization", "Bearer sk-x")}


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"policy": "permit (principal, action, resource"}, "Cedar policy"),
        ({"policy": 'permit (principal, action == Nope::Action::"x", resource);'}, "Cedar"),
        ({"policy_file": "/nonexistent/policies.cedar"}, "cannot read policy file"),
    ],
)
def test_build_refuses_an_unusable_policy(
    tmp_path: Path, scanner: Scanner, extra: dict[str, str], fragment: str
) -> None:
    config = _with_auth(tmp_path, **extra)
    with pytest.raises(GatewayConfigError) as exc:
        build_gateway(config, scanner=scanner, environ={"WG_TEST_UPSTREAM": "sk-x"})
    assert fragment in str(exc.value)
    assert "sk-x" not in str(exc.value)


# -- the shipped example and the quick start ------------------------------------------------------


def test_the_shipped_example_loads_without_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in UPSTREAM_ENVS:
        monkeypatch.delenv(name, raising=False)
    config = load(CONFIGS / "gateway.yaml")
    assert [(r.name, r.provider) for r in config.routes] == [
        ("openai", "openai"),
        ("anthropic", "anthropic"),
        ("local-llama", "ollama"),
        ("orders-api", "http"),
    ]
    assert Path(config.database) == CONFIGS / "wardgate.db"
    shipped = yaml.safe_load((CONFIGS / "default.yaml").read_text(encoding="utf-8"))
    assert config.detection == EngineConfig.model_validate(shipped)
    assert config.limits.redis_url is None


def test_the_shipped_example_builds_only_with_its_secrets(
    tmp_path: Path, scanner: Scanner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in UPSTREAM_ENVS:
        monkeypatch.delenv(name, raising=False)
    config = load(CONFIGS / "gateway.yaml").model_copy(
        update={"database": str(tmp_path / "wardgate.db")}  # never write into the repository
    )
    with pytest.raises(GatewayConfigError) as exc:
        build_gateway(config, scanner=scanner, environ={})
    assert "OPENAI_API_KEY" in str(exc.value)
    with pytest.raises(GatewayConfigError) as exc:
        build_gateway(config, scanner=scanner, environ={"OPENAI_API_KEY": "sk-o"})
    assert "ANTHROPIC_API_KEY" in str(exc.value)
    gateway = build_gateway(
        config, scanner=scanner, environ={"OPENAI_API_KEY": "sk-o", "ANTHROPIC_API_KEY": "sk-a"}
    )
    assert gateway.c.upstream_credentials == {
        "openai": ("authorization", "Bearer sk-o"),
        "anthropic": ("x-api-key", "sk-a"),
    }


def test_quick_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARDGATE_DB", raising=False)
    config = quick_start("http://127.0.0.1:11434/", port=9000)
    assert config.server.port == 9000
    assert config.database == "wardgate.db"  # in the working directory, where `keys` writes
    [route] = config.routes
    assert (route.name, route.prefix, route.provider) == ("default", "/", "openai-compatible")
    assert route.upstream == "http://127.0.0.1:11434"
    assert route.mode is Mode.ENFORCE
    assert route.anonymous is False
    assert quick_start("http://x", anonymous=True).routes[0].anonymous is True
    monkeypatch.setenv("WARDGATE_DB", "/srv/keys.db")
    assert quick_start("http://x").database == "/srv/keys.db"


def test_quick_start_injects_the_provider_key_from_the_environment(tmp_path: Path) -> None:
    from wardgate.app import build_gateway
    from wardgate.gateway.config import quick_start

    config = quick_start("https://api.openai.com", upstream_key_env="OPENAI_API_KEY")
    config = config.model_copy(update={"database": str(tmp_path / "w.db")})
    route = config.routes[0]
    assert route.upstream_auth is not None
    assert route.upstream_auth.env == "OPENAI_API_KEY"
    gateway = build_gateway(config, environ={"OPENAI_API_KEY": "sk-test-provider"})
    assert gateway.c.upstream_credentials["default"] == ("authorization", "Bearer sk-test-provider")
    assert quick_start("https://api.openai.com").routes[0].upstream_auth is None


def test_stream_quick_detectors_must_be_known() -> None:
    assert "secrets" in StreamSettings().quick_detectors
    with pytest.raises(ValidationError, match="unknown detectors"):
        StreamSettings(quick_detectors=("secrets", "no_such_detector"))
