"""Status per control, derived from the evidence by explicit, documented rules.

Statuses:

* **met**: the evidence shows the control working for the whole window.
* **partial**: some of it is evidenced; ``missing`` says exactly what is not.
* **not met**: the evidence shows the control absent or failing.
* **not applicable**: Wardgate has no feature for this control, so the report neither claims
  nor denies it; the evidence must come from elsewhere (said in ``missing``).

Each rule is a small function of :class:`~wardgate.compliance.evidence.Evidence` with its text
in :data:`RULES`, which the report prints beside the status so an auditor can re-derive it.
Thresholds are in :class:`Thresholds`. A rule never rounds up: when the evidence an auditor
asks for is not recorded, the control is at most partial, even if the feature exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from wardgate.compliance.controls import CONTROLS, Control
from wardgate.compliance.evidence import Evidence


class Status(StrEnum):
    MET = "met"
    PARTIAL = "partial"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def score(self) -> float | None:
        """Conformance as a number (met 1, partial 0.5, not met 0); None when not applicable."""
        return {"met": 1.0, "partial": 0.5, "not_met": 0.0}.get(self.value)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The numbers the rules compare against."""

    authenticated_share: float = 0.99
    policy_share: float = 0.99
    response_scan_share: float = 0.99
    checkpoint_max_age_hours: float = 24.0
    incident_ack_share: float = 0.90


@dataclass(slots=True)
class Assessment:
    """One control's status, what was observed, and what is missing for ``met``."""

    control: Control
    status: Status
    rule: str
    observed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control.number,
            "ref": self.control.ref,
            "title": self.control.title,
            "status": self.status.value,
            "rule": self.rule,
            "observed": list(self.observed),
            "missing": list(self.missing),
            "notes": list(self.notes),
        }


RULES: dict[int, str] = {
    1: "met: an API inventory and an AI-model inventory exist, no model is unapproved or "
    "unjudged and no "
    "shadow endpoint is known; partial: either inventory, or models seen in traffic; "
    "not met: none.",
    2: "partial: decisions record the requested and answering model (version drift is "
    "visible); met needs model artefact hashes, which a gateway does not see; not met: no "
    "model recorded.",
    3: "met: >= {authenticated_share:.0%} of decisions authenticated and no route admits "
    "anonymous callers; partial: some decisions authenticated; not met: none, or no decisions.",
    4: "met: a policy set (hash and ids) is recorded, >= {policy_share:.0%} of decisions name "
    "their deciding policies and no route admits anonymous callers; partial: a policy set "
    "is recorded; not met: no policy set or no configuration snapshot.",
    5: "met: every route inspects in enforce mode, the detector version is recorded and a "
    "detection benchmark is present; partial: some route inspects (enforce or monitor); "
    "not met: no route inspects or no configuration snapshot.",
    6: "met: every route inspects in enforce mode (documents and tool output are scanned "
    "there); partial: some route inspects; not met: none.",
    7: "met: every route inspects in enforce mode, prompts and answers are logged only as "
    "digests and >= {response_scan_share:.0%} of responses were scanned completely; partial: "
    "some route inspects; not met: none.",
    8: "met: every route inspects in enforce mode and >= {response_scan_share:.0%} of "
    "responses were scanned completely; partial: some route inspects; not met: none.",
    9: "met: every route inspects in enforce mode and >= {response_scan_share:.0%} of "
    "responses were scanned completely; partial: some route inspects; not met: none.",
    10: "met: a request rate limit and a token budget are configured; partial: one of them; "
    "not met: neither, or no configuration snapshot.",
    11: "met: a request rate limit is configured and an extraction/anomaly detector is "
    "listed; partial: a request rate limit, or extraction detections; not met: neither.",
    12: "partial: routes forward only to configured upstream hosts (an allowlist for traffic "
    "through the gateway); met needs network egress blocking of direct calls, which a "
    "gateway cannot show; not met: no configuration snapshot.",
    13: "met: the log verifies offline with the given public key and the latest validly "
    "signed checkpoint is at most {checkpoint_max_age_hours:g} h older than the window's end; "
    "partial: signed checkpoints exist but no key was given, or the latest is older; "
    "not met: no audit log, no checkpoint, or verification failed.",
    14: "met: incident tracking is available and >= {incident_ack_share:.0%} of incidents "
    "opened in the window were acknowledged (or none was opened); partial: fewer were "
    "acknowledged; not met: no incident tracking.",
    15: "met: approval and kill-switch records are in the audit trail; partial: one of them; "
    "not met: neither (Wardgate has no such feature yet).",
    16: "not applicable: the gateway neither adds nor checks an AI-use disclosure; the "
    "application that faces users must evidence it.",
    17: "met: configuration snapshots are in the audit trail and every policy update names "
    "who made it; partial: some policy update is unattributed; not met: no configuration "
    "snapshot.",
    18: "met: red-team replay records are in the audit trail; partial: a detection benchmark "
    "is present (offline, not replayed through the gateway); not met: neither.",
}

RED_TEAM_KINDS = frozenset({"redteam", "red-team"})
APPROVAL_KINDS = frozenset({"approval"})
KILL_SWITCH_KINDS = frozenset({"killswitch", "kill-switch"})

_Result = tuple[Status, list[str], list[str], list[str]]
"""status, observed, missing, notes"""


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.2%}"


def _rate(limit: Any) -> str:
    """``{"requests": 600, "per_s": 60}`` as ``600 requests per 60 s``."""
    if not isinstance(limit, dict):
        return "none"
    amount = limit.get("requests", limit.get("tokens"))
    unit = "requests" if "requests" in limit else "tokens"
    return f"{amount} {unit} per {limit.get('per_s')} s"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} s"


def _no_config() -> _Result:
    return (
        Status.NOT_MET,
        [],
        ["no configuration snapshot (config record) in the audit trail up to the window's end"],
        [],
    )


def _inspection(ev: Evidence) -> tuple[Status, list[str], list[str]]:
    """Coverage of inspection: every route enforcing (met), some inspecting (partial)."""
    cfg = ev.config
    enforce, monitor, off = (
        cfg.routes_in_mode("enforce"),
        cfg.routes_in_mode("monitor"),
        cfg.routes_in_mode("off"),
    )
    observed = [
        f"{len(cfg.routes)} routes: {len(enforce)} enforce, {len(monitor)} monitor, {len(off)} off"
    ]
    missing = []
    if monitor:
        missing.append(f"routes in monitor mode (detect, never block): {', '.join(monitor)}")
    if off:
        missing.append(f"routes with inspection off: {', '.join(off)}")
    others = [r.name for r in cfg.routes if r.mode not in {"enforce", "monitor", "off"}]
    if others:
        missing.append(f"routes with an unrecorded mode: {', '.join(others)}")
    if cfg.routes and len(enforce) == len(cfg.routes):
        return Status.MET, observed, missing
    if enforce or monitor:
        return Status.PARTIAL, observed, missing
    if not cfg.routes:
        missing.append("no routes in the configuration snapshot")
    return Status.NOT_MET, observed, missing


def _detections(ev: Evidence, control: Control) -> list[str]:
    d = ev.decisions
    seen = {c: n for c, n in d.detections_by_category.items() if c in control.detection_categories}
    blocked = {c: n for c, n in d.blocked_by_category.items() if c in control.detection_categories}
    redacted = {
        c: n for c, n in d.redacted_by_category.items() if c in control.detection_categories
    }
    out = ["detections: " + (", ".join(f"{c} {n}" for c, n in seen.items()) or "none in window")]
    if blocked:
        out.append("blocked decisions: " + ", ".join(f"{c} {n}" for c, n in blocked.items()))
    if redacted:
        out.append("redacted decisions: " + ", ".join(f"{c} {n}" for c, n in redacted.items()))
    return out


def _response_scan(ev: Evidence, t: Thresholds) -> tuple[bool, list[str], list[str]]:
    share = ev.decisions.response_scan_share
    observed = [f"responses scanned completely: {_pct(share)}"]
    if share is None:
        return False, observed, ["decisions do not record whether responses were scanned"]
    if share < t.response_scan_share:
        gaps = ", ".join(f"{k} ({n})" for k, n in list(ev.decisions.response_scan_gaps.items())[:5])
        return False, observed, [f"responses not scanned completely: {gaps}"]
    return True, observed, []


def _c1(ev: Evidence, t: Thresholds) -> _Result:
    api, ai = ev.inventory.api, ev.inventory.ai_models
    observed, missing = [], []
    if api.available:
        observed.append(
            f"API inventory: {api.endpoints} endpoints, {api.ai_endpoints} AI endpoints, "
            f"{api.unauthenticated} without authentication"
        )
        if api.shadow is None:
            missing.append("shadow endpoints unknown: compare the inventory with a declared spec")
        elif api.shadow:
            missing.append(f"{api.shadow} shadow endpoints (called, never declared)")
    else:
        missing.append(f"API inventory not available: {api.reason}")
    if ai.available:
        observed.append(f"AI model inventory: {ai.models} models")
        if ai.unapproved is None:
            missing.append("the AI model inventory does not record approval")
        elif ai.unapproved:
            missing.append(f"{ai.unapproved} AI models unapproved (shadow AI)")
        if ai.unjudged:
            missing.append(f"{ai.unjudged} AI models never judged against an allowlist")
    else:
        missing.append(f"AI model inventory not available: {ai.reason}")
    models = ev.decisions.models
    if models:
        observed.append(f"models seen in traffic: {len(models)} ({', '.join(list(models)[:5])})")
    if api.available and ai.available and not missing:
        return Status.MET, observed, missing, []
    if api.available or ai.available or models:
        return Status.PARTIAL, observed, missing, []
    return Status.NOT_MET, observed, missing, []


def _c2(ev: Evidence, t: Thresholds) -> _Result:
    pinning = ev.decisions.model_pinning
    if not pinning:
        return Status.NOT_MET, [], ["no decision records the model it was sent to"], []
    observed = ["model versions: " + ", ".join(f"{k} {n}" for k, n in pinning.items())]
    missing = ["model artefact hashes: a gateway sees model names, not weights"]
    unpinned = pinning.get("alias resolved", 0) + pinning.get("mismatch", 0)
    if unpinned:
        missing.append(f"{unpinned} decisions answered by another version than requested")
    return Status.PARTIAL, observed, missing, []


def _c3(ev: Evidence, t: Thresholds) -> _Result:
    d = ev.decisions
    share = d.authenticated_share
    observed = [
        f"{d.authenticated} of {d.total} decisions authenticated ({_pct(share)})",
        f"authentication failures: {d.auth_failures} "
        f"({', '.join(f'{k} {n}' for k, n in d.auth_outcomes.items() if k != 'ok') or 'none'})",
    ]
    if ev.keys.created_without_expiry:
        observed.append(f"{ev.keys.created_without_expiry} keys created without expiry")
    missing = []
    anonymous = [r.name for r in ev.config.routes if r.anonymous]
    if anonymous:
        missing.append(f"routes admitting anonymous callers: {', '.join(anonymous)}")
    if not ev.config.present:
        missing.append("no configuration snapshot to show which routes require authentication")
    if share is None or share == 0:
        missing.append("no authenticated decision in the window")
        return Status.NOT_MET, observed, missing, []
    if share < t.authenticated_share:
        missing.append(f"authenticated share below {t.authenticated_share:.0%}")
    if not missing:
        return Status.MET, observed, missing, []
    return Status.PARTIAL, observed, missing, []


def _c4(ev: Evidence, t: Thresholds) -> _Result:
    cfg, d = ev.config, ev.decisions
    if not cfg.present:
        return _no_config()
    observed = [
        f"policy set sha256 {cfg.policy_sha256 or 'unrecorded'} with {len(cfg.policy_ids)} "
        "policies",
        f"decisions naming their deciding policies: {d.with_policy_ids} ({_pct(d.policy_share)})",
        f"denied decisions: {d.denied}",
    ]
    unprotected = cfg.unprotected_routes
    observed.append(
        f"unprotected routes: {len(unprotected)}"
        + (
            " (" + "; ".join(f"{n}: {', '.join(r)}" for n, r in unprotected.items()) + ")"
            if unprotected
            else ""
        )
    )
    if not cfg.policy_sha256 or not cfg.policy_ids:
        return Status.NOT_MET, observed, ["no policy set recorded"], []
    missing = []
    if d.policy_share is None:
        missing.append("no decisions in the window to show policies deciding")
    elif d.policy_share < t.policy_share:
        missing.append(f"fewer than {t.policy_share:.0%} of decisions name a deciding policy")
    anonymous = [r.name for r in cfg.routes if r.anonymous]
    if anonymous:
        missing.append(f"routes admitting anonymous callers: {', '.join(anonymous)}")
    return (Status.PARTIAL if missing else Status.MET), observed, missing, []


def _c5(ev: Evidence, t: Thresholds) -> _Result:
    if not ev.config.present:
        return _no_config()
    status, observed, missing = _inspection(ev)
    observed += _detections(ev, CONTROLS[4])
    version = ev.config.detection.get("version")
    observed.append(f"detector version: {version or 'unrecorded'}")
    if not version:
        missing.append("the configuration snapshot does not record the detector version")
    bench = ev.benchmarks
    if bench is not None and bench.detection_items:
        first = bench.detection_items[0]
        observed.append(
            f"benchmark ({bench.path}, sha256 {bench.sha256[:12]}): {first.criterion}: "
            f"{first.measured} (target {first.target})"
        )
    else:
        missing.append("no detection benchmark given (--benchmarks)")
    if status is Status.MET and missing:
        status = Status.PARTIAL
    return status, observed, missing, []


def _c6(ev: Evidence, t: Thresholds) -> _Result:
    if not ev.config.present:
        return _no_config()
    status, observed, missing = _inspection(ev)
    observed += _detections(ev, CONTROLS[5])
    documents = ev.decisions.detections_by_kind.get("document", 0)
    observed.append(f"detections in documents and tool output: {documents}")
    notes = ["decisions record detections, not the volume of documents scanned per source"]
    return status, observed, missing, notes


def _c7(ev: Evidence, t: Thresholds) -> _Result:
    if not ev.config.present:
        return _no_config()
    status, observed, missing = _inspection(ev)
    d = ev.decisions
    observed += _detections(ev, CONTROLS[6])
    observed.append(f"redactions: {d.redactions} in {d.redacted_decisions} decisions")
    observed.append(f"blocked responses: {d.response_blocks}")
    fields = ", ".join(f"{k} {n}" for k, n in d.text_fields.items()) or "none"
    observed.append(f"prompts and answers in the log: {fields}")
    raw = d.text_fields.get("raw", 0)
    if raw:
        missing.append(f"{raw} prompts or answers are logged as something other than a digest")
    scanned, obs, miss = _response_scan(ev, t)
    observed += obs
    missing += miss
    if status is Status.MET and (raw or not scanned):
        status = Status.PARTIAL
    return status, observed, missing, []


def _response_control(index: int) -> Callable[[Evidence, Thresholds], _Result]:
    def rule(ev: Evidence, t: Thresholds) -> _Result:
        if not ev.config.present:
            return _no_config()
        status, observed, missing = _inspection(ev)
        observed += _detections(ev, CONTROLS[index])
        scanned, obs, miss = _response_scan(ev, t)
        observed += obs
        missing += miss
        if status is Status.MET and not scanned:
            status = Status.PARTIAL
        return status, observed, missing, []

    return rule


def _c10(ev: Evidence, t: Thresholds) -> _Result:
    if not ev.config.present:
        return _no_config()
    limits, d = ev.config.limits, ev.decisions
    rate, budget = limits.get("requests"), limits.get("tokens")
    observed = [
        f"request rate limit: {_rate(rate)}",
        f"token budget: {_rate(budget)}",
        f"throttled decisions: {d.throttled}",
        f"tokens recorded: {d.tokens_input} in, {d.tokens_output} out, over "
        f"{len(d.tokens_by_principal)} top principals",
    ]
    missing = []
    if not rate:
        missing.append("no request rate limit configured")
    if not budget:
        missing.append("no token budget configured")
    notes = ["cost is not recorded; token counts stand in for spend"]
    if not missing:
        return Status.MET, observed, missing, notes
    if rate or budget:
        return Status.PARTIAL, observed, missing, notes
    return Status.NOT_MET, observed, missing, notes


def _c11(ev: Evidence, t: Thresholds) -> _Result:
    rate = ev.config.limits.get("requests") if ev.config.present else None
    detectors = ev.config.detection.get("detectors")
    names = [str(x).lower() for x in detectors] if isinstance(detectors, list) else []
    anomaly = [n for n in names if "extraction" in n or "anomal" in n]
    observed = [f"per-caller request rate limit: {_rate(rate)}"]
    observed += _detections(ev, CONTROLS[10])
    seen = ev.decisions.detections_by_category.get("model_extraction", 0)
    missing = []
    if not anomaly:
        missing.append("no per-principal extraction/anomaly detector in the configuration")
    if not rate:
        missing.append("no request rate limit configured")
    if rate and anomaly:
        return Status.MET, observed, missing, []
    if rate or seen:
        return Status.PARTIAL, observed, missing, []
    return Status.NOT_MET, observed, missing, []


def _c12(ev: Evidence, t: Thresholds) -> _Result:
    if not ev.config.present:
        return _no_config()
    hosts = sorted({r.upstream_host for r in ev.config.routes if r.upstream_host})
    observed = [f"allowed upstream hosts: {', '.join(hosts) or 'none recorded'}"]
    observed.append(
        "providers in traffic: "
        + (", ".join(f"{k} {n}" for k, n in ev.decisions.providers.items()) or "none")
    )
    missing = [
        "network egress blocking of direct calls to AI providers (outside the gateway)",
    ]
    if not hosts:
        missing.append("routes do not record their upstream hosts")
    return Status.PARTIAL, observed, missing, []


def _c13(ev: Evidence, t: Thresholds) -> _Result:
    cp, log = ev.checkpoints, ev.log
    if not log.present:
        return Status.NOT_MET, [], ["no audit log in this database"], []
    observed = [
        f"{log.records} records in the log ({log.origin or 'origin unrecorded'})",
        f"{cp.count} checkpoints, latest size {cp.latest_size} at {cp.latest_time}",
    ]
    if not cp.readable:
        return Status.NOT_MET, observed, ["no signed checkpoint"], []
    if cp.verified is None:
        return (
            Status.PARTIAL,
            observed,
            ["not verified: run the report with --public-key (the trusted checkpoint key)"],
            [],
        )
    if not cp.verified:
        problems = cp.problems or [cp.verify_error or "verification failed"]
        return Status.NOT_MET, observed, ["verification failed: " + "; ".join(problems)], []
    observed.append(
        f"verified offline with public key sha256 {cp.key_sha256}: {cp.valid_checkpoints} valid "
        f"checkpoints cover {cp.verified_size} records ({cp.unverified_records} newer records "
        "not yet covered)"
    )
    if cp.latest_valid_time is None:
        return Status.PARTIAL, observed, ["no checkpoint signed by the given key"], []
    end = min(ev.until or ev.generated_at, ev.generated_at)
    age = _parse(end) - _parse(cp.latest_valid_time)
    if age > timedelta(hours=t.checkpoint_max_age_hours):
        hours = age.total_seconds() / 3600
        return (
            Status.PARTIAL,
            observed,
            [
                f"latest valid checkpoint is {hours:.1f} h older than the window's end "
                f"(limit {t.checkpoint_max_age_hours:g} h)"
            ],
            [],
        )
    return Status.MET, observed, [], []


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _c14(ev: Evidence, t: Thresholds) -> _Result:
    inc = ev.incidents
    if not inc.tracking_available:
        reason = inc.store.reason or "no incident store"
        return Status.NOT_MET, [], [f"no incident tracking ({reason}); no incident records"], []
    observed = [
        f"incidents opened in window: {inc.opened}, acknowledged {inc.acknowledged}, "
        f"resolved {inc.resolved} ({inc.false_positive} false positives)",
        f"time to acknowledge: mean {_seconds(inc.mean_ack_s)}, median "
        f"{_seconds(inc.median_ack_s)}; to resolve: mean {_seconds(inc.mean_resolve_s)}, "
        f"median {_seconds(inc.median_resolve_s)}",
    ]
    if inc.store.available:
        observed.append(
            "incident store: "
            + (", ".join(f"{k} {n}" for k, n in inc.store.by_status.items()) or "no counts")
        )
    notes = ["telling end users about incidents (AI Verify 1.5.1) is an organisational process"]
    if inc.opened == 0:
        return Status.MET, observed, [], notes
    share = inc.acknowledged / inc.opened
    if share >= t.incident_ack_share:
        return Status.MET, observed, [], notes
    return (
        Status.PARTIAL,
        observed,
        [f"only {share:.0%} of incidents acknowledged (need {t.incident_ack_share:.0%})"],
        notes,
    )


def _c15(ev: Evidence, t: Thresholds) -> _Result:
    kinds = set(ev.log.in_window)
    approvals, kills = bool(kinds & APPROVAL_KINDS), bool(kinds & KILL_SWITCH_KINDS)
    observed = [f"approval records: {'yes' if approvals else 'none'}"]
    observed.append(f"kill-switch records: {'yes' if kills else 'none'}")
    missing = []
    if not approvals:
        missing.append("no human approval step recorded by the gateway")
    if not kills:
        missing.append("no kill-switch activation recorded by the gateway")
    if approvals and kills:
        return Status.MET, observed, missing, []
    if approvals or kills:
        return Status.PARTIAL, observed, missing, []
    return Status.NOT_MET, observed, missing, ["Wardgate has no approval or kill-switch feature"]


def _c16(ev: Evidence, t: Thresholds) -> _Result:
    return (
        Status.NOT_APPLICABLE,
        [],
        ["evidence of AI-use disclosure must come from the user-facing application"],
        ["the gateway neither adds nor checks a disclosure in responses"],
    )


def _c17(ev: Evidence, t: Thresholds) -> _Result:
    cfg = ev.config
    if not cfg.present:
        return _no_config()
    observed = [
        f"configuration in force: sha256 {cfg.config_sha256} ({cfg.snapshot_event} at "
        f"{cfg.snapshot_time})",
        f"configuration snapshots in window: {cfg.changes_in_window} "
        f"({cfg.distinct_config_hashes} distinct)",
        f"policy updates in window: {cfg.policy_updates_in_window}",
    ]
    if cfg.unattributed_policy_updates:
        return (
            Status.PARTIAL,
            observed,
            [f"{cfg.unattributed_policy_updates} policy updates do not name who made them"],
            [],
        )
    return Status.MET, observed, [], []


def _c18(ev: Evidence, t: Thresholds) -> _Result:
    replays = sum(n for k, n in ev.log.in_window.items() if k in RED_TEAM_KINDS)
    observed = [f"red-team replay records: {replays}"]
    bench = ev.benchmarks
    if bench is not None and bench.detection_items:
        observed.append(
            f"detection benchmark: {len(bench.detection_items)} figures ({bench.path}, "
            f"sha256 {bench.sha256[:12]})"
        )
    if replays:
        return Status.MET, observed, [], []
    missing = ["no scheduled attack replay through the gateway is recorded"]
    if bench is not None and bench.detection_items:
        return Status.PARTIAL, observed, missing, []
    return Status.NOT_MET, observed, [*missing, "no detection benchmark given"], []


_RULE_FUNCTIONS: dict[int, Callable[[Evidence, Thresholds], _Result]] = {
    1: _c1,
    2: _c2,
    3: _c3,
    4: _c4,
    5: _c5,
    6: _c6,
    7: _c7,
    8: _response_control(7),
    9: _response_control(8),
    10: _c10,
    11: _c11,
    12: _c12,
    13: _c13,
    14: _c14,
    15: _c15,
    16: _c16,
    17: _c17,
    18: _c18,
}


def rule_text(number: int, thresholds: Thresholds = Thresholds()) -> str:
    """The rule for control ``number`` with the thresholds filled in."""
    return RULES[number].format(
        authenticated_share=thresholds.authenticated_share,
        policy_share=thresholds.policy_share,
        response_scan_share=thresholds.response_scan_share,
        checkpoint_max_age_hours=thresholds.checkpoint_max_age_hours,
        incident_ack_share=thresholds.incident_ack_share,
    )


def assess_control(
    number: int, evidence: Evidence, thresholds: Thresholds = Thresholds()
) -> Assessment:
    """Apply control ``number``'s rule to ``evidence``."""
    status, observed, missing, notes = _RULE_FUNCTIONS[number](evidence, thresholds)
    return Assessment(
        control=CONTROLS[number - 1],
        status=status,
        rule=rule_text(number, thresholds),
        observed=observed,
        missing=missing,
        notes=notes,
    )


def assess(evidence: Evidence, thresholds: Thresholds = Thresholds()) -> list[Assessment]:
    """All 18 controls, in catalogue order."""
    return [assess_control(c.number, evidence, thresholds) for c in CONTROLS]


def summary(assessments: list[Assessment]) -> dict[str, int]:
    """How many controls have each status (every status present, possibly 0)."""
    out = {s.value: 0 for s in Status}
    for a in assessments:
        out[a.status.value] += 1
    return out
