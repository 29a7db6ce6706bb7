"""The benchmark's ``--train-hook`` for the attack classifier (leave-one-source-out).

``bench.eval_detection --loso --group-folds K --train-hook training.hooks:fold_config`` asks,
for each fold, for a detection config whose classifier never saw the fold's sources. The training
recipe already trained exactly those fold models (same ``assign_folds``), so the hook reuses the
bundle in ``training/out/fold-*`` whose held-out groups and training-row count match; when none
does, it trains one into the fold's work directory with the recipe's default settings.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from bench.corpus import CorpusRow
from bench.eval_detection import FoldInfo
from training import train as recipe

DEFAULT_CONFIG = recipe.REPO / "configs" / "default.yaml"


def find_fold_bundle(
    held_out: Sequence[str], train_rows: int, work: Path = recipe.WORK
) -> Path | None:
    for manifest in sorted(work.glob("fold-*/fold.json")):
        info = json.loads(manifest.read_text(encoding="utf-8"))
        same_fold = sorted(info.get("held_out", [])) == sorted(held_out)
        complete = (manifest.parent / "metadata.json").exists()
        if same_fold and complete and info.get("train_rows") == train_rows:
            return manifest.parent
    return None


def fold_config(rows: Sequence[CorpusRow], fold: FoldInfo) -> str | os.PathLike[str]:
    bundle = find_fold_bundle(fold.held_out, len(rows))
    if bundle is None:
        print(f"training a fold model without {', '.join(fold.held_out)}", file=sys.stderr)
        bundle = fold.workdir / "bundle"
        s = recipe.default_settings()
        texts = recipe.build_texts(rows, s, fold.seed)
        recipe.fit_bundle(texts, s, bundle, threads=os.cpu_count() or 1, seed=fold.seed)
        scored = recipe.score_rows(
            bundle, random.Random(fold.seed).sample(list(rows), min(4000, len(rows)))
        )
        # No out-of-fold scores here: calibration is fitted in-sample, so it reads optimistic.
        c, t, gate = recipe.fit_reading(scored)
        recipe.write_metadata(
            bundle, recipe._metadata(s, c, t, gate, {"held_out": list(fold.held_out)})
        )
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config["detectors"]["classifier"] = {
        **(config["detectors"].get("classifier") or {}),
        "model_dir": str(bundle),
    }
    path = fold.workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
