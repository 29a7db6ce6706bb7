"""``wardgate demo``: everything starts on loopback, traffic flows, the console has data."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import pytest

from wardgate.cli import demo
from wardgate.console.accounts import AccountStore


def test_the_demo_fills_the_console(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="wardgate")
    demo.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "demo",
            "--port",
            "0",
            "--console-port",
            "0",
            "--dir",
            str(tmp_path),
            "--burst",
            "80",
            "--rate",
            "0",
            "--duration",
            "4",
            "--password",
            "demo-password-123",
        ]
    )
    assert demo.run(args) == 0
    out = capsys.readouterr().out
    assert "sign in as admin / demo-password-123" in out
    assert "replayed 80 calls" in out
    index = sqlite3.connect(tmp_path / "wardgate.db-console.db")
    calls, flagged = index.execute(
        "SELECT COUNT(*), SUM(finding_count > 0) FROM ix_exchanges"
    ).fetchone()
    routes = {r[0] for r in index.execute("SELECT DISTINCT route FROM ix_exchanges")}
    index.close()
    assert calls >= 70
    assert flagged > 0
    assert {"openai", "internal"} <= routes
    accounts = AccountStore.open(tmp_path / "wardgate.db")
    assert accounts.authenticate("admin", "demo-password-123") is not None
    accounts.close()
