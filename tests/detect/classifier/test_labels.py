"""Mapping corpus labels and upstream sub-types onto the classifier's five classes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.detect.classifier.labels import CLASS_NAMES, AttackClass, class_of

B = AttackClass.BENIGN
DIRECT = AttackClass.DIRECT_INJECTION
INDIRECT = AttackClass.INDIRECT_INJECTION
JAIL = AttackClass.JAILBREAK
EXTRACT = AttackClass.PROMPT_EXTRACTION


@pytest.mark.parametrize(
    ("label", "category", "expected"),
    [
        # the sub-types named in the corpus's own vocabulary
        (1, "indirect_injection/latent/X", INDIRECT),
        (1, "rag_poisoning", INDIRECT),
        (1, "memory-poisoning/long_term", INDIRECT),
        (1, "web_injection", INDIRECT),
        (1, "latentinjection", INDIRECT),
        (1, "jailbreak/dan", JAIL),
        (1, "persona_replacement", JAIL),
        (1, "role_hijack", JAIL),
        (1, "many_shot", JAIL),
        (1, "policy_evasion/fiction", JAIL),
        (1, "prompt_extraction/direct_requests", EXTRACT),
        (1, "password_extraction/direct", EXTRACT),
        (1, "system_prompt_leak", EXTRACT),
        (1, "sysprompt", EXTRACT),
        (1, "model_fingerprint", EXTRACT),
        (1, "obfuscation/encoding/InjectBase64", DIRECT),
        (1, "attack", DIRECT),
        (1, "goal_hijacking", DIRECT),
        (1, "", DIRECT),
        # jailbreak words count only as whole words (separated by / _ - or space)
        (1, "dan", JAIL),
        (1, "DAN", JAIL),
        (1, "garak/AutoDAN", JAIL),
        (1, "tap-attack", JAIL),
        (1, "roleplay game", JAIL),
        (1, "crescendo", JAIL),
        (1, "adversarial_suffix", JAIL),
        (1, "abundant_instructions", DIRECT),
        (1, "mistapped_keys", DIRECT),
        # precedence: indirect, then extraction, then jailbreak
        (1, "latent_jailbreak", INDIRECT),
        (1, "jailbreak_prompt_extraction", EXTRACT),
        (1, "indirect/password_extraction", INDIRECT),
        # the label decides benign, whatever the category says
        (0, "", B),
        (0, "jailbreak/dan", B),
        (0, "indirect_injection/latent/X", B),
    ],
)
def test_class_of_table(label: int, category: str, expected: AttackClass) -> None:
    assert class_of(label, category) is expected


@given(category=st.text(max_size=40))
def test_benign_label_is_always_benign(category: str) -> None:
    assert class_of(0, category) is AttackClass.BENIGN


@given(category=st.text(max_size=40))
def test_attack_label_is_never_benign(category: str) -> None:
    assert class_of(1, category) is not AttackClass.BENIGN


def test_class_names_follow_the_head_order() -> None:
    assert CLASS_NAMES == (
        "benign",
        "direct_injection",
        "indirect_injection",
        "jailbreak",
        "prompt_extraction",
    )
    assert [int(c) for c in AttackClass] == list(range(len(CLASS_NAMES)))
