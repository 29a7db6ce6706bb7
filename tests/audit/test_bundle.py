from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardgate.audit import merkle
from wardgate.audit.bundle import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    BundleError,
    export_bundle,
    load_bundle,
    read_bundle,
)
from wardgate.audit.log import AuditLog
from wardgate.audit.records import canonical_body, encode_record
from wardgate.audit.verify import verify_bundle

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
WHEN = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture
def bundle(tmp_path: Path) -> dict[str, Any]:
    log = AuditLog.open(tmp_path / "a.db", clock=WHEN.timestamp)
    log.append_many(
        [("decision", {"i": i, "prompt": {"sha256": "ab" * 32, "chars": 9}}) for i in range(10)]
    )
    log.checkpoint(KEY, when=WHEN)
    log.append_many([("config", {"i": i}) for i in range(10, 13)])
    log.checkpoint(KEY, when=WHEN)
    summary = export_bundle(log, tmp_path / "b.json")
    log.close()
    assert (summary.records, summary.checkpoints) == (13, 2)
    return load_bundle(tmp_path / "b.json")


def test_bundle_is_self_contained(bundle: dict[str, Any], tmp_path: Path) -> None:
    assert bundle["format"] == BUNDLE_FORMAT
    assert bundle["version"] == BUNDLE_VERSION
    assert bundle["origin"].startswith("wardgate.audit/")
    assert bundle["size"] == 13
    assert bundle["public_key"]["type"] == "ed25519"
    first = bundle["records"][0]
    assert set(first) == {"seq", "leaf_hash", "record"}
    assert merkle.leaf_hash(first["record"].encode()).hex() == first["leaf_hash"]
    assert [c["id"] for c in bundle["checkpoints"]] == [1, 2]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".wardgate-bundle-")]


def test_bundle_verifies_offline(bundle: dict[str, Any]) -> None:
    report = verify_bundle(bundle, KEY.public_key())
    assert report.ok, report.format_text()
    assert report.verified_size == 13


def _entry(bundle: dict[str, Any], seq: int) -> dict[str, Any]:
    return next(e for e in bundle["records"] if e["seq"] == seq)


def _edit_record(b: dict[str, Any]) -> None:
    e = _entry(b, 4)
    e["record"] = e["record"].replace('"i":4', '"i":40')


def _edit_record_and_hash(b: dict[str, Any]) -> None:
    _edit_record(b)
    e = _entry(b, 4)
    e["leaf_hash"] = merkle.leaf_hash(e["record"].encode()).hex()


def _drop(b: dict[str, Any]) -> None:
    b["records"] = [e for e in b["records"] if e["seq"] != 4]


def _swap(b: dict[str, Any]) -> None:
    a, c = _entry(b, 2), _entry(b, 7)
    a["record"], c["record"] = c["record"], a["record"]
    a["leaf_hash"], c["leaf_hash"] = c["leaf_hash"], a["leaf_hash"]


def _insert(b: dict[str, Any]) -> None:
    for e in b["records"]:
        if e["seq"] >= 6:
            e["seq"] += 1
    forged = encode_record(6, WHEN, "decision", canonical_body({"i": 6, "planted": True}))
    b["records"].append(
        {"seq": 6, "leaf_hash": merkle.leaf_hash(forged).hex(), "record": forged.decode()}
    )


def _alter_note(b: dict[str, Any]) -> None:
    note = b["checkpoints"][0]["note"]
    b["checkpoints"][0]["note"] = note.replace("\n10\n", "\n9\n")


@pytest.mark.parametrize(
    ("mutate", "kinds", "seqs"),
    [
        (_edit_record, {"record-changed"}, {4}),
        (_edit_record_and_hash, {"record-changed"}, {4}),  # bracketed: 0..9
        (_drop, {"record-removed"}, {4}),
        (_swap, {"records-reordered"}, {2, 7}),
        (_insert, {"record-inserted"}, {6}),
        (_alter_note, {"bad-signature"}, set()),
    ],
)
def test_tampered_bundle_is_named(bundle: dict[str, Any], mutate, kinds, seqs) -> None:
    mutate(bundle)
    report = verify_bundle(bundle, KEY.public_key())
    assert report.kinds() == kinds, report.format_text()
    named = {
        s
        for p in report.problems
        if p.seq is not None
        for s in range(p.seq, p.seq_end or p.seq + 1)
    }
    assert seqs <= named


def test_moving_entries_without_relabelling_changes_nothing(bundle: dict[str, Any]) -> None:
    bundle["records"].reverse()  # entries are keyed by their seq label, like database rows
    assert verify_bundle(bundle, KEY.public_key()).ok


def test_other_origin_makes_every_checkpoint_malformed(bundle: dict[str, Any]) -> None:
    bundle["origin"] = "wardgate.audit/elsewhere"
    report = verify_bundle(bundle, KEY.public_key())
    assert report.kinds() == {"malformed"}
    assert all("for log" in p.message for p in report.problems)


def test_bundle_naming_another_key_is_flagged(bundle: dict[str, Any]) -> None:
    other = Ed25519PrivateKey.generate()
    report = verify_bundle(bundle, other.public_key())
    assert report.kinds() == {"unknown-key"}
    assert any("bundle names a different signing key" in p.message for p in report.problems)


def test_damaged_entries_are_reported_not_fatal(bundle: dict[str, Any]) -> None:
    bundle["records"][3] = {"seq": "three"}
    bundle["checkpoints"].append({"note": 5})
    report = verify_bundle(bundle, KEY.public_key())
    assert "malformed" in report.kinds()
    assert "record-removed" in report.kinds()
    assert any("records[3]" in p.message for p in report.problems)


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"format": "other", "version": 1},
        {"format": BUNDLE_FORMAT, "version": 2, "origin": "x", "records": [], "checkpoints": []},
        {"format": BUNDLE_FORMAT, "version": 1, "origin": 5, "records": [], "checkpoints": []},
        {"format": BUNDLE_FORMAT, "version": 1, "origin": "x", "records": {}, "checkpoints": []},
    ],
)
def test_not_a_bundle(doc: dict[str, Any]) -> None:
    with pytest.raises(BundleError):
        read_bundle(doc)


def test_load_rejects_non_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b"\xff{")
    with pytest.raises(BundleError):
        load_bundle(path)
    path.write_text("[1]")
    with pytest.raises(BundleError):
        load_bundle(path)


def test_undecodable_record_is_exported_byte_exact(tmp_path: Path) -> None:
    log = AuditLog.open(tmp_path / "a.db")
    log.append_many([("decision", {"i": i}) for i in range(4)])
    log.checkpoint(KEY)
    log.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    with conn:
        conn.execute("UPDATE audit_records SET record = ? WHERE seq = 2", (b"\xfe\xff",))
    conn.close()
    log = AuditLog.open(tmp_path / "a.db")
    export_bundle(log, tmp_path / "b.json")
    log.close()
    doc = json.loads((tmp_path / "b.json").read_text())
    assert doc["records"][2]["record_base64"] == "/v8="
    report = verify_bundle(doc, KEY.public_key())
    assert [(p.kind.value, p.seq) for p in report.problems] == [("record-changed", 2)]
