"""The classes the attack classifier tells apart, and how corpus sub-types map onto them.

One softmax over five classes: ``benign`` and four attack kinds. The attack score is
``1 - p(benign)``; the most likely attack class names the finding's category. Obfuscated payloads
are not a class of their own: the pipeline decodes them and the decoded text is what is judged.
"""

from __future__ import annotations

import re
from enum import IntEnum


class AttackClass(IntEnum):
    """Output index of the classifier head."""

    BENIGN = 0
    DIRECT_INJECTION = 1
    INDIRECT_INJECTION = 2
    JAILBREAK = 3
    PROMPT_EXTRACTION = 4


CLASS_NAMES: tuple[str, ...] = tuple(c.name.lower() for c in AttackClass)

_INDIRECT = ("indirect", "latent", "rag_poisoning", "memory-poisoning", "web_injection")
_EXTRACTION = ("extraction", "leak", "password", "sysprompt", "fingerprint")
_JAILBREAK_WORDS = frozenset({"dan", "autodan", "tap", "roleplay", "crescendo", "adversarial"})
_JAILBREAK = ("jailbreak", "persona", "role_hijack", "many_shot", "policy_evasion")


def class_of(label: int, category: str) -> AttackClass:
    """Map a corpus row's label and upstream sub-type to a class (unknown attacks are direct)."""
    if not label:
        return AttackClass.BENIGN
    cat = category.lower()
    if any(k in cat for k in _INDIRECT):
        return AttackClass.INDIRECT_INJECTION
    if any(k in cat for k in _EXTRACTION):
        return AttackClass.PROMPT_EXTRACTION
    words = set(re.split(r"[/_\-\s]+", cat))
    if any(k in cat for k in _JAILBREAK) or words & _JAILBREAK_WORDS:
        return AttackClass.JAILBREAK
    return AttackClass.DIRECT_INJECTION
