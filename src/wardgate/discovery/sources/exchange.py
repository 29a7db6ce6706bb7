"""The gateway's own traffic: an :class:`~wardgate.core.exchange.Exchange` from the LOG phase as an
observation.

The gateway knows the most about a call (the caller's identity, the findings) but logs the
response's status only: its body and headers are not kept, so they are None here (unknown) rather
than empty. The exchange's URL is the canonical path and query the client sent (credentials sent
as query parameters already removed, credential headers masked by the gateway); the host is the
``Host`` header, else what the metadata says.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from wardgate.core.exchange import Exchange
from wardgate.discovery.observation import Observation, cut
from wardgate.discovery.sources import clean_text, normalise_host, query_pairs

SOURCE = "gateway"
_SCHEMES = frozenset({"http", "https", "ws", "wss"})


_last: tuple[Exchange, Observation] | None = None


def from_exchange(exchange: Exchange) -> Observation:
    """The observation of one finished exchange.

    The gateway's LOG phase hands each exchange to API discovery and then to the AI inventory,
    and both read its observation: the last one made is kept, so it is made once (it is
    immutable, and an exchange is not changed once it reaches the LOG phase).
    """
    global _last  # noqa: PLW0603 - a one-entry memo
    last = _last
    if last is not None and last[0] is exchange:
        return last[1]
    observation = _observe(exchange)
    _last = (exchange, observation)
    return observation


def _observe(exchange: Exchange) -> Observation:
    request = exchange.request
    headers = tuple(
        (clean_text(name.lower()), clean_text(value))
        for name, value in request.headers
        if name and not name.startswith(":")
    )
    scheme = _scheme(exchange, request.header("x-forwarded-proto"))
    host = request.header("host") or request.header(":authority") or ""
    url = request.url
    if url.startswith(("http://", "https://")):
        try:
            parts = urlsplit(url)
        except ValueError:
            path, _, query = url.partition("?")
        else:
            scheme = parts.scheme.lower()
            host = host or parts.netloc.rpartition("@")[2]
            path, query = parts.path, parts.query
    else:
        path, _, query = url.partition("?")
    if not host:
        meta = exchange.metadata.get("host") or exchange.metadata.get("upstream_host")
        host = meta if isinstance(meta, str) else ""
    request_body, request_truncated = cut(request.body)
    response = exchange.response
    response_body, response_truncated = cut(response.body if response and response.body else None)
    identity = exchange.identity
    return Observation(
        method=request.method.upper(),
        host=normalise_host(clean_text(host), scheme),
        path=clean_text(path.partition("#")[0]) or "/",
        query=query_pairs(clean_text(query.partition("#")[0])),
        request_headers=headers,
        request_body=request_body,
        request_truncated=request_truncated,
        status=response.status if response else None,
        response_headers=tuple((k.lower(), v) for k, v in response.headers) if response else (),
        response_body=response_body,
        response_truncated=response_truncated,
        timestamp=exchange.started_at.timestamp(),
        scheme=scheme,
        source=SOURCE,
        identity="" if identity.is_anonymous else identity.subject,
        findings=tuple(sorted({f.category.value for f in exchange.findings})),
    )


def _scheme(exchange: Exchange, forwarded: str | None) -> str:
    """``metadata["scheme"]``, else ``X-Forwarded-Proto``, else https."""
    for candidate in (exchange.metadata.get("scheme"), forwarded):
        if isinstance(candidate, str):
            value = candidate.split(",")[0].strip().lower()
            if value in _SCHEMES:
                return value
    return "https"


__all__ = ["SOURCE", "from_exchange"]
