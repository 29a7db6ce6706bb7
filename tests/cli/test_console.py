"""``wardgate console``: accounts and API tokens from the command line, each change audited."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from wardgate.audit.log import AuditLog
from wardgate.cli import console
from wardgate.console.accounts import AccountStore


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="wardgate")
    console.add_parser(parser.add_subparsers(dest="command", required=True))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return console.run(parser.parse_args(argv))


def test_add_prints_a_password_once_and_it_signs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "w.db")
    assert run(["console", "user", "add", "maria", "--role", "admin", "--db", db], monkeypatch) == 0
    out = capsys.readouterr()
    password = out.out.strip()
    assert len(password) >= 20
    assert "cannot be shown again" in out.err
    store = AccountStore.open(db)
    assert store.authenticate("maria", password) is not None
    store.close()
    log = AuditLog.open(db)
    bodies = [r.decode().body for r in log.records()]
    log.close()
    assert bodies[-1]["event"] == "user-add"
    assert bodies[-1]["role"] == "admin"
    assert password not in json.dumps(bodies)


def test_password_from_stdin_list_passwd_and_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "w.db")
    assert (
        run(
            ["console", "user", "add", "li", "--role", "analyst", "--password-stdin", "--db", db],
            monkeypatch,
            "a-long-password-1\n",
        )
        == 0
    )
    assert capsys.readouterr().out == ""  # a given password is not echoed
    assert (
        run(
            ["console", "user", "add", "li", "--password-stdin", "--db", db],
            monkeypatch,
            "a-long-password-1\n",
        )
        == 2
    )
    assert (
        run(
            ["console", "user", "add", "bo", "--password-stdin", "--db", db], monkeypatch, "short\n"
        )
        == 2
    )
    capsys.readouterr()
    assert run(["console", "user", "list", "--json", "--db", db], monkeypatch) == 0
    assert [u["name"] for u in json.loads(capsys.readouterr().out)] == ["li"]
    assert run(["console", "user", "passwd", "li", "--db", db], monkeypatch) == 0
    new = capsys.readouterr().out.strip()
    store = AccountStore.open(db)
    assert store.authenticate("li", new) is not None
    assert store.authenticate("li", "a-long-password-1") is None
    store.close()
    assert run(["console", "user", "remove", "li", "--db", db], monkeypatch) == 0
    assert run(["console", "user", "remove", "li", "--db", db], monkeypatch) == 1


def test_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "w.db")
    run(["console", "user", "add", "ops", "--db", db], monkeypatch)
    capsys.readouterr()
    assert (
        run(
            ["console", "token", "create", "--user", "ops", "--label", "siem", "--db", db],
            monkeypatch,
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    assert token.startswith("wgc_")
    store = AccountStore.open(db)
    user = store.token_user(token)
    store.close()
    assert user is not None
    assert user.name == "ops"
    assert run(["console", "token", "list", "--json", "--db", db], monkeypatch) == 0
    listed = json.loads(capsys.readouterr().out)
    assert token not in json.dumps(listed)
    assert run(["console", "token", "revoke", listed[0]["token_id"], "--db", db], monkeypatch) == 0
    assert run(["console", "token", "revoke", "nope", "--db", db], monkeypatch) == 1
    assert (
        run(
            ["console", "token", "create", "--user", "ghost", "--label", "x", "--db", db],
            monkeypatch,
        )
        == 2
    )


def test_commands_on_a_missing_database_fail_without_creating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "none.db"
    assert run(["console", "user", "list", "--db", str(db)], monkeypatch) == 1
    assert not db.exists()
