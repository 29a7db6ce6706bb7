from __future__ import annotations

import hashlib
import hmac
import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.audit import records
from wardgate.audit.records import CanonicalJSONError, canonical_json, parse_canonical

WHEN = datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, False, None]}, '{"a":[true,false,null],"b":1}'),
        ({"a": {"d": 1, "c": "x"}}, '{"a":{"c":"x","d":1}}'),
        ("é\u2028\x7f", '"é\u2028\x7f"'),  # non-ASCII stays literal UTF-8
        ('\x00\x1f\b\t\n\f\r"\\/', '"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/"'),
        (1.0, "1"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1.5e16, "15000000000000000"),
        (-123.456, "-123.456"),
        (5e-324, "5e-324"),
        (2**53 - 1, "9007199254740991"),
        ((1, "x"), '[1,"x"]'),
        # RFC 8785 sorts by UTF-16 code units: U+1F600 (D83D DE00) sorts before U+E000
        ({"\ue000": 1, "\U0001f600": 2}, '{"\U0001f600":2,"\ue000":1}'),
    ],
)
def test_canonical_json_must_produce(value, expected: str) -> None:
    assert canonical_json(value) == expected.encode("utf-8")


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        {1: "x"},
        {("a",): 1},
        2**53,
        -(2**53),
        {"x": b"bytes"},
        {"x": {1, 2}},
        "\ud800",  # lone surrogate: not UTF-8
        datetime.now(UTC),
    ],
)
def test_canonical_json_must_reject(value) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


def test_canonical_json_bounds_nesting() -> None:
    deep: object = []
    for _ in range(records.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(CanonicalJSONError, match="nested"):
        canonical_json(deep)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',  # whitespace
        b'{"b":1,"a":2}',  # key order
        b'{"a":1.0}',  # number form
        b'{"a":NaN}',
        b'{"a":1,"a":2}',  # duplicate key
        b'"\\u00e9"',  # needless escape
        b"\xff",
        b"{",
    ],
)
def test_parse_canonical_rejects_non_canonical(data: bytes) -> None:
    with pytest.raises(CanonicalJSONError):
        parse_canonical(data)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_json)
def test_canonical_round_trip_and_idempotence(value) -> None:
    data = canonical_json(value)
    parsed = parse_canonical(data)
    assert canonical_json(parsed) == data
    assert parsed == value  # numbers compare by value: 1.0 reads back as 1
    assert b"\n" not in data.replace(b"\\n", b"")


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_round_trip_exactly(value: float) -> None:
    assert float(canonical_json(value)) == value


@given(st.dictionaries(st.text(), st.integers(0, 9), max_size=6))
def test_key_order_does_not_matter(value: dict[str, int]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert canonical_json(value) == canonical_json(reordered)


def test_record_encoding_matches_canonical_envelope() -> None:
    body = {"verdict": "block", "findings": [{"rule": "pi-1", "score": 0.93}]}
    data = records.encode_record(7, WHEN, records.DECISION, canonical_json(body))
    expected = {"seq": 7, "time": "2026-01-31T12:00:00.123Z", "kind": "decision", "body": body}
    assert data == canonical_json(expected)
    decoded = records.decode_record(data)
    assert decoded.seq == 7
    assert decoded.kind == "decision"
    assert decoded.body == body
    assert decoded.time == datetime(2026, 1, 31, 12, 0, 0, 123000, tzinfo=UTC)
    assert decoded.to_bytes() == data


@pytest.mark.parametrize(
    "value",
    [
        {"seq": 1, "time": "2026-01-31T12:00:00.000Z", "kind": "decision"},  # no body
        {"seq": -1, "time": "2026-01-31T12:00:00.000Z", "kind": "decision", "body": {}},
        {"seq": True, "time": "2026-01-31T12:00:00.000Z", "kind": "decision", "body": {}},
        {"seq": 1, "time": "yesterday", "kind": "decision", "body": {}},
        {"seq": 1, "time": "2026-01-31T12:00:00.000Z", "kind": "Bad Kind", "body": {}},
        {"seq": 1, "time": "2026-01-31T12:00:00.000Z", "kind": "decision", "body": []},
        {"seq": 1, "time": 5, "kind": "decision", "body": {}, "extra": 1},
        [1, 2],
    ],
)
def test_decode_record_rejects_bad_envelopes(value) -> None:
    with pytest.raises(CanonicalJSONError):
        records.decode_record(canonical_json(value))


@pytest.mark.parametrize("kind", ["", "Decision", "1x", "a b", "x" * 33, "décision"])
def test_bad_kinds(kind: str) -> None:
    with pytest.raises(ValueError, match="kind"):
        records.check_kind(kind)


def test_known_kinds_are_valid() -> None:
    for kind in records.KNOWN_KINDS:
        assert records.check_kind(kind) == kind


def test_time_format_is_utc_and_strict() -> None:
    local = WHEN.astimezone(timezone(timedelta(hours=5)))
    assert records.format_time(local) == "2026-01-31T12:00:00.123Z"
    with pytest.raises(ValueError, match="timezone"):
        records.format_time(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="time"):
        records.parse_time("2026-01-31T12:00:00+00:00")


def test_body_must_be_an_object_within_limits() -> None:
    with pytest.raises(CanonicalJSONError):
        records.canonical_body([1])  # type: ignore[arg-type]
    with pytest.raises(CanonicalJSONError, match="limit"):
        records.canonical_body({"x": "a" * records.MAX_RECORD_BYTES})


def test_text_digest_never_keeps_the_text() -> None:
    text = "my secret prompt: card 4111 1111 1111 1111"
    digest = records.text_digest(text)
    assert digest == {
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "chars": len(text),
    }
    keyed = records.text_digest(text, key=b"k" * 32)
    assert keyed["hmac-sha256"] == hmac.new(b"k" * 32, text.encode(), "sha256").hexdigest()
    assert "4111" not in json.dumps([digest, keyed])
