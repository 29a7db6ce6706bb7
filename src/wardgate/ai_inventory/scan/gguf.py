"""``.gguf`` headers (llama.cpp): architecture, name, size label, quantisation, tensor summary.

Layout: ``GGUF`` magic, version, tensor count, key-value count, the key-value pairs, then one info
record per tensor. Everything is read through a byte budget (:data:`MAX_HEADER_BYTES`): a count
or length the remaining budget cannot hold is rejected before anything is allocated, so a hostile
header cannot make the scanner allocate or loop without bound. Big arrays (the tokenizer's
vocabulary) are skipped, not kept.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from typing import Any, BinaryIO

from wardgate.ai_inventory.scan.errors import ArtefactParseError

MAGIC = b"GGUF"
MAX_HEADER_BYTES = 64 << 20
MAX_STRING_BYTES = 1 << 20
MAX_KEY_BYTES = 1 << 16
MAX_KEPT = 64
MAX_VALUE_CHARS = 200
MAX_DIMS = 8
MAX_ARRAY_DEPTH = 4

_SCALARS = {
    0: ("<B", 1),
    1: ("<b", 1),
    2: ("<H", 2),
    3: ("<h", 2),
    4: ("<I", 4),
    5: ("<i", 4),
    6: ("<f", 4),
    7: ("<?", 1),
    10: ("<Q", 8),
    11: ("<q", 8),
    12: ("<d", 8),
}
_STRING, _ARRAY = 8, 9
TYPE_NAMES = {
    0: "uint8",
    1: "int8",
    2: "uint16",
    3: "int16",
    4: "uint32",
    5: "int32",
    6: "float32",
    7: "bool",
    8: "string",
    9: "array",
    10: "uint64",
    11: "int64",
    12: "float64",
}
# general.file_type: the dominant quantisation of the whole file (llama.cpp's llama_ftype).
FILE_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
}
# Per-tensor storage types (ggml_type).
TENSOR_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    6: "Q5_0",
    7: "Q5_1",
    8: "Q8_0",
    9: "Q8_1",
    10: "Q2_K",
    11: "Q3_K",
    12: "Q4_K",
    13: "Q5_K",
    14: "Q6_K",
    15: "Q8_K",
    16: "IQ2_XXS",
    17: "IQ2_XS",
    18: "IQ3_XXS",
    19: "IQ1_S",
    20: "IQ4_NL",
    21: "IQ3_S",
    22: "IQ2_S",
    23: "IQ4_XS",
    24: "I8",
    25: "I16",
    26: "I32",
    27: "I64",
    28: "F64",
    29: "IQ1_M",
    30: "BF16",
    34: "TQ1_0",
    35: "TQ2_0",
    39: "MXFP4",
}
# Keys promoted to top-level fields of the summary.
_SUMMARY_KEYS = {
    "general.architecture": "architecture",
    "general.name": "name",
    "general.basename": "basename",
    "general.size_label": "size_label",
    "general.finetune": "finetune",
    "general.organization": "organization",
    "general.license": "license",
    "general.quantization_version": "quantization_version",
}


class _Reader:
    """Sequential reads charged against a byte budget; never reads past it or the file."""

    def __init__(self, stream: BinaryIO, budget: int, version: int = 3) -> None:
        self._stream = stream
        self.left = budget
        self.version = version

    def take(self, n: int) -> bytes:
        if n < 0 or n > self.left:
            raise ArtefactParseError("gguf: header larger than the read bound")
        data = self._stream.read(n)
        if len(data) != n:
            raise ArtefactParseError("gguf: header truncated")
        self.left -= n
        return data

    def skip(self, n: int) -> None:
        """Read and drop ``n`` bytes in bounded steps (nothing large is ever held)."""
        if n < 0 or n > self.left:
            raise ArtefactParseError("gguf: header larger than the read bound")
        while n > 0:
            step = min(n, 1 << 20)
            self.take(step)
            n -= step

    def scalar(self, fmt: str, width: int) -> Any:
        return struct.unpack(fmt, self.take(width))[0]

    def count(self) -> int:
        """A length or count: 32-bit in GGUF v1, 64-bit since."""
        value: int = self.scalar("<I", 4) if self.version == 1 else self.scalar("<Q", 8)
        return value

    def string(self, limit: int) -> str:
        n = self.count()
        if n > limit:
            raise ArtefactParseError("gguf: string longer than allowed")
        return self.take(n).decode("utf-8", "replace")

    def skip_string(self) -> None:
        n = self.count()
        if n > MAX_STRING_BYTES:
            raise ArtefactParseError("gguf: string longer than allowed")
        self.skip(n)


def _value(reader: _Reader, kind: int, depth: int = 0) -> object:
    """One value; arrays are skipped and summarised as ``array[type] x count``."""
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return reader.scalar(*scalar)
    if kind == _STRING:
        return reader.string(MAX_STRING_BYTES)
    if kind != _ARRAY or depth >= MAX_ARRAY_DEPTH:
        raise ArtefactParseError("gguf: unknown value type")
    item: int = reader.scalar("<I", 4)
    count = reader.count()
    width = _SCALARS[item][1] if item in _SCALARS else 8  # strings and arrays: >= 8 bytes each
    if item not in _SCALARS and item not in (_STRING, _ARRAY):
        raise ArtefactParseError("gguf: unknown array item type")
    if count * width > reader.left:
        raise ArtefactParseError("gguf: array larger than the read bound")
    if item in _SCALARS:
        reader.skip(count * width)
    elif item == _STRING:
        for _ in range(count):
            reader.skip_string()
    else:
        for _ in range(count):
            _value(reader, _ARRAY, depth + 1)
    return f"array[{TYPE_NAMES[item]}] x {count}"


def parse_gguf(stream: BinaryIO, *, max_header: int = MAX_HEADER_BYTES) -> dict[str, Any]:
    """The header summary of a GGUF file; raises :class:`ArtefactParseError` when malformed."""
    reader = _Reader(stream, max_header)
    if reader.take(4) != MAGIC:
        raise ArtefactParseError("gguf: bad magic")
    version: int = reader.scalar("<I", 4)
    if version not in (1, 2, 3):
        raise ArtefactParseError("gguf: unsupported version")
    reader.version = version
    tensor_count, kv_count = reader.count(), reader.count()
    # Each pair needs >= 13 bytes (key length, type, a byte); each tensor info >= 24.
    if kv_count * 13 > reader.left or tensor_count * 24 > reader.left:
        raise ArtefactParseError("gguf: counts larger than the read bound")
    kept: dict[str, object] = {}
    file_type: object = None
    for _ in range(kv_count):
        key = reader.string(MAX_KEY_BYTES)
        kind: int = reader.scalar("<I", 4)
        value = _value(reader, kind)
        if key == "general.file_type":
            file_type = value
        if len(kept) < MAX_KEPT and not key.startswith("tokenizer.ggml."):
            kept[key[:MAX_VALUE_CHARS]] = (
                value[:MAX_VALUE_CHARS] if isinstance(value, str) else value
            )
    parameters = 0
    types: Counter[str] = Counter()
    for _ in range(tensor_count):
        reader.skip_string()
        dims_count: int = reader.scalar("<I", 4)
        if dims_count > MAX_DIMS:
            raise ArtefactParseError("gguf: tensor has too many dimensions")
        dims = struct.unpack(f"<{dims_count}Q", reader.take(8 * dims_count))
        kind = reader.scalar("<I", 4)
        reader.take(8)  # offset into the data section
        parameters += math.prod(dims)
        types[TENSOR_TYPES.get(kind, f"type{kind}")] += 1
    summary: dict[str, Any] = {
        "version": version,
        "tensors": tensor_count,
        "parameters": parameters,
    }
    for key, field in _SUMMARY_KEYS.items():
        if key in kept:
            summary[field] = kept[key]
    if isinstance(file_type, int):
        summary["file_type"] = FILE_TYPES.get(file_type, f"type{file_type}")
    summary["tensor_types"] = dict(types.most_common())
    summary["metadata"] = kept
    return summary
