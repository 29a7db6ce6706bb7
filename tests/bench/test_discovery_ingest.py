"""The ingestion benchmark's traffic generators write what the readers accept."""

from __future__ import annotations

from pathlib import Path

from bench.discovery_ingest import TEMPLATES, write_har, write_log
from wardgate.discovery.sources import SourceStats
from wardgate.discovery.sources.accesslog import read_access_log
from wardgate.discovery.sources.har import read_har


def test_generated_log_and_har_are_read_without_skips(tmp_path: Path) -> None:
    log, har = tmp_path / "a.log", tmp_path / "t.har"
    write_log(log, 200)
    write_har(har, 50)
    stats = SourceStats()
    observations = list(read_access_log(log, stats=stats))
    assert len(observations) == 200
    assert stats.skipped == 0
    har_stats = SourceStats()
    entries = list(read_har(har, stats=har_stats))
    assert len(entries) == 50
    assert har_stats.skipped == 0
    assert {o.method for o in observations} <= {m for m, _ in TEMPLATES}
    assert any(o.response_body for o in entries)
