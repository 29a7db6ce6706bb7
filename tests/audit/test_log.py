from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardgate.audit import merkle
from wardgate.audit.log import AsyncAuditWriter, AuditLog, AuditStoreError
from wardgate.audit.records import CanonicalJSONError, decode_record
from wardgate.audit.signing import verify_checkpoint

FIXED = datetime(2026, 1, 31, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def log(tmp_path):
    audit = AuditLog.open(tmp_path / "a.db", clock=lambda: FIXED)
    yield audit
    audit.close()


def _reference(audit: AuditLog) -> merkle.MemoryTree:
    return merkle.MemoryTree([merkle.leaf_hash(r.data) for r in audit.records()])


def test_append_returns_seq_and_leaf_hash_of_the_canonical_record(log: AuditLog) -> None:
    ref = log.append("decision", {"verdict": "block", "policy": "p-1"})
    assert ref.seq == 0
    stored = log.record(0)
    assert stored is not None
    assert stored.data == (
        b'{"body":{"policy":"p-1","verdict":"block"},"kind":"decision","seq":0,'
        b'"time":"2026-01-31T12:00:00.000Z"}'
    )
    assert ref.leaf_hash == merkle.leaf_hash(stored.data) == stored.leaf_hash
    assert decode_record(stored.data).body == {"policy": "p-1", "verdict": "block"}


def test_roots_and_proofs_match_the_reference_tree_at_every_size(log: AuditLog) -> None:
    for i in range(37):
        log.append("decision", {"i": i})
    ref = _reference(log)
    for size in range(38):
        assert log.root(size) == ref.root(size)
        for m in range(size):
            proof = log.inclusion_proof(m, size)
            assert proof == ref.inclusion_proof(m, size)
            assert merkle.verify_inclusion(ref.leaf(m), m, size, proof, ref.root(size))
        for m in range(size + 1):
            proof = log.consistency_proof(m, size)
            assert merkle.verify_consistency(m, size, ref.root(m), ref.root(size), proof)
    assert log.root() == ref.root()
    assert log.size == 37


def test_only_perfect_subtrees_are_stored(log: AuditLog, tmp_path) -> None:
    log.append_many([("decision", {"i": i}) for i in range(1000)])
    conn = sqlite3.connect(tmp_path / "a.db")
    nodes = conn.execute("SELECT COUNT(*) FROM audit_nodes").fetchone()[0]
    conn.close()
    assert nodes == 1000 - bin(1000).count("1")  # every interior node of the perfect subtrees
    assert [r.seq for r in log.records(495, 505)] == list(range(495, 505))
    assert sum(1 for _ in log.records()) == 1000


def test_reopening_continues_the_same_tree(tmp_path) -> None:
    first = AuditLog.open(tmp_path / "a.db")
    first.append_many([("config", {"i": i}) for i in range(11)])
    origin = first.origin
    first.close()
    second = AuditLog.open(tmp_path / "a.db")
    assert second.origin == origin
    second.append("config", {"i": 11})
    assert second.root() == _reference(second).root()
    second.close()


def test_two_writers_on_one_file_stay_consistent(tmp_path) -> None:
    a = AuditLog.open(tmp_path / "a.db")
    b = AuditLog.open(tmp_path / "a.db")
    a.append("decision", {"w": "a"})
    b.append("decision", {"w": "b"})
    ref_a = a.append("decision", {"w": "a"})  # a's in-memory frontier is stale: must resync
    assert ref_a.seq == 2
    assert a.root() == b.root() == _reference(a).root()
    a.close()
    b.close()


def test_append_many_is_all_or_nothing(log: AuditLog) -> None:
    log.append("decision", {"i": 0})
    with pytest.raises(CanonicalJSONError):
        log.append_many([("decision", {"i": 1}), ("decision", {"bad": float("nan")})])
    with pytest.raises(ValueError, match="kind"):
        log.append_many([("decision", {"i": 1}), ("Not A Kind", {})])
    assert log.size == 1


def test_a_failed_commit_leaves_no_trace(log: AuditLog, tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON audit_records WHEN NEW.kind = 'incident' "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    conn.commit()
    conn.close()
    log.append_many([("decision", {"i": i}) for i in range(3)])
    with pytest.raises(sqlite3.DatabaseError, match="disk on fire"):
        log.append_many([("decision", {"i": 3}), ("incident", {"i": 4})])
    assert log.size == 3
    log.append("decision", {"i": 3})
    assert log.root() == _reference(log).root()


def test_audit_connection_syncs_fully(log: AuditLog) -> None:
    assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_checkpoint_signs_the_current_head(log: AuditLog) -> None:
    key = Ed25519PrivateKey.generate()
    log.append_many([("key", {"i": i}) for i in range(5)])
    cp = log.checkpoint(key)
    assert (cp.size, cp.root) == (5, log.root())
    assert verify_checkpoint(cp.note, [key.public_key()], origin=log.origin) == cp
    assert log.checkpoint_notes() == [(1, cp.note)]
    stored_key = log.public_key()
    assert stored_key is not None
    assert stored_key.public_bytes_raw() == key.public_key().public_bytes_raw()


def test_checkpoint_of_an_empty_log(log: AuditLog) -> None:
    cp = log.checkpoint(Ed25519PrivateKey.generate())
    assert (cp.size, cp.root) == (0, merkle.EMPTY_ROOT)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("root", (5,)),
        ("inclusion_proof", (3, 3)),
        ("consistency_proof", (1, 9)),
        ("leaf_hash", (7,)),
    ],
)
def test_sizes_beyond_the_log_are_refused(log: AuditLog, call: str, args) -> None:
    log.append_many([("decision", {}) for _ in range(3)])
    with pytest.raises(ValueError):  # noqa: PT011
        getattr(log, call)(*args)


def test_missing_nodes_are_reported_as_damage(log: AuditLog, tmp_path) -> None:
    log.append_many([("decision", {"i": i}) for i in range(8)])
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("DELETE FROM audit_nodes WHERE level = 3")
    conn.commit()
    conn.close()
    with pytest.raises(AuditStoreError, match="verify"):
        log.root(8)


def test_origin_is_fixed_at_creation(tmp_path) -> None:
    AuditLog.open(tmp_path / "a.db", origin="wardgate.audit/prod").close()
    with pytest.raises(ValueError, match="origin"):
        AuditLog.open(tmp_path / "a.db", origin="wardgate.audit/other")


# -- AsyncAuditWriter --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_concurrent_appends_are_group_committed(log: AuditLog) -> None:
    writer = AsyncAuditWriter(log, max_batch=64)
    refs = await asyncio.gather(*(writer.append("decision", {"i": i}) for i in range(300)))
    await writer.close()
    assert sorted(r.seq for r in refs) == list(range(300))
    assert writer.batches < 300 / 4  # many appends shared one transaction
    assert log.size == 300
    assert log.root() == _reference(log).root()
    bodies = {decode_record(r.data).body["i"] for r in log.records()}
    assert bodies == set(range(300))


@pytest.mark.asyncio
async def test_append_resolves_only_after_commit(log: AuditLog) -> None:
    writer = AsyncAuditWriter(log)
    ref = await writer.append("incident", {"what": "x"})
    assert log.record(ref.seq) is not None  # visible (committed) when the await returns
    await writer.close()


@pytest.mark.asyncio
async def test_backpressure_never_drops(log: AuditLog) -> None:
    writer = AsyncAuditWriter(log, max_batch=2, max_queue=1)
    refs = await asyncio.gather(*(writer.append("decision", {"i": i}) for i in range(40)))
    await writer.close()
    assert len({r.seq for r in refs}) == 40
    assert log.size == 40


@pytest.mark.asyncio
async def test_close_drains_then_refuses(log: AuditLog) -> None:
    writer = AsyncAuditWriter(log)
    tasks = [asyncio.create_task(writer.append("config", {"i": i})) for i in range(50)]
    await asyncio.sleep(0)
    await writer.close()
    assert log.size == 50  # committed before close() returned
    assert sorted(r.seq for r in await asyncio.gather(*tasks)) == list(range(50))
    with pytest.raises(RuntimeError, match="closed"):
        await writer.append("config", {})


@pytest.mark.asyncio
async def test_invalid_records_fail_at_once_and_alone(log: AuditLog) -> None:
    writer = AsyncAuditWriter(log)
    with pytest.raises(CanonicalJSONError):
        await writer.append("decision", {"x": float("inf")})
    assert (await writer.append("decision", {"x": 1})).seq == 0
    await writer.close()


@pytest.mark.asyncio
async def test_a_failed_commit_fails_its_appends(log: AuditLog, tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON audit_records WHEN NEW.kind = 'incident' "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    conn.commit()
    conn.close()
    writer = AsyncAuditWriter(log)
    with pytest.raises(sqlite3.DatabaseError):
        await writer.append("incident", {})
    assert (await writer.append("decision", {})).seq == 0
    await writer.close()


# -- commits on the event loop (synchronous = normal) --------------------------------------------


@pytest.mark.asyncio
async def test_without_sync_one_loop_turn_is_one_commit_on_the_loop(tmp_path: Path) -> None:
    log = AuditLog.open(tmp_path / "n.db", synchronous="normal")
    assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    writer = AsyncAuditWriter(log)
    refs = await asyncio.gather(*(writer.append("decision", {"i": i}) for i in range(50)))
    assert writer.batches == 1  # all fifty appended in the same turn: one transaction
    assert writer._worker is None  # and no thread was needed
    assert sorted(r.seq for r in refs) == list(range(50))
    ref = await writer.append("decision", {"i": 50})
    assert log.record(ref.seq) is not None  # committed when the await returns
    await writer.close()
    assert log.root() == _reference(log).root()
    log.close()


@pytest.mark.asyncio
async def test_without_sync_a_busy_database_sends_the_commit_to_the_thread(tmp_path: Path) -> None:
    log = AuditLog.open(tmp_path / "b.db", synchronous="normal")
    other = sqlite3.connect(tmp_path / "b.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the database's write lock
    writer = AsyncAuditWriter(log)
    task = asyncio.ensure_future(writer.append("decision", {"i": 1}))
    await asyncio.sleep(0.05)
    assert not task.done()  # not acknowledged while it cannot be written
    assert writer._worker is not None  # handed to the thread, which waits for the lock
    other.execute("COMMIT")
    ref = await asyncio.wait_for(task, 5)
    assert log.record(ref.seq) is not None
    await writer.close()
    other.close()
    log.close()
