"""Pulls every attacker-controlled value out of an HTTP request so each can be judged alone.

Path segments, query and form parameters (names and values, repeated keys, ``+``, percent- and
double percent-encoding), selected headers and cookie values, and every key and string of a JSON
body (with its JSON path, bounded depth and count). Each value is judged at every decoding layer
the application might see, because filters that look at one layer are evaded by encoding twice.
"""

from __future__ import annotations

import email.policy
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import unquote, unquote_plus

from wardgate.core.finding import Finding, Severity
from wardgate.detect.webattack.rules import NOSQL_OPERATORS, Attack
from wardgate.detect.webattack.values import Hit, Mode, ValueScanner, choose_mode, to_finding

_ENCODED = re.compile(r"%[0-9a-f]{2}|%u[0-9a-f]{4}", re.IGNORECASE)
_JSON_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATH_ATTACKS = frozenset({Attack.PATH_TRAVERSAL, Attack.CRLF_INJECTION})


def _operator_key_hit(key: str) -> Hit:
    return Hit(
        "web.nosqli.operator_key",
        Attack.NOSQL_INJECTION,
        0,
        len(key),
        0.85,
        Severity.HIGH,
        "JSON key is a NoSQL query operator: the body reshapes the database query",
    )


# Request headers that carry client-controlled values worth scanning (Authorization never is).
DEFAULT_SCAN_HEADERS: tuple[str, ...] = (
    "user-agent",
    "referer",
    "x-forwarded-for",
    "cookie",
    "forwarded",
    "origin",
    "x-real-ip",
    "true-client-ip",
    "via",
)


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """Bounds on the work one request may cause."""

    max_body_bytes: int = 2 * 1024 * 1024
    max_params: int = 1000
    max_json_depth: int = 64
    max_json_values: int = 20_000
    max_decode_rounds: int = 3
    value_max_chars: int = 512
    headers: frozenset[str] = frozenset(DEFAULT_SCAN_HEADERS)
    scan_custom_x_headers: bool = True
    sensitive_words: tuple[str, ...] = (
        "auth",
        "token",
        "key",
        "secret",
        "signature",
        "session",
        "sess",
        "sid",
        "password",
        "passwd",
        "csrf",
        "xsrf",
        "jwt",
        "credential",
    )


@dataclass(frozen=True, slots=True)
class WebAttackHit:
    """One attack found in a request: where (``location`` and ``name``) and the finding.

    ``location`` is path, query, form, header, cookie, json, multipart or body; ``name`` is the
    parameter, header or cookie name, the JSON path (``$.user.name``) or a path segment index;
    ``part`` says whether the name/key or the value carried it; ``layer`` is how many rounds of
    percent-decoding revealed it. The finding's span is in the coordinates of that decoded value.
    """

    location: str
    name: str
    part: str
    layer: int
    finding: Finding


@dataclass(frozen=True, slots=True)
class _Site:
    location: str
    name: str
    part: str
    text: str
    mode: Mode | None  # None: choose by the text's shape
    plus: bool = False
    url_param: bool = True
    redact: bool = False
    attacks: frozenset[Attack] | None = None
    decode: bool = True


def decode_layers(raw: str, rounds: int, *, plus: bool) -> list[str]:
    """``raw`` and each further percent-decoding of it, stopping when nothing changes."""
    layers = [raw]
    current = raw
    for n in range(rounds):
        if not _ENCODED.search(current) and not (plus and n == 0 and "+" in current):
            break
        decoded = unquote_plus(current) if plus and n == 0 else unquote(current)
        if decoded == current:
            break
        layers.append(decoded)
        current = decoded
    return layers


def json_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _JSON_IDENT.fullmatch(key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key, ensure_ascii=True)}]"


class HttpInspector:
    """Extracts values from a request and runs the value checks on each."""

    def __init__(self, scanner: ValueScanner, limits: HttpLimits) -> None:
        self._scanner = scanner
        self._limits = limits

    def inspect(
        self,
        method: str,
        path: str,
        query_string: str,
        *,
        headers: Sequence[tuple[str, str]] | Mapping[str, str],
        body: bytes,
        content_type: str,
    ) -> list[WebAttackHit]:
        del method  # every method carries attacker input the same way
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        best: dict[tuple[str, str, str, Attack], WebAttackHit] = {}
        for site in self._sites(path, query_string, pairs, body, content_type):
            for attack, hit in self._judge(site):
                # the whole path and its segments are one place; layers of one value are one value
                name = "" if hit.location == "path" else hit.name
                key = (hit.location, name, hit.part, attack)
                if key not in best or hit.finding.score > best[key].finding.score:
                    best[key] = hit
        return list(best.values())

    # -- judging ------------------------------------------------------------------------------

    def _judge(self, site: _Site) -> Iterator[tuple[Attack, WebAttackHit]]:
        if site.location == "json" and site.part == "key" and site.text in NOSQL_OPERATORS:
            hit = _operator_key_hit(site.text)
            yield hit.attack, self._hit(site, 0, site.text, hit)
        layers = (
            decode_layers(site.text, self._limits.max_decode_rounds, plus=site.plus)
            if site.decode
            else [site.text]
        )
        for layer, text in enumerate(layers):
            mode = site.mode or choose_mode(text, self._limits.value_max_chars)
            for hit in self._scanner.scan(
                text, mode, url_param=site.url_param, attacks=site.attacks
            ):
                yield hit.attack, self._hit(site, layer, text, hit)

    def _hit(self, site: _Site, layer: int, text: str, hit: Hit) -> WebAttackHit:
        evidence = f"[redacted {site.location} value]" if site.redact else None
        finding = to_finding(hit, text, None, evidence=evidence)
        return WebAttackHit(site.location, site.name, site.part, layer, finding)

    def _sensitive(self, name: str) -> bool:
        lowered = name.lower()
        return any(word in lowered for word in self._limits.sensitive_words)

    # -- extraction ---------------------------------------------------------------------------

    def _sites(
        self,
        path: str,
        query_string: str,
        headers: Iterator[tuple[str, str]] | Sequence[tuple[str, str]] | Any,
        body: bytes,
        content_type: str,
    ) -> Iterator[_Site]:
        yield from self._path_sites(path)
        yield from self._pair_sites("query", query_string)
        yield from self._header_sites(headers)
        yield from self._body_sites(body, content_type)

    def _path_sites(self, path: str) -> Iterator[_Site]:
        if not path:
            return
        yield _Site("path", "", "value", path, Mode.VALUE, attacks=_PATH_ATTACKS)
        for i, segment in enumerate(path.split("/")[: self._limits.max_params]):
            if segment:
                yield _Site("path", f"segment[{i}]", "value", segment, Mode.VALUE)

    def _pair_sites(self, location: str, encoded: str) -> Iterator[_Site]:
        for pair in encoded.split("&")[: self._limits.max_params]:
            if not pair:
                continue
            raw_name, _, raw_value = pair.partition("=")
            name = unquote_plus(raw_name)
            yield _Site(location, name, "name", raw_name, Mode.VALUE, plus=True)
            if raw_value:
                yield _Site(location, name, "value", raw_value, Mode.VALUE, plus=True)

    def _header_sites(self, headers: Any) -> Iterator[_Site]:
        limits = self._limits
        for n, (raw_name, value) in enumerate(headers):
            if n >= limits.max_params:
                return
            name = str(raw_name).lower()
            if name == "cookie":
                yield from self._cookie_sites(str(value))
            elif name in limits.headers or (limits.scan_custom_x_headers and name.startswith("x-")):
                yield _Site(
                    "header",
                    name,
                    "value",
                    str(value),
                    Mode.VALUE,
                    url_param=False,
                    redact=self._sensitive(name),
                )

    def _cookie_sites(self, header: str) -> Iterator[_Site]:
        for crumb in header.split(";")[: self._limits.max_params]:
            name, _, value = crumb.strip().partition("=")
            if value:
                yield _Site(
                    "cookie",
                    name,
                    "value",
                    value,
                    Mode.VALUE,
                    url_param=False,
                    redact=self._sensitive(name),
                )

    def _body_sites(self, body: bytes, content_type: str) -> Iterator[_Site]:
        if not body:
            return
        body = body[: self._limits.max_body_bytes]
        ctype = content_type.lower()
        if "json" in ctype:
            yield from self._json_sites(body)
        elif "x-www-form-urlencoded" in ctype:
            yield from self._pair_sites("form", body.decode("utf-8", "replace"))
        elif "multipart/form-data" in ctype:
            yield from self._multipart_sites(body, content_type)
        else:
            yield _Site("body", "", "value", body.decode("utf-8", "replace"), None, decode=False)

    def _json_sites(self, body: bytes) -> Iterator[_Site]:
        text = body.decode("utf-8", "replace")
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            yield _Site("body", "", "value", text, Mode.PROSE, decode=False)
            return
        yield from self._walk(document)

    def _walk(self, document: object) -> Iterator[_Site]:
        """Depth-first over the JSON tree without recursion; bounded depth and value count."""
        limits = self._limits
        stack: list[tuple[object, str, int]] = [(document, "$", 0)]
        budget = limits.max_json_values
        while stack and budget > 0:
            node, path, depth = stack.pop()
            budget -= 1
            if isinstance(node, str):
                yield _Site("json", path, "value", node, None, decode=False)
            elif isinstance(node, dict) and depth < limits.max_json_depth:
                children: list[tuple[object, str, int]] = []
                for key, child in node.items():
                    child_path = json_path(path, key)
                    yield _Site("json", child_path, "key", key, Mode.VALUE, decode=False)
                    children.append((child, child_path, depth + 1))
                stack.extend(reversed(children))
            elif isinstance(node, list) and depth < limits.max_json_depth:
                stack.extend(
                    (node[i], json_path(path, i), depth + 1) for i in range(len(node) - 1, -1, -1)
                )

    def _multipart_sites(self, body: bytes, content_type: str) -> Iterator[_Site]:
        header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
        message = BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
        if not isinstance(message, EmailMessage) or not message.is_multipart():
            return
        for n, part in enumerate(message.iter_parts()):
            if n >= self._limits.max_params or not isinstance(part, EmailMessage):
                return
            field = str(part.get_param("name", "", header="content-disposition"))
            filename = part.get_filename()
            if filename:
                yield _Site("multipart", f"{field} (filename)", "value", filename, Mode.VALUE)
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and b"\x00" not in payload[:1024]:
                yield _Site(
                    "multipart",
                    field,
                    "value",
                    payload.decode("utf-8", "replace"),
                    None,
                    decode=False,
                )
