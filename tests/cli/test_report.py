import argparse
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.compliance.store import T0, config, decision, write_log
from wardgate.audit.signing import generate_private_key, save_public_key
from wardgate.cli import keys as keys_cli
from wardgate.cli import report as cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardgate")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(*argv: str) -> int:
    return cli.run(_parser().parse_args(["report", *argv]))


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv(keys_cli.DB_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no docs/benchmarks.md here
    signer = generate_private_key()
    save_public_key(signer.public_key(), tmp_path / "audit.pub")
    batches = [(T0, [config(), decision()]), (T0 + timedelta(days=1), [decision(auth="missing")])]
    return str(write_log(tmp_path / "w.db", batches, checkpoint_with=signer))


@pytest.mark.parametrize(
    ("fmt", "head"),
    [
        ("html", b"<!DOCTYPE html>"),
        ("pdf", b"%PDF-"),
        ("json", b"{"),
        ("aiverify", b"{"),
        ("cyclonedx", b"{"),
    ],
)
def test_every_format_is_written(db, tmp_path, capsys, fmt, head):
    out = tmp_path / f"report.{fmt}"
    assert _run("--format", fmt, "--out", str(out), "--db", db) == 0
    assert out.read_bytes().startswith(head)
    err = capsys.readouterr().err
    assert f"({fmt})" in err
    assert "log not verified" in err


def test_window_key_and_stdout(db, capsys):
    argv = ["--format", "json", "--out", "-", "--db", db, "--public-key", "audit.pub"]
    assert _run(*argv, "--since", "2026-03-03", "--until", "2026-03-04T00:00:00+08:00") == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["window"] == {
        "since": "2026-03-03T00:00:00.000Z",
        "until": "2026-03-03T16:00:00.000Z",
    }
    assert data["evidence"]["decisions"]["total"] == 1
    assert data["evidence"]["checkpoints"]["verified"] is True
    assert "log verified" in captured.err


def test_benchmarks_default_and_opt_out(db, tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "benchmarks.md").write_text(
        "## A\n\n| criterion | target | measured |\n|---|---|---|\n| recall | ≥ 90% | 91% |\n"
    )
    assert _run("--format", "json", "--out", "-", "--db", db) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["evidence"]["benchmarks"]["items"][0]["measured"] == "91%"
    assert _run("--format", "json", "--out", "-", "--db", db, "--no-benchmarks") == 0
    assert json.loads(capsys.readouterr().out)["evidence"]["benchmarks"] is None


def test_database_from_the_environment(db, monkeypatch, tmp_path):
    monkeypatch.setenv(keys_cli.DB_ENV, db)
    assert _run("--format", "json", "--out", str(tmp_path / "r.json")) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--db", "absent.db"], "no database"),
        (["--since", "2026-03-04", "--until", "2026-03-03"], "before"),
        (["--public-key", "absent.pub"], "no public key"),
        (["--public-key", "w.db"], "cannot read an input"),
        (["--benchmarks", "absent.md"], "no benchmark page"),
    ],
)
def test_usage_errors(db, capsys, extra, message):
    argv = ["--format", "json", "--out", "r.json"]
    if "--db" not in extra:
        argv += ["--db", db]
    assert _run(*argv, *extra) == 2
    assert message in capsys.readouterr().err


def test_unwritable_output_fails(db, tmp_path, capsys):
    assert _run("--out", str(tmp_path / "missing-dir" / "r.html"), "--db", db) == 1
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T12:30:00Z", datetime(2026, 3, 1, 12, 30, tzinfo=UTC)),
        (
            "2026-03-01T12:30+08:00",
            datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=8))),
        ),
    ],
)
def test_parse_when(text, expected):
    assert cli.parse_when(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", ""])
def test_parse_when_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError):
        cli.parse_when(text)


def test_bad_date_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["report", "--out", "x", "--since", "soon"])
    assert exc.value.code == 2
