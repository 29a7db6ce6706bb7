"""The pure parts of incidents: ids, event validation, bounded audit links, the workflow table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.core.finding import Category, Severity
from wardgate.core.taxonomy import Atlas, OwaspLlm
from wardgate.incidents.model import (
    FIRST_SEQS,
    LAST_SEQS,
    MAX_EVENT_RULE_IDS,
    MAX_SUMMARY_LENGTH,
    AuditLinks,
    ChangeAction,
    IncidentChange,
    IncidentEvent,
    IncidentKey,
    IncidentStatus,
    InvalidTransitionError,
    check_name,
    check_text,
    check_transition,
    format_incident_id,
    parse_incident_id,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(**kw):
    base = {"identity": "alice", "route": "chat", "category": "prompt_injection"}
    base.setdefault("severity", Severity.HIGH)
    return IncidentEvent(**{**base, "at": T0, **kw})


# -- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("INC-000123", 123),
        ("inc-42", 42),
        ("INC42", 42),
        ("  7 ", 7),
        ("INC-1234567", 1234567),
        (5, 5),
    ],
)
def test_parse_incident_id_accepts(text, number):
    assert parse_incident_id(text) == number


@pytest.mark.parametrize("text", ["", "INC-", "INC-0", "0", "-1", "INC-12a", "ABC-12", True, -3])
def test_parse_incident_id_refuses(text):
    with pytest.raises(ValueError, match="INC-"):
        parse_incident_id(text)


@given(st.integers(min_value=1, max_value=10**15 - 1))
def test_ids_round_trip(number):
    text = format_incident_id(number)
    assert text.startswith("INC-")
    assert len(text) >= 10
    assert parse_incident_id(text) == number


# -- events -------------------------------------------------------------------------------------


def test_event_normalises_its_fields():
    e = event(
        category=Category.MODEL_EXTRACTION,
        severity=3,
        at=datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),
        taxonomy=("LLM10", Atlas.EXTRACT_ML_MODEL, "LLM10"),
        rule_ids=("a", "", "b", "a"),
        summary="x" * (MAX_SUMMARY_LENGTH + 50),
        statistic={"queries_per_min": 240, "threshold": 60.0, "window": "5m" * 500},
    )
    assert e.category == "model_extraction"
    assert type(e.category) is str
    assert e.severity is Severity.HIGH
    assert e.at == T0
    assert e.at.tzinfo is UTC
    assert e.taxonomy == (OwaspLlm.UNBOUNDED_CONSUMPTION, Atlas.EXTRACT_ML_MODEL)
    assert e.rule_ids == ("a", "b")
    assert len(e.summary) == MAX_SUMMARY_LENGTH
    assert e.statistic is not None
    assert len(str(e.statistic["window"])) == 200
    assert e.key == IncidentKey("alice", "chat", "model_extraction", "")


def test_event_rule_ids_are_bounded():
    e = event(rule_ids=tuple(f"r{i}" for i in range(100)))
    assert len(e.rule_ids) == MAX_EVENT_RULE_IDS
    assert e.rule_ids[0] == "r0"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"identity": ""}, "identity"),
        ({"identity": "x" * 513}, "identity"),
        ({"route": ""}, "route"),
        ({"category": "Prompt Injection"}, "category"),
        ({"category": ""}, "category"),
        ({"score": 1.5}, "score"),
        ({"score": -0.1}, "score"),
        ({"at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"audit_seq": -1}, "audit_seq"),
        ({"audit_seq": True}, "audit_seq"),
        ({"exchange_id": "a\nb"}, "exchange_id"),
        ({"rule_ids": ("r" * 201,)}, "rule ids"),
        ({"taxonomy": ("LLM99",)}, "unknown taxonomy id"),
        ({"statistic": {"x": float("nan")}}, "finite"),
        ({"statistic": {"x": [1, 2]}}, "numbers"),
        ({"statistic": {"": 1}}, "keys"),
        ({"statistic": {f"k{i}": i for i in range(33)}}, "entries"),
    ],
)
def test_event_refuses(change, message):
    with pytest.raises(ValueError, match=message):
        event(**change)


# -- audit links --------------------------------------------------------------------------------


def links(n: int) -> AuditLinks:
    out = AuditLinks()
    for seq in range(n):
        out = out.add(seq)
    return out


@pytest.mark.parametrize("n", [0, 1, FIRST_SEQS, FIRST_SEQS + 1, FIRST_SEQS + LAST_SEQS, 500])
def test_audit_links_keep_the_first_and_the_last(n):
    got = links(n)
    assert got.total == n
    assert got.first == tuple(range(min(n, FIRST_SEQS)))
    assert got.last == tuple(range(max(FIRST_SEQS, n - LAST_SEQS), n))
    assert len(got.seqs) == min(n, FIRST_SEQS + LAST_SEQS)
    assert got.truncated is (n > FIRST_SEQS + LAST_SEQS)


def test_audit_links_ignore_a_repeat_of_the_latest_seq():
    got = links(3).add(2).add(2)
    assert got.total == 3
    assert got.seqs == (0, 1, 2)


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=300))
def test_audit_links_stay_bounded(seqs):
    got = AuditLinks()
    for seq in seqs:
        got = got.add(seq)
    assert len(got.first) <= FIRST_SEQS
    assert len(got.last) <= LAST_SEQS
    assert got.total <= len(seqs)
    assert set(got.seqs) <= set(seqs)
    if seqs:
        assert got.seqs[-1] == seqs[-1]


# -- workflow table -----------------------------------------------------------------------------

S = IncidentStatus
A = ChangeAction


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.OPEN, A.ACKNOWLEDGED),
        (S.OPEN, A.ASSIGNED),
        (S.ACKNOWLEDGED, A.ASSIGNED),
        (S.OPEN, A.RESOLVED),
        (S.ACKNOWLEDGED, A.RESOLVED),
        (S.OPEN, A.FALSE_POSITIVE),
        (S.RESOLVED, A.FALSE_POSITIVE),
        (S.RESOLVED, A.REOPENED),
        (S.FALSE_POSITIVE, A.REOPENED),
        *((s, A.NOTED) for s in S),
    ],
)
def test_allowed_transitions(status, action):
    check_transition("INC-000001", status, action)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.ACKNOWLEDGED, A.ACKNOWLEDGED),
        (S.RESOLVED, A.ACKNOWLEDGED),
        (S.FALSE_POSITIVE, A.ACKNOWLEDGED),
        (S.RESOLVED, A.ASSIGNED),
        (S.RESOLVED, A.RESOLVED),
        (S.FALSE_POSITIVE, A.RESOLVED),
        (S.FALSE_POSITIVE, A.FALSE_POSITIVE),
        (S.OPEN, A.REOPENED),
        (S.ACKNOWLEDGED, A.REOPENED),
    ],
)
def test_refused_transitions_say_why(status, action):
    with pytest.raises(InvalidTransitionError, match=rf"INC-000001 is {status.value}: cannot"):
        check_transition("INC-000001", status, action)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("alice", True), ("  Bob Smith ", True), ("", False), ("   ", False), ("a\x1b[2J", False)],
)
def test_check_name(value, ok):
    if ok:
        assert check_name("owner", value) == value.strip()
    else:
        with pytest.raises(ValueError, match="owner"):
            check_name("owner", value)


@pytest.mark.parametrize(
    ("value", "limit", "ok"),
    [
        ("line 1\nline 2\tend", 100, True),
        ("x" * 10, 10, True),
        ("x" * 11, 10, False),
        ("bell\a", 10, False),
        ("  ", 10, False),
    ],
)
def test_check_text(value, limit, ok):
    if ok:
        assert check_text("note", value, limit) == value
    else:
        with pytest.raises(ValueError, match="note"):
            check_text("note", value, limit)


def test_change_audit_body_is_plain_json():
    change = IncidentChange(
        "INC-000009",
        IncidentKey("alice", "chat", "pii", "acme"),
        ChangeAction.ACKNOWLEDGED,
        "bob",
        T0,
        {"status": (S.OPEN, S.ACKNOWLEDGED), "severity": (None, Severity.HIGH), "at": (None, T0)},
    )
    assert change.to_audit_body() == {
        "incident": "INC-000009",
        "action": "acknowledged",
        "actor": "bob",
        "at": "2026-01-01T00:00:00.000Z",
        "identity": "alice",
        "tenant": "acme",
        "route": "chat",
        "category": "pii",
        "changes": {
            "status": {"from": "open", "to": "acknowledged"},
            "severity": {"from": None, "to": "high"},
            "at": {"from": None, "to": "2026-01-01T00:00:00+00:00"},
        },
        "detail": "",
    }
