import re
from datetime import timedelta

from tests.compliance.store import T0, config, decision, write_log
from wardgate.compliance.controls import CONTROLS
from wardgate.compliance.render_html import render_html
from wardgate.compliance.report import build_report


def test_self_contained_without_script_or_remote_resources(sample_report):
    html = render_html(sample_report).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    lowered = html.lower()
    assert "<script" not in lowered
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered)  # no event-handler attributes
    assert "http://" not in lowered
    assert "https://" not in lowered
    assert not re.search(r"\ssrc=", lowered)
    assert not re.search(r"href=\"(?!#)", lowered)
    assert "@import" not in lowered
    assert "url(" not in lowered
    assert "@media print" in html


def test_every_control_and_its_status_is_shown(sample_report):
    html = render_html(sample_report).decode("utf-8")
    for c in CONTROLS:
        assert f'id="c{c.number}"' in html
        assert c.title.replace("&", "&amp;") in html
    for a in sample_report.assessments:
        assert f'badge {a.status.value}">{a.status.label}<' in html
    assert html.count("<svg") >= 4
    assert "Audit log verified offline" in html
    assert "AML.T0051.001" in html


def test_values_from_the_log_are_escaped(tmp_path):
    evil = '<img src=x onerror="alert(1)">'
    db = write_log(
        tmp_path / "x.db",
        [(T0, [config(), decision(route=evil, model=evil, identity={"subject": evil})])],
    )
    html = render_html(build_report(db, now=T0 + timedelta(hours=1))).decode("utf-8")
    assert evil not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<img" not in html


def test_unverified_and_empty_logs_say_so(tmp_path):
    db = write_log(tmp_path / "e.db", [])
    html = render_html(build_report(db)).decode("utf-8")
    assert "Not verified" in html
    assert "no decisions in the window" in html
