"""AI Verify process-checklist input blocks, filled in from the gateway's evidence.

AI Verify (aiverify-foundation/aiverify, stock plugin ``aiverify.stock.process_checklist``)
stores each principle's checklist as an input block ``{"gid", "cid", "name", "group", "data"}``
whose ``data`` holds ``completed-<pid>`` (``Yes`` / ``No`` / ``Not Applicable``) and
``elaboration-<pid>`` per item, ``pid`` being the item's dotted id (``5.5.1``); that is the
shape the plugin's own JSON import produces. We answer only items a control maps to, and only
for the principles a gateway can evidence; everything else is left for the organisation.

An item's answer follows the statuses of the controls mapped to it: ``Yes`` when every one is
met, ``Not Applicable`` when every one is not applicable, otherwise ``No``, with the observed
evidence and what is missing in the elaboration (at most :data:`MAX_ELABORATION` characters).
"""

from __future__ import annotations

import json
from typing import Any

from wardgate.compliance.assess import Assessment, Status
from wardgate.compliance.controls import AIVERIFY_PRINCIPLES, CONTROLS, AiVerifyPrinciple, Strength
from wardgate.compliance.frameworks import AIVERIFY_ITEMS
from wardgate.compliance.report import Report

GID = "aiverify.stock.process_checklist"
MAX_ELABORATION = 4096
DEFAULT_GROUP = "Wardgate gateway evidence"
SCHEMA = "wardgate.aiverify-input-blocks/1"


def _principle_of(pid: str) -> int:
    return int(pid.split(".", 1)[0])


def _items_by_principle() -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for c in CONTROLS:
        for pid in c.mappings.aiverify:
            items = out.setdefault(_principle_of(pid), [])
            if pid not in items:
                items.append(pid)
    for items in out.values():
        items.sort(key=lambda p: tuple(int(x) for x in p.split(".")))
    return out


def _answer(assessments: list[Assessment]) -> str:
    statuses = {a.status for a in assessments}
    if statuses == {Status.MET}:
        return "Yes"
    if statuses == {Status.NOT_APPLICABLE}:
        return "Not Applicable"
    return "No"


def _clip(text: str, limit: int = MAX_ELABORATION) -> str:
    if len(text) <= limit:
        return text
    suffix = " ... (clipped)"
    return text[: limit - len(suffix)].rstrip() + suffix


def _elaboration(report: Report, pid: str, assessments: list[Assessment]) -> str:
    parts = [
        f"Evidence from Wardgate's audit trail, {report.window_text} "
        f"(generated {report.evidence.generated_at}; "
        + (
            "log verified offline against signed checkpoints"
            if report.evidence.checkpoints.verified
            else "log not verified with a public key"
        )
        + ")."
    ]
    for a in assessments:
        parts.append(
            f"Control {a.control.number} ({a.control.title}): {a.status.label}. "
            + " ".join(f"{o}." for o in a.observed)
        )
        if a.missing:
            parts.append("Missing: " + "; ".join(a.missing) + ".")
    return _clip(" ".join(parts))


def _block(
    report: Report, principle: AiVerifyPrinciple, pids: list[str], group: str
) -> dict[str, Any]:
    data: dict[str, str] = {}
    for pid in pids:
        assessments = [report.assessment(c.number) for c in CONTROLS if pid in c.mappings.aiverify]
        data[f"completed-{pid}"] = _answer(assessments)
        data[f"elaboration-{pid}"] = _elaboration(report, pid, assessments)
    return {
        "gid": GID,
        "cid": principle.cid,
        "name": f"{principle.name} Process Checklist",
        "group": group,
        "data": data,
    }


def input_blocks(report: Report, group: str = DEFAULT_GROUP) -> list[dict[str, Any]]:
    """One input block per principle the gateway evidences (strongly or partly)."""
    items = _items_by_principle()
    return [
        _block(report, p, items[p.number], group)
        for p in AIVERIFY_PRINCIPLES
        if p.strength is not Strength.NONE and items.get(p.number)
    ]


def render_aiverify(report: Report, group: str = DEFAULT_GROUP) -> bytes:
    """The input blocks, with the items' titles and the principles not evidenced, as JSON."""
    blocks = input_blocks(report, group)
    answered = sorted(
        {
            k.removeprefix("completed-")
            for b in blocks
            for k in b["data"]
            if k.startswith("completed-")
        },
        key=lambda p: tuple(int(x) for x in p.split(".")),
    )
    document = {
        "schema": SCHEMA,
        "generator": f"wardgate {report.version}",
        "generated_at": report.evidence.generated_at,
        "window": {"since": report.evidence.since, "until": report.evidence.until},
        "input_blocks": blocks,
        "items": {pid: AIVERIFY_ITEMS.get(pid, "") for pid in answered},
        "not_evidenced": [
            {"principle": p.number, "name": p.name, "cid": p.cid, "why": p.reason}
            for p in AIVERIFY_PRINCIPLES
            if p.strength is Strength.NONE
        ],
        "note": "Only items a gateway can evidence are answered; the organisation completes the "
        "rest of each checklist. Principles listed in not_evidenced cannot be evidenced from "
        "gateway traffic.",
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
