"""Training examples: corpus rows capped per source, generated examples, and their windows.

Why capping: a few large, templated sources (tens of thousands of near-identical rows) would
otherwise teach the model their style rather than what an attack is. Each (source group, label)
contributes at most ``cap`` rows, drawn with a fixed seed.

Why windows: the runtime reads long text in overlapping windows (``windows.cut``), so training
reads the same windows. Benign long texts contribute several windows (all benign); long attacks
contribute the windows that hold the attack: the first and last for corpus rows, the window
containing the planted payload for generated indirect injections.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tokenizers import Tokenizer

from bench.corpus import CorpusRow
from wardgate.detect.classifier.labels import AttackClass, class_of
from wardgate.detect.classifier.windows import Window, cut

if TYPE_CHECKING:
    from training.augment import Example

# Encoded payloads are decoded by the pipeline and judged as text; as raw base64 or Morse they
# would only teach the model that any opaque token is an attack.
EXCLUDED_GROUPS = frozenset({"garak-probe:encoding"})
BENIGN_WINDOWS_PER_TEXT = 4


@dataclass(frozen=True, slots=True)
class TrainText:
    """One labelled text, from the corpus or generated; ``group`` is its source group."""

    text: str
    cls: AttackClass
    group: str
    payload: str = ""  # for generated indirect injections: the planted attack


@dataclass(frozen=True, slots=True)
class TrainWindow:
    ids: tuple[int, ...]
    cls: AttackClass
    group: str


def from_corpus(rows: Iterable[CorpusRow], *, cap: int, seed: int) -> list[TrainText]:
    """Corpus rows as training texts, at most ``cap`` per (group, label)."""
    buckets: dict[tuple[str, int], list[CorpusRow]] = defaultdict(list)
    for row in rows:
        if row.group in EXCLUDED_GROUPS or not row.text.strip():
            continue
        buckets[(row.group, row.label)].append(row)
    rng = random.Random(seed)
    out: list[TrainText] = []
    for key in sorted(buckets):
        bucket = buckets[key]
        if len(bucket) > cap:
            bucket = rng.sample(bucket, cap)
        out.extend(TrainText(r.text, class_of(r.label, r.category), r.group) for r in bucket)
    return out


def from_examples(examples: Iterable[Example]) -> list[TrainText]:
    return [TrainText(e.text, e.cls, e.source, e.payload) for e in examples]


def to_windows(
    texts: Sequence[TrainText],
    tokenizer: Tokenizer,
    *,
    window: int,
    stride: int,
    seed: int,
) -> list[TrainWindow]:
    """The windows each text contributes (see the module docstring)."""
    rng = random.Random(seed)
    tokenizer.no_truncation()  # the shipped tokenizer.json truncates and pads to 128 tokens
    tokenizer.no_padding()
    encs = tokenizer.encode_batch([t.text for t in texts], add_special_tokens=False)
    out: list[TrainWindow] = []
    for t, enc in zip(texts, encs, strict=True):
        wins = cut(enc.ids, enc.offsets, window=window, stride=stride, text_length=len(t.text))
        for w in _chosen(t, wins, rng):
            out.append(TrainWindow(w.ids, t.cls, t.group))
    return out


def _chosen(t: TrainText, wins: list[Window], rng: random.Random) -> list[Window]:
    if len(wins) == 1:
        return wins
    if t.cls is AttackClass.BENIGN:
        return rng.sample(wins, min(BENIGN_WINDOWS_PER_TEXT, len(wins)))
    if t.payload:
        at, end = _locate(t.text, t.payload)
        if at >= 0:
            holding = [w for w in wins if w.start <= at and end <= w.end]
            if not holding:  # payload longer than a window: the windows overlapping it
                holding = [w for w in wins if w.start < end and at < w.end]
            return holding[:2]
    return [wins[0], wins[-1]]


def _locate(text: str, payload: str) -> tuple[int, int]:
    """Where the planted payload sits; documents may have had their line breaks varied, so
    fall back to its longest line."""
    at = text.find(payload)
    if at >= 0:
        return at, at + len(payload)
    line = max(payload.splitlines() or [""], key=len).strip()
    at = text.find(line) if line else -1
    return (at, at + len(line)) if at >= 0 else (-1, -1)
