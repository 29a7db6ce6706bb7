"""Generated persona prompts are benign; appended authority-tag instructions are attacks."""

from __future__ import annotations

import random

import pytest

from training.personas import _QUESTIONS, appended_injections, benign_personas
from wardgate.detect.classifier.labels import AttackClass


def test_personas_are_benign_varied_and_deterministic() -> None:
    a = benign_personas(random.Random(1), 300)
    assert a == benign_personas(random.Random(1), 300)
    assert {e.label for e in a} == {0}
    assert {e.cls for e in a} == {AttackClass.BENIGN}
    assert len({e.text for e in a}) > 250
    assert all(
        "act as" in e.text.lower()
        or "you are" in e.text.lower()
        or "role-play" in e.text.lower()
        or "pretend" in e.text.lower()
        or "imagine" in e.text.lower()
        or "play a game" in e.text.lower()
        for e in a
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_appended_injections_carry_a_tagged_instruction(seed: int) -> None:
    out = appended_injections(random.Random(seed), 200)
    assert {e.label for e in out} == {1}
    assert AttackClass.BENIGN not in {e.cls for e in out}
    assert {AttackClass.PROMPT_EXTRACTION, AttackClass.DIRECT_INJECTION} <= {e.cls for e in out}
    for e in out:
        assert any(q in e.text for q in _QUESTIONS)  # the ordinary request is still there
        assert len(e.text) < 300
