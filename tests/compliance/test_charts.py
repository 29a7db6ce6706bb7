import re

import pytest

from wardgate.compliance.charts import columns, donut, hbars, timeline


def test_labels_are_escaped_and_no_script():
    svg = (
        hbars([("<script>x</script>", 3)], title='"t"')
        + donut([("a<b", 2, "#000")], title="d")
        + columns([("<d>", 5, 1)], title="c")
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count("<svg") == 3
    assert "xmlns" not in svg


def test_donut_segments_are_proportional():
    svg = donut([("a", 1, "#111111"), ("b", 3, "#222222"), ("c", 0, "#333333")], title="t")
    assert "#333333" not in svg  # zero segments are not drawn
    dashes = re.findall(r'stroke-dasharray="([\d.]+) ', svg)
    assert len(dashes) == 2
    assert float(dashes[1]) == pytest.approx(3 * float(dashes[0]), rel=1e-3)
    assert ">4</text>" in svg


def test_timeline_groups_long_windows_by_month():
    days = {f"2026-{m:02d}-{d:02d}": 1 for m in range(1, 5) for d in range(1, 29)}
    series = timeline(days, {"2026-01-05": 1})
    assert [s[0] for s in series] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert series[0] == ("2026-01", 28, 1)
    assert timeline({"2026-01-02": 4}, {}) == [("01-02", 4, 0)]
