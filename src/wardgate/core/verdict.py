"""Verdicts: the one decision the policy makes about an exchange."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """What the gateway does with the exchange. Monitor mode computes it but does not apply it."""

    ALLOW = "allow"
    REDACT = "redact"
    THROTTLE = "throttle"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The policy's decision, with the policy ids and finding indexes that decided it.

    ``enforced`` is False in monitor mode: the verdict is recorded as if applied, and the exchange
    passes unchanged.
    """

    action: Action
    policy_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    finding_indexes: tuple[int, ...] = ()
    enforced: bool = True

    @classmethod
    def allow(cls) -> Verdict:
        return cls(Action.ALLOW)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "policy_ids": list(self.policy_ids),
            "reasons": list(self.reasons),
            "finding_indexes": list(self.finding_indexes),
            "enforced": self.enforced,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            action=Action(data["action"]),
            policy_ids=tuple(data.get("policy_ids", ())),
            reasons=tuple(data.get("reasons", ())),
            finding_indexes=tuple(int(i) for i in data.get("finding_indexes", ())),
            enforced=bool(data.get("enforced", True)),
        )
