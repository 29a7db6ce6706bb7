"""The gateway's LOG-phase exchanges as observations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from wardgate.core.exchange import Exchange, HttpRequest, HttpResponse, Identity
from wardgate.core.finding import Category, Finding, Severity
from wardgate.core.phase import Phase
from wardgate.discovery.observation import MAX_BODY_BYTES
from wardgate.discovery.sources.exchange import from_exchange

BODY = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'


def exchange(**changes: Any) -> Exchange:
    fields: dict[str, Any] = {
        "request": HttpRequest(
            "post",
            "/v1/chat/completions?api-version=2024-06-01&tag=a%20b",
            (
                ("Host", "Gateway.Example.com:443"),
                ("Content-Type", "application/json"),
                ("Authorization", "[REDACTED]"),
            ),
            BODY,
        ),
        "response": HttpResponse(200),
        "identity": Identity(subject="svc-billing", tenant="acme", method="api_key"),
        "metadata": {"route": "openai", "provider": "openai", "model": "gpt-4o-mini"},
        "findings": (
            Finding("pii.email", Category.PII, 0.9, Severity.MEDIUM),
            Finding("pii.phone", Category.PII, 0.8, Severity.LOW),
            Finding("inj", Category.PROMPT_INJECTION, 0.99, Severity.HIGH),
        ),
        "phase": Phase.LOG,
        "started_at": datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC),
    }
    fields.update(changes)
    return Exchange(**fields)


def test_log_phase_exchange() -> None:
    obs = from_exchange(exchange())
    assert obs.method == "POST"
    assert obs.host == "gateway.example.com"
    assert obs.path == "/v1/chat/completions"
    assert obs.query == (("api-version", "2024-06-01"), ("tag", "a b"))
    assert obs.request_headers == (
        ("host", "Gateway.Example.com:443"),
        ("content-type", "application/json"),
        ("authorization", "[REDACTED]"),
    )
    assert obs.request_body == BODY
    assert not obs.request_truncated
    assert obs.status == 200
    assert obs.response_body is None  # the gateway does not log answers: unknown, not empty
    assert obs.response_headers == ()
    assert obs.timestamp == 1714557600.5
    assert obs.identity == "svc-billing"
    assert obs.findings == ("pii", "prompt_injection")  # categories, once each
    assert obs.source == "gateway"
    assert obs.scheme == "https"


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"response": None}, lambda o: o.status is None and o.response_body is None),
        (
            {"response": HttpResponse(404, (("Content-Type", "text/plain"),), b"nope")},
            lambda o: (
                (o.status, o.response_headers, o.response_body)
                == (404, (("content-type", "text/plain"),), b"nope")
            ),
        ),
        ({"identity": Identity(subject="anonymous")}, lambda o: o.identity == ""),
        ({"findings": ()}, lambda o: o.findings == ()),
        (
            {"request": HttpRequest("GET", "/health", ())},
            lambda o: (o.host, o.path, o.query, o.request_body) == ("", "/health", (), b""),
        ),
        (
            {"request": HttpRequest("GET", "/x", ()), "metadata": {"host": "Up.Stream"}},
            lambda o: o.host == "up.stream",
        ),
        (
            {"request": HttpRequest("GET", "https://abs.test:8443/a?b=1", ())},
            lambda o: (o.host, o.path, o.query) == ("abs.test:8443", "/a", (("b", "1"),)),
        ),
        (
            {"request": HttpRequest("GET", "/a", (("X-Forwarded-Proto", "http, https"),))},
            lambda o: o.scheme == "http",
        ),
        (
            {
                "request": HttpRequest("GET", "/a", (("Host", "h:80"),)),
                "metadata": {"scheme": "http"},
            },
            lambda o: (o.scheme, o.host) == ("http", "h"),
        ),
        (
            {"request": HttpRequest("POST", "/u", (), b"x" * (MAX_BODY_BYTES + 1))},
            lambda o: len(o.request_body) == MAX_BODY_BYTES and o.request_truncated,
        ),
    ],
)
def test_exchange_variants(changes: dict[str, Any], check: Any) -> None:
    assert check(from_exchange(exchange(**changes)))


def test_round_trip_through_the_exchange_json_form() -> None:
    """What the LOG phase may serialise (``to_dict``) gives the same observation back."""
    original = exchange()
    assert from_exchange(Exchange.from_dict(original.to_dict())) == from_exchange(original)


def test_one_exchange_is_observed_once_and_another_afresh() -> None:
    """The LOG phase's discovery and AI-inventory consumers read the same observation."""
    first, second = exchange(), exchange()
    seen = from_exchange(first)
    assert from_exchange(first) is seen
    other = from_exchange(second)
    assert other is not seen
    assert other == seen  # equal exchanges, equal observations
    assert from_exchange(first) == seen
