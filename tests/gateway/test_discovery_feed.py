"""The gateway's own traffic feeds API discovery: endpoints of the upstream API (not the
gateway's prefixes) land in the inventory store, with AI formats and auth, at flush and at
shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from wardgate.app import build_gateway
from wardgate.detect.scanner import Scanner
from wardgate.discovery import sensitive
from wardgate.discovery.inventory import Inventory
from wardgate.discovery.observation import Observation
from wardgate.gateway.config import GatewayConfig
from wardgate.gateway.discovery_feed import DiscoveryConsumer
from wardgate.storage.inventory import InventoryStore
from wardgate.testing.fake_llm import FakeLLM


def test_gateway_traffic_builds_the_inventory(tmp_path: Path, scanner: Scanner) -> None:
    config = GatewayConfig.model_validate(
        {
            "database": str(tmp_path / "w.db"),
            "discovery": {"flush_s": 3600},
            "routes": [
                {
                    "name": "llm",
                    "prefix": "/llm",
                    "upstream": "https://llm.internal.test",
                    "provider": "openai",
                    "anonymous": True,
                },
                {
                    "name": "orders",
                    "prefix": "/orders-api",
                    "upstream": "https://orders.internal.test",
                    "provider": "http",
                    "anonymous": True,
                },
            ],
        }
    )
    fake = FakeLLM()
    transport = httpx.ASGITransport(app=fake)
    gateway = build_gateway(
        config, scanner=scanner, transports={"llm": transport, "orders": transport}
    )

    async def run() -> None:
        sensitive._detectors.cache_clear()
        await gateway.startup()
        # built before traffic, on a thread: not a 0.3 s stall on the first exchange's loop turn
        assert sensitive._detectors.cache_info().currsize == 1
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gateway), base_url="http://gw"
            ) as client:
                for i in range(3):
                    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"hi {i}"}]}
                    assert (
                        await client.post("/llm/v1/chat/completions", json=body)
                    ).status_code == 200
                for order in (1001, 2002, 3003, 4004, 5005, 6006):
                    await client.get(f"/orders-api/v2/orders/{order}")
        finally:
            await gateway.shutdown()  # flushes the inventory

    asyncio.run(run())
    store = InventoryStore.open(tmp_path / "w.db")
    records = {(r.host, r.method, r.template): r for r in store.load()}
    chat = records[("llm.internal.test", "POST", "/v1/chat/completions")]
    assert chat.count == 3
    assert chat.ai == "openai.chat"
    assert chat.response_schemas["200"]["type"] == "object"
    orders = [r for (host, _, _), r in records.items() if host == "orders.internal.test"]
    assert [r.template for r in orders] == ["/v2/orders/{orderId}"]  # as the upstream serves it
    assert {e.kind for e in store.events()} >= {"new_endpoint", "new_ai_endpoint"}


def test_an_endpoint_folded_into_a_template_leaves_the_store(tmp_path: Path) -> None:
    """``/orders/1001``, the only value ever seen there, repeatedly, is shown as the constant it
    may be (``/2/tweets``); once ``/orders/2002`` shows it is an id, the next save
    holds ``/orders/{orderId}`` and retires the concrete one."""
    store = InventoryStore.open(tmp_path / "w.db")
    inventory = Inventory()
    consumer = DiscoveryConsumer(inventory, store, flush_s=3600)

    def get(path: str) -> Observation:
        return Observation(host="shop.test", method="GET", path=path, status=200, timestamp=1.0)

    async def run() -> list[str]:
        templates = []
        for paths in (("/v2/orders/1001", "/v2/orders/1001"), ("/v2/orders/2002",)):
            for path in paths:
                inventory.observe(get(path))
            await consumer.flush()
            templates.append(sorted(r.template for r in store.load()))
        return templates

    first, second = asyncio.run(run())
    assert first == ["/v2/orders/1001"]
    assert second == ["/v2/orders/{orderId}"]
    store.close()
