import contextlib
import io
import struct
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ai_inventory.scan.builders import (
    GGUF_ARRAY,
    GGUF_STRING,
    GGUF_UINT32,
    gguf_bytes,
    gguf_kv,
    gguf_string,
    gguf_tensor,
)
from wardgate.ai_inventory.scan.errors import ArtefactParseError
from wardgate.ai_inventory.scan.gguf import parse_gguf


def _parse(data: bytes, **kw):
    return parse_gguf(io.BytesIO(data), **kw)


def test_header_summary():
    info = _parse(gguf_bytes())
    assert info["version"] == 3
    assert info["architecture"] == "llama"
    assert info["name"] == "Tiny Llama Test"
    assert info["basename"] == "tiny-llama"
    assert info["size_label"] == "1.1B"
    assert info["file_type"] == "Q4_K_M"
    assert info["tensors"] == 2
    assert info["parameters"] == 64 * 32 * 2
    assert info["tensor_types"] == {"Q4_K": 1, "Q6_K": 1}
    assert info["metadata"]["llama.context_length"] == 4096
    assert not any(k.startswith("tokenizer.ggml.") for k in info["metadata"])


def test_version_1_uses_32_bit_lengths():
    def s1(text: str) -> bytes:
        return struct.pack("<I", len(text)) + text.encode()

    data = (
        b"GGUF"
        + struct.pack("<III", 1, 0, 1)
        + s1("general.architecture")
        + struct.pack("<I", GGUF_STRING)
        + s1("falcon")
    )
    assert _parse(data)["architecture"] == "falcon"


def _header(tensors: int, kvs: int) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, tensors, kvs)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GGUF",
        b"GGML" + b"\0" * 20,
        b"GGUF" + struct.pack("<I", 7) + b"\0" * 16,  # unknown version
        _header(2**63, 0),  # hostile tensor count
        _header(0, 2**63),  # hostile key-value count
        _header(0, 1) + struct.pack("<Q", 2**62) + b"key",  # hostile key length
        _header(0, 1)
        + gguf_string("k")
        + struct.pack("<I", GGUF_STRING)
        + struct.pack("<Q", 2**40),
        _header(0, 1) + gguf_string("k") + struct.pack("<IIQ", GGUF_ARRAY, GGUF_UINT32, 2**61),
        _header(0, 1) + gguf_string("k") + struct.pack("<IIQ", GGUF_ARRAY, GGUF_STRING, 2**61),
        _header(0, 1) + gguf_string("k") + struct.pack("<IIQ", GGUF_ARRAY, 99, 1),
        _header(0, 1) + gguf_string("k") + struct.pack("<I", 77),  # unknown value type
        _header(1, 0) + gguf_string("t") + struct.pack("<I", 2**31),  # too many dimensions
        _header(1, 0) + gguf_string("t") + struct.pack("<I", 2),  # truncated dims
        gguf_bytes()[:-70],  # truncated tensor infos
    ],
)
def test_hostile_headers_fail_fast_without_allocating(data):
    started = time.perf_counter()
    with pytest.raises(ArtefactParseError):
        _parse(data)
    assert time.perf_counter() - started < 1.0


def test_nested_arrays_are_bounded():
    inner = struct.pack("<IQ", GGUF_UINT32, 2) + struct.pack("<2I", 1, 2)
    nested = gguf_string("k") + struct.pack("<IIQ", GGUF_ARRAY, GGUF_ARRAY, 2) + inner * 2
    assert _parse(_header(0, 1) + nested)["metadata"]["k"] == "array[array] x 2"
    deep = gguf_string("k") + struct.pack("<I", GGUF_ARRAY) + struct.pack("<IQ", GGUF_ARRAY, 1) * 10
    with pytest.raises(ArtefactParseError):
        _parse(_header(0, 1) + deep)


def test_read_bound_is_enforced():
    big = gguf_kv("tokenizer.ggml.tokens", GGUF_ARRAY, ["tok"] * 1000)
    with pytest.raises(ArtefactParseError, match="read bound"):
        _parse(gguf_bytes([big], [gguf_tensor("w", [4], 0)]), max_header=4096)


def test_long_strings_are_truncated_in_the_summary():
    info = _parse(gguf_bytes([gguf_kv("general.name", GGUF_STRING, "n" * 5000)], []))
    assert info["name"] == "n" * 200


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_parse_errors(data):
    with contextlib.suppress(ArtefactParseError):
        _parse(b"GGUF" + data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.binary(max_size=256))
def test_arbitrary_counts_raise_only_parse_errors(tensors, kvs, body):
    with contextlib.suppress(ArtefactParseError):
        _parse(b"GGUF" + struct.pack("<IQQ", 3, tensors, kvs) + body)
