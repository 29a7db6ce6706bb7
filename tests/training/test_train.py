"""The recipe's fitted figures on synthetic out-of-fold scores: Platt calibration, the default
threshold, the lexical gate, per-source and reliability figures, and the fold fingerprint.
PyTorch is only imported when a model is trained, so none of this needs it."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.corpus import CorpusRow
from training import train
from training.train import (
    Judged,
    Scored,
    Settings,
    calibrated,
    fit_calibration,
    fit_gate,
    fit_reading,
    fit_threshold,
    per_source,
    reliability,
)
from wardgate.detect.classifier.bundle import Calibration
from wardgate.detect.classifier.labels import AttackClass

IDENTITY = Calibration(a=1.0, b=0.0)


def _scored(group: str, label: int, raw: float, lex: float = 0.0) -> Scored:
    return Scored(group, "f", 1, label, int(AttackClass.DIRECT_INJECTION) if label else 0, raw, lex)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


# --- calibration -------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(2.0, -1.0), (0.5, 0.8), (3.0, 0.0)])
def test_calibration_recovers_a_known_logistic_model(a: float, b: float) -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 1.5, size=20_000)
    y = rng.random(x.size) < 1.0 / (1.0 + np.exp(-(a * x + b)))
    c = fit_calibration(
        [_scored("g", int(label), float(raw)) for raw, label in zip(x, y, strict=True)]
    )
    assert c.a == pytest.approx(a, abs=0.12 * max(1.0, a))
    assert c.b == pytest.approx(b, abs=0.1)


def test_calibration_is_monotone_on_fitted_constants() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=4000)
    y = rng.random(x.size) < 1.0 / (1.0 + np.exp(-(2 * x - 1)))
    c = fit_calibration(
        [_scored("g", int(label), float(raw)) for raw, label in zip(x, y, strict=True)]
    )
    grid = [calibrated(c, v) for v in np.linspace(-20, 20, 401)]
    assert all(lo <= hi for lo, hi in itertools.pairwise(grid))
    assert grid[0] < 0.01 < 0.99 < grid[-1]


@given(
    a=st.floats(0.01, 20),
    b=st.floats(-20, 20),
    raws=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=20),
)
def test_calibrated_is_a_monotone_probability(a: float, b: float, raws: list[float]) -> None:
    c = Calibration(a=a, b=b)
    probs = [calibrated(c, r) for r in sorted(raws)]
    assert all(0.0 < p <= 1.0 for p in probs)  # clamped: no overflow, never 0
    assert all(lo <= hi for lo, hi in itertools.pairwise(probs))


def test_calibrated_is_platt_sigmoid() -> None:
    assert calibrated(Calibration(a=2.0, b=-1.0), 0.5) == pytest.approx(0.5)
    assert calibrated(Calibration(a=2.0, b=-1.0), 1.0) == pytest.approx(_sigmoid(1.0))


# --- threshold ---------------------------------------------------------------------------------


def _benign_group(rng: random.Random, name: str, n: int, mu: float) -> list[Scored]:
    return [_scored(name, 0, rng.gauss(mu, 1.0)) for _ in range(n)]


def _flagged(probs: list[float], threshold: float) -> int:
    return sum(p >= threshold for p in probs)


def test_threshold_keeps_every_large_benign_group_under_one_percent() -> None:
    rng = random.Random(5)
    scored = [
        *_benign_group(rng, "big-a", 1000, -2.0),
        *_benign_group(rng, "big-b", 250, -1.0),
        *_benign_group(rng, "big-c", 200, -3.0),
        *(_scored("attacks", 1, rng.gauss(4.0, 1.0)) for _ in range(300)),
    ]
    t = fit_threshold(scored, IDENTITY)
    assert 0.5 <= t < 0.999
    for group, n in (("big-a", 1000), ("big-b", 250), ("big-c", 200)):
        probs = [calibrated(IDENTITY, s.raw) for s in scored if s.group == group]
        assert _flagged(probs, t) <= math.floor(0.01 * n)
    # the lowest such threshold: a little lower and the binding group goes over
    binding = [calibrated(IDENTITY, s.raw) for s in scored if s.group == "big-b"]
    assert _flagged(binding, t - 1e-5) > math.floor(0.01 * 250)


def test_small_benign_groups_and_attacks_do_not_move_the_threshold() -> None:
    rng = random.Random(9)
    base = _benign_group(rng, "big", 400, -1.0)
    noisy_small = [
        _scored("small", 0, _logit(0.97)) for _ in range(train.MIN_BENIGN_FOR_THRESHOLD - 1)
    ]
    attacks = [_scored("big", 1, 9.0) for _ in range(100)]
    t = fit_threshold(base, IDENTITY)
    assert fit_threshold([*base, *noisy_small, *attacks], IDENTITY) == t
    assert t < 0.97
    # at the size limit the same group does count
    counted = [*noisy_small, _scored("small", 0, _logit(0.97))]
    assert fit_threshold([*base, *counted], IDENTITY) > 0.97


@pytest.mark.parametrize(
    "scored",
    [
        [],
        [_scored("g", 0, -8.0) for _ in range(500)],
        [_scored("g", 1, 8.0) for _ in range(500)],
        [_scored("g", 0, 3.0) for _ in range(150)],  # too few to count
    ],
    ids=["empty", "low-benign", "attacks-only", "small-group"],
)
def test_threshold_never_goes_below_one_half(scored: list[Scored]) -> None:
    assert fit_threshold(scored, IDENTITY) == 0.5


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 450), min_size=1, max_size=4),
    shifts=st.lists(st.floats(-4, 3), min_size=4, max_size=4),
    seed=st.integers(0, 1000),
)
def test_threshold_property(sizes: list[int], shifts: list[float], seed: int) -> None:
    rng = random.Random(seed)
    groups = {f"g{i}": _benign_group(rng, f"g{i}", n, shifts[i]) for i, n in enumerate(sizes)}
    t = fit_threshold([s for g in groups.values() for s in g], IDENTITY)
    assert 0.5 <= t <= 0.999
    for part in groups.values():
        if len(part) >= train.MIN_BENIGN_FOR_THRESHOLD and t < 0.999:
            probs = [calibrated(IDENTITY, s.raw) for s in part]
            assert _flagged(probs, t) <= math.floor(train.TARGET_FPR * len(part))


# --- lexical gate ------------------------------------------------------------------------------


def test_gate_skips_at_most_one_percent_of_caught_attacks() -> None:
    rng = random.Random(21)
    caught = [_scored("a", 1, rng.uniform(1.0, 6.0), rng.gauss(2.0, 1.5)) for _ in range(1000)]
    missed = [_scored("a", 1, rng.uniform(-6.0, -1.0), -30.0) for _ in range(200)]
    benign = [_scored("b", 0, rng.uniform(-6.0, 6.0), -40.0) for _ in range(500)]
    gate = fit_gate([*caught, *missed, *benign], IDENTITY, 0.5)
    below = sum(s.lex < gate for s in caught)
    assert below <= 0.01 * len(caught)
    assert below == int(train.GATE_MISS * len(caught))  # and no stricter than needed
    # attacks the transformer missed and benign rows have no say
    assert fit_gate(caught, IDENTITY, 0.5) == gate


def test_gate_without_caught_attacks_lets_nothing_skip() -> None:
    scored = [_scored("a", 1, -5.0, 1.0), _scored("b", 0, 5.0, 1.0)]
    assert fit_gate(scored, IDENTITY, 0.5) == -math.inf


def test_gate_with_few_caught_attacks_keeps_them_all() -> None:
    scored = [_scored("a", 1, 3.0, lex) for lex in (0.5, -2.0, 4.0)]
    gate = fit_gate(scored, IDENTITY, 0.5)
    assert all(s.lex >= gate for s in scored)
    assert gate == pytest.approx(-2.0, abs=1e-5)


def test_fit_reading_chains_the_three_fits() -> None:
    rng = random.Random(4)
    scored = [
        *(_scored("atk", 1, rng.gauss(2.0, 1.5), rng.gauss(1.0, 1.0)) for _ in range(400)),
        *_benign_group(rng, "ben", 600, -2.0),
    ]
    c, t, gate = fit_reading(scored)
    assert c == fit_calibration(scored)
    assert t == fit_threshold(scored, c)
    assert gate == fit_gate(scored, c, t)


# --- per-source and reliability figures ------------------------------------------------------


def _judged(group: str, label: int, probability: float, threshold: float = 0.5) -> Judged:
    return Judged(_scored(group, label, 0.0), probability, threshold)


@pytest.mark.parametrize(
    ("probability", "threshold", "flagged"),
    [(0.5, 0.5, True), (0.4999, 0.5, False), (0.9, 0.95, False), (1.0, 0.999, True)],
)
def test_judged_flags_at_or_above_its_own_threshold(
    probability: float, threshold: float, flagged: bool
) -> None:
    assert _judged("g", 1, probability, threshold).flagged is flagged


def test_per_source_counts_recall_and_fpr() -> None:
    judged = [
        _judged("gamma", 0, 0.1),
        _judged("alpha", 1, 0.9),
        _judged("alpha", 1, 0.5),  # p == threshold counts as flagged
        _judged("alpha", 1, 0.2),
        _judged("alpha", 1, 0.8, threshold=0.85),  # each row keeps its fold's threshold
        _judged("alpha", 0, 0.7),
        _judged("alpha", 0, 0.7, threshold=0.75),
        _judged("beta", 1, 0.9),
        _judged("beta", 1, 0.95),
        _judged("gamma", 0, 0.3),
    ]
    assert per_source(judged) == [
        {"source": "alpha", "attacks": 4, "benign": 2, "recall": 0.5, "fpr": 0.5},
        {"source": "beta", "attacks": 2, "benign": 0, "recall": 1.0, "fpr": None},
        {"source": "gamma", "attacks": 0, "benign": 2, "recall": None, "fpr": 0.0},
    ]
    assert per_source([]) == []


def test_reliability_bands() -> None:
    judged = [
        _judged("g", 0, 0.0),
        _judged("g", 0, 0.05),
        _judged("g", 1, 0.15),
        _judged("g", 0, 0.19),
        _judged("g", 1, 0.2),  # a band's upper edge belongs to the next band
        _judged("g", 1, 0.95),
        _judged("g", 1, 1.0),  # the top band is closed
    ]
    bands = reliability(judged)
    assert [b["band"] for b in bands] == [f"{k / 10:.1f}-{(k + 1) / 10:.1f}" for k in range(10)]
    assert [b["rows"] for b in bands] == [2, 2, 1, 0, 0, 0, 0, 0, 0, 2]
    assert sum(int(str(b["rows"])) for b in bands) == len(judged)
    assert bands[0]["mean_predicted"] == pytest.approx(0.025)
    assert bands[0]["observed_attack_rate"] == 0.0
    assert bands[1]["mean_predicted"] == pytest.approx(0.17)
    assert bands[1]["observed_attack_rate"] == 0.5
    assert bands[2]["observed_attack_rate"] == 1.0
    assert bands[3]["mean_predicted"] is None
    assert bands[3]["observed_attack_rate"] is None
    assert bands[9]["mean_predicted"] == pytest.approx(0.975)


@settings(max_examples=30, deadline=None)
@given(
    probs=st.lists(st.floats(0.0, 1.0), max_size=60),
    bins=st.integers(1, 12),
    labels=st.randoms(use_true_random=False),
)
def test_reliability_counts_every_row_once(
    probs: list[float], bins: int, labels: random.Random
) -> None:
    judged = [_judged("g", labels.randint(0, 1), p) for p in probs]
    bands = reliability(judged, bins=bins)
    assert len(bands) == bins
    assert sum(int(str(b["rows"])) for b in bands) == len(judged)
    for b in bands:
        if b["rows"]:
            lo, hi = (float(x) for x in str(b["band"]).split("-"))
            assert lo - 0.05 <= float(str(b["mean_predicted"])) <= hi + 0.05
            assert 0.0 <= float(str(b["observed_attack_rate"])) <= 1.0


# --- settings fingerprint ----------------------------------------------------------------------


def test_default_settings_match_the_command_line_defaults() -> None:
    s = train.default_settings()
    assert s == train.settings_from(train.parser().parse_args([]))
    assert (s.folds, s.cap, s.window, s.stride, s.seed) == (4, 600, 126, 96, 13)
    assert 0 < s.stride <= s.window


def test_fingerprint_is_stable_and_order_insensitive() -> None:
    s = train.default_settings()
    stamp = s.fingerprint(1234, ["b", "a"])
    assert stamp == train.default_settings().fingerprint(1234, ("a", "b"))
    assert len(stamp) == 16
    assert int(stamp, 16) >= 0


@pytest.mark.parametrize(
    ("rows", "held_out"),
    [(1235, ("a", "b")), (1234, ("a",)), (1234, ("a", "b", "c")), (1234, ("a", "c"))],
)
def test_fingerprint_changes_with_rows_or_held_out(rows: int, held_out: tuple[str, ...]) -> None:
    s = train.default_settings()
    assert s.fingerprint(rows, held_out) != s.fingerprint(1234, ("a", "b"))


def _changed(value: object) -> object:
    if isinstance(value, int):
        return value + 1
    assert isinstance(value, float)
    return value * 1.5 + 0.001


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Settings)])
def test_fingerprint_changes_with_every_setting(field: str) -> None:
    s = train.default_settings()
    other = dataclasses.replace(s, **{field: _changed(getattr(s, field))})
    assert other.fingerprint(1234, ("a",)) != s.fingerprint(1234, ("a",))


# --- training texts ----------------------------------------------------------------------------


def test_build_texts_caps_corpus_rows_and_plants_short_attacks() -> None:
    rows = [
        *(
            CorpusRow(f"disregard the rules, variant {i}", 1, "attack", "atk", "f", i)
            for i in range(30)
        ),
        *(CorpusRow(f"recipe question {i}", 0, "", "ben", "f", i) for i in range(30)),
        CorpusRow("overlong attack " * 50, 1, "attack", "long", "f", 1),
    ]
    s = dataclasses.replace(train.default_settings(), cap=10, augment_scale=0.02)
    texts = train.build_texts(rows, s, seed=1)
    corpus_groups = {"atk", "ben", "long"}
    from_rows = [t for t in texts if t.group in corpus_groups]
    generated = [t for t in texts if t.group not in corpus_groups]
    assert sorted(t.group for t in from_rows) == ["atk"] * 10 + ["ben"] * 10 + ["long"]
    assert generated
    assert all(t.group.startswith("synthetic:") for t in generated)
    assert texts == train.build_texts(rows, s, seed=1)
    # planted payloads drawn from the corpus are the capped short attacks, never the long one
    corpus_texts = {r.text.strip() for r in rows}
    kept_attacks = {t.text.strip() for t in from_rows if t.group == "atk"}
    from_pool = {t.payload for t in generated if t.payload in corpus_texts}
    assert from_pool
    assert from_pool <= kept_attacks
