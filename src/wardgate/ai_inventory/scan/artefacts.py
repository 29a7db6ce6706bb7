"""Model artefacts: identify, hash and inspect one model file.

Every artefact gets its size and SHA-256 (the identity a model registry or an allowlist can pin),
its format, and what its header says; pickle-bearing files also get a verdict on the callables
they would run when loaded. A header that does not parse leaves the hash and size valid and says
why in ``error``. ``.bin`` is shared with unrelated formats: it counts only when it is a zip
checkpoint, a compressed stream or a protocol 2+ pickle.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wardgate.ai_inventory.scan.errors import ArtefactParseError
from wardgate.ai_inventory.scan.fileio import open_binary, sha256_file
from wardgate.ai_inventory.scan.gguf import parse_gguf
from wardgate.ai_inventory.scan.onnx import parse_onnx
from wardgate.ai_inventory.scan.pickles import MAX_PICKLE_BYTES, inspect_pickle_file
from wardgate.ai_inventory.scan.result import Artefact
from wardgate.ai_inventory.scan.safetensors import parse_safetensors

MAX_LISTED_GLOBALS = 50


def inspect_artefact(
    path: Path, relative: str, parser: str, *, max_pickle_bytes: int = MAX_PICKLE_BYTES
) -> Artefact | None:
    """The artefact record for a model file, or None when ``path`` turns out not to be one.

    ``parser`` is the format the file's extension suggests (see :mod:`filetypes`). Raises
    :class:`OSError` when the file cannot be read at all.
    """
    fmt = parser
    metadata: dict[str, Any] = {}
    unsafe: tuple[str, ...] = ()
    severity: str | None = None
    error: str | None = None
    truncated = False
    fd, size = open_binary(path)
    with os.fdopen(fd, "rb") as stream:
        try:
            if parser == "safetensors":
                metadata = parse_safetensors(stream, size)
            elif parser == "gguf":
                metadata = parse_gguf(stream)
            elif parser == "onnx":
                metadata = parse_onnx(stream, size)
            elif parser == "pickle":
                inspected = inspect_pickle_file(
                    stream,
                    size,
                    limit=max_pickle_bytes,
                    require_magic=relative.lower().endswith(".bin"),
                )
                if inspected is None:
                    return None
                fmt, metadata, verdict = inspected
                unsafe = tuple(verdict.unsafe[:MAX_LISTED_GLOBALS])
                severity = verdict.severity
                truncated = verdict.truncated
                metadata = {
                    **metadata,
                    "pickles": metadata.get("pickles", verdict.pickles),
                    "opcodes": verdict.opcodes,
                    "globals": verdict.globals[:MAX_LISTED_GLOBALS],
                }
        except ArtefactParseError as exc:
            error = str(exc)
    sha256, hashed = sha256_file(path)
    return Artefact(
        path=relative,
        format=fmt,
        size=hashed,
        sha256=sha256,
        metadata=metadata,
        unsafe_globals=unsafe,
        severity=severity,
        error=error,
        truncated=truncated,
    )
