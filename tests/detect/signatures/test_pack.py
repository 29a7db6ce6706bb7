"""Rule-pack loading fails loudly on every kind of authoring mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardgate.detect.signatures.matcher import Matcher, matcher_for
from wardgate.detect.signatures.pack import PackError, load_pack, parse_rule_file

GOOD_RULE = """
rules:
  - id: test.example.rule
    category: prompt_injection
    severity: high
    score: 0.8
    tags: [LLM01, AML.T0051.000]
    languages: [en]
    pattern: 'zebra\\s+crossing'
    match: [zebra crossing, Zebra  Crossing]
    no_match: [zebra]
"""


def _write(tmp_path: Path, text: str, name: str = "extra.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_extra_file_loads_and_matches(tmp_path: Path) -> None:
    pack = load_pack([], extra_paths=[_write(tmp_path, GOOD_RULE)])
    assert [p.rule.id for p in pack.rules] == ["test.example.rule"]
    assert pack.rules[0].family == "extra"
    hits = Matcher(pack).scan("a ZEBRA crossing here")
    assert [(h.start, h.end) for h in hits] == [(2, 16)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("severity: high", "severity: extreme"), "severity"),
        (("[LLM01, AML.T0051.000]", "[LLM99]"), "unknown taxonomy id"),
        (("score: 0.8", "score: 1.5"), "score"),
        (("category: prompt_injection", "category: spam"), "category"),
        (("    no_match: [zebra]\n", "    no_match: [zebra]\n    colour: red\n"), "colour"),
        (("match: [zebra crossing, Zebra  Crossing]", "match: [zebra crossing]"), "match"),
        (("languages: [en]", "languages: [English]"), "ISO 639"),
        (("id: test.example.rule", "id: NoDots"), "dotted lowercase"),
    ],
)
def test_invalid_rules_fail_at_load(change: tuple[str, str], message: str) -> None:
    text = GOOD_RULE.replace(*change)
    with pytest.raises(PackError, match=message):
        parse_rule_file(text, "test.yaml")


def test_invalid_yaml_fails() -> None:
    with pytest.raises(PackError, match="invalid YAML"):
        parse_rule_file("rules: [\n", "broken.yaml")


def test_duplicate_ids_fail(tmp_path: Path) -> None:
    a = _write(tmp_path, GOOD_RULE, "a.yaml")
    b = _write(tmp_path, GOOD_RULE, "b.yaml")
    with pytest.raises(PackError, match="duplicate rule id"):
        load_pack([], extra_paths=[a, b])


def test_bad_regex_names_the_rule(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_RULE.replace("zebra\\s+crossing", "zebra(crossing"))
    with pytest.raises(PackError, match=r"test\.example\.rule.*invalid pattern"):
        Matcher(load_pack([], extra_paths=[path]))


def test_lookaround_is_rejected_with_rule_name(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_RULE.replace("zebra\\s+crossing", "zebra(?=crossing)"))
    with pytest.raises(PackError, match=r"test\.example\.rule"):
        Matcher(load_pack([], extra_paths=[path]))


def test_unknown_family_and_unknown_disabled_rule_fail() -> None:
    with pytest.raises(PackError, match="unknown rule families"):
        load_pack(["no_such_family"])
    with pytest.raises(PackError, match="cannot disable unknown rules"):
        load_pack(disabled_rules=["pi.nope"])


def test_empty_pack_fails_to_compile() -> None:
    with pytest.raises(PackError, match="empty"):
        Matcher(load_pack([]))


def test_matcher_is_cached_by_content() -> None:
    assert matcher_for(load_pack()) is matcher_for(load_pack())


def test_compiled_database_is_cached_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("WARDGATE_CACHE_DIR", str(cache))
    monkeypatch.delenv("WARDGATE_NO_DISK_CACHE", raising=False)
    pack = load_pack([], extra_paths=[_write(tmp_path, GOOD_RULE)])
    first = Matcher(pack)
    files = list(cache.glob("signatures-*.hsdb"))
    assert len(files) == 1
    second = Matcher(pack)  # loaded from disk
    assert [h.rule for h in second.scan("zebra crossing")] == [0]
    assert [h.rule for h in first.scan("zebra crossing")] == [0]
    files[0].write_bytes(b"corrupt" * 10)  # a damaged cache entry is recompiled, not trusted
    assert [h.rule for h in Matcher(pack).scan("zebra crossing")] == [0]


def test_disk_cache_keeps_only_the_newest_packs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from wardgate.detect.signatures.matcher import CACHE_KEEP

    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("WARDGATE_CACHE_DIR", str(cache))
    monkeypatch.delenv("WARDGATE_NO_DISK_CACHE", raising=False)
    for i in range(6):  # older compiled packs from earlier rule versions
        stale = cache / f"signatures-old{i}.hsdb"
        stale.write_bytes(b"x")
        os.utime(stale, (1_000_000 + i, 1_000_000 + i))
    Matcher(load_pack([], extra_paths=[_write(tmp_path, GOOD_RULE)]))
    left = sorted(p.name for p in cache.glob("signatures-*.hsdb"))
    assert len(left) == CACHE_KEEP
    assert "signatures-old5.hsdb" in left  # newest stale ones survive
    assert "signatures-old0.hsdb" not in left
