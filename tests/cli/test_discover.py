"""``wardgate discover``: HAR and access logs in; table, OpenAPI 3.1, JSON and the store out;
declared specs mark shadow, orphan and zombie endpoints; bad input is skipped and counted."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from wardgate.cli.main import main
from wardgate.discovery import openapi
from wardgate.storage.inventory import InventoryStore


def _entry(method: str, url: str, response: object, headers: dict[str, str] | None = None) -> dict:
    return {
        "startedDateTime": "2026-11-20T10:00:00Z",
        "time": 5,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": 200,
            "statusText": "OK",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "content-type", "value": "application/json"}],
            "cookies": [],
            "content": {"size": 0, "mimeType": "application/json", "text": json.dumps(response)},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 5, "receive": 0},
    }


@pytest.fixture
def har(tmp_path: Path) -> Path:
    entries = []
    for i in range(25):
        entries.append(
            _entry(
                "GET",
                f"https://api.shop.test/v1/users/{1000 + i * 7}/orders?page={i % 3}",
                [{"id": str(uuid.uuid4()), "email": f"buyer{i}@mailbox.org"}],
                {"Authorization": "Bearer opaque"},
            )
        )
        entries.append(
            _entry(
                "GET",
                f"https://api.shop.test/v1/orders/{uuid.uuid4()}",
                {"id": "x", "state": "paid"},
            )
        )
    entries.append(_entry("GET", "https://api.shop.test/v1/users/me", {"id": 1}))
    entries.append({"request": {"method": "GET"}})  # malformed: skipped and counted
    path = tmp_path / "capture.har"
    path.write_text(
        json.dumps(
            {
                "log": {
                    "version": "1.2",
                    "creator": {"name": "t", "version": "1"},
                    "entries": entries,
                }
            }
        )
    )
    return path


@pytest.fixture
def declared(tmp_path: Path) -> Path:
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "shop", "version": "1"},
        "servers": [{"url": "https://api.shop.test/v1"}],
        "paths": {
            "/users/{id}/orders": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/users/me": {"get": {"deprecated": True, "responses": {"200": {"description": "ok"}}}},
            "/products": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
    }
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(doc))
    return path


def test_discover_har_with_spec(
    har: Path, declared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shop.openapi.json"
    rc = main(
        [
            "discover",
            "--har",
            str(har),
            "--spec",
            str(declared),
            "--openapi-out",
            str(out),
            "--json",
            str(tmp_path / "inv.json"),
            "--db",
            str(tmp_path / "inv.db"),
        ]
    )
    assert rc == 0
    captured = capsys.readouterr()
    table = captured.out
    rows = {line.split()[2]: line for line in table.splitlines()[1:]}
    assert "shadow" in rows["/v1/orders/{orderId}"]
    assert "zombie" in rows["/v1/users/me"]
    assert "orphan" in rows["/v1/products"]
    # the declared spec is a prior: its parameter names are kept
    assert "EMAIL" in rows["/v1/users/{id}/orders"]
    assert "skipped 1" in captured.err
    doc = json.loads(out.read_text())
    assert doc["openapi"].startswith("3.1")
    assert openapi.validate(doc) == []
    assert "/v1/users/{id}/orders" in doc["paths"]
    inventory = json.loads((tmp_path / "inv.json").read_text())
    assert "mailbox.org" not in json.dumps(inventory)
    store = InventoryStore.open(tmp_path / "inv.db")
    assert {e.kind for e in store.events()} >= {"new_endpoint", "new_sensitive_field"}


def test_discover_access_log_with_garbage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps(
            {
                "method": "GET",
                "path": f"/api/items/{i}",
                "authority": "inv.test",
                "response_code": 200,
                "start_time": "2026-11-20T10:00:00.000Z",
            }
        )
        for i in range(30)
    ]
    lines += ["not json at all", '{"truncated": ', "\xff\xfe"]
    log = tmp_path / "envoy.log"
    log.write_text("\n".join(lines))
    assert main(["discover", "--access-log", str(log)]) == 0
    captured = capsys.readouterr()
    assert "/api/items/{itemId}" in captured.out
    assert "skipped 3" in captured.err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discover"]) == 2
    not_har = tmp_path / "x.har"
    not_har.write_text('{"hello": 1}')
    assert main(["discover", "--har", str(not_har)]) == 2
    assert "not a HAR file" in capsys.readouterr().err
    assert main(["discover", "--har", str(tmp_path / "missing.har")]) == 2


def test_corrections_and_spec_priors_are_applied_and_remembered(
    har: Path, declared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "inv.db")
    rc = main(
        [
            "discover",
            "--har",
            str(har),
            "--db",
            db,
            "--rename",
            "api.shop.test",
            "/v1/orders/{orderId}",
            "/v1/orders/{order_ref}",
        ]
    )
    assert rc == 0
    assert "/v1/orders/{order_ref}" in capsys.readouterr().out
    # a later run without the flag still uses the correction (remembered in the store)
    assert main(["discover", "--har", str(har), "--db", db]) == 0
    assert "/v1/orders/{order_ref}" in capsys.readouterr().out
    # a declared spec (with its host from servers) seeds templates before any traffic
    assert main(["discover", "--har", str(har), "--spec", str(declared)]) == 0
    rows = {line.split()[2]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "/v1/products" in rows  # declared, never called: an orphan row
    assert main(["discover", "--har", str(har), "--merge", "api.shop.test"]) == 2
