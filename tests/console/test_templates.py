"""Rendering: highlighted spans and charts escape whatever text they are given."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from wardgate.console import charts
from wardgate.console.templates import highlight

XSS = '<script>alert("x")</script>'


def test_highlight_marks_spans_and_merges_overlaps() -> None:
    out = str(
        highlight("abc ignore all previous def", [(4, 10, "a"), (8, 23, "b"), (0, 0, "empty")])
    )
    assert out == 'abc <mark title="a, b">ignore all previous</mark> def'


def test_highlight_escapes_everything() -> None:
    out = str(highlight(XSS + " tail", [(0, 8, '<b>"rule"</b>')]))
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert 'title="&lt;b&gt;&#34;rule&#34;&lt;/b&gt;"' in out


@given(
    st.text(max_size=60), st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=5)
)
def test_highlight_keeps_the_text(text: str, spans: list[tuple[int, int]]) -> None:
    out = str(highlight(text, [(s, e, "r") for s, e in spans]))
    plain = re.sub(r"<mark title=\"r(, r)*\">|</mark>", "", out)
    assert plain == str(escape(text))


def test_charts_escape_labels() -> None:
    bars = str(charts.bars([(XSS, 3.0)], links=['/x?a="><script>']))
    assert "<script>" not in bars
    series = str(charts.time_series([0, 60], [(XSS, XSS, [1, 2])], label=XSS))
    assert "<script>" not in series
    assert "polyline" in series
    assert str(charts.bars([])) == '<p class="muted">Nothing yet.</p>'
