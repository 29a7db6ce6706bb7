"""Typed accessors for untrusted JSON: what passes, what is refused, and that a refusal names the
place and never the value."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings

from tests.gateway.providers.bodies import JSON
from wardgate.gateway.providers.base import MalformedRequest, Usage, get_at
from wardgate.gateway.providers.shape import (
    MAX_LEAF_DEPTH,
    count,
    expect_body,
    expect_list,
    expect_object,
    expect_string,
    fail,
    is_integer,
    json_object,
    read_usage,
    string_leaves,
    string_or_none,
    where,
)

SECRET = "sk-live-4242 my card is 4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("messages", 2, "content"), "messages[2].content"),
        (("contents", "parts", "text"), "contents.parts.text"),
        ((0, "a"), "[0].a"),
        (("input",), "input"),
        ((), "body"),
    ],
)
def test_where(path, text):
    assert where(path) == text


def test_fail_names_the_place():
    with pytest.raises(MalformedRequest, match=r"^tools\[1\]\.name must be a string$"):
        fail(("tools", 1, "name"), "a string")


# (accessor, value, path, message when refused; None: passes and gives the value back)
EXPECT = [
    (expect_object, {"a": 1}, ("x",), None),
    (expect_object, {}, ("x",), None),
    (expect_object, [], ("x",), "x must be an object"),
    (expect_object, None, ("x", 0), "x[0] must be an object"),
    (expect_list, [1], ("y",), None),
    (expect_list, (1,), ("y",), "y must be a list"),
    (expect_list, None, ("y",), "y must be a list"),
    (expect_list, {"0": 1}, ("y",), "y must be a list"),
    (expect_string, "", ("z",), None),
    (expect_string, b"z", ("z",), "z must be a string"),
    (expect_string, 3, ("z",), "z must be a string"),
]


@pytest.mark.parametrize(("accessor", "value", "path", "message"), EXPECT)
def test_expect(accessor, value, path, message):
    if message is None:
        assert accessor(value, path) is value
        return
    with pytest.raises(MalformedRequest, match=f"^{re.escape(message)}$"):
        accessor(value, path)


def test_expect_list_nullable_and_wording():
    assert expect_list(None, ("tools",), nullable=True) == []
    with pytest.raises(MalformedRequest, match=r"^system must be a string or blocks$"):
        expect_list(3, ("system",), "a string or blocks", nullable=True)


@pytest.mark.parametrize("what", ["request", "response"])
def test_expect_body(what):
    body = {"a": 1}
    assert expect_body(body, what) is body
    for bad in ([body], "text", None, 3):
        with pytest.raises(MalformedRequest, match=f"^{what} body must be a JSON object$"):
            expect_body(bad, what)


@pytest.mark.parametrize(
    ("accessor", "value"),
    [
        (expect_string, ["x", SECRET]),
        (expect_object, SECRET),
        (expect_list, SECRET),
        (lambda value, at: expect_body(value, "request"), SECRET),
    ],
)
def test_a_refusal_never_quotes_the_value(accessor, value):
    with pytest.raises(MalformedRequest) as raised:
        accessor(value, ("messages", 0))
    assert SECRET not in str(raised.value)
    assert "4111" not in str(raised.value)


@pytest.mark.parametrize(
    ("value", "integer"),
    [
        (0, True),
        (-3, True),
        (2**70, True),
        (True, False),
        (False, False),
        (1.0, False),
        ("1", False),
        (None, False),
        ([1], False),
    ],
)
def test_is_integer_and_count(value, integer):
    assert is_integer(value) is integer
    assert count(value) == (value if integer else None)


@pytest.mark.parametrize(
    ("value", "expected"), [("m", "m"), ("", ""), (None, None), (3, None), (["m"], None)]
)
def test_string_or_none(value, expected):
    assert string_or_none(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"in": 3, "out": 4}, Usage(3, 4)),
        ({"in": 3}, Usage(3, None)),
        ({"in": True, "out": "4"}, Usage(None, None)),
        ({}, Usage()),
        (None, None),
        ([3, 4], None),
    ],
)
def test_read_usage(value, expected):
    assert read_usage(value, "in", "out") == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        (b'{"a": [true]}', {"a": [True]}),
        ("[1]", None),
        ('"text"', None),
        ("", None),
        ("  ", None),
        ("{broken", None),
        (b"\xff\xfe{", None),
        ("[" * 100_000, None),  # too deep for the parser: forwarded, never a crash
    ],
)
def test_json_object(data, expected):
    assert json_object(data) == expected


def test_string_leaves_in_document_order():
    value = {"a": "x", "b": [1, "y", {"c": "z", "d": None}], "e": {}, "f": ""}
    assert list(string_leaves(value, ("root",))) == [
        (("root", "a"), "x"),
        (("root", "b", 1), "y"),
        (("root", "b", 2, "c"), "z"),
        (("root", "f"), ""),
    ]
    assert list(string_leaves("only", ())) == [((), "only")]


def test_string_leaves_depth_is_bounded():
    deep: Any = "x"
    for _ in range(MAX_LEAF_DEPTH):
        deep = [deep]
    assert list(string_leaves(deep, ("a", "b"))) == [(("a", "b", *[0] * MAX_LEAF_DEPTH), "x")]
    with pytest.raises(MalformedRequest, match=r"^a\.b nests deeper than 64 levels$"):
        list(string_leaves([deep], ("a", "b")))


@settings(max_examples=100, deadline=None)
@given(value=JSON)
def test_every_string_leaf_is_where_its_path_says(value):
    body = {"root": value}
    leaves = list(string_leaves(value, ("root",)))
    for path, leaf in leaves:
        assert get_at(body, path) == leaf
    assert len(leaves) == _count_strings(value)


def _count_strings(value: Any) -> int:
    if isinstance(value, str):
        return 1
    if isinstance(value, dict):
        return sum(_count_strings(child) for child in value.values())
    if isinstance(value, list):
        return sum(_count_strings(child) for child in value)
    return 0
