"""The inventory folds observations into endpoint records; templates generalise without losing
what was learned under the literal path."""

from __future__ import annotations

import json

from wardgate.discovery.inventory import Inventory
from wardgate.discovery.observation import Observation

JSON = (("content-type", "application/json"),)


def order(user: int, page: int, email: str) -> Observation:
    body = json.dumps([{"id": user * 10, "email": email, "total": 12.5}]).encode()
    return Observation(
        "GET",
        "API.Shop.test",
        f"/users/{user}/orders",
        query=(("page", str(page)),),
        request_headers=(("authorization", "Bearer opaque-token-value"), ("x-tenant", "acme")),
        status=200,
        response_headers=JSON,
        response_body=body,
        timestamp=1_000.0 + user,
    )


def test_records_aggregate_counts_schemas_auth_and_sensitive_fields() -> None:
    inventory = Inventory()
    for i in range(40):
        inventory.observe(order(1000 + i, i % 3, f"customer{i}@mailbox.org"))
    (record,) = inventory.records()
    assert record.host == "api.shop.test"
    assert record.method == "GET"
    assert record.template == "/users/{userId}/orders"
    assert record.count == 40
    assert record.first_seen == 1_000.0 + 1000
    assert record.last_seen == 1_000.0 + 1039
    assert record.statuses == {"200": 40}
    assert record.auth == {"bearer": 40}
    assert record.query["page"]["x-wardgate-required"] is True
    assert "x-tenant" in record.request_headers
    assert "authorization" not in record.request_headers
    assert record.response_schemas["200"]["type"] == "array"
    assert record.sensitive == {"response.body.$[*].email": ["EMAIL"]}
    assert "mailbox.org" not in json.dumps(record.to_dict())  # kinds, never values


def test_early_literal_paths_are_merged_once_the_template_generalises() -> None:
    inventory = Inventory()
    for name in ["alice-tan", "bob-lee", "carol-ng", "dan-wu", "eve-ho", "fay-lim", "gus-ong"]:
        inventory.observe(
            Observation(
                "GET",
                "h.test",
                f"/profiles/{name}",
                status=200,
                response_headers=JSON,
                response_body=b'{"name": "x", "bio": "y"}',
            )
        )
    templates = {r.template: r.count for r in inventory.records()}
    assert sum(templates.values()) == 7
    assert len(templates) == 1, templates


def test_constants_stay_apart_and_ai_endpoints_are_tagged() -> None:
    inventory = Inventory()
    for i in range(20):
        inventory.observe(Observation("GET", "h.test", f"/users/{i + 1}", status=200))
    inventory.observe(Observation("GET", "h.test", "/users/me", status=200))
    chat = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    inventory.observe(
        Observation(
            "POST",
            "h.test",
            "/v1/chat/completions",
            request_headers=JSON,
            request_body=chat.encode(),
            status=200,
        )
    )
    records = {r.template: r for r in inventory.records()}
    assert "/users/me" in records
    assert records["/users/{userId}"].count == 20
    assert records["/v1/chat/completions"].ai == "openai.chat"


def test_well_known_endpoints_sample_their_bodies_but_count_every_call() -> None:
    inventory = Inventory(sample_after=4, sample_every=8)
    for i in range(100):
        inventory.observe(order(5000 + i, 0, "x@mailbox.org"))
    (record,) = inventory.records()
    assert record.count == 100
    assert record.auth == {"bearer": 100}
