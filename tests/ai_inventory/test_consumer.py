from __future__ import annotations

import json
from pathlib import Path

import pytest

from wardgate.ai_inventory.catalogue import Catalogue, ModelEntry
from wardgate.ai_inventory.consumer import AIInventoryConsumer
from wardgate.ai_inventory.store import AIInventoryStore
from wardgate.core.exchange import Exchange, HttpRequest, Identity


def call(model: str = "gpt-4o") -> Exchange:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    return Exchange(
        request=HttpRequest(
            "POST",
            "https://api.openai.com/v1/chat/completions",
            (("host", "api.openai.com"),),
            json.dumps(body).encode(),
        ),
        identity=Identity("alice", method="api_key"),
        metadata={
            "provider": "openai",
            "model": model,
            "operation": "chat",
            "upstream_status": 200,
        },
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.asyncio
async def test_flushes_deltas_on_the_interval(tmp_path: Path) -> None:
    store = AIInventoryStore.open(tmp_path / "w.db")
    clock = Clock()
    consumer = AIInventoryConsumer(Catalogue(), store, flush_s=30, clock=clock)
    await consumer(call())
    await consumer(call())
    assert store.load() == []  # not yet due
    clock.now = 31
    await consumer(call())
    assert store.load()[0].calls == 3
    assert len(consumer.catalogue) == 0  # handed over
    await consumer(call())
    assert await consumer.flush() == 1
    assert store.load()[0].calls == 4  # deltas add up, nothing counted twice
    assert await consumer.flush() == 0


@pytest.mark.asyncio
async def test_a_failed_save_keeps_the_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AIInventoryStore.open(tmp_path / "w.db")
    consumer = AIInventoryConsumer(Catalogue(), store, flush_s=3600)
    await consumer(call())

    def broken(entries: list[ModelEntry]) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(store, "save", broken)
    assert await consumer.flush() == 0
    assert consumer.failed == 1
    assert consumer.catalogue.entries()[0].calls == 1
    monkeypatch.undo()
    await consumer(call())
    assert await consumer.flush() == 1
    assert store.load()[0].calls == 2


@pytest.mark.asyncio
async def test_without_a_store_it_only_observes() -> None:
    consumer = AIInventoryConsumer(Catalogue(), None, flush_s=0)
    await consumer(call())
    assert await consumer.flush() == 0
    assert consumer.catalogue.entries()[0].calls == 1
