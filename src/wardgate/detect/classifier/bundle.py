"""The model bundle on disk: what files it holds and the metadata that says how to use them.

A bundle is a directory with ``metadata.json`` (this schema), the ONNX graph, the tokenizer and the
lexical gate's weights. The metadata records a SHA-256 for every file; a bundle whose files do not
match is refused, so a truncated download or a swapped graph fails loudly instead of scoring badly.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

METADATA = "metadata.json"
PACKAGED = Path(__file__).resolve().parents[2] / "models" / "attack-classifier"


class BundleError(ValueError):
    """The bundle is missing, malformed or does not match its recorded checksums."""


class Calibration(BaseModel):
    """Platt scaling of the raw attack logit: ``p = sigmoid(a * logit + b)``, fitted on scores of
    sources each fold's model never saw."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: float
    b: float


class BundleFiles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    onnx: str = "model.onnx"
    tokenizer: str = "tokenizer.json"
    lexical: str = "lexical.npz"


class BundleMetadata(BaseModel):
    """How the model was trained and how its outputs are to be read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1] = 1
    name: str
    version: str
    base_model: str
    classes: tuple[str, ...]
    window_tokens: int = Field(ge=8, le=510)
    stride_tokens: int = Field(ge=1)
    calibration: Calibration
    threshold: float = Field(ge=0.0, le=1.0)
    gate_logit: float | None = None
    files: BundleFiles = BundleFiles()
    sha256: dict[str, str] = Field(default_factory=dict)
    trained: dict[str, object] = Field(default_factory=dict)


def load_metadata(directory: Path, *, verify: bool = True) -> BundleMetadata:
    """Read and validate ``metadata.json``; with ``verify``, check every file's SHA-256."""
    path = directory / METADATA
    try:
        meta = BundleMetadata.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BundleError(f"no classifier bundle at {directory} ({METADATA} missing)") from None
    except (json.JSONDecodeError, ValidationError, UnicodeDecodeError) as exc:
        raise BundleError(f"malformed {path}: {exc}") from None
    if verify:
        for name in (meta.files.onnx, meta.files.tokenizer, meta.files.lexical):
            expected = meta.sha256.get(name)
            if expected is None:
                raise BundleError(f"{path} records no checksum for {name}")
            actual = file_sha256(directory / name)
            if actual != expected:
                raise BundleError(f"{directory / name} does not match its recorded checksum")
    return meta


def file_sha256(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        raise BundleError(f"classifier bundle file missing: {path}") from None


def write_metadata(directory: Path, meta: BundleMetadata) -> BundleMetadata:
    """Record checksums of the bundle's files and write ``metadata.json`` (used by training)."""
    sums = {
        name: file_sha256(directory / name)
        for name in (meta.files.onnx, meta.files.tokenizer, meta.files.lexical)
    }
    meta = meta.model_copy(update={"sha256": sums})
    (directory / METADATA).write_text(
        json.dumps(meta.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
    )
    return meta
