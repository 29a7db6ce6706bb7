import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest

from wardgate.cli import keys as cli
from wardgate.policy import keys as keyfmt
from wardgate.policy.identity import Authenticator
from wardgate.storage.keys import KeyStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardgate")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(*argv: str) -> int:
    return cli.run(_parser().parse_args(["keys", *argv]))


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv(cli.DB_ENV, raising=False)
    monkeypatch.delenv(keyfmt.PEPPER_ENV, raising=False)
    return str(tmp_path / "k.db")


def test_create_prints_the_secret_once_with_a_warning(db, capsys):
    assert _run("create", "--name", "ci", "--group", "eng", "--group", "ops", "--db", db) == 0
    out, err = capsys.readouterr()
    full = out.strip()
    key_id, _ = keyfmt.parse_key(full)
    assert "cannot be shown again" in err
    assert full not in err
    ident = Authenticator(KeyStore.open(db), None).authenticate([("x-api-key", full)]).identity
    assert (ident.subject, ident.groups, ident.key_id) == ("ci", ("eng", "ops"), key_id)


def test_create_json(db, capsys):
    argv = ["create", "--name", "n", "--tenant", "t", "--scope", "chat", "--db", db, "--json"]
    assert _run(*argv, "--expires-in", "12h") == 0
    data = json.loads(capsys.readouterr().out)
    assert keyfmt.parse_key(data["secret"])[0] == data["key"]["key_id"]
    assert data["key"]["tenant"] == "t"
    assert data["key"]["scopes"] == ["chat"]
    expires = datetime.fromisoformat(data["key"]["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=12))) < timedelta(minutes=1)
    assert "secret_hash" not in data["key"]


def test_list_never_shows_secrets(db, capsys):
    _run("create", "--name", "a", "--db", db)
    full = capsys.readouterr().out.strip()
    key_id, secret = keyfmt.parse_key(full)
    assert _run("list", "--db", db) == 0
    table = capsys.readouterr().out
    assert key_id in table
    assert "active" in table
    assert secret not in table
    assert _run("list", "--db", db, "--json") == 0
    listed = capsys.readouterr().out
    assert secret not in listed
    assert "sha256" not in listed
    assert [r["key_id"] for r in json.loads(listed)] == [key_id]


def test_list_of_missing_database_creates_nothing(tmp_path, capsys):
    path = tmp_path / "none.db"
    assert _run("list", "--db", str(path), "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not path.exists()


def test_revoke(db, capsys):
    _run("create", "--name", "a", "--db", db)
    full = capsys.readouterr().out.strip()
    key_id, _ = keyfmt.parse_key(full)
    assert _run("revoke", key_id, "--db", db) == 0
    assert key_id in capsys.readouterr().out
    _run("list", "--db", db)
    assert "revoked" in capsys.readouterr().out


def test_revoke_accepts_a_pasted_full_key_without_echoing_it(db, capsys):
    _run("create", "--name", "a", "--db", db)
    full = capsys.readouterr().out.strip()
    assert _run("revoke", full, "--db", db) == 0
    out, err = capsys.readouterr()
    assert full not in out + err
    assert KeyStore.open(db).get(keyfmt.parse_key(full)[0]).revoked


@pytest.mark.parametrize("key_id", ["aaaaaaaaaaaa", "wg_" + "a" * 12 + "_" + "b" * 52])
def test_revoke_unknown_exits_1(db, capsys, key_id):
    _run("create", "--name", "a", "--db", db)
    capsys.readouterr()
    assert _run("revoke", key_id, "--db", db) == 1
    out, err = capsys.readouterr()
    assert "no key" in err
    assert key_id not in out + err


def test_revoke_with_no_database_exits_1(tmp_path, capsys):
    assert _run("revoke", "aaaaaaaaaaaa", "--db", str(tmp_path / "none.db")) == 1
    assert not (tmp_path / "none.db").exists()


def test_database_from_environment_then_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(cli.DB_ENV, raising=False)
    assert cli.database_path(None) == cli.database_path("") == type(tmp_path)("wardgate.db")
    monkeypatch.setenv(cli.DB_ENV, str(tmp_path / "env.db"))
    assert _run("create", "--name", "a") == 0
    assert (tmp_path / "env.db").exists()
    assert not (tmp_path / "wardgate.db").exists()
    assert cli.database_path("x.db").name == "x.db"


def test_pepper_from_environment_is_used(db, monkeypatch, capsys):
    monkeypatch.setenv(keyfmt.PEPPER_ENV, "pep")
    _run("create", "--name", "a", "--db", db)
    full = capsys.readouterr().out.strip()
    peppered = KeyStore.open(db, pepper=b"pep")
    assert Authenticator(peppered, None).authenticate([("x-api-key", full)]).identity
    assert peppered.list()[0].secret_hash.startswith("hmac-sha256$")


@pytest.mark.parametrize(
    ("text", "delta"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("90m", timedelta(minutes=90))],
)
def test_parse_duration(text, delta):
    assert cli.parse_duration(text) == delta


@pytest.mark.parametrize("text", ["", "0d", "-1d", "10", "1y", "1.5h", "d", "4000d", "1 d"])
def test_parse_duration_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError):
        cli.parse_duration(text)


def test_bad_expires_in_is_a_usage_error(db):
    with pytest.raises(SystemExit) as info:
        _run("create", "--name", "a", "--expires-in", "soon", "--db", db)
    assert info.value.code == 2


def test_bad_name_is_a_usage_error(db, capsys):
    assert _run("create", "--name", "", "--db", db) == 2
    assert "name" in capsys.readouterr().err


def test_create_requires_a_name(db):
    with pytest.raises(SystemExit):
        _run("create", "--db", db)


def test_key_changes_go_to_the_audit_trail_without_the_secret(db, capsys):
    from wardgate.audit.log import AuditLog

    _run("create", "--name", "ci-bot", "--group", "eng", "--db", db)
    secret = capsys.readouterr().out.strip()
    key_id, _ = keyfmt.parse_key(secret)
    assert _run("revoke", key_id, "--db", db) == 0
    log = AuditLog.open(db)
    try:
        records = [json.loads(r.data) for r in log.records()]
    finally:
        log.close()
    assert [(r["kind"], r["body"]["event"], r["body"]["key_id"]) for r in records] == [
        ("key", "create", key_id),
        ("key", "revoke", key_id),
    ]
    assert records[0]["body"]["groups"] == ["eng"]
    raw = json.dumps(records)
    assert secret not in raw
    assert secret.rsplit("_", 1)[-1] not in raw
