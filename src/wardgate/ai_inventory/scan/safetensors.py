"""``.safetensors`` headers: tensor count, dtypes, parameter count and ``__metadata__``.

The format is an 8-byte little-endian header length, a JSON header, then raw tensor bytes. Only the
header is read, and only when its declared length is within :data:`MAX_HEADER_BYTES` and the
file; the ``safetensors`` package is not needed.
"""

from __future__ import annotations

import json
import math
import struct
from collections import Counter
from typing import Any, BinaryIO

from wardgate.ai_inventory.scan.errors import ArtefactParseError

MAX_HEADER_BYTES = 32 << 20
MAX_DIMS = 16
MAX_METADATA = 64
MAX_VALUE_CHARS = 200
# Bytes per element; unknown dtypes are counted but not size-checked.
DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "F8_E8M0": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "C64": 8,
}


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 63:
        return None
    return value


def parse_safetensors(
    stream: BinaryIO, size: int, *, max_header: int = MAX_HEADER_BYTES
) -> dict[str, Any]:
    """The header summary of a safetensors file of ``size`` bytes.

    Raises :class:`ArtefactParseError` when the file is not a well-formed safetensors file.
    """
    head = stream.read(8)
    if len(head) != 8:
        raise ArtefactParseError("safetensors: file shorter than its 8-byte header length")
    (length,) = struct.unpack("<Q", head)
    if length < 2 or length > max_header or length > size - 8:
        raise ArtefactParseError("safetensors: header length out of bounds")
    raw = stream.read(length)
    if len(raw) != length:
        raise ArtefactParseError("safetensors: header truncated")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ArtefactParseError("safetensors: header is not valid JSON") from exc
    if not isinstance(header, dict):
        raise ArtefactParseError("safetensors: header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    data_bytes = size - 8 - length
    dtypes: Counter[str] = Counter()
    parameters = 0
    problems: Counter[str] = Counter()
    for info in header.values():
        if not isinstance(info, dict):
            raise ArtefactParseError("safetensors: tensor entry is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if (
            not isinstance(dtype, str)
            or not isinstance(shape, list)
            or not isinstance(offsets, list)
        ):
            raise ArtefactParseError("safetensors: tensor entry lacks dtype, shape or offsets")
        dims = [_int(d) for d in shape]
        bounds = [_int(o) for o in offsets]
        if len(dims) > MAX_DIMS or any(d is None for d in dims):
            raise ArtefactParseError("safetensors: invalid tensor shape")
        if len(bounds) != 2 or bounds[0] is None or bounds[1] is None or bounds[0] > bounds[1]:
            raise ArtefactParseError("safetensors: invalid data offsets")
        count = math.prod(d for d in dims if d is not None)
        parameters += count
        dtypes[dtype[:16]] += 1
        width = DTYPE_BYTES.get(dtype)
        if width is not None and bounds[1] - bounds[0] != count * width:
            problems["tensor byte size does not match shape and dtype"] += 1
        if bounds[1] > data_bytes:
            problems["tensor data beyond end of file"] += 1
    return {
        "tensors": len(header),
        "parameters": parameters,
        "dtypes": dict(dtypes.most_common()),
        "header_bytes": length,
        "metadata": _metadata(metadata),
        **({"problems": dict(problems)} if problems else {}),
    }


def _metadata(value: object) -> dict[str, str]:
    """``__metadata__`` (string to string by the spec), bounded in entries and length."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        if len(out) >= MAX_METADATA:
            break
        out[str(key)[:MAX_VALUE_CHARS]] = str(item)[:MAX_VALUE_CHARS]
    return out
