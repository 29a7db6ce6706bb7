import json
import re

from wardgate.compliance.assess import Status
from wardgate.compliance.render_aiverify import GID, MAX_ELABORATION, input_blocks, render_aiverify

KEY = re.compile(r"(completed|elaboration)-\d+(\.\d+)+")


def test_blocks_have_the_process_checklist_shape(sample_report):
    doc = json.loads(render_aiverify(sample_report, group="Q1 review"))
    blocks = doc["input_blocks"]
    assert {b["cid"] for b in blocks} == {
        "transparency_process_checklist",
        "reproducibility_process_checklist",
        "safety_process_checklist",
        "security_process_checklist",
        "robustness_process_checklist",
        "accountability_process_checklist",
        "human_agency_oversight_process_checklist",
    }
    for b in blocks:
        assert b["gid"] == GID
        assert b["group"] == "Q1 review"
        assert b["name"].endswith("Process Checklist")
        assert b["data"]
        assert all(KEY.fullmatch(k) for k in b["data"])
        for k, v in b["data"].items():
            if k.startswith("completed-"):
                assert v in {"Yes", "No", "Not Applicable"}
                assert f"elaboration-{k.removeprefix('completed-')}" in b["data"]
            else:
                assert 0 < len(v) <= MAX_ELABORATION
    assert [p["principle"] for p in doc["not_evidenced"]] == [2, 7, 8, 11]
    assert set(doc["items"]) >= {"5.5.1", "3.6.1", "10.2.2"}


def test_answers_follow_the_control_statuses(sample_report):
    data = {k: v for b in input_blocks(sample_report) for k, v in b["data"].items()}
    assert sample_report.assessment(13).status is Status.MET
    assert data["completed-3.6.1"] == "Yes"  # control 13 only
    assert data["completed-1.2.2"] == "Not Applicable"  # control 16
    assert data["completed-10.2.2"] == "No"  # control 15, not met
    assert sample_report.assessment(3).status is not Status.MET
    assert data["completed-5.5.1"] == "No"  # controls 3 and 11
    assert "Control 11" in data["elaboration-5.5.1"]
    assert "Missing:" in data["elaboration-5.5.1"]


def test_long_elaborations_are_clipped(sample_report):
    a = sample_report.assessment(13)
    saved = list(a.observed)
    try:
        a.observed[:] = ["x" * 500] * 20
        data = {k: v for b in input_blocks(sample_report) for k, v in b["data"].items()}
        assert 4000 < len(data["elaboration-3.6.1"]) <= MAX_ELABORATION
        assert data["elaboration-3.6.1"].endswith("(clipped)")
    finally:
        a.observed[:] = saved
