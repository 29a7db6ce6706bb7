import re
from pathlib import Path

import pytest

from wardgate.compliance.controls import AIVERIFY_PRINCIPLES, CONTROLS, Strength, control
from wardgate.compliance.frameworks import AIVERIFY_ITEMS, Framework, requirement_title
from wardgate.core.finding import Category
from wardgate.core.taxonomy import ATLAS_VERSION

CATALOGUE = Path(__file__).resolve().parents[2].parent / "shared" / "docs" / "CONTROLS.md"


def _catalogue_rows() -> list[tuple[int, str, str]]:
    rows = []
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1], cells[2]))
    return rows


def _expand_atlas(text: str) -> set[str]:
    ids = set(re.findall(r"AML\.T\d{4}(?:\.\d{3})?", text))
    for base, subs in re.findall(r"(AML\.T\d{4}) \(([.\d/]+)\)", text):
        ids.update(base + s for s in subs.split("/"))
    return ids


def _after(prefix: str, text: str) -> set[str]:
    """Ids listed after ``prefix`` up to the next ';' (e.g. 'AIV 5.4.1, 9.3.1')."""
    out: set[str] = set()
    for chunk in re.findall(re.escape(prefix) + r"([^;]*)", text):
        out.update(re.findall(r"\d+(?:\.\d+)*", chunk))
    return out


@pytest.mark.skipif(not CATALOGUE.is_file(), reason="shared/docs/CONTROLS.md not present")
def test_catalogue_matches_the_shared_controls_table():
    rows = _catalogue_rows()
    assert [n for n, _, _ in rows] == list(range(1, 19))
    for number, title, maps in rows:
        c = control(number)
        assert c.title == title
        m = c.mappings
        assert set(m.owasp_llm) == set(re.findall(r"LLM\d\d", maps)), number
        assert set(m.owasp_api) == set(re.findall(r"\bAPI\d{1,2}\b", maps)), number
        assert set(m.atlas_techniques) == _expand_atlas(maps), number
        assert set(m.atlas_mitigations) == set(re.findall(r"AML\.M\d{4}", maps)), number
        assert set(m.aiverify) == _after("AIV ", maps), number
        rmf = set(re.findall(r"(?:GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+", maps))
        assert set(m.nist_ai_rmf) == rmf, number
        assert {a.removeprefix("Art. ") for a in m.eu_ai_act} == _after("EU Art. ", maps), number
        assert bool(m.nist_600_1) == ("600-1" in maps), number
        assert bool(m.mas) == ("MAS" in maps), number
        assert bool(m.au) == bool(re.search(r"\bAU (test|human)", maps)), number


def test_eighteen_controls_numbered_in_order_with_unique_refs():
    assert [c.number for c in CONTROLS] == list(range(1, 19))
    assert len({c.ref for c in CONTROLS}) == 18
    assert control(5).ref == "WG-05"
    with pytest.raises(KeyError):
        control(19)


@pytest.mark.parametrize("c", CONTROLS, ids=lambda c: c.ref)
def test_every_control_has_evidence_and_a_mapping(c):
    assert c.evidence
    assert c.mappings.by_framework()
    assert c.detection_categories <= {cat.value for cat in Category}


def test_every_referenced_clause_has_a_title():
    for c in CONTROLS:
        for pid in c.mappings.aiverify:
            assert pid in AIVERIFY_ITEMS
        for tid in c.mappings.atlas_techniques + c.mappings.atlas_mitigations:
            fw = Framework.ATLAS_TECHNIQUE if ".T" in tid else Framework.ATLAS_MITIGATION
            assert requirement_title(fw, tid) != tid
        for lid in c.mappings.owasp_llm:
            assert requirement_title(Framework.OWASP_LLM, lid) != lid
    assert requirement_title(Framework.OWASP_LLM, "LLM01") == "Prompt Injection"
    assert ATLAS_VERSION.startswith("v")


def test_ai_verify_principles_are_the_eleven_with_their_cids():
    assert [p.number for p in AIVERIFY_PRINCIPLES] == list(range(1, 12))
    assert all(p.cid.endswith("_process_checklist") for p in AIVERIFY_PRINCIPLES)
    strong = {p.number for p in AIVERIFY_PRINCIPLES if p.strength is Strength.STRONG}
    partly = {p.number for p in AIVERIFY_PRINCIPLES if p.strength is Strength.PARTIAL}
    assert strong == {3, 4, 5, 6, 9}
    assert partly == {1, 10}
    assert AIVERIFY_PRINCIPLES[4].cid == "security_process_checklist"
