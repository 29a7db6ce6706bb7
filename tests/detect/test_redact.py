"""Redaction: modes, merged overlaps, consistent numbering, and no raw values in the mapping."""

from __future__ import annotations

import pytest

from wardgate.core import Category, Finding, Severity, Span
from wardgate.detect.redact import (
    RedactionMode,
    Redactor,
    finding_kind,
    mask_value,
    redact,
    redacted_excerpt,
)

KEY = b"k" * 32


def finding(text: str, value: str, rule_id: str, *, occurrence: int = 0, score: float = 0.9):
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(value, start + 1)
    category = Category.SECRET if rule_id.startswith("secret") else Category.PII
    return Finding(
        "t", category, score, Severity.HIGH, Span(start, start + len(value)), rule_id=rule_id
    )


TEXT = "Mail a.b@example.org or A.B@Example.org, card 4000 0012 3456 7899, again a.b@example.org."
EMAIL1 = finding(TEXT, "a.b@example.org", "pii.email")
EMAIL2 = finding(TEXT, "A.B@Example.org", "pii.email")
EMAIL3 = finding(TEXT, "a.b@example.org", "pii.email", occurrence=1)
CARD = finding(TEXT, "4000 0012 3456 7899", "pii.card")
ALL = [CARD, EMAIL3, EMAIL1, EMAIL2]  # deliberately out of order


def test_placeholder_mode_numbers_distinct_values_consistently():
    result = redact(TEXT, ALL, "placeholder")
    assert result.text == "Mail [EMAIL_1] or [EMAIL_1], card [CARD_1], again [EMAIL_1]."
    assert [r.kind for r in result.replacements] == ["EMAIL", "EMAIL", "CARD", "EMAIL"]


def test_placeholder_numbers_differ_for_different_values():
    text = "x@a.io y@b.io x@a.io"
    fs = [finding(text, "x@a.io", "pii.email"), finding(text, "y@b.io", "pii.email"),
          finding(text, "x@a.io", "pii.email", occurrence=1)]  # fmt: skip
    assert redact(text, fs).text == "[EMAIL_1] [EMAIL_2] [EMAIL_1]"


def test_mask_mode_keeps_last_four_of_cards():
    result = redact(TEXT, [CARD], RedactionMode.MASK)
    assert "************7899" in result.text
    assert "4000" not in result.text


def test_hash_mode_is_keyed_and_consistent():
    a = Redactor(KEY).redact(TEXT, ALL, "hash")
    b = Redactor(b"z" * 32).redact(TEXT, ALL, "hash")
    tokens = [r.replacement for r in a.replacements]
    assert tokens[0] == tokens[1] == tokens[3]  # same address, case folded
    assert tokens[0].startswith("[EMAIL:")
    assert len(tokens[0]) == len("[EMAIL:]") + 12
    assert tokens != [r.replacement for r in b.replacements]
    assert "example" not in a.text


def test_hash_mode_requires_a_strong_key():
    with pytest.raises(ValueError, match="key"):
        redact(TEXT, ALL, "hash")
    with pytest.raises(ValueError, match="16 bytes"):
        Redactor(b"short")


def test_overlapping_spans_merge_into_one_region():
    text = "token=sk-abcdefghijklmnopqrstuvwx end"
    generic = Finding(
        "t", Category.SECRET, 0.7, Severity.HIGH, Span(0, 30), rule_id="secret.assignment"
    )
    specific = Finding(
        "t", Category.SECRET, 0.9, Severity.CRITICAL, Span(6, 33), rule_id="secret.sk_api_key"
    )
    result = redact(text, [generic, specific])
    assert result.text == "[SK_API_KEY_1] end"
    (r,) = result.replacements
    assert r.span == Span(0, 33)
    assert r.new_span == Span(0, 14)
    assert r.rule_ids == ("secret.assignment", "secret.sk_api_key")


def test_mapping_never_contains_raw_values_and_new_spans_point_at_replacements():
    result = redact(TEXT, ALL, "placeholder")
    for r in result.replacements:
        assert TEXT[r.span.start : r.span.end] not in r.replacement
        assert result.text[r.new_span.start : r.new_span.end] == r.replacement


def test_findings_without_span_or_outside_text_are_ignored():
    no_span = Finding("t", Category.PII, 0.9, Severity.HIGH, None, rule_id="pii.email")
    outside = Finding("t", Category.PII, 0.9, Severity.HIGH, Span(500, 510), rule_id="pii.email")
    assert redact("hello", [no_span, outside]).text == "hello"
    assert redact("", []).text == ""


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [("CARD", "4000-0012-3456-7899", "************7899"),
     ("EMAIL", "jane@mail.example.org", "***@***.org"),
     ("SG_NRIC", "S7654321A", "*********"), ("PHONE", "+65 6123 4567", "*********67"),
     ("OPENAI_KEY", "abc", "****")],
)  # fmt: skip
def test_mask_value(kind, value, masked):
    assert mask_value(kind, value) == masked


def test_redacted_excerpt_reveals_only_a_short_prefix():
    assert redacted_excerpt("sk-proj-" + "a" * 43, 4) == "sk-p…[REDACTED len=51]"
    assert redacted_excerpt("hunter2!", 4) == "hu…[REDACTED len=8]"
    assert redacted_excerpt("secretvalue", 0) == "…[REDACTED len=11]"


def test_finding_kind_from_rule_id_or_category():
    assert finding_kind(EMAIL1) == "EMAIL"
    bare = Finding("t", Category.SYSTEM_PROMPT_LEAK, 0.9, Severity.HIGH, Span(0, 1))
    assert finding_kind(bare) == "SYSTEM_PROMPT_LEAK"


def test_lone_surrogates_hash_without_error():
    text = "\ud800secret\udfff"
    f = Finding("t", Category.SECRET, 0.9, Severity.HIGH, Span(0, len(text)), rule_id="secret.x")
    assert Redactor(KEY).redact(text, [f], "hash").text.startswith("[X:")
