from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wardgate.ai_inventory.sketch import DistinctSketch, TopCounter


def test_top_counter_is_bounded_and_keeps_heavy_hitters() -> None:
    counter = TopCounter(capacity=8)
    for i in range(1000):
        counter.add(f"rare{i}")
        if i % 3 == 0:
            counter.add("heavy", 5)
    assert len(counter) == 8
    assert counter.top(1)[0][0] == "heavy"
    assert counter.get("heavy") >= 5 * 334


def test_top_counter_round_trip_and_merge() -> None:
    a = TopCounter()
    a.add("x", 3)
    a.add("y")
    b = TopCounter.from_data(a.to_dict())
    assert b == a
    b.update({"x": 2, "z": 1})
    assert b.to_dict() == {"x": 5, "y": 1, "z": 1}
    assert TopCounter.from_data({"x": "3", 4: 1, "ok": 2}).to_dict() == {"ok": 2}
    b.add("neg", -1)
    assert "neg" not in b


def test_sketch_is_exact_when_small_and_close_when_large() -> None:
    small = DistinctSketch()
    for i in range(100):
        small.add(f"user{i % 50}")
    assert small.estimate() == 50
    large = DistinctSketch()
    for i in range(20_000):
        large.add(f"user{i}")
    assert 0.85 * 20_000 < large.estimate() < 1.15 * 20_000
    assert len(large.to_list()) == large.k


def test_sketches_merge_like_a_union() -> None:
    a, b = DistinctSketch(k=64), DistinctSketch(k=64)
    for i in range(30):
        a.add(f"u{i}")
        b.add(f"u{i + 15}")
    a.update(b)
    assert a.estimate() == 45
    restored = DistinctSketch.from_data(a.to_list(), k=64)
    assert restored.estimate() == 45
    assert DistinctSketch.from_data(["x", -1, 1 << 70]).estimate() == 0


@given(st.lists(st.text(max_size=5), max_size=300))
def test_sketch_counts_exactly_below_k(values: list[str]) -> None:
    sketch = DistinctSketch(k=512)
    for v in values:
        sketch.add(v)
    assert sketch.estimate() == len(set(values))
