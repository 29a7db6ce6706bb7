"""Every rule's own examples: each ``match`` must fire that rule, each ``no_match`` must not."""

from __future__ import annotations

import pytest

from wardgate.detect.signatures.matcher import matcher_for
from wardgate.detect.signatures.pack import Pack, load_pack

PACK: Pack = load_pack()
MATCHER = matcher_for(PACK)
INDEX = {packed.rule.id: i for i, packed in enumerate(PACK.rules)}

MATCH_CASES = [
    pytest.param(p.rule.id, text, id=f"{p.rule.id}-match-{n}")
    for p in PACK.rules
    for n, text in enumerate(p.rule.match)
]
NO_MATCH_CASES = [
    pytest.param(p.rule.id, text, id=f"{p.rule.id}-no_match-{n}")
    for p in PACK.rules
    for n, text in enumerate(p.rule.no_match)
]


def _fired(text: str) -> set[int]:
    return {hit.rule for hit in MATCHER.scan(text)}


@pytest.mark.parametrize(("rule_id", "text"), MATCH_CASES)
def test_rule_matches_its_examples(rule_id: str, text: str) -> None:
    assert INDEX[rule_id] in _fired(text)


@pytest.mark.parametrize(("rule_id", "text"), NO_MATCH_CASES)
def test_rule_does_not_match_its_near_misses(rule_id: str, text: str) -> None:
    assert INDEX[rule_id] not in _fired(text)


def test_every_family_is_loaded() -> None:
    assert {
        "override",
        "role_spoofing",
        "extraction",
        "jailbreak",
        "exfiltration",
        "encoding",
        "active_content",
        "indirect",
    } <= PACK.families


def test_core_families_cover_required_languages() -> None:
    required = {"en", "zh", "ja", "ko", "es", "fr", "de", "pt", "ru", "id", "vi", "th", "hi"}
    for family in ("override", "extraction", "jailbreak"):
        languages = {lang for p in PACK.rules if p.family == family for lang in p.rule.languages}
        assert required <= languages, (family, sorted(required - languages))
