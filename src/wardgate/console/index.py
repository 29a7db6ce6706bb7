"""The exchange index: one summary row per call and one row per finding, for pages that stay fast
with millions of calls.

The gateway's LOG phase hands every finished exchange to :class:`ExchangeIndex` (a consumer, see
:mod:`wardgate.gateway.logphase`). Summarising is cheap and happens there; writing happens on a
worker thread in batches (one transaction per batch), so neither the event loop nor the request
path ever waits for SQLite. When the writer falls behind, summaries beyond ``max_queue`` are
dropped and counted, as the LOG phase itself does.

What is kept: time, route, identity, method, a **path template** (identifier-shaped segments
replaced by ``{integer}``, ``{uuid}``, ``{email}``..., never the raw path), model, status, the
verdict, categories, scores, latency and the audit record's number; per finding its category,
rule, severity, span, decoding chain, taxonomy ids and a **redacted** evidence snippet: the
detector's evidence (leak detectors already mask their values), cut to 200 characters, with
e-mail addresses, long digit runs and long token-like strings masked once more. Never prompt or
answer text, never credentials.

Per-minute totals and per-hour top lists (routes, identities, categories, models) are kept as
the rows are written, so the overview reads a few thousand aggregate rows, never the calls.
The index is derived data in its own database file: losing it loses history, not the audit
trail, and writing it never competes with the audit trail's commits for a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from wardgate.core.exchange import Exchange
from wardgate.discovery.shapes import classify, is_identifier
from wardgate.storage.sqlite import connect, migrate, transaction

log = logging.getLogger("wardgate.console.index")

EVIDENCE_CHARS: Final = 200
MESSAGE_CHARS: Final = 200
MAX_FINDINGS_PER_EXCHANGE: Final = 100
BATCH_ROWS: Final = 500
FLUSH_S: Final = 0.25
PURGE_EVERY_S: Final = 60.0
PURGE_CHUNK: Final = 5_000
READERS: Final = 4
DIMENSIONS: Final = ("route", "identity", "category", "model")

_EMAIL = re.compile(r"[^\s@]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_DIGITS = re.compile(r"\d(?:[ .\-]?\d){5,}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{24,}")

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "console_index_0001_create",
        (
            """
            CREATE TABLE ix_exchanges (
                id INTEGER PRIMARY KEY,
                exchange TEXT NOT NULL,
                at REAL NOT NULL,
                route TEXT NOT NULL,
                identity TEXT NOT NULL,
                tenant TEXT NOT NULL,
                key_id TEXT NOT NULL,
                method TEXT NOT NULL,
                host TEXT NOT NULL,
                template TEXT NOT NULL,
                model TEXT NOT NULL,
                status INTEGER NOT NULL,
                action TEXT NOT NULL,
                enforced INTEGER NOT NULL,
                categories TEXT NOT NULL,
                max_score REAL NOT NULL,
                finding_count INTEGER NOT NULL,
                latency_ms REAL NOT NULL,
                audit_seq INTEGER,
                policy_ids TEXT NOT NULL,
                authz_policy_ids TEXT NOT NULL,
                reasons TEXT NOT NULL,
                mode TEXT NOT NULL,
                response_scan TEXT NOT NULL
            ) STRICT
            """,
            "CREATE INDEX ix_exchanges_exchange ON ix_exchanges (exchange)",
            "CREATE INDEX ix_exchanges_route ON ix_exchanges (route, id)",
            "CREATE INDEX ix_exchanges_identity ON ix_exchanges (identity, id)",
            "CREATE INDEX ix_exchanges_action ON ix_exchanges (action, id)",
            """
            CREATE TABLE ix_findings (
                id INTEGER PRIMARY KEY,
                exchange_row INTEGER NOT NULL,
                at REAL NOT NULL,
                route TEXT NOT NULL,
                identity TEXT NOT NULL,
                action TEXT NOT NULL,
                category TEXT NOT NULL,
                detector TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                severity INTEGER NOT NULL,
                score REAL NOT NULL,
                kind TEXT NOT NULL,
                span_start INTEGER,
                span_end INTEGER,
                chain TEXT NOT NULL,
                tags TEXT NOT NULL,
                evidence TEXT NOT NULL,
                message TEXT NOT NULL
            ) STRICT
            """,
            "CREATE INDEX ix_findings_exchange ON ix_findings (exchange_row)",
            "CREATE INDEX ix_findings_category ON ix_findings (category, id)",
            "CREATE INDEX ix_findings_route ON ix_findings (route, id)",
            "CREATE INDEX ix_findings_identity ON ix_findings (identity, id)",
            "CREATE INDEX ix_findings_action ON ix_findings (action, id)",
            """
            CREATE TABLE ix_minutes (
                minute INTEGER PRIMARY KEY,
                requests INTEGER NOT NULL,
                blocked INTEGER NOT NULL,
                redacted INTEGER NOT NULL,
                denied INTEGER NOT NULL,
                flagged INTEGER NOT NULL,
                findings INTEGER NOT NULL,
                errors INTEGER NOT NULL,
                latency_sum REAL NOT NULL,
                latency_max REAL NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE ix_hours (
                hour INTEGER NOT NULL,
                dim TEXT NOT NULL,
                value TEXT NOT NULL,
                requests INTEGER NOT NULL,
                flagged INTEGER NOT NULL,
                blocked INTEGER NOT NULL,
                findings INTEGER NOT NULL,
                PRIMARY KEY (hour, dim, value)
            ) STRICT, WITHOUT ROWID
            """,
        ),
    ),
)

_INSERT_EXCHANGE: Final = (
    "INSERT INTO ix_exchanges (id, exchange, at, route, identity, tenant, key_id, method, host, "
    "template, model, status, action, enforced, categories, max_score, finding_count, latency_ms, "
    "audit_seq, policy_ids, authz_policy_ids, reasons, mode, response_scan) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_FINDING: Final = (
    "INSERT INTO ix_findings (exchange_row, at, route, identity, action, category, detector, "
    "rule_id, severity, score, kind, span_start, span_end, chain, tags, evidence, message) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_MINUTE: Final = (
    "INSERT INTO ix_minutes (minute, requests, blocked, redacted, denied, flagged, findings, "
    "errors, latency_sum, latency_max) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (minute) DO UPDATE SET requests = requests + excluded.requests, "
    "blocked = blocked + excluded.blocked, redacted = redacted + excluded.redacted, "
    "denied = denied + excluded.denied, flagged = flagged + excluded.flagged, "
    "findings = findings + excluded.findings, errors = errors + excluded.errors, "
    "latency_sum = latency_sum + excluded.latency_sum, "
    "latency_max = MAX(latency_max, excluded.latency_max)"
)
_UPSERT_HOUR: Final = (
    "INSERT INTO ix_hours (hour, dim, value, requests, flagged, blocked, findings) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hour, dim, value) DO UPDATE SET "
    "requests = requests + excluded.requests, flagged = flagged + excluded.flagged, "
    "blocked = blocked + excluded.blocked, findings = findings + excluded.findings"
)


# -- what is kept of one exchange -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingRow:
    category: str
    detector: str
    rule_id: str
    severity: int
    score: float
    kind: str
    span_start: int | None
    span_end: int | None
    chain: str  # JSON list
    tags: str  # comma-separated taxonomy ids
    evidence: str
    message: str


@dataclass(frozen=True, slots=True)
class ExchangeSummary:
    """One call as the index keeps it (see the module docstring for what is left out)."""

    exchange: str
    at: float
    route: str
    identity: str
    tenant: str
    key_id: str
    method: str
    host: str
    template: str
    model: str
    status: int
    action: str
    enforced: bool
    categories: tuple[str, ...]
    max_score: float
    latency_ms: float
    audit_seq: int | None
    policy_ids: tuple[str, ...]
    authz_policy_ids: tuple[str, ...]
    reasons: tuple[str, ...]
    mode: str
    response_scan: str
    findings: tuple[FindingRow, ...] = field(default=())

    def row(self, row_id: int | None) -> tuple[Any, ...]:
        return (
            row_id,
            self.exchange,
            self.at,
            self.route,
            self.identity,
            self.tenant,
            self.key_id,
            self.method,
            self.host,
            self.template,
            self.model,
            self.status,
            self.action,
            int(self.enforced),
            ",".join(self.categories),
            self.max_score,
            len(self.findings),
            self.latency_ms,
            self.audit_seq,
            json.dumps(list(self.policy_ids)),
            json.dumps(list(self.authz_policy_ids)),
            json.dumps(list(self.reasons)),
            self.mode,
            self.response_scan,
        )

    def finding_rows(self, row_id: int) -> list[tuple[Any, ...]]:
        return [
            (
                row_id,
                self.at,
                self.route,
                self.identity,
                self.action,
                f.category,
                f.detector,
                f.rule_id,
                f.severity,
                f.score,
                f.kind,
                f.span_start,
                f.span_end,
                f.chain,
                f.tags,
                f.evidence,
                f.message,
            )
            for f in self.findings
        ]


def scrub(text: str, limit: int = EVIDENCE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, control characters escaped, and e-mail addresses,
    long digit runs and long token-like strings masked: the index keeps evidence, not data."""
    cut = text[:limit]
    cut = "".join(ch if ch.isprintable() else " " for ch in cut)
    cut = _EMAIL.sub("[email]", cut)
    cut = _TOKEN.sub("[token]", cut)
    cut = _DIGITS.sub("[digits]", cut)
    return cut + ("…" if len(text) > limit else "")


def path_template(path: str) -> str:
    """``/users/8812/orders/3f2a...`` -> ``/users/{integer}/orders/{uuid}``: identifier-shaped
    segments replaced by their shape, so the index never stores ids, e-mails or tokens from
    paths (discovery's templater learns finer templates; this is the cheap, stateless kind)."""
    segments = path.split("/")[:32]
    out = [
        f"{{{shape.value}}}" if seg and is_identifier(shape := classify(seg)) else seg[:64]
        for seg in segments
    ]
    return "/".join(out)[:512] or "/"


def _action(exchange: Exchange) -> tuple[str, bool, tuple[str, ...], tuple[str, ...]]:
    """The verdict as the audit record names it: allow, redact, block, deny, throttle."""
    verdict = exchange.verdict
    meta = exchange.metadata
    if verdict is not None:
        return verdict.action.value, verdict.enforced, verdict.policy_ids, verdict.reasons
    if "auth" in meta:
        return "deny", True, (), ("auth",)
    if "limited" in meta:
        return "throttle", True, (), (f"limit_{meta['limited']}",)
    return "allow", False, (), ()


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def summarise(exchange: Exchange) -> ExchangeSummary:
    """What the index keeps of ``exchange`` (pure; runs in the LOG phase)."""
    meta = exchange.metadata
    action, enforced, policy_ids, reasons = _action(exchange)
    identity = exchange.identity
    try:
        parts = urlsplit(exchange.request.url)
        host, path = parts.netloc.rpartition("@")[2].lower(), parts.path
    except ValueError:
        host, path = "", "/"
    findings = tuple(
        FindingRow(
            category=f.category.value,
            detector=f.detector[:64],
            rule_id=f.rule_id[:128],
            severity=int(f.severity),
            score=round(f.score, 4),
            kind=f.kind[:32],
            span_start=None if f.span is None else f.span.start,
            span_end=None if f.span is None else f.span.end,
            chain=json.dumps([c[:32] for c in f.chain[:16]]),
            tags=",".join(t.value for t in f.tags),
            evidence=scrub(f.evidence),
            message=scrub(f.message, MESSAGE_CHARS),
        )
        for f in exchange.findings[:MAX_FINDINGS_PER_EXCHANGE]
    )
    seq = meta.get("audit_seq")
    authz = meta.get("authz_policy_ids") or ()
    return ExchangeSummary(
        exchange=exchange.id,
        at=exchange.started_at.timestamp(),
        route=_text(meta.get("route"), 64),
        identity=identity.subject[:256],
        tenant=identity.tenant[:200],
        key_id=identity.key_id[:64],
        method=exchange.request.method.upper()[:16],
        host=host[:256],
        template=path_template(path),
        model=_text(meta.get("model") or meta.get("answer_model"), 128),
        status=exchange.response.status if exchange.response is not None else 0,
        action=action,
        enforced=enforced,
        categories=tuple(sorted({f.category for f in findings})),
        max_score=max((f.score for f in findings), default=0.0),
        latency_ms=float(meta.get("latency_ms") or 0.0),
        audit_seq=seq if isinstance(seq, int) else None,
        policy_ids=tuple(str(p)[:128] for p in policy_ids),
        authz_policy_ids=tuple(str(p)[:128] for p in authz if isinstance(p, str)),
        reasons=tuple(str(r)[:128] for r in reasons),
        mode=_text(meta.get("mode"), 16),
        response_scan=_text(meta.get("response_scan"), 120),
        findings=findings,
    )


# -- the database ------------------------------------------------------------------------------


class IndexDatabase:
    """The index's SQLite file: one writer connection, a few reader connections (WAL lets them
    read while the writer commits). ``":memory:"`` uses one shared connection for both."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._memory = self.path == ":memory:"
        self.writer = connect(self.path)
        for name, statements in MIGRATIONS:
            migrate(self.writer, name, statements)
        self.write_lock = threading.Lock()
        self._readers: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._opened = 0
        self._open_lock = threading.Lock()
        self._all: list[sqlite3.Connection] = [self.writer]

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading (from a small pool; waits when all are busy)."""
        if self._memory:
            with self.write_lock:
                yield self.writer
            return
        conn = self._take()
        try:
            yield conn
        finally:
            self._readers.put(conn)

    def _take(self) -> sqlite3.Connection:
        try:
            return self._readers.get_nowait()
        except queue.Empty:
            pass
        with self._open_lock:
            if self._opened < READERS:
                self._opened += 1
                conn = connect(self.path)
                conn.execute("PRAGMA query_only = ON")
                self._all.append(conn)
                return conn
        return self._readers.get()

    def close(self) -> None:
        with self.write_lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()


@dataclass(slots=True)
class _Minute:
    requests: int = 0
    blocked: int = 0
    redacted: int = 0
    denied: int = 0
    flagged: int = 0
    findings: int = 0
    errors: int = 0
    latency_sum: float = 0.0
    latency_max: float = 0.0


def write_batch(conn: sqlite3.Connection, batch: Sequence[ExchangeSummary]) -> None:
    """Insert ``batch`` and fold it into the aggregates, in the caller's transaction."""
    minutes: dict[int, _Minute] = {}
    hours: dict[tuple[int, str, str], list[int]] = {}
    for summary in batch:
        cur = conn.execute(_INSERT_EXCHANGE, summary.row(None))
        row_id = cur.lastrowid
        assert row_id is not None
        if summary.findings:
            conn.executemany(_INSERT_FINDING, summary.finding_rows(row_id))
        fold(summary, minutes, hours)
    conn.executemany(
        _UPSERT_MINUTE,
        [
            (
                m,
                v.requests,
                v.blocked,
                v.redacted,
                v.denied,
                v.flagged,
                v.findings,
                v.errors,
                v.latency_sum,
                v.latency_max,
            )
            for m, v in minutes.items()
        ],
    )
    conn.executemany(_UPSERT_HOUR, [(*k, *v) for k, v in hours.items()])


def fold(
    summary: ExchangeSummary,
    minutes: dict[int, _Minute],
    hours: dict[tuple[int, str, str], list[int]],
) -> None:
    """Add one summary to the per-minute and per-hour aggregates being built."""
    minute = minutes.setdefault(int(summary.at // 60), _Minute())
    blocked = summary.action == "block" and summary.enforced
    flagged = bool(summary.findings)
    minute.requests += 1
    minute.blocked += blocked
    minute.redacted += summary.action == "redact" and summary.enforced
    minute.denied += summary.action in {"deny", "throttle"} or (
        summary.action == "block" and not summary.findings
    )
    minute.flagged += flagged
    minute.findings += len(summary.findings)
    minute.errors += summary.status >= 500
    minute.latency_sum += summary.latency_ms
    minute.latency_max = max(minute.latency_max, summary.latency_ms)
    hour = int(summary.at // 3600)
    per_category: dict[str, int] = {}
    for f in summary.findings:
        per_category[f.category] = per_category.get(f.category, 0) + 1
    keys: list[tuple[str, str, int]] = [
        ("route", summary.route, len(summary.findings)),
        ("identity", summary.identity, len(summary.findings)),
    ]
    if summary.model:
        keys.append(("model", summary.model, len(summary.findings)))
    keys.extend(("category", c, n) for c, n in per_category.items())
    for dim, value, count in keys:
        acc = hours.setdefault((hour, dim, value), [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += flagged
        acc[2] += blocked
        acc[3] += count


# -- the consumer ------------------------------------------------------------------------------


class ExchangeIndex:
    """The LOG-phase consumer that keeps the index: ``await index(exchange)``.

    ``start()`` starts the writer thread (it is also started on first use); ``close()`` writes
    what is queued and stops it.
    """

    def __init__(
        self,
        database: IndexDatabase,
        *,
        max_queue: int = 50_000,
        retention_s: float = 30 * 86400.0,
        max_rows: int = 5_000_000,
        clock: Callable[[], float] = time.time,
        on_write: Callable[[int], None] | None = None,
    ) -> None:
        self.db = database
        self._queue: queue.Queue[ExchangeSummary | None] = queue.Queue(max_queue)
        self._retention_s = retention_s
        self._max_rows = max_rows
        self._clock = clock
        self._on_write = on_write
        self._thread: threading.Thread | None = None
        self._closed = False
        self._last_purge = 0.0
        self.dropped = 0
        self.written = 0
        self.failed = 0

    async def __call__(self, exchange: Exchange) -> None:
        self.submit(summarise(exchange))

    def submit(self, summary: ExchangeSummary) -> bool:
        """Queue one summary for the writer; False (counted) when full or closed."""
        if self._closed:
            self.dropped += 1
            return False
        if self._thread is None:
            self.start()
        try:
            self._queue.put_nowait(summary)
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(
                target=self._run, name="wardgate-console-index", daemon=True
            )
            self._thread.start()

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued (within ``timeout_s``) and stop the writer."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until everything submitted so far is written (tests, benchmarks, the demo)."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def _run(self) -> None:
        stop = False
        while not stop:
            try:
                first = self._queue.get(timeout=FLUSH_S)
            except queue.Empty:
                self._maybe_purge()
                continue
            batch: list[ExchangeSummary] = []
            taken = 1
            if first is None:
                stop = True
            else:
                batch.append(first)
            while len(batch) < BATCH_ROWS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            try:
                if batch:
                    self._write(batch)
                self._maybe_purge()
            finally:
                for _ in range(taken):
                    self._queue.task_done()

    def _write(self, batch: list[ExchangeSummary]) -> None:
        try:
            with self.db.write_lock, transaction(self.db.writer):
                write_batch(self.db.writer, batch)
        except sqlite3.Error:
            self.failed += len(batch)
            log.exception("could not write to the console's exchange index")
            return
        self.written += len(batch)
        if self._on_write is not None:
            self._on_write(len(batch))

    def _maybe_purge(self) -> None:
        now = self._clock()
        if now - self._last_purge < PURGE_EVERY_S:
            return
        self._last_purge = now
        try:
            purge(self.db, now - self._retention_s, self._max_rows)
        except sqlite3.Error:
            log.exception("could not purge the console's exchange index")


def purge(db: IndexDatabase, cutoff: float, max_rows: int) -> int:
    """Delete the oldest calls: those before ``cutoff`` and those beyond ``max_rows``, a chunk
    per transaction so that readers and the writer take turns. Row ids grow with time, so "the
    oldest" is "the lowest ids". Returns how many calls were deleted."""
    deleted = 0
    while True:
        with db.write_lock:
            conn = db.writer
            low, high = conn.execute("SELECT MIN(id), MAX(id) FROM ix_exchanges").fetchone()
            if low is None:
                break
            edge = int(low)
            excess = int(high) - int(low) + 1 - max_rows
            if excess > 0:
                edge = int(low) + min(excess, PURGE_CHUNK)
            old = conn.execute(
                "SELECT MAX(id) FROM ix_exchanges WHERE id < ? AND at < ?",
                (int(low) + PURGE_CHUNK, cutoff),
            ).fetchone()[0]
            if old is not None:
                edge = max(edge, int(old) + 1)
            if edge <= int(low):
                break
            with transaction(conn):
                cur = conn.execute("DELETE FROM ix_exchanges WHERE id < ?", (edge,))
                conn.execute("DELETE FROM ix_findings WHERE exchange_row < ?", (edge,))
            deleted += cur.rowcount
    with db.write_lock, transaction(db.writer):
        _purge_aggregates(db.writer, cutoff)
    return deleted


def _purge_aggregates(conn: sqlite3.Connection, cutoff: float) -> None:
    conn.execute("DELETE FROM ix_minutes WHERE minute < ?", (int(cutoff // 60),))
    conn.execute("DELETE FROM ix_hours WHERE hour < ?", (int(cutoff // 3600),))


__all__ = [
    "ExchangeIndex",
    "ExchangeSummary",
    "FindingRow",
    "IndexDatabase",
    "path_template",
    "purge",
    "scrub",
    "summarise",
    "write_batch",
]
