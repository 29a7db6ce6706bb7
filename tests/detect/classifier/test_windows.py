"""Window cutting: full coverage, overlap, bounded size, character spans."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.detect.classifier.windows import CLS_ID, SEP_ID, cut


def _tokens(n: int) -> tuple[list[int], list[tuple[int, int]]]:
    # token k covers characters [3k, 3k + 2)
    return list(range(1000, 1000 + n)), [(3 * k, 3 * k + 2) for k in range(n)]


@given(n=st.integers(0, 2000), window=st.integers(1, 200), data=st.data())
def test_windows_cover_every_token_once_or_more_and_stay_bounded(
    n: int, window: int, data: st.DataObject
) -> None:
    stride = data.draw(st.integers(1, window))
    ids, offsets = _tokens(n)
    wins = cut(ids, offsets, window=window, stride=stride, text_length=3 * n)
    seen: set[int] = set()
    for w in wins:
        assert w.ids[0] == CLS_ID
        assert w.ids[-1] == SEP_ID
        assert len(w.ids) <= window + 2
        seen.update(w.ids[1:-1])
        assert w.start <= w.end
    assert seen == set(ids)


def test_short_text_is_one_window_spanning_it() -> None:
    ids, offsets = _tokens(5)
    [w] = cut(ids, offsets, window=10, stride=5, text_length=15)
    assert w.ids == (CLS_ID, *ids, SEP_ID)
    assert (w.start, w.end) == (0, 14)


def test_empty_text_still_gets_a_window() -> None:
    [w] = cut([], [], window=10, stride=5, text_length=0)
    assert w.ids == (CLS_ID, SEP_ID)


def test_long_text_windows_overlap_and_last_is_flush() -> None:
    ids, offsets = _tokens(25)
    wins = cut(ids, offsets, window=10, stride=6, text_length=75)
    assert [w.ids[1] - 1000 for w in wins] == [0, 6, 12, 15]
    assert wins[-1].end == offsets[-1][1]
    assert all(a.end > b.start for a, b in itertools.pairwise(wins))


@pytest.mark.parametrize(("window", "stride"), [(0, 1), (10, 0), (10, 11)])
def test_bad_geometry_is_refused(window: int, stride: int) -> None:
    with pytest.raises(ValueError, match="stride"):
        cut([1], [(0, 1)], window=window, stride=stride, text_length=1)
