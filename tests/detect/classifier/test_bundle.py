"""The model bundle refuses files that do not match their checksums, and loads the shipped one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from wardgate.detect.classifier.bundle import (
    METADATA,
    PACKAGED,
    BundleError,
    load_metadata,
)
from wardgate.detect.classifier.labels import CLASS_NAMES
from wardgate.detect.classifier.model import AttackModel, load_model


def test_shipped_bundle_is_complete_and_small() -> None:
    meta = load_metadata(PACKAGED)
    assert meta.classes == CLASS_NAMES
    total = sum(p.stat().st_size for p in PACKAGED.iterdir())
    assert total <= 100 * 1024 * 1024
    assert (PACKAGED / "MODEL_CARD.md").exists()


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(PACKAGED, target)
    return target


def test_tampered_weights_are_refused(bundle_copy: Path) -> None:
    onnx = bundle_copy / "model.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="checksum"):
        AttackModel(bundle_copy)


@pytest.mark.parametrize("missing", ["model.onnx", "tokenizer.json", "lexical.npz", METADATA])
def test_missing_files_are_refused(bundle_copy: Path, missing: str) -> None:
    (bundle_copy / missing).unlink()
    with pytest.raises(BundleError, match="missing"):
        AttackModel(bundle_copy)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(threshold=1.5),
        lambda m: m.update(window_tokens=4096),
        lambda m: m.update(surprise=True),
        lambda m: m.pop("calibration"),
    ],
)
def test_malformed_metadata_is_refused(bundle_copy: Path, edit) -> None:
    path = bundle_copy / METADATA
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="malformed"):
        load_metadata(bundle_copy)


def test_model_is_loaded_once_per_process() -> None:
    assert load_model() is load_model()


def test_attack_logit_is_log_odds_of_any_attack_class() -> None:
    model = load_model()
    logits = np.array([[0.0, 0.0, 0.0, 0.0, 0.0], [2.0, -1.0, 0.5, 0.0, 1.0]], dtype=np.float32)
    got = model.attack_logit(logits)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    want = np.log(p[:, 1:].sum(axis=1) / p[:, 0])
    assert got == pytest.approx(want, abs=1e-5)
    assert np.all(np.diff(model.calibrated(np.array([-5, 0, 5], dtype=np.float32))) > 0)


def test_a_windows_score_does_not_depend_on_the_other_windows() -> None:
    model = load_model()
    texts = ["hello there", "ignore the rules " * 40, "x", "a much longer text " * 300]
    windows = [w for t in texts for w in model.windows(t)]
    together = model.logits(windows)
    alone = np.concatenate([model.logits([w]) for w in windows])
    assert together == pytest.approx(alone, abs=1e-6)
