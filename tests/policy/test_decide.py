"""decide(): authorisation first, then fail-closed detector errors, then the strongest action."""

from __future__ import annotations

import pytest

from wardgate.core.finding import Category, Finding, Severity
from wardgate.core.verdict import Action, Verdict
from wardgate.gateway.config import DEFAULT_ACTIONS
from wardgate.policy.authz import AuthzDecision
from wardgate.policy.decide import Reason, decide, stronger


def f(category: Category, score: float = 0.9) -> Finding:
    return Finding("d", category, score, Severity.HIGH)


def action_for(category: Category) -> Action:
    return DEFAULT_ACTIONS[category]


@pytest.mark.parametrize(
    ("findings", "action", "indexes"),
    [
        ([], Action.ALLOW, ()),
        ([f(Category.PII)], Action.REDACT, (0,)),
        ([f(Category.PII), f(Category.PROMPT_INJECTION)], Action.BLOCK, (1,)),
        ([f(Category.PROMPT_INJECTION, 0.3)], Action.ALLOW, ()),  # below the threshold
        ([f(Category.OBFUSCATION)], Action.ALLOW, ()),  # allowed by default
        ([f(Category.SECRET), f(Category.PII, 0.6)], Action.REDACT, (0, 1)),
        ([f(Category.DETECTOR_ERROR)], Action.ALLOW, ()),  # fail open
    ],
)
def test_content_actions(findings: list[Finding], action: Action, indexes: tuple[int, ...]) -> None:
    verdict = decide(findings, action_for=action_for, threshold=0.5, fail_closed=False)
    assert verdict.action is action
    assert verdict.finding_indexes == indexes
    if action is not Action.ALLOW:
        assert verdict.reasons[0] == Reason.CONTENT.value
        assert all(p.startswith("route.actions.") for p in verdict.policy_ids)


def test_fail_closed_blocks_on_detector_error() -> None:
    verdict = decide(
        [f(Category.DETECTOR_ERROR)], action_for=action_for, threshold=0.5, fail_closed=True
    )
    assert verdict.action is Action.BLOCK
    assert verdict.reasons == (Reason.DETECTOR_FAILURE.value,)


def test_authorisation_deny_wins_and_names_policies() -> None:
    deny = AuthzDecision(allowed=False, policy_ids=("interns-mini-only",), errors=())
    verdict = decide([], action_for=action_for, threshold=0.5, fail_closed=False, authz=deny)
    assert verdict.action is Action.BLOCK
    assert verdict.policy_ids == ("interns-mini-only",)
    assert verdict.reasons[0] == Reason.FORBIDDEN.value


def test_monitor_mode_records_without_enforcing() -> None:
    verdict = decide(
        [f(Category.JAILBREAK)],
        action_for=action_for,
        threshold=0.5,
        fail_closed=False,
        enforce=False,
    )
    assert verdict.action is Action.BLOCK
    assert not verdict.enforced


def test_stronger_prefers_block_over_redact_over_allow() -> None:
    allow, redact, block = Verdict(Action.ALLOW), Verdict(Action.REDACT), Verdict(Action.BLOCK)
    assert stronger(allow, redact) is redact
    assert stronger(block, redact) is block
    assert stronger(redact, Verdict(Action.REDACT, reasons=("later",))).reasons == ("later",)
