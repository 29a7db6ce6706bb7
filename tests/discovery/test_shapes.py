"""Segment shapes: identifiers are recognised in every common format, constants and words are not
taken for identifiers, and no input makes classification slow or raise."""

from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.discovery.shapes import (
    CONSTANT_SHAPES,
    MAX_SEGMENT,
    Shape,
    classify,
    is_identifier,
    split_suffix,
)


@pytest.mark.parametrize(
    ("segment", "shape"),
    [
        ("42", Shape.INTEGER),
        ("1234567890123", Shape.INTEGER),
        ("550e8400-e29b-41d4-a716-446655440000", Shape.UUID),  # v4
        ("C232AB00-9414-11EC-B3C8-9E6BDECED846", Shape.UUID),  # v1, upper case
        ("017f22e2-79b0-7cc3-98c4-dc0c0c07398f", Shape.UUID),  # v7
        ("507f1f77bcf86cd799439011", Shape.OBJECT_ID),
        ("9f86d081884c7d65", Shape.HEX),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", Shape.HEX),  # a git sha
        ("01ARZ3NDEKTSV4RRFFQ69G5FAV", Shape.ULID),
        ("0ujtsYcgvSTl8PAuAdqWYSMnLOv", Shape.KSUID),
        ("cus_NffrFeUfNV2Hib", Shape.PREFIXED_ID),
        ("pi_3MtwBwLkdIwHu7ix28a3tqPa", Shape.PREFIXED_ID),
        ("user-8f3a9c2e41", Shape.PREFIXED_ID),
        ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", Shape.PREFIXED_ID),
        ("acct_oefyjQRWLYECchQi", Shape.PREFIXED_ID),  # no digit in the body
        ("eyJhbGciOiJIUzI1NiJ9", Shape.TOKEN),
        ("_IPAQSdowQuKQV1Kf4iYbH72vrPXFNG9", Shape.TOKEN),  # base64url may start with _
        ("jMXUw-BE_2vd", Shape.TOKEN),
        ("P18784", Shape.CODE),
        ("XJ4K2P9Q", Shape.CODE),
        ("2023-01-31", Shape.DATE),
        ("2023-01-31T10:00:00Z", Shape.DATE),
        ("20230131", Shape.DATE),
        ("alice%40example.com", Shape.EMAIL),
        ("john.doe+tag@mail.example.org", Shape.EMAIL),
        ("51.5074", Shape.NUMBER),
        ("-0.1278", Shape.NUMBER),
    ],
)
def test_identifier_shapes(segment: str, shape: Shape) -> None:
    assert classify(segment) is shape
    assert is_identifier(classify(segment))


@pytest.mark.parametrize(
    ("segment", "shape"),
    [
        ("v1", Shape.VERSION),
        ("v2beta", Shape.VERSION),
        ("v1beta1", Shape.VERSION),
        ("V3", Shape.VERSION),
        ("1.0", Shape.VERSION),
        ("2.1.3", Shape.VERSION),
        ("api-v2", Shape.VERSION),
        ("$metadata", Shape.CONSTANT),
        ("_search", Shape.CONSTANT),
        ("@me", Shape.CONSTANT),
        ("Microsoft.Compute", Shape.CONSTANT),
        ("swagger.json", Shape.CONSTANT),
        ("", Shape.EMPTY),
    ],
)
def test_constant_shapes(segment: str, shape: Shape) -> None:
    assert classify(segment) is shape
    assert shape in CONSTANT_SHAPES
    assert not is_identifier(shape)


@pytest.mark.parametrize(
    "segment",
    [
        "users", "me", "api", "search", "payment_methods", "payment-methods", "getUserProfile",
        "internationalization", "oauth2", "sha256", "x509", "utf8", "ec2", "s3", "Win32Api",
        "hello-world", "John%20Smith", "octocat", "ap-southeast-1", "project-42", "covid19",
        "OAuth2Token", "GetContentById", "deadbeef",
    ],
)  # fmt: skip
def test_words_are_not_identifiers(segment: str) -> None:
    """Slugs, names and vocabulary: only sibling evidence can make these values."""
    assert not is_identifier(classify(segment))


@pytest.mark.parametrize(
    ("segment", "split"),
    [
        ("abc:cancel", ("abc", ":cancel")),
        ("123.json", ("123", ".json")),
        ("report.PDF", ("report", ".PDF")),
        ("v1.2", ("v1.2", "")),
        ("a:b:c", ("a:b", ":c")),
        ("name:", ("name:", "")),
        (":cancel", (":cancel", "")),
        ("file.unknownext", ("file.unknownext", "")),
    ],
)
def test_split_suffix(segment: str, split: tuple[str, str]) -> None:
    assert split_suffix(segment) == split


@given(st.uuids())
def test_every_uuid_is_a_uuid(value: uuid.UUID) -> None:
    assert classify(str(value)) is Shape.UUID
    assert classify(str(value).upper()) is Shape.UUID


@given(st.integers(min_value=0, max_value=10**30))
def test_every_integer_is_an_identifier(value: int) -> None:
    assert classify(str(value)) in (Shape.INTEGER, Shape.DATE)


@given(st.binary(min_size=12, max_size=12))
def test_every_object_id_is_an_object_id(raw: bytes) -> None:
    text = raw.hex()
    if any(c.isdigit() for c in text) and not text.isdigit():
        assert classify(text) is Shape.OBJECT_ID


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_classify_is_total_and_deterministic(segment: str) -> None:
    first = classify(segment)
    assert isinstance(first, Shape)
    assert classify(segment) is first
    head, suffix = split_suffix(segment)
    assert head + suffix == segment


@pytest.mark.parametrize(
    "segment",
    ["a" * 100_000, "a-" * 50_000, "1." * 50_000, "_" * 100_000, "aA1" * 30_000, "%41" * 30_000],
)
def test_hostile_segments_are_quick(segment: str) -> None:
    start = time.perf_counter()
    shape = classify(segment)
    assert time.perf_counter() - start < 0.05
    if len(segment) > MAX_SEGMENT:
        assert shape is Shape.TOKEN
