"""What discovery knows about one endpoint: the record the inventory keeps, exports and compares.

Plain, JSON-ready data. Everything here is derived from traffic and safe to store: schemas,
counts, kinds of sensitive data and where they were seen — never a raw value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JsonSchema = dict[str, Any]


@dataclass(slots=True)
class EndpointRecord:
    """One (host, method, path template) and everything learned about it.

    ``template`` uses OpenAPI syntax (``/users/{id}/orders/{orderId}``). ``query`` and
    ``request_headers`` map parameter names to JSON Schemas; ``request_schema`` is the JSON body's
    schema; ``response_schemas`` maps status codes (as strings, ``"200"``) to body schemas.
    ``auth`` counts how callers authenticated (``none``, ``basic``, ``bearer``, ``jwt``,
    ``api_key_header``, ``api_key_query``, ``cookie``, ``mtls``) and ``auth_details`` holds what
    is safe to keep about each (header names, JWT issuer and algorithm). ``sensitive`` maps field
    locations (``request.body.$.card.number``, ``response.body.$[*].email``, ``query.email``) to
    the kinds seen there (``EMAIL``, ``CARD``, ``SG_NRIC``, ``SECRET``...). ``ai`` names the AI wire
    format when the endpoint is an LLM or embedding API (``openai.chat``, ``anthropic.messages``,
    ``mcp``...). ``findings`` counts the gateway's detections by category.
    """

    host: str
    method: str
    template: str
    count: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    query: dict[str, JsonSchema] = field(default_factory=dict)
    request_headers: dict[str, JsonSchema] = field(default_factory=dict)
    request_content_types: dict[str, int] = field(default_factory=dict)
    request_schema: JsonSchema | None = None
    response_schemas: dict[str, JsonSchema] = field(default_factory=dict)
    auth: dict[str, int] = field(default_factory=dict)
    auth_details: dict[str, list[str]] = field(default_factory=dict)
    sensitive: dict[str, list[str]] = field(default_factory=dict)
    ai: str | None = None
    findings: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.host, self.method, self.template)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "method": self.method,
            "template": self.template,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "statuses": dict(self.statuses),
            "query": dict(self.query),
            "request_headers": dict(self.request_headers),
            "request_content_types": dict(self.request_content_types),
            "request_schema": self.request_schema,
            "response_schemas": dict(self.response_schemas),
            "auth": dict(self.auth),
            "auth_details": {k: list(v) for k, v in self.auth_details.items()},
            "sensitive": {k: list(v) for k, v in self.sensitive.items()},
            "ai": self.ai,
            "findings": dict(self.findings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EndpointRecord:
        return cls(
            host=data["host"],
            method=data["method"],
            template=data["template"],
            count=int(data.get("count", 0)),
            first_seen=float(data.get("first_seen", 0.0)),
            last_seen=float(data.get("last_seen", 0.0)),
            statuses=dict(data.get("statuses", {})),
            query=dict(data.get("query", {})),
            request_headers=dict(data.get("request_headers", {})),
            request_content_types=dict(data.get("request_content_types", {})),
            request_schema=data.get("request_schema"),
            response_schemas=dict(data.get("response_schemas", {})),
            auth=dict(data.get("auth", {})),
            auth_details={k: list(v) for k, v in data.get("auth_details", {}).items()},
            sensitive={k: list(v) for k, v in data.get("sensitive", {}).items()},
            ai=data.get("ai"),
            findings=dict(data.get("findings", {})),
        )
