"""Plain HTTP APIs (not LLMs): nothing to parse as prompts, errors as RFC 9457 problem details.

The gateway inspects such traffic for web attacks with its own inspector; this adapter only gives
those routes the same shape as LLM routes (an operation, no segments) and a standard error format.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, ClassVar

from wardgate.gateway.providers.base import (
    STATUS,
    ErrorKind,
    ErrorReply,
    ParsedRequest,
    ParsedResponse,
    StreamEvent,
)

PROBLEM_JSON = "application/problem+json"


class PassthroughDecoder:
    """Each chunk is one event as it came: a plain HTTP body has no events to wait for."""

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return [StreamEvent(chunk)] if chunk else []

    def close(self) -> list[StreamEvent]:
        return []


class HttpAdapter:
    """Any HTTP API: ``operation="http"``, no segments, never a stream, problem+json errors."""

    name: ClassVar[str] = "http"

    def parse_request(self, method: str, path: str, body: Any) -> ParsedRequest:
        return ParsedRequest(operation="http")

    def parse_response(self, path: str, body: Any) -> ParsedResponse:
        return ParsedResponse()

    def is_stream(self, path: str, body: Any) -> bool:
        return False

    def stream_decoder(self, path: str, max_event_bytes: int = 1 << 20) -> PassthroughDecoder:
        del max_event_bytes  # nothing is buffered: every chunk passes as it comes
        return PassthroughDecoder()

    def error(self, kind: ErrorKind, message: str) -> ErrorReply:
        """``{"type": "about:blank", "title": <reason phrase>, "status", "detail": message}``."""
        status = STATUS[kind]
        problem = {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": message,
        }
        return ErrorReply(status, json.dumps(problem).encode(), content_type=PROBLEM_JSON)

    def stream_error(self, kind: ErrorKind, message: str) -> bytes:
        """Nothing: a plain HTTP stream is ended by closing the connection."""
        return b""
