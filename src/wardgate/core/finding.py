"""Findings: what a detector reports. Detectors report, policy decides."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import Any

from wardgate.core.taxonomy import TaxonomyId, parse_tag


class Category(StrEnum):
    """The kind of threat or leak a finding is evidence of."""

    PROMPT_INJECTION = "prompt_injection"
    INDIRECT_INJECTION = "indirect_injection"
    JAILBREAK = "jailbreak"
    SYSTEM_PROMPT_EXTRACTION = "system_prompt_extraction"
    ROLE_SPOOFING = "role_spoofing"
    EXFILTRATION = "exfiltration"
    OBFUSCATION = "obfuscation"
    HIDDEN_TEXT = "hidden_text"
    PII = "pii"
    SECRET = "secret"  # noqa: S105 - a category name, not a credential
    SYSTEM_PROMPT_LEAK = "system_prompt_leak"
    WEB_ATTACK = "web_attack"
    MODEL_EXTRACTION = "model_extraction"
    DETECTOR_ERROR = "detector_error"


class Severity(IntEnum):
    """Ordered severities; policies compare them (``finding.severity >= Severity.HIGH``)."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int) -> Severity:
        """Accept ``"high"``, ``"HIGH"`` or ``3``."""
        if isinstance(value, int):
            return cls(value)
        return cls[value.strip().upper()]


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` in the *original* text the caller sent."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid span [{self.start}, {self.end})")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence from one detector.

    ``span`` always points into the original text, even when the detector saw a normalised or
    decoded view of it; ``chain`` names the transformations (e.g. ``("base64", "rot13")``) that
    revealed it. ``evidence`` is safe to log: leak detectors put a redacted form there, never the
    raw secret or personal datum.
    """

    detector: str
    category: Category
    score: float
    severity: Severity
    span: Span | None = None
    evidence: str = ""
    tags: tuple[TaxonomyId, ...] = ()
    chain: tuple[str, ...] = ()
    rule_id: str = ""
    message: str = ""
    kind: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside [0, 1]")

    def with_origin(self, span: Span | None, chain: tuple[str, ...]) -> Finding:
        """Return a copy re-anchored to the original text, with the revealing chain recorded."""
        return replace(self, span=span, chain=chain + self.chain)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; the inverse is :meth:`from_dict`."""
        return {
            "detector": self.detector,
            "category": self.category.value,
            "score": round(self.score, 4),
            "severity": str(self.severity),
            "span": None if self.span is None else [self.span.start, self.span.end],
            "evidence": self.evidence,
            "tags": [t.value for t in self.tags],
            "chain": list(self.chain),
            "rule_id": self.rule_id,
            "message": self.message,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        span = data.get("span")
        return cls(
            detector=data["detector"],
            category=Category(data["category"]),
            score=float(data["score"]),
            severity=Severity.parse(data["severity"]),
            span=None if span is None else Span(int(span[0]), int(span[1])),
            evidence=data.get("evidence", ""),
            tags=tuple(parse_tag(t) for t in data.get("tags", ())),
            chain=tuple(data.get("chain", ())),
            rule_id=data.get("rule_id", ""),
            message=data.get("message", ""),
            kind=data.get("kind", ""),
        )
