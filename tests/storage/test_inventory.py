"""Saving the inventory records what changed: new endpoints, new sensitive fields, auth changes,
new AI endpoints; first-seen keeps the earliest time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wardgate.discovery.model import EndpointRecord
from wardgate.storage import inventory
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


def test_revision_moves_only_when_something_changed(tmp_path: Path) -> None:
    store = InventoryStore.open(tmp_path / "inv.db")
    assert store.revision() == 0
    store.save([record()], now=1.0)
    assert store.revision() == 1
    store.save([record()], now=2.0)  # the same content: nothing for readers to catch up on
    assert store.revision() == 1
    store.save([record(count=4)], now=3.0)
    assert store.revision() == 2
    store.close()


def test_retired_endpoints_are_deleted(tmp_path: Path) -> None:
    store = InventoryStore.open(tmp_path / "inv.db")
    store.save([record(template="/users/1001"), record(template="/users/me")], now=1.0)
    before = store.revision()
    store.save(
        [record(template="/users/{userId}"), record(template="/users/me")],
        now=2.0,
        retire=[("h.test", "GET", "/users/1001"), ("h.test", "GET", "/never/saved")],
    )
    assert [r.template for r in store.load()] == ["/users/me", "/users/{userId}"]
    assert store.revision() == before + 1
    store.save([], retire=[("h.test", "GET", "/gone/already")])  # nothing there: no new revision
    assert store.revision() == before + 1
    store.close()


def test_a_database_from_before_revisions_is_migrated(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    name, statements = inventory._MIGRATIONS[0]
    for statement in statements:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 0)", (name,))
    conn.execute(
        "INSERT INTO endpoints VALUES ('h.test', 'GET', '/a', ?, 1, 2, 3)",
        ('{"host": "h.test", "method": "GET", "template": "/a", "count": 3}',),
    )
    conn.commit()
    conn.close()
    store = InventoryStore.open(tmp_path / "old.db")
    assert [r.template for r in store.load()] == ["/a"]
    assert store.revision() == 0
    store.save([record(template="/b")])
    assert store.revision() == 1
    store.close()
