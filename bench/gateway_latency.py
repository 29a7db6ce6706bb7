"""Gateway latency benchmark: what ``wardgate serve`` adds to an LLM call, at fixed request rates.

The fake LLM upstream, the gateway and (optionally) LiteLLM's proxy each run in their own process;
the load generator runs here. Requests are sent on an **open-loop** schedule: each one leaves at
its scheduled time whatever the earlier ones did, and its latency is measured from that scheduled
time to the last byte of the answer, so queueing anywhere (generator included) shows up instead of
being hidden by a client that waits. Every rate is measured directly against the fake first and
then through the gateway, one after the other, and the **added latency** is the difference of the
two runs' percentiles (requests are not paired, so this is not a percentile of differences).

The load generator is a small HTTP/1.1 client on raw asyncio transports with a keep-alive pool:
httpx costs about 1 ms of CPU a request, which on two cores would be the bottleneck at 500
requests/s. The direct rows show what the generator and the fake can do on their own.

Prompts and streamed answers are synthesised here (``bench.latency.synthesise``); no corpus text is
read. Run ``python -m bench.gateway_latency --help``; bench/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import gc
import itertools
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.eval_detection import Table
from bench.latency import cpu_model, synthesise
from bench.metrics import percentile

QUANTILES = (50.0, 90.0, 99.0)
MODEL = "fake-model"
CHAT_PATH = "/v1/chat/completions"
OFF_PREFIX = "/wg-off"
ENFORCE_PREFIX = "/wg-enforce"
STREAM_HEADER = "x-bench-stream"  # "<chunks>:<chunk_chars>:<delay_ms>", read by the fake
STAMP_FIELD = b'"system_fingerprint":"fp_fake"'
STAMP = re.compile(rb'"system_fingerprint":"t(\d+)"')
TARGET_OFF_P99_MS = 3.0  # at 500 requests/s
TARGET_DETECT_P99_MS = 25.0
TARGET_CHUNK_P99_MS = 2.0
LITELLM_MASTER_KEY = "sk-bench-litellm-master"  # a throw-away key for a proxy on 127.0.0.1


# ---- open-loop schedule and figures (pure) ---------------------------------------------------


def arrival_schedule(
    rate: float, seconds: float, *, poisson: bool = False, rng: random.Random | None = None
) -> list[float]:
    """Send offsets in seconds from the start: ``rate * seconds`` of them (rounded), evenly spaced
    (``i / rate``), or with exponential gaps of mean ``1 / rate`` when ``poisson``. The schedule is
    fixed before the run, which is what makes the load open-loop."""
    if rate <= 0 or seconds <= 0:
        raise ValueError("rate and seconds must be positive")
    count = max(1, round(rate * seconds))
    if not poisson:
        return [i / rate for i in range(count)]
    rng = rng or random.Random(0)
    offsets, now = [], 0.0
    for _ in range(count):
        offsets.append(now)
        now += rng.expovariate(rate)
    return offsets


@dataclass(frozen=True, slots=True)
class Summary:
    """One measured run: how many were sent, answered 2xx and failed; nearest-rank percentiles of
    the successful latencies in ms; achieved rate = successes / (first send .. last answer)."""

    sent: int
    ok: int
    errors: int
    p50: float
    p90: float
    p99: float
    max: float
    achieved_rps: float

    def cells(self) -> list[str]:
        return [
            str(self.sent),
            str(self.errors),
            f"{self.achieved_rps:,.1f}",
            *(ms(v) for v in (self.p50, self.p90, self.p99, self.max)),
        ]


def summarise(latencies_ms: Sequence[float], errors: int, span_s: float) -> Summary:
    """Figures of one run; percentiles are ``nan`` when nothing succeeded."""
    ok = len(latencies_ms)
    return Summary(
        sent=ok + errors,
        ok=ok,
        errors=errors,
        p50=percentile(latencies_ms, 50),
        p90=percentile(latencies_ms, 90),
        p99=percentile(latencies_ms, 99),
        max=max(latencies_ms) if latencies_ms else math.nan,
        achieved_rps=ok / span_s if span_s > 0 else math.nan,
    )


@dataclass(frozen=True, slots=True)
class Added:
    """Added latency: a percentile through the proxy minus the same percentile direct (ms)."""

    p50: float
    p90: float
    p99: float
    max: float

    def cells(self) -> list[str]:
        return [ms(v, signed=True) for v in (self.p50, self.p90, self.p99, self.max)]


def added(direct: Summary, via: Summary) -> Added:
    """Difference of percentiles (``via - direct``); negative when the proxy run was faster."""
    return Added(
        via.p50 - direct.p50, via.p90 - direct.p90, via.p99 - direct.p99, via.max - direct.max
    )


def ms(value: float, *, signed: bool = False) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def verdict(value: float, limit: float) -> str:
    """``yes``/``no`` against a target (``-`` when the figure is undefined)."""
    if math.isnan(value):
        return "-"
    return "yes" if value <= limit else "no"


# ---- a small HTTP/1.1 client (the load generator) --------------------------------------------


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as this client reads it."""


MAX_HEAD_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024


class ResponseParser:
    """Incremental HTTP/1.1 response parser: status line, headers, then a body delimited by
    Content-Length or chunked transfer coding (bodies that end at close are refused).
    ``feed`` returns the body bytes the data completed; ``done`` once the response is whole."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._state = "head"
        self._remaining = 0
        self.status = 0
        self.headers: dict[str, str] = {}
        self.keep_alive = True

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, data: bytes) -> list[bytes]:
        if self.done:
            if data:
                raise ProtocolError("data after the end of the response")
            return []
        self._buf += data
        out: list[bytes] = []
        while not self.done and self._step(out):
            pass
        if self.done and self._buf:
            raise ProtocolError("data after the end of the response")
        return out

    def _line(self) -> bytes | None:
        end = self._buf.find(b"\r\n")
        if end < 0:
            if len(self._buf) > MAX_LINE_BYTES:
                raise ProtocolError("chunk line too long")
            return None
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    def _step(self, out: list[bytes]) -> bool:
        """Advance one state; False when more data is needed."""
        state = self._state
        if state == "head":
            return self._head()
        if state in ("length", "data"):
            take = min(self._remaining, len(self._buf))
            if take == 0:
                return False
            out.append(bytes(self._buf[:take]))
            del self._buf[:take]
            self._remaining -= take
            if self._remaining == 0:
                self._state = "done" if state == "length" else "data_end"
            return True
        if state == "data_end":
            if len(self._buf) < 2:
                return False
            if self._buf[:2] != b"\r\n":
                raise ProtocolError("chunk not followed by CRLF")
            del self._buf[:2]
            self._state = "size"
            return True
        line = self._line()
        if line is None:
            return False
        if state == "size":
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProtocolError("invalid chunk size") from None
            if size < 0:
                raise ProtocolError("invalid chunk size")
            self._state, self._remaining = ("trailer", 0) if size == 0 else ("data", size)
            return True
        if not line:  # state == "trailer": an empty line ends the trailers and the response
            self._state = "done"
        return True

    def _head(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HEAD_BYTES:
                raise ProtocolError("response head too large")
            return False
        head = bytes(self._buf[:end]).decode("latin-1")
        del self._buf[: end + 4]
        status_line, *lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ProtocolError("not an HTTP/1.x status line")
        self.status = int(rest[:3])
        self.headers = {}
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise ProtocolError("malformed header line")
            self.headers[name.strip().lower()] = value.strip()
        connection = self.headers.get("connection", "").lower()
        self.keep_alive = version == "HTTP/1.1" and "close" not in connection
        if 100 <= self.status < 200:
            return True  # an interim answer; the real one follows
        if self.status in (204, 304):
            self._state = "done"
        elif "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._state = "size"
        elif "content-length" in self.headers:
            length = self.headers["content-length"]
            if not length.isdigit():
                raise ProtocolError("invalid Content-Length")
            self._remaining = int(length)
            self._state = "length" if self._remaining else "done"
        else:
            raise ProtocolError("response without Content-Length or chunked coding")
        return True


BodySink = Callable[[bytes, int], None]  # (body bytes, arrival time in monotonic ns)


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser: ResponseParser | None = None
        self._waiter: asyncio.Future[tuple[int, int]] | None = None
        self._on_body: BodySink | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        parser, waiter = self._parser, self._waiter
        if parser is None or waiter is None or waiter.done():
            self.close()  # unsolicited bytes: the connection is no longer usable
            return
        try:
            pieces = parser.feed(data)
        except ProtocolError as exc:
            waiter.set_exception(exc)
            self.close()
            return
        if self._on_body is not None:
            for piece in pieces:
                self._on_body(piece, now)
        if parser.done:
            self._parser, self._on_body = None, None
            waiter.set_result((parser.status, now))
            if not parser.keep_alive:
                self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionResetError("connection closed by the server"))

    def request(self, raw: bytes, on_body: BodySink | None) -> asyncio.Future[tuple[int, int]]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._parser = ResponseParser()
        self._on_body = on_body
        self.transport.write(raw)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Keep-alive connections to one server, most recently used first."""

    def __init__(self, host: str, port: int, max_connections: int = 1024) -> None:
        self.host, self.port = host, port
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self.opened = 0

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        sock = conn.transport.get_extra_info("socket") if conn.transport else None
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opened += 1
        return conn

    async def prewarm(self, count: int) -> None:
        """Open ``count`` connections now, so that connecting is not part of the first latencies."""
        self._idle += await asyncio.gather(*(self._open() for _ in range(count)))

    async def request(
        self, raw: bytes, *, timeout_s: float, on_body: BodySink | None = None
    ) -> tuple[int, int]:
        """(status, monotonic ns of the answer's last byte)."""
        async with self._slots:
            conn = None
            while self._idle and conn is None:
                candidate = self._idle.pop()
                conn = None if candidate.closed else candidate
            if conn is None:
                conn = await self._open()
            try:
                result = await asyncio.wait_for(conn.request(raw, on_body), timeout_s)
            except BaseException:
                conn.close()
                raise
            if not conn.closed:
                self._idle.append(conn)
            return result

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


def build_request(
    host: str, port: int, path: str, body: bytes, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """A complete ``POST`` request with a JSON body."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chat_body(prompt: str, *, stream: bool = False) -> bytes:
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": prompt},
    ]
    payload: dict[str, Any] = {"model": MODEL, "messages": messages}
    if stream:
        payload["stream"] = True
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


# ---- runs ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RunResult:
    latencies_ms: list[float] = field(default_factory=list)
    send_lag_ms: list[float] = field(default_factory=list)  # task start - scheduled time
    errors: Counter[str] = field(default_factory=Counter)
    span_s: float = 0.0
    generator_cpu_s: float = 0.0

    def summary(self) -> Summary:
        return summarise(self.latencies_ms, sum(self.errors.values()), self.span_s)


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


async def _dispatch(
    offsets: Sequence[float], start: Callable[[int, int], Any], lead_s: float = 0.05
) -> tuple[int, list[asyncio.Task[Any]]]:
    """Start ``start(i, due_ns)`` at each scheduled offset (open loop); returns t0 and the tasks."""
    t0 = time.monotonic_ns() + int(lead_s * 1e9)
    tasks: list[asyncio.Task[Any]] = []
    for i, offset in enumerate(offsets):
        due = t0 + int(offset * 1e9)
        delay = (due - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(start(i, due)))
    return t0, tasks


@contextlib.contextmanager
def generator_gc_paused() -> Iterator[None]:
    """Pause the load generator's own garbage collector while it measures.

    A full collection of its growing result lists stalled its sender for about 20 ms, which
    showed up as latency of whichever target was running (the direct rows' max most of all).
    The results of one run fit in memory many times over; the collector runs again after it.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def run_open_loop(
    pool: Pool, requests: Sequence[bytes], offsets: Sequence[float], timeout_s: float
) -> RunResult:
    """Send ``requests[i % len]`` at ``offsets[i]``; latency = last byte - scheduled time."""
    result = RunResult()
    last_done = 0

    async def one(i: int, due: int) -> None:
        nonlocal last_done
        result.send_lag_ms.append((time.monotonic_ns() - due) / 1e6)
        try:
            status, done = await pool.request(requests[i % len(requests)], timeout_s=timeout_s)
        except (OSError, ProtocolError, TimeoutError) as exc:
            result.errors[_error_name(exc)] += 1
            return
        if not 200 <= status < 300:
            result.errors[f"HTTP {status}"] += 1
            return
        result.latencies_ms.append((done - due) / 1e6)
        last_done = max(last_done, done)

    cpu = time.process_time()
    with generator_gc_paused():
        t0, tasks = await _dispatch(offsets, one)
        await asyncio.gather(*tasks)
    result.generator_cpu_s = time.process_time() - cpu
    result.span_s = (last_done - t0) / 1e9 if last_done else 0.0
    return result


@dataclass(slots=True)
class StreamRun:
    """Per content chunk: lag = arrival - the fake's emission stamp; gap = arrival - previous
    chunk's arrival (same stream); first = first chunk's arrival - scheduled send time."""

    lags_ms: list[float] = field(default_factory=list)
    gaps_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    streams_ok: int = 0
    sample: bytes = b""  # one whole answer body, replayed to count the gateway's inspections


class SseChunks:
    """Splits an SSE body into events and records, for each content chunk, its arrival time and the
    emission stamp the fake put in ``system_fingerprint``."""

    def __init__(self) -> None:
        self._buf = b""
        self.chunks: list[tuple[int, int]] = []  # (arrival ns, emitted ns)
        self.raw = bytearray()

    def feed(self, data: bytes, now: int) -> None:
        self.raw += data
        self._buf += data
        *events, self._buf = self._buf.split(b"\n\n")
        for event in events:
            stamp = STAMP.search(event)
            if stamp is not None and _has_content(event):
                self.chunks.append((now, int(stamp.group(1))))


def _has_content(event: bytes) -> bool:
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            try:
                data = json.loads(line[5:])
            except ValueError:
                return False
            choices = data.get("choices") or [{}]
            return bool((choices[0].get("delta") or {}).get("content"))
    return False


async def run_streams(
    pool: Pool, request: bytes, offsets: Sequence[float], chunks: int, timeout_s: float
) -> StreamRun:
    out = StreamRun()

    async def one(i: int, due: int) -> None:
        del i
        sse = SseChunks()
        try:
            status, _ = await pool.request(request, timeout_s=timeout_s, on_body=sse.feed)
        except (OSError, ProtocolError, TimeoutError) as exc:
            out.errors[_error_name(exc)] += 1
            return
        if status != 200:
            out.errors[f"HTTP {status}"] += 1
            return
        if len(sse.chunks) != chunks:
            out.errors["short stream"] += 1
            return
        out.streams_ok += 1
        out.first_ms.append((sse.chunks[0][0] - due) / 1e6)
        out.lags_ms += [(arrived - emitted) / 1e6 for arrived, emitted in sse.chunks]
        out.gaps_ms += [(b[0] - a[0]) / 1e6 for a, b in itertools.pairwise(sse.chunks)]
        if not out.sample:
            out.sample = bytes(sse.raw)

    with generator_gc_paused():
        _, tasks = await _dispatch(offsets, one)
        await asyncio.gather(*tasks)
    return out


# ---- the fake upstream (runs in its own process under uvicorn) ---------------------------------

_stream_reply: contextvars.ContextVar[Any] = contextvars.ContextVar("bench_stream_reply")


def parse_stream_header(value: str) -> tuple[int, int, float]:
    """``"<chunks>:<chunk_chars>:<delay_ms>"`` -> (chunks, chunk_chars, delay_s); bounded."""
    chunks_s, chars_s, delay_s = value.split(":")
    chunks, chars, delay = int(chunks_s), int(chars_s), float(delay_s) / 1e3
    if not (1 <= chunks <= 10_000 and 1 <= chars <= 1_000 and 0 <= delay <= 1):
        raise ValueError("stream header out of range")
    return chunks, chars, delay


def fake_upstream_app() -> Callable[..., Any]:
    """The fake LLM (``wardgate.testing.fake_llm``) for the benchmark: records nothing (bounded
    memory), answers ``"You said: <prompt>"``, and when the request carries ``x-bench-stream``
    streams a synthesised benign answer of that shape, stamping each event with its send time
    (``system_fingerprint = t<monotonic ns>``). An ASGI factory: ``uvicorn --factory``."""
    from wardgate.testing.fake_llm import FakeLLM, RecordedRequest, Reply  # noqa: PLC0415

    class _NoRecord(list[RecordedRequest]):
        def append(self, item: RecordedRequest) -> None:
            del item

    class _ReplyOfThisRequest(deque[Reply]):
        def __bool__(self) -> bool:
            return True

        def popleft(self) -> Reply:
            reply = _stream_reply.get(None)
            return reply if isinstance(reply, Reply) else Reply()

    fake = FakeLLM(model=MODEL)
    fake.requests = _NoRecord()
    fake.replies = _ReplyOfThisRequest()
    texts: dict[tuple[int, int], str] = {}

    async def app(
        scope: MutableMapping[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        header = None
        if scope["type"] == "http":
            header = dict(scope["headers"]).get(STREAM_HEADER.encode())
        if header is None:
            _stream_reply.set(None)
            await fake(scope, receive, send)
            return
        chunks, chars, delay = parse_stream_header(header.decode("latin-1"))
        text = texts.get((chunks, chars))
        if text is None:
            text = texts.setdefault((chunks, chars), synthesise(chunks * chars, random.Random(7)))
        _stream_reply.set(Reply(text=text, chunk_chars=chars, delay_s=delay))

        async def stamped(message: MutableMapping[str, Any]) -> None:
            body = message.get("body")
            if message["type"] == "http.response.body" and body:
                stamp = b'"system_fingerprint":"t%d"' % time.monotonic_ns()
                message = {**message, "body": body.replace(STAMP_FIELD, stamp, 1)}
            await send(message)

        await fake(scope, receive, stamped)

    return app


# ---- processes -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy, all cores, steal included (Linux
    ``/proc/stat``; 0 elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    except (OSError, ValueError, IndexError):
        return 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return (user + nice + system + irq + softirq + steal) / tick


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants (Linux ``/proc``); 0 elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, todo, seen = 0.0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            stat = Path(f"/proc/{current}/stat").read_text(encoding="ascii")
            fields = stat.rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text(encoding="ascii").split()
                todo += [int(c) for c in children]
        except (OSError, ValueError, IndexError):
            continue
    return total


class ServiceError(RuntimeError):
    """A service did not start; the message carries the reason and the tail of its log."""


class Service:
    """A server in its own process, its output in a log file; stopped with SIGINT, then SIGKILL."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        ready_path: str,
        workdir: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name, self.port, self.ready_path = name, port, ready_path
        self.log_path = workdir / f"{name}.log"
        self._argv, self._env = list(argv), dict(env) if env is not None else None
        self._log = self.log_path.open("wb")
        self.proc = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self._env,
            cwd=Path.cwd(),
            start_new_session=True,
        )

    def restart(self, ready_timeout_s: float) -> None:
        """Stop and start again on the same port (same argv), for a server that is stuck."""
        self.stop()
        self._log = self.log_path.open("ab")
        self.proc = self._spawn()
        self.wait_ready(ready_timeout_s)

    def wait_ready(self, timeout_s: float) -> None:
        import httpx  # noqa: PLC0415

        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.port}{self.ready_path}"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceError(
                    f"{self.name} exited with status {self.proc.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1.0).status_code < 500:
                    return
            time.sleep(0.2)
        raise ServiceError(f"{self.name} not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def cpu_s(self) -> float:
        return process_tree_cpu_s(self.proc.pid)

    def log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn: graceful; cProfile: writes its stats
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def gateway_config_yaml(
    port: int,
    upstream: str,
    database: Path,
    *,
    discovery: bool = True,
    audit: bool = True,
    audit_sync: str = "normal",
) -> str:
    """Two routes to the same fake: ``mode: off`` under /wg-off and ``mode: enforce`` with the
    default engine under /wg-enforce; API keys on; request and token limits set so high they never
    refuse, so that the limiter still runs on every call."""
    config = {
        "server": {
            "host": "127.0.0.1",
            "port": port,
            **(
                {"http": os.environ["WARDGATE_BENCH_HTTP"]}
                if os.environ.get("WARDGATE_BENCH_HTTP")
                else {}
            ),
        },
        "database": str(database),
        "discovery": {"enabled": discovery},
        "audit": {"enabled": audit, "synchronous": audit_sync},
        "limits": {
            "requests": {"requests": 1_000_000_000, "per_s": 1},
            "tokens": {"tokens": 1_000_000_000_000, "per_s": 86_400},
        },
        "routes": [
            {
                "name": "bench-off",
                "prefix": OFF_PREFIX,
                "upstream": upstream,
                "provider": "openai",
                "mode": "off",
            },
            {
                "name": "bench-enforce",
                "prefix": ENFORCE_PREFIX,
                "upstream": upstream,
                "provider": "openai",
                "mode": "enforce",
            },
        ],
    }
    return json.dumps(config, indent=2)  # JSON is YAML


def litellm_config_yaml(upstream: str) -> str:
    """LiteLLM's proxy with one OpenAI-compatible model on the fake: no database, no guardrails,
    a master key so that calls are authenticated as they are through Wardgate."""
    config = {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": f"{upstream}/v1",
                    "api_key": "sk-fake-upstream",
                },
            }
        ],
        "general_settings": {"master_key": LITELLM_MASTER_KEY},
        "litellm_settings": {"telemetry": False},
    }
    return json.dumps(config, indent=2)


def litellm_argv(python: str, config: Path, port: int) -> list[str]:
    script = Path(python).parent / "litellm"
    base = [str(script)] if script.exists() else [python, "-m", "litellm"]
    return [
        *base,
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
        "--keepalive_timeout",
        "75",
    ]


def litellm_check(python: str) -> tuple[str | None, str]:
    """(version, "") when ``python`` imports litellm's proxy, else (None, the error)."""
    probe = (
        "import importlib.metadata as m, litellm.proxy.proxy_server, uvicorn; "
        "import importlib.util as u; "
        "print(m.version('litellm'), 'uvloop' if u.find_spec('uvloop') else 'asyncio', "
        "'httptools' if u.find_spec('httptools') else 'h11')"
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    try:
        done = subprocess.run(
            [python, "-c", probe], check=False, capture_output=True, text=True, timeout=120, env=env
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return None, lines[-1] if lines else f"exit status {done.returncode}"
    return done.stdout.strip().splitlines()[-1], ""


# ---- gateway metrics and stream inspections -----------------------------------------------------------

_METRIC = re.compile(r"^(wardgate_detection_seconds_(?:sum|count))\{([^}]*)\}\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def detection_totals(metrics_text: str) -> dict[tuple[str, str], tuple[float, float]]:
    """``(route, phase) -> (seconds, observations)`` from the gateway's Prometheus text."""
    out: dict[tuple[str, str], list[float]] = {}
    for line in metrics_text.splitlines():
        match = _METRIC.match(line.strip())
        if match is None:
            continue
        labels = dict(_LABEL.findall(match.group(2)))
        key = (labels.get("route", ""), labels.get("phase", ""))
        slot = out.setdefault(key, [0.0, 0.0])
        slot[0 if match.group(1).endswith("_sum") else 1] += float(match.group(3))
    return {k: (v[0], v[1]) for k, v in out.items()}


def detection_delta(
    before: Mapping[tuple[str, str], tuple[float, float]],
    after: Mapping[tuple[str, str], tuple[float, float]],
    route: str,
    phase: str,
) -> tuple[float, int]:
    """(mean ms per observation, observations) between two scrapes."""
    s0, c0 = before.get((route, phase), (0.0, 0.0))
    s1, c1 = after.get((route, phase), (0.0, 0.0))
    count = int(c1 - c0)
    return ((s1 - s0) * 1e3 / count if count else math.nan), count


def replay_inspections(raw_body: bytes) -> tuple[int, int, int]:
    """(events, text characters, inspections) when the gateway's own StreamGuard, with a route's
    default stream settings, is fed this captured answer body: how often a stream like it is
    scanned. The gateway does not expose the count (it is in the LOG-phase record only)."""
    from wardgate.gateway.config import StreamSettings  # noqa: PLC0415
    from wardgate.gateway.providers import adapter_for  # noqa: PLC0415
    from wardgate.gateway.streaming import Check, StreamGuard  # noqa: PLC0415

    settings = StreamSettings()
    guard = StreamGuard(
        adapter_for("openai").stream_decoder(CHAT_PATH),
        lambda window, full: Check(stop=False),
        release_ahead_chars=settings.release_ahead_chars,
        overlap_chars=settings.overlap_chars,
        inspect_every_chars=settings.inspect_every_chars,
    )
    guard.feed(raw_body)
    guard.close()
    report = guard.report
    return report.events, report.chars, report.inspections


# ---- the benchmark ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Target:
    """Where requests go: the fake directly, Wardgate, or LiteLLM."""

    name: str
    port: int
    path_prefix: str
    auth: str
    service: Service | None = None  # whose CPU time is reported (the proxy, or the fake)


@dataclass(slots=True)
class Measured:
    scenario: str
    rate: float
    target: str
    summary: Summary
    errors: Counter[str]
    server_cpu_ms: float  # CPU of the target's process per successful request
    generator_cpu_pct: float
    send_lag_p99_ms: float
    other_cpu_pct: float  # busy CPU of everything but the benchmark's processes, % of one core


@dataclass(slots=True)
class Bench:
    args: argparse.Namespace
    targets: dict[str, Target]
    measured: list[Measured] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stream_rows: list[tuple[str, StreamRun]] = field(default_factory=list)
    detection: list[str] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    settle_waits: list[str] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)

    async def settle(self, after: str, window_s: float = 0.5, max_wait_s: float = 30.0) -> None:
        """Wait until every server process is (nearly) idle, so that a proxy still working off
        the backlog of an overloaded run does not steal CPU from the next run; a process still
        busy after ``max_wait_s`` is restarted (and the restart reported)."""
        started = time.monotonic()
        quiet = 0.05 * window_s
        while True:
            before = [s.cpu_s() for s in self.services]
            await asyncio.sleep(window_s)
            used = [s.cpu_s() - b for s, b in zip(self.services, before, strict=True)]
            if sum(used) < quiet:
                break
            if time.monotonic() - started > max_wait_s:
                for service, cpu in zip(self.services, used, strict=True):
                    if cpu >= quiet:
                        await asyncio.to_thread(service.restart, 180.0)
                        self.restarts.append(f"{service.name} after {after}")
                break
        waited = time.monotonic() - started
        if waited > 2 * window_s + 0.5:
            self.settle_waits.append(f"{after}: {waited:.0f} s")

    def requests_for(self, target: Target, bodies: Sequence[bytes]) -> list[bytes]:
        headers = [("Authorization", f"Bearer {target.auth}")]
        path = target.path_prefix + CHAT_PATH
        return [build_request("127.0.0.1", target.port, path, b, headers) for b in bodies]

    async def warm(self, target: Target, requests: Sequence[bytes], count: int) -> None:
        pool = Pool("127.0.0.1", target.port)
        await pool.prewarm(8)
        for start in range(0, count, 8):
            batch = [requests[(start + j) % len(requests)] for j in range(8)]
            await asyncio.gather(
                *(pool.request(r, timeout_s=self.args.timeout) for r in batch),
                return_exceptions=True,
            )
        pool.close()
        await self.settle(f"warm-up {target.name}")

    async def measure(
        self, scenario: str, target: Target, rate: float, requests: Sequence[bytes]
    ) -> Measured:
        rng = random.Random(self.args.seed)
        offsets = arrival_schedule(rate, self.args.seconds, poisson=self.args.poisson, rng=rng)
        pool = Pool("127.0.0.1", target.port)
        await pool.prewarm(min(64, max(8, int(rate / 20))))
        service = target.service
        cpu_before = service.cpu_s() if service else 0.0
        ours_before = sum(s.cpu_s() for s in self.services)
        busy_before, wall_before = machine_busy_s(), time.monotonic()
        run = await run_open_loop(pool, requests, offsets, self.args.timeout)
        cpu_after = service.cpu_s() if service else 0.0
        ours = sum(s.cpu_s() for s in self.services) - ours_before + run.generator_cpu_s
        busy, wall = machine_busy_s() - busy_before, time.monotonic() - wall_before
        pool.close()
        summary = run.summary()
        measured = Measured(
            scenario,
            rate,
            target.name,
            summary,
            run.errors,
            (cpu_after - cpu_before) * 1e3 / summary.ok if summary.ok else math.nan,
            100 * run.generator_cpu_s / run.span_s if run.span_s else math.nan,
            percentile(run.send_lag_ms, 99),
            max(0.0, 100 * (busy - ours) / wall) if busy else math.nan,
        )
        self.measured.append(measured)
        print(
            f"  {scenario} {target.name:>8} @ {rate:g}/s: p50 {ms(summary.p50)} p99 "
            f"{ms(summary.p99)} ms, {summary.errors} errors",
            file=sys.stderr,
        )
        await self.settle(f"{target.name} @ {rate:g}/s")
        return measured


def _target_cells(m: Measured) -> list[str]:
    return [
        f"{m.rate:g}",
        m.target,
        *m.summary.cells(),
        ms(m.server_cpu_ms),
        f"{m.generator_cpu_pct:.0f}%",
        ms(m.send_lag_p99_ms),
        "-" if math.isnan(m.other_cpu_pct) else f"{m.other_cpu_pct:.0f}%",
    ]


RUN_HEADERS = [
    "rate req/s",
    "target",
    "sent",
    "errors",
    "achieved req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "server CPU ms/req",
    "generator CPU",
    "send lag p99 ms",
    "other CPU",
]
ADDED_HEADERS = [
    "scenario",
    "rate req/s",
    "proxy",
    "added p50 ms",
    "added p90 ms",
    "added p99 ms",
    "added max ms",
    "target",
    "met",
]


def run_table(title: str, rows: Sequence[Measured]) -> Table:
    table = Table(title, list(RUN_HEADERS))
    table.rows = [_target_cells(m) for m in rows]
    errors = Counter[str]()
    for m in rows:
        errors.update({f"{m.target} @ {m.rate:g}: {k}": v for k, v in m.errors.items()})
    if errors:
        table.notes.append(
            "Errors: " + "; ".join(f"{k} x{v}" for k, v in sorted(errors.items())) + "."
        )
    return table


def added_rows(
    measured: Sequence[Measured], scenario: str, limit: float, limit_rate: float | None
) -> list[list[str]]:
    """One row per (rate, proxy): the proxy's percentiles minus the direct run's at that rate.
    ``limit_rate`` restricts the target check to one rate (``None``: every rate)."""
    rows: list[list[str]] = []
    direct = {m.rate: m for m in measured if m.scenario == scenario and m.target == "direct"}
    for m in measured:
        if m.scenario != scenario or m.target == "direct" or m.rate not in direct:
            continue
        diff = added(direct[m.rate].summary, m.summary)
        checked = limit_rate is None or m.rate == limit_rate
        target = f"p99 <= {limit:g} ms" if checked else "-"
        met = verdict(diff.p99, limit) if checked and not m.summary.errors else "-"
        if checked and m.summary.errors:
            met = "no (errors)"
        rows.append([scenario, f"{m.rate:g}", m.target, *diff.cells(), target, met])
    return rows


def stream_table(rows: Sequence[tuple[str, StreamRun]], args: argparse.Namespace) -> Table:
    table = Table(
        f"Streamed chat, {args.stream_chunks} chunks of {args.chunk_chars} characters every "
        f"{args.chunk_delay_ms:g} ms, {args.stream_rate:g} streams/s (scenario 1c)",
        [
            "target",
            "streams ok",
            "errors",
            "chunks",
            "lag p50 ms",
            "lag p90 ms",
            "lag p99 ms",
            "lag max ms",
            "gap p50 ms",
            "gap p99 ms",
            "first chunk p50 ms",
            "first chunk p99 ms",
        ],
    )
    for name, run in rows:
        lag = [percentile(run.lags_ms, q) for q in QUANTILES]
        table.rows.append(
            [
                name,
                str(run.streams_ok),
                str(sum(run.errors.values())),
                str(len(run.lags_ms)),
                *(ms(v) for v in lag),
                ms(max(run.lags_ms) if run.lags_ms else math.nan),
                ms(percentile(run.gaps_ms, 50)),
                ms(percentile(run.gaps_ms, 99)),
                ms(percentile(run.first_ms, 50)),
                ms(percentile(run.first_ms, 99)),
            ]
        )
    by_name = dict(rows)
    if "direct" in by_name and "wardgate" in by_name:
        d, w = by_name["direct"], by_name["wardgate"]
        cells = []
        for q in QUANTILES:
            cells.append(ms(percentile(w.lags_ms, q) - percentile(d.lags_ms, q), signed=True))
        p99 = percentile(w.lags_ms, 99) - percentile(d.lags_ms, 99)
        gap99 = percentile(w.gaps_ms, 99) - percentile(d.gaps_ms, 99)
        first = percentile(w.first_ms, 50) - percentile(d.first_ms, 50)
        ok = "no (errors)" if w.errors else verdict(p99, TARGET_CHUNK_P99_MS)
        table.notes.append(
            f"Added per chunk (wardgate - direct): lag p50/p90/p99 {' / '.join(cells)} ms; "
            f"gap p99 {ms(gap99, signed=True)} ms; first chunk p50 {ms(first, signed=True)} ms. "
            f"Target p99 <= {TARGET_CHUNK_P99_MS:g} ms per chunk: {ok}."
        )
    for name, run in rows:
        if run.errors:
            table.notes.append(
                f"Errors ({name}): "
                + "; ".join(f"{k} x{v}" for k, v in sorted(run.errors.items()))
                + "."
            )
    table.notes.append(
        "Lag = arrival of a content chunk at the client - the moment the fake handed that event "
        "to its server (a CLOCK_MONOTONIC stamp the fake writes into the event; all processes "
        "share the clock). Gap = time between two chunks of one stream; first chunk = from the "
        "scheduled send to the first content chunk (includes the request phase)."
    )
    return table


def server_stack(python: str) -> str:
    """The event loop and HTTP parser uvicorn picks (``auto``) under ``python``."""
    probe = (
        "import importlib.util as u; print('uvloop' if u.find_spec('uvloop') else 'asyncio', "
        "'httptools' if u.find_spec('httptools') else 'h11')"
    )
    try:
        done = subprocess.run(
            [python, "-c", probe], check=True, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown unknown"
    return done.stdout.strip()


def machine_lines(args: argparse.Namespace, litellm_version: str | None) -> list[str]:
    from wardgate import __version__  # noqa: PLC0415

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    loop, parser = server_stack(args.gateway_python).split()
    parser = os.environ.get("WARDGATE_BENCH_HTTP") or parser  # server.http in the bench config
    if parser == "httptools":
        parser = "httptools (head-bounded)"
    python = "" if args.gateway_python == sys.executable else f", run by {args.gateway_python}"
    lines = [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores ({usable} usable), shared by the "
        f"load generator, the fake upstream and the proxy (one process each); load average at "
        f"start {load[0]:.2f}",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}",
        f"wardgate {__version__} (`wardgate serve`, uvicorn with the {loop} loop and the "
        f"{parser.strip()} HTTP parser, access log on, API discovery {'off' if args.no_discovery else 'on'}, "
        f"audit trail {'off' if args.no_audit else 'on (each decision committed before the answer)'}, "
        f"upstream calls over aiohttp, one process{python}); fake upstream: "
        "`wardgate.testing.fake_llm.FakeLLM` under uvicorn, this venv",
        f"Schedule: open loop, {'Poisson' if args.poisson else 'evenly spaced'} arrivals, "
        f"{args.seconds:g} s per run, timeout {args.timeout:g} s, seed {args.seed}",
    ]
    if litellm_version:
        lines.append(f"LiteLLM proxy: {litellm_version} (its own venv: {args.litellm_python})")
    return lines


def render_markdown(header: Sequence[str], tables: Sequence[Table], notes: Sequence[str]) -> str:
    body = ["# Wardgate gateway latency benchmark", "", *(f"- {h}" for h in header), ""]
    for table in tables:
        body += ["", table.markdown()]
    if notes:
        body += ["", "## Notes", "", *(f"- {n}" for n in notes)]
    return "\n".join(body) + "\n"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.gateway_latency",
        description="Latency that `wardgate serve` adds to LLM calls at fixed request rates.",
    )
    p.add_argument("--seconds", type=float, default=10.0, help="duration of each measured run")
    p.add_argument("--off-rates", type=float, nargs="+", default=[100.0, 250.0, 500.0])
    p.add_argument("--detect-rates", type=float, nargs="+", default=[50.0, 100.0])
    p.add_argument("--prompt-chars", type=int, default=1_000, help="prompt size, detection runs")
    p.add_argument("--stream-rate", type=float, default=2.0, help="streams started per second")
    p.add_argument("--stream-chunks", type=int, default=200)
    p.add_argument("--chunk-chars", type=int, default=4)
    p.add_argument("--chunk-delay-ms", type=float, default=10.0, help="fake's pause per chunk")
    p.add_argument("--poisson", action="store_true", help="Poisson arrivals (default: even)")
    p.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--scenarios",
        nargs="+",
        choices=["off", "detect", "stream"],
        default=["off", "detect", "stream"],
    )
    p.add_argument(
        "--no-discovery",
        action="store_true",
        help="run the gateway with API discovery off (compare: does discovery move p99?)",
    )
    p.add_argument(
        "--no-audit",
        action="store_true",
        help="run the gateway with the audit trail off (compare: what the durable record costs)",
    )
    p.add_argument(
        "--audit-sync",
        choices=["normal", "full"],
        default="normal",
        help="the audit trail's audit.synchronous (full: a disk sync per commit, on a thread)",
    )
    p.add_argument(
        "--litellm-python",
        metavar="PATH",
        help="python of a separate venv with `litellm[proxy]`: also measure LiteLLM's proxy on "
        "the detection-off scenario",
    )
    p.add_argument(
        "--gateway-python",
        metavar="PATH",
        default=sys.executable,
        help="python that runs `wardgate serve` (default: this one), e.g. a venv that adds "
        "uvloop and httptools",
    )
    p.add_argument(
        "--gateway-profile",
        metavar="FILE",
        help="run the gateway under cProfile and write its stats to FILE (slows it down)",
    )
    p.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown")
    return p


def _bodies(count: int, chars: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [chat_body(synthesise(chars, rng)) for _ in range(count)]


async def _scenario_off(bench: Bench, short: Sequence[bytes]) -> None:
    names = [n for n in ("direct", "wardgate", "litellm") if n in bench.targets]
    requests = {n: bench.requests_for(bench.targets[n], short) for n in names}
    for name in names:
        await bench.warm(bench.targets[name], requests[name], 400)
    for rate in bench.args.off_rates:
        for name in names:
            await bench.measure("1a off", bench.targets[name], rate, requests[name])


async def _scenario_detect(bench: Bench, gateway: Target) -> None:
    args = bench.args
    longest = max(args.detect_rates) * args.seconds
    bodies = _bodies(int(min(longest, 5_000)), args.prompt_chars, args.seed + 1)
    direct = bench.targets["direct"]
    enforce = Target("wardgate", gateway.port, ENFORCE_PREFIX, gateway.auth, gateway.service)
    req_direct = bench.requests_for(direct, bodies)
    req_gateway = bench.requests_for(enforce, bodies)
    warm = _bodies(64, args.prompt_chars, args.seed + 2)
    await bench.warm(direct, bench.requests_for(direct, warm), 64)
    await bench.warm(enforce, bench.requests_for(enforce, warm), 128)
    import httpx  # noqa: PLC0415

    metrics_url = f"http://127.0.0.1:{gateway.port}/metrics"
    for rate in args.detect_rates:
        await bench.measure("1b detect", direct, rate, req_direct)
        before = detection_totals(httpx.get(metrics_url, timeout=5).text)
        await bench.measure("1b detect", enforce, rate, req_gateway)
        after = detection_totals(httpx.get(metrics_url, timeout=5).text)
        req_ms, req_n = detection_delta(before, after, "bench-enforce", "request")
        res_ms, res_n = detection_delta(before, after, "bench-enforce", "response")
        bench.detection.append(
            f"Full detection at {rate:g} req/s: the gateway's own detection time "
            f"(`wardgate_detection_seconds`) was {ms(req_ms)} ms per request (request phase, "
            f"{req_n} calls) and {ms(res_ms)} ms per answer (response phase, {res_n} calls)."
        )


async def _scenario_stream(bench: Bench, gateway: Target) -> None:
    args = bench.args
    header = (STREAM_HEADER, f"{args.stream_chunks}:{args.chunk_chars}:{args.chunk_delay_ms:g}")
    body = chat_body("Tell me a short story about a lighthouse keeper.", stream=True)
    enforce = Target("wardgate", gateway.port, ENFORCE_PREFIX, gateway.auth, gateway.service)
    direct = bench.targets["direct"]
    offsets = arrival_schedule(
        args.stream_rate, args.seconds, poisson=args.poisson, rng=random.Random(args.seed)
    )
    stream_s = args.stream_chunks * args.chunk_delay_ms / 1e3
    for target in (direct, enforce):
        auth = [("Authorization", f"Bearer {target.auth}"), header]
        raw = build_request("127.0.0.1", target.port, target.path_prefix + CHAT_PATH, body, auth)
        pool = Pool("127.0.0.1", target.port)
        await run_streams(pool, raw, [0.0, 0.1], args.stream_chunks, args.timeout + stream_s)
        run = await run_streams(pool, raw, offsets, args.stream_chunks, args.timeout + stream_s)
        pool.close()
        await bench.settle(f"1c stream {target.name}")
        bench.stream_rows.append((target.name, run))
        print(
            f"  1c stream {target.name:>8}: lag p99 {ms(percentile(run.lags_ms, 99))} ms, "
            f"{sum(run.errors.values())} errors",
            file=sys.stderr,
        )
    sample = dict(bench.stream_rows).get("wardgate")
    if sample is not None and sample.sample:
        events, chars, inspections = replay_inspections(sample.sample)
        bench.detection.append(
            f"Stream inspections: one captured answer ({events} events, {chars} characters) fed to "
            f"the gateway's StreamGuard with the route's default stream settings (inspect every "
            f"1 character, release ahead 200, overlap 512) gives {inspections} inspections, each "
            f"re-reading up to 512 characters of overlap. The gateway itself does not expose the "
            f"count (it goes to the LOG-phase record only)."
        )


def _start_gateway(args: argparse.Namespace, workdir: Path, fake_port: int) -> tuple[Service, str]:
    """``wardgate serve`` on the fake, ready, and the API key it accepts."""
    from wardgate.storage.keys import KeyStore  # noqa: PLC0415

    upstream = f"http://127.0.0.1:{fake_port}"
    database = workdir / "keys.db"
    store = KeyStore.open(database)
    _, key = store.create("bench")
    store.close()
    gw_port = free_port()
    config = workdir / "gateway.yaml"
    config.write_text(
        gateway_config_yaml(
            gw_port,
            upstream,
            database,
            discovery=not args.no_discovery,
            audit=not args.no_audit,
            audit_sync=args.audit_sync,
        ),
        encoding="utf-8",
    )
    serve = ["-m", "wardgate", "serve", "--config", str(config)]
    if args.gateway_profile:
        serve = ["-m", "cProfile", "-o", str(Path(args.gateway_profile).resolve()), *serve]
    gateway = Service("gateway", [args.gateway_python, *serve], gw_port, "/readyz", workdir)
    try:
        gateway.wait_ready(120)
    except BaseException:
        gateway.stop()
        raise
    return gateway, key


def _start_services(
    args: argparse.Namespace, workdir: Path
) -> tuple[Service, Service, str, Service | None, str | None, str]:
    """(fake, gateway, gateway key, litellm or None, litellm version, why LiteLLM was not run)."""
    python = sys.executable
    fake_port = free_port()
    fake = Service(
        "fake",
        [
            python,
            "-m",
            "uvicorn",
            "bench.gateway_latency:fake_upstream_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(fake_port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-keep-alive",
            "75",
        ],
        fake_port,
        "/v1/models",
        workdir,
    )
    try:
        fake.wait_ready(30)
        gateway, key = _start_gateway(args, workdir, fake_port)
    except BaseException:
        fake.stop()  # or it outlives the benchmark, serving nobody
        raise
    upstream = f"http://127.0.0.1:{fake_port}"
    litellm, version, why = None, None, ""
    if args.litellm_python:
        version, why = litellm_check(args.litellm_python)
        if version is not None:
            ll_port = free_port()
            ll_config = workdir / "litellm.yaml"
            ll_config.write_text(litellm_config_yaml(upstream), encoding="utf-8")
            env = {
                **os.environ,
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # offline: no cost-map download
                "LITELLM_LOG": "ERROR",
                "LITELLM_TELEMETRY": "False",
            }
            litellm = Service(
                "litellm",
                litellm_argv(args.litellm_python, ll_config, ll_port),
                ll_port,
                "/health/liveliness",
                workdir,
                env,
            )
            try:
                litellm.wait_ready(180)
            except ServiceError as exc:
                litellm.stop()
                litellm, why = None, str(exc)
    return fake, gateway, key, litellm, version, why


def _report(bench: Bench, header: Sequence[str], litellm_note: str) -> list[Table]:
    args = bench.args
    tables: list[Table] = []
    off = [m for m in bench.measured if m.scenario == "1a off"]
    if off:
        tables.append(run_table("Non-streamed chat, detection off (scenario 1a)", off))
    detect = [m for m in bench.measured if m.scenario == "1b detect"]
    if detect:
        tables.append(
            run_table(
                f"Non-streamed chat, full detection, {args.prompt_chars:,}-character prompts "
                "(scenario 1b)",
                detect,
            )
        )
    added_table = Table("Added latency (proxy percentile - direct percentile)", ADDED_HEADERS)
    off_rate = 500.0 if 500.0 in args.off_rates else None
    added_table.rows += added_rows(bench.measured, "1a off", TARGET_OFF_P99_MS, off_rate)
    added_table.rows += added_rows(bench.measured, "1b detect", TARGET_DETECT_P99_MS, None)
    if added_table.rows:
        added_table.notes.append(
            "Added = the percentile through the proxy minus the same percentile of the direct run "
            "at the same rate (separate runs, one after the other, same schedule and request "
            "bodies); a difference of percentiles, not a percentile of per-request differences. "
            f"Targets: detection off p99 <= {TARGET_OFF_P99_MS:g} ms at 500 req/s, full "
            f"detection p99 <= {TARGET_DETECT_P99_MS:g} ms."
        )
        tables.append(added_table)
    if bench.stream_rows:
        tables.append(stream_table(bench.stream_rows, args))
    del header
    notes = [
        "Latency is measured from each request's scheduled send time to the last byte of its "
        "answer (open loop: lateness of the generator or queueing in a server counts). "
        "Percentiles are nearest-rank over successful requests; 'achieved' = successes / time "
        "from the first scheduled send to the last answer; 'server CPU ms/req' = CPU time of the "
        "target's process (the fake for direct rows, else the proxy alone) / successes; "
        "'generator CPU' = this process's CPU share during the run; 'send lag' = how late the "
        "generator started a request after its scheduled time (already inside the latency); 'other CPU' = busy CPU of "
        "everything else on the machine during the run (other jobs, the kernel, hypervisor "
        "steal), in % of one core: high values mean a noisy run. The generator's garbage "
        "collector is paused during each measured run (its full collections stalled the sender).",
        "Gateway: API-key authentication (a key made with `KeyStore.create` in a temporary "
        "database, sent as `Authorization: Bearer`), the built-in Cedar policy, request and token "
        "limits at values that never refuse (the limiter runs on every call), the access log "
        "written to a file, detection configured with the built-in defaults. Route `mode: off` "
        "for 1a, `mode: enforce` for 1b and 1c.",
        "Warm-up before measuring: 400 requests per target for 1a, 64 direct and 128 gateway "
        "requests for 1b (the first scans load the signature database and the classifier), two "
        "streams per target for 1c.",
        "The fake answers `You said: <prompt>`, so in 1b the answer (about "
        f"{args.prompt_chars + 10:,} characters) is scanned in the response phase as well.",
        *bench.detection,
        litellm_note,
    ]
    if bench.settle_waits:
        notes.append(
            "Between runs the benchmark waits until every server process is idle (at most 30 s); "
            "waits longer than a second, after: " + "; ".join(bench.settle_waits) + "."
        )
    if bench.restarts:
        notes.append(
            "Restarted because still busy 30 s after its load had stopped (working off requests "
            "whose clients had already given up): " + "; ".join(bench.restarts) + "."
        )
    bench.notes = notes
    return tables


async def _run(args: argparse.Namespace, workdir: Path) -> tuple[list[str], list[Table], list[str]]:
    fake, gateway, key, litellm, litellm_version, litellm_why = _start_services(args, workdir)
    services = [s for s in (fake, gateway, litellm) if s is not None]
    try:
        targets = {
            "direct": Target("direct", fake.port, "", "sk-direct-unused", fake),
            "wardgate": Target("wardgate", gateway.port, OFF_PREFIX, key, gateway),
        }
        if litellm is not None:
            targets["litellm"] = Target("litellm", litellm.port, "", LITELLM_MASTER_KEY, litellm)
        bench = Bench(args, targets, services=services)
        if not args.litellm_python:
            litellm_note = (
                "LiteLLM: not measured (no `--litellm-python PATH`). Install it in a separate "
                "venv (`python -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install "
                "'litellm[proxy]'`) and pass `--litellm-python /tmp/litellm-venv/bin/python`."
            )
        elif litellm is None:
            litellm_note = f"LiteLLM: could not be run: {litellm_why}"
            print(f"LiteLLM not measured: {litellm_why}", file=sys.stderr)
        else:
            litellm_note = (
                f"LiteLLM {litellm_version.split()[0] if litellm_version else ''}: proxy "
                "(`litellm --config`, one worker, no database, master key only, no "
                "guardrails) in front of the same fake as an `openai/` model; measured on 1a "
                "only. It has no equivalent of Wardgate's inspection, so 'detection off' is "
                "the like-for-like comparison. Event loop and HTTP parser in its venv: "
                f"{' '.join((litellm_version or '').split()[1:]) or 'unknown'}."
            )
        header = machine_lines(args, litellm_version if litellm is not None else None)
        short = _bodies(256, 100, args.seed)
        if "off" in args.scenarios:
            await _scenario_off(bench, short)
        gateway_target = targets["wardgate"]
        if "detect" in args.scenarios:
            await _scenario_detect(bench, gateway_target)
        if "stream" in args.scenarios:
            await _scenario_stream(bench, gateway_target)
        tables = _report(bench, header, litellm_note)
        return header, tables, bench.notes
    finally:
        for service in reversed(services):
            service.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="wardgate-gwbench-"))
    try:
        header, tables, notes = asyncio.run(_run(args, workdir))
    except ServiceError as exc:
        print(f"gateway_latency: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    notes = [*notes, f"Whole benchmark: {time.monotonic() - started:.0f} s wall time."]
    print("\n".join(header))
    for table in tables:
        print()
        print(table.text())
    print()
    print("\n".join(f"- {n}" for n in notes))
    if args.markdown:
        path = Path(args.markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_markdown(header, tables, notes), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
