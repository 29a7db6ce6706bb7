"""The ``web_attack`` detector: classic WAF checks on API parameter values and JSON bodies.

Two entry points share one value scanner: :meth:`WebAttackDetector.inspect` (the Detector protocol,
one text at a time) and :meth:`WebAttackDetector.inspect_http` (a whole request, reporting where in
it each attack sat).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field

from wardgate.core.exchange import HttpRequest
from wardgate.core.finding import Finding
from wardgate.core.phase import InputKind
from wardgate.detect.base import DetectorConfig, ScanContext, TextView
from wardgate.detect.registry import register
from wardgate.detect.webattack.http import (
    DEFAULT_SCAN_HEADERS,
    HttpInspector,
    HttpLimits,
    WebAttackHit,
)
from wardgate.detect.webattack.values import DETECTOR_NAME, ValueScanner, choose_mode, to_finding


class WebAttackConfig(DetectorConfig):
    """Options for ``web_attack``. ``value_max_chars``: single-line text up to this length is
    judged as a parameter value (low bar); longer or multi-line text as prose (attack-specific
    rules only, SQLi/XSS need libinjection and a signature to agree). ``max_scan_chars`` bounds
    the work on one text: longer text is judged by its head and its tail, half each."""

    # Which text kinds the text pipeline hands this detector. Parameters and bodies of API routes
    # reach it through inspect_http; in LLM traffic it guards model output (active content, LLM05).
    kinds: tuple[InputKind, ...] = (InputKind.OUTPUT,)
    value_max_chars: int = Field(default=512, ge=1, le=65_536)
    max_scan_chars: int = Field(default=131_072, ge=1024)
    max_findings: int = Field(default=32, ge=1, le=1000)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=0)
    max_params: int = Field(default=1000, ge=1)
    max_json_depth: int = Field(default=64, ge=1, le=10_000)
    max_json_values: int = Field(default=20_000, ge=1)
    max_decode_rounds: int = Field(default=3, ge=0, le=8)
    scan_headers: tuple[str, ...] = DEFAULT_SCAN_HEADERS
    scan_custom_x_headers: bool = True


class WebAttackDetector:
    """SQLi, XSS, path traversal, command injection, SSRF, LDAP/NoSQL/template injection, XXE,
    CRLF injection and Log4Shell in parameter values, JSON bodies and free text."""

    name: ClassVar[str] = DETECTOR_NAME

    def __init__(self, config: WebAttackConfig | None = None) -> None:
        self.config = config or WebAttackConfig()
        self.kinds: frozenset[InputKind] = frozenset(self.config.kinds)
        self._scanner = ValueScanner(
            max_findings=self.config.max_findings, max_chars=self.config.max_scan_chars
        )
        self._http = HttpInspector(
            self._scanner,
            HttpLimits(
                max_body_bytes=self.config.max_body_bytes,
                max_params=self.config.max_params,
                max_json_depth=self.config.max_json_depth,
                max_json_values=self.config.max_json_values,
                max_decode_rounds=self.config.max_decode_rounds,
                value_max_chars=self.config.value_max_chars,
                headers=frozenset(h.lower() for h in self.config.scan_headers),
                scan_custom_x_headers=self.config.scan_custom_x_headers,
            ),
        )

    def inspect(self, view: TextView, context: ScanContext) -> list[Finding]:
        del context  # web attacks are judged on the text alone
        text = view.text
        mode = choose_mode(text, self.config.value_max_chars)
        return [to_finding(hit, text, view.kind) for hit in self._scanner.scan(text, mode)]

    def inspect_http(
        self,
        method: str,
        path: str,
        query_string: str = "",
        *,
        headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes = b"",
        content_type: str = "",
    ) -> list[WebAttackHit]:
        """Every attack in one request, each with its location, name or JSON path."""
        return self._http.inspect(
            method, path, query_string, headers=headers, body=body, content_type=content_type
        )

    def inspect_request(self, request: HttpRequest) -> list[WebAttackHit]:
        """:meth:`inspect_http` on a gateway :class:`HttpRequest`."""
        parts = urlsplit(request.url)
        return self.inspect_http(
            request.method,
            parts.path,
            parts.query,
            headers=request.headers,
            body=request.body,
            content_type=request.header("content-type") or "",
        )


@register(DETECTOR_NAME, WebAttackConfig)
def build(config: WebAttackConfig) -> WebAttackDetector:
    return WebAttackDetector(config)
