from __future__ import annotations

import argparse
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from wardgate.audit import merkle
from wardgate.audit.log import AuditLog
from wardgate.audit.signing import load_public_key, verify_checkpoint
from wardgate.cli import audit as cli
from wardgate.cli import keys as keys_cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardgate")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(*argv: str) -> int:
    return cli.run(_parser().parse_args(["audit", *argv]))


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(keys_cli.DB_ENV, raising=False)
    path = tmp_path / "w.db"
    log = AuditLog.open(path)
    log.append_many([("decision", {"i": i, "verdict": "allow"}) for i in range(6)])
    log.close()
    return path


@pytest.fixture
def key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "audit.key"
    assert _run("keygen", "--out", str(path)) == 0
    capsys.readouterr()
    return path


def test_keygen_writes_a_private_key_0600_and_a_public_key(tmp_path, capsys) -> None:
    path = tmp_path / "k"
    assert _run("keygen", "--out", str(path)) == 0
    assert capsys.readouterr().out.strip() == f"{path}.pub"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PUBLIC KEY" in Path(f"{path}.pub").read_bytes()
    assert _run("keygen", "--out", str(path)) == 2  # never overwrites a key
    assert "refusing to overwrite" in capsys.readouterr().err


def test_checkpoint_export_and_verify(db, key, tmp_path, capsys) -> None:
    note_file = tmp_path / "cp.txt"
    assert _run("checkpoint", "--key", str(key), "--db", str(db), "--export", str(note_file)) == 0
    note = capsys.readouterr().out
    assert note == note_file.read_text()
    assert verify_checkpoint(note, [load_public_key(f"{key}.pub")]).size == 6

    bundle = tmp_path / "b.json"
    assert _run("export", "--out", str(bundle), "--db", str(db)) == 0
    assert "exported 6 records and 1 checkpoints" in capsys.readouterr().err
    assert _run("verify", str(bundle), "--public-key", f"{key}.pub") == 0
    assert capsys.readouterr().out.startswith("OK")
    assert _run("verify", "--public-key", f"{key}.pub", "--db", str(db), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["verified_size"], report["problems"]) == (True, 6, [])


def test_verify_exits_1_and_names_each_problem(db, key, capsys) -> None:
    assert _run("checkpoint", "--key", str(key), "--db", str(db)) == 0
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM audit_records WHERE seq = 2")
        data = conn.execute("SELECT record FROM audit_records WHERE seq = 4").fetchone()[0]
        conn.execute(
            "UPDATE audit_records SET record = ? WHERE seq = 4", (data.replace(b"allow", b"block"),)
        )
    conn.close()
    capsys.readouterr()
    assert _run("verify", "--public-key", f"{key}.pub", "--db", str(db)) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED")
    assert "[record-removed] record 2 is missing" in out
    assert "[record-changed] record 4" in out
    assert _run("verify", "--public-key", f"{key}.pub", "--db", str(db), "--json") == 1
    kinds = {p["kind"] for p in json.loads(capsys.readouterr().out)["problems"]}
    assert kinds == {"record-removed", "record-changed"}


def test_proof_prints_a_verifiable_inclusion_proof(db, key, capsys) -> None:
    assert _run("checkpoint", "--key", str(key), "--db", str(db)) == 0
    log = AuditLog.open(db)
    log.append("decision", {"i": 6})  # beyond the checkpoint: proof defaults to its size
    log.close()
    capsys.readouterr()
    assert _run("proof", "3", "--db", str(db)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tree_size"] == 6
    assert out["verifies"] is True
    assert out["matches_checkpoint"] is True
    proof = [bytes.fromhex(h) for h in out["proof"]]
    leaf = merkle.leaf_hash(out["record"].encode())
    assert merkle.verify_inclusion(leaf, 3, 6, proof, bytes.fromhex(out["root"]))
    assert _run("proof", "6", "--db", str(db)) == 0
    assert json.loads(capsys.readouterr().out)["tree_size"] == 7
    assert _run("proof", "2", "--size", "5", "--db", str(db)) == 0
    assert json.loads(capsys.readouterr().out)["checkpoint"] is None


@pytest.mark.parametrize(
    "argv",
    [
        ("proof", "99"),
        ("proof", "-1"),
        ("proof", "3", "--size", "3"),
        ("proof", "3", "--size", "100"),
        ("checkpoint", "--key", "/nonexistent/key"),
        ("verify", "--public-key", "/nonexistent/key.pub"),
    ],
)
def test_usage_errors_exit_2(db, argv, capsys) -> None:
    assert _run(*argv, "--db", str(db)) == 2
    assert capsys.readouterr().err.startswith("wardgate audit")


def test_missing_database_is_a_usage_error(tmp_path, key, capsys) -> None:
    missing = str(tmp_path / "none.db")
    assert _run("checkpoint", "--key", str(key), "--db", missing) == 2
    assert _run("export", "--out", str(tmp_path / "b.json"), "--db", missing) == 2
    assert _run("verify", "--public-key", f"{key}.pub", "--db", missing) == 2
    assert not Path(missing).exists()
    assert "no database" in capsys.readouterr().err


def test_wrong_key_files_are_usage_errors(db, key, tmp_path, capsys) -> None:
    assert _run("checkpoint", "--key", f"{key}.pub", "--db", str(db)) == 2
    assert "not an unencrypted Ed25519 private key" in capsys.readouterr().err
    assert _run("verify", "--public-key", str(key), "--db", str(db)) == 2
    assert "give the .pub file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    assert _run("verify", str(bad), "--public-key", f"{key}.pub") == 2


def test_db_defaults_to_the_environment(db, key, monkeypatch, capsys) -> None:
    monkeypatch.setenv(keys_cli.DB_ENV, str(db))
    assert _run("checkpoint", "--key", str(key)) == 0
    assert capsys.readouterr().out.splitlines()[1] == "6"


def test_argparse_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["audit", "verify"])  # --public-key is required
    assert exc.value.code == 2
