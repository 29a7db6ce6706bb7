from datetime import timedelta

from tests.compliance.store import T0
from wardgate.compliance.assess import Status, Thresholds
from wardgate.compliance.report import SCHEMA, build_report


def test_build_report_from_paths(sample_db, public_key_file):
    page = sample_db.parent / "bench.md"
    page.write_text("| criterion | target | measured |\n|---|---|---|\n| recall | ≥ 9% | 10% |\n")
    report = build_report(
        sample_db,
        T0,
        T0 + timedelta(days=3),
        public_key=public_key_file,
        benchmarks=page,
        now=T0 + timedelta(days=1, hours=1),
    )
    assert report.evidence.checkpoints.verified is True
    assert report.evidence.benchmarks is not None
    assert report.evidence.benchmarks.items[0].measured == "10%"
    assert report.window_text == "2026-03-02T09:00:00.000Z to 2026-03-05T09:00:00.000Z"
    assert [a.control.number for a in report.assessments] == list(range(1, 19))
    assert report.status_of(report.assessments[12].control) is Status.MET
    data = report.to_dict()
    assert data["schema"] == SCHEMA
    assert data["window"]["since"] == "2026-03-02T09:00:00.000Z"


def test_thresholds_reach_the_rules(sample_db, signer):
    now = T0 + timedelta(days=4)  # the checkpoint is three days old by then
    strict = build_report(sample_db, public_key=signer.public_key(), now=now)
    lenient = build_report(
        sample_db,
        public_key=signer.public_key(),
        thresholds=Thresholds(checkpoint_max_age_hours=96),
        now=now,
    )
    assert strict.assessment(13).status is Status.PARTIAL
    assert lenient.assessment(13).status is Status.MET
    assert lenient.to_dict()["thresholds"]["checkpoint_max_age_hours"] == 96
