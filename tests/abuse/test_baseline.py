"""Baselines: decayed moments over active hours, winsorised learning, z-scores with floors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.abuse.baseline import (
    ActivityBaseline,
    BaselinePolicy,
    DecayedMoments,
    Deviation,
    Metric,
    RouteBaselines,
    hod_from_history,
)

POLICY = BaselinePolicy(half_life_h=72.0, clip_z=4.0, min_weight=0.5)


def test_moments_of_equal_weights() -> None:
    m = DecayedMoments()
    for value in (10, 20, 30):
        m.fold(100, value, 72.0)  # the same hour: no decay between them
    assert m.mean == pytest.approx(20)
    assert m.std == pytest.approx(math.sqrt(200 / 3))
    assert m.weight_at(100, 72.0) == 3
    assert m.weight_at(172, 72.0) == pytest.approx(1.5)


def test_old_hours_weigh_less() -> None:
    m = DecayedMoments()
    m.fold(0, 100, 24.0)
    m.fold(24, 0, 24.0)  # a day later: the first sample weighs half
    assert m.mean == pytest.approx(100 * 0.5 / 1.5)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_moments_match_plain_statistics_without_decay(values: list[float]) -> None:
    m = DecayedMoments()
    for v in values:
        m.fold(5, v, 1e12)
    mean = sum(values) / len(values)
    assert m.mean == pytest.approx(mean, rel=1e-6, abs=1e-6)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    assert m.std == pytest.approx(math.sqrt(var), rel=1e-3, abs=1e-2 * max(1.0, mean))


def test_winsorised_learning_resists_an_attack() -> None:
    """An account that sent ~10 requests an hour, then 500 an hour for a day: the baseline
    learns at most clip_z sd per hour, so the attack stays anomalous for hours."""
    policy = BaselinePolicy(half_life_h=72.0, clip_z=4.0, min_weight=0.5, min_std=(10, 1, 1))
    m = DecayedMoments()
    for h in range(24):
        policy.fold(m, h, 10.0, Metric.REQUESTS)
    naive = DecayedMoments()
    for h in range(24):
        naive.fold(h, 10.0, 72.0)
    for h in range(24, 30):
        policy.fold(m, h, 500.0, Metric.REQUESTS)
        naive.fold(h, 500.0, 72.0)
    dev = Deviation(500.0, m.mean, m.std, m.weight_at(30, 72.0))
    assert dev.z(10.0) > 4.0
    assert Deviation(500.0, naive.mean, naive.std, 1.0).z(10.0) < 2.0


def test_deviation_floors_the_std() -> None:
    dev = Deviation(value=12, mean=10, std=0.0, weight=30)
    assert dev.z(min_std=1.0) == pytest.approx(0.8)  # 0.25 * mean = 2.5 wins over 1.0
    assert Deviation(30, 10, 0.0, 30).z(min_std=10.0) == pytest.approx(2.0)
    assert dev.ratio() == pytest.approx(1.2)


def test_activity_baseline_folds_active_hours_only() -> None:
    base = ActivityBaseline(first_seen=0.0)
    base.add(0, (5, 100, 0), POLICY)
    base.add(0, (5, 100, 0), POLICY)
    base.add(10, (1, 10, 0), POLICY)  # hour 0 is folded; hours 1-9 were idle, not zeros
    moments = base.moments[Metric.REQUESTS]
    assert moments.mean == pytest.approx(10)
    assert list(base.current) == [1, 10, 0]
    view = base.view(10 * 3600.0 + 5, 72.0)
    assert view.current == (1, 10, 0)
    assert view.own[Metric.REQUESTS].mean == pytest.approx(10)
    assert view.age_s == pytest.approx(36_005)


def test_off_hours() -> None:
    base = ActivityBaseline(first_seen=0.0)
    for day in range(5):
        for hour in (9, 10, 11, 14):
            base.add(day * 24 + hour, (20, 0, 0), POLICY)
    base.add(5 * 24 + 3, (1, 0, 0), POLICY)  # folds the last day hour
    night = base.view((5 * 24 + 3) * 3600.0, 72.0)
    day = base.view((5 * 24 + 10) * 3600.0, 72.0)
    assert night.off_hours(min_history_h=72, max_share=0.01)
    assert not day.off_hours(min_history_h=72, max_share=0.01)
    young = ActivityBaseline(first_seen=0.0).view(3 * 3600.0, 72.0)
    assert not young.off_hours(min_history_h=72, max_share=0.01)


def test_hod_from_history_matches_incremental_folding() -> None:
    history = [(h, float(h % 7 + 1)) for h in range(0, 200, 5)]
    base = ActivityBaseline(first_seen=0.0)
    for hour, value in history:
        base.add(hour, (value, 0, 0), POLICY)
    base.add(10_000, (1, 0, 0), POLICY)
    assert hod_from_history(history, 72.0) == pytest.approx(base.hod)
    rebuilt = POLICY.moments(history, Metric.REQUESTS)
    assert rebuilt.mean == pytest.approx(base.moments[Metric.REQUESTS].mean)
    assert rebuilt.std == pytest.approx(base.moments[Metric.REQUESTS].std)


def test_route_baselines_need_enough_hours_and_stay_bounded() -> None:
    routes = RouteBaselines(max_routes=2, min_weight=3.0)
    routes.add("chat", 5, (10, 100, 0), 72.0)
    assert routes.view("chat", 5, (50, 0, 0), 72.0) is None
    for _ in range(3):
        routes.add("chat", 5, (10, 100, 0), 72.0)
    view = routes.view("chat", 5, (50, 0, 0), 72.0)
    assert view is not None
    assert view[Metric.REQUESTS].mean == pytest.approx(10)
    routes.add("embed", 5, (1, 1, 1), 72.0)
    routes.add("shop", 5, (1, 1, 1), 72.0)
    assert routes.view("chat", 5, (1, 0, 0), 72.0) is None  # least recently used, forgotten
