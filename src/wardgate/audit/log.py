"""The audit log on SQLite: append records, compute roots and proofs, sign checkpoints.

Tables (all append-only in normal operation):

* ``audit_records``: ``seq`` (the leaf index), ``kind``, the canonical ``record`` bytes and their
  ``leaf_hash``. The hash is stored *and* recomputable: verification compares the two to name a
  record whose content was edited.
* ``audit_nodes``: the hash of every completed perfect subtree, keyed by ``(level, idx)``, level
  >= 1 (level 0 is ``leaf_hash``). A perfect subtree never changes once complete, so roots of any
  past size and inclusion / consistency proofs cost O(log n) reads, never a rehash of the log.
* ``audit_checkpoints``: signed tree heads (the note text is the authority; ``size`` and ``root``
  are copies for queries).
* ``audit_meta``: the log's origin (``wardgate.audit/<random id>``) and the last signing public
  key.

The append path keeps the right edge of the tree (:class:`~wardgate.audit.merkle.Frontier`) in
memory and checks it against the database inside every write transaction, so another process
appending to the same file cannot make it compute a wrong root.

:class:`AsyncAuditWriter` is the gateway's entry point: ``await writer.append(...)`` returns only
once the record is committed, and concurrent appends share one transaction (group commit).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wardgate.audit import merkle
from wardgate.audit.records import (
    Record,
    canonical_body,
    check_kind,
    decode_record,
    encode_record,
)
from wardgate.audit.signing import (
    ORIGIN_PREFIX,
    Checkpoint,
    check_origin,
    public_key_bytes,
    sign_checkpoint,
)
from wardgate.storage.sqlite import BUSY_TIMEOUT_MS, connect, migrate, transaction

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "audit_0001_create",
        (
            """
            CREATE TABLE audit_meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE audit_records (
                seq INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                record BLOB NOT NULL,
                leaf_hash BLOB NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE audit_nodes (
                level INTEGER NOT NULL,
                idx INTEGER NOT NULL,
                hash BLOB NOT NULL,
                PRIMARY KEY (level, idx)
            ) STRICT, WITHOUT ROWID
            """,
            """
            CREATE TABLE audit_checkpoints (
                id INTEGER PRIMARY KEY,
                size INTEGER NOT NULL,
                root BLOB NOT NULL,
                note TEXT NOT NULL,
                created_at TEXT NOT NULL
            ) STRICT
            """,
        ),
    ),
)

MAX_BATCH = 512

Synchronous = Literal["full", "normal"]
_SYNC: dict[str, str] = {"full": "FULL", "normal": "NORMAL"}
"""Most records one group-commit transaction takes."""
_PAGE = 500


class AuditStoreError(RuntimeError):
    """The audit tables are damaged (a node or record the tree needs is missing)."""


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where an appended record landed: its leaf index and leaf hash."""

    seq: int
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as stored: its canonical bytes, stored leaf hash and decoded form."""

    seq: int
    data: bytes
    leaf_hash: bytes

    def decode(self) -> Record:
        return decode_record(self.data)


class _SqliteNodes:
    """Perfect-subtree hashes from the audit tables (level 0 = stored leaf hashes)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def perfect(self, level: int, index: int) -> bytes:
        if level == 0:
            row = self._conn.execute(
                "SELECT leaf_hash FROM audit_records WHERE seq = ?", (index,)
            ).fetchone()
        else:
            row = self._conn.execute(
                "SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?", (level, index)
            ).fetchone()
        if row is None or not isinstance(row[0], bytes) or len(row[0]) != merkle.HASH_SIZE:
            raise AuditStoreError(
                f"audit tree node ({level}, {index}) is missing or damaged; "
                "run `wardgate audit verify`"
            )
        return row[0]


def ensure_schema(conn: sqlite3.Connection, origin: str | None = None) -> str:
    """Create the audit tables if needed; returns the log's origin (creating one if new)."""
    for name, statements in MIGRATIONS:
        migrate(conn, name, statements)
    wanted = check_origin(origin) if origin else f"{ORIGIN_PREFIX}{secrets.token_hex(8)}"
    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO audit_meta (key, value) VALUES ('origin', ?)", (wanted,)
        )
        row = conn.execute("SELECT value FROM audit_meta WHERE key = 'origin'").fetchone()
    stored = str(row[0])
    if origin and stored != origin:
        raise ValueError(f"this audit log's origin is {stored!r}, not {origin!r}")
    return stored


class AuditLog:
    """An append-only, Merkle-hashed audit log in SQLite. Thread-safe (one lock).

    The connection is switched to ``PRAGMA synchronous = FULL``: the gateway acknowledges a
    decision only once its audit record is durable, and in WAL mode ``NORMAL`` (the shared
    default) may lose the last commits on power loss or an OS crash. ``FULL`` syncs the WAL on
    every commit; :class:`AsyncAuditWriter` batches appends so that costs few syncs.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        origin: str | None = None,
        clock: Callable[[], float] = time.time,
        synchronous: Synchronous = "full",
    ) -> None:
        self._conn = conn
        self.synchronous = synchronous
        self._lock = threading.Lock()
        self._clock = clock
        self._frontier: merkle.Frontier | None = None
        self._nodes = _SqliteNodes(conn)
        self._wal_conn: sqlite3.Connection | None = None
        with self._lock:
            conn.execute(f"PRAGMA synchronous = {_SYNC[synchronous]}")
            self.origin = ensure_schema(conn, origin)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        origin: str | None = None,
        clock: Callable[[], float] = time.time,
        synchronous: Synchronous = "full",
    ) -> AuditLog:
        """Open (creating and migrating if needed) the audit log in the database at ``path``.

        ``synchronous``: ``full`` syncs the write-ahead log on every commit (a committed record
        survives power loss); ``normal`` does not (it survives the process being killed — the
        operating system holds the write — but not the machine losing power), which makes a
        commit cheap enough to run on the event loop (:class:`AsyncAuditWriter` does then).
        """
        return cls(connect(path), origin=origin, clock=clock, synchronous=synchronous)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._wal_conn is not None:
                self._wal_conn.close()

    def manual_wal_checkpoints(self) -> None:
        """Stop this connection's commits from checkpointing the write-ahead log themselves
        (a stall of milliseconds on whichever commit crosses SQLite's threshold); the caller
        then runs :meth:`wal_checkpoint` regularly, off the commit path."""
        with self._lock:
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")

    def wal_checkpoint(self) -> None:
        """Copy the write-ahead log into the database without blocking appends (PASSIVE), on a
        connection of its own."""
        if self._wal_conn is None:
            with self._lock:
                row = self._conn.execute("PRAGMA database_list").fetchone()
            path = str(row[2]) if row is not None else ""
            if not path:
                return  # an in-memory database has no write-ahead log
            self._wal_conn = connect(path)
        self._wal_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    # -- appending -----------------------------------------------------------------------------

    def _db_size(self) -> int:
        row = self._conn.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_records").fetchone()
        return int(row[0])

    def _synced_frontier(self) -> merkle.Frontier:
        """The frontier for the database as it is now (reloaded if another writer appended)."""
        size = self._db_size()
        if self._frontier is None or self._frontier.size != size:
            self._frontier = merkle.Frontier.from_reader(self._nodes, size)
        return self._frontier

    def append(self, kind: str, body: Mapping[str, Any]) -> RecordRef:
        """Append one record and commit it durably."""
        return self.append_many([(kind, body)])[0]

    def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[RecordRef]:
        """Append records in one transaction: all are committed, or none (on any error)."""
        prepared = [(check_kind(kind), canonical_body(body)) for kind, body in items]
        return self.append_prepared(prepared)

    def try_append_prepared(self, items: Sequence[tuple[str, bytes]]) -> list[RecordRef] | None:
        """Like :meth:`append_prepared`, but never waits: None when another thread or
        connection holds the log or the database's write lock (the caller retries elsewhere)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            self._conn.execute("PRAGMA busy_timeout = 0")
            try:
                return self._append_locked(items)
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return None
                raise
            finally:
                self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        finally:
            self._lock.release()

    def append_prepared(self, items: Sequence[tuple[str, bytes]]) -> list[RecordRef]:
        """Append (kind, canonical body bytes) pairs, already validated, in one transaction."""
        with self._lock:
            return self._append_locked(items)

    def _append_locked(self, items: Sequence[tuple[str, bytes]]) -> list[RecordRef]:
        """One transaction of appends; the caller holds ``self._lock``."""
        if not items:
            return []
        refs: list[RecordRef] = []
        when = datetime.fromtimestamp(self._clock(), UTC)  # under the lock: seq and time agree
        try:
            with transaction(self._conn):
                frontier = self._synced_frontier().copy()
                rows: list[tuple[int, str, bytes, bytes]] = []
                nodes: list[tuple[int, int, bytes]] = []
                for kind, body_json in items:
                    seq = frontier.size
                    data = encode_record(seq, when, kind, body_json)
                    leaf = merkle.leaf_hash(data)
                    rows.append((seq, kind, data, leaf))
                    nodes.extend(frontier.append(leaf))
                    refs.append(RecordRef(seq, leaf))
                self._conn.executemany(
                    "INSERT INTO audit_records (seq, kind, record, leaf_hash) VALUES (?, ?, ?, ?)",
                    rows,
                )
                self._conn.executemany(
                    "INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes
                )
        except BaseException:
            self._frontier = None  # reload from the database next time
            raise
        self._frontier = frontier
        return refs

    # -- reading -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of records in the log."""
        with self._lock:
            return self._db_size()

    def _check_size(self, size: int | None) -> int:
        current = self._db_size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise ValueError(f"tree size {size} is beyond the log ({current} records)")
        return size

    def root(self, size: int | None = None) -> bytes:
        """Merkle root of the first ``size`` records (default: all): O(log n) reads."""
        with self._lock:
            return merkle.root_hash(self._nodes, self._check_size(size))

    def leaf_hash(self, seq: int) -> bytes:
        with self._lock:
            if not 0 <= seq < self._db_size():
                raise ValueError("no record with that seq")
            return self._nodes.perfect(0, seq)

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        """Audit path proving record ``seq`` is in the tree of ``size`` (default: all) records."""
        with self._lock:
            return merkle.inclusion_proof(self._nodes, seq, self._check_size(size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Proof that the tree of ``size1`` records is a prefix of the tree of ``size2``."""
        with self._lock:
            return merkle.consistency_proof(self._nodes, size1, self._check_size(size2))

    def record(self, seq: int) -> StoredRecord | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, record, leaf_hash FROM audit_records WHERE seq = ?", (seq,)
            ).fetchone()
        return None if row is None else StoredRecord(int(row[0]), bytes(row[1]), bytes(row[2]))

    def records(self, start: int = 0, end: int | None = None) -> Iterator[StoredRecord]:
        """Records with ``start <= seq < end`` in order, read a page at a time."""
        position = start
        while end is None or position < end:
            limit = _PAGE if end is None else min(_PAGE, end - position)
            with self._lock:
                rows = self._conn.execute(
                    "SELECT seq, record, leaf_hash FROM audit_records WHERE seq >= ? "
                    "ORDER BY seq LIMIT ?",
                    (position, limit),
                ).fetchall()
            for row in rows:
                if end is not None and row[0] >= end:
                    return
                yield StoredRecord(int(row[0]), bytes(row[1]), bytes(row[2]))
            if len(rows) < limit:
                return
            position = int(rows[-1][0]) + 1

    # -- checkpoints ---------------------------------------------------------------------------

    def checkpoint(self, signer: Ed25519PrivateKey, *, when: datetime | None = None) -> Checkpoint:
        """Sign the current tree head with ``signer``, store it and return it."""
        moment = when or datetime.fromtimestamp(self._clock(), UTC)
        with self._lock, transaction(self._conn):
            frontier = self._synced_frontier()
            signed = sign_checkpoint(signer, self.origin, frontier.size, frontier.root(), moment)
            self._conn.execute(
                "INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)",
                (signed.size, signed.root, signed.note, moment.astimezone(UTC).isoformat()),
            )
            raw = base64.b64encode(public_key_bytes(signer.public_key())).decode("ascii")
            self._conn.execute(
                "INSERT INTO audit_meta (key, value) VALUES ('public_key', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (raw,),
            )
        return signed

    def checkpoint_notes(self) -> list[tuple[int, str]]:
        """Every stored checkpoint as (id, signed note text), oldest first. Not verified."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, note FROM audit_checkpoints ORDER BY id"
            ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def public_key(self) -> Ed25519PublicKey | None:
        """The key that signed the latest checkpoint, as recorded here (informational only)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM audit_meta WHERE key = 'public_key'"
            ).fetchone()
        if row is None:
            return None
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(str(row[0])))


_tasks: set[asyncio.Task[None]] = set()


def _keep(task: asyncio.Task[None]) -> None:
    """Hold a reference to a fire-and-forget task until it is done."""
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


@dataclass(slots=True)
class _Pending:
    kind: str
    body: bytes
    future: asyncio.Future[RecordRef]


class AsyncAuditWriter:
    """Durable, group-committed appends for asyncio code.

    ``await append(kind, body)`` resolves only after the record is committed. Appends queue up
    while the single worker thread commits the previous batch, and the next transaction takes
    everything waiting (up to ``max_batch``), so many concurrent appends share one sync. The
    queue is bounded: when it is full, ``append`` waits (backpressure); a record is never dropped.
    A failed commit fails every append of that batch with the error. ``close()`` drains.

    When the log does not sync on commit (``synchronous="normal"``), a commit costs tens of
    microseconds and needs no thread: the appends made during one turn of the event loop are
    committed together at the end of it, on the loop. Only when another thread or connection
    holds the database's write lock do they go to the worker thread, which waits for it.
    """

    def __init__(
        self, log: AuditLog, *, max_batch: int = MAX_BATCH, max_queue: int = 10_000
    ) -> None:
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be >= 1")
        self._log = log
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue(max_queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wardgate-audit")
        self._worker: asyncio.Task[None] | None = None
        self._in_flight = 0
        self._closed = False
        self._inline = log.synchronous == "normal"
        self._turn: list[_Pending] = []  # appends of this loop turn, for the inline commit
        self.batches = 0
        """Transactions committed so far (for metrics and benchmarks)."""

    async def append(self, kind: str, body: Mapping[str, Any]) -> RecordRef:
        """Append a record; returns once it is durable. Invalid records raise at once."""
        if self._closed:
            raise RuntimeError("audit writer is closed")
        loop = asyncio.get_running_loop()
        pending = _Pending(check_kind(kind), canonical_body(body), loop.create_future())
        if self._inline and self._queue.empty():
            if not self._turn:
                loop.call_soon(self._commit_turn)
            self._turn.append(pending)
            self._in_flight += 1
            return await asyncio.shield(pending.future)
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="wardgate-audit-writer")
        self._in_flight += 1
        try:
            await self._queue.put(pending)
        except BaseException:
            self._in_flight -= 1
            raise
        # A cancelled caller does not un-append: the record is still written.
        return await asyncio.shield(pending.future)

    def _commit_turn(self) -> None:
        """Commit this loop turn's appends on the loop; hand them to the thread if it must wait."""
        batch, self._turn = self._turn, []
        if not batch:
            return
        items = [(p.kind, p.body) for p in batch]
        try:
            refs = self._log.try_append_prepared(items)
        except Exception as exc:
            self._in_flight -= len(batch)
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        if refs is None:  # the database is busy: the worker thread waits for it
            if self._worker is None:
                self._worker = asyncio.get_running_loop().create_task(
                    self._run(), name="wardgate-audit-writer"
                )
            for p in batch:
                try:
                    self._queue.put_nowait(p)
                except asyncio.QueueFull:  # never dropped: queued as soon as there is room
                    _keep(asyncio.get_running_loop().create_task(self._queue.put(p)))
            return
        self.batches += 1
        self._in_flight -= len(batch)
        for p, ref in zip(batch, refs, strict=True):
            if not p.future.done():
                p.future.set_result(ref)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            item = await self._queue.get()
            batch = [] if item is None else [item]
            while len(batch) < self._max_batch:
                try:
                    extra = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if extra is not None:
                    batch.append(extra)
            if batch:
                await self._commit(loop, batch)
            if self._closed and self._in_flight == 0:
                return

    async def _commit(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> None:
        items = [(p.kind, p.body) for p in batch]
        try:
            refs = await loop.run_in_executor(self._executor, self._log.append_prepared, items)
        except Exception as exc:
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
        else:
            self.batches += 1
            for p, ref in zip(batch, refs, strict=True):
                if not p.future.done():
                    p.future.set_result(ref)
        finally:
            self._in_flight -= len(batch)

    async def close(self) -> None:
        """Stop taking appends, wait until every queued one is committed, stop the thread."""
        self._closed = True
        self._commit_turn()
        if self._worker is not None and not self._worker.done():
            await self._queue.put(None)  # wake the worker if it is idle
            await self._worker
        self._executor.shutdown(wait=True)
