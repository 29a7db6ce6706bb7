from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wardgate.ai_inventory.catalogue import ModelEntry
from wardgate.ai_inventory.policy import Allowlist
from wardgate.ai_inventory.store import AIInventoryStore


def entry(
    provider: str,
    model: str,
    *,
    calls: int = 1,
    caller: str = "alice",
    hosting: str | None = "external",
    inferred: bool = False,
    source: str = "traffic",
    seen: float = 100.0,
    open_weights: bool | None = False,
    approved: bool | None = None,
    unapproved: int = 0,
) -> ModelEntry:
    e = ModelEntry.new(provider, model)
    e.hosting, e.inferred_provider, e.open_weights = hosting, inferred, open_weights
    e.calls, e.first_seen, e.last_seen = (calls if source == "traffic" else 0), seen, seen
    e.sources.add(source)
    e.approved, e.unapproved_calls = approved, unapproved
    if source == "traffic":
        e.callers.add(caller, calls)
        e.distinct_callers.add(caller)
    else:
        e.code_locations.append(f"{caller}.py:1")
    return e


@pytest.fixture
def store(tmp_path: Path) -> AIInventoryStore:
    return AIInventoryStore.open(tmp_path / "w.db")


def test_save_merges_deltas(store: AIInventoryStore) -> None:
    store.save([entry("openai", "gpt-4o", calls=2, seen=100.0)])
    store.save([entry("openai", "gpt-4o", calls=3, caller="bob", seen=200.0)])
    (saved,) = store.load()
    assert saved.calls == 5
    assert saved.callers.to_dict() == {"bob": 3, "alice": 2}
    assert saved.caller_count == 2
    assert (saved.first_seen, saved.last_seen) == (100.0, 200.0)


def test_gateway_and_scanner_fill_one_catalogue(tmp_path: Path) -> None:
    gateway = AIInventoryStore.open(tmp_path / "w.db")
    scanner = AIInventoryStore.open(tmp_path / "w.db")  # another connection, as another process
    gateway.save([entry("azure-openai", "gpt-4o", calls=4)])
    scanner.save([entry("openai", "gpt-4o", inferred=True, source="code", hosting=None)])
    gateway.save([entry("azure-openai", "gpt-4o", calls=1, caller="bob")])
    (saved,) = gateway.load()
    assert saved.key == "azure-openai|gpt-4o"
    assert saved.sources == {"code", "traffic"}
    assert saved.calls == 5
    assert saved.code_locations == ["alice.py:1"]


def test_served_traffic_adopts_a_code_only_row(store: AIInventoryStore) -> None:
    store.save([entry("anthropic", "claude-3-haiku", inferred=True, source="code", hosting=None)])
    store.save([entry("aws-bedrock", "claude-3-haiku", calls=2)])
    (saved,) = store.load()
    assert saved.key == "aws-bedrock|claude-3-haiku"
    assert not saved.inferred_provider
    assert saved.sources == {"code", "traffic"}
    assert saved.calls == 2


def test_list_filters_and_pages_in_sql(store: AIInventoryStore) -> None:
    store.save(
        [
            entry("openai", "gpt-4o", seen=5.0, approved=False),
            entry("openai", "gpt-4o-mini", seen=4.0, approved=True, unapproved=1),
            entry("openai", "o3", seen=3.0, approved=True),
            entry("ollama", "llama3.1:8b", hosting="internal", open_weights=True, seen=2.0),
            entry("openai-compatible", "acme", hosting="internal", seen=1.0),
        ]
    )
    assert [e.model for e in store.list()] == ["gpt-4o", "gpt-4o-mini", "o3", "llama3.1:8b", "acme"]
    assert [e.model for e in store.list(limit=2, offset=1)] == ["gpt-4o-mini", "o3"]
    assert [e.model for e in store.list(deployment="open_source")] == ["llama3.1:8b"]
    assert [e.model for e in store.list(deployment="internal")] == ["acme"]
    assert [e.model for e in store.list(provider="openai", limit=10)] == [
        "gpt-4o",
        "gpt-4o-mini",
        "o3",
    ]
    assert [e.model for e in store.list(unapproved=True)] == ["gpt-4o", "gpt-4o-mini"]
    assert [e.model for e in store.list(unapproved=False)] == ["o3", "llama3.1:8b", "acme"]
    assert store.count(provider="openai") == 3
    assert store.count() == 5
    assert store.list(provider="x' OR '1'='1") == []


def test_apply_allowlist(store: AIInventoryStore) -> None:
    store.save([entry("openai", "gpt-4o"), entry("openai", "gpt-4o-mini")])
    assert store.apply_allowlist(Allowlist.from_data([{"model": "gpt-4o-mini"}])) == 2
    assert [e.model for e in store.list(unapproved=True)] == ["gpt-4o"]
    assert store.apply_allowlist(Allowlist.from_data([{"model": "gpt-4o-mini"}])) == 0


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    stores = [AIInventoryStore.open(tmp_path / "w.db") for _ in range(4)]

    def write(store: AIInventoryStore) -> None:
        for _ in range(10):
            store.save([entry("openai", "gpt-4o")])

    threads = [threading.Thread(target=write, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stores[0].load()[0].calls == 40


def test_the_number_of_models_is_bounded(tmp_path: Path) -> None:
    store = AIInventoryStore.open(tmp_path / "w.db", max_models=3)
    store.save([entry("openai", f"invented-{i}") for i in range(5)])
    assert store.count() == 3
    assert store.dropped == 2
    store.save([entry("openai", "invented-0", calls=4)])  # known models still update
    assert {e.model: e.calls for e in store.load()}["invented-0"] == 5
