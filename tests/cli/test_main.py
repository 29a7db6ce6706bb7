import json
import subprocess
import sys

import pytest

from wardgate.cli.main import main


def test_scan_text_prints_a_verdict(capsys):
    assert main(["scan", "What is the capital of France?"]) == 0
    assert capsys.readouterr().out.startswith("clean")


def test_scan_text_as_json(capsys):
    assert main(["scan", "--json", "hello"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"score", "flagged", "categories", "findings", "latency_ms"}


def test_jsonl_contract_keeps_order_and_skips_bad_lines(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b'{"text": "hello there"}\n'
        b"not json at all\n"
        b'{"text": "summarise the page", "kind": "document"}\n'
        b'{"no_text": 1}\n'
        b'{"text": "invalid \xff\xfe utf-8 kept"}\n'
        b'{"text": "x", "kind": "weird"}\n'
    )
    dst = tmp_path / "out.jsonl"
    assert main(["scan", "--jsonl", str(src), "--out", str(dst), "--no-progress"]) == 0
    rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert len(rows) == 6
    for i in (0, 2, 4):
        assert isinstance(rows[i]["score"], float)
        assert isinstance(rows[i]["flagged"], bool)
        assert isinstance(rows[i]["latency_ms"], float)
        assert {"categories", "findings"} <= set(rows[i])
    assert rows[2]["kind"] == "document"
    for i in (1, 3, 5):
        assert rows[i]["line"] == i + 1
        assert rows[i]["error"]
    err = capsys.readouterr().err
    assert "line 2" in err
    assert "3 of 6 lines skipped" in err


def test_unreadable_input_exits_non_zero_with_a_message(tmp_path, capsys):
    assert main(["scan", "--jsonl", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_config_is_a_clear_error(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("detectors:\n  no_such_detector: {}\n")
    assert main(["scan", "--config", str(cfg), "hi"]) == 2
    assert "unknown detector" in capsys.readouterr().err


def test_config_options_are_validated(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("threshold: 2\n")
    assert main(["scan", "--config", str(cfg), "hi"]) == 2
    assert "threshold" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["detectors"], ["--version"]])
def test_module_entry_point(args):
    proc = subprocess.run(
        [sys.executable, "-m", "wardgate", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.strip()
