import json
from pathlib import Path

from bench.report import (
    build,
    corpus_latency,
    discovery_section,
    gateway_section,
    percent,
    table_rows,
)

SIG = """# r
## Overall
| metric | value |
|---|---:|
| recall | 50.0% |
## Per source
| source | n | attacks | benign | recall | FPR | AUC | p50 ms |
|---|---:|---:|---:|---:|---:|---:|---:|
| a | 10 | 0 | 10 | - | 0.5% | - | 0.1 |
| b | 10 | 0 | 10 | - | 0.9% | - | 0.1 |
| c | 10 | 10 | 0 | 80.0% | - | - | 0.1 |
## Families (garak_probe_prompts)
| family | n | recall | n instr. | recall instr. |
|---|---:|---:|---:|---:|
| obfuscation/encoding/InjectBase64 | 4 | 50.0% | 2 | 100.0% |
| obfuscation/encoding/InjectROT13 | 4 | 50.0% | 2 | 85.0% |
## Leave-one-source-out (threshold at <= 1.0% FPR on the others)
| x |
|---|
"""
LAT = """# l
## Scanner.scan latency
| chars | kind | iterations | p50 ms | p99 ms | max ms | texts/s | flagged | peak RSS MiB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| 2,000 | prompt | 10 | 0.8 | 1.1 | 2.0 | 900 | 0 | 300 |
| 20,000 | document | 10 | 20.0 | 25.0 | 26.0 | 50 | 0 | 310 |
| 100,000 | document | 10 | 40.0 | 45.0 | 46.0 | 20 | 0 | 320 |
| corpus <= 512 tokens | prompt | 10 | 1.5 | 12.0 | 14.0 | 400 | 4 | 350 |
"""
LOSO = """# d
## Overall
| metric | value |
|---|---:|
| recall | 90.0% |
## Per source
| source | n |
|---|---:|
| a | 1 |
## Families (garak_probe_prompts)
| family | n |
|---|---:|
| x | 1 |
## Leave-one-source-out (engine's verdict)
| held-out source | attacks | benign | threshold | recall | FPR | bal. acc. | basis |
|---|---:|---:|---:|---:|---:|---:|---:|
| a | 0 | 10 | - | - | 1.5% | 94.0% | other |
| b | 10 | 0 | - | 90.0% | - | 95.0% | other |
| c | 5 | 5 | - | 80.0% | 0.5% | 89.0% | held-out rows |
| mean over folds |  |  |  | 85.0% | 1.0% | 92.7% |  |
"""
ROBUST = """# r
- header
## Attack success rate after perturbation
| perturbation | attacks tested |
|---|---:|
| homoglyphs | 10 |
"""
INSTALL = """# i
## Fresh runtime install (pip install .)
| distribution | version | MB |
|---|---|---:|
| onnxruntime | 1.0 | 20.0 |
| site-packages total |  | 180.5 |

18 distributions; torch/CUDA/transformers present: none; a scan imported no torch: yes.
"""


def test_table_helpers():
    assert table_rows("| a | b |\n|---|---|\n| 1 | 2 |") == [["1", "2"]]
    assert percent("12.5%") == 12.5
    assert percent("-") is None


def test_build_computes_the_acceptance_summary(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "eval-signatures.md").write_text(SIG)
    (out / "eval-default.md").write_text(LOSO)
    (out / "latency-signatures.md").write_text(LAT)
    (out / "latency.md").write_text(LAT)
    (out / "latency-accurate.md").write_text(LAT.replace("| 1.5 |", "| 4.5 |"))
    (out / "robustness.md").write_text(ROBUST)
    (out / "robustness-signatures.md").write_text(ROBUST)
    (out / "install.md").write_text(INSTALL)
    data = tmp_path / "data"
    data.mkdir()
    (data / "f.jsonl").write_text('{"text": "short"}\n{"text": "' + "x" * 3000 + '"}\n')
    (out / "scores-signatures.jsonl").write_text(
        json.dumps({"file": "f", "line": 1, "latency_ms": 0.2})
        + "\n"
        + json.dumps({"file": "f", "line": 2, "latency_ms": 9.0})
        + "\n"
    )
    page = build(out, data)
    assert "worst 0.9% (b)" in page
    assert "1 of 2 families ≥ 90%; below: InjectROT13 85.0%" in page
    assert "p50 0.200 ms" in page  # the 3,000-character row is excluded
    assert corpus_latency(out / "scores-signatures.jsonl", data, 2000)[0] == 1
    # issue 3: computed from the LOSO, latency and install reports
    assert "| ≥ 0.93 | 92.7% |" in page
    assert "worst 1.5% (a)" in page
    assert "p50 1.5 ms, p99 12.0 ms, 400 prompts/s" in page
    assert "p50 4.5 ms" in page  # accurate mode
    assert "| 350 MiB |" in page
    assert "none pulled in; site-packages 180.5 MB" in page


def test_gateway_and_discovery_sections(tmp_path: Path) -> None:
    assert "Not run yet" in gateway_section(tmp_path)
    (tmp_path / "gateway.md").write_text(
        "# Wardgate gateway latency benchmark\n\n- CPU: test\n\n"
        "## Added latency (proxy percentile - direct percentile)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "## Streamed chat, 10 chunks\n\nlag\n"
    )
    text = gateway_section(tmp_path)
    assert "- CPU: test" in text
    assert "| 1 | 2 |" in text
    assert "### Streamed chat, 10 chunks" in text
    (tmp_path / "discovery.md").write_text("# Discovery\n\n## K\n\nrows\n")
    text = discovery_section(tmp_path)
    assert "### Discovery" in text
    assert "#### K" in text
    assert "not run yet" in text  # the ingestion report is absent
