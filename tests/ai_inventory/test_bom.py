from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.ai_inventory.scan.builders import sample_tree
from wardgate.ai_inventory.bom import BomError, bom_diff, build_bom, validate_bom
from wardgate.ai_inventory.catalogue import Catalogue, EndpointStats, ModelEntry
from wardgate.ai_inventory.policy import Allowlist
from wardgate.ai_inventory.scan import scan_tree
from wardgate.ai_inventory.scan.result import ScanReport


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanReport, Path]:
    tmp = tmp_path_factory.mktemp("bom")
    marker = tmp / "pwned"
    return scan_tree(sample_tree(tmp / "repo", marker)), marker


@pytest.fixture(scope="module")
def bom(scanned: tuple[ScanReport, Path]) -> dict[str, Any]:
    report, _ = scanned
    catalogue = Catalogue(
        allowlist=Allowlist.from_data([{"provider": "openai", "model": "gpt-4o*"}])
    )
    catalogue.add_scan(report)
    return build_bom(catalogue.entries(), scan=report, serial=UUID(int=1))


def components(bom: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {c["bom-ref"]: c for c in bom["components"] if c["type"] == kind}


def props(component: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in component.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def test_a_scanned_tree_exports_a_valid_cyclonedx_16_ai_bom(
    bom: dict[str, Any], scanned: tuple[ScanReport, Path]
) -> None:
    assert validate_bom(bom) == []
    assert bom["specVersion"] == "1.6"
    assert bom["serialNumber"] == f"urn:uuid:{UUID(int=1)}"
    models = components(bom, "machine-learning-model")
    assert {c["name"] for c in models.values()} >= {
        "gpt-4o-mini",  # Python
        "claude-3-5-sonnet-20241022",
        "gemini-2.0-flash",
        "gpt-4.1-mini",  # TypeScript
        "text-embedding-3-small",
        "gpt-4o",  # Java
        "llama3.1:8b",  # Go
        "tiny-llama",  # .gguf
        "encoder",  # .safetensors
        "evil",  # malicious pickle
    }
    _, marker = scanned
    assert not marker.exists()  # the pickle was read, never loaded


def test_model_files_carry_hashes_and_the_pickle_is_flagged(bom: dict[str, Any]) -> None:
    models = components(bom, "machine-learning-model")
    evil = models["model:local-file|evil"]
    assert props(evil)["wardgate:dangerous"] == ["true"]
    assert props(evil)["wardgate:artefact:unsafe-globals"] == ["posix.system"]
    assert evil["hashes"][0]["alg"] == "SHA-256"
    assert len(evil["hashes"][0]["content"]) == 64
    assert "runs code when loaded" in evil["modelCard"]["considerations"]["technicalLimitations"][0]
    gguf = models["model:local-file|tiny-llama"]
    card = {p["name"]: p["value"] for p in gguf["modelCard"]["properties"]}
    assert card["wardgate:artefact:quantisation"] == "models/tiny.gguf: Q4_K_M"
    assert card["wardgate:artefact:format"] == "models/tiny.gguf: gguf"
    assert gguf["modelCard"]["modelParameters"]["modelArchitecture"] == "llama"
    safetensors = models["model:local-file|encoder"]
    assert "wardgate:dangerous" not in props(safetensors)
    assert len(safetensors["hashes"]) == 1


def test_code_models_libraries_and_dependencies(bom: dict[str, Any]) -> None:
    models = components(bom, "machine-learning-model")
    gpt = models["model:openai|gpt-4o-mini"]
    assert gpt["group"] == "openai"
    assert props(gpt)["wardgate:deployment"] == ["external"]
    assert props(gpt)["wardgate:approved"] == ["true"]
    assert props(gpt)["wardgate:code-location"] == ["py-app/app/main.py:7"]
    assert props(models["model:anthropic|claude-3-5-sonnet-20241022"])["wardgate:approved"] == [
        "false"
    ]
    assert props(models["model:ollama|llama3.1:8b"])["wardgate:deployment"] == ["open_source"]
    libraries = components(bom, "library")
    purls = {c.get("purl") for c in libraries.values()}
    assert "pkg:pypi/anthropic@0.34.2" in purls
    assert "pkg:maven/com.openai/openai-java@0.8.0" in purls
    assert "pkg:npm/%40anthropic-ai/sdk" in purls
    assert "pkg:golang/github.com/sashabaranov/go-openai@v1.29.0" in purls
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    assert {"model:openai|gpt-4o-mini", "library:python:openai"} <= deps["application:py-app"]
    assert "model:openai|gpt-4o" in deps["application:java-app"]


def test_traffic_models_become_services(tmp_path: Path) -> None:
    entry = ModelEntry.new("azure-openai", "gpt-4o", "https://contoso.openai.azure.com")
    entry.hosting, entry.open_weights, entry.calls = "external", False, 3
    stats = EndpointStats(calls=3, authenticated=True)
    stats.kinds.add("openai.chat", 3)
    entry.endpoints["https://contoso.openai.azure.com"] = stats
    entry.answered.add("gpt-4o-2024-08-06", 3)
    entry.operations.add("chat", 3)
    entry.applications.add("azure", 3)
    entry.data_in.add("pii.email")
    entry.distinct_callers.add("alice")
    hf = ModelEntry.new("vllm", "qwen/qwen2.5-7b-instruct", "http://vllm:8000")
    hf.hosting, hf.open_weights = "internal", True
    bom = build_bom([entry, hf])
    assert validate_bom(bom) == []
    (service,) = [s for s in bom["services"] if s["bom-ref"].endswith("azure.com")]
    assert service["endpoints"] == ["https://contoso.openai.azure.com"]
    assert service["authenticated"] is True
    assert service["x-trust-boundary"] is True
    assert service["data"] == [{"classification": "pii.email", "flow": "inbound"}]
    model = components(bom, "machine-learning-model")["model:azure-openai|gpt-4o"]
    assert model["version"] == "gpt-4o-2024-08-06"
    assert model["modelCard"]["modelParameters"]["task"] == "text-generation"
    metrics = model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    assert {"type": "observed-calls", "value": "3"} in metrics
    assert components(bom, "machine-learning-model")["model:vllm|qwen/qwen2.5-7b-instruct"][
        "purl"
    ] == ("pkg:huggingface/qwen/qwen2.5-7b-instruct")
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    assert deps["service:https://contoso.openai.azure.com"] == {"model:azure-openai|gpt-4o"}
    assert deps["application:azure"] == {"service:https://contoso.openai.azure.com"}


@pytest.mark.parametrize(
    "breakage",
    [
        lambda b: b.update(specVersion="1.6", version="one"),
        lambda b: b["components"][0].update(type="llm"),
        lambda b: next(c for c in b["components"] if "modelCard" in c)["modelCard"].update(
            mood="x"
        ),
        lambda b: b["components"][0].pop("name"),
    ],
)
def test_a_broken_document_fails_validation(bom: dict[str, Any], breakage: Any) -> None:
    broken = copy.deepcopy(bom)
    breakage(broken)
    assert validate_bom(broken)
    assert validate_bom(json.dumps(bom)) == []


def test_build_refuses_to_return_an_invalid_document(monkeypatch: pytest.MonkeyPatch) -> None:
    import wardgate.ai_inventory.bom as module

    monkeypatch.setattr(module, "_model_card", lambda entry: {"notAField": 1})
    with pytest.raises(BomError):
        build_bom([ModelEntry.new("openai", "gpt-4o")])


# -- diff --------------------------------------------------------------------------------------


def _bom(*entries: ModelEntry) -> dict[str, Any]:
    return build_bom(entries)


def _entry(
    provider: str,
    model: str,
    *,
    version: str | None = None,
    approved: bool | None = None,
    hosting: str = "external",
) -> ModelEntry:
    e = ModelEntry.new(provider, model)
    e.hosting, e.open_weights, e.approved = hosting, False, approved
    if version:
        e.answered.add(version)
    return e


def test_diff_reports_added_removed_and_changed() -> None:
    old = _bom(
        _entry("openai", "gpt-4o", version="gpt-4o-2024-05-13", approved=True),
        _entry("anthropic", "claude-3-haiku"),
        _entry("openai-compatible", "acme", hosting="internal"),
    )
    new = _bom(
        _entry("openai", "gpt-4o", version="gpt-4o-2024-08-06", approved=False),
        _entry("mistral", "mistral-large-latest"),
        _entry("openai-compatible", "acme", hosting="external"),
    )
    diff = bom_diff(json.dumps(old), new)
    assert diff
    assert [m["name"] for m in diff.added] == ["mistral-large-latest"]
    assert [m["name"] for m in diff.removed] == ["claude-3-haiku"]
    changes = {(c.name, c.field): (c.old, c.new) for c in diff.changed}
    assert changes == {
        ("gpt-4o", "version"): ("gpt-4o-2024-05-13", "gpt-4o-2024-08-06"),
        ("gpt-4o", "approved"): ("true", "false"),
        ("acme", "deployment"): ("internal", "external"),
        ("acme", "hosting"): ("internal", "external"),
    }
    text = diff.text()
    assert "1 added, 1 removed, 4 changed" in text
    assert "+ mistral/mistral-large-latest" in text
    assert "~ openai/gpt-4o: version gpt-4o-2024-05-13 -> gpt-4o-2024-08-06" in text
    assert json.loads(json.dumps(diff.to_dict()))["added"][0]["provider"] == "mistral"


def test_diff_of_identical_boms_is_empty() -> None:
    bom = _bom(_entry("openai", "gpt-4o"))
    diff = bom_diff(bom, copy.deepcopy(bom))
    assert not diff
    assert diff.text() == "no model changes"


@pytest.mark.parametrize(
    "document", ['{"bomFormat": "SPDX"}', "[]", "not json", "[" * 100_000 + "]" * 100_000]
)
def test_diff_rejects_what_is_not_cyclonedx(document: str) -> None:
    with pytest.raises(ValueError, match=r"CycloneDX|nests|Expecting|Extra"):
        bom_diff(document, _bom())
