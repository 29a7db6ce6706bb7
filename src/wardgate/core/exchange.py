"""The Exchange: one request/response pair and everything learned about it.

Every capability (detection, policy, discovery, inventory, analytics, audit) reads this one object;
nobody needs a second representation of a call. It is frozen: each phase returns an updated copy.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from wardgate.core.finding import Finding
from wardgate.core.phase import Phase
from wardgate.core.verdict import Verdict

Headers = tuple[tuple[str, str], ...]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request as received from the client. Header names are kept as sent."""

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), or None."""
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "headers": [list(h) for h in self.headers],
            "body_b64": _b64(self.body),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HttpRequest:
        return cls(
            method=data["method"],
            url=data["url"],
            headers=tuple((str(k), str(v)) for k, v in data.get("headers", ())),
            body=base64.b64decode(data.get("body_b64", "")),
        )


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """An HTTP response as received from the upstream (or synthesised by the gateway)."""

    status: int
    headers: Headers = ()
    body: bytes = b""

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": [list(h) for h in self.headers],
            "body_b64": _b64(self.body),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HttpResponse:
        return cls(
            status=int(data["status"]),
            headers=tuple((str(k), str(v)) for k, v in data.get("headers", ())),
            body=base64.b64decode(data.get("body_b64", "")),
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: an authenticated principal, or ``anonymous``."""

    subject: str
    tenant: str = ""
    method: str = "anonymous"  # anonymous, api_key or jwt
    scopes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    key_id: str = ""  # the gateway API key's public id, when authenticated by one

    @property
    def is_anonymous(self) -> bool:
        return self.method == "anonymous"

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "tenant": self.tenant,
            "method": self.method,
            "scopes": list(self.scopes),
            "groups": list(self.groups),
            "key_id": self.key_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Identity:
        return cls(
            subject=data["subject"],
            tenant=data.get("tenant", ""),
            method=data.get("method", "anonymous"),
            scopes=tuple(data.get("scopes", ())),
            groups=tuple(data.get("groups", ())),
            key_id=data.get("key_id", ""),
        )


ANONYMOUS = Identity(subject="anonymous")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One call through the gateway: request, response, caller, metadata, findings and verdict.

    ``metadata`` holds JSON-compatible facts gathered along the way (route, provider, model name);
    treat it as read-only and use :meth:`with_metadata` to add to it.
    """

    request: HttpRequest
    response: HttpResponse | None = None
    identity: Identity = ANONYMOUS
    metadata: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    verdict: Verdict | None = None
    phase: Phase = Phase.REQUEST
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def with_findings(self, findings: tuple[Finding, ...] | list[Finding]) -> Exchange:
        return replace(self, findings=self.findings + tuple(findings))

    def with_metadata(self, **items: Any) -> Exchange:
        return replace(self, metadata={**self.metadata, **items})

    def with_response(self, response: HttpResponse) -> Exchange:
        return replace(self, response=response, phase=Phase.RESPONSE)

    def with_verdict(self, verdict: Verdict) -> Exchange:
        return replace(self, verdict=verdict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(),
            "phase": self.phase.value,
            "request": self.request.to_dict(),
            "response": None if self.response is None else self.response.to_dict(),
            "identity": self.identity.to_dict(),
            "metadata": dict(self.metadata),
            "findings": [f.to_dict() for f in self.findings],
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        resp = data.get("response")
        verdict = data.get("verdict")
        return cls(
            id=data["id"],
            started_at=datetime.fromisoformat(data["started_at"]),
            phase=Phase(data["phase"]),
            request=HttpRequest.from_dict(data["request"]),
            response=None if resp is None else HttpResponse.from_dict(resp),
            identity=Identity.from_dict(data["identity"]),
            metadata=dict(data.get("metadata", {})),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            verdict=None if verdict is None else Verdict.from_dict(verdict),
        )
