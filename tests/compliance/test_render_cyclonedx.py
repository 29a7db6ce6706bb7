import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from wardgate.compliance.controls import CONTROLS
from wardgate.compliance.render_cyclonedx import (
    CycloneDxInvalid,
    cyclonedx_document,
    render_cyclonedx,
    validate,
)


def _refs_defined(doc):
    defined = {doc["metadata"]["component"]["bom-ref"]}
    defined |= {c["bom-ref"] for c in doc.get("components", [])}
    for std in doc["definitions"]["standards"]:
        defined.add(std["bom-ref"])
        defined |= {r["bom-ref"] for r in std["requirements"]}
    dec = doc["declarations"]
    for section in ("assessors", "claims", "evidence"):
        defined |= {x["bom-ref"] for x in dec[section]}
    return defined


def test_document_validates_against_the_strict_1_6_schema(sample_report):
    text = render_cyclonedx(sample_report).decode("utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6"
    assert doc["bomFormat"] == "CycloneDX"
    assert any(c["type"] == "machine-learning-model" for c in doc["components"])


def test_every_reference_resolves_and_scores_follow_statuses(sample_report):
    doc = cyclonedx_document(sample_report)
    defined = _refs_defined(doc)
    dec = doc["declarations"]
    assert len(dec["claims"]) == len(dec["evidence"]) == 18
    for claim in dec["claims"]:
        assert claim["target"] in defined
        assert set(claim["evidence"]) <= defined
    attestation = dec["attestations"][0]
    assert attestation["assessor"] in defined
    by_req = {m["requirement"]: m for m in attestation["map"]}
    for m in attestation["map"]:
        assert m["requirement"] in defined
        assert set(m["claims"]) <= defined
        assert m["confidence"]["score"] == 1
    for c in CONTROLS:
        status = sample_report.assessment(c.number).status
        conformance = by_req[f"req-{c.ref.lower()}"]["conformance"]
        assert conformance.get("score") == status.score
    llm01 = by_req["req-owasp-llm-2025-llm01"]
    assert llm01["claims"] == ["claim-wg-05", "claim-wg-06"]
    names = {s["name"] for s in doc["definitions"]["standards"]}
    assert {"OWASP Top 10 for LLM Applications", "EU AI Act", "Wardgate gateway controls"} <= names


def test_a_broken_document_does_not_validate(sample_report):
    doc = cyclonedx_document(sample_report)
    doc["declarations"]["claims"][0]["confidence"] = 1  # no such property on a claim
    with pytest.raises(CycloneDxInvalid):
        validate(json.dumps(doc))
    doc = cyclonedx_document(sample_report)
    doc["declarations"]["attestations"][0]["map"][0]["conformance"]["score"] = 2  # > 1
    with pytest.raises(CycloneDxInvalid):
        validate(json.dumps(doc))
