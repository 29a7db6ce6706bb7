"""``.onnx`` models: a protobuf sanity check and the producer, IR version and opsets.

A minimal walk of ``ModelProto``'s top-level fields, seeking past the graph (the bulk of the file),
so neither the ``onnx`` package nor the graph in memory is needed. A file that does not walk as a
protobuf with an IR version and a graph is reported as not ONNX.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from wardgate.ai_inventory.scan.errors import ArtefactParseError

MAX_FIELDS = 10_000
MAX_SMALL_FIELD = 1 << 16
MAX_METADATA = 32
MAX_VALUE_CHARS = 200
# ModelProto fields (onnx.proto): the ones kept, by number.
_IR_VERSION, _PRODUCER, _PRODUCER_VERSION, _DOMAIN, _MODEL_VERSION, _DOC = 1, 2, 3, 4, 5, 6
_GRAPH, _OPSET, _METADATA = 7, 8, 14
_STRINGS = {
    _PRODUCER: "producer_name",
    _PRODUCER_VERSION: "producer_version",
    _DOMAIN: "domain",
}


class _Source:
    """Bytes from a stream (seekable) or from memory, with the position tracked."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self.size = size
        self.pos = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise ArtefactParseError("onnx: field runs past the end of the file")
        data = self._stream.read(n)
        if len(data) != n:
            raise ArtefactParseError("onnx: file truncated")
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise ArtefactParseError("onnx: field runs past the end of the file")
        self._stream.seek(n, 1)
        self.pos += n

    def varint(self) -> int:
        value = shift = 0
        for _ in range(10):
            byte = self.read(1)[0]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
        raise ArtefactParseError("onnx: malformed varint")


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """Fields of a small embedded message: ``(number, wire type, value)``."""
    source = _Source(io.BytesIO(data), len(data))
    out: list[tuple[int, int, int | bytes]] = []
    while source.pos < source.size and len(out) < MAX_FIELDS:
        number, wire, value = _field(source, keep=lambda _n, length: length <= MAX_SMALL_FIELD)
        out.append((number, wire, value))
    return out


def _field(source: _Source, keep: Any) -> tuple[int, int, int | bytes]:
    tag = source.varint()
    number, wire = tag >> 3, tag & 7
    if number == 0:
        raise ArtefactParseError("onnx: field number zero")
    if wire == 0:
        return number, wire, source.varint()
    if wire == 1:
        return number, wire, source.read(8)
    if wire == 5:
        return number, wire, source.read(4)
    if wire == 2:
        length = source.varint()
        if keep(number, length):
            return number, wire, source.read(length)
        source.skip(length)
        return number, wire, length
    raise ArtefactParseError("onnx: unsupported wire type")


def parse_onnx(stream: BinaryIO, size: int) -> dict[str, Any]:
    """Producer, versions, opsets and metadata of an ONNX model; raises on a non-ONNX file."""
    source = _Source(stream, size)
    info: dict[str, Any] = {}
    opsets: dict[str, int] = {}
    metadata: dict[str, str] = {}
    graph = False

    def keep(number: int, length: int) -> bool:
        return number in (*_STRINGS, _OPSET, _METADATA) and length <= MAX_SMALL_FIELD

    for _ in range(MAX_FIELDS):
        if source.pos >= size:
            break
        number, wire, value = _field(source, keep)
        if number == _IR_VERSION and wire == 0:
            info["ir_version"] = value
        elif number == _MODEL_VERSION and wire == 0:
            info["model_version"] = value
        elif number in _STRINGS and isinstance(value, bytes):
            info[_STRINGS[number]] = value.decode("utf-8", "replace")[:MAX_VALUE_CHARS]
        elif number == _GRAPH and wire == 2:
            graph = True
            info["graph_bytes"] = value if isinstance(value, int) else len(value)
        elif number == _OPSET and isinstance(value, bytes):
            domain, version = _opset(value)
            opsets[domain or "ai.onnx"] = version
        elif number == _METADATA and isinstance(value, bytes) and len(metadata) < MAX_METADATA:
            key, item = _entry(value)
            metadata[key] = item
    ir_version = info.get("ir_version")
    if not isinstance(ir_version, int) or not 1 <= ir_version <= 100 or not graph:
        raise ArtefactParseError("onnx: not an ONNX model (no IR version or graph)")
    info["opsets"] = opsets
    if metadata:
        info["metadata"] = metadata
    return info


def _opset(data: bytes) -> tuple[str, int]:
    domain, version = "", 0
    for number, _wire, value in _fields(data):
        if number == 1 and isinstance(value, bytes):
            domain = value.decode("utf-8", "replace")[:MAX_VALUE_CHARS]
        elif number == 2 and isinstance(value, int):
            version = value
    return domain, version


def _entry(data: bytes) -> tuple[str, str]:
    key = value = ""
    for number, _wire, item in _fields(data):
        if isinstance(item, bytes) and number in (1, 2):
            text = item.decode("utf-8", "replace")[:MAX_VALUE_CHARS]
            key, value = (text, value) if number == 1 else (key, text)
    return key, value
