"""What a static AI-inventory scan found: plain, JSON-ready records.

Every record names a file relative to the scanned root. Nothing here holds a raw credential: keys
are kept only in redacted form with a short SHA-256 fingerprint, so a report can be stored,
shared and diffed without becoming a leak itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SdkUse:
    """An AI SDK or framework declared in a manifest, imported in code, or called (Bedrock).

    ``source`` is ``manifest``, ``import`` or ``code``; ``package`` is the name as the ecosystem
    writes it (distribution, npm package, ``group:artifact``, Go module, or imported module);
    ``scope`` says how a manifest declares it (``dev``, ``extra:NAME``, ``indirect``...).
    """

    path: str
    line: int | None
    ecosystem: str
    package: str
    library: str
    provider: str
    category: str
    source: str
    version_spec: str | None = None
    scope: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ModelReference:
    """A model identifier written as a string literal in code or as a configuration value.

    ``open_weights`` is a family-level judgement: True when the family publishes weights, False
    when it is API-only, None when the family has both (the identifier alone cannot tell).
    ``via`` names the hosting convention the identifier uses (``bedrock``, ``ollama``,
    ``huggingface``) when it shows one.
    """

    path: str
    line: int
    model_id: str
    provider: str
    family: str
    open_weights: bool | None
    context: str
    via: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class KeyFinding:
    """A hard-coded provider credential: only its public prefix, last characters and fingerprint."""

    path: str
    line: int
    rule_id: str
    label: str
    provider: str
    redacted: str
    fingerprint: str
    length: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Artefact:
    """A model file: its identity (size, SHA-256), format, parsed header and pickle verdict.

    ``severity`` is ``critical`` when a pickle references a known code-execution callable,
    ``warning`` when it references anything outside the safe reconstruction allowlist, else None.
    ``unsafe_globals`` names those callables as ``module.name``. ``error`` says why the header
    could not be parsed (the hash and size are still valid); ``truncated`` that only a bounded
    prefix was inspected.
    """

    path: str
    format: str
    size: int
    sha256: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    unsafe_globals: tuple[str, ...] = ()
    severity: str | None = None
    error: str | None = None
    truncated: bool = False

    @property
    def dangerous(self) -> bool:
        return bool(self.unsafe_globals)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["unsafe_globals"] = list(self.unsafe_globals)
        data["dangerous"] = self.dangerous
        return data


@dataclass(frozen=True, slots=True)
class FileIssue:
    """Why a file was only partly scanned or not at all (``read``, ``decode``, ``parse``,
    ``truncated``, ``symlink``...). Messages never quote the file's content."""

    path: str
    kind: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FileResult:
    """Everything one file contributed; merged into the report in walk order."""

    sdks: list[SdkUse] = field(default_factory=list)
    models: list[ModelReference] = field(default_factory=list)
    keys: list[KeyFinding] = field(default_factory=list)
    artefacts: list[Artefact] = field(default_factory=list)
    issues: list[FileIssue] = field(default_factory=list)
    bytes_read: int = 0


@dataclass(slots=True)
class ScanReport:
    """The whole scan: findings by kind, per-file issues, and what was walked."""

    root: str
    files_seen: int = 0
    files_scanned: int = 0
    files_skipped: int = 0
    bytes_read: int = 0
    elapsed_s: float = 0.0
    sdks: list[SdkUse] = field(default_factory=list)
    models: list[ModelReference] = field(default_factory=list)
    keys: list[KeyFinding] = field(default_factory=list)
    artefacts: list[Artefact] = field(default_factory=list)
    issues: list[FileIssue] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.sdks.extend(result.sdks)
        self.models.extend(result.models)
        self.keys.extend(result.keys)
        self.artefacts.extend(result.artefacts)
        self.issues.extend(result.issues)
        self.bytes_read += result.bytes_read

    def summary(self) -> dict[str, int]:
        """Counts a dashboard or CI gate needs without reading the lists."""
        return {
            "files_seen": self.files_seen,
            "files_scanned": self.files_scanned,
            "files_skipped": self.files_skipped,
            "libraries": len({s.library for s in self.sdks}),
            "sdk_uses": len(self.sdks),
            "model_ids": len({m.model_id for m in self.models}),
            "model_references": len(self.models),
            "keys": len(self.keys),
            "artefacts": len(self.artefacts),
            "dangerous_artefacts": sum(a.dangerous for a in self.artefacts),
            "critical_artefacts": sum(a.severity == "critical" for a in self.artefacts),
            "issues": len(self.issues),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "summary": self.summary(),
            "bytes_read": self.bytes_read,
            "elapsed_s": round(self.elapsed_s, 3),
            "sdks": [s.to_dict() for s in self.sdks],
            "models": [m.to_dict() for m in self.models],
            "keys": [k.to_dict() for k in self.keys],
            "artefacts": [a.to_dict() for a in self.artefacts],
            "issues": [i.to_dict() for i in self.issues],
        }
