"""The console's configuration section."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wardgate.console.settings import ConsoleSettings


def test_defaults_are_safe() -> None:
    s = ConsoleSettings()
    assert s.enabled is False
    assert s.host == "127.0.0.1"
    assert s.port == 8081
    assert not s.secure
    assert "localhost" in s.hosts()


@pytest.mark.parametrize(
    ("settings", "hosts"),
    [
        ({"host": "127.0.0.1"}, {"127.0.0.1", "localhost", "[::1]", "::1"}),
        ({"host": "0.0.0.0"}, set()),
        ({"host": "10.1.2.3"}, {"10.1.2.3"}),
        ({"host": "0.0.0.0", "allowed_hosts": ["Console.Corp"]}, {"console.corp"}),
    ],
)
def test_allowed_hosts(settings: dict[str, object], hosts: set[str]) -> None:
    assert ConsoleSettings.model_validate(settings).hosts() == frozenset(hosts)


@pytest.mark.parametrize(
    "bad",
    [
        {"tls_cert": "c.pem"},
        {"session_idle_s": 10, "session_max_age_s": 5},
        {"port": 70000},
        {"colour": "blue"},
    ],
)
def test_invalid_settings(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ConsoleSettings.model_validate(bad)


def test_index_path_and_tls() -> None:
    assert ConsoleSettings().index_path("/var/w.db") == "/var/w.db-console.db"
    assert ConsoleSettings().index_path(":memory:") == ":memory:"
    assert ConsoleSettings(index_database="/x.db").index_path("/var/w.db") == "/x.db"
    assert ConsoleSettings.model_validate({"tls_cert": "c", "tls_key": "k"}).secure


@pytest.mark.parametrize(
    ("address", "host", "port"),
    [("9000", "127.0.0.1", 9000), ("0.0.0.0:9001", "0.0.0.0", 9001), ("[::1]:9002", "::1", 9002)],
)
def test_at_an_address(address: str, host: str, port: int) -> None:
    s = ConsoleSettings().at(address)
    assert (s.enabled, s.host, s.port) == (True, host, port)


@pytest.mark.parametrize("address", ["", "host:", "x:99999", "abc"])
def test_bad_addresses(address: str) -> None:
    with pytest.raises(ValueError, match="console address"):
        ConsoleSettings().at(address)
