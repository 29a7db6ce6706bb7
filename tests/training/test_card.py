"""The generated model card carries the run's own figures: threshold, calibration, gate, settings,
per-source results, the data licences and how to retrain."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training import card
from wardgate.detect.classifier.bundle import BundleMetadata, Calibration
from wardgate.detect.classifier.labels import CLASS_NAMES

SIZES = {"lexical.npz": 1_240_000, "model.onnx": 22_700_000, "tokenizer.json": 711_000}
PER_SOURCE: list[dict[str, object]] = [
    {"source": "alpha-set", "attacks": 120, "benign": 0, "recall": 0.875, "fpr": None},
    {"source": "beta/prompts:core", "attacks": 0, "benign": 400, "recall": None, "fpr": 0.0123},
    {"source": "gamma", "attacks": 30, "benign": 70, "recall": 1.0, "fpr": 0.0},
]
SETTINGS: dict[str, object] = {"folds": 4, "cap": 700, "lr": 6e-05, "window": 126}
RELIABILITY: list[dict[str, object]] = [
    {"band": "0.0-0.5", "rows": 900, "mean_predicted": 0.0412, "observed_attack_rate": 0.0333},
    {"band": "0.5-1.0", "rows": 0, "mean_predicted": None, "observed_attack_rate": None},
]


def _meta(gate: float | None = -1.2341) -> BundleMetadata:
    return BundleMetadata(
        name="wardgate-attack-classifier",
        version="2031.02.03",
        base_model="a tiny test encoder (Apache-2.0)",
        classes=CLASS_NAMES,
        window_tokens=126,
        stride_tokens=96,
        calibration=Calibration(a=1.23456, b=-0.65432),
        threshold=0.87654,
        gate_logit=gate,
    )


def _render(meta: BundleMetadata | None = None, agreement: float | None = 0.9876) -> str:
    return card.render(
        meta or _meta(),
        settings=SETTINGS,
        per_source=PER_SOURCE,
        reliability=RELIABILITY,
        sizes=SIZES,
        agreement=agreement,
    )


@pytest.mark.parametrize(
    "expected",
    [
        "# Model card: wardgate-attack-classifier 2031.02.03",
        "Base: a tiny test encoder (Apache-2.0)",
        "Default threshold: 0.8765,",
        "p = sigmoid(1.2346 * logit + -0.6543)",
        "below -1.234 skip",
        "Window: 126 tokens every 96 tokens",
        "`lexical.npz` (1.2 MB), `model.onnx` (22.7 MB), `tokenizer.json` (0.7 MB).",
        "int8 vs fp32 agreement (argmax, 200 training windows): 0.988.",
        "| folds | 4 |",
        "| cap | 700 |",
        "| lr | 6e-05 |",
        "| window | 126 |",
        "| alpha-set | 120 | 0 | 87.5% | - |",
        "| beta/prompts:core | 0 | 400 | - | 1.2% |",
        "| gamma | 30 | 70 | 100.0% | 0.0% |",
        "| 0.0-0.5 | 900 | 4.1% | 3.3% |",
        "| 0.5-1.0 | 0 | - | - |",
        "## Retrain",
        "`make train`",
        "python -m training.train",
    ],
)
def test_card_carries_the_figures(expected: str) -> None:
    assert expected in _render()


def test_card_lists_every_data_source_with_its_licence() -> None:
    text = _render()
    assert "| source | licence |" in text
    assert card.DATA_SOURCES
    for name, licence in card.DATA_SOURCES:
        assert f"| {name} | {licence} |" in text.splitlines()


def test_card_sections_come_in_order() -> None:
    text = _render()
    headings = [line for line in text.splitlines() if line.startswith("#")]
    expected = [
        "# Model card",
        "## Model",
        "## Training data",
        "## Training settings",
        "## Out-of-fold results",
        "### Calibration",
        "## Limits",
        "## Retrain",
    ]
    assert len(headings) == len(expected)
    for heading, prefix in zip(headings, expected, strict=True):
        assert heading.startswith(prefix)


def test_card_without_agreement_or_gate() -> None:
    text = _render(_meta(gate=None), agreement=None)
    assert "agreement" not in text
    assert "nan" not in text
    assert "every window reaches the transformer" in text


@settings(max_examples=30, deadline=None)
@given(
    sources=st.lists(
        st.text(
            st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="|"),
            min_size=1,
            max_size=30,
        ).filter(str.strip),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    data=st.data(),
)
def test_every_per_source_row_is_in_the_table(sources: list[str], data: st.DataObject) -> None:
    rows: list[dict[str, object]] = []
    for name in sources:
        attacks = data.draw(st.integers(0, 5000))
        benign = data.draw(st.integers(0, 5000))
        recall = data.draw(st.floats(0, 1)) if attacks else None
        fpr = data.draw(st.floats(0, 1)) if benign else None
        rows.append(
            {"source": name, "attacks": attacks, "benign": benign, "recall": recall, "fpr": fpr}
        )
    text = card.render(
        _meta(), settings={}, per_source=rows, reliability=[], sizes=SIZES, agreement=None
    )
    table = text.split("| source | attacks | benign | recall | FPR |", 1)[1].split("\n\n")[0]
    lines = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert cells[0] == str(row["source"]).strip()
        assert cells[1:3] == [str(row["attacks"]), str(row["benign"])]
        assert (cells[3] == "-") == (row["recall"] is None)
        assert (cells[4] == "-") == (row["fpr"] is None)


def test_write_puts_the_card_next_to_the_weights(tmp_path: Path) -> None:
    card.write(tmp_path, "# card\n")
    assert (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8") == "# card\n"
