"""SSRF targets hidden in URL hosts: encoded IPv4 forms, mapped IPv6, internal names.

Fetchers resolve hosts with ``inet_aton`` semantics, so ``2852039166``, ``0xA9FEA9FE`` and
``0251.0376.0251.0376`` all reach 169.254.169.254 while slipping past a filter that compares text.
We decode the host the way the fetcher will and judge the address, not its spelling.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

_URL_HOST = re.compile(
    r"\b([a-z][a-z0-9+.-]{0,15})://(?:[^/\s?#@\\]{0,100}@)?(\[[0-9a-f:.%]{2,60}\]|[^/\s?#:\\'\"<>\[\]]{1,255})",
    re.IGNORECASE,
)
_PART = re.compile(r"0x[0-9a-f]{0,8}|0[0-7]{0,11}|[1-9][0-9]{0,9}", re.IGNORECASE)
_CANONICAL = re.compile(
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)
_REBIND = re.compile(
    r"(?:\d{1,3}[.-]){3}\d{1,3}\.(?:nip\.io|xip\.io|sslip\.io|localtest\.me)$|(?:^|\.)localtest\.me$",
    re.IGNORECASE,
)
_MAX_URLS = 64

CLOUD_METADATA: frozenset[ipaddress.IPv4Address | ipaddress.IPv6Address] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("100.100.100.200"),
        ipaddress.ip_address("fd00:ec2::254"),
    }
)


@dataclass(frozen=True, slots=True)
class HostVerdict:
    """What a URL host really points at. ``kind`` is cloud_metadata, encoded_ip or internal."""

    kind: str
    start: int
    end: int
    detail: str


def parse_inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """Parse ``host`` as the C library's ``inet_aton`` would (1-4 parts, decimal/octal/hex)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_PART.fullmatch(p) for p in parts):
        return None
    values = []
    for p in parts:
        if p[:2].lower() == "0x":
            values.append(int(p[2:] or "0", 16))
        elif len(p) > 1 and p[0] == "0":
            values.append(int(p, 8))
        else:
            values.append(int(p))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


def _address(host: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address | None, bool]:
    """The address a host names, and whether it was spelled in a non-canonical (evasive) way."""
    if host.startswith("[") and host.endswith("]"):
        try:
            v6 = ipaddress.IPv6Address(host[1:-1].split("%", 1)[0])
        except ValueError:
            return None, False
        mapped = v6.ipv4_mapped
        return (mapped, True) if mapped is not None else (v6, False)
    v4 = parse_inet_aton(host)
    if v4 is None:
        return None, False
    return v4, _CANONICAL.fullmatch(host) is None


def _is_internal(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_unspecified
        or addr.is_reserved
    )


def judge_host(host: str) -> tuple[str, str] | None:
    """Classify one host; None when it is an ordinary public name or address."""
    addr, evasive = _address(host.rstrip("."))
    if addr is not None:
        if addr in CLOUD_METADATA:
            return "cloud_metadata", str(addr)
        if evasive:
            return "encoded_ip", str(addr)
        if _is_internal(addr):
            return "internal", str(addr)
        return None
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost") or _REBIND.search(name):
        return "internal", name
    return None


def url_hosts(text: str) -> Iterator[HostVerdict]:
    """Judge the host of every URL in ``text`` (bounded number)."""
    for n, match in enumerate(_URL_HOST.finditer(text)):
        if n >= _MAX_URLS:
            return
        verdict = judge_host(match.group(2))
        if verdict is not None:
            yield HostVerdict(verdict[0], match.start(), match.end(), verdict[1])


def bare_host(text: str) -> HostVerdict | None:
    """A value that is just an address in evasive notation pointing at a metadata endpoint."""
    value = text.strip()
    addr, evasive = _address(value)
    if addr is None or not evasive or value.isdigit():
        return None  # a bare decimal is far likelier an id than an address
    if addr in CLOUD_METADATA:
        return HostVerdict("cloud_metadata", 0, len(text), str(addr))
    if value[:2].lower() == "0x" and _is_internal(addr):
        return HostVerdict("encoded_ip", 0, len(text), str(addr))
    return None
