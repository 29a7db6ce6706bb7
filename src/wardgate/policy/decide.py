"""decide(): the one place where findings, authorisation and configuration become a Verdict.

Detectors report; this function decides. The order is fixed and deliberate: an authorisation deny
wins (the caller may not make this call at all), then a detector failure on a fail-closed route,
then the strongest action any finding above the threshold asks for (block > redact > allow).
Every verdict names the policies that decided it, so the audit trail can say *why*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from wardgate.core.finding import Category, Finding
from wardgate.core.verdict import Action, Verdict
from wardgate.policy.authz import AuthzDecision

_RANK = {Action.ALLOW: 0, Action.REDACT: 1, Action.THROTTLE: 2, Action.BLOCK: 3}


class Reason(StrEnum):
    """Why a verdict is not ``allow``; the gateway picks the error it answers from this."""

    FORBIDDEN = "forbidden"  # the authorisation policy denied the call
    DETECTOR_FAILURE = "detector_failure"  # a detector failed and the route fails closed
    CONTENT = "content"  # findings in the content asked for it


def decide(
    findings: Sequence[Finding],
    *,
    action_for: Callable[[Category], Action],
    threshold: float,
    fail_closed: bool,
    authz: AuthzDecision | None = None,
    enforce: bool = True,
    policy_prefix: str = "route",
) -> Verdict:
    """The verdict for one phase of an exchange.

    ``finding_indexes`` lists the findings the action applies to (the spans to redact, or the
    findings that blocked); ``policy_ids`` the Cedar policies and configuration entries that
    decided (``<policy_prefix>.actions.<category>``, ``<policy_prefix>.fail_closed``).
    """
    if authz is not None and not authz.allowed:
        return Verdict(
            Action.BLOCK,
            policy_ids=authz.policy_ids,
            reasons=(Reason.FORBIDDEN.value, *authz.errors),
            enforced=enforce,
        )
    failed = [i for i, f in enumerate(findings) if f.category is Category.DETECTOR_ERROR]
    if failed and fail_closed:
        return Verdict(
            Action.BLOCK,
            policy_ids=(f"{policy_prefix}.fail_closed",),
            reasons=(Reason.DETECTOR_FAILURE.value,),
            finding_indexes=tuple(failed),
            enforced=enforce,
        )
    best = Action.ALLOW
    chosen: dict[Action, list[int]] = {}
    for i, f in enumerate(findings):
        if f.category is Category.DETECTOR_ERROR or f.score < threshold:
            continue
        action = action_for(f.category)
        if action is Action.ALLOW:
            continue
        chosen.setdefault(action, []).append(i)
        if _RANK[action] > _RANK[best]:
            best = action
    allowed_by = authz.policy_ids if authz is not None else ()
    if best is Action.ALLOW:
        return Verdict(Action.ALLOW, policy_ids=allowed_by, enforced=enforce)
    indexes = tuple(chosen[best])
    categories = tuple(dict.fromkeys(findings[i].category.value for i in indexes))
    return Verdict(
        best,
        policy_ids=(*allowed_by, *(f"{policy_prefix}.actions.{c}" for c in categories)),
        reasons=(Reason.CONTENT.value, *categories),
        finding_indexes=indexes,
        enforced=enforce,
    )


def stronger(first: Verdict, second: Verdict) -> Verdict:
    """The stronger of two verdicts (e.g. request and response phase); ties go to the later."""
    return second if _RANK[second.action] >= _RANK[first.action] else first
