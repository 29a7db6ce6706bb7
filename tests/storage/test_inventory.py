"""Saving the inventory records what changed: new endpoints, new sensitive fields, auth changes,
new AI endpoints; first-seen keeps the earliest time."""

from __future__ import annotations

from pathlib import Path

from wardgate.discovery.model import EndpointRecord
from wardgate.storage.inventory import InventoryStore


def record(**changes: object) -> EndpointRecord:
    base = EndpointRecord(
        "h.test", "GET", "/users/{userId}", count=3, first_seen=100.0, last_seen=200.0
    )
    for k, v in changes.items():
        setattr(base, k, v)
    return base


def test_change_events(tmp_path: Path) -> None:
    store = InventoryStore.open(tmp_path / "inv.db")
    first = store.save([record(auth={"bearer": 3}, ai="openai.chat")], now=1.0)
    assert [e.kind for e in first] == ["new_endpoint", "new_ai_endpoint"]
    assert store.save([record(auth={"bearer": 5})], now=2.0) == []
    later = store.save(
        [
            record(
                auth={"bearer": 5, "none": 1},
                sensitive={"response.body.$.email": ["EMAIL"]},
                first_seen=150.0,
            )
        ],
        now=3.0,
    )
    assert {e.kind: e.detail for e in later} == {
        "new_sensitive_field": "response.body.$.email: EMAIL",
        "auth_change": "bearer -> bearer, none",
    }
    (loaded,) = store.load()
    assert loaded.first_seen == 100.0  # the earliest ever
    assert loaded.sensitive == {"response.body.$.email": ["EMAIL"]}
    assert [e.kind for e in store.events(since=2.5)] == ["new_sensitive_field", "auth_change"]
    store.close()


def test_templater_state_round_trip(tmp_path: Path) -> None:
    store = InventoryStore.open(tmp_path / "inv.db")
    assert store.load_templater() is None
    store.save_templater({"hosts": {"h.test": {"merged": ["/a/{x}"]}}})
    assert store.load_templater() == {"hosts": {"h.test": {"merged": ["/a/{x}"]}}}
    store.close()
    reopened = InventoryStore.open(tmp_path / "inv.db")  # migrations are idempotent
    assert reopened.load_templater() is not None
