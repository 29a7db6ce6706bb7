"""One HTTP call as discovery sees it, whatever it came from.

The gateway's LOG phase, a HAR file, an NGINX or Envoy JSON access log line and a Redis Stream
message all become an :class:`Observation`. Sources fill what they know (an access log has no
bodies; a HAR file may lack the response); discovery learns from what is there. Bodies are kept
only up to :data:`MAX_BODY_BYTES` — enough to infer a schema, bounded so a million observations
fit in memory one at a time. Values that identify people or carry secrets are read to classify
them and never stored raw by anything downstream.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BODY_BYTES = 64 * 1024
"""Bodies longer than this are cut (and marked truncated): schema inference needs shapes, not
megabytes."""

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Observation:
    """One request (and its response, when known).

    ``path`` is the path as sent (percent-encoded, no query); ``query`` the decoded query pairs in
    order; header names are lower-case. ``request_body``/``response_body`` are None when the
    source does not carry them, and cut to :data:`MAX_BODY_BYTES` (``*_truncated`` says so).
    ``findings`` lists the detection categories the gateway raised on the call (empty elsewhere).
    """

    method: str
    host: str
    path: str
    query: Pairs = ()
    request_headers: Pairs = ()
    request_body: bytes | None = None
    request_truncated: bool = False
    status: int | None = None
    response_headers: Pairs = ()
    response_body: bytes | None = None
    response_truncated: bool = False
    timestamp: float = 0.0
    scheme: str = "https"
    source: str = ""
    identity: str = ""
    findings: tuple[str, ...] = ()

    def request_header(self, name: str) -> str | None:
        return _first(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        return _first(self.response_headers, name)

    @property
    def request_content_type(self) -> str:
        return (self.request_header("content-type") or "").split(";")[0].strip().lower()

    @property
    def response_content_type(self) -> str:
        return (self.response_header("content-type") or "").split(";")[0].strip().lower()


def _first(pairs: Pairs, name: str) -> str | None:
    for k, v in pairs:
        if k == name:
            return v
    return None


def cut(body: bytes | None) -> tuple[bytes | None, bool]:
    """``body`` bounded to :data:`MAX_BODY_BYTES`, and whether it was cut."""
    if body is None or len(body) <= MAX_BODY_BYTES:
        return body, False
    return body[:MAX_BODY_BYTES], True
