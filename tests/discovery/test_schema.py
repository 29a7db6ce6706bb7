"""Schema inference: types, formats, required, enums, bounds, merging, persistence, speed.

The property tests check the two promises that matter downstream: a sketch never raises on any
JSON value, and the schema it renders accepts every value it was built from (checked with the
``jsonschema`` package, formats asserted, plus independent parsers for the formats ``jsonschema``
does not check without optional packages).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import random
import time
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from wardgate.discovery import schema as schema_module
from wardgate.discovery.schema import (
    FORMATS,
    MAX_ARRAY_ITEMS,
    MAX_DEPTH,
    MAX_DISTINCT,
    MAX_PROPERTIES,
    SAMPLE_EVERY,
    STABLE_AFTER,
    ParameterSketch,
    SchemaSketch,
    enum_candidate,
    string_format,
)

CHECKER = FormatChecker()


def sketch_of(*values: Any) -> SchemaSketch:
    sketch = SchemaSketch()
    for value in values:
        sketch.observe(value)
    return sketch


def infer(*values: Any) -> dict[str, Any]:
    return sketch_of(*values).to_json_schema()


def independent_format_check(fmt: str, value: str) -> bool:
    """The format, checked with the standard library rather than the sketch's own regexes."""
    if fmt == "date-time":
        parsed = datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return parsed.tzinfo is not None and "T" in value.upper()
    if fmt == "date":
        datetime.date.fromisoformat(value)
        return len(value) == 10
    if fmt == "uuid":
        return str(uuid.UUID(value)) == value.lower()
    if fmt == "ipv4":
        ipaddress.IPv4Address(value)
        return True
    if fmt == "ipv6":
        ipaddress.IPv6Address(value)
        return True
    if fmt == "email":
        local, _, domain = value.rpartition("@")
        return bool(local) and "." in domain and " " not in value
    if fmt == "uri":
        return value[:1].isalpha() and ":" in value and " " not in value
    if fmt == "byte":
        return len(base64.b64decode(value, validate=True)) > 0
    raise AssertionError(fmt)


def assert_validates(schema: dict[str, Any], values: list[Any]) -> None:
    validator = Draft202012Validator(schema, format_checker=CHECKER)
    for value in values:
        errors = list(validator.iter_errors(value))
        assert not errors, (value, schema, errors[0].message)
    for fmt_schema, strings in _formats_in(schema, values):
        for s in strings:
            assert independent_format_check(fmt_schema, s), (fmt_schema, s)


def _formats_in(schema: dict[str, Any], values: list[Any]) -> list[tuple[str, list[str]]]:
    """(format, the strings that must have it) for every node of ``schema``."""
    found: list[tuple[str, list[str]]] = []
    if "format" in schema:
        found.append((schema["format"], [v for v in values if isinstance(v, str)]))
    for key, sub in schema.get("properties", {}).items():
        found += _formats_in(sub, [v[key] for v in values if isinstance(v, dict) and key in v])
    if "items" in schema:
        items = [i for v in values if isinstance(v, list) for i in v]
        found += _formats_in(schema["items"], items)
    return found


# --- types, required -----------------------------------------------------------------------------

TYPE_CASES = [
    ([1, 2, 3], {"type": "integer"}),
    ([1, 2.5], {"type": "number"}),
    ([1.0], {"type": "number"}),
    ([True, False], {"type": "boolean"}),
    (["a", None], {"type": ["null", "string"]}),
    ([None], {"type": "null"}),
    ([1, "a", None], {"type": ["null", "integer", "string"]}),
    ([[]], {"type": "array"}),
    ([[1, 2], ["x"]], {"type": "array", "items": {"type": ["integer", "string"]}}),
    ([{}], {"type": "object"}),
    (
        [{"a": 1, "b": "x"}, {"a": 2}],
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["a"],
        },
    ),
    (
        [{"a": {"b": None}}, {"a": {"b": 1.5}}],
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "object",
                    "properties": {"b": {"type": ["null", "number"]}},
                    "required": ["b"],
                }
            },
            "required": ["a"],
        },
    ),
    (
        [{"a": 1}, []],
        {"type": ["object", "array"], "properties": {"a": {"type": "integer"}}, "required": ["a"]},
    ),
]


@pytest.mark.parametrize(("values", "expected"), TYPE_CASES)
def test_types_and_required(values, expected):
    schema = infer(*values)
    assert schema == expected
    assert_validates(schema, values)


def test_nothing_observed_is_the_empty_schema():
    assert SchemaSketch().to_json_schema() == {}


def test_bool_is_not_integer():
    assert infer(True, 1)["type"] == ["boolean", "integer"]


# --- formats -------------------------------------------------------------------------------------

MUST_FORMAT = [
    ("date-time", ["2024-01-15T10:30:00Z", "2023-12-31T23:59:59.123456+08:00", "2024-02-29T00:00:00-05:30"]),
    ("date", ["2024-01-15", "1999-12-31", "2024-02-29"]),
    ("email", ["jane.doe@acme-mail.net", "ops+alerts@corp.co.uk"]),
    ("uuid", ["3f2b8c1e-9a4d-4b6e-8f00-1234567890ab", "00000000-0000-0000-0000-000000000000"]),
    ("uri", ["https://api.example.com/v1/x?y=1", "urn:isbn:0451450523", "s3://bucket/key"]),
    ("ipv4", ["10.0.0.1", "255.255.255.255", "8.8.8.8"]),
    ("ipv6", ["::1", "2001:db8::8a2e:370:7334", "fe80::1"]),
    ("byte", [base64.b64encode(b"\x00\xffsome binary payload!").decode(), "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ="]),
]  # fmt: skip

MUST_NOT_FORMAT = [
    "2024-02-30",  # no such day
    "2024-13-01",
    "2024-01-15T10:30:00",  # no offset: not RFC 3339
    "2024-01-15 10:30:00Z",
    "3f2b8c1e-9a4d-4b6e-8f00-1234567890",
    "jane@localhost",
    "not an email@x.com",
    "mailto-ish: jane",
    "256.1.1.1",
    "01.2.3.4",
    "12:30",
    "abcdefghijklmnopqrstuvwx",  # base64 alphabet, but nothing says it is base64
    "/api/v1/users/abcdefghijkl",
    "hello",
    "",
]


@pytest.mark.parametrize(("fmt", "values"), MUST_FORMAT)
def test_formats_inferred(fmt, values):
    schema = infer(*values)
    assert schema["format"] == fmt
    if fmt == "byte":
        assert schema["contentEncoding"] == "base64"
    assert_validates(schema, values)


@pytest.mark.parametrize("value", MUST_NOT_FORMAT)
def test_no_format_for_look_alikes(value):
    assert FORMATS[string_format(value)] == ""
    assert "format" not in infer(value)


def test_one_odd_value_drops_the_format():
    assert "format" not in infer("2024-01-15", "2024-01-16", "soon")
    assert "format" not in infer("2024-01-15", "2024-01-15T10:30:00Z")  # date and date-time differ


# --- enums ---------------------------------------------------------------------------------------


def repeated(values: list[str], times: int) -> list[str]:
    return [v for _ in range(times) for v in values]


def test_enum_needs_few_values_seen_often():
    assert infer(*repeated(["paid", "pending", "refunded"], 7))["enum"] == [
        "paid",
        "pending",
        "refunded",
    ]
    assert "enum" not in infer(*repeated(["paid", "pending"], 9))  # 18 observations: too few
    many = [f"state_{chr(97 + i)}" for i in range(11)]
    assert "enum" not in infer(*repeated(many, 2))  # 11 distinct: too many


def test_enum_with_null_lists_null():
    schema = infer(*repeated(["a", "b"], 10), None)
    assert schema["type"] == ["null", "string"]
    assert schema["enum"] == ["a", "b", None]
    assert_validates(schema, ["a", None])


def test_no_enum_when_other_types_share_the_node():
    assert "enum" not in infer(*repeated(["a", "b"], 10), 3)


MUST_NOT_ENUM = [
    "ord_8f3k2j9",  # identifiers
    "3f2b8c1e-9a4d-4b6e-8f00-1234567890ab",
    "123456",
    "cus_NffrFeUfNV2Hib",
    "S7654321D",
    "leave at the door",  # free text
    "jane@acme-mail.net",  # personal data
    "+6561234567",
    "4111-1111-1111-1111",
    "1990-01-31",  # a date (of birth?)
    "x" * 65,  # long
    "tab\there",
]


@pytest.mark.parametrize("value", MUST_NOT_ENUM)
def test_never_an_enum_of_identifiers_text_or_sensitive_values(value):
    assert not enum_candidate(value)
    sketch = sketch_of(*repeated([value, "other"], 15))
    assert "enum" not in sketch.to_json_schema()
    assert value not in json.dumps(sketch.to_dict())  # and the value was not kept


@pytest.mark.parametrize("name", ["password", "newPassword", "cvv", "email", "api_key", "dob"])
def test_sensitive_field_names_never_become_enums(name):
    sketch = sketch_of(*({name: v} for v in repeated(["hunter2", "letmein"], 15)))
    assert "enum" not in sketch.to_json_schema()["properties"][name]
    assert "hunter2" not in json.dumps(sketch.to_dict())


def test_raw_values_are_not_kept():
    bodies = [
        {"id": f"ord_{i:06d}x", "email": f"user{i}@acme-mail.net", "note": f"call me at {i}"}
        for i in range(50)
    ]
    dumped = json.dumps(sketch_of(*bodies).to_dict())
    for body in bodies:
        for value in body.values():
            assert value not in dumped


# --- bounds --------------------------------------------------------------------------------------


def test_depth_is_bounded():
    value: Any = "leaf"
    for _ in range(MAX_DEPTH + 10):
        value = {"a": value}
    schema = infer(value)
    depth = 0
    node = schema
    while "properties" in node:
        node = node["properties"]["a"]
        depth += 1
    assert depth == MAX_DEPTH
    assert node == {"type": "object"}
    assert_validates(schema, [value])


def test_properties_are_bounded_and_spill_into_additional_properties():
    wide = {f"field_{chr(97 + i // 26)}{chr(97 + i % 26)}": i for i in range(MAX_PROPERTIES + 20)}
    schema = infer(wide)
    assert len(schema["properties"]) == MAX_PROPERTIES
    assert schema["additionalProperties"] == {"type": "integer"}
    assert_validates(schema, [wide])


def test_data_keys_share_additional_properties():
    values = [
        {"users": {"8f3ka92b1c": {"n": 1}, "jane@acme-mail.net": {"n": 2}, "2024-01-15": {"n": 3}}},
        {"users": {"3f2b8c1e-9a4d-4b6e-8f00-1234567890ab": {"n": 4}}},
    ]
    sketch = sketch_of(*values)
    users = sketch.to_json_schema()["properties"]["users"]
    assert "properties" not in users
    assert users["additionalProperties"]["properties"] == {"n": {"type": "integer"}}
    dumped = json.dumps(sketch.to_dict())
    assert "jane@acme-mail.net" not in dumped
    assert "8f3ka92b1c" not in dumped
    assert_validates(sketch.to_json_schema(), values)


def test_distinct_values_are_bounded():
    sketch = sketch_of(*[f"state{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(500)])
    assert '"e": null' in json.dumps(sketch.to_dict())


def test_arrays_are_sampled():
    value = [1] * MAX_ARRAY_ITEMS + ["late"]
    assert infer(value)["items"] == {"type": "integer"}  # past the sample: not seen


def test_node_budget_bounds_memory(monkeypatch):
    monkeypatch.setattr(schema_module, "MAX_NODES", 50)
    sketch = sketch_of({f"k{chr(97 + i % 26)}{chr(97 + i // 26)}": {"x": i} for i in range(200)})
    assert len(json.dumps(sketch.to_dict())) < 5000


# --- sampling ------------------------------------------------------------------------------------


def test_sampling_admits_everything_until_stable_then_one_in_n():
    sketch = SchemaSketch()
    body = {"a": 1, "b": "x"}
    for _ in range(STABLE_AFTER + 1):
        assert sketch.observe_sampled(body)
    assert sketch.stable
    admitted = sum(sketch.observe_sampled(body) for _ in range(SAMPLE_EVERY * 10))
    assert admitted == 10
    # A change makes every body count again.
    while not sketch.observe_sampled({"a": 1, "b": "x", "c": True}):
        pass
    assert not sketch.stable
    assert sketch.sample_due()


# --- merge and persistence -----------------------------------------------------------------------


def test_merge_combines_counts_required_and_enums():
    a = sketch_of(*({"s": "x", "a": 1} for _ in range(10)))
    b = sketch_of(*({"s": "y"} for _ in range(10)))
    merged = a.copy().merge(b).to_json_schema()
    assert merged["required"] == ["s"]
    assert merged["properties"]["s"]["enum"] == ["x", "y"]
    assert merged == b.copy().merge(a).to_json_schema()
    assert a.to_json_schema()["required"] == ["a", "s"]  # the inputs are untouched


def test_round_trip_through_json():
    sketch = sketch_of(*({"id": i, "tags": ["a"], "when": "2024-01-15"} for i in range(30)))
    data = json.loads(json.dumps(sketch.to_dict()))
    loaded = SchemaSketch.from_dict(data)
    assert loaded.to_json_schema() == sketch.to_json_schema()
    assert loaded.to_dict() == sketch.to_dict()
    assert loaded.observations == 30


BAD_STATES = [
    {},
    {"version": 99, "root": {}},
    {"version": 1, "root": []},
    {"version": 1, "root": {"n": -1}},
    {"version": 1, "root": {"n": 1, "t": ["string", "text"]}},
    {"version": 1, "root": {"n": 1, "f": "credit-card"}},
    {"version": 1, "root": {"n": 1, "e": {"a": 0}}},
    {"version": 1, "root": {"n": 1, "e": {f"v{i}": 1 for i in range(MAX_DISTINCT + 1)}}},
    {"version": 1, "root": {"n": 1, "p": {f"k{i}": {} for i in range(MAX_PROPERTIES + 1)}}},
    {"version": 1, "root": {"n": 1, "p": "x"}},
    {"version": 1, "observations": "many", "root": {}},
]


@pytest.mark.parametrize("data", BAD_STATES)
def test_from_dict_rejects_malformed_state(data):
    with pytest.raises(ValueError, match="schema sketch"):
        SchemaSketch.from_dict(data)


def test_from_dict_rejects_too_deep_state():
    node: dict[str, Any] = {"n": 1}
    for _ in range(MAX_DEPTH + 3):
        node = {"n": 1, "t": ["array"], "i": node}
    with pytest.raises(ValueError, match="deeper"):
        SchemaSketch.from_dict({"version": 1, "root": node})


def test_from_dict_drops_stored_values_that_should_never_have_been_kept():
    data = {
        "version": 1,
        "root": {"n": 30, "t": ["string"], "s": 30, "e": {"jane@acme-mail.net": 30}},
    }
    assert "enum" not in SchemaSketch.from_dict(data).to_json_schema()


# --- properties ----------------------------------------------------------------------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "2024-01-15",
            "2024-01-15T10:30:00Z",
            "jane@acme-mail.net",
            "3f2b8c1e-9a4d-4b6e-8f00-1234567890ab",
            "https://x.io/a",
            "10.0.0.1",
            "::1",
            "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=",
            "paid",
            "pending",
        ]
    )
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=MAX_ARRAY_ITEMS)
    | st.dictionaries(st.text(max_size=8) | st.sampled_from(["id", "status", "a", "b"]), children, max_size=6),
    max_leaves=30,
)  # fmt: skip
FAST = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(json_values, min_size=1, max_size=25))
def test_schema_accepts_every_value_it_was_built_from(values):
    sketch = sketch_of(*values)
    assert_validates(sketch.to_json_schema(), values)


@FAST
@given(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=20, max_size=40))
def test_enum_schemas_accept_their_values(values):
    assert_validates(infer(*values), values)


@FAST
@given(st.lists(json_values, max_size=8), st.lists(json_values, max_size=8))
def test_merge_is_commutative(left, right):
    a, b = sketch_of(*left), sketch_of(*right)
    ab = a.copy().merge(b).to_json_schema()
    ba = b.copy().merge(a).to_json_schema()
    assert ab == ba
    assert ab == sketch_of(*left, *right).to_json_schema()  # and equals observing everything
    assert_validates(ab, left + right)


@FAST
@given(st.lists(json_values, max_size=10))
def test_to_dict_round_trip(values):
    sketch = sketch_of(*values)
    data = json.loads(json.dumps(sketch.to_dict()))
    loaded = SchemaSketch.from_dict(data)
    assert loaded.to_dict() == sketch.to_dict()
    assert loaded.to_json_schema() == sketch.to_json_schema()


@FAST
@given(st.text(max_size=60))
def test_string_format_agrees_with_independent_parsers(value):
    fmt = FORMATS[string_format(value)]
    if fmt:
        assert independent_format_check(fmt, value)


@FAST
@given(
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2}))?",
        fullmatch=True,
    )
)
def test_date_like_strings_get_a_format_only_when_valid(value):
    fmt = FORMATS[string_format(value)]
    try:
        independent_format_check("date" if len(value) == 10 else "date-time", value)
        valid = True
    except ValueError:
        valid = False
    assert (fmt != "") == valid
    if fmt:
        assert independent_format_check(fmt, value)


@FAST
@given(
    st.recursive(
        st.none() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.tuples(c) | st.dictionaries(st.integers() | st.text(), c),
        max_leaves=20,
    )
)
def test_never_raises_on_python_values_that_are_not_quite_json(value):
    sketch = sketch_of(value)
    sketch.to_json_schema()
    SchemaSketch.from_dict(json.loads(json.dumps(sketch.to_dict())))  # fmt: skip


# --- parameters ----------------------------------------------------------------------------------

PARAMETER_CASES = [
    (["1", "2", "30"], {"type": "integer"}),
    (["1", "2.5", "-3e2"], {"type": "number"}),
    (["true", "False"], {"type": "boolean"}),
    (["1", "true"], {"type": "string"}),
    (["007"], {"type": "string"}),  # leading zeros: a code, not a number
    (["12345678901234567890"], {"type": "number"}),  # too long to be a safe integer
    (["3f2b8c1e-9a4d-4b6e-8f00-1234567890ab"], {"type": "string", "format": "uuid"}),
    (["2024-01-15"], {"type": "string", "format": "date"}),
    (["2024-01-15T10:30:00Z"], {"type": "string", "format": "date-time"}),
    (["jane@acme-mail.net"], {"type": "string", "format": "email"}),
    (repeated(["asc", "desc"], 10), {"type": "string", "enum": ["asc", "desc"]}),
    (repeated(["asc", "desc"], 5), {"type": "string"}),
    (["hello world", ""], {"type": "string"}),
]


@pytest.mark.parametrize(("values", "expected"), PARAMETER_CASES)
def test_parameter_inference(values, expected):
    sketch = ParameterSketch("p")
    for value in values:
        sketch.observe(value)
    assert sketch.to_json_schema() == expected


def test_parameter_presence_is_counted_for_the_caller():
    sketch = ParameterSketch("page")
    assert sketch.to_json_schema() == {}
    sketch.observe("1")
    assert sketch.always_present
    sketch.observe(None)
    assert (sketch.present, sketch.absent, sketch.always_present) == (1, 1, False)
    assert sketch.to_json_schema() == {"type": "integer"}


def test_parameter_with_sensitive_name_never_enumerates():
    sketch = ParameterSketch("api_key")
    for value in repeated(["abc", "def"], 20):
        sketch.observe(value)
    assert "enum" not in sketch.to_json_schema()
    assert "abc" not in json.dumps(sketch.to_dict())


def test_parameter_merge_and_round_trip():
    a, b = ParameterSketch("sort"), ParameterSketch("sort")
    for value in repeated(["asc"], 12):
        a.observe(value)
    for value in [*repeated(["desc"], 12), None]:
        b.observe(value)
    merged = ParameterSketch.from_dict(json.loads(json.dumps(a.merge(b).to_dict())))
    assert merged.to_json_schema() == {"type": "string", "enum": ["asc", "desc"]}
    assert (merged.present, merged.absent) == (24, 1)
    with pytest.raises(ValueError, match="parameter sketch"):
        ParameterSketch.from_dict({"version": 1, "kinds": ["text"]})


def _coerce(schema: dict[str, Any], value: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return value.lower() == "true"
    return value


@FAST
@given(
    st.lists(
        st.integers().map(str)
        | st.floats(allow_nan=False, allow_infinity=False).map(repr)
        | st.sampled_from(["true", "false", "2024-01-15", "asc", "3f2b8c1e-9a4d-4b6e-8f00-1234567890ab"])
        | st.text(max_size=12),
        min_size=1,
        max_size=30,
    )
)  # fmt: skip
def test_parameter_schema_accepts_its_values(values):
    sketch = ParameterSketch("p")
    for value in values:
        sketch.observe(value)
    schema = sketch.to_json_schema()
    assert_validates(schema, [_coerce(schema, v) for v in values])


# --- speed ---------------------------------------------------------------------------------------


def order(rng: random.Random, i: int) -> dict[str, Any]:
    """A realistic ~1 KB response body."""
    return {
        "id": f"ord_{rng.getrandbits(40):x}",
        "object": "order",
        "created_at": f"2024-01-15T10:30:{i % 60:02d}Z",
        "status": rng.choice(["paid", "pending", "refunded"]),
        "currency": "SGD",
        "amount_total": rng.randint(100, 99999),
        "customer": {
            "id": f"cus_{rng.getrandbits(40):x}",
            "email": f"user{i}@acme-mail.net",
            "name": "Jane Doe",
            "phone": None,
            "address": {"line1": "1 Raffles Place", "city": "Singapore", "postal_code": "048616"},
        },
        "items": [
            {
                "sku": f"SKU-{rng.randint(1000, 9999)}",
                "qty": rng.randint(1, 5),
                "price": round(rng.random() * 100, 2),
                "title": "Blue widget, large",
                "tags": ["home", "garden"],
            }
            for _ in range(4)
        ],
        "metadata": {"source": "web", "campaign": None},
        "livemode": False,
        "request_id": str(uuid.UUID(int=rng.getrandbits(128))),
    }


def test_observe_is_fast_on_a_1kb_body():
    rng = random.Random(7)
    bodies = [order(rng, i) for i in range(600)]
    assert 800 < sum(len(json.dumps(b)) for b in bodies) / len(bodies) < 1300
    sketch = sketch_of(*bodies[:100])
    start = time.perf_counter()
    for body in bodies:
        sketch.observe(body)
    per_body_us = (time.perf_counter() - start) / len(bodies) * 1e6
    # ~12 µs measured on one core; the bound only catches an accidental blow-up.
    assert per_body_us < 150, per_body_us


def test_from_dict_rejects_more_nodes_than_the_budget():
    wide = {f"k{i}": {"n": 1} for i in range(200)}
    root = {"n": 1, "t": ["object"], "o": 1, "p": {f"o{j}": {"n": 1, "p": wide} for j in range(30)}}
    with pytest.raises(ValueError, match="MAX_NODES"):
        SchemaSketch.from_dict({"version": 1, "root": root})
