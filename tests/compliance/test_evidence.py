import sqlite3
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.compliance.store import T0, config, decision, write_log
from wardgate.audit.signing import generate_private_key
from wardgate.compliance.evidence import (
    OTHER,
    BoundedCounter,
    EvidenceError,
    Reservoir,
    collect,
)
from wardgate.discovery.model import EndpointRecord
from wardgate.storage.inventory import InventoryStore


def test_counts_over_the_whole_log(sample_db, signer):
    ev = collect(sample_db, public_key=signer.public_key(), now=T0 + timedelta(days=2))
    d = ev.decisions
    assert d.total == 6
    assert d.authenticated == 5
    assert d.anonymous == 1
    assert d.auth_failures == 1
    assert d.auth_outcomes == {"ok": 5, "invalid": 1}
    assert d.enforced_blocks == 2  # rag block + deny
    assert d.response_blocks == 1
    assert d.would_block == 1
    assert d.denied == 1
    assert d.redactions == 2
    assert d.redacted_decisions == 1
    assert d.with_policy_ids == 5
    assert d.blocked_by_category == {"indirect_injection": 1, "system_prompt_leak": 1}
    assert d.redacted_by_category == {"pii": 1}
    assert d.detections_by_tag["LLM01"] == 2
    assert d.detections_by_tag["AML.T0056"] == 1
    assert d.detections_by_kind == {"prompt": 2, "document": 1, "output": 1}
    assert d.routes["rag"].blocked == 1
    assert d.routes["chat"].decisions == 5
    assert d.per_day == {"2026-03-02": 4, "2026-03-03": 2}
    assert d.blocked_per_day == {"2026-03-02": 2, "2026-03-03": 1}
    assert d.text_fields == {"sha256": 12}
    assert d.model_pinning == {"pinned": 6}
    assert d.tokens_input == 60
    assert d.tokens_output == 120
    assert d.latency.count == 6
    assert d.latency.p50_ms == 3.5
    cfg = ev.config
    assert cfg.present
    assert cfg.config_sha256 == "11" * 32
    assert cfg.policy_sha256 == "33" * 32  # the later policy record wins
    assert cfg.policy_ids == ["p-allow", "p-deny-default", "p-new"]
    assert cfg.policy_updates_in_window == 1
    assert cfg.unattributed_policy_updates == 0
    assert [c.kind for c in cfg.changes] == ["config", "policy"]
    assert ev.keys.events == {"create": 1}
    assert ev.keys.created_without_expiry == 1
    inc = ev.incidents
    assert (inc.opened, inc.acknowledged) == (1, 1)
    assert inc.mean_ack_s == pytest.approx(86400.0)
    cp = ev.checkpoints
    assert cp.count == 1
    assert cp.latest_size == 11
    assert cp.verified is True
    assert cp.valid_checkpoints == 1
    assert cp.unverified_records == 0
    assert ev.log.records == 11
    assert ev.log.unreadable == 0


def test_window_keeps_config_from_before_it(sample_db):
    ev = collect(sample_db, since=T0 + timedelta(hours=12))
    assert ev.decisions.total == 2
    assert ev.config.present  # the start snapshot is before the window
    assert ev.config.changes_in_window == 0
    assert ev.keys.events == {}
    assert ev.incidents.opened == 0  # opened before the window
    assert ev.log.in_window == {"decision": 2, "incident": 1, "policy": 1}


def test_until_is_exclusive(sample_db):
    ev = collect(sample_db, until=T0 + timedelta(days=1))
    assert ev.decisions.total == 4
    assert ev.config.policy_sha256 == "22" * 32  # the policy update is after the window
    assert ev.until == "2026-03-03T09:00:00.000Z"


def test_without_a_key_nothing_is_verified(sample_db):
    cp = collect(sample_db).checkpoints
    assert cp.verified is None
    assert cp.readable == 1
    assert cp.key_sha256 is None


def test_a_tampered_record_fails_verification(tmp_path, signer):
    db = write_log(tmp_path / "t.db", [(T0, [config(), decision()])], checkpoint_with=signer)
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT record FROM audit_records WHERE seq = 1").fetchone()
        conn.execute(
            "UPDATE audit_records SET record = ? WHERE seq = 1",
            (bytes(row[0]).replace(b'"auth":"ok"', b'"auth":"no"'),),
        )
    cp = collect(db, public_key=signer.public_key()).checkpoints
    assert cp.verified is False
    assert any("record 1" in p for p in cp.problems)


def test_a_key_that_signed_nothing_finds_no_valid_checkpoint(sample_db):
    cp = collect(sample_db, public_key=generate_private_key().public_key()).checkpoints
    assert cp.verified is False
    assert cp.latest_valid_time is None


def test_missing_fields_and_raw_text_are_tolerated_and_flagged(tmp_path):
    db = write_log(
        tmp_path / "m.db",
        [
            (
                T0,
                [
                    ("decision", {}),
                    ("decision", {"prompt": {"text": "hello"}, "answer": "x"}),
                    ("config", {"routes": ["junk", {"name": 3}]}),
                    ("other-kind", {"a": 1}),
                ],
            )
        ],
    )
    ev = collect(db)
    d = ev.decisions
    assert d.total == 2
    assert d.authenticated == 0
    assert d.text_fields == {"absent": 2, "raw": 2}
    assert d.response_scan == {"unrecorded": 2}
    assert [r.name for r in ev.config.routes] == ["(unnamed)"]
    assert ev.log.in_window["other-kind"] == 1


def test_unreadable_records_are_counted_not_fatal(tmp_path):
    db = write_log(tmp_path / "u.db", [(T0, [decision(), decision()])])
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_records SET record = ? WHERE seq = 0", (b"not json",))
    ev = collect(db)
    assert ev.log.unreadable == 1
    assert ev.decisions.total == 1
    assert any("could not be read" in n for n in ev.notes)


def test_refuses_a_missing_or_non_sqlite_file(tmp_path):
    with pytest.raises(EvidenceError):
        collect(tmp_path / "absent.db")
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"x" * 200)
    with pytest.raises(EvidenceError):
        collect(bogus)
    with pytest.raises(ValueError, match="before"):
        collect(bogus, since=T0, until=T0)


def test_a_database_without_audit_tables(tmp_path):
    db = tmp_path / "keys-only.db"
    sqlite3.connect(db).execute("CREATE TABLE api_keys (x)").connection.close()
    ev = collect(db)
    assert not ev.log.present
    assert ev.decisions.total == 0
    assert "no audit log" in ev.notes[0]


def test_inventories_are_read_when_present(tmp_path):
    db = write_log(tmp_path / "i.db", [(T0, [decision()])])
    store = InventoryStore.open(db)
    store.save(
        [
            EndpointRecord(
                "api.openai.com", "POST", "/v1/chat", count=3, ai="openai.chat", auth={"bearer": 3}
            ),
            EndpointRecord(
                "internal",
                "GET",
                "/users/{id}",
                count=1,
                auth={"none": 1},
                sensitive={"response.body.$.email": ["EMAIL"]},
            ),
        ],
        now=T0.timestamp(),
    )
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE ai_models (key TEXT, approved INTEGER, unapproved_calls INT)")
        conn.executemany(
            "INSERT INTO ai_models VALUES (?, ?, ?)",
            [("a", 1, 0), ("b", 0, 0), ("c", None, 0), ("d", 1, 2)],
        )
    inv = collect(db).inventory
    assert (inv.api.endpoints, inv.api.ai_endpoints, inv.api.unauthenticated) == (2, 1, 1)
    assert inv.api.sensitive == 1
    assert inv.api.shadow is None
    assert inv.api.events["new_endpoint"] == 2
    assert (inv.ai_models.models, inv.ai_models.unapproved, inv.ai_models.unjudged) == (4, 2, 1)


def test_incident_store_is_optional(tmp_path):
    db = write_log(tmp_path / "n.db", [(T0, [decision()])])
    store = collect(db).incidents.store
    assert not store.available
    assert "no incident tables" in store.reason


@given(st.lists(st.sampled_from("abcdefgh"), max_size=60), st.integers(1, 5))
def test_bounded_counter_never_exceeds_its_limit_and_loses_nothing(keys, limit):
    counter = BoundedCounter(limit)
    for k in keys:
        counter.add(k)
    assert len([k for k in counter.counts if k != OTHER]) <= limit
    assert sum(counter.counts.values()) == len(keys)


def test_reservoir_percentiles():
    r = Reservoir(size=1000)
    for v in range(1, 101):
        r.add(float(v))
    s = r.summary()
    assert (s.count, s.p50_ms, s.p99_ms, s.max_ms) == (100, 51.0, 100.0, 100.0)
    assert Reservoir().summary().count == 0
