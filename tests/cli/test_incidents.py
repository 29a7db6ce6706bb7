"""``wardgate incidents``: listing (the default), show, the workflow steps, stats, exit codes, and
the audit record each step leaves when the database keeps an audit trail."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest

from wardgate.audit.log import AuditLog
from wardgate.cli import incidents as cli
from wardgate.core.finding import Severity
from wardgate.incidents.model import IncidentEvent
from wardgate.incidents.store import IncidentStore

NOW = datetime.now(UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardgate")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(*argv: str) -> int:
    return cli.run(_parser().parse_args(["incidents", *argv]))


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv(cli.DB_ENV, raising=False)
    return str(tmp_path / "w.db")


@pytest.fixture
def seeded(db):
    """INC-000001 alice/chat injection (3 events), INC-000002 bob/embed pii, INC-000003 old."""
    store = IncidentStore.open(db)
    for i in range(3):
        store.record(
            IncidentEvent(
                "alice",
                "chat",
                "prompt_injection",
                Severity.HIGH,
                at=NOW - timedelta(minutes=10 - i),
                rule_ids=("pi.ignore",),
                taxonomy=("LLM01",),
                audit_seq=10 + i,
                summary="1 prompt_injection finding (pi.ignore); verdict block",
            )
        )
    store.record(
        IncidentEvent("bob", "embed", "pii", Severity.CRITICAL, at=NOW - timedelta(minutes=1))
    )
    store.record(
        IncidentEvent("carol", "chat", "jailbreak", Severity.MEDIUM, at=NOW - timedelta(days=3))
    )
    store.close()
    return db


def test_no_sub_command_lists_as_a_table(seeded, capsys):
    assert _run("--db", seeded) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID", "SEVERITY", "STATUS", "CATEGORY", "IDENTITY", "ROUTE", "EVENTS", "OWNER", "LAST_SEEN"
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["INC-000002", "INC-000001", "INC-000003"]
    assert lines[2].split()[:7] == [
        "INC-000001",
        "high",
        "open",
        "prompt_injection",
        "alice",
        "chat",
        "3",
    ]
    assert "1-3 of 3" in err


def test_json_with_no_sub_command(seeded, capsys):
    assert _run("--json", "--db", seeded) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list)
    assert [d["id"] for d in data] == ["INC-000002", "INC-000001", "INC-000003"]
    first = data[1]
    for field in ("identity", "route", "category", "severity", "status", "owner", "event_count",
                  "first_seen", "last_seen", "taxonomy", "audit_seqs", "audit_seq_count"):  # fmt: skip
        assert field in first
    assert (first["identity"], first["event_count"], first["audit_seqs"]) == (
        "alice",
        3,
        [10, 11, 12],
    )
    assert first["taxonomy"] == ["LLM01"]


@pytest.mark.parametrize(
    ("argv", "ids"),
    [
        (["--status", "open"], ["INC-000002", "INC-000001", "INC-000003"]),
        (["--category", "pii"], ["INC-000002"]),
        (["--identity", "alice"], ["INC-000001"]),
        (["--route", "chat"], ["INC-000001", "INC-000003"]),
        (["--since", "1d"], ["INC-000002", "INC-000001"]),
        (["--limit", "1", "--offset", "1"], ["INC-000001"]),
        (["list", "--route", "chat", "--limit", "1"], ["INC-000001"]),
        (["--status", "resolved"], []),
    ],
)
def test_list_filters(seeded, capsys, argv, ids):
    assert _run("--db", seeded, "--json", *argv) == 0
    assert [d["id"] for d in json.loads(capsys.readouterr().out)] == ids


def test_list_of_a_missing_database_is_empty_and_creates_nothing(db, capsys, tmp_path):
    assert _run("--db", db, "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert _run("--db", db) == 0
    assert "no incidents" in capsys.readouterr().err
    assert not (tmp_path / "w.db").exists()


def test_db_from_the_environment(seeded, capsys, monkeypatch):
    monkeypatch.setenv(cli.DB_ENV, seeded)
    assert _run("--json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_show(seeded, capsys):
    assert _run("--db", seeded, "show", "INC-000001") == 0
    out = capsys.readouterr().out
    assert out.startswith("INC-000001  prompt injection by alice on chat")
    assert "audit seqs    10, 11, 12" in out
    assert "LLM01" in out
    assert _run("show", "1", "--db", seeded, "--json") == 0
    assert json.loads(capsys.readouterr().out)["event_count"] == 3
    assert _run("--json", "--db", seeded, "show", "inc-2") == 0  # top-level --json carries down
    assert json.loads(capsys.readouterr().out)["identity"] == "bob"


def test_workflow_from_the_command_line(seeded, capsys):
    assert _run("--db", seeded, "ack", "INC-000001", "--owner", "alice") == 0
    assert (
        "INC-000001 acknowledged by alice: now acknowledged, owner alice" in capsys.readouterr().out
    )
    assert _run("--db", seeded, "assign", "1", "--owner", "carol") == 0
    assert _run("--db", seeded, "note", "1", "--author", "carol", "Rotated the key.") == 0
    assert _run("--db", seeded, "resolve", "1", "--by", "carol", "--reason", "key rotated") == 0
    assert _run("--db", seeded, "false-positive", "2", "--by", "dave", "--reason", "test data") == 0
    assert (
        _run("--db", seeded, "reopen", "2", "--by", "erin", "--reason", "not test data", "--json")
        == 0
    )
    capsys.readouterr()
    assert _run("--db", seeded, "show", "1", "--json") == 0
    one = json.loads(capsys.readouterr().out)
    assert (one["status"], one["owner"], one["resolved_by"], one["resolution"]) == (
        "resolved",
        "carol",
        "carol",
        "key rotated",
    )
    assert [n["text"] for n in one["notes"]] == ["Rotated the key."]
    assert _run("--db", seeded, "--status", "open", "--json") == 0
    assert {d["id"] for d in json.loads(capsys.readouterr().out)} == {"INC-000002", "INC-000003"}


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["show", "INC-000099"], 1, "no such incident"),
        (["ack", "INC-000099", "--owner", "a"], 1, "no incident INC-000099"),
        (["show", "banana"], 2, "INC-000123"),
        (["ack", "1", "--owner", " "], 2, "owner"),
        (["resolve", "1", "--by", "a", "--reason", ""], 2, "reason"),
        (["note", "1", "--author", "a", "\x1b[2J"], 2, "control"),
        (["reopen", "1", "--by", "a", "--reason", "why"], 1, "INC-000001 is open: cannot reopen"),
    ],
)
def test_failures_and_exit_codes(seeded, capsys, argv, status, message):
    assert _run("--db", seeded, *argv) == status
    assert message in capsys.readouterr().err


def test_an_invalid_step_after_a_valid_one(seeded, capsys):
    assert _run("--db", seeded, "resolve", "1", "--by", "a", "--reason", "done") == 0
    assert _run("--db", seeded, "ack", "1", "--owner", "a") == 1
    assert (
        "INC-000001 is resolved: cannot acknowledge it (only from open)" in capsys.readouterr().err
    )


def test_steps_on_a_missing_database_fail_without_creating_it(db, capsys, tmp_path):
    assert _run("--db", db, "ack", "1", "--owner", "a") == 1
    assert _run("--db", db, "show", "1") == 1
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--limit", "0"],
        ["--limit", "5000"],
        ["--offset", "-1"],
        ["--status", "closed"],
        ["--since", "yesterday"],
        ["frobnicate"],
        ["ack", "1"],  # --owner is required
        ["resolve", "1", "--by", "a"],  # --reason is required
    ],
)
def test_usage_errors_exit_2(seeded, capsys, argv):
    with pytest.raises(SystemExit) as exc:
        _run("--db", seeded, *argv)
    assert exc.value.code == 2


def test_each_step_is_appended_to_the_audit_trail(seeded, capsys):
    AuditLog.open(seeded).close()  # this database keeps an audit trail
    assert _run("--db", seeded, "ack", "1", "--owner", "alice") == 0
    assert _run("--db", seeded, "resolve", "1", "--by", "alice", "--reason", "fixed") == 0
    log = AuditLog.open(seeded)
    try:
        records = [r.decode() for r in log.records()]
    finally:
        log.close()
    assert [r.kind for r in records] == ["incident", "incident"]
    ack, resolve = (r.body for r in records)
    assert (ack["incident"], ack["action"], ack["actor"]) == ("INC-000001", "acknowledged", "alice")
    assert ack["changes"]["status"] == {"from": "open", "to": "acknowledged"}
    assert (resolve["action"], resolve["detail"]) == ("resolved", "fixed")
    assert "audit record 1" in capsys.readouterr().err


def test_no_audit_trail_no_audit_tables(seeded):
    assert _run("--db", seeded, "ack", "1", "--owner", "alice") == 0
    store = IncidentStore.open(seeded)
    names = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    store.close()
    assert "audit_records" not in names


def test_control_characters_from_traffic_are_escaped(db, capsys):
    store = IncidentStore.open(db)
    store.record(IncidentEvent("evil\x1b[2J\x07", "chat", "jailbreak", Severity.HIGH, at=NOW))
    store.close()
    assert _run("--db", db) == 0
    assert _run("--db", db, "show", "1") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "evil\\x1b[2J\\x07" in out


def test_stats(seeded, capsys):
    assert _run("--db", seeded, "ack", "1", "--owner", "a") == 0
    assert _run("--db", seeded, "resolve", "2", "--by", "a", "--reason", "done") == 0
    capsys.readouterr()
    assert _run("--db", seeded, "stats", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 3
    assert data["by_status"] == {"acknowledged": 1, "open": 1, "resolved": 1}
    assert data["time_to_acknowledge"]["count"] == 1
    assert data["time_to_resolve"]["count"] == 1
    assert data["time_to_acknowledge"]["mean_s"] >= 600 - 5  # opened ten minutes ago
    assert _run("--db", seeded, "stats") == 0
    out = capsys.readouterr().out
    assert "incidents: 3" in out
    assert "time to acknowledge: mean" in out
