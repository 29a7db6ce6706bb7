import argparse
import json

import pytest

from tests.ai_inventory.scan.builders import FAKE_OPENAI_KEY, sample_tree, write
from wardgate.ai_inventory.bom import validate_bom
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


def test_scan_writes_a_valid_ai_bom(repo, tmp_path, capsys):
    bom_path = tmp_path / "bom.json"
    assert _run("scan", str(repo), "--no-progress", "--bom-out", str(bom_path)) == 0
    capsys.readouterr()
    bom = json.loads(bom_path.read_text())
    assert validate_bom(bom) == []
    names = {c["name"] for c in bom["components"] if c["type"] == "machine-learning-model"}
    assert {"gpt-4o-mini", "gpt-4o", "llama3.1:8b", "tiny-llama", "evil"} <= names
    assert FAKE_OPENAI_KEY not in bom_path.read_text()
    assert not (tmp_path / "wardgate.db").exists()  # no --db: nothing stored


def test_scan_db_list_bom_and_diff(repo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "w.db")
    approved = tmp_path / "approved.yaml"
    approved.write_text("approved:\n  - {provider: openai, model: 'gpt-4o*'}\n")
    assert _run("scan", str(repo), "--no-progress", "--db", db, "--approved", str(approved)) == 0
    capsys.readouterr()

    assert _run("list", "--db", db, "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == len(listed["models"]) == 12
    assert all(m["sources"] == ["code"] for m in listed["models"])

    assert _run("list", "--db", db, "--deployment", "open_source", "--json") == 0
    assert [m["model"] for m in json.loads(capsys.readouterr().out)["models"]] == ["llama3.1:8b"]

    assert _run("list", "--db", db, "--unapproved", "--provider", "openai", "--json") == 0
    shadow = {m["model"] for m in json.loads(capsys.readouterr().out)["models"]}
    assert shadow == {"text-embedding-3-small", "gpt-4.1-mini"}

    assert _run("list", "--db", db, "--limit", "2") == 0
    table = capsys.readouterr().out
    assert table.startswith("AI models: 2 of 12")
    assert "PROVIDER" in table
    assert "APPROVED" in table

    old = tmp_path / "old.json"
    assert _run("bom", "--out", str(old), "--db", db) == 0
    assert "12 models" in capsys.readouterr().err
    assert validate_bom(old.read_text()) == []
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text("- {provider: openai, model: gpt-4o-mini}\n")
    new = tmp_path / "new.json"
    assert _run("bom", "--out", str(new), "--approved", str(stricter)) == 2  # default db missing
    assert "no such database" in capsys.readouterr().err
    monkeypatch.setenv("WARDGATE_DB", db)
    assert _run("bom", "--out", str(new), "--approved", str(stricter)) == 0
    capsys.readouterr()

    assert _run("diff", str(old), str(old)) == 0
    assert capsys.readouterr().out.strip() == "no model changes"
    assert _run("diff", str(old), str(new), "--json") == 1
    changes = json.loads(capsys.readouterr().out)["changed"]
    assert {(c["name"], c["field"], c["old"], c["new"]) for c in changes} == {
        ("gpt-4o", "approved", "true", "false"),
    }
    assert _run("diff", str(old), str(new)) == 1
    assert "~ openai/gpt-4o: approved true -> false" in capsys.readouterr().out


def test_list_approved_judges_and_stores(repo, tmp_path, capsys):
    db = str(tmp_path / "w.db")
    assert _run("scan", str(repo), "--no-progress", "--db", db) == 0
    capsys.readouterr()
    assert _run("list", "--db", db, "--unapproved", "--json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0  # never judged
    approved = tmp_path / "approved.yaml"
    approved.write_text("- {model: 'gpt-*'}\n")
    assert _run("list", "--db", db, "--unapproved", "--approved", str(approved), "--json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 9  # 12 models, 3 named gpt-*
    assert _run("list", "--db", db, "--unapproved", "--json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 9  # the judgement was stored


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("list", "--db", "{tmp}/missing.db"), "no such database"),
        (("bom", "--out", "{tmp}/b.json", "--db", "{tmp}/missing.db"), "no such database"),
        (("diff", "{tmp}/missing.json", "{tmp}/missing.json"), "cannot read"),
        (("diff", "{tmp}/plain.txt", "{tmp}/plain.txt"), "CycloneDX JSON"),
        (("scan", "{tmp}", "--no-progress", "--approved", "{tmp}/plain.txt"), "allowlist"),
    ],
)
def test_usage_errors(tmp_path, capsys, argv, message):
    (tmp_path / "plain.txt").write_text("approved: [\n")
    assert _run(*(a.format(tmp=tmp_path) for a in argv)) == 2
    assert message in capsys.readouterr().err


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
