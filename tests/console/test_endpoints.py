"""Endpoint summaries: risk and flags computed once, lists paged in SQL, the declared spec."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from wardgate.console.endpoints import EndpointCatalogue
from wardgate.console.index import IndexDatabase
from wardgate.discovery.model import EndpointRecord
from wardgate.storage.inventory import InventoryStore
from wardgate.storage.sqlite import connect

SPEC = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
servers: [{url: "https://api.shop.test"}]
paths:
  /users/{id}:
    get:
      responses: {"200": {description: ok}}
  /health:
    get:
      responses: {"200": {description: ok}}
"""


def record(
    template: str,
    *,
    count: int = 5,
    auth: dict[str, int] | None = None,
    sensitive: dict[str, list[str]] | None = None,
    method: str = "GET",
) -> EndpointRecord:
    now = time.time()
    return EndpointRecord(
        host="api.shop.test",
        method=method,
        template=template,
        count=count,
        first_seen=now - 100,
        last_seen=now,
        statuses={"200": count},
        auth=auth if auth is not None else {"bearer": count},
        sensitive=sensitive or {},
    )


@pytest.fixture
def catalogue(tmp_path: Path) -> tuple[EndpointCatalogue, InventoryStore]:
    db = tmp_path / "w.db"
    store = InventoryStore.open(db)
    store.save(
        [
            record("/users/{id}", count=50),
            record(
                "/users/{id}/orders",
                count=20,
                auth={"none": 20},
                sensitive={"response.body.$.email": ["EMAIL"]},
            ),
            record("/admin/export", count=3, auth={"none": 3}, method="POST"),
        ]
    )
    return EndpointCatalogue(IndexDatabase(tmp_path / "ix.db"), connect(db)), store


def test_refresh_and_list(catalogue: tuple[EndpointCatalogue, InventoryStore]) -> None:
    cat, store = catalogue
    assert cat.refresh() == 3
    assert cat.refresh() == 0  # nothing changed: nothing recomputed
    items, total = cat.list(sort="risk")
    assert total == 3
    assert items[0].risk_score >= items[-1].risk_score
    assert cat.list(q="ORDERS")[1] == 1
    assert cat.list(method="POST")[0][0].template == "/admin/export"
    orders = cat.summary("api.shop.test", "GET", "/users/{id}/orders")
    assert orders is not None
    assert orders.sensitive == "EMAIL"
    assert orders.auth == "none"
    store.save([record("/users/{id}", count=80)])
    assert cat.refresh() >= 1  # incremental: the changed record
    again = cat.summary("api.shop.test", "GET", "/users/{id}")
    assert again is not None
    assert again.calls == 80
    stats = cat.stats()
    assert stats["endpoints"] == 3
    assert stats["sensitive"] == 1
    assert stats["hosts"] == [("api.shop.test", 3)]


def test_a_declared_spec_flags_shadow_and_orphan(
    catalogue: tuple[EndpointCatalogue, InventoryStore],
) -> None:
    cat, _ = catalogue
    assert cat.set_spec("shop.yaml", SPEC, "ada") == 2
    cat.refresh()
    shadows = {s.template for s in cat.list(flag="shadow")[0]}
    assert shadows == {"/users/{id}/orders", "/admin/export"}
    orphans = cat.list(flag="orphan")[0]
    assert [(o.template, o.calls) for o in orphans] == [("/health", 0)]
    assert cat.stats()["flags"]["shadow"] == 2
    with pytest.raises(ValueError, match="spec"):
        cat.set_spec("x", "openapi: [", "ada")
    cat.clear_spec()
    cat.refresh()
    assert cat.list(flag="shadow")[1] == 0


def test_merged_templates_are_hidden(catalogue: tuple[EndpointCatalogue, InventoryStore]) -> None:
    cat, _ = catalogue
    cat.hide("api.shop.test", ["/admin/export"], "ada")
    cat.refresh()
    assert {s.template for s in cat.list()[0]} == {"/users/{id}", "/users/{id}/orders"}
    assert [r.template for r in cat.host_records("api.shop.test")] == [
        "/users/{id}",
        "/users/{id}/orders",
    ]


def test_incremental_refresh_follows_revisions_not_last_seen(
    catalogue: tuple[EndpointCatalogue, InventoryStore],
) -> None:
    """Discovery re-templates with what it learnt since: ``/users/{id}/orders`` may replace
    ``/users/1001/orders`` long after its last call. The console catches up on the store's
    revision, so a record with an old ``last_seen`` is not missed, and the retired one leaves."""
    cat, store = catalogue
    store.save([record("/users/1001/orders", count=2)])
    cat.refresh()
    assert cat.summary("api.shop.test", "GET", "/users/1001/orders") is not None
    store.save([record("/health", count=9)])  # a fresh call: a newer last_seen than below
    cat.refresh()
    old = record("/users/{id}/profile", count=4)
    old.last_seen = old.first_seen = time.time() - 86_400  # re-templated a day after its calls
    store.save([old], retire=[("api.shop.test", "GET", "/users/1001/orders")])
    assert cat.refresh() >= 1
    assert cat.summary("api.shop.test", "GET", "/users/{id}/profile") is not None
    assert cat.summary("api.shop.test", "GET", "/users/1001/orders") is None
    assert cat.stats()["endpoints"] == 5
    assert cat.refresh() == 0
