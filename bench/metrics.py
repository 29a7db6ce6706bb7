"""Detection-quality and latency metrics, in plain Python so the harness needs no numeric stack.

Conventions, fixed here so every report means the same thing:

* a row is *flagged* at threshold ``t`` when ``score >= t`` (the engine's own rule);
* label 1 is an attack (positive), label 0 benign (negative);
* a metric whose denominator is empty is ``nan`` (shown as "-"), never 0, so an absent class is not
  mistaken for a perfect or a useless detector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class Confusion:
    """Counts of one operating point: true/false positives and negatives."""

    tp: int = 0
    fn: int = 0
    tn: int = 0
    fp: int = 0

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        return self.tn + self.fp

    @property
    def recall(self) -> float:
        """True-positive rate: attacks flagged / attacks."""
        return _ratio(self.tp, self.positives)

    @property
    def fpr(self) -> float:
        """False-positive rate: benign rows flagged / benign rows."""
        return _ratio(self.fp, self.negatives)

    @property
    def specificity(self) -> float:
        return _ratio(self.tn, self.negatives)

    @property
    def balanced_accuracy(self) -> float:
        """Mean of recall and specificity; ``nan`` unless both classes are present."""
        return balanced_accuracy(self.recall, self.specificity)

    def __add__(self, other: Confusion) -> Confusion:
        return Confusion(
            self.tp + other.tp, self.fn + other.fn, self.tn + other.tn, self.fp + other.fp
        )


def _ratio(num: int, den: int) -> float:
    return num / den if den else NAN


def balanced_accuracy(recall: float, specificity: float) -> float:
    """``(TPR + TNR) / 2``; ``nan`` when either rate is undefined."""
    if math.isnan(recall) or math.isnan(specificity):
        return NAN
    return (recall + specificity) / 2


def confusion(flags: Sequence[bool], labels: Sequence[int]) -> Confusion:
    """Count a confusion matrix from per-row verdicts and labels (1 attack, 0 benign)."""
    _check_lengths(flags, labels)
    tp = fn = tn = fp = 0
    for flagged, label in zip(flags, labels, strict=True):
        if label:
            tp += flagged
            fn += not flagged
        else:
            fp += flagged
            tn += not flagged
    return Confusion(tp, fn, tn, fp)


def confusion_at(scores: Sequence[float], labels: Sequence[int], threshold: float) -> Confusion:
    """Confusion matrix when rows with ``score >= threshold`` are flagged."""
    return confusion([s >= threshold for s in scores], labels)


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve, computed from ranks (Mann-Whitney U).

    Equals the probability that a random attack scores higher than a random benign row, counting a
    tie as one half: tied scores get their average rank. ``nan`` if a class is missing.
    """
    _check_lengths(scores, labels)
    n_pos = sum(1 for y in labels if y)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return NAN
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum_pos = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1  # ranks are 1-based; a run of ties shares its mean rank
        rank_sum_pos += mid_rank * sum(1 for k in range(i, j + 1) if labels[order[k]])
        i = j + 1
    u = rank_sum_pos - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def threshold_at_fpr(benign_scores: Sequence[float], max_fpr: float) -> float:
    """The lowest threshold whose false-positive rate on ``benign_scores`` is at most ``max_fpr``.

    With ``k = floor(max_fpr * n)`` false positives allowed, the threshold sits just above the
    ``(k+1)``-th highest benign score, so ties at that score are all left unflagged (the FPR never
    overshoots). ``-inf`` (flag everything) when the budget covers every benign row or there are
    none.
    """
    if not 0.0 <= max_fpr <= 1.0:
        raise ValueError(f"max_fpr {max_fpr} outside [0, 1]")
    n = len(benign_scores)
    allowed = math.floor(max_fpr * n + 1e-9)  # tolerate 0.01 * 300 = 3.0000000000000004
    if allowed >= n:
        return -math.inf
    highest_first = sorted(benign_scores, reverse=True)
    return math.nextafter(highest_first[allowed], math.inf)


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """Recall and FPR at a threshold chosen for a target false-positive rate."""

    threshold: float
    recall: float
    fpr: float


def recall_at_fpr(scores: Sequence[float], labels: Sequence[int], max_fpr: float) -> OperatingPoint:
    """Recall at the lowest threshold keeping the FPR at or below ``max_fpr``."""
    _check_lengths(scores, labels)
    benign = [s for s, y in zip(scores, labels, strict=True) if not y]
    threshold = threshold_at_fpr(benign, max_fpr)
    point = confusion_at(scores, labels, threshold)
    return OperatingPoint(threshold, point.recall, point.fpr)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``q`` % of the values at or below.

    p50 of ``[1, 2, 3, 4]`` is 2 and p99 of 100 values is the 99th smallest; p0 is the minimum and
    p100 the maximum. Always an observed value (no interpolation), which is what a latency SLO
    means. ``nan`` for no values.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile {q} outside [0, 100]")
    if not values:
        return NAN
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered) - 1e-9))
    return ordered[rank - 1]


def _check_lengths(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} scores/flags vs {len(b)} labels")
