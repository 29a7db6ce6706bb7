import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ai_inventory.scan.builders import onnx_bytes
from wardgate.ai_inventory.scan.errors import ArtefactParseError
from wardgate.ai_inventory.scan.onnx import parse_onnx


def _parse(data: bytes):
    return parse_onnx(io.BytesIO(data), len(data))


def test_producer_ir_version_and_opsets():
    info = _parse(onnx_bytes(producer="pytorch", opset=17, graph_size=5000))
    assert info["ir_version"] == 8
    assert info["producer_name"] == "pytorch"
    assert info["producer_version"] == "2.3.0"
    assert info["opsets"] == {"ai.onnx": 17}
    assert info["metadata"] == {"author": "tests"}
    assert info["graph_bytes"] > 4000


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x08",  # varint cut short
        b"\x08\x08",  # IR version but no graph
        b"\x08\x08\x3a\xff\xff\xff\xff\x0f",  # graph longer than the file
        b"\x00\x01",  # field number zero
        b"\x0b",  # group wire type
        b"\x08" + b"\xff" * 11,  # over-long varint
        b"PK\x03\x04 not onnx at all",
        b"\x08\xe8\x07\x3a\x00",  # absurd IR version
    ],
)
def test_non_onnx_is_rejected(data):
    with pytest.raises(ArtefactParseError):
        _parse(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_parse_errors(data):
    with contextlib.suppress(ArtefactParseError):
        _parse(data)
