"""Metrics checked against examples small enough to work out by hand."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from bench.metrics import (
    Confusion,
    balanced_accuracy,
    confusion,
    confusion_at,
    percentile,
    recall_at_fpr,
    roc_auc,
    threshold_at_fpr,
)


def _pairwise_auc(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize(
    ("scores", "labels", "expected"),
    [
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),  # one inverted pair out of four
        ([0.5, 0.9, 0.5, 0.2], [1, 1, 0, 0], 0.875),  # one tied pair counts one half
        ([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0], 0.5),  # all tied: no information
        ([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0], 1.0),
        ([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0], 0.0),
        ([0.2, 0.7, 0.7, 0.7, 0.1], [0, 1, 0, 1, 0], (2 + 0.5 + 0.5 + 2) / 6),
    ],
)
def test_roc_auc_hand_computed(scores: list[float], labels: list[int], expected: float) -> None:
    assert roc_auc(scores, labels) == pytest.approx(expected)


def test_roc_auc_matches_pairwise_definition_with_many_ties() -> None:
    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(2, 40)
        scores = [rng.choice([0.0, 0.25, 0.5, 0.75, 1.0]) for _ in range(n)]
        labels = [rng.randint(0, 1) for _ in range(n)]
        labels[0], labels[1] = 0, 1  # both classes present
        assert roc_auc(scores, labels) == pytest.approx(_pairwise_auc(scores, labels))


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], []])
def test_roc_auc_undefined_without_both_classes(labels: list[int]) -> None:
    assert math.isnan(roc_auc([0.5] * len(labels), labels))


def test_threshold_at_fpr_allows_floor_of_budget() -> None:
    benign = [i / 100 for i in range(100)]  # 0.00 .. 0.99
    t = threshold_at_fpr(benign, 0.01)  # one false positive allowed: only 0.99 may pass
    assert 0.98 < t <= 0.99
    assert sum(s >= t for s in benign) == 1


def test_threshold_at_fpr_never_overshoots_on_ties() -> None:
    benign = [0.9, 0.9] + [0.1] * 98  # allowing one FP would need to split a tie
    t = threshold_at_fpr(benign, 0.01)
    assert t > 0.9
    assert sum(s >= t for s in benign) == 0


@pytest.mark.parametrize(("benign", "max_fpr"), [([], 0.01), ([0.2, 0.4], 1.0)])
def test_threshold_at_fpr_flags_everything_when_budget_covers_all(
    benign: list[float], max_fpr: float
) -> None:
    assert threshold_at_fpr(benign, max_fpr) == -math.inf


def test_threshold_at_fpr_rejects_out_of_range_budget() -> None:
    with pytest.raises(ValueError, match="outside"):
        threshold_at_fpr([0.1], 1.5)


def test_recall_at_one_percent_fpr() -> None:
    benign = [0.1] * 99 + [0.8]
    attacks = [0.9, 0.8, 0.5, 0.05]
    point = recall_at_fpr(benign + attacks, [0] * 100 + [1] * 4, 0.01)
    # One FP allowed: threshold just above 0.1, so 0.8 (benign) and 0.9/0.8/0.5 (attacks) pass.
    assert point.recall == pytest.approx(0.75)
    assert point.fpr == pytest.approx(0.01)
    assert 0.1 < point.threshold <= 0.5


def test_recall_at_fpr_with_fewer_than_100_benign_allows_no_false_positive() -> None:
    point = recall_at_fpr([0.4, 0.6, 0.5, 0.7], [0, 0, 1, 1], 0.01)
    assert point.fpr == 0.0
    assert point.recall == pytest.approx(0.5)  # only 0.7 beats the top benign 0.6


def test_confusion_counts_and_rates() -> None:
    c = confusion([True, False, True, False, False], [1, 1, 0, 0, 0])
    assert c == Confusion(tp=1, fn=1, tn=2, fp=1)
    assert c.recall == pytest.approx(0.5)
    assert c.fpr == pytest.approx(1 / 3)
    assert c.balanced_accuracy == pytest.approx((0.5 + 2 / 3) / 2)
    assert confusion_at([0.5, 0.49], [1, 1], 0.5) == Confusion(tp=1, fn=1)


def test_balanced_accuracy_hand_computed() -> None:
    assert Confusion(tp=8, fn=2, tn=45, fp=5).balanced_accuracy == pytest.approx(0.85)
    assert balanced_accuracy(1.0, 0.0) == pytest.approx(0.5)


@pytest.mark.parametrize("c", [Confusion(tp=3, fn=1), Confusion(tn=4, fp=1), Confusion()])
def test_balanced_accuracy_undefined_with_one_class(c: Confusion) -> None:
    assert math.isnan(c.balanced_accuracy)


def test_confusion_adds() -> None:
    assert Confusion(1, 2, 3, 4) + Confusion(1, 1, 1, 1) == Confusion(2, 3, 4, 5)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="length mismatch"):
        confusion([True], [1, 0])


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([4, 1, 3, 2], 50, 2),  # nearest rank: ceil(0.5 * 4) = 2nd smallest, no interpolation
        ([4, 1, 3, 2], 75, 3),
        ([4, 1, 3, 2], 0, 1),
        ([4, 1, 3, 2], 100, 4),
        ([4, 1, 3, 2], 51, 3),
        (list(range(1, 101)), 99, 99),
        (list(range(1, 101)), 99.5, 100),
        (list(range(1, 11)), 99, 10),  # with < 100 values p99 is the maximum
        ([7.5], 50, 7.5),
    ],
)
def test_percentile_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


def test_percentile_edge_cases() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 101)
