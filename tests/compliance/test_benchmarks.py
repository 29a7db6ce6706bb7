from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.compliance.benchmarks import MAX_ITEMS, load_benchmarks, parse_benchmarks

PAGE = """# Benchmarks

## Issue 3 acceptance: engine

| criterion | target | measured |
|---|---|---|
| leave-one-source-out, balanced accuracy | ≥ 0.93 | 78.1% |
| latency, corpus prompts | p50 ≤ 3 ms | p50 0.29 ms |
| broken row | only two |

## Issue 4 acceptance: added latency

| scenario | rate req/s | proxy | added p99 ms | target | met |
|---|---:|---:|---:|---:|---:|
| 1a off | 500 | wardgate | +1.62 | p99 <= 3 ms | yes |
| 1a off | 500 | litellm | +13728 | p99 <= 3 ms | no (errors) |
| 1a off | 100 | wardgate | +1.82 | - | - |
"""


def test_acceptance_and_latency_tables():
    ev = parse_benchmarks(PAGE, path="b.md", sha256="00")
    assert ev.title == "Benchmarks"
    assert [(i.criterion, i.kind) for i in ev.items] == [
        ("leave-one-source-out, balanced accuracy", "detection"),
        ("latency, corpus prompts", "latency"),
        ("1a off / 500 / wardgate", "latency"),
    ]
    last = ev.items[-1]
    assert (last.measured, last.met, last.target) == ("added p99 ms +1.62", True, "p99 <= 3 ms")
    assert ev.items[0].section == "Issue 3 acceptance: engine"
    assert len(ev.detection_items) == 1
    assert len(ev.latency_items) == 2


def test_the_real_page_has_detection_figures():
    page = Path(__file__).parents[2] / "docs" / "benchmarks.md"
    if not page.is_file():
        pytest.skip("docs/benchmarks.md not present")
    ev = load_benchmarks(page)
    assert len(ev.sha256) == 64
    assert ev.detection_items


def test_refuses_non_utf8(tmp_path):
    p = tmp_path / "b.md"
    p.write_bytes(b"\xff\xfe|")
    with pytest.raises(ValueError, match="UTF-8"):
        load_benchmarks(p)


@given(st.text(alphabet=st.sampled_from("|-: ab\n#1%"), max_size=400))
def test_any_text_parses_to_bounded_items(text):
    ev = parse_benchmarks(text)
    assert len(ev.items) <= MAX_ITEMS
    assert all(len(i.criterion) <= 1000 for i in ev.items)
