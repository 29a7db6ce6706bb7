import contextlib
import io
import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ai_inventory.scan.builders import safetensors_bytes
from wardgate.ai_inventory.scan.errors import ArtefactParseError
from wardgate.ai_inventory.scan.safetensors import parse_safetensors


def _parse(data: bytes, **kw):
    return parse_safetensors(io.BytesIO(data), len(data), **kw)


def test_header_summary():
    data = safetensors_bytes(
        {"a": ("F32", [16, 8]), "b": ("BF16", [8]), "c": ("F32", [2, 3, 4])}, {"format": "pt"}
    )
    info = _parse(data)
    assert info["tensors"] == 3
    assert info["parameters"] == 16 * 8 + 8 + 24
    assert info["dtypes"] == {"F32": 2, "BF16": 1}
    assert info["metadata"] == {"format": "pt"}
    assert "problems" not in info


def test_inconsistent_offsets_are_reported_not_fatal():
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 999]}}).encode()
    info = _parse(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    assert info["problems"] == {
        "tensor byte size does not match shape and dtype": 1,
        "tensor data beyond end of file": 1,
    }


def _with_header(obj) -> bytes:
    raw = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return struct.pack("<Q", len(raw)) + raw


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01\x02",
        struct.pack("<Q", 2**63) + b"{}",  # hostile length
        struct.pack("<Q", 1000) + b"{}",  # longer than the file
        struct.pack("<Q", 1) + b"{",
        _with_header(b"not json"),
        _with_header(b"\xff\xfe{}"),
        _with_header([1, 2]),
        _with_header({"w": 3}),
        _with_header({"w": {"dtype": "F32", "shape": "4", "data_offsets": [0, 4]}}),
        _with_header({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}),
        _with_header({"w": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}),
        _with_header({"w": {"dtype": "F32", "shape": [1] * 17, "data_offsets": [0, 4]}}),
        _with_header({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}),
        _with_header({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}),
        _with_header(b"[" * 50_000 + b"]" * 50_000),
    ],
)
def test_malformed_headers_raise_parse_error(data):
    with pytest.raises(ArtefactParseError):
        _parse(data)


def test_header_bound_is_enforced():
    data = safetensors_bytes()
    with pytest.raises(ArtefactParseError, match="out of bounds"):
        _parse(data, max_header=16)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_parse_errors(data):
    with contextlib.suppress(ArtefactParseError):
        _parse(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256))
def test_arbitrary_headers_raise_only_parse_errors(header):
    data = struct.pack("<Q", len(header)) + header
    with contextlib.suppress(ArtefactParseError):
        _parse(data)
