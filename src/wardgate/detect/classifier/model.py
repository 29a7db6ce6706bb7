"""The attack classifier at run time: tokenizer, ONNX graph and calibration, no PyTorch.

``AttackModel`` turns text into windows, scores them in padded batches with ``onnxruntime`` and
maps the raw attack logit to a calibrated probability. It is immutable after loading and safe to
share between threads (onnxruntime sessions are). Memory per call is bounded by ``max_windows``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Tokenizer

from wardgate.detect.classifier.bundle import PACKAGED, BundleMetadata, load_metadata
from wardgate.detect.classifier.lexical import LexicalModel
from wardgate.detect.classifier.windows import Window, cut

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class WindowScore:
    """One window's calibrated attack probability and its class probabilities."""

    start: int
    end: int
    probability: float
    classes: tuple[float, ...]


class AttackModel:
    """A loaded classifier bundle (see :mod:`wardgate.detect.classifier.bundle`)."""

    def __init__(self, directory: Path, *, threads: int = 0, verify: bool = True) -> None:
        self.directory = directory
        self.meta: BundleMetadata = load_metadata(directory, verify=verify)
        tokenizer = Tokenizer.from_file(str(directory / self.meta.files.tokenizer))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(directory / self.meta.files.onnx), options, providers=["CPUExecutionProvider"]
        )
        self.lexical = LexicalModel.load(directory / self.meta.files.lexical)

    def windows(self, text: str) -> list[Window]:
        """The windows that cover ``text`` (special tokens added)."""
        enc = self._tokenizer.encode(text, add_special_tokens=False)
        return cut(
            enc.ids,
            enc.offsets,
            window=self.meta.window_tokens,
            stride=self.meta.stride_tokens,
            text_length=len(text),
        )

    def windows_batch(self, texts: Sequence[str]) -> list[list[Window]]:
        """``windows`` for many texts, tokenised in one call (parallel in Rust)."""
        encs = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [
            cut(
                e.ids,
                e.offsets,
                window=self.meta.window_tokens,
                stride=self.meta.stride_tokens,
                text_length=len(t),
            )
            for e, t in zip(encs, texts, strict=True)
        ]

    def logits(self, windows: Sequence[Window]) -> FloatArray:
        """Raw class logits, one row per window, in the order given.

        Each window is its own ONNX run: int8 dynamic quantisation scales activations per run,
        so windows batched together would shift each other's scores (by up to ~0.15 logit).
        One run per window keeps a window's score independent of what else is in the text.
        """
        out = np.empty((len(windows), len(self.meta.classes)), dtype=np.float32)
        for i, w in enumerate(windows):
            ids = np.asarray([w.ids], dtype=np.int64)
            mask = np.ones_like(ids)
            result = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            out[i] = np.asarray(result, dtype=np.float32)[0]
        return out

    def attack_logit(self, logits: FloatArray) -> FloatArray:
        """log(P(attack) / P(benign)) per row: the score calibration is fitted on."""
        attack = logits[:, 1:]
        peak = attack.max(axis=1, keepdims=True)
        lse = peak[:, 0] + np.log(np.exp(attack - peak).sum(axis=1))
        return np.asarray(lse - logits[:, 0], dtype=np.float32)

    def calibrated(self, raw: FloatArray) -> FloatArray:
        c = self.meta.calibration
        z = np.clip(c.a * raw + c.b, -50.0, 50.0)
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float32)

    def score(self, windows: Sequence[Window]) -> list[WindowScore]:
        """Calibrated probability and class distribution for each window."""
        if not windows:
            return []
        logits = self.logits(windows)
        probs = self.calibrated(self.attack_logit(logits))
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        classes = shifted / shifted.sum(axis=1, keepdims=True)
        return [
            WindowScore(w.start, w.end, float(p), tuple(float(x) for x in c))
            for w, p, c in zip(windows, probs, classes, strict=True)
        ]


_DEFAULT: dict[tuple[Path, int], AttackModel] = {}
_LOCK = threading.Lock()


def load_model(directory: str | Path | None = None, *, threads: int = 0) -> AttackModel:
    """The bundle at ``directory`` (default: the one shipped in the package), loaded once per
    process and shared: an ONNX session holds the weights, so one copy serves every scanner."""
    path = Path(directory).resolve() if directory else PACKAGED
    key = (path, threads)
    with _LOCK:
        model = _DEFAULT.get(key)
        if model is None:
            model = _DEFAULT[key] = AttackModel(path, threads=threads)
        return model
