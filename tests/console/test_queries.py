"""Reading the index: the overview's aggregates, keyset pages, capped counts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.console.test_index import INJECTION, exchange
from wardgate.console import queries
from wardgate.console.index import ExchangeIndex, IndexDatabase, summarise
from wardgate.core.finding import Category, Finding, Severity
from wardgate.core.verdict import Action, Verdict

PII = Finding(
    "pii", Category.PII, 0.95, Severity.HIGH, evidence="************1111", rule_id="pii.card"
)


@pytest.fixture
def index(tmp_path: Path) -> ExchangeIndex:
    ix = ExchangeIndex(IndexDatabase(tmp_path / "ix.db"))
    now = time.time()
    for i in range(30):
        findings = (INJECTION,) if i % 3 == 0 else (PII,) if i % 3 == 1 else ()
        verdict = (
            Verdict(Action.BLOCK) if i % 3 == 0 else Verdict(Action.REDACT) if i % 3 == 1 else None
        )
        ix.submit(
            summarise(
                exchange(
                    at=now - 60 * (30 - i),
                    findings=findings,
                    verdict=verdict,
                    subject=f"user{i % 2}",
                    route="openai" if i < 20 else "internal",
                )
            )
        )
    ix.flush()
    return ix


def test_overview_buckets_and_totals(index: ExchangeIndex) -> None:
    data = queries.overview(index.db, time.time(), "1h")
    assert data["bucket_s"] == 60
    assert len(data["times"]) == len(data["series"]["requests"]) == 60
    assert data["totals"]["requests"] == 30
    assert data["totals"]["blocked"] == 10
    assert data["totals"]["flagged"] == 20
    assert data["totals"]["findings"] == 20
    assert sum(data["series"]["blocked"]) == 10
    assert {r["value"] for r in data["top"]["category"]} == {"prompt_injection", "pii"}
    assert data["top"]["route"][0]["value"] == "openai"
    assert queries.overview(index.db, time.time(), "bogus")["window"] == "24h"


def test_detections_filter_and_page_both_ways(index: ExchangeIndex) -> None:
    first = queries.detections(index.db, {"category": "prompt_injection"}, limit=4)
    assert [i["category"] for i in first.items] == ["prompt_injection"] * 4
    assert first.total == 10
    assert first.newer is None
    assert first.older is not None
    second = queries.detections(
        index.db, {"category": "prompt_injection"}, before=first.older, limit=4
    )
    assert second.items[0]["id"] < first.items[-1]["id"]
    assert second.newer == second.items[0]["id"]
    back = queries.detections(
        index.db, {"category": "prompt_injection"}, after=second.newer, limit=4
    )
    assert [i["id"] for i in back.items] == [i["id"] for i in first.items]
    assert back.newer is None  # the newest page again
    blocked = queries.detections(index.db, {"action": "redact", "route": "internal"})
    assert {(i["category"], i["route"]) for i in blocked.items} == {("pii", "internal")}
    high = queries.detections(index.db, {"min_severity": "critical"})
    assert high.items == []


def test_counts_are_capped(index: ExchangeIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    page = queries.exchanges(index.db, {}, limit=3)
    assert page.total == 5
    assert page.total_capped


def test_one_detection_and_one_call(index: ExchangeIndex) -> None:
    item = queries.detections(index.db, {"category": "prompt_injection"}, limit=1).items[0]
    found = queries.detection(index.db, item["id"])
    assert found is not None
    assert found["evidence"] == "ignore all previous instructions"
    assert found["call"]["action"] == "block"
    assert [s["id"] for s in found["siblings"]] == [item["id"]]
    call = queries.exchange(index.db, found["call"]["exchange"])
    assert call is not None
    assert call["findings"][0]["rule_id"] == "pi.override.ignore_previous"
    assert queries.detection(index.db, 10**9) is None
    assert queries.exchange(index.db, "nope") is None


def test_dimensions_and_menus(index: ExchangeIndex) -> None:
    people = queries.dimension(index.db, time.time(), "identity")
    assert {p["value"] for p in people} == {"user0", "user1"}
    assert sum(p["requests"] for p in people) == 30
    with pytest.raises(ValueError, match="dimension"):
        queries.dimension(index.db, time.time(), "path")
    menus = queries.choices(index.db, time.time())
    assert menus["route"] == ["internal", "openai"]
