from hypothesis import given
from hypothesis import strategies as st

from wardgate.core import InputKind, Span
from wardgate.detect.base import OffsetMap, OffsetMapBuilder, TextView


def test_identity_map():
    m = OffsetMap.identity(10)
    assert m.to_original(2, 5) == Span(2, 5)


def test_builder_maps_copied_and_replaced_segments():
    b = OffsetMapBuilder()
    b.copy("ab", 0)  # original "ab"
    b.replace("c", 2, 5)  # original [2,5) became "c"
    b.copy("de", 6)  # original [5,6) dropped
    text, m = b.build()
    assert text == "abcde"
    assert m.to_original(0, 2) == Span(0, 2)
    assert m.to_original(2, 3) == Span(2, 5)
    assert m.to_original(1, 4) == Span(1, 7)
    assert m.to_original(3, 5) == Span(6, 8)


def test_mirrored_view_maps_back():
    view = TextView("olleh", InputKind.PROMPT, ("reversed",), mirrored=True)
    assert view.to_original(0, 2) == Span(3, 5)


@given(st.lists(st.tuples(st.booleans(), st.text(min_size=1, max_size=5)), max_size=20))
def test_mapped_spans_stay_inside_original(parts):
    b = OffsetMapBuilder()
    pos = 0
    for copied, piece in parts:
        if copied:
            b.copy(piece, pos)
        else:
            b.replace(piece.upper(), pos, pos + 2)
        pos += len(piece) if copied else 2
    text, m = b.build()
    for i in range(len(text)):
        span = m.to_original(i, i + 1)
        assert 0 <= span.start <= span.end <= pos
