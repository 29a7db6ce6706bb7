"""Where a model runs (hosting) and how the organisation depends on it (deployment class).

*Hosting* is a fact about the endpoint: ``internal`` when the host is the organisation's own —
a private, loopback, link-local, shared (CGNAT) or unique-local address, a name under an
internal suffix (``.internal``, ``.local``, ``.svc``, ``.cluster.local``...), a single-label name
(``gpu-box``), or a name under a configured internal domain — else ``external``; None when no
host is known (a model id in code).

The *deployment class* answers the governance question:

- ``open_source``: an open-weights family (Llama, open Mistral/Mixtral, Qwen, Gemma, Phi,
  DeepSeek, Falcon... — the scanner's family table decides) wherever it runs; weights an
  external SaaS serves are still ``open_source``, with ``hosting: external`` recorded;
- ``internal``: any other model served from the organisation's own hosts;
- ``external``: any other model, served by a SaaS provider (or named in code, where only a
  SaaS provider can serve an API-only model).

Both tables are data: extend :data:`INTERNAL_SUFFIXES` and :data:`INTERNAL_NETWORKS`, or pass
``internal_domains`` and ``internal_networks`` for the organisation's own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from wardgate.ai_inventory.providers import split_host

EXTERNAL: Final = "external"
INTERNAL: Final = "internal"
OPEN_SOURCE: Final = "open_source"
DEPLOYMENTS: Final = (EXTERNAL, INTERNAL, OPEN_SOURCE)
HOSTINGS: Final = (EXTERNAL, INTERNAL)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

INTERNAL_SUFFIXES: Final[tuple[str, ...]] = (
    "internal",
    "local",
    "localhost",
    "svc",
    "cluster.local",
    "lan",
    "home.arpa",
    "intranet",
)
"""DNS suffixes that never resolve on the public internet (by standard or by convention)."""

INTERNAL_NETWORKS: Final[tuple[IPNetwork, ...]] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "100.64.0.0/10",  # shared address space (CGNAT, Tailscale)
        "::1/128",
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
    )
)
"""Address ranges of the organisation's own hosts."""


@dataclass(frozen=True, slots=True)
class NetworkRules:
    """The organisation's own names and networks, besides the built-in tables."""

    internal_domains: tuple[str, ...] = ()
    internal_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(
        cls, internal_domains: Iterable[str] = (), internal_networks: Iterable[str] = ()
    ) -> NetworkRules:
        """From configuration text: domains (``corp.example.com``) and CIDRs (``10.8.0.0/16``).

        Raises ValueError for a CIDR that does not parse.
        """
        domains = tuple(d.strip().lower().strip(".") for d in internal_domains if d.strip(". "))
        networks = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in internal_networks)
        return cls(domains, networks)

    def hosting(self, host: str) -> str | None:
        """``internal`` or ``external`` for ``host`` (``name[:port]``); None when it is empty."""
        return _hosting(self, host)

    def _internal_name(self, name: str) -> bool:
        if "." not in name:
            return True  # a single label resolves only through the local search domains
        suffixes = (*INTERNAL_SUFFIXES, *self.internal_domains)
        return any(name == s or name.endswith("." + s) for s in suffixes)


DEFAULT_NETWORK: Final = NetworkRules()


def deployment_class(hosting: str | None, open_weights: bool | None) -> str:
    """``open_source`` for open weights, else ``internal`` when self-hosted, else ``external``."""
    if open_weights:
        return OPEN_SOURCE
    return INTERNAL if hosting == INTERNAL else EXTERNAL


@lru_cache(
    maxsize=4096
)  # a pure function of a name traffic repeats: the LOG phase calls it per call
def _hosting(rules: NetworkRules, host: str) -> str | None:
    name, _ = split_host(host)
    if not name:
        return None
    try:
        address = ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        return INTERNAL if rules._internal_name(name) else EXTERNAL
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    networks = (*INTERNAL_NETWORKS, *rules.internal_networks)
    return INTERNAL if any(address in n for n in networks) else EXTERNAL


__all__ = [
    "DEFAULT_NETWORK",
    "DEPLOYMENTS",
    "EXTERNAL",
    "HOSTINGS",
    "INTERNAL",
    "INTERNAL_NETWORKS",
    "INTERNAL_SUFFIXES",
    "OPEN_SOURCE",
    "NetworkRules",
    "deployment_class",
]
