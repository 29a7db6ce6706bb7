"""The traffic simulator at a tiny scale: deterministic, and its attackers are attackers."""

from __future__ import annotations

from pathlib import Path

from bench.traffic_sim import ATTACK_KINDS, build_actors, main, replay, tables
from wardgate.abuse.settings import AbuseSettings

LIGHT = ("chat_user", "mobile_user", "agent")


def summary(seed: int) -> list[tuple[str, int, int | None]]:
    actors = build_actors(seed, 12, 1, 3, normal_kinds=LIGHT, stealth=("overt",))
    result = replay(actors, AbuseSettings())
    return [(a.subject, a.requests, a.first_detection) for a in result.actors]


def test_same_seed_same_run() -> None:
    first = summary(3)
    assert first == summary(3)
    assert first != summary(5)


def test_every_attack_kind_is_simulated_and_reported(tmp_path: Path) -> None:
    actors = build_actors(4, 12, 1, 3, normal_kinds=LIGHT, stealth=("overt",))
    result = replay(actors, AbuseSettings())
    attackers = [a for a in result.actors if a.attacker]
    assert {a.kind for a in attackers} == set(ATTACK_KINDS)
    assert all(a.attack_requests > 0 for a in attackers)
    assert all(a.first_detection is not None for a in attackers)  # overt ones are caught
    assert not any(a.detectors for a in result.actors if not a.attacker)
    attack, normal = tables(result, 4, 3)
    assert len(attack.rows) == 15
    assert normal.rows[-1][0] == "all normal"
    out = tmp_path / "sim.md"
    args = ["--seed", "4", "--normal", "0", "--attackers", "1", "--days", "3", "--stealth", "overt"]
    assert main([*args, "--markdown", str(out)]) == 0
    assert "| model_extraction | overt | 1 | 1 | 100% |" in out.read_text()
