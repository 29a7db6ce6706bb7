"""The scanning engine's front door: configuration in, :class:`ScanResult` out."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ConfigDict, Field, ValidationError

from wardgate.core.finding import Finding
from wardgate.core.phase import InputKind, Phase
from wardgate.detect import registry
from wardgate.detect.base import ScanContext
from wardgate.detect.pipeline import Pipeline, PipelineSettings


class ConfigError(ValueError):
    """The detection configuration is invalid; the message says where and why."""


class EngineConfig(PipelineSettings):
    """A detection configuration file: pipeline settings plus detectors and their options.

    ``detectors`` maps detector names to options; when absent every built-in detector runs with
    its defaults.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    detectors: dict[str, dict[str, Any]] | None = Field(default=None)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The outcome of scanning one text: a score in [0, 1], the verdict at the configured
    threshold, the categories found and the findings with spans in the text as given."""

    score: float
    flagged: bool
    categories: list[str]
    findings: tuple[Finding, ...]
    latency_ms: float
    kind: InputKind

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "flagged": self.flagged,
            "categories": list(self.categories),
            "findings": [f.to_dict() for f in self.findings],
            "latency_ms": round(self.latency_ms, 4),
            "kind": self.kind.value,
        }


class Scanner:
    """A configured pipeline, built once and reused (thread-safe: detectors are stateless)."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        names = registry.names() if self.config.detectors is None else list(self.config.detectors)
        built = []
        for name in names:
            options = (self.config.detectors or {}).get(name) or {}
            try:
                built.append(registry.get(name).build(options))
            except KeyError as exc:
                raise ConfigError(str(exc.args[0])) from None
            except ValidationError as exc:
                raise ConfigError(f"detector {name!r}: {exc}") from None
        settings = PipelineSettings(
            **self.config.model_dump(exclude={"detectors"}),
        )
        self.pipeline = Pipeline(built, settings)

    @classmethod
    def from_config(cls, path: str | Path | None = None) -> Scanner:
        """Build from a YAML file, or from the built-in defaults when ``path`` is None."""
        if path is None:
            return cls()
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"config {path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config {path} must be a mapping at the top level")
        section = data.get("detection", data)
        try:
            return cls(EngineConfig.model_validate(section))
        except ValidationError as exc:
            raise ConfigError(f"config {path}: {exc}") from None

    def scan(
        self,
        text: str,
        kind: InputKind | str = InputKind.PROMPT,
        context: ScanContext | None = None,
        phase: Phase | str | None = None,
        *,
        only: Collection[str] | None = None,
        shallow: bool = False,
    ) -> ScanResult:
        """Scan one text. ``phase`` (REQUEST or RESPONSE) selects the detectors configured for
        it; by default model output is a RESPONSE and everything else a REQUEST. ``only`` and
        ``shallow`` narrow the scan (see :meth:`Pipeline.run`)."""
        kind = InputKind(kind)
        result = self.pipeline.run(
            text, kind, context, None if phase is None else Phase(phase), only, shallow=shallow
        )
        categories = [
            c.value
            for c in dict.fromkeys(
                f.category for f in result.findings if f.score >= self.config.threshold
            )
        ]
        if result.flagged and not categories:
            # Flagged by several weak cues together: report their categories.
            categories = [c.value for c in dict.fromkeys(f.category for f in result.findings)]
        return ScanResult(
            score=result.score,
            flagged=result.flagged,
            categories=categories,
            findings=result.findings,
            latency_ms=result.elapsed_ms,
            kind=kind,
        )
