"""Where discovery's observations come from: HAR files, JSON access logs, a Redis Stream and the
gateway's own LOG phase.

Each source turns its records into :class:`~wardgate.discovery.observation.Observation` s and
never stops on a bad record: it skips it and counts why in a :class:`SourceStats`, because one
corrupt line in a million must not cost the other 999,999. This module holds what all sources
share: the counters and the normalisation of hosts and query strings, so that the same call seen
through two sources becomes the same observation. The sources themselves live in submodules
(``har``, ``accesslog``, ``redis_stream``, ``exchange``) and are imported from there, so that
reading a HAR file never imports a Redis client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from wardgate.discovery.observation import Pairs

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


@dataclass(slots=True)
class SourceStats:
    """How many records a source read, turned into observations, and skipped (and why).

    ``read == yielded + skipped`` once the source is exhausted. ``reasons`` maps a short fixed
    reason (``invalid_json``, ``bad_url``, ``bad_base64``...) to a count; reasons never carry
    record content, so stats are safe to log.
    """

    read: int = 0
    yielded: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def to_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "yielded": self.yielded,
            "skipped": self.skipped,
            "reasons": dict(self.reasons),
        }


def normalise_host(host: str, scheme: str = "https") -> str:
    """``host`` as discovery keys endpoints: lower-case, no trailing dot, no default port.

    ``API.Example.com:443`` over https and ``api.example.com`` are one host; ``:8443`` stays.
    """
    host = host.strip().lower()
    if not host:
        return ""
    name, sep, port = host.rpartition(":")
    bracketed = name.startswith("[") and name.endswith("]")
    if sep and port.isdigit() and (":" not in name or bracketed):
        if _DEFAULT_PORTS.get(scheme) == port:
            return name.rstrip(".")
        return f"{name.rstrip('.')}:{port}"
    return host.rstrip(".")


def query_pairs(query: str) -> Pairs:
    """The decoded ``name=value`` pairs of a query string, in order, blanks kept."""
    if not query:
        return ()
    if "%" in query or "+" in query:
        return tuple(parse_qsl(query, keep_blank_values=True))
    # nothing to decode (most queries): the same pairs as parse_qsl, without its cost
    return tuple(
        (name, value) for name, _, value in (f.partition("=") for f in query.split("&") if f)
    )


def iso_timestamp(value: object) -> float:
    """Seconds since the epoch of an ISO 8601 time (naive means UTC); 0.0 when unreadable."""
    if not isinstance(value, str) or not value:
        return 0.0
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError):
        return 0.0


def clean_text(value: str) -> str:
    """``value`` safe to encode as UTF-8: JSON's ``\\ud800`` escapes decode to lone surrogates,
    which would make a later ``encode()`` downstream raise; they become U+FFFD here."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


__all__ = ["SourceStats", "clean_text", "iso_timestamp", "normalise_host", "query_pairs"]
