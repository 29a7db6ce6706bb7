"""JSON access logs (NGINX ``log_format ... escape=json``, Envoy's JSON access log) as observations.

One JSON object per line. Which keys hold what differs between deployments, so a
:class:`FieldMap` lists candidate keys per fact (the first present, non-empty, non-``-`` value
wins); :data:`NGINX` and :data:`ENVOY` cover the usual names and ``dataclasses.replace`` adapts
them. With ``format="auto"`` each line is read as Envoy when it has Envoy's ``response_code`` or
``authority`` keys, as NGINX otherwise, so a mixed stream of both works.

Access logs carry no bodies (except NGINX's ``$request_body`` when logged) and few headers; the
observations say what is known. Lines that cannot be used (not JSON, not UTF-8, not an object, a
truncated last line, no method or path, longer than :data:`MAX_LINE_BYTES`) are skipped and
counted in :class:`~wardgate.discovery.sources.SourceStats`; nothing a line contains raises.
Built for volume: one ``json.loads`` and a few dictionary look-ups per line, no regular
expressions.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

from wardgate.discovery.observation import Observation, Pairs, cut
from wardgate.discovery.sources import (
    SourceStats,
    clean_text,
    iso_timestamp,
    normalise_host,
    query_pairs,
)

MAX_LINE_BYTES = 1 << 20
"""A longer line is skipped (``too_long``) without being held whole."""

LogFormat = Literal["auto", "nginx", "envoy"]

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}
_ABSENT = (None, "", "-")
_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_PATH_SAFE = "/:@!$&'()*+,;="


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Where a log line keeps each fact: candidate JSON keys, first usable one wins.

    ``target`` is the path with its query as sent (NGINX ``$request_uri``, Envoy ``path``);
    failing that ``request_line`` (``"GET /a?b=1 HTTP/1.1"``), failing that ``path`` (decoded,
    like NGINX ``$uri``; re-encoded here) joined with ``query``. ``time`` may hold ISO 8601,
    NGINX ``$time_local`` or epoch seconds. Keys starting with ``header_prefix`` become request
    headers (``http_x_api_key`` -> ``x-api-key``), ``response_header_prefix`` response headers;
    ``headers`` maps other keys to header names.
    """

    source: str
    method: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    request_line: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    host: tuple[str, ...] = ()
    time: tuple[str, ...] = ()
    scheme: tuple[str, ...] = ()
    identity: tuple[str, ...] = ()
    request_body: tuple[str, ...] = ()
    header_prefix: str = ""
    response_header_prefix: str = ""
    headers: tuple[tuple[str, str], ...] = ()


NGINX = FieldMap(
    source="nginx",
    method=("request_method", "method"),
    target=("request_uri",),
    request_line=("request",),
    path=("uri",),
    query=("args", "query_string"),
    status=("status",),
    host=("host", "http_host", "server_name"),
    time=("time_iso8601", "time_local", "msec", "@timestamp", "timestamp", "time"),
    scheme=("scheme", "request_scheme"),
    identity=("remote_user",),
    request_body=("request_body",),
    header_prefix="http_",
    response_header_prefix="sent_http_",
    headers=(("content_type", "content-type"),),
)
"""The variable names of NGINX's ``log_format`` (``$request_uri`` logged as ``request_uri``...)."""

ENVOY = FieldMap(
    source="envoy",
    method=("method", ":method"),
    target=("path", "x-envoy-origin-path", "x-envoy-original-path", ":path"),
    status=("response_code",),
    host=("authority", ":authority", "host"),
    time=("start_time", "@timestamp", "timestamp"),
    scheme=("scheme", ":scheme", "x-forwarded-proto", "x_forwarded_proto"),
    headers=(
        ("user-agent", "user-agent"),
        ("user_agent", "user-agent"),
        ("referer", "referer"),
        ("x-forwarded-for", "x-forwarded-for"),
        ("x_forwarded_for", "x-forwarded-for"),
        ("x-request-id", "x-request-id"),
        ("request_id", "x-request-id"),
        ("authorization", "authorization"),
        ("content-type", "content-type"),
        ("content_type", "content-type"),
    ),
)
"""Envoy's default JSON access log keys (and Istio's and Envoy Gateway's spellings)."""


def read_access_log(
    source: str | os.PathLike[str] | Iterable[bytes | str],
    format: LogFormat = "auto",
    *,
    stats: SourceStats | None = None,
    fields: FieldMap | None = None,
    default_host: str = "",
    default_scheme: str = "https",
) -> Iterator[Observation]:
    """The observations of a JSON access log: a path (``.gz`` is decompressed) or any iterable
    of lines (bytes or str; a ``str`` is a path, not a line).

    ``fields`` replaces the map of the chosen format (with ``"auto"``, it is used for every
    line). ``default_host``/``default_scheme`` fill in what lines do not say.
    """
    counts = SourceStats() if stats is None else stats
    if format not in ("auto", "nginx", "envoy"):
        raise ValueError(f"unknown access log format {format!r}: auto, nginx or envoy")
    chosen = fields or (ENVOY if format == "envoy" else NGINX)
    auto = format == "auto" and fields is None
    reader = _Lines(chosen, auto, counts, default_host, default_scheme.lower())
    if isinstance(source, (str, os.PathLike)):
        opener = gzip.open if os.fspath(source).endswith(".gz") else open
        with opener(source, "rb") as raw:
            yield from reader.read(_file_lines(raw))
    else:
        yield from reader.read(source)


def _file_lines(raw: _Readable) -> Iterator[bytes]:
    """Lines of at most ``MAX_LINE_BYTES`` (+1 byte, so that a longer one is recognised; its
    rest is read and dropped)."""
    while line := raw.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := raw.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield line


class _Readable(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class _Lines:
    def __init__(
        self, fields: FieldMap, auto: bool, stats: SourceStats, host: str, scheme: str
    ) -> None:
        self.fields = fields
        self.auto = auto
        self.stats = stats
        self.default_host = host
        self.default_scheme = scheme

    def read(self, lines: Iterable[bytes | str]) -> Iterator[Observation]:
        stats = self.stats
        loads = json.loads
        unterminated = False  # a bad line without a newline: truncated if it is the last one
        for line in lines:
            if unterminated:
                stats.skip("invalid_json")
                unterminated = False
            try:
                record = loads(line)
            except UnicodeDecodeError:
                stats.read += 1
                stats.skip("invalid_utf8")
                continue
            except (ValueError, RecursionError, TypeError):
                if not isinstance(line, (bytes, str)):
                    stats.read += 1
                    stats.skip("not_text")
                    continue
                if not line.strip():
                    continue  # a blank line is no record
                stats.read += 1
                if len(line) > MAX_LINE_BYTES:
                    stats.skip("too_long")
                elif line[-1:] in (b"\n", "\n"):
                    stats.skip("invalid_json")
                else:
                    unterminated = True
                continue
            stats.read += 1
            if type(record) is not dict:
                stats.skip("not_object")
                continue
            fields = self.fields
            if self.auto and (
                "response_code" in record or "authority" in record or ":authority" in record
            ):
                fields = ENVOY
            obs = self._observation(record, fields)
            if isinstance(obs, str):
                stats.skip(obs)
            else:
                stats.yielded += 1
                yield obs
        if unterminated:
            stats.skip("truncated")

    def _observation(self, record: dict[str, Any], fields: FieldMap) -> Observation | str:
        """The observation of one line, or why there is none."""
        method = _first(record, fields.method)
        target = _first(record, fields.target)
        if method is None or target is None:
            line = _first(record, fields.request_line)
            if isinstance(line, str):
                words = line.split(" ")
                if len(words) >= 2:
                    method = method or words[0]
                    target = target or words[1]
        if target is None:
            path = _first(record, fields.path)
            if isinstance(path, str):
                args = _first(record, fields.query)
                target = quote(path, safe=_PATH_SAFE, errors="replace")
                if isinstance(args, str):
                    target += "?" + args
        if not isinstance(method, str) or not _is_method(method):
            return "missing_method"
        if not isinstance(target, str):
            return "missing_target"

        scheme = _first(record, fields.scheme)
        scheme = scheme.lower() if isinstance(scheme, str) else self.default_scheme
        if scheme not in _SCHEMES:
            scheme = self.default_scheme
        host = _first(record, fields.host)
        host = host if isinstance(host, str) else self.default_host
        path, _, query = target.partition("?")
        if path[:1] != "/":
            if not path.startswith(("http://", "https://")):
                return "bad_target"
            try:  # absolute form, as a forward proxy receives it
                parts = urlsplit(target)
            except ValueError:
                return "bad_target"
            scheme = parts.scheme.lower()
            host = parts.netloc.rpartition("@")[2]
            path, query = parts.path or "/", parts.query

        request_headers, response_headers = _headers(record, fields)
        body = _first(record, fields.request_body)
        request_body, request_truncated = cut(
            body.encode("utf-8", "surrogatepass") if isinstance(body, str) else None
        )
        identity = _first(record, fields.identity)
        return Observation(
            method=method.upper(),
            host=normalise_host(clean_text(host), scheme),
            path=clean_text(path),
            query=query_pairs(clean_text(query)),
            request_headers=request_headers,
            request_body=request_body,
            request_truncated=request_truncated,
            status=_status(_first(record, fields.status)),
            response_headers=response_headers,
            timestamp=_time(_first(record, fields.time)),
            scheme=scheme,
            source=fields.source,
            identity=clean_text(identity) if isinstance(identity, str) else "",
        )


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in _ABSENT:
            return value
    return None


def _is_method(method: str) -> bool:
    return 0 < len(method) <= 32 and method.isascii() and method.replace("-", "").isalpha()


def _headers(record: dict[str, Any], fields: FieldMap) -> tuple[Pairs, Pairs]:
    request: list[tuple[str, str]] = []
    response: list[tuple[str, str]] = []
    if fields.header_prefix or fields.response_header_prefix:
        for key, value in record.items():
            if type(value) is not str or value in _ABSENT:
                continue
            header = _header_of(fields, key)
            if header is not None:
                (response if header[0] else request).append((header[1], clean_text(value)))
    for key, name in fields.headers:
        value = record.get(key)
        if type(value) is str and value not in _ABSENT:
            request.append((name, clean_text(value)))
    return tuple(request), tuple(response)


@functools.lru_cache(maxsize=4096)
def _header_of(fields: FieldMap, key: str) -> tuple[bool, str] | None:
    """Whether ``key`` names a response header, and which, or None: keys repeat on every line,
    so this is worked out once per key."""
    sent, prefix = fields.response_header_prefix, fields.header_prefix
    if sent and key.startswith(sent):
        return True, clean_text(key[len(sent) :].lower().replace("_", "-"))
    if prefix and key.startswith(prefix):
        return False, clean_text(key[len(prefix) :].lower().replace("_", "-"))
    return None


def _status(value: Any) -> int | None:
    if type(value) is str and len(value) == 3 and value.isascii() and value.isdigit():
        value = int(value)
    if type(value) is int and 100 <= value <= 599:
        return value
    return None  # Envoy logs 0 when no response was sent


def _time(value: Any) -> float:
    """ISO 8601, NGINX ``$time_local`` (``10/Oct/2023:13:55:36 +0000``) or epoch seconds."""
    if type(value) is str:
        if len(value) >= 10 and value[4:5] == "-":
            return iso_timestamp(value)
        if len(value) == 26 and value[2] == "/":
            return _time_local(value)
        if len(value) > 32:
            return 0.0
        try:
            value = float(value)
        except ValueError:
            return 0.0
    if (type(value) is float or type(value) is int) and math.isfinite(value):
        return float(value)
    return 0.0


def _time_local(value: str) -> float:
    try:
        month = _MONTHS[value[3:6]]
        moment = datetime(
            int(value[7:11]),
            month,
            int(value[0:2]),
            int(value[12:14]),
            int(value[15:17]),
            int(value[18:20]),
            tzinfo=UTC,
        )
        sign = -1 if value[21] == "-" else 1
        offset = sign * (int(value[22:24]) * 3600 + int(value[24:26]) * 60)
        return moment.timestamp() - offset
    except (KeyError, ValueError, OverflowError):
        return 0.0


__all__ = ["ENVOY", "MAX_LINE_BYTES", "NGINX", "FieldMap", "LogFormat", "read_access_log"]
