"""The console's HTTP plumbing: routing, bodies within bounds, safe redirects."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from wardgate.console.web import HTTPError, Request, Router, html, redirect, url, validate


async def _ok(req: Request) -> Any:
    return html("ok")


def _request(
    body: bytes = b"", ctype: str = "application/x-www-form-urlencoded", chunks: int = 1
) -> Request:
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
        for i, p in enumerate(pieces)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    scope = {
        "method": "POST",
        "path": "/x",
        "headers": [(b"content-type", ctype.encode())],
        "query_string": b"a=1&a=2&b=",
    }
    return Request.from_scope(scope, receive)


def test_router() -> None:
    router = Router()
    router.add("GET", "/api/incidents/{incident}", _ok, None)
    router.add("POST", "/api/incidents/{incident}/actions", _ok, None)
    route, params = router.match("GET", "/api/incidents/INC-000001")
    assert params == {"incident": "INC-000001"}
    assert router.match("HEAD", "/api/incidents/7")[0] is route
    with pytest.raises(HTTPError) as err:
        router.match("DELETE", "/api/incidents/7")
    assert err.value.status == 405
    for path in (
        "/api/incidents/",
        "/api/incidents/a/b",
        "/api/incidents/7/actions/x",
        "/api/incidents",
    ):
        with pytest.raises(HTTPError) as err:
            router.match("GET", path)
        assert err.value.status == 404


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/overview", "/overview"),
        ("//evil.test/x", "/"),
        ("https://evil.test", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_redirects_stay_inside(target: str, location: str) -> None:
    assert dict(redirect(target).headers)["location"] == location


def test_url_drops_empty_parameters_and_quotes() -> None:
    assert url("/d", category="pii", route=None, identity="") == "/d?category=pii"
    assert url("/d", q="a b&c") == "/d?q=a%20b%26c"


@pytest.mark.asyncio
async def test_query_and_form() -> None:
    req = _request(b"x=1&y=%C3%A9&x=2", chunks=3)
    assert req.query == {"a": "1", "b": ""}  # first value of each
    assert await req.form() == {"x": "1", "y": "é"}


@pytest.mark.asyncio
async def test_bodies_are_bounded_and_typed() -> None:
    with pytest.raises(HTTPError) as err:
        await _request(b"x" * 100).body(limit=10)
    assert err.value.status == 413
    with pytest.raises(HTTPError) as err:
        await _request(b"{}", ctype="text/plain").json()
    assert err.value.status == 415
    with pytest.raises(HTTPError) as err:
        await _request(b"[1,", ctype="application/json").json()
    assert err.value.status == 400
    with pytest.raises(HTTPError) as err:
        await _request(b"[1]", ctype="application/json").data()
    assert err.value.status == 422


def test_validation_errors_name_the_field() -> None:
    class M(BaseModel):
        limit: int = Field(ge=1, le=10)

    with pytest.raises(HTTPError) as err:
        validate(M, {"limit": 99})
    assert err.value.status == 422
    assert err.value.errors is not None
    assert err.value.errors[0]["field"] == "limit"
    assert validate(M, {"limit": "3"}).limit == 3


@pytest.mark.asyncio
async def test_a_body_read_once_is_still_held_to_each_limit() -> None:
    req = _request(b"x" * 100)
    assert len(await req.body(limit=1000)) == 100
    with pytest.raises(HTTPError) as err:
        await req.body(limit=50)
    assert err.value.status == 413
