"""Observations over a Redis Stream: gateways and traffic mirrors publish, discovery workers share.

**Message format.** One stream entry per observation with a single field, ``exchange``, holding a
JSON object (ASCII, version ``"v": 1``): the observation's fields by name, pairs as two-element
lists, bodies base64 (``null`` when the source had none). :func:`encode_observation` and
:func:`decode_observation` are the two ends; :func:`publish` appends with approximate ``MAXLEN``
trimming so the stream stays bounded when no worker runs.

**Delivery contract: at least once.** Workers join one consumer group (``XREADGROUP``), so each
message goes to one worker. A message is acknowledged (``XACK``, batched) once its observation
was handled: when the consumer asks :meth:`RedisStreamSource.messages` for the next observation,
or closes the iterator. A worker that dies keeps its unacknowledged messages pending; after
``claim_idle_ms`` another worker takes them over (``XAUTOCLAIM``) and handles them again, so an
observation may be seen twice (discovery's counts tolerate it) but is not lost while it is in
the stream. ``claim_idle_ms`` must therefore exceed the time a worker takes to handle one
``batch``, or a slow worker's messages are taken over while it is still on them (duplicates, no
loss); a client's ``socket_timeout``, if set, must exceed ``block_ms``. A message delivered more than ``max_deliveries`` times (it keeps killing workers) is
acknowledged and counted as ``poison`` instead of wedging the group. Malformed messages are
acknowledged at once and counted, never retried. Needs Redis 7 or later (``XAUTOCLAIM`` that
reports deleted entries).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import math
import os
import socket
import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from wardgate.discovery.observation import MAX_BODY_BYTES, Observation, Pairs, cut
from wardgate.discovery.sources import SourceStats, clean_text

DEFAULT_STREAM = "wardgate:traffic"
FIELD = "exchange"
VERSION = 1
MAX_MESSAGE_BYTES = 8 * MAX_BODY_BYTES
"""Two base64 bodies (4/3 of :data:`MAX_BODY_BYTES` each) and generous room for the rest; a
longer message is malformed."""

log = logging.getLogger("wardgate.discovery.redis_stream")


class MalformedMessage(ValueError):
    """A stream entry that is not an encoded observation; the message names the field only."""


# -- the message format ------------------------------------------------------------------------


def encode_observation(obs: Observation) -> dict[str, bytes]:
    """The stream entry's fields for ``obs``."""
    document = {
        "v": VERSION,
        "method": obs.method,
        "host": obs.host,
        "path": obs.path,
        "query": [list(p) for p in obs.query],
        "request_headers": [list(p) for p in obs.request_headers],
        "request_body": _b64(obs.request_body),
        "request_truncated": obs.request_truncated,
        "status": obs.status,
        "response_headers": [list(p) for p in obs.response_headers],
        "response_body": _b64(obs.response_body),
        "response_truncated": obs.response_truncated,
        "timestamp": obs.timestamp,
        "scheme": obs.scheme,
        "source": obs.source,
        "identity": obs.identity,
        "findings": list(obs.findings),
    }
    return {FIELD: json.dumps(document, separators=(",", ":")).encode("ascii")}


def decode_observation(fields: Mapping[bytes, bytes] | Mapping[str, str]) -> Observation:
    """The observation in a stream entry's fields; :class:`MalformedMessage` when there is none.

    Everything is type-checked (a foreign publisher may send anything) and bodies are cut to
    :data:`MAX_BODY_BYTES` whatever the publisher did.
    """
    raw: Any = None
    for key, value in fields.items():
        if key in (FIELD, FIELD.encode()):
            raw = value
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if not isinstance(raw, bytes):
        raise MalformedMessage(f"no {FIELD!r} field")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MalformedMessage("message too large")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise MalformedMessage("not JSON") from None
    if not isinstance(doc, dict):
        raise MalformedMessage("not a JSON object")
    if doc.get("v") != VERSION:
        raise MalformedMessage("unknown version")
    request_body, request_cut = cut(_unb64(doc.get("request_body"), "request_body"))
    response_body, response_cut = cut(_unb64(doc.get("response_body"), "response_body"))
    status = doc.get("status")
    if status is not None and (type(status) is not int or not 100 <= status <= 599):
        raise MalformedMessage("bad status")
    timestamp = doc.get("timestamp", 0.0)
    if type(timestamp) not in (int, float) or not math.isfinite(timestamp):
        raise MalformedMessage("bad timestamp")
    findings = doc.get("findings", [])
    if not isinstance(findings, list) or not all(isinstance(f, str) for f in findings):
        raise MalformedMessage("bad findings")
    method = _text(doc, "method")
    if not method:
        raise MalformedMessage("bad method")
    return Observation(
        method=method,
        host=_text(doc, "host"),
        path=_text(doc, "path"),
        query=_pairs(doc, "query"),
        request_headers=_pairs(doc, "request_headers"),
        request_body=request_body,
        request_truncated=_flag(doc, "request_truncated") or request_cut,
        status=status,
        response_headers=_pairs(doc, "response_headers"),
        response_body=response_body,
        response_truncated=_flag(doc, "response_truncated") or response_cut,
        timestamp=float(timestamp),
        scheme=_text(doc, "scheme", "https"),
        source=_text(doc, "source"),
        identity=_text(doc, "identity"),
        findings=tuple(clean_text(f) for f in findings),
    )


def _b64(body: bytes | None) -> str | None:
    return None if body is None else base64.b64encode(body).decode("ascii")


def _unb64(value: Any, name: str) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_MESSAGE_BYTES:
        raise MalformedMessage(f"bad {name}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedMessage(f"bad {name}") from None


def _text(doc: dict[str, Any], name: str, default: str = "") -> str:
    value = doc.get(name, default)
    if not isinstance(value, str):
        raise MalformedMessage(f"bad {name}")
    return clean_text(value)


def _flag(doc: dict[str, Any], name: str) -> bool:
    value = doc.get(name, False)
    if not isinstance(value, bool):
        raise MalformedMessage(f"bad {name}")
    return value


def _pairs(doc: dict[str, Any], name: str) -> Pairs:
    value = doc.get(name, [])
    if not isinstance(value, list):
        raise MalformedMessage(f"bad {name}")
    pairs: list[tuple[str, str]] = []
    for item in value:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not isinstance(item[1], str)
        ):
            raise MalformedMessage(f"bad {name}")
        pairs.append((clean_text(item[0]), clean_text(item[1])))
    return tuple(pairs)


# -- publishing --------------------------------------------------------------------------------


async def publish(
    client: Redis,
    obs: Observation,
    stream: str = DEFAULT_STREAM,
    *,
    maxlen: int | None = 100_000,
) -> bytes | str:
    """Append ``obs`` to ``stream`` (``XADD``), trimming to about ``maxlen`` entries (``~``:
    Redis trims whole nodes, cheaply); returns the entry's id."""
    entry_id: bytes | str = await client.xadd(
        stream,
        encode_observation(obs),  # type: ignore[arg-type]  # redis-py's dict is invariant
        maxlen=maxlen,
        approximate=True,
    )
    return entry_id


# -- consuming ---------------------------------------------------------------------------------


class RedisStreamSource:
    """One discovery worker's share of a stream, as a consumer of ``group``.

    ``client`` is a ``redis.asyncio.Redis`` (not closed here) or a URL (a client is made and
    :meth:`aclose` closes it). ``start_id`` is where a group created here starts: ``"0"`` reads
    what the stream already holds, ``"$"`` only what comes next. See the module's contract.
    """

    def __init__(
        self,
        client: Redis | str,
        stream: str = DEFAULT_STREAM,
        group: str = "discovery",
        consumer: str | None = None,
        *,
        block_ms: int = 1000,
        batch: int = 500,
        claim_idle_ms: int = 60_000,
        max_deliveries: int = 5,
        start_id: str = "0",
    ) -> None:
        if min(batch, block_ms, claim_idle_ms, max_deliveries) < 1:
            raise ValueError("batch, block_ms, claim_idle_ms and max_deliveries must be positive")
        self._own_client = isinstance(client, str)
        self.client: Redis = Redis.from_url(client) if isinstance(client, str) else client
        self.stream = stream
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.block_ms = block_ms
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.start_id = start_id
        self.stats = SourceStats()
        self._stopped = False
        self._claim_cursor: bytes | str = "0-0"

    def stop(self) -> None:
        """Make :meth:`messages` end (after the current block, at most ``block_ms``)."""
        self._stopped = True

    async def aclose(self) -> None:
        """Close the client if this source made it."""
        if self._own_client:
            await self.client.aclose()

    async def ensure_group(self) -> None:
        """Create the stream and the group if missing (``XGROUP CREATE ... MKSTREAM``)."""
        try:
            await self.client.xgroup_create(self.stream, self.group, self.start_id, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def messages(self) -> AsyncGenerator[Observation, None]:
        """Observations as they arrive, until :meth:`stop`. Close the iterator (``async with
        contextlib.aclosing(...)``) so the last handled messages are acknowledged at once rather
        than reclaimed later. Redis errors propagate; what was not acknowledged is redelivered.
        """
        await self.ensure_group()
        handled: list[bytes | str] = []
        next_claim = 0.0
        try:
            while not self._stopped:
                await self._ack(handled)
                entries: list[tuple[Any, Any]] = []
                if time.monotonic() >= next_claim:
                    entries = await self._claim()
                    more = self._claim_cursor not in (b"0-0", "0-0")
                    next_claim = time.monotonic() + (0 if more else self.claim_idle_ms / 2000)
                if not entries:
                    entries = await self._read()
                for entry_id, fields in entries:
                    self.stats.read += 1
                    try:
                        obs = decode_observation(fields or {})
                    except MalformedMessage as exc:
                        self.stats.skip("malformed")
                        log.warning("discovery stream: malformed message acknowledged: %s", exc)
                        handled.append(entry_id)
                        continue
                    self.stats.yielded += 1
                    try:
                        yield obs
                    except GeneratorExit:  # closed by the consumer: done with what it got
                        handled.append(entry_id)
                        raise
                    handled.append(entry_id)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await self._ack(handled)

    async def _ack(self, ids: list[bytes | str]) -> None:
        if ids:
            await self.client.xack(self.stream, self.group, *ids)
            ids.clear()

    async def _read(self) -> list[tuple[Any, Any]]:
        try:
            reply: Any = await self.client.xreadgroup(
                self.group,
                self.consumer,
                {self.stream: ">"},
                count=self.batch,
                block=self.block_ms,
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.ensure_group()  # the stream was deleted under us: start again
            return []
        if not reply:
            return []
        return [(entry[0], entry[1]) for _stream, batch in reply for entry in batch]

    async def _claim(self) -> list[tuple[Any, Any]]:
        """Take over messages pending longer than ``claim_idle_ms`` (a dead worker's) and drop
        those delivered too often."""
        try:
            reply = await self.client.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                self.claim_idle_ms,
                start_id=self._claim_cursor,
                count=self.batch,
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.ensure_group()
            return []
        self._claim_cursor = reply[0]
        claimed = [(i, f) for i, f in reply[1] if i is not None]
        if not claimed:
            return []
        pending: Any = await self.client.xpending_range(
            self.stream,
            self.group,
            claimed[0][0],
            claimed[-1][0],
            len(claimed),
            consumername=self.consumer,
        )
        worn = {p["message_id"] for p in pending if p["times_delivered"] > self.max_deliveries}
        if worn:
            self.stats.read += len(worn)
            for _ in worn:
                self.stats.skip("poison")
            log.warning("discovery stream: %d message(s) delivered too often dropped", len(worn))
            await self._ack(list(worn))
        return [(i, f) for i, f in claimed if i not in worn]


__all__ = [
    "DEFAULT_STREAM",
    "FIELD",
    "MAX_MESSAGE_BYTES",
    "MalformedMessage",
    "RedisStreamSource",
    "decode_observation",
    "encode_observation",
    "publish",
]
