"""The incident store: grouping, thresholds, reopen rules, bounded links, paging, workflow, stats,
and two connections (gateway and CLI) writing the same file at once."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from wardgate.core.finding import Severity
from wardgate.incidents import store as store_mod
from wardgate.incidents.model import (
    FIRST_SEQS,
    LAST_SEQS,
    MAX_NOTES,
    ChangeAction,
    IncidentError,
    IncidentEvent,
    IncidentNotFoundError,
    IncidentStatus,
    InvalidTransitionError,
)
from wardgate.incidents.store import DurationStats, IncidentStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
S = IncidentStatus


class Clock:
    """The store's clock for human actions; tests move it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def changes():
    return []


@pytest.fixture
def store(tmp_path, clock, changes):
    s = IncidentStore.open(tmp_path / "w.db", clock=clock, on_change=changes.append)
    yield s
    s.close()


def ev(at=T0, **kw):
    base = {"identity": "alice", "route": "chat", "category": "prompt_injection"}
    base["severity"] = kw.pop("severity", Severity.HIGH)
    return IncidentEvent(**{**base, "at": at, **kw})


# -- grouping and thresholds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "same"),
    [
        ({}, True),
        ({"severity": Severity.CRITICAL, "score": 0.9, "rule_ids": ("other",)}, True),
        ({"identity": "bob"}, False),
        ({"route": "embed"}, False),
        ({"category": "pii"}, False),
        ({"tenant": "acme"}, False),  # one tenant's caller never shares another's incident
    ],
)
def test_grouping_key(store, second, same):
    first = store.record(ev())
    other = store.record(ev(at=T0 + HOUR, **second))
    assert first is not None
    assert other is not None
    assert (other.number == first.number) is same
    assert store.count() == (1 if same else 2)


@pytest.mark.parametrize(
    ("severity", "min_severity", "recorded"),
    [
        (Severity.INFO, Severity.MEDIUM, False),
        (Severity.LOW, Severity.MEDIUM, False),
        (Severity.MEDIUM, Severity.MEDIUM, True),
        (Severity.CRITICAL, Severity.MEDIUM, True),
        (Severity.HIGH, Severity.CRITICAL, False),
        (Severity.LOW, Severity.LOW, True),
    ],
)
def test_severity_threshold(store, severity, min_severity, recorded):
    got = store.record(ev(severity=severity), min_severity=min_severity)
    assert (got is not None) is recorded
    assert store.count() == int(recorded)


def test_attaching_folds_counts_severity_taxonomy_and_rules(store, changes):
    store.record(ev(rule_ids=("r1",), taxonomy=("LLM01",), score=0.5, summary="first"))
    store.record(ev(at=T0 - HOUR, severity=Severity.MEDIUM, rule_ids=("r2",), summary="older"))
    got = store.record(
        ev(
            at=T0 + HOUR,
            severity=Severity.CRITICAL,
            score=0.9,
            rule_ids=("r1", "r3"),
            taxonomy=("AML.T0051",),
            summary="latest",
            statistic={"rate": 3},
            exchange_id="x1",
        )
    )
    assert got is not None
    assert got.event_count == 3
    assert got.severity is Severity.CRITICAL
    assert got.max_score == pytest.approx(0.9)
    assert (got.first_seen, got.last_seen, got.opened_at) == (T0 - HOUR, T0 + HOUR, T0)
    assert got.taxonomy == ("AML.T0051", "LLM01")
    assert got.rule_ids == ("r1", "r2", "r3")
    assert (got.summary, got.statistic, got.last_exchange_id) == ("latest", {"rate": 3}, "x1")
    assert got.title == "prompt injection by alice on chat"
    assert [c.action for c in changes] == [ChangeAction.OPENED, ChangeAction.ESCALATED]
    assert changes[1].changes == {"severity": (Severity.HIGH, Severity.CRITICAL)}
    assert store.get(got.id) == got


def test_bounded_audit_links_through_the_store(store):
    n = FIRST_SEQS + LAST_SEQS + 50
    store.record_many([ev(at=T0 + timedelta(seconds=i), audit_seq=i) for i in range(n)])
    got = store.get(1)
    assert got is not None
    assert got.audit.total == n
    assert got.audit.first == tuple(range(FIRST_SEQS))
    assert got.audit.last == tuple(range(n - LAST_SEQS, n))
    assert got.to_dict()["audit_seq_count"] == n


# -- reopen or new -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("close", "after", "severity", "outcome"),
    [
        # resolved: new evidence within the window reopens, after it opens a new incident
        ("resolve", HOUR, Severity.HIGH, "reopened"),
        ("resolve", 23 * HOUR, Severity.MEDIUM, "reopened"),
        ("resolve", 25 * HOUR, Severity.HIGH, "new"),
        ("resolve", 25 * HOUR, Severity.CRITICAL, "new"),
        # evidence from before the closing (late in the queue) is attached, status kept
        ("resolve", -HOUR / 2, Severity.HIGH, "attached"),
        # ... unless it is more severe than anything seen: an escalation reopens
        ("resolve", -HOUR / 2, Severity.CRITICAL, "reopened"),
        # false positive: same-or-lower severity is attached silently, higher reopens
        ("false_positive", HOUR, Severity.HIGH, "attached"),
        ("false_positive", HOUR, Severity.MEDIUM, "attached"),
        ("false_positive", HOUR, Severity.CRITICAL, "reopened"),
        ("false_positive", 25 * HOUR, Severity.HIGH, "new"),
    ],
)
def test_reopen_within_the_window_or_new_after(
    store, clock, changes, close, after, severity, outcome
):
    store.record(ev())
    clock.now = T0 + HOUR  # closed an hour after the only event
    if close == "resolve":
        store.resolve(1, "bob", "blocked the key")
    else:
        store.mark_false_positive(1, "bob", "a pentest")
    closed_status = store.get(1).status
    changes.clear()
    got = store.record(ev(at=clock.now + after, severity=severity))
    first = store.get(1)
    if outcome == "new":
        assert got.number == 2
        assert got.status is S.OPEN
        assert first.status is closed_status
        assert first.event_count == 1
        assert [c.action for c in changes] == [ChangeAction.OPENED]
    elif outcome == "reopened":
        assert got.number == 1
        assert got.status is S.OPEN
        assert got.reopen_count == 1
        assert (got.resolved_at, got.resolved_by, got.resolution) == (None, None, None)
        assert got.opened_at == max(clock.now, clock.now + after)
        assert (got.note_count, first.notes[0].author) == (1, "wardgate")
        assert "Reopened (new evidence)" in first.notes[0].text
        assert "by bob" in first.notes[0].text
        assert [c.action for c in changes] == [ChangeAction.REOPENED]
        assert changes[0].changes["status"] == (closed_status, S.OPEN)
    else:
        assert got.number == 1
        assert got.status is closed_status
        assert got.event_count == 2
        assert got.resolved_by == "bob"
        assert changes == []
    assert store.count(status="open") == (0 if outcome == "attached" else 1)


def test_the_quiet_period_runs_from_the_last_event(store, clock):
    """Events that keep coming within the window keep attaching to a false positive."""
    store.record(ev())
    store.mark_false_positive(1, "bob", "load test")
    for day in range(1, 4):
        got = store.record(ev(at=T0 + day * 20 * HOUR))
        assert got.number == 1
    assert store.get(1).event_count == 4


def test_reopen_window_is_configurable(tmp_path, clock):
    s = IncidentStore.open(tmp_path / "w.db", clock=clock, reopen_within_s=60)
    s.record(ev())
    s.resolve(1, "bob", "done")
    assert s.record(ev(at=T0 + timedelta(seconds=61))).number == 2
    s.close()
    with pytest.raises(ValueError, match="positive"):
        IncidentStore.open(tmp_path / "w.db", reopen_within_s=0)


# -- workflow ------------------------------------------------------------------------------------


def test_workflow_happy_path(store, clock, changes):
    store.record(ev())
    changes.clear()
    clock.now = T0 + timedelta(minutes=5)
    inc, change = store.acknowledge("INC-000001", "alice")
    assert (inc.status, inc.owner, inc.acknowledged_at) == (S.ACKNOWLEDGED, "alice", clock.now)
    assert change.action is ChangeAction.ACKNOWLEDGED
    assert change.changes == {"status": (S.OPEN, S.ACKNOWLEDGED), "owner": (None, "alice")}
    assert (change.actor, change.at, change.incident_id) == ("alice", clock.now, "INC-000001")

    inc, change = store.assign(1, "carol")
    assert (inc.status, inc.owner) == (S.ACKNOWLEDGED, "carol")
    assert change.changes == {"owner": ("alice", "carol")}

    inc, change = store.add_note(1, "carol", "Looked at the key's traffic.\nRotating it.")
    assert inc.note_count == 1
    assert inc.notes[0].text == "Looked at the key's traffic.\nRotating it."
    assert change.detail == inc.notes[0].text

    clock.now = T0 + HOUR
    inc, change = store.resolve(1, "carol", "key rotated")
    assert (inc.status, inc.resolved_at, inc.resolved_by, inc.resolution) == (
        S.RESOLVED,
        T0 + HOUR,
        "carol",
        "key rotated",
    )
    assert change.detail == "key rotated"

    clock.now = T0 + 2 * HOUR
    inc, _ = store.mark_false_positive(1, "dave", "it was the red team")
    assert inc.status is S.FALSE_POSITIVE
    assert inc.resolved_at == T0 + HOUR  # reclassifying does not move the time to resolve
    assert inc.resolution == "it was the red team"

    inc, change = store.reopen(1, "erin", "red team was not scheduled")
    assert (inc.status, inc.opened_at, inc.reopen_count, inc.acknowledged_at) == (
        S.OPEN,
        clock.now,
        1,
        None,
    )
    assert "red team was not scheduled" in inc.notes[-1].text
    assert "false_positive by dave" in inc.notes[-1].text
    assert [c.action for c in changes] == [
        ChangeAction.ACKNOWLEDGED,
        ChangeAction.ASSIGNED,
        ChangeAction.NOTED,
        ChangeAction.RESOLVED,
        ChangeAction.FALSE_POSITIVE,
        ChangeAction.REOPENED,
    ]


@pytest.mark.parametrize(
    ("setup", "step"),
    [
        (["acknowledge"], "acknowledge"),
        (["resolve"], "acknowledge"),
        (["resolve"], "assign"),
        (["resolve"], "resolve"),
        (["false_positive"], "resolve"),
        (["false_positive"], "false_positive"),
        ([], "reopen"),
        (["acknowledge"], "reopen"),
    ],
)
def test_invalid_transitions_raise_a_clear_error(store, setup, step):
    store.record(ev())
    actions = {
        "acknowledge": lambda: store.acknowledge(1, "a"),
        "assign": lambda: store.assign(1, "a"),
        "resolve": lambda: store.resolve(1, "a", "r"),
        "false_positive": lambda: store.mark_false_positive(1, "a", "r"),
        "reopen": lambda: store.reopen(1, "a", "r"),
    }
    for name in setup:
        actions[name]()
    before = store.get(1)
    with pytest.raises(
        InvalidTransitionError, match=rf"INC-000001 is {before.status.value}: cannot"
    ):
        actions[step]()
    assert store.get(1) == before  # nothing was written


def test_a_manual_reopen_of_an_older_incident_is_refused(store, clock):
    store.record(ev())
    store.resolve(1, "bob", "done")
    store.record(ev(at=T0 + 48 * HOUR))  # quiet too long: INC-000002
    with pytest.raises(InvalidTransitionError, match="INC-000002 is the newer incident"):
        store.reopen(1, "bob", "oops")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: s.acknowledge(99, "a"), IncidentNotFoundError, "no incident INC-000099"),
        (lambda s: s.acknowledge("nope", "a"), ValueError, "INC-000123"),
        (lambda s: s.acknowledge(1, ""), ValueError, "owner"),
        (lambda s: s.assign(1, "x" * 201), ValueError, "owner"),
        (lambda s: s.resolve(1, "a", ""), ValueError, "reason"),
        (lambda s: s.resolve(1, "a", "x" * 1001), ValueError, "reason"),
        (lambda s: s.add_note(1, "a", "x" * 4001), ValueError, "note"),
        (lambda s: s.add_note(1, "a", "\x1b[2Jgone"), ValueError, "control"),
        (lambda s: s.add_note(1, "", "text"), ValueError, "author"),
    ],
)
def test_bad_workflow_input(store, call, error, message):
    store.record(ev())
    with pytest.raises(error, match=message):
        call(store)


def test_notes_are_bounded(store, monkeypatch):
    monkeypatch.setattr(store_mod, "MAX_NOTES", 3)
    store.record(ev())
    for i in range(3):
        store.add_note(1, "a", f"note {i}")
    with pytest.raises(IncidentError, match="maximum of 3 notes"):
        store.add_note(1, "a", "one too many")
    assert [n.text for n in store.get(1).notes] == ["note 0", "note 1", "note 2"]
    assert MAX_NOTES >= 100


# -- reading -------------------------------------------------------------------------------------


@pytest.fixture
def populated(store):
    """Ten incidents, INC-000001 least recently active, INC-000010 most."""
    for i in range(10):
        store.record(
            ev(
                at=T0 + i * HOUR,
                identity=f"user{i % 3}",
                route="chat" if i % 2 else "embed",
                category="pii" if i < 4 else "prompt_injection",
                tenant="acme" if i == 9 else "",
            )
        )
    store.acknowledge(2, "alice")
    store.resolve(3, "bob", "done")
    return store


def test_pages_are_ordered_by_last_activity(populated):
    pages = [[i.number for i in populated.list(limit=4, offset=o)] for o in (0, 4, 8, 12)]
    assert pages == [[10, 9, 8, 7], [6, 5, 4, 3], [2, 1], []]
    assert all(i.notes == () for i in populated.list())


@pytest.mark.parametrize(
    ("filters", "numbers"),
    [
        ({"status": "acknowledged"}, [2]),
        ({"status": S.RESOLVED}, [3]),
        ({"status": "open"}, [10, 9, 8, 7, 6, 5, 4, 1]),
        ({"category": "pii"}, [4, 3, 2, 1]),
        ({"identity": "user0"}, [10, 7, 4, 1]),
        ({"route": "chat"}, [10, 8, 6, 4, 2]),
        ({"tenant": "acme"}, [10]),
        ({"since": T0 + 7 * HOUR}, [10, 9, 8]),
        ({"category": "prompt_injection", "route": "embed", "identity": "user2"}, [9]),
        ({"identity": "nobody"}, []),
    ],
)
def test_filters(populated, filters, numbers):
    assert [i.number for i in populated.list(**filters)] == numbers
    assert populated.count(**filters) == len(numbers)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "closed"}, "closed"),
        ({"since": datetime(2026, 1, 1)}, "timezone-aware"),
    ],
)
def test_list_refuses_bad_arguments(store, kwargs, message):
    with pytest.raises(ValueError, match=message):
        store.list(**kwargs)


def test_list_filters_use_indexes(store):
    conn = sqlite3.connect(store._conn.execute("PRAGMA database_list").fetchone()[2])
    for column in ("status", "category", "subject", "route"):
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN SELECT id FROM incidents WHERE {column} = ? "
            "ORDER BY last_seen DESC LIMIT 10",
            ("x",),
        ).fetchall()
        detail = " ".join(str(row[-1]) for row in plan)
        assert f"incidents_by_{column}" in detail, detail
        assert "TEMP B-TREE" not in detail
    conn.close()


def test_get_missing_and_persistence(store, tmp_path, clock):
    assert store.get(1) is None
    store.record(ev(audit_seq=7, statistic={"rate": 1.5}))
    store.add_note(1, "a", "hello")
    again = IncidentStore.open(tmp_path / "w.db", clock=clock)
    assert again.get("INC-000001") == store.get(1)
    again.close()


# -- stats ---------------------------------------------------------------------------------------


def test_stats(store, clock):
    for i, (ack_after, resolve_after) in enumerate(
        [(60, 600), (120, None), (None, 300), (600, 3600), (None, None)]
    ):
        store.record(ev(at=T0, identity=f"u{i}", category="pii" if i else "secret"))
        if ack_after is not None:
            clock.now = T0 + timedelta(seconds=ack_after)
            store.acknowledge(i + 1, "a")
        if resolve_after is not None:
            clock.now = T0 + timedelta(seconds=resolve_after)
            store.resolve(i + 1, "a", "done")
    stats = store.stats()
    assert stats.total == 5
    assert stats.by_status == {"resolved": 3, "acknowledged": 1, "open": 1}
    assert stats.by_category == {"pii": 4, "secret": 1}
    assert stats.by_severity == {"high": 5}
    ack = stats.time_to_acknowledge
    assert (ack.count, ack.mean_s, ack.median_s) == (3, pytest.approx(260), pytest.approx(120))
    res = stats.time_to_resolve
    assert (res.count, res.mean_s, res.median_s) == (3, pytest.approx(1500), pytest.approx(600))
    data = stats.to_dict()
    assert data["time_to_resolve"] == {"count": 3, "mean_s": 1500.0, "median_s": 600.0}
    assert store.stats(since=T0 + HOUR).total == 0


def test_stats_median_of_an_even_count_and_of_none(store, clock):
    empty = store.stats()
    assert empty.total == 0
    assert empty.time_to_acknowledge == DurationStats(0, None, None)
    for i, after in enumerate([10, 20, 30, 100]):
        store.record(ev(identity=f"u{i}"))
        clock.now = T0 + timedelta(seconds=after)
        store.acknowledge(i + 1, "a")
    assert store.stats().time_to_acknowledge.median_s == pytest.approx(25)


# -- transactions and concurrency ----------------------------------------------------------------


def test_record_many_is_one_transaction(store, monkeypatch):
    real = store_mod._new_incident
    calls = []

    def failing(event):
        calls.append(event)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(event)

    monkeypatch.setattr(store_mod, "_new_incident", failing)
    with pytest.raises(RuntimeError):
        store.record_many([ev(), ev(identity="bob")])
    assert store.count() == 0


def test_record_many_keeps_order_and_skips_low_severity(store, changes):
    result = store.record_many(
        [ev(), ev(severity=Severity.LOW), ev(identity="bob"), ev(at=T0 + HOUR)]
    )
    numbers = [None if i is None else i.number for i in result.incidents]
    assert numbers == [1, None, 2, 1]
    assert result.incidents[3].event_count == 2
    assert [c.incident_id for c in result.changes] == ["INC-000001", "INC-000002"]
    assert changes == list(result.changes)


def test_two_connections_writing_at_once_keep_one_active_incident(tmp_path):
    """The gateway's worker thread and an analyst's CLI process each have their own connection."""
    path = tmp_path / "w.db"
    stores = [IncidentStore.open(path), IncidentStore.open(path)]
    per_writer = 40

    def writer(s: IncidentStore, offset: int) -> None:
        for i in range(per_writer):
            s.record(ev(at=T0 + timedelta(seconds=2 * i + offset), audit_seq=2 * i + offset))

    stores[0].record(ev(at=T0 - HOUR))
    threads = [threading.Thread(target=writer, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    stores[1].acknowledge(1, "alice")  # an analyst acts while both writers are busy
    for t in threads:
        t.join()
    assert stores[0].count() == 1
    got = stores[1].get(1)
    assert got.status is S.ACKNOWLEDGED
    assert got.event_count == 2 * per_writer + 1
    assert got.audit.total == 2 * per_writer
    with pytest.raises(sqlite3.IntegrityError):  # the partial unique index is the backstop
        stores[0]._conn.execute(
            "INSERT INTO incidents SELECT NULL, "
            + ", ".join(c.strip() for c in store_mod._FIELDS.split(","))
            + " FROM incidents WHERE id = 1"
        )
    for s in stores:
        s.close()
