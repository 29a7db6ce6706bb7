"""The Redis Stream source against a real redis-server: the message format, consumer groups that
share a stream, reclaiming a dead worker's messages, and malformed messages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from wardgate.discovery.observation import MAX_BODY_BYTES, Observation
from wardgate.discovery.sources.redis_stream import (
    FIELD,
    MalformedMessage,
    RedisStreamSource,
    decode_observation,
    encode_observation,
    publish,
)


def obs(i: int = 0, **changes: Any) -> Observation:
    fields: dict[str, Any] = {
        "method": "POST",
        "host": "api.example.com",
        "path": f"/v1/items/{i}",
        "query": (("a", "1"), ("a", "2")),
        "request_headers": (("content-type", "application/json"),),
        "request_body": b'{"n": %d}' % i,
        "status": 201,
        "response_body": b"\x00\xff binary",
        "timestamp": 1714557600.25 + i,
        "source": "gateway",
        "identity": "svc",
        "findings": ("pii",),
    }
    fields.update(changes)
    return Observation(**fields)


# -- the message format (no Redis needed) --------------------------------------------------------

_text = st.text(max_size=20)
_pairs = st.lists(st.tuples(_text, _text), max_size=4).map(tuple)
_body = st.none() | st.binary(max_size=200)
observations = st.builds(
    Observation,
    method=st.sampled_from(["GET", "POST", "PATCH"]),
    host=_text,
    path=_text,
    query=_pairs,
    request_headers=_pairs,
    request_body=_body,
    request_truncated=st.booleans(),
    status=st.none() | st.integers(100, 599),
    response_headers=_pairs,
    response_body=_body,
    response_truncated=st.booleans(),
    timestamp=st.floats(0, 4e9),
    scheme=st.sampled_from(["http", "https"]),
    source=_text,
    identity=_text,
    findings=st.lists(_text, max_size=3).map(tuple),
)


@settings(max_examples=100, deadline=None)
@given(observations)
def test_encode_decode_round_trip(original: Observation) -> None:
    fields = encode_observation(original)
    assert list(fields) == [FIELD]
    assert fields[FIELD].isascii()
    assert decode_observation({k.encode(): v for k, v in fields.items()}) == original
    assert decode_observation({k: v.decode() for k, v in fields.items()}) == original


def test_message_format_is_plain_json_with_base64_bodies() -> None:
    doc = json.loads(encode_observation(obs(3))[FIELD])
    assert doc["v"] == 1
    assert doc["query"] == [["a", "1"], ["a", "2"]]
    assert base64.b64decode(doc["request_body"]) == b'{"n": 3}'
    assert doc["findings"] == ["pii"]


def test_decode_cuts_oversized_bodies_from_foreign_publishers() -> None:
    doc = json.loads(encode_observation(obs())[FIELD])
    doc["request_body"] = base64.b64encode(b"x" * (MAX_BODY_BYTES + 5)).decode()
    got = decode_observation({FIELD: json.dumps(doc)})
    assert len(got.request_body or b"") == MAX_BODY_BYTES
    assert got.request_truncated


def _doc(**changes: Any) -> bytes:
    doc = json.loads(encode_observation(obs())[FIELD])
    doc.update(changes)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {b"other": b"x"},
        {FIELD: b"not json"},
        {FIELD: b"[1, 2]"},
        {FIELD: _doc(v=2)},
        {FIELD: _doc(method="")},
        {FIELD: _doc(method=None)},
        {FIELD: _doc(host=7)},
        {FIELD: _doc(query=[["a"]])},
        {FIELD: _doc(request_headers={"a": "b"})},
        {FIELD: _doc(request_body="!!!")},
        {FIELD: _doc(response_body=12)},
        {FIELD: _doc(status=99)},
        {FIELD: _doc(status="200")},
        {FIELD: _doc(status=True)},
        {FIELD: _doc(timestamp="now")},
        {FIELD: _doc(timestamp=float("inf"))},
        {FIELD: _doc(request_truncated="yes")},
        {FIELD: _doc(findings=[1])},
        {FIELD: b"[" * 50_000},
        {FIELD: b'{"v": 1, "pad": "' + b"x" * (9 * MAX_BODY_BYTES) + b'"}'},
    ],
)
def test_malformed_messages_are_refused(fields: dict[Any, Any]) -> None:
    with pytest.raises(MalformedMessage):
        decode_observation(fields)


# -- a real redis-server -------------------------------------------------------------------------


@pytest.fixture
def client(redis_client: Redis) -> Redis:
    """The session redis-server's client (tests/conftest.py), under this module's name."""
    return redis_client


@pytest.fixture
def stream() -> str:
    return f"wardgate:traffic:test-{uuid.uuid4().hex}"


async def take(
    messages: AsyncIterator[Observation], n: int, timeout: float = 5
) -> list[Observation]:
    got: list[Observation] = []
    async with asyncio.timeout(timeout):
        while len(got) < n:
            got.append(await anext(messages))
    return got


async def pending(client: Redis, stream: str, group: str = "discovery") -> int:
    summary: Any = await client.xpending(stream, group)
    return int(summary["pending"])


@pytest.mark.asyncio
async def test_publish_then_consume(client: Redis, stream: str) -> None:
    sent = [obs(i) for i in range(5)]
    for o in sent:
        await publish(client, o, stream)
    source = RedisStreamSource(client, stream, consumer="w1", block_ms=50)
    async with contextlib.aclosing(source.messages()) as messages:
        assert await take(messages, 5) == sent
    assert await pending(client, stream) == 0  # closing acknowledged the last one too
    assert source.stats.to_dict() == {"read": 5, "yielded": 5, "skipped": 0, "reasons": {}}


@pytest.mark.asyncio
async def test_group_made_on_an_empty_stream_then_messages_arrive(
    client: Redis, stream: str
) -> None:
    source = RedisStreamSource(client, stream, consumer="w1", block_ms=50, start_id="$")
    async with contextlib.aclosing(source.messages()) as messages:
        reader = asyncio.ensure_future(take(messages, 2))
        await asyncio.sleep(0.1)  # the worker blocks on an empty stream made by MKSTREAM
        await publish(client, obs(1), stream)
        await publish(client, obs(2), stream)
        assert [o.path for o in await reader] == ["/v1/items/1", "/v1/items/2"]


@pytest.mark.asyncio
async def test_two_consumers_in_one_group_split_without_duplicates(
    client: Redis, stream: str
) -> None:
    for i in range(40):
        await publish(client, obs(i), stream)
    first = RedisStreamSource(client, stream, consumer="w1", batch=5, block_ms=50)
    second = RedisStreamSource(client, stream, consumer="w2", batch=5, block_ms=50)
    seen: dict[str, list[str]] = {"w1": [], "w2": []}
    async with (
        contextlib.aclosing(first.messages()) as one,
        contextlib.aclosing(second.messages()) as two,
    ):
        for _ in range(20):  # alternate: each worker reads its own batches
            seen["w1"] += [o.path for o in await take(one, 1)]
            seen["w2"] += [o.path for o in await take(two, 1)]
    assert len(seen["w1"]) == len(seen["w2"]) == 20
    assert not set(seen["w1"]) & set(seen["w2"])
    assert sorted(seen["w1"] + seen["w2"]) == sorted(f"/v1/items/{i}" for i in range(40))
    assert await pending(client, stream) == 0


@pytest.mark.asyncio
async def test_a_dead_workers_pending_messages_are_reclaimed(
    client: Redis, redis_port: int, stream: str
) -> None:
    for i in range(10):
        await publish(client, obs(i), stream)
    doomed_client = Redis(host="127.0.0.1", port=redis_port)
    doomed = RedisStreamSource(doomed_client, stream, consumer="doomed", batch=10, block_ms=50)
    doomed_messages = doomed.messages()
    handled = await take(doomed_messages, 3)  # it handled 2, was on the 3rd, then died
    await doomed_client.aclose()  # no acknowledgement will come from it
    assert [o.path for o in handled] == ["/v1/items/0", "/v1/items/1", "/v1/items/2"]
    assert await pending(client, stream) == 10

    survivor = RedisStreamSource(
        client, stream, consumer="survivor", block_ms=50, claim_idle_ms=100
    )
    await asyncio.sleep(0.15)
    async with contextlib.aclosing(survivor.messages()) as messages:
        reclaimed = await take(messages, 10)
    assert sorted(o.path for o in reclaimed) == sorted(f"/v1/items/{i}" for i in range(10))
    assert await pending(client, stream) == 0
    with contextlib.suppress(Exception):
        await doomed_messages.aclose()


@pytest.mark.asyncio
async def test_a_message_that_keeps_killing_workers_is_dropped(client: Redis, stream: str) -> None:
    await publish(client, obs(1), stream)
    await client.xgroup_create(stream, "discovery", "0")
    for attempt in range(3):  # three workers take it and die
        await client.xreadgroup(
            "discovery", f"dead-{attempt}", {stream: ">" if attempt == 0 else "0"}
        )
        await client.xautoclaim(stream, "discovery", f"dead-{attempt + 1}", 0)
    await publish(client, obs(2), stream)
    source = RedisStreamSource(
        client, stream, consumer="w", block_ms=50, claim_idle_ms=1, max_deliveries=3
    )
    await asyncio.sleep(0.01)
    async with contextlib.aclosing(source.messages()) as messages:
        [survivor] = await take(messages, 1)
    assert survivor.path == "/v1/items/2"
    assert source.stats.reasons == {"poison": 1}
    assert await pending(client, stream) == 0


@pytest.mark.asyncio
async def test_malformed_messages_are_counted_and_acknowledged(client: Redis, stream: str) -> None:
    await client.xadd(stream, {"foo": "bar"})
    await client.xadd(stream, {FIELD: "not json"})
    await client.xadd(stream, {FIELD: _doc(status="teapot")})
    await publish(client, obs(7), stream)
    source = RedisStreamSource(client, stream, consumer="w1", block_ms=50)
    async with contextlib.aclosing(source.messages()) as messages:
        [good] = await take(messages, 1)
    assert good == obs(7)
    assert source.stats.to_dict() == {
        "read": 4,
        "yielded": 1,
        "skipped": 3,
        "reasons": {"malformed": 3},
    }
    assert await pending(client, stream) == 0  # the group is not blocked by them


@pytest.mark.asyncio
async def test_unacknowledged_until_the_consumer_asks_for_more(client: Redis, stream: str) -> None:
    for i in range(3):
        await publish(client, obs(i), stream)
    source = RedisStreamSource(client, stream, consumer="w1", block_ms=50)
    messages = source.messages()
    await take(messages, 3)
    assert await pending(client, stream) == 3  # still being handled
    source.stop()
    with pytest.raises(StopAsyncIteration):
        await anext(messages)  # asking again acknowledges, then the stopped source ends
    assert await pending(client, stream) == 0


@pytest.mark.asyncio
async def test_publish_trims_approximately(client: Redis, stream: str) -> None:
    for i in range(600):
        await publish(client, obs(i), stream, maxlen=100)
    length = await client.xlen(stream)
    assert 100 <= length < 600


@pytest.mark.asyncio
async def test_url_client_is_made_and_closed(redis_port: int, client: Redis, stream: str) -> None:
    await publish(client, obs(1), stream)
    source = RedisStreamSource(f"redis://127.0.0.1:{redis_port}/0", stream, block_ms=50)
    assert "-" in source.consumer  # hostname-pid
    async with contextlib.aclosing(source.messages()) as messages:
        assert (await take(messages, 1))[0] == obs(1)
    await source.aclose()


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        RedisStreamSource("redis://localhost", batch=0)
