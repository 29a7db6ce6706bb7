"""Score a detection configuration on the labelled corpus: per source, per file, overall, and
leave-one-source-out.

Run ``python -m bench.eval_detection --help``; bench/README.md defines every figure. The texts are
scanned through the real ``wardgate scan --jsonl`` command (``--via cli``, the default) or the
in-process :class:`~wardgate.detect.scanner.Scanner` (``--via api``). Corpus text never leaves
memory except in a temporary file handed to the CLI, deleted afterwards; reports hold only figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench.corpus import (
    Corpus,
    CorpusRow,
    assign_folds,
    limit_per_file,
    load_corpus,
    resolve_data_dir,
    sample_rows,
)
from bench.metrics import (
    Confusion,
    balanced_accuracy,
    confusion,
    percentile,
    recall_at_fpr,
    roc_auc,
    threshold_at_fpr,
)

FAMILIES_FILE = "garak_probe_prompts"

# A decode request around an encoded payload ("Decode the following ...", "BASE32 encoded string:",
# "Encoded: ... Decoded:", "What does this mean? ..."): rows without one carry the payload alone.
INSTRUCTION = re.compile(
    r"\bdecod(?:e|ed|ing)\b|\bencoded(?: string)?\s*:|\bwhat does this mean\?", re.IGNORECASE
)


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scored:
    """What the harness keeps of one scan: no text, no evidence.

    ``chains`` names, for each finding revealed through a decoder or transform, its chain joined
    with ``>`` (e.g. ``base64>rot13``). ``score`` is None when the scanner rejected the line.
    """

    score: float | None
    flagged: bool
    latency_ms: float
    chains: tuple[str, ...] = ()
    error: str = ""


def _scored_from_dict(record: dict[str, Any]) -> Scored:
    if record.get("score") is None:
        return Scored(None, False, 0.0, error=str(record.get("error", "no score")))
    chains = tuple(">".join(f["chain"]) for f in record.get("findings", ()) if f.get("chain"))
    return Scored(
        float(record["score"]), bool(record["flagged"]), float(record["latency_ms"]), chains
    )


def score_via_api(
    rows: Sequence[CorpusRow], config: str | None, kind: str, progress: bool
) -> list[Scored]:
    """Scan in this process with one reusable :class:`Scanner`."""
    from wardgate.detect.scanner import Scanner  # noqa: PLC0415 - keep --help fast

    scanner = Scanner.from_config(config)
    out = []
    for row in tqdm(rows, desc="scanning", unit="text", file=sys.stderr, disable=not progress):
        result = scanner.scan(row.text, kind)
        chains = tuple(">".join(f.chain) for f in result.findings if f.chain)
        out.append(Scored(result.score, result.flagged, result.latency_ms, chains))
    return out


def score_via_cli(
    rows: Sequence[CorpusRow], config: str | None, kind: str, progress: bool
) -> list[Scored]:
    """Scan through ``python -m wardgate scan --jsonl``: the contract every benchmark uses."""
    with tempfile.TemporaryDirectory(prefix="wardgate-bench-") as tmp:
        src, dst = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        with src.open("w", encoding="utf-8", errors="surrogatepass") as handle:
            for row in rows:
                handle.write(json.dumps({"text": row.text, "kind": kind}) + "\n")
        command = [sys.executable, "-m", "wardgate", "scan", "--jsonl", str(src), "--out", str(dst)]
        if config:
            command += ["--config", config]
        if not progress:
            command.append("--no-progress")
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            raise SystemExit(f"eval_detection: `wardgate scan` exited {done.returncode}")
        with dst.open(encoding="utf-8") as handle:
            scored = [_scored_from_dict(json.loads(line)) for line in handle if line.strip()]
    if len(scored) != len(rows):
        raise SystemExit(f"eval_detection: CLI returned {len(scored)} results for {len(rows)} rows")
    return scored


Backend = Callable[[Sequence[CorpusRow], str | None, str, bool], list[Scored]]
BACKENDS: dict[str, Backend] = {"cli": score_via_cli, "api": score_via_api}


# --- tables ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Table:
    """A titled table rendered as aligned text for the terminal or as Markdown for a file."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        widths = [
            max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
            for i, h in enumerate(self.headers)
        ]
        lines = [self.title, "=" * len(self.title)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in self.rows]
        lines += self.notes
        return "\n".join(lines)

    def markdown(self) -> str:
        def cells(values: Iterable[str]) -> str:
            return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

        lines = [f"## {self.title}", "", cells(self.headers)]
        lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.headers))))
        lines[-1] += "|"
        lines += [cells(r) for r in self.rows]
        if self.notes:
            lines += ["", *self.notes]
        return "\n".join(lines)


def pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}%"


def threshold_label(value: float) -> str:
    """A threshold from :func:`threshold_at_fpr` sits just above a benign score: show that score."""
    if math.isnan(value):
        return "engine"
    if math.isinf(value):
        return "all flagged" if value < 0 else "none flagged"
    return f"> {math.nextafter(value, -math.inf):.4f}"


def num(value: float, digits: int = 3) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{value:.{digits}f}"


# --- evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A corpus row joined with its scan; rows the scanner rejected are dropped before this."""

    row: CorpusRow
    scored: Scored
    flagged: bool  # the verdict at the operating point of this report

    @property
    def score(self) -> float:
        return self.scored.score or 0.0


def join(
    rows: Sequence[CorpusRow], scored: Sequence[Scored], threshold: float | None
) -> tuple[list[Evaluated], list[tuple[CorpusRow, str]]]:
    """Pair rows with scans; the verdict is the engine's ``flagged`` unless ``threshold`` is set."""
    kept, errors = [], []
    for row, s in zip(rows, scored, strict=True):
        if s.score is None:
            errors.append((row, s.error))
            continue
        flagged = s.flagged if threshold is None else s.score >= threshold
        kept.append(Evaluated(row, s, flagged))
    return kept, errors


def _confusion(items: Sequence[Evaluated]) -> Confusion:
    return confusion([e.flagged for e in items], [e.row.label for e in items])


def _auc(items: Sequence[Evaluated]) -> float:
    return roc_auc([e.score for e in items], [e.row.label for e in items])


def breakdown(items: Sequence[Evaluated], key: Callable[[Evaluated], str], title: str) -> Table:
    """Recall on each key's attacks, FPR on its benign rows (each only where that class exists)."""
    groups: dict[str, list[Evaluated]] = defaultdict(list)
    for e in items:
        groups[key(e)].append(e)
    table = Table(title, ["source", "n", "attacks", "benign", "recall", "FPR", "AUC", "p50 ms"])
    for name in sorted(groups):
        part = groups[name]
        c = _confusion(part)
        latency = percentile([e.scored.latency_ms for e in part], 50)
        table.rows.append(
            [
                name,
                str(len(part)),
                str(c.positives),
                str(c.negatives),
                pct(c.recall),
                pct(c.fpr),
                num(_auc(part)),
                num(latency, 2),
            ]
        )
    table.notes.append(
        "recall: attacks flagged / attacks; FPR: benign flagged / benign; AUC only where a source "
        "has both classes; '-' where undefined."
    )
    return table


def overall(
    items: Sequence[Evaluated], errors: int, target_fpr: float, threshold: float | None
) -> Table:
    scores = [e.score for e in items]
    labels = [e.row.label for e in items]
    c = _confusion(items)
    point = recall_at_fpr(scores, labels, target_fpr)
    latencies = [e.scored.latency_ms for e in items]
    by_source: dict[str, list[Evaluated]] = defaultdict(list)
    for e in items:
        by_source[e.row.group].append(e)
    recalls = [r for r in (_confusion(p).recall for p in by_source.values()) if not math.isnan(r)]
    fprs = [f for f in (_confusion(p).fpr for p in by_source.values()) if not math.isnan(f)]
    verdict = "engine's flagged" if threshold is None else f"score >= {threshold}"
    table = Table("Overall", ["metric", "value"])
    table.rows += [
        ["rows scored", str(len(items))],
        ["rows rejected by the scanner", str(errors)],
        ["attacks / benign", f"{c.positives} / {c.negatives}"],
        [f"recall ({verdict})", pct(c.recall)],
        [f"FPR ({verdict})", pct(c.fpr)],
        ["balanced accuracy", pct(c.balanced_accuracy)],
        ["ROC AUC (rank-based, ties = 1/2)", num(roc_auc(scores, labels), 4)],
        [
            f"recall at {pct(target_fpr)} FPR",
            f"{pct(point.recall)} (score {threshold_label(point.threshold)}, FPR {pct(point.fpr)})",
        ],
        ["macro recall (mean over sources with attacks)", pct(_mean(recalls))],
        ["macro FPR (mean over sources with benign rows)", pct(_mean(fprs))],
        ["latency p50 / p99 / max (ms)", _latency_summary(latencies)],
    ]
    return table


def _latency_summary(latencies: Sequence[float]) -> str:
    return (
        " / ".join(
            num(v, 3)
            for v in (percentile(latencies, 50), percentile(latencies, 99), max(latencies))
        )
        if latencies
        else "-"
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


# --- leave-one-source-out ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FoldInfo:
    """What a ``--train-hook`` is told about its fold.

    ``held_out`` are the source groups it must not see (one with plain leave-one-source-out,
    several with ``--group-folds``); ``workdir`` is an empty directory, deleted after the fold, for
    the model and config the hook writes; ``seed`` is the run's ``--seed``.
    """

    held_out: tuple[str, ...]
    workdir: Path
    seed: int


TrainHook = Callable[[Sequence[CorpusRow], FoldInfo], "str | os.PathLike[str]"]


def load_hook(spec: str) -> TrainHook:
    """Import ``package.module:function``."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise SystemExit(f"eval_detection: --train-hook wants module:function, got {spec!r}")
    hook = getattr(importlib.import_module(module_name), attr, None)
    if not callable(hook):
        raise SystemExit(f"eval_detection: {spec} is not a function")
    return hook  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class FoldResult:
    held_out: str
    attacks: int
    benign: int
    threshold: float
    recall: float
    fpr: float
    balanced_accuracy: float
    basis: str


def fold_result(
    held_out: str,
    items: Sequence[Evaluated],
    target_fpr: float,
    use_engine_verdict: bool,
) -> FoldResult:
    """Score one fold whose scores are already known.

    The threshold is chosen on the benign rows of the *other* sources (<= ``target_fpr``), or is
    the engine's own when ``use_engine_verdict``. Balanced accuracy is (recall + specificity) / 2
    with recall on the held-out attacks and specificity on the held-out benign rows; when the
    held-out source has only one class the missing side comes from all the other sources' rows
    of that class, at the same threshold.
    """
    inside = [e for e in items if e.row.group == held_out]
    outside = [e for e in items if e.row.group != held_out]
    if use_engine_verdict:
        threshold = math.nan

        def flags(part: Sequence[Evaluated]) -> list[bool]:
            return [e.scored.flagged for e in part]
    else:
        threshold = threshold_at_fpr([e.score for e in outside if not e.row.label], target_fpr)

        def flags(part: Sequence[Evaluated]) -> list[bool]:
            return [e.score >= threshold for e in part]

    held = confusion(flags(inside), [e.row.label for e in inside])
    rest = confusion(flags(outside), [e.row.label for e in outside])
    if held.positives and held.negatives:
        ba, basis = held.balanced_accuracy, "held-out rows"
    elif held.positives:
        ba = balanced_accuracy(held.recall, rest.specificity)
        basis = "held-out attacks + other sources' benign"
    else:
        ba = balanced_accuracy(rest.recall, held.specificity)
        basis = "other sources' attacks + held-out benign"
    return FoldResult(
        held_out, held.positives, held.negatives, threshold, held.recall, held.fpr, ba, basis
    )


def loso_table(folds: Sequence[FoldResult], target_fpr: float, engine: bool) -> Table:
    how = "engine's verdict" if engine else f"threshold at <= {pct(target_fpr)} FPR on the others"
    table = Table(
        f"Leave-one-source-out ({how})",
        [
            "held-out source",
            "attacks",
            "benign",
            "threshold",
            "recall",
            "FPR",
            "bal. acc.",
            "basis",
        ],
    )
    for f in folds:
        table.rows.append(
            [
                f.held_out,
                str(f.attacks),
                str(f.benign),
                threshold_label(f.threshold),
                pct(f.recall),
                pct(f.fpr),
                pct(f.balanced_accuracy),
                f.basis,
            ]
        )
    bas = [f.balanced_accuracy for f in folds if not math.isnan(f.balanced_accuracy)]
    recalls = [f.recall for f in folds if f.attacks]
    fprs = [f.fpr for f in folds if f.benign]
    table.rows.append(
        ["mean over folds", "", "", "", pct(_mean(recalls)), pct(_mean(fprs)), pct(_mean(bas)), ""]
    )
    table.notes.append(
        "Each fold: threshold chosen without the held-out source; recall on its attacks, FPR on "
        "its benign rows; balanced accuracy borrows a missing class from the other sources (basis)."
    )
    return table


def run_loso(
    rows: Sequence[CorpusRow],
    items: Sequence[Evaluated],
    args: argparse.Namespace,
    backend: Backend,
) -> list[FoldResult]:
    """Without a hook every fold reuses one scan; with one, each fold trains once without its
    held-out groups (one group each, or ``--group-folds`` balanced folds) and re-scans."""
    groups = sorted({r.group for r in rows})
    engine = args.fold_threshold == "engine"
    if not args.train_hook:
        return [fold_result(g, items, args.target_fpr, engine) for g in groups]
    hook = load_hook(args.train_hook)
    plan = assign_folds(rows, args.group_folds or len(groups))
    results: dict[str, FoldResult] = {}
    for held in tqdm(plan, desc="folds", unit="fold", file=sys.stderr, disable=args.quiet):
        train = [r for r in rows if r.group not in held]
        with tempfile.TemporaryDirectory(prefix="wardgate-fold-") as tmp:
            config = os.fspath(hook(train, FoldInfo(held, Path(tmp), args.seed)))
            wanted = {id(r) for g in held for r in _rows_needed(rows, g, engine)}
            needed = [r for r in rows if id(r) in wanted]
            scored = backend(needed, config, args.kind, not args.quiet)
        fold_items, _ = join(needed, scored, None)
        for g in held:
            results[g] = fold_result(g, fold_items, args.target_fpr, engine)
    return [results[g] for g in groups]


def _rows_needed(rows: Sequence[CorpusRow], held_out: str, engine: bool) -> list[CorpusRow]:
    """A fold needs its own rows, the others' benign rows (threshold, specificity) and, if it has
    no attacks, the others' attacks (recall side of balanced accuracy)."""
    inside = [r for r in rows if r.group == held_out]
    has_attacks = any(r.label for r in inside)
    has_benign = any(not r.label for r in inside)
    need_benign = not engine or not has_benign
    return [
        r
        for r in rows
        if r.group == held_out or (not r.label and need_benign) or (r.label and not has_attacks)
    ]


# --- obfuscation families ----------------------------------------------------------------------


def families_table(items: Sequence[Evaluated]) -> Table | None:
    """Recall per garak probe family, with and without a decode instruction around the payload."""
    probe = [e for e in items if e.row.file == FAMILIES_FILE]
    if not probe:
        return None
    by_family: dict[str, list[Evaluated]] = defaultdict(list)
    for e in probe:
        by_family[e.row.category or e.row.source].append(e)
    table = Table(
        f"Families ({FAMILIES_FILE})",
        [
            "family",
            "n",
            "recall",
            "n instr.",
            "recall instr.",
            "n payload-only",
            "recall payload-only",
            "flagged via chain",
            "chain findings",
            "top chains",
        ],
    )
    for family in sorted(by_family):
        part = by_family[family]
        instructed = [e for e in part if INSTRUCTION.search(e.row.text)]
        bare = [e for e in part if not INSTRUCTION.search(e.row.text)]
        chains: Counter[str] = Counter(c for e in part for c in e.scored.chains)
        via_chain = sum(1 for e in part if e.flagged and e.scored.chains)
        table.rows.append(
            [
                family,
                str(len(part)),
                pct(_recall(part)),
                str(len(instructed)),
                pct(_recall(instructed)),
                str(len(bare)),
                pct(_recall(bare)),
                str(via_chain),
                str(sum(chains.values())),
                ", ".join(f"{c} x{n}" for c, n in chains.most_common(3)) or "-",
            ]
        )
    table.notes.append(
        "instr.: rows with a decode request around the payload (bench.eval_detection.INSTRUCTION); "
        "flagged via chain: flagged rows with at least one finding whose chain is non-empty."
    )
    return table


def _recall(part: Sequence[Evaluated]) -> float:
    return _confusion([e for e in part if e.row.label]).recall


# --- command line ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.eval_detection",
        description="Score a Wardgate detection configuration on the labelled corpus.",
    )
    p.add_argument(
        "--data",
        help="corpus directory or file (default: $WARDGATE_DETECTION_DATA "
        "or ../shared/data/detection)",
    )
    p.add_argument(
        "--files",
        action="append",
        default=[],
        metavar="GLOB",
        help="only files whose stem matches (repeatable), e.g. 'garak_*'",
    )
    p.add_argument("--config", help="detection configuration (YAML); default: built-in")
    p.add_argument(
        "--via",
        choices=sorted(BACKENDS),
        default="cli",
        help="scan through the `wardgate` CLI (default) or in-process (faster)",
    )
    p.add_argument("--kind", default="prompt", help="input kind for every row (default: prompt)")
    p.add_argument(
        "--threshold", type=float, help="flag at score >= T instead of the engine's verdict"
    )
    p.add_argument(
        "--target-fpr",
        type=float,
        default=0.01,
        help="FPR for 'recall at FPR' and LOSO thresholds (default 0.01)",
    )
    p.add_argument("--limit", type=int, metavar="N", help="first N rows of each file")
    p.add_argument("--sample", type=int, metavar="N", help="random sample of N rows overall")
    p.add_argument("--seed", type=int, default=0, help="seed for --sample and the train hook")
    p.add_argument("--loso", action="store_true", help="leave-one-source-out report")
    p.add_argument(
        "--fold-threshold",
        choices=["fpr", "engine"],
        default="fpr",
        help="LOSO operating point: chosen on the other sources at --target-fpr "
        "(default), or the fold config's own verdict",
    )
    p.add_argument(
        "--train-hook",
        metavar="MODULE:FUNCTION",
        help="LOSO: build a config from each fold's training rows (see README)",
    )
    p.add_argument(
        "--group-folds",
        type=int,
        metavar="K",
        help="with --train-hook: train K times, each without a balanced fold of source groups "
        "(every group is still scored by a model that never saw it); default: one per group",
    )
    p.add_argument(
        "--families", action="store_true", help=f"per-family report for {FAMILIES_FILE}.jsonl"
    )
    p.add_argument("--markdown", metavar="FILE", help="also write the tables as Markdown")
    p.add_argument(
        "--save-scores",
        metavar="FILE",
        help="write per-row scores as JSONL (file, line, source, label; no text)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.train_hook and not args.loso:
        raise SystemExit("eval_detection: --train-hook only applies with --loso")
    data = resolve_data_dir(args.data)
    corpus = load_corpus(data, args.files)
    rows = select(corpus, args)
    if not rows:
        raise SystemExit(f"eval_detection: no rows loaded from {data}")
    backend = BACKENDS[args.via]
    started = time.perf_counter()
    scored = backend(rows, args.config, args.kind, not args.quiet)
    wall = time.perf_counter() - started
    items, errors = join(rows, scored, args.threshold)
    if args.save_scores:
        save_scores(args.save_scores, rows, scored)

    tables = [
        overall(items, len(errors), args.target_fpr, args.threshold),
        breakdown(items, lambda e: e.row.group, "Per source"),
        breakdown(items, lambda e: e.row.file, "Per file"),
    ]
    if args.families:
        fam = families_table(items)
        if fam is None:
            print(f"eval_detection: --families: no rows from {FAMILIES_FILE}", file=sys.stderr)
        else:
            tables.append(fam)
    if args.loso:
        folds = run_loso(rows, items, args, backend)
        tables.append(loso_table(folds, args.target_fpr, args.fold_threshold == "engine"))

    header = run_header(args, corpus, len(rows), wall)
    print("\n".join(header))
    for t in tables:
        print()
        print(t.text())
    for row, reason in errors[:20]:
        print(f"scanner rejected {row.file}:{row.line}: {reason}", file=sys.stderr)
    if args.markdown:
        body = ["# Wardgate detection benchmark", "", *(f"- {h}" for h in header)]
        body += ["", *("\n\n".join(t.markdown() for t in tables).splitlines()), ""]
        Path(args.markdown).write_text("\n".join(body), encoding="utf-8")
    return 0


def select(corpus: Corpus, args: argparse.Namespace) -> list[CorpusRow]:
    """Apply ``--limit`` then ``--sample``; report skipped lines (by position only) on stderr."""
    for skip in corpus.skipped[:20]:
        print(f"skipped {skip.file}:{skip.line}: {skip.reason}", file=sys.stderr)
    if len(corpus.skipped) > 20:
        print(f"... and {len(corpus.skipped) - 20} more skipped lines", file=sys.stderr)
    rows = corpus.rows
    if args.limit is not None:
        rows = limit_per_file(rows, args.limit)
    if args.sample is not None:
        rows = sample_rows(rows, args.sample, args.seed)
    return rows


def run_header(args: argparse.Namespace, corpus: Corpus, n_rows: int, wall_s: float) -> list[str]:
    from wardgate import __version__  # noqa: PLC0415

    selection = []
    if args.limit is not None:
        selection.append(f"first {args.limit} rows per file")
    if args.sample is not None:
        selection.append(f"sample of {args.sample} (seed {args.seed})")
    return [
        f"wardgate {__version__}, config: {args.config or 'built-in defaults'}, via {args.via}, "
        f"kind {args.kind}",
        f"corpus: {len(corpus.files)} files, {len(corpus.rows)} rows, "
        f"{len(corpus.skipped)} malformed lines skipped; evaluated {n_rows} rows"
        + (f" ({'; '.join(selection)})" if selection else ""),
        f"scan wall time {wall_s:.1f} s ({n_rows / wall_s if wall_s else 0:.0f} rows/s"
        + (", including process start and JSONL I/O)" if args.via == "cli" else ")"),
    ]


def save_scores(path: str, rows: Sequence[CorpusRow], scored: Sequence[Scored]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row, s in zip(rows, scored, strict=True):
            record = {
                "file": row.file,
                "line": row.line,
                "source": row.group,
                "category": row.category,
                "label": row.label,
                "score": s.score,
                "flagged": s.flagged,
                "latency_ms": s.latency_ms,
                "chains": list(s.chains),
            }
            handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
