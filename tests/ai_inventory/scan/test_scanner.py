import json

import pytest

from tests.ai_inventory.scan.builders import FAKE_OPENAI_KEY, sample_tree, write
from wardgate.ai_inventory.scan import DEFAULT_EXCLUDES, scan_tree
from wardgate.ai_inventory.scan import scanner as scanner_module


@pytest.fixture
def tree(tmp_path):
    marker = tmp_path / "pwned"
    root = sample_tree(tmp_path / "repo", marker)
    return root, marker


def test_sample_monorepo(tree):
    root, marker = tree
    calls = []
    report = scan_tree(root, progress=calls.append)

    sdks = {(s.path, s.library, s.package, s.version_spec, s.source) for s in report.sdks}
    assert {
        ("py-app/requirements.txt", "openai", "openai", ">=1.40,<2", "manifest"),
        ("py-app/requirements.txt", "anthropic", "anthropic", "==0.34.2", "manifest"),
        ("py-app/pyproject.toml", "litellm", "litellm", ">=1.0", "manifest"),
        ("py-app/pyproject.toml", "transformers", "transformers", ">=4.44", "manifest"),
        ("py-app/app/main.py", "openai", "openai", None, "import"),
        ("py-app/app/main.py", "anthropic", "anthropic", None, "import"),
        ("ts-app/package.json", "openai", "openai", "^4.52.0", "manifest"),
        ("ts-app/package.json", "anthropic", "@anthropic-ai/sdk", "^0.24.0", "manifest"),
        ("ts-app/package.json", "langchain", "@langchain/openai", "^0.2.0", "manifest"),
        ("ts-app/src/index.ts", "langchain", "@langchain/openai", None, "import"),
        ("java-app/pom.xml", "openai", "com.openai:openai-java", "0.8.0", "manifest"),
        (
            "java-app/pom.xml",
            "langchain4j",
            "dev.langchain4j:langchain4j-open-ai",
            "0.35.0",
            "manifest",
        ),
        (
            "java-app/src/main/java/App.java",
            "openai",
            "com.openai.client.OpenAIClient",
            None,
            "import",
        ),
        ("go-app/go.mod", "go-openai", "github.com/sashabaranov/go-openai", "v1.29.0", "manifest"),
        ("go-app/main.go", "go-openai", "github.com/sashabaranov/go-openai", None, "import"),
    } <= sdks
    assert not any("node_modules" in s.path or "requests" in s.package for s in report.sdks)

    models = {(m.path, m.line, m.model_id, m.provider) for m in report.models}
    assert models == {
        ("py-app/app/main.py", 7, "gpt-4o-mini", "openai"),
        ("py-app/app/main.py", 8, "claude-3-5-sonnet-20241022", "anthropic"),
        ("py-app/config/settings.yaml", 2, "gemini-2.0-flash", "google"),
        ("ts-app/src/index.ts", 6, "gpt-4.1-mini", "openai"),
        ("ts-app/src/index.ts", 7, "text-embedding-3-small", "openai"),
        ("java-app/src/main/java/App.java", 8, "gpt-4o", "openai"),
        ("go-app/main.go", 8, "llama3.1:8b", "meta"),
    }

    assert [(k.path, k.line, k.provider) for k in report.keys] == [
        ("py-app/app/main.py", 5, "openai")
    ]

    artefacts = {a.path: a for a in report.artefacts}
    assert set(artefacts) == {
        "models/tiny.gguf",
        "models/encoder.safetensors",
        "models/benign.pkl",
        "models/evil.pkl",
        "models/checkpoint.pt",
    }
    assert artefacts["models/tiny.gguf"].metadata["architecture"] == "llama"
    assert artefacts["models/encoder.safetensors"].metadata["metadata"] == {"format": "pt"}
    assert not artefacts["models/benign.pkl"].dangerous
    assert artefacts["models/evil.pkl"].severity == "critical"
    assert artefacts["models/checkpoint.pt"].severity == "critical"
    assert all(len(a.sha256 or "") == 64 for a in artefacts.values())
    assert not marker.exists()

    assert sum(calls) == report.files_seen == report.files_scanned + report.files_skipped
    assert report.issues == []
    summary = report.summary()
    assert summary["dangerous_artefacts"] == 2
    assert summary["keys"] == 1


def test_report_never_contains_the_raw_key(tree):
    root, _ = tree
    text = json.dumps(scan_tree(root).to_dict())
    assert FAKE_OPENAI_KEY not in text
    assert FAKE_OPENAI_KEY[8:30] not in text


def test_excludes_are_configurable(tree):
    root, _ = tree
    report = scan_tree(root, exclude=[*DEFAULT_EXCLUDES, "models", "*.ts"])
    assert report.artefacts == []
    assert not any(m.path.endswith(".ts") for m in report.models)
    everything = scan_tree(root, exclude=[])
    assert any(s.path.startswith("node_modules/") for s in everything.sdks)


def test_large_text_files_are_scanned_in_their_first_bytes(tmp_path):
    write(
        tmp_path / "big.py",
        'a = "gpt-4o"\n' + "# filler\n" * 2000 + 'b = "claude-3-opus-20240229"\n',
    )
    report = scan_tree(tmp_path, max_text_bytes=4096)
    assert [m.model_id for m in report.models] == ["gpt-4o"]
    assert [(i.path, i.kind) for i in report.issues] == [("big.py", "truncated")]
    assert "4096" in report.issues[0].message


def test_bad_files_become_issues_not_exceptions(tmp_path, monkeypatch):
    write(tmp_path / "latin1.py", b'model = "gpt-4o"  # caf\xe9\n')
    write(tmp_path / "blob.json", b"\x00\x01\x02binary")
    write(tmp_path / "broken/package.json", "{not json")
    write(tmp_path / "gone.py", "x = 1\n")
    write(tmp_path / "boom.py", "y = 2\n")
    real = scanner_module.read_prefix

    def read_prefix(path, limit):
        if path.name == "gone.py":
            raise PermissionError(13, "Permission denied")
        if path.name == "boom.py":
            raise RuntimeError("content that must not leak")
        return real(path, limit)

    monkeypatch.setattr(scanner_module, "read_prefix", read_prefix)
    report = scan_tree(tmp_path)
    issues = {(i.path, i.kind): i.message for i in report.issues}
    assert issues[("latin1.py", "decode")].startswith("invalid UTF-8")
    assert ("blob.json", "binary") in issues
    assert issues[("broken/package.json", "parse")] == "invalid JSON"
    assert issues[("gone.py", "read")] == "Permission denied"
    assert issues[("boom.py", "internal")] == "scanner error (RuntimeError)"
    assert [m.model_id for m in report.models] == ["gpt-4o"]  # the rest of the file still counts


def test_a_single_file_can_be_scanned(tmp_path):
    path = write(tmp_path / "app.py", "import anthropic\n")
    report = scan_tree(path)
    assert [(s.path, s.library) for s in report.sdks] == [("app.py", "anthropic")]


def test_missing_root_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        scan_tree(tmp_path / "nope")


def test_notebooks_imports_and_escaped_literals(tmp_path):
    cells = {
        "cells": [
            {"cell_type": "markdown", "source": ["We compare gpt-4o and claude."]},
            {
                "cell_type": "code",
                "source": [
                    "import openai\n",
                    'r = openai.chat.completions.create(model="gpt-4o")\n',
                ],
            },
        ]
    }
    write(tmp_path / "nb.ipynb", json.dumps(cells, indent=1))
    report = scan_tree(tmp_path)
    assert [(s.library, s.line) for s in report.sdks] == [("openai", 12)]
    assert [(m.model_id, m.line) for m in report.models] == [("gpt-4o", 13)]
