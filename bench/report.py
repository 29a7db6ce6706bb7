"""Assemble ``docs/benchmarks.md`` from the reports the other benchmarks wrote to ``bench/out/``.

Run the four commands listed in the generated page first (or ``make bench``), then
``python -m bench.report``. The acceptance summary is computed from the reports, so the page never
states a figure that the reports do not contain.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path

from bench.corpus import resolve_data_dir

OUT = Path("bench/out")
COMMANDS = """\
.venv/bin/python -m bench.eval_detection --via cli --config configs/signatures-only.yaml --loso --families --markdown bench/out/eval-signatures.md --save-scores bench/out/scores-signatures.jsonl
.venv/bin/python -m bench.eval_detection --via api --loso --group-folds 4 --train-hook training.hooks:fold_config --fold-threshold engine --families --markdown bench/out/eval-default.md
.venv/bin/python -m bench.latency --config configs/signatures-only.yaml --markdown bench/out/latency-signatures.md
.venv/bin/python -m bench.latency --corpus 2000 --markdown bench/out/latency.md
.venv/bin/python -m bench.latency --config configs/accurate.yaml --corpus 2000 --markdown bench/out/latency-accurate.md
.venv/bin/python -m bench.robustness --config configs/signatures-only.yaml --markdown bench/out/robustness-signatures.md
.venv/bin/python -m bench.robustness --markdown bench/out/robustness.md
.venv/bin/python -m bench.install_size --markdown bench/out/install.md
.venv/bin/python -m bench.gateway_latency --markdown bench/out/gateway.md   # add --litellm-python PATH to compare LiteLLM
.venv/bin/python -m bench.discovery --m2s-python /tmp/m2s-venv/bin/python --held-out 150 --speed 1000000 --markdown bench/out/discovery.md   # mitmproxy2swagger 0.14 in its own venv (~20 min)
.venv/bin/python -m bench.discovery_ingest --markdown bench/out/discovery-ingest.md
.venv/bin/python -m bench.gateway_latency --scenarios off --off-rates 500 --seconds 20 --no-audit --no-discovery --markdown bench/out/gateway-no-discovery.md
.venv/bin/python -m bench.gateway_latency --scenarios off --off-rates 500 --seconds 20 --markdown bench/out/gateway-audit-on.md
.venv/bin/python -m bench.gateway_latency --scenarios off --off-rates 500 --seconds 20 --no-audit --markdown bench/out/gateway-no-audit.md
.venv/bin/python -m bench.gateway_latency --scenarios stream --seconds 30 --markdown bench/out/gateway-stream.md
.venv/bin/python -m bench.inventory_scan --markdown bench/out/inventory-scan.md
.venv/bin/python -m bench.audit_log --markdown bench/out/audit-log.md
.venv/bin/python -m bench.compliance_report --markdown bench/out/compliance-report.md
.venv/bin/python -m bench.traffic_sim --markdown bench/out/traffic-sim.md
.venv/bin/python -m bench.abuse_features --markdown bench/out/abuse-features.md
.venv/bin/python -m bench.abuse_features --scopes 3 --repeats 3 --no-memory --markdown bench/out/abuse-features-3-scopes.md
.venv/bin/python -m bench.console_pages --markdown bench/out/console-pages.md
.venv/bin/python -m bench.report"""
LOSO_ENGINE = "Leave-one-source-out (engine's verdict)"


def section(md: str, title: str) -> str:
    """The ``## title`` section of a report, without its heading line's level change."""
    start = md.index(f"## {title}")
    end = md.find("\n## ", start + 3)
    return md[start : end if end > 0 else None].strip().replace("## ", "### ", 1)


def table_rows(block: str) -> list[list[str]]:
    """Cells of the Markdown table rows in ``block`` (header and rule lines skipped)."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in block.splitlines()
        if line.startswith("|")
    ]
    return rows[2:]


def percent(cell: str) -> float | None:
    m = re.fullmatch(r"([0-9.]+)%", cell)
    return float(m.group(1)) if m else None


def corpus_latency(scores: Path, data: Path, max_chars: int) -> tuple[int, float, float]:
    """(n, p50, p99) latency of corpus rows of at most ``max_chars`` characters."""
    lengths: dict[tuple[str, int], int] = {}
    for path in sorted(data.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    lengths[(path.stem, number)] = len(json.loads(line)["text"])
                except (ValueError, KeyError, TypeError):
                    continue
    values = []
    with scores.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if lengths.get((row["file"], row["line"]), max_chars + 1) <= max_chars:
                values.append(float(row["latency_ms"]))
    values.sort()

    def nearest_rank(q: float) -> float:
        return values[min(len(values) - 1, max(0, int(q * len(values) + 0.999999) - 1))]

    return len(values), nearest_rank(0.5), nearest_rank(0.99)


def _latency_rows(md: str) -> dict[str, list[str]]:
    return {row[0]: row for row in table_rows(md)}


def _ms(cell: str) -> float:
    return float(cell.replace(",", ""))


def classifier_acceptance(out: Path) -> str:
    """The issue-3 acceptance table, computed from the reports."""
    from wardgate.detect.classifier.bundle import PACKAGED  # noqa: PLC0415

    default = (out / "eval-default.md").read_text(encoding="utf-8")
    loso = table_rows(section(default, LOSO_ENGINE))
    mean_row = next(r for r in loso if r[0] == "mean over folds")
    benign = [(percent(r[5]), r[0]) for r in loso if r[0] != "mean over folds" and r[2] != "0"]
    worst_fpr, worst_source = max((v, n) for v, n in benign if v is not None)
    fast = _latency_rows((out / "latency.md").read_text(encoding="utf-8"))
    slow = _latency_rows((out / "latency-accurate.md").read_text(encoding="utf-8"))
    corpus_key = next(k for k in fast if k.startswith("corpus"))
    rss = max(_ms(r[8]) for r in [*fast.values(), *slow.values()])
    install = (out / "install.md").read_text(encoding="utf-8")
    total = next(r for r in table_rows(install) if r[0] == "site-packages total")[2]
    clean = "torch/CUDA/transformers present: none" in install
    weights = sum(p.stat().st_size for p in PACKAGED.iterdir() if p.is_file()) / 1e6

    def speed(rows: dict[str, list[str]]) -> str:
        c, doc = rows[corpus_key], rows["20,000"]
        return (
            f"p50 {c[3]} ms, p99 {c[4]} ms, {c[6]} prompts/s; 20,000-char document "
            f"p50 {doc[3]} ms, p99 {doc[4]} ms"
        )

    return f"""| criterion | target | measured |
|---|---|---|
| leave-one-source-out, balanced accuracy averaged over held-out sources | ≥ 0.93 | {mean_row[6]} |
| leave-one-source-out, false-positive rate on every benign source | ≤ 2% | worst {worst_fpr:.1f}% ({worst_source}) |
| default (cascade) mode, {corpus_key} / batch / 20k document | p50 ≤ 3 ms, p99 ≤ 30 ms, ≥ 200/s, ≤ 250 ms | {speed(fast)} |
| accurate mode, same | (reported) | {speed(slow)} |
| peak memory of a scanning process | ≤ 600 MB | {rss:.0f} MiB |
| fresh runtime install | no torch, no CUDA | {"none pulled in" if clean else "TORCH/CUDA PRESENT"}; site-packages {total} MB |
| shipped model files | ≤ 100 MB | {weights:.1f} MB |"""


def gateway_section(out: Path) -> str:
    """Issue 4: the gateway's added latency, from ``gateway.md`` (when it has been run)."""
    path = out / "gateway.md"
    if not path.exists():
        return "## Gateway latency\n\nNot run yet: `python -m bench.gateway_latency`."
    md = path.read_text(encoding="utf-8")
    header = md.split("\n## ", 1)[0].split("\n", 1)[1].strip()
    added = section(md, "Added latency (proxy percentile - direct percentile)")
    stream_title = next(line[3:] for line in md.splitlines() if line.startswith("## Streamed chat"))
    parts = [
        "## Issue 4 acceptance: the gateway's added latency (`bench/gateway_latency.py`)",
        header,
        added,
        section(md, stream_title),
    ]
    return "\n\n".join(parts)


def discovery_section(out: Path) -> str:
    """Issue 5: endpoint discovery quality and ingestion speed (when they have been run)."""
    parts = ["## Issue 5: API discovery (`bench/discovery.py`, `bench/discovery_ingest.py`)"]
    for name in ("discovery.md", "discovery-ingest.md"):
        path = out / name
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            parts.append(text.replace("\n## ", "\n#### ").replace("# ", "### ", 1))
        else:
            parts.append(f"`{name}`: not run yet.")
    rows = []
    for name, label in (
        ("gateway-no-discovery.md", "discovery off"),
        ("gateway-no-audit.md", "discovery on"),
    ):
        path = out / name
        if path.exists():
            md = path.read_text(encoding="utf-8")
            added = section(md, "Added latency (proxy percentile - direct percentile)")
            rows += [f"| {label} | " + " | ".join(r[1:7]) + " |" for r in table_rows(added)]
    if rows:
        parts.append(
            "#### Does discovery move the gateway's latency? (1a, detection off, audit trail off, "
            "20 s runs)\n\n"
            "| gateway | rate req/s | proxy | added p50 ms | added p90 ms | added p99 ms | added max ms |\n"
            "|---|---:|---|---:|---:|---:|---:|\n" + "\n".join(rows)
        )
    return "\n\n".join(parts)


def reports_section(out: Path, title: str, names: Sequence[str]) -> str:
    """A section made of whole reports (headings pushed down), each named when not run yet."""
    parts = [f"## {title}"]
    for name in names:
        path = out / name
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            parts.append(text.replace("\n## ", "\n#### ").replace("# ", "### ", 1))
        else:
            parts.append(f"`bench/out/{name}`: not run yet (see the commands above).")
    return "\n\n".join(parts)


def audit_cost_section(out: Path) -> str:
    """What the durable audit trail costs the gateway: 1a at 500 req/s with it on and off."""
    rows = []
    for name, label in (
        ("gateway-no-audit.md", "audit trail off"),
        ("gateway-audit-on.md", "audit trail on (default)"),
    ):
        path = out / name
        if path.exists():
            md = path.read_text(encoding="utf-8")
            added = section(md, "Added latency (proxy percentile - direct percentile)")
            rows += [f"| {label} | " + " | ".join(r[1:7]) + " |" for r in table_rows(added)]
    if not rows:
        return ""
    return (
        "#### What the durable audit trail costs (1a, detection off, 20 s runs, discovery on)\n\n"
        "| gateway | rate req/s | proxy | added p50 ms | added p90 ms | added p99 ms | added max ms |\n"
        "|---|---:|---|---:|---:|---:|---:|\n" + "\n".join(rows)
    )


def later_sections(out: Path) -> str:
    """Issues 6 to 9: each benchmark's own report, as it printed it."""
    return "\n\n".join(
        [
            reports_section(
                out,
                "Issue 4: streaming, a longer run (`bench/gateway_latency.py`)",
                ["gateway-stream.md"],
            ),
            reports_section(
                out,
                "Issue 6: AI inventory from code (`bench/inventory_scan.py`)",
                ["inventory-scan.md"],
            ),
            reports_section(
                out,
                "Issue 7: audit trail and compliance report (`bench/audit_log.py`, "
                "`bench/compliance_report.py`)",
                ["audit-log.md", "compliance-report.md"],
            )
            + ("\n\n" + audit_cost_section(out) if audit_cost_section(out) else ""),
            reports_section(
                out,
                "Issue 8: abuse and model-extraction detection (`bench/traffic_sim.py`, "
                "`bench/abuse_features.py`)",
                ["traffic-sim.md", "abuse-features.md", "abuse-features-3-scopes.md"],
            ),
            reports_section(
                out, "Issue 9: console pages (`bench/console_pages.py`)", ["console-pages.md"]
            ),
        ]
    )


def build(out: Path, data: Path) -> str:
    sig = (out / "eval-signatures.md").read_text(encoding="utf-8")
    default = (out / "eval-default.md").read_text(encoding="utf-8")
    lat_sig = (out / "latency-signatures.md").read_text(encoding="utf-8")
    lat_default = (out / "latency.md").read_text(encoding="utf-8")
    lat_accurate = (out / "latency-accurate.md").read_text(encoding="utf-8")
    robust = (out / "robustness.md").read_text(encoding="utf-8")
    robust_sig = (out / "robustness-signatures.md").read_text(encoding="utf-8")
    install = (out / "install.md").read_text(encoding="utf-8")

    benign = []
    for row in table_rows(section(sig, "Per source")):
        fpr = percent(row[5])
        if fpr is not None:
            benign.append((fpr, row[0]))
    worst_fpr, worst_source = max(benign)

    families = []
    for row in table_rows(section(sig, "Families (garak_probe_prompts)")):
        if row[0].startswith("obfuscation/encoding/"):
            families.append((row[0].rsplit("/", 1)[-1], percent(row[4])))
    short = [f"{name} {value:.1f}%" for name, value in families if value is not None and value < 90]
    passing = sum(1 for _, value in families if value is not None and value >= 90)

    n, p50, p99 = corpus_latency(out / "scores-signatures.jsonl", data, 2000)
    synthetic = {row[0]: row for row in table_rows(lat_sig)}
    two_k, hundred_k = synthetic["2,000"], synthetic["100,000"]

    def body(md: str) -> str:
        rest = md.split("## ", 1)[1].split("\n", 1)[1].strip()
        return rest.replace("\n## ", "\n#### ")

    return f"""# Benchmarks

Latest results of the benchmarks in `bench/` (see `bench/README.md`), on the project's standard
machine: AMD EPYC, 2 logical cores, 24 GiB RAM, Python 3.11, Linux x86-64, no GPU, one scanning
thread. Corpus: `../shared/data/detection`, read in place, never copied. This page is generated by
`python -m bench.report` from the reports in `bench/out/`; reproduce with:

```sh
{COMMANDS}
```

{gateway_section(out)}

{discovery_section(out)}

{later_sections(out)}

## Issue 3 acceptance: the default engine with the trained classifier

Configuration `configs/default.yaml` (signatures, the attack classifier in cascade mode, leak and
web-attack detectors), the engine's own verdict. Leave-one-source-out: the 24 source groups are split
into 4 balanced folds (`bench.corpus.assign_folds`); each fold's classifier was trained, calibrated
and thresholded without that fold's sources (`training/README.md`), so every source below is scored
by a model that never saw it.

{classifier_acceptance(out)}

**Not met: balanced accuracy on unseen sources.** Out of fold, the classifier mistakes whole benign
sources for attacks by their style (role-play prompts, adversarial-benign WildGuard prompts,
non-English security questions), so the threshold that keeps every held-out benign source at <= 1%
false positives sits near the top of its score range, and at that threshold it adds little recall
to the signatures on sources it has not seen. The model card
(`src/wardgate/models/attack-classifier/MODEL_CARD.md`) lists its out-of-fold figures per source,
its calibration on unseen sources and the recall/false-positive trade-off at other thresholds. The
speed, memory, size and install criteria are met; in cascade mode the lexical gate keeps most
benign windows away from the transformer, which is why the default mode is faster than the
accurate one on long documents.

{section(default, LOSO_ENGINE)}

## Issue 2 acceptance: signature + normalisation stages alone

Configuration `configs/signatures-only.yaml`: normaliser, decoders, obfuscation findings and the
signature pack (no learned model; leak and web-attack detectors off); the engine's own verdict.

| criterion | target | measured |
|---|---|---|
| false-positive rate, every benign source | ≤ 1% | worst {worst_fpr:.1f}% ({worst_source}) |
| garak encoding families, rows with a decode request | ≥ 90% each | {passing} of {len(families)} families ≥ 90%; below: {", ".join(short) or "none"} |
| latency, corpus prompts ≤ 2,000 chars ({n} rows, via the CLI) | p50 ≤ 0.5 ms, p99 ≤ 5 ms | p50 {p50:.3f} ms, p99 {p99:.2f} ms |
| latency, synthetic 2,000-char prompts (code, tables, ten scripts) | (harsher than the target) | p50 {two_k[3]} ms, p99 {two_k[4]} ms |
| 100,000-character document | ≤ 100 ms | p50 {hundred_k[3]} ms, p99 {hundred_k[4]} ms |

Families below 90% miss rows of the form "What does this mean? <one word>" where the word is
enciphered without naming the cipher (ROT13, Atbash), lightly leetspeaked (one digit group), or plain
text (MIME-encoding ASCII leaves it unchanged). Such rows carry no instruction and cannot be told apart
from a benign "what does this word mean?" without a dictionary, so flagging them would flag ordinary
questions. The hidden-character carriers (Unicode tags, variation selectors, sneaky bits) and the
instruction-carrying smuggling families (homoglyphs, Unicode tags, hypothetical response) are in the
families table. A rule pack is not tuned per fold, so leave-one-source-out changes only the operating
point: the LOSO table uses the harness's rule (the lowest score giving ≤ 1% FPR on the other sources),
which for a rule pack is "any finding at all" and so counts weak cues the engine's verdict does not.

{section(sig, "Overall")}

{section(sig, "Per source")}

{section(sig, "Families (garak_probe_prompts)")}

{section(sig, "Leave-one-source-out (threshold at <= 1.0% FPR on the others)")}

## Default engine, shipped model, whole corpus (in-sample)

The shipped classifier was trained on (a capped sample of) every source, so these figures are
in-sample and only show what the deployed engine does on the corpus; the leave-one-source-out table
above is the estimate for unseen sources. An e-mail address in a prompt is PII and flags here.

{section(default, "Overall")}

{section(default, "Per source")}

{section(default, "Families (garak_probe_prompts)")}

## Robustness: attack success after perturbation (`bench/robustness.py`)

### Default engine

{body(robust)}

### Signature + normalisation stages alone (same seed, same texts)

{body(robust_sig)}

## Fresh install (`bench/install_size.py`)

{body(install)}

## Latency (synthetic texts, `bench/latency.py`)

The signature pack's Hyperscan database is loaded from the disk cache ("Scanner built in"); compiling
it cold takes 30–40 s on this machine (RATIONALE.md, known limits).

### Signature + normalisation stages

{body(lat_sig)}

### Default engine (classifier in cascade mode)

{body(lat_default)}

### Accurate mode (`configs/accurate.yaml`: the transformer reads every window)

{body(lat_accurate)}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="directory of the reports")
    parser.add_argument("--data", type=Path, default=None, help="detection corpus directory")
    parser.add_argument("--write", type=Path, default=Path("docs/benchmarks.md"))
    args = parser.parse_args(argv)
    page = build(args.out, args.data or resolve_data_dir())
    args.write.write_text(page, encoding="utf-8")
    print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
