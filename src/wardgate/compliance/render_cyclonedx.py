"""The report as a CycloneDX 1.6 attestation (CDXA), validated against the official schema.

CycloneDX 1.6 carries compliance evidence itself: ``definitions.standards`` lists the frameworks
and the requirements the controls reference (OWASP, MITRE ATLAS, AI Verify, NIST, MAS, AU, EU
AI Act, and Wardgate's own control catalogue), and ``declarations`` holds the assessor (Wardgate,
an automated self-assessment), one claim per control with its evidence, and an attestation whose
``map`` ties every requirement to the claims that support it with a conformance score (met 1,
partial 0.5, not met 0) and a confidence (1 when the audit log verified against the signed
checkpoints, 0.5 when no key was given, 0 when verification failed).

``cyclonedx-python-lib`` builds the base BOM (metadata and the models seen in traffic as
``machine-learning-model`` components) but has no model for ``declarations``, so both sections
are added to the serialised JSON, and the whole document is checked with the library's strict
1.6 JSON-schema validator before it is returned.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from wardgate.compliance.assess import Status
from wardgate.compliance.controls import CONTROLS, Control, Framework
from wardgate.compliance.frameworks import (
    FRAMEWORKS,
    referenced_requirements,
    requirement_title,
)
from wardgate.compliance.report import Report

TARGET_REF = "wardgate-gateway"
ASSESSOR_REF = "assessor-wardgate"
CATALOGUE_REF = "std-wardgate-controls"
_NAMESPACE = uuid.UUID("8e0f5a44-3f38-4c53-9f0b-5a3c1e2a9d10")
_MAX_MODELS = 50


class CycloneDxInvalid(ValueError):
    """The document does not validate against the CycloneDX 1.6 schema (a bug, never data)."""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower()


def _req_ref(framework: Framework, identifier: str) -> str:
    return f"req-{framework.value}-{_slug(identifier)}"


def _control_req(c: Control) -> str:
    return f"req-{c.ref.lower()}"


def _claim(c: Control) -> str:
    return f"claim-{c.ref.lower()}"


def _evidence(c: Control) -> str:
    return f"evidence-{c.ref.lower()}"


def _standards() -> list[dict[str, Any]]:
    catalogue = {
        "bom-ref": CATALOGUE_REF,
        "name": "Wardgate gateway controls",
        "version": "1",
        "owner": "Wardgate",
        "description": "Governance controls an AI API gateway evidences from observed traffic.",
        "requirements": [
            {
                "bom-ref": _control_req(c),
                "identifier": c.ref,
                "title": c.title,
                "text": "Evidence: " + "; ".join(c.evidence),
            }
            for c in CONTROLS
        ],
    }
    out = [catalogue]
    for framework, ids in referenced_requirements().items():
        info = FRAMEWORKS[framework]
        out.append(
            {
                "bom-ref": f"std-{framework.value}",
                "name": info.name,
                "version": info.version,
                "owner": info.owner,
                "description": info.description,
                "requirements": [
                    {
                        "bom-ref": _req_ref(framework, i),
                        "identifier": i,
                        "title": requirement_title(framework, i),
                    }
                    for i in ids
                ],
            }
        )
    return out


def _confidence(report: Report) -> dict[str, Any]:
    verified = report.evidence.checkpoints.verified
    if verified is True:
        return {"score": 1, "rationale": "audit log verified offline against signed checkpoints"}
    if verified is False:
        return {"score": 0, "rationale": "audit log verification failed: evidence is unreliable"}
    return {"score": 0.5, "rationale": "audit log not verified (no public key given)"}


def _conformance(statuses: Iterable[Status], rationale: str) -> dict[str, Any]:
    scores = [s.score for s in statuses if s.score is not None]
    out: dict[str, Any] = {"rationale": rationale}
    if scores:
        out["score"] = round(sum(scores) / len(scores), 4)
    return out


def _declarations(report: Report) -> dict[str, Any]:
    created = report.evidence.generated_at
    claims, evidence, mapping = [], [], []
    confidence = _confidence(report)
    for a in report.assessments:
        c = a.control
        claims.append(
            {
                "bom-ref": _claim(c),
                "target": TARGET_REF,
                "predicate": f"{c.ref} {c.title}: {a.status.label}",
                "reasoning": a.rule,
                "evidence": [_evidence(c)],
            }
        )
        content = json.dumps(
            {
                "status": a.status.value,
                "observed": a.observed,
                "missing": a.missing,
                "notes": a.notes,
                "window": {"since": report.evidence.since, "until": report.evidence.until},
            },
            ensure_ascii=False,
        )
        evidence.append(
            {
                "bom-ref": _evidence(c),
                "propertyName": f"wardgate:control:{c.ref}",
                "data": [
                    {
                        "name": "observed",
                        "contents": {
                            "attachment": {"contentType": "application/json", "content": content}
                        },
                    }
                ],
                "created": created,
                "author": {"name": f"wardgate {report.version}"},
            }
        )
        mapping.append(
            {
                "requirement": _control_req(c),
                "claims": [_claim(c)],
                "conformance": _conformance([a.status], a.status.label),
                "confidence": confidence,
            }
        )
    for framework, ids in referenced_requirements().items():
        for identifier in ids:
            supporting = [
                c for c in CONTROLS if identifier in c.mappings.by_framework().get(framework, ())
            ]
            mapping.append(
                {
                    "requirement": _req_ref(framework, identifier),
                    "claims": [_claim(c) for c in supporting],
                    "conformance": _conformance(
                        [report.status_of(c) for c in supporting],
                        "mean over supporting controls "
                        + ", ".join(f"{c.ref} ({report.status_of(c).label})" for c in supporting)
                        + "; partial coverage of the requirement by a gateway",
                    ),
                    "confidence": confidence,
                }
            )
    counts = report.summary
    return {
        "assessors": [
            {
                "bom-ref": ASSESSOR_REF,
                "thirdParty": False,
                "organization": {"name": f"Wardgate {report.version} (automated self-assessment)"},
            }
        ],
        "attestations": [
            {
                "summary": f"Controls for {report.window_text}: "
                + ", ".join(f"{counts[s.value]} {s.label}" for s in Status),
                "assessor": ASSESSOR_REF,
                "map": mapping,
            }
        ],
        "claims": claims,
        "evidence": evidence,
    }


def _base_bom(report: Report) -> dict[str, Any]:
    ev = report.evidence
    serial = uuid.uuid5(_NAMESPACE, f"{ev.database}|{ev.generated_at}|{ev.since}|{ev.until}")
    bom = Bom(serial_number=serial)
    bom.metadata.timestamp = datetime.fromisoformat(ev.generated_at.replace("Z", "+00:00"))
    bom.metadata.component = Component(
        name="wardgate",
        version=report.version,
        type=ComponentType.APPLICATION,
        bom_ref=TARGET_REF,
        description="AI-native API security gateway (the assessed deployment)",
    )
    models = [m for m in ev.decisions.models if m != "(other)"][:_MAX_MODELS]
    for i, name in enumerate(models):
        bom.components.add(
            Component(
                name=name,
                type=ComponentType.MACHINE_LEARNING_MODEL,
                bom_ref=f"model-{i + 1}",
                description="model named in traffic through the gateway",
            )
        )
    with warnings.catch_warnings():
        # the library warns that the root component has no dependency graph: a gateway
        # attestation has none to give, and the warning would reach the user's terminal
        warnings.simplefilter("ignore", UserWarning)
        data: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    return data


def validate(document: str) -> None:
    """Raise :class:`CycloneDxInvalid` unless ``document`` is valid strict CycloneDX 1.6 JSON."""
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(document)
    if error is not None:
        raise CycloneDxInvalid(f"CycloneDX 1.6 schema violation: {error}")


def cyclonedx_document(report: Report) -> dict[str, Any]:
    """The attestation as a dict (not yet validated)."""
    doc = _base_bom(report)
    doc["definitions"] = {"standards": _standards()}
    doc["declarations"] = _declarations(report)
    return doc


def render_cyclonedx(report: Report) -> bytes:
    """The validated CycloneDX 1.6 JSON document."""
    text = json.dumps(cyclonedx_document(report), indent=2, ensure_ascii=False)
    validate(text)
    return (text + "\n").encode("utf-8")
