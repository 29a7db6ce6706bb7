"""Two gateway replicas sharing Redis see one attacker whole: object-id enumeration whose calls
alternate between them opens an incident and suspends the identity on both, while replicas
keeping their state in process would each see only half of it."""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from wardgate.app import build_gateway
from wardgate.gateway.config import GatewayConfig
from wardgate.incidents.store import IncidentStore
from wardgate.storage.keys import KeyStore
from wardgate.testing.server import serve_in_thread

PROBES = 60


async def shop(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An order API that knows none of the ids it is asked for."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b'{"error":"no such order"}'})


def _config(db: Path, upstream: str, abuse: dict[str, Any]) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "database": str(db),
            "limits": {"requests": None},
            "abuse": abuse,
            "routes": [
                {
                    "name": "shop",
                    "prefix": "/",
                    "upstream": upstream,
                    "provider": "http",
                    "strip_prefix": False,
                }
            ],
        }
    )


def _probe(gateways: list[str], key: str) -> list[int]:
    rng = random.Random(2)
    statuses = []
    for i in range(PROBES):
        url = gateways[i % len(gateways)]
        r = httpx.get(
            f"{url}/orders/{rng.randint(100_000, 999_999)}",
            headers={"Authorization": f"Bearer {key}"},
        )
        statuses.append(r.status_code)
    return statuses


def _incidents(db: Path, category: str) -> list[Any]:
    deadline = time.monotonic() + 5
    store = IncidentStore.open(db)
    try:
        while True:
            found = store.list(category=category)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)
    finally:
        store.close()


def test_replicas_sharing_redis_catch_an_attacker_alternating_between_them(
    tmp_path: Path, redis_port: int
) -> None:
    db = tmp_path / "wg.db"  # one database for both replicas: the same keys, one incident list
    _, key = KeyStore.open(db).create("mallory", tenant="acme")
    prefix = f"wardgate:test-{uuid.uuid4().hex}:"
    abuse = {
        "state": "redis",
        "redis_url": f"redis://127.0.0.1:{redis_port}/0",
        "key_prefix": prefix,
        "responses": [{"detector": "api_enumeration", "actions": ["alert", "suspend"]}],
    }
    with serve_in_thread(shop) as upstream:
        a = build_gateway(_config(db, upstream.url, abuse))
        b = build_gateway(_config(db, upstream.url, abuse))
        with serve_in_thread(a) as ga, serve_in_thread(b) as gb:
            statuses = _probe([ga.url, gb.url], key)
            assert 403 in statuses, "the attacker was never suspended"
            first = statuses.index(403)
            assert first >= 30  # neither replica alone had seen enough by then
            # suspended on both replicas, whichever detected it
            for url in (ga.url, gb.url):
                r = httpx.get(f"{url}/orders/1", headers={"Authorization": f"Bearer {key}"})
                assert r.status_code == 403
                assert "suspended" in r.text
    found = _incidents(db, "api_enumeration")
    assert found, "no incident opened"
    assert found[0].key.identity.endswith("mallory")


def test_replicas_keeping_state_in_process_each_see_only_half(tmp_path: Path) -> None:
    db = tmp_path / "wg.db"
    _, key = KeyStore.open(db).create("mallory", tenant="acme")
    abuse = {"responses": [{"detector": "api_enumeration", "actions": ["alert", "suspend"]}]}
    with serve_in_thread(shop) as upstream:
        a = build_gateway(_config(db, upstream.url, abuse))
        b = build_gateway(_config(db, upstream.url, abuse))
        with serve_in_thread(a) as ga, serve_in_thread(b) as gb:
            statuses = _probe([ga.url, gb.url], key)
    assert 403 not in statuses
