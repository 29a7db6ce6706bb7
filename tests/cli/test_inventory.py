import argparse
import json

import pytest

from tests.ai_inventory.scan.builders import FAKE_OPENAI_KEY, sample_tree, write
from wardgate.cli import inventory as cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardgate")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(*argv: str) -> int:
    return cli.run(_parser().parse_args(["inventory", *argv]))


@pytest.fixture
def repo(tmp_path):
    return sample_tree(tmp_path / "repo", tmp_path / "pwned")


def test_table_output(repo, capsys):
    assert _run("scan", str(repo), "--no-progress") == 0
    out, err = capsys.readouterr()
    assert "AI SDKs and frameworks:" in out
    assert "langchain4j" in out
    assert "dev.langchain4j:langchain4j-open-ai" in out
    assert "claude-3-5-sonnet-20241022" in out
    assert "sk-proj-…" in out
    assert "DANGEROUS: " in out
    assert "models/evil.pkl" in out
    assert FAKE_OPENAI_KEY not in out + err
    assert "wardgate inventory:" in err
    assert "model ids" in err


def test_json_and_out_file(repo, tmp_path, capsys):
    target = tmp_path / "report.json"
    assert _run("scan", str(repo), "--json", "--out", str(target), "--no-progress") == 0
    printed = json.loads(capsys.readouterr().out)
    written = json.loads(target.read_text())
    assert printed["summary"] == written["summary"]
    assert printed["summary"]["critical_artefacts"] == 2
    assert {a["path"] for a in printed["artefacts"] if a["dangerous"]} == {
        "models/evil.pkl",
        "models/checkpoint.pt",
    }
    assert FAKE_OPENAI_KEY not in target.read_text()


def test_exclude_and_strict(repo, capsys):
    assert _run("scan", str(repo), "--strict", "--no-progress") == 1
    capsys.readouterr()
    clean = ["--exclude", "models", "--exclude", "py-app/app"]
    assert _run("scan", str(repo), "--strict", "--no-progress", "--json", *clean) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["artefacts"] == []
    assert data["keys"] == []


def test_no_default_excludes(repo, capsys):
    assert _run("scan", str(repo), "--json", "--no-progress", "--no-default-excludes") == 0
    data = json.loads(capsys.readouterr().out)
    assert any(s["path"].startswith("node_modules/") for s in data["sdks"])


def test_bom_out_is_not_available_yet(repo, tmp_path, capsys):
    assert _run("scan", str(repo), "--bom-out", str(tmp_path / "bom.json")) == 2
    assert "BOM export not available yet" in capsys.readouterr().err
    assert not (tmp_path / "bom.json").exists()


def test_missing_path_is_a_usage_error(tmp_path, capsys):
    assert _run("scan", str(tmp_path / "nope"), "--no-progress") == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_invalid_max_text_bytes_is_rejected(tmp_path):
    with pytest.raises(SystemExit):
        _parser().parse_args(["inventory", "scan", str(tmp_path), "--max-text-bytes", "0"])


def test_control_characters_in_names_are_not_printed(tmp_path, capsys):
    write(tmp_path / "evil\x1b[31m.py", 'model = "gpt-4o"\n')
    assert _run("scan", str(tmp_path), "--no-progress") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "evil?[31m.py:1" in out
