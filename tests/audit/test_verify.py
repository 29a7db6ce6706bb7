"""The tampering table: every modification of the database is detected AND named correctly.

Each case edits the SQLite file directly, as an attacker with write access to it would, then
verifies both the database itself and a bundle exported from the tampered database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardgate.audit import merkle
from wardgate.audit.bundle import export_bundle, load_bundle
from wardgate.audit.log import AuditLog
from wardgate.audit.records import canonical_body, encode_record
from wardgate.audit.verify import (
    MAX_REPORTED,
    Problem,
    VerificationReport,
    verify_bundle,
    verify_log,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WHEN = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
CHECKPOINTS_AT = (8, 16, 20)


def _build(path: Path, *, extra_unsigned: int = 0) -> str:
    log = AuditLog.open(path, clock=WHEN.timestamp)
    for i in range(20):
        log.append("decision", {"i": i, "verdict": "allow"})
        if i + 1 in CHECKPOINTS_AT:
            log.checkpoint(KEY, when=WHEN)
    log.append_many([("incident", {"i": 20 + i}) for i in range(extra_unsigned)])
    origin = log.origin
    log.close()
    return origin


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    _build(path)
    return path


def _sql(path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for sql, params in statements:
            conn.execute(sql, params)
    conn.close()


def _record(path: Path, seq: int) -> tuple[bytes, bytes]:
    conn = sqlite3.connect(path)
    row = conn.execute(
        "SELECT record, leaf_hash FROM audit_records WHERE seq = ?", (seq,)
    ).fetchone()
    conn.close()
    return bytes(row[0]), bytes(row[1])


def _forged(seq: int, body: dict[str, object], kind: str = "decision") -> bytes:
    return encode_record(seq, WHEN, kind, canonical_body(body))


# -- the tampering operations -------------------------------------------------------------------


def update_body(path: Path) -> None:
    data, _ = _record(path, 5)
    _sql(
        path,
        ("UPDATE audit_records SET record = ? WHERE seq = 5", (data.replace(b"allow", b"block"),)),
    )


def update_body_and_leaf_hash(path: Path) -> None:
    forged = _forged(5, {"i": 5, "verdict": "block"})
    _sql(
        path,
        (
            "UPDATE audit_records SET record = ?, leaf_hash = ? WHERE seq = 5",
            (forged, merkle.leaf_hash(forged)),
        ),
    )


def rewrite_all_derived_data(path: Path) -> None:
    """Change record 5 and recompute every stored hash: only the signatures stay honest."""
    update_body_and_leaf_hash(path)
    conn = sqlite3.connect(path)
    leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf_hash FROM audit_records ORDER BY seq")]
    tree = merkle.MemoryTree(leaves)
    with conn:
        conn.execute("DELETE FROM audit_nodes")
        frontier = merkle.Frontier()
        for leaf in leaves:
            for node in frontier.append(leaf):
                assert tree.perfect(node.level, node.idx) == node.hash
                conn.execute(
                    "INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
                    (node.level, node.idx, node.hash),
                )
    conn.close()


def delete_row(path: Path) -> None:
    _sql(path, ("DELETE FROM audit_records WHERE seq = 5", ()))


def delete_row_and_close_gap(path: Path) -> None:
    _sql(
        path,
        ("DELETE FROM audit_records WHERE seq = 5", ()),
        ("UPDATE audit_records SET seq = -seq WHERE seq > 5", ()),
        ("UPDATE audit_records SET seq = -seq - 1 WHERE seq < 0", ()),
    )


def truncate_tail(path: Path) -> None:
    _sql(path, ("DELETE FROM audit_records WHERE seq >= 18", ()))


def swap_rows(path: Path) -> None:
    a, b = _record(path, 3), _record(path, 12)
    _sql(
        path,
        ("UPDATE audit_records SET record = ?, leaf_hash = ? WHERE seq = 3", b),
        ("UPDATE audit_records SET record = ?, leaf_hash = ? WHERE seq = 12", a),
    )


def swap_bodies_only(path: Path) -> None:
    a, b = _record(path, 3), _record(path, 12)
    _sql(
        path,
        ("UPDATE audit_records SET record = ? WHERE seq = 3", (b[0],)),
        ("UPDATE audit_records SET record = ? WHERE seq = 12", (a[0],)),
    )


def swap_adjacent_rows(path: Path) -> None:
    a, b = _record(path, 9), _record(path, 10)
    _sql(
        path,
        ("UPDATE audit_records SET record = ?, leaf_hash = ? WHERE seq = 9", b),
        ("UPDATE audit_records SET record = ?, leaf_hash = ? WHERE seq = 10", a),
    )


def insert_by_renumbering(path: Path) -> None:
    forged = _forged(7, {"i": 7, "verdict": "allow", "note": "planted"})
    _sql(
        path,
        ("UPDATE audit_records SET seq = -seq WHERE seq >= 7", ()),
        ("UPDATE audit_records SET seq = -seq + 1 WHERE seq < 0", ()),
        (
            "INSERT INTO audit_records (seq, kind, record, leaf_hash) VALUES (7, 'decision', ?, ?)",
            (forged, merkle.leaf_hash(forged)),
        ),
    )


def insert_beyond(path: Path) -> None:
    forged = _forged(9999, {"planted": True})
    _sql(
        path,
        ("UPDATE audit_records SET seq = -seq WHERE seq >= 7", ()),
        ("UPDATE audit_records SET seq = -seq + 1 WHERE seq < 0", ()),
        (
            "INSERT INTO audit_records (seq, kind, record, leaf_hash) VALUES (7, 'decision', ?, ?)",
            (forged, merkle.leaf_hash(forged)),
        ),
    )


def garble_record(path: Path) -> None:
    _sql(path, ("UPDATE audit_records SET record = ? WHERE seq = 5", (b"\xff not json",)))


def alter_leaf_hash_only(path: Path) -> None:
    _sql(path, ("UPDATE audit_records SET leaf_hash = ? WHERE seq = 5", (bytes(32),)))


def alter_checkpoint_signature(path: Path) -> None:
    conn = sqlite3.connect(path)
    note = conn.execute("SELECT note FROM audit_checkpoints WHERE id = 2").fetchone()[0]
    conn.close()
    head, _, sig = note.rstrip("\n").rpartition(" ")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    _sql(path, ("UPDATE audit_checkpoints SET note = ? WHERE id = 2", (f"{head} {flipped}\n",)))


def alter_checkpoint_size(path: Path) -> None:
    conn = sqlite3.connect(path)
    note = conn.execute("SELECT note FROM audit_checkpoints WHERE id = 2").fetchone()[0]
    conn.close()
    _sql(
        path,
        ("UPDATE audit_checkpoints SET note = ? WHERE id = 2", (note.replace("\n16\n", "\n15\n"),)),
    )


def _fork_note(path: Path, size: int) -> str:
    """A checkpoint signed with the real key over a different history of the same log."""
    conn = sqlite3.connect(path)
    origin = conn.execute("SELECT value FROM audit_meta WHERE key = 'origin'").fetchone()[0]
    conn.close()
    other = AuditLog(sqlite3.connect(":memory:", check_same_thread=False), origin=origin)
    other.append_many([("decision", {"i": i, "verdict": "other"}) for i in range(size)])
    note = other.checkpoint(KEY, when=WHEN).note
    other.close()
    return note


def forked_checkpoint(path: Path) -> None:
    note = _fork_note(path, 12)
    _sql(
        path,
        (
            "INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (12, x'', ?, '')",
            (note,),
        ),
    )


def forked_checkpoint_same_size(path: Path) -> None:
    note = _fork_note(path, 16)
    _sql(
        path,
        (
            "INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (16, x'', ?, '')",
            (note,),
        ),
    )


def checkpoint_by_other_key(path: Path) -> None:
    conn = sqlite3.connect(path)
    origin = conn.execute("SELECT value FROM audit_meta WHERE key = 'origin'").fetchone()[0]
    conn.close()
    log = AuditLog.open(path)
    note = log.checkpoint(Ed25519PrivateKey.generate()).note  # a key nobody trusts
    log.close()
    assert origin in note


@dataclass(frozen=True)
class Case:
    tamper: Callable[[Path], None]
    kinds: set[str]
    seqs: set[int] | None = None  # record seqs the problems must name (ranges must cover them)
    checkpoint: int | None = None
    exact: bool = True  # the problems name exactly ``seqs`` (not a wider range)


CASES = {
    "update-body": Case(update_body, {"record-changed"}, {5}),
    "update-body-and-hash": Case(update_body_and_leaf_hash, {"record-changed"}, {5}, exact=False),
    "rewrite-all-derived": Case(rewrite_all_derived_data, {"record-changed"}, {5}, exact=False),
    "delete-row": Case(delete_row, {"record-removed"}, {5}),
    "delete-and-renumber": Case(delete_row_and_close_gap, {"record-removed"}, {5}),
    "truncate-tail": Case(truncate_tail, {"record-removed"}, {18, 19}),
    "swap-rows": Case(swap_rows, {"records-reordered"}, {3, 12}),
    "swap-bodies-only": Case(swap_bodies_only, {"records-reordered"}, {3, 12}),
    "insert-renumbered": Case(insert_by_renumbering, {"record-inserted"}, {7}),
    "insert-claims-beyond": Case(insert_beyond, {"record-inserted"}, {9999}),
    "garble-record": Case(garble_record, {"record-changed"}, {5}),
    "alter-leaf-hash-only": Case(alter_leaf_hash_only, {"malformed"}, {5}),
    "alter-signature": Case(alter_checkpoint_signature, {"bad-signature"}, checkpoint=2),
    "alter-signed-size": Case(alter_checkpoint_size, {"bad-signature"}, checkpoint=2),
    "fork-smaller": Case(forked_checkpoint, {"checkpoint-fork"}, checkpoint=4),
    "fork-same-size": Case(forked_checkpoint_same_size, {"checkpoint-fork"}, checkpoint=4),
    "unknown-key": Case(checkpoint_by_other_key, {"unknown-key"}, checkpoint=4),
}


def _verify(path: Path, via: str, tmp_path: Path) -> VerificationReport:
    if via == "db":
        return verify_log(path, KEY.public_key())
    log = AuditLog.open(path)
    export_bundle(log, tmp_path / "bundle.json")
    log.close()
    return verify_bundle(load_bundle(tmp_path / "bundle.json"), KEY.public_key())


def _named_seqs(problems: list[Problem]) -> set[int]:
    out: set[int] = set()
    for p in problems:
        if p.seq is not None:
            out.update(range(p.seq, p.seq_end if p.seq_end is not None else p.seq + 1))
    return out


@pytest.mark.parametrize("via", ["db", "bundle"])
def test_untouched_log_verifies(db: Path, via: str, tmp_path: Path) -> None:
    report = _verify(db, via, tmp_path)
    assert report.ok, report.format_text()
    assert (report.records, report.checkpoints, report.valid_checkpoints) == (20, 3, 3)
    assert report.verified_size == 20
    assert report.unverified_records == 0


@pytest.mark.parametrize("via", ["db", "bundle"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_tampering_is_detected_and_named(db: Path, name: str, via: str, tmp_path: Path) -> None:
    case = CASES[name]
    case.tamper(db)
    report = _verify(db, via, tmp_path)
    text = report.format_text()
    assert not report.ok, text
    assert report.kinds() == case.kinds, text
    if case.seqs is not None:
        named = _named_seqs(report.problems)
        assert case.seqs <= named, text
        if case.exact:
            assert named == case.seqs, text
    if case.checkpoint is not None:
        assert [p.checkpoint for p in report.problems if p.checkpoint] == [case.checkpoint], text
    assert all(p.message for p in report.problems)


@pytest.mark.parametrize("via", ["db", "bundle"])
def test_adjacent_swap_is_reordering(db: Path, via: str, tmp_path: Path) -> None:
    swap_adjacent_rows(db)
    report = _verify(db, via, tmp_path)
    assert report.kinds() == {"records-reordered"}
    assert _named_seqs(report.problems) & {9, 10}
    assert _named_seqs(report.problems) <= {9, 10}


def test_hash_rewrite_is_narrowed_to_a_pair_by_the_stored_tree(db: Path) -> None:
    update_body_and_leaf_hash(db)
    report = verify_log(db, KEY.public_key())
    assert [(p.kind.value, p.seq, p.seq_end) for p in report.problems] == [("record-changed", 4, 6)]


def test_full_rewrite_is_bracketed_by_checkpoints(db: Path) -> None:
    rewrite_all_derived_data(db)
    report = verify_log(db, KEY.public_key())
    assert [(p.kind.value, p.seq, p.seq_end) for p in report.problems] == [("record-changed", 0, 8)]


def test_change_after_a_matching_checkpoint_is_bracketed_from_it(db: Path) -> None:
    forged = _forged(11, {"i": 11, "verdict": "block"})
    _sql(
        db,
        (
            "UPDATE audit_records SET record = ?, leaf_hash = ? WHERE seq = 11",
            (forged, merkle.leaf_hash(forged)),
        ),
    )
    rewrite = sqlite3.connect(db)
    with rewrite:
        rewrite.execute("DELETE FROM audit_nodes")
    rewrite.close()
    report = verify_log(db, KEY.public_key())
    assert [(p.kind.value, p.seq, p.seq_end) for p in report.problems] == [
        ("record-changed", 8, 16)
    ]
    assert report.verified_size == 8


def test_unsigned_tail_changes_are_flagged_as_uncovered(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _build(path, extra_unsigned=5)
    clean = verify_log(path, KEY.public_key())
    assert clean.ok
    assert clean.unverified_records == 5
    assert "not yet covered" in clean.format_text()
    data, _ = _record(path, 22)
    _sql(
        path,
        (
            "UPDATE audit_records SET record = ? WHERE seq = 22",
            (data.replace(b'"i":22', b'"i":99'),),
        ),
    )
    report = verify_log(path, KEY.public_key())
    assert [(p.kind.value, p.seq) for p in report.problems] == [("record-changed", 22)]
    assert "not yet covered" in report.problems[0].message


def test_wrong_public_key_is_unknown_key_for_every_checkpoint(db: Path) -> None:
    report = verify_log(db, Ed25519PrivateKey.generate().public_key())
    assert report.kinds() == {"unknown-key"}
    assert sorted(p.checkpoint for p in report.problems if p.checkpoint) == [1, 2, 3]
    assert report.verified_size == 0


def test_rotated_keys_verify_with_both_public_keys(db: Path) -> None:
    new_key = Ed25519PrivateKey.generate()
    log = AuditLog.open(db)
    log.append("key", {"event": "rotated"})
    log.checkpoint(new_key)
    log.close()
    assert verify_log(db, [KEY.public_key(), new_key.public_key()]).ok
    assert verify_log(db, KEY.public_key()).kinds() == {"unknown-key"}


def test_several_changes_are_each_named(db: Path) -> None:
    for seq in (2, 13):
        data, _ = _record(db, seq)
        _sql(
            db,
            (
                "UPDATE audit_records SET record = ? WHERE seq = ?",
                (data.replace(b"allow", b"deny"), seq),
            ),
        )
    report = verify_log(db, KEY.public_key())
    assert [(p.kind.value, p.seq) for p in report.problems] == [
        ("record-changed", 2),
        ("record-changed", 13),
    ]


def test_report_serialises(db: Path) -> None:
    delete_row(db)
    data = verify_log(db, KEY.public_key()).to_dict()
    assert data["ok"] is False
    assert data["problems"][0] == {
        "kind": "record-removed",
        "message": data["problems"][0]["message"],
        "seq": 5,
        "seq_end": 6,
    }
    assert "record 5 is missing" in data["problems"][0]["message"]


def test_not_an_audit_log(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    with pytest.raises(ValueError, match="not a Wardgate audit log"):
        verify_log(other, KEY.public_key())
    with pytest.raises(ValueError, match="no database"):
        verify_log(tmp_path / "missing.db", KEY.public_key())


def test_verification_does_not_write_to_the_database(db: Path) -> None:
    before = db.read_bytes()
    db.chmod(0o444)
    try:
        assert verify_log(db, KEY.public_key()).ok
    finally:
        db.chmod(0o644)
    assert db.read_bytes() == before


def test_empty_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    log = AuditLog.open(path)
    assert verify_log(path, KEY.public_key()).ok
    log.checkpoint(KEY)
    log.close()
    report = verify_log(path, KEY.public_key())
    assert report.ok
    assert (report.records, report.valid_checkpoints, report.verified_size) == (0, 1, 0)


def test_emptied_log_reports_every_signed_record_removed(db: Path) -> None:
    _sql(db, ("DELETE FROM audit_records", ()))
    report = verify_log(db, KEY.public_key())
    assert [(p.kind.value, p.seq, p.seq_end) for p in report.problems] == [
        ("record-removed", 0, 20)
    ]


def test_head_truncation_is_removal_not_insertion(db: Path) -> None:
    _sql(db, ("DELETE FROM audit_records WHERE seq < 10", ()))
    report = verify_log(db, KEY.public_key())
    assert [(p.kind.value, p.seq, p.seq_end) for p in report.problems] == [
        ("record-removed", 0, 10)
    ]


def test_reordering_and_a_change_are_both_named(db: Path) -> None:
    swap_rows(db)
    update_body(db)
    report = verify_log(db, KEY.public_key())
    assert report.kinds() == {"records-reordered", "record-changed"}
    assert {p.seq for p in report.problems if p.kind.value == "record-changed"} == {5}


def test_long_problem_lists_are_capped_and_summarised(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    log = AuditLog.open(path)
    log.append_many([("decision", {"i": i, "verdict": "allow"}) for i in range(1000)])
    log.checkpoint(KEY)
    log.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "UPDATE audit_records SET record = CAST(replace(CAST(record AS TEXT), 'allow', 'deny') "
            "AS BLOB) WHERE seq % 4 = 0"
        )
    conn.close()
    report = verify_log(path, KEY.public_key())
    changed = [p for p in report.problems if p.kind.value == "record-changed"]
    assert len(changed) == MAX_REPORTED + 1
    assert changed[-1].message == "... and 50 more record-changed problems"
    assert [p.seq for p in changed[:3]] == [0, 4, 8]
