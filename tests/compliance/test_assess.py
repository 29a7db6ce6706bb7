from collections.abc import Callable

import pytest

from wardgate.compliance.assess import (
    RULES,
    Status,
    Thresholds,
    assess,
    assess_control,
    rule_text,
    summary,
)
from wardgate.compliance.benchmarks import BenchmarkEvidence, BenchmarkItem
from wardgate.compliance.evidence import Evidence, RouteInfo
from wardgate.compliance.sources import AiModelInventory, ApiInventory, IncidentStoreStats

MET, PARTIAL, NOT_MET, NA = Status.MET, Status.PARTIAL, Status.NOT_MET, Status.NOT_APPLICABLE


def _route(name: str = "chat", mode: str = "enforce", anonymous: bool = False) -> RouteInfo:
    return RouteInfo(name, "openai", mode, True, anonymous, "api.openai.com")


def good() -> Evidence:
    """Evidence under which every control a gateway can meet is met."""
    ev = Evidence(
        generated_at="2026-03-03T12:00:00.000Z",
        database="w.db",
        since=None,
        until=None,
    )
    ev.log.present, ev.log.records, ev.log.origin = True, 100, "wardgate.audit/x"
    d = ev.decisions
    d.total = d.authenticated = d.with_policy_ids = 100
    d.response_scan = {"complete": 100}
    d.text_fields = {"sha256": 200}
    d.models = {"gpt-4o": 100}
    d.model_pinning = {"pinned": 100}
    cfg = ev.config
    cfg.snapshot_time, cfg.snapshot_event = "2026-03-01T00:00:00.000Z", "start"
    cfg.config_sha256, cfg.policy_sha256, cfg.policy_ids = "1" * 64, "2" * 64, ["p"]
    cfg.routes = [_route()]
    cfg.detection = {"version": "wg-1", "detectors": ["signatures", "extraction-anomaly"]}
    cfg.limits = {"requests": {"requests": 10, "per_s": 1}, "tokens": {"tokens": 9, "per_s": 1}}
    cp = ev.checkpoints
    cp.count = cp.readable = 1
    cp.verified, cp.valid_checkpoints, cp.verified_size = True, 1, 100
    cp.latest_valid_time = "2026-03-03T06:00:00.000Z"
    ev.incidents.store = IncidentStoreStats(True)
    ev.inventory.api = ApiInventory(True, endpoints=3, ai_endpoints=1, shadow=0, zombie=0)
    ev.inventory.ai_models = AiModelInventory(True, models=1, unapproved=0, unjudged=0)
    ev.benchmarks = BenchmarkEvidence(
        "docs/benchmarks.md",
        "ab" * 32,
        items=[BenchmarkItem("s", "recall", ">= 90%", "93%", None, "detection")],
    )
    return ev


BASELINE = {
    1: MET,
    2: PARTIAL,
    3: MET,
    4: MET,
    5: MET,
    6: MET,
    7: MET,
    8: MET,
    9: MET,
    10: MET,
    11: MET,
    12: PARTIAL,
    13: MET,
    14: MET,
    15: NOT_MET,
    16: NA,
    17: MET,
    18: PARTIAL,
}


def test_baseline():
    assert {a.control.number: a.status for a in assess(good())} == BASELINE


def _set(path: str, value: object) -> Callable[[Evidence], None]:
    def change(ev: Evidence) -> None:
        *parents, leaf = path.split(".")
        target: object = ev
        for p in parents:
            target = getattr(target, p)
        setattr(target, leaf, value)

    return change


def _no_config(ev: Evidence) -> None:
    ev.config.snapshot_time = None


CASES: list[tuple[int, str, Callable[[Evidence], None], Status]] = [
    (1, "shadow unknown", _set("inventory.api.shadow", None), PARTIAL),
    (1, "unapproved model", _set("inventory.ai_models.unapproved", 2), PARTIAL),
    (1, "unjudged model", _set("inventory.ai_models.unjudged", 1), PARTIAL),
    (
        1,
        "nothing at all",
        lambda ev: (
            _set("inventory.api", ApiInventory(False))(ev),
            _set("inventory.ai_models", AiModelInventory(False))(ev),
            _set("decisions.models", {})(ev),
        ),
        NOT_MET,
    ),
    (2, "no model recorded", _set("decisions.model_pinning", {}), NOT_MET),
    (3, "98% authenticated", _set("decisions.authenticated", 98), PARTIAL),
    (3, "anonymous route", _set("config.routes", [_route(anonymous=True)]), PARTIAL),
    (3, "none authenticated", _set("decisions.authenticated", 0), NOT_MET),
    (3, "no decisions", _set("decisions.total", 0), NOT_MET),
    (4, "no config", _no_config, NOT_MET),
    (4, "no policy set", _set("config.policy_ids", []), NOT_MET),
    (4, "policies rarely named", _set("decisions.with_policy_ids", 50), PARTIAL),
    (4, "anonymous route", _set("config.routes", [_route(anonymous=True)]), PARTIAL),
    (5, "a route in monitor", _set("config.routes", [_route(), _route("b", "monitor")]), PARTIAL),
    (5, "every route off", _set("config.routes", [_route(mode="off")]), NOT_MET),
    (5, "no benchmark", _set("benchmarks", None), PARTIAL),
    (5, "no detector version", _set("config.detection", {}), PARTIAL),
    (5, "no config", _no_config, NOT_MET),
    (6, "a route off", _set("config.routes", [_route(), _route("b", "off")]), PARTIAL),
    (6, "no routes", _set("config.routes", []), NOT_MET),
    (7, "raw text logged", _set("decisions.text_fields", {"sha256": 1, "raw": 1}), PARTIAL),
    (
        7,
        "responses partly scanned",
        _set("decisions.response_scan", {"complete": 90, "partial": 10}),
        PARTIAL,
    ),
    (7, "every route off", _set("config.routes", [_route(mode="off")]), NOT_MET),
    (8, "response scan unrecorded", _set("decisions.response_scan", {"unrecorded": 5}), PARTIAL),
    (9, "a route in monitor", _set("config.routes", [_route(mode="monitor")]), PARTIAL),
    (
        10,
        "no token budget",
        _set("config.limits", {"requests": {"requests": 1, "per_s": 1}}),
        PARTIAL,
    ),
    (10, "no limits", _set("config.limits", {}), NOT_MET),
    (11, "no anomaly detector", _set("config.detection", {"version": "x"}), PARTIAL),
    (11, "nothing", _set("config.limits", {}), NOT_MET),
    (12, "no config", _no_config, NOT_MET),
    (13, "no key given", _set("checkpoints.verified", None), PARTIAL),
    (13, "verification failed", _set("checkpoints.verified", False), NOT_MET),
    (
        13,
        "stale checkpoint",
        _set("checkpoints.latest_valid_time", "2026-03-01T00:00:00.000Z"),
        PARTIAL,
    ),
    (13, "no checkpoint", _set("checkpoints.readable", 0), NOT_MET),
    (13, "no audit log", _set("log.present", False), NOT_MET),
    (14, "no tracking", _set("incidents.store", IncidentStoreStats(False, "absent")), NOT_MET),
    (
        14,
        "half acknowledged",
        lambda ev: (_set("incidents.opened", 10)(ev), _set("incidents.acknowledged", 5)(ev)),
        PARTIAL,
    ),
    (
        14,
        "all acknowledged",
        lambda ev: (_set("incidents.opened", 10)(ev), _set("incidents.acknowledged", 10)(ev)),
        MET,
    ),
    (
        15,
        "approvals and kill switch",
        _set("log.in_window", {"approval": 1, "kill-switch": 1}),
        MET,
    ),
    (15, "approvals only", _set("log.in_window", {"approval": 3}), PARTIAL),
    (17, "unattributed policy change", _set("config.unattributed_policy_updates", 1), PARTIAL),
    (17, "no config", _no_config, NOT_MET),
    (18, "red-team replays recorded", _set("log.in_window", {"redteam": 4}), MET),
    (18, "no benchmark", _set("benchmarks", None), NOT_MET),
]


@pytest.mark.parametrize(
    ("number", "change", "expected"),
    [(n, c, e) for n, _, c, e in CASES],
    ids=[f"{n}-{label}" for n, label, _, _ in CASES],
)
def test_each_rule(number, change, expected):
    ev = good()
    change(ev)
    result = assess_control(number, ev)
    assert result.status is expected
    if expected is not MET:
        assert result.missing, "a status short of met must say what is missing"


def test_every_rule_can_fail():
    failing = {n for n, _, _, e in CASES if e in {PARTIAL, NOT_MET}} | {15, 16}
    assert failing == set(range(1, 19))


def test_thresholds_change_the_outcome():
    ev = good()
    ev.decisions.authenticated = 80
    assert assess_control(3, ev).status is PARTIAL
    assert assess_control(3, ev, Thresholds(authenticated_share=0.8)).status is MET
    ev.checkpoints.latest_valid_time = "2026-03-01T12:00:00.000Z"
    assert assess_control(13, ev).status is PARTIAL
    assert assess_control(13, ev, Thresholds(checkpoint_max_age_hours=72)).status is MET


def test_rules_are_documented_with_thresholds_filled_in():
    assert set(RULES) == set(range(1, 19))
    assert ">= 99% of decisions authenticated" in rule_text(3)
    assert "at most 6 h older" in rule_text(13, Thresholds(checkpoint_max_age_hours=6))
    assert all("{" not in rule_text(n) for n in RULES)


def test_summary_counts_every_status():
    counts = summary(assess(good()))
    assert counts == {"met": 13, "partial": 3, "not_met": 1, "not_applicable": 1}
    assert Status.NOT_MET.label == "not met"
    assert Status.PARTIAL.score == 0.5
    assert Status.NOT_APPLICABLE.score is None
