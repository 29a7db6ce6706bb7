import json

from wardgate.compliance.render_json import render_json


def test_json_report_is_complete(sample_report):
    data = json.loads(render_json(sample_report))
    assert data["schema"] == "wardgate.compliance-report/1"
    assert [c["control"] for c in data["controls"]] == list(range(1, 19))
    assert sum(data["summary"].values()) == 18
    assert data["evidence"]["decisions"]["total"] == 6
    assert data["evidence"]["decisions"]["authenticated_share"] == 5 / 6
    assert data["controls"][2]["mappings"]["owasp-api-2023"] == ["API2"]
    assert data["evidence"]["checkpoints"]["verified"] is True
    assert {p["gateway_evidence"] for p in data["aiverify_principles"]} == {
        "strong",
        "partial",
        "none",
    }
