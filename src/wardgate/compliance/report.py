"""Tie evidence, controls and assessment together into one :class:`Report` for the renderers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wardgate import __version__
from wardgate.audit.signing import load_public_key
from wardgate.compliance.assess import Assessment, Status, Thresholds, assess, summary
from wardgate.compliance.benchmarks import BenchmarkEvidence, load_benchmarks
from wardgate.compliance.controls import AIVERIFY_PRINCIPLES, ATLAS_VERSION, Control
from wardgate.compliance.evidence import Evidence, collect

SCHEMA = "wardgate.compliance-report/1"


@dataclass(slots=True)
class Report:
    """The assessed evidence for one window; every renderer reads only this."""

    evidence: Evidence
    assessments: list[Assessment]
    thresholds: Thresholds = field(default_factory=Thresholds)
    version: str = __version__

    @property
    def summary(self) -> dict[str, int]:
        return summary(self.assessments)

    def assessment(self, number: int) -> Assessment:
        return self.assessments[number - 1]

    def status_of(self, control: Control) -> Status:
        return self.assessment(control.number).status

    @property
    def window_text(self) -> str:
        ev = self.evidence
        return f"{ev.since or 'start of log'} to {ev.until or ev.generated_at}"

    def to_dict(self) -> dict[str, Any]:
        """The whole report as JSON-ready data (the ``json`` format)."""
        controls = []
        for a in self.assessments:
            entry = a.to_dict()
            entry["mappings"] = {
                fw.value: list(ids) for fw, ids in a.control.mappings.by_framework().items()
            }
            entry["evidence_needed"] = list(a.control.evidence)
            controls.append(entry)
        return {
            "schema": SCHEMA,
            "generator": f"wardgate {self.version}",
            "generated_at": self.evidence.generated_at,
            "database": self.evidence.database,
            "window": {"since": self.evidence.since, "until": self.evidence.until},
            "atlas_version": ATLAS_VERSION,
            "summary": self.summary,
            "thresholds": asdict(self.thresholds),
            "controls": controls,
            "aiverify_principles": [
                {
                    "principle": p.number,
                    "name": p.name,
                    "cid": p.cid,
                    "gateway_evidence": p.strength.value,
                    "why": p.reason,
                }
                for p in AIVERIFY_PRINCIPLES
            ],
            "evidence": self.evidence.to_dict(),
        }


def build_report(
    db: str | Path,
    since: datetime | None = None,
    until: datetime | None = None,
    public_key: Ed25519PublicKey | str | Path | None = None,
    benchmarks: BenchmarkEvidence | str | Path | None = None,
    *,
    thresholds: Thresholds | None = None,
    now: datetime | None = None,
) -> Report:
    """Collect the evidence in ``db`` for ``since <= time < until`` and assess every control.

    ``public_key`` (a key or a PEM file) makes the report verify the audit log offline;
    ``benchmarks`` (parsed, or the path of ``docs/benchmarks.md``) adds detection figures.
    Raises :class:`~wardgate.compliance.evidence.EvidenceError` for a missing or non-SQLite
    database and ``ValueError`` for an unreadable key or benchmark file.
    """
    key = public_key
    if isinstance(key, str | Path):
        key = load_public_key(key)
    bench = benchmarks
    if isinstance(bench, str | Path):
        bench = load_benchmarks(bench)
    evidence = collect(db, since=since, until=until, public_key=key, benchmarks=bench, now=now)
    limits = thresholds or Thresholds()
    return Report(evidence=evidence, assessments=assess(evidence, limits), thresholds=limits)
