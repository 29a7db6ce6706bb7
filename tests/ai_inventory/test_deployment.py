from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.ai_inventory.deployment import (
    DEFAULT_NETWORK,
    NetworkRules,
    deployment_class,
)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:8000",
        "10.2.3.4",
        "172.20.0.5:11434",
        "192.168.1.10",
        "169.254.10.1",
        "100.100.1.1",
        "[::1]:11434",
        "fd00::1",
        "[fe80::1]",
        "[::ffff:10.0.0.1]",
        "gpu-box",
        "gpu-box:8000",
        "localhost:11434",
        "vllm.ml.internal",
        "printer.local",
        "vllm.default.svc",
        "vllm.default.svc.cluster.local",
        "nas.home.arpa",
    ],
)
def test_internal_hosts(host: str) -> None:
    assert DEFAULT_NETWORK.hosting(host) == "internal"


@pytest.mark.parametrize(
    "host",
    [
        "api.openai.com",
        "8.8.8.8",
        "[2001:4860:4860::8888]",
        "internal.example.com",  # "internal" as a label, not as the suffix
        "llm.corp.example",  # internal only when configured
        "corp.example.evil.io",
    ],
)
def test_external_hosts(host: str) -> None:
    assert DEFAULT_NETWORK.hosting(host) == "external"


def test_configured_internal_domains_and_networks() -> None:
    rules = NetworkRules.of([" Corp.Example. "], ["203.0.113.0/24"])
    assert rules.hosting("llm.corp.example:8000") == "internal"
    assert rules.hosting("corp.example") == "internal"
    assert rules.hosting("corp.example.evil.io") == "external"
    assert rules.hosting("203.0.113.9") == "internal"
    assert rules.hosting("198.51.100.9") == "external"
    with pytest.raises(ValueError, match="does not appear to be"):
        NetworkRules.of(internal_networks=["not-a-cidr"])


def test_no_host_no_hosting() -> None:
    assert DEFAULT_NETWORK.hosting("") is None


@pytest.mark.parametrize(
    ("hosting", "open_weights", "deployment"),
    [
        ("external", False, "external"),
        ("external", None, "external"),
        ("internal", False, "internal"),
        ("internal", None, "internal"),
        ("internal", True, "open_source"),
        ("external", True, "open_source"),  # open weights on a SaaS host: still open_source
        (None, True, "open_source"),
        (None, False, "external"),
    ],
)
def test_deployment_class(hosting: str | None, open_weights: bool | None, deployment: str) -> None:
    assert deployment_class(hosting, open_weights) == deployment


@given(st.ip_addresses())
def test_every_address_is_classified_like_the_network_table(
    address: ipaddress._BaseAddress,
) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    hosting = DEFAULT_NETWORK.hosting(host)
    assert hosting in ("internal", "external")
    if address.is_loopback or (
        address.version == 4 and address in ipaddress.ip_network("10.0.0.0/8")
    ):
        assert hosting == "internal"
