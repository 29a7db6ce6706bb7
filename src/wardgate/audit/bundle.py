"""Self-contained audit bundles: everything an auditor needs to verify a log offline.

A bundle is one JSON document::

    {"format": "wardgate-audit-bundle", "version": 1,
     "origin": "wardgate.audit/…", "exported_at": "…Z", "size": 1234,
     "public_key": {"type": "ed25519", "base64": "…"},      # informational, never trusted
     "records": [{"seq": 0, "leaf_hash": "<hex>", "record": "<canonical JSON text>"}, …],
     # a damaged record that is not UTF-8 is exported as "record_base64" instead of "record"
     "checkpoints": [{"id": 1, "note": "<signed checkpoint note>"}, …]}

Each ``record`` is the exact canonical text that was hashed, so the verifier re-hashes it
byte for byte. The verifier trusts only the public key it is given (see
:func:`wardgate.audit.verify.verify_bundle`). Export streams records to a temporary file and
renames it into place, so memory stays bounded and a half-written bundle never appears.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wardgate.audit.log import AuditLog
from wardgate.audit.records import format_time
from wardgate.audit.signing import public_key_bytes
from wardgate.audit.verify import RowEvidence

BUNDLE_FORMAT = "wardgate-audit-bundle"
BUNDLE_VERSION = 1
MAX_BUNDLE_BYTES = 4 * 1024**3
"""Largest bundle file :func:`load_bundle` reads (it is parsed in memory)."""


class BundleError(ValueError):
    """The document is not a Wardgate audit bundle this version can read."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    records: int
    checkpoints: int


@dataclass(slots=True)
class BundleContents:
    """A bundle's evidence, ready for :func:`wardgate.audit.verify.verify_evidence`."""

    origin: str
    public_key: bytes | None
    rows: list[RowEvidence] = field(default_factory=list)
    checkpoints: list[tuple[int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def export_bundle(log: AuditLog, path: str | Path) -> ExportSummary:
    """Write every record and checkpoint of ``log`` to ``path`` as a bundle."""
    target = Path(path)
    notes = log.checkpoint_notes()
    size = log.size  # taken after the notes: every stored checkpoint fits within it
    key = log.public_key()
    header = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "origin": log.origin,
        "exported_at": format_time(datetime.now(UTC)),
        "size": size,
        "public_key": (
            None
            if key is None
            else {"type": "ed25519", "base64": base64.b64encode(public_key_bytes(key)).decode()}
        ),
    }
    fd, tmp = tempfile.mkstemp(prefix=".wardgate-bundle-", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_dump(header)[:-1] + ',"records":[')
            count = 0
            for record in log.records(0, size):
                entry: dict[str, Any] = {"seq": record.seq, "leaf_hash": record.leaf_hash.hex()}
                try:
                    entry["record"] = record.data.decode("utf-8")
                except UnicodeDecodeError:  # a damaged record: export its bytes unchanged
                    entry["record_base64"] = base64.b64encode(record.data).decode("ascii")
                f.write(("," if count else "") + "\n" + _dump(entry))
                count += 1
            f.write('\n],"checkpoints":[')
            for i, (cid, note) in enumerate(notes):
                f.write(("," if i else "") + "\n" + _dump({"id": cid, "note": note}))
            f.write("\n]}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportSummary(path=target, records=count, checkpoints=len(notes))


def load_bundle(path: str | Path) -> dict[str, Any]:
    """Read a bundle file; :class:`BundleError` if it is not JSON or too large."""
    source = Path(path)
    if source.stat().st_size > MAX_BUNDLE_BYTES:
        raise BundleError("bundle file is larger than the limit")
    try:
        with source.open("rb") as f:
            value = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"bundle is not JSON: {type(exc).__name__}") from None
    if not isinstance(value, dict):
        raise BundleError("bundle is not a JSON object")
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def read_bundle(bundle: Mapping[str, Any]) -> BundleContents:
    """Check a bundle's shape and pull out its evidence; bad entries become ``errors``."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"not a {BUNDLE_FORMAT} document")
    if bundle.get("version") != BUNDLE_VERSION:
        raise BundleError(f"unsupported bundle version {bundle.get('version')!r}")
    origin = bundle.get("origin")
    records = bundle.get("records")
    checkpoints = bundle.get("checkpoints")
    if not isinstance(origin, str) or not isinstance(records, list):
        raise BundleError("bundle needs an origin and a records list")
    if not isinstance(checkpoints, list):
        raise BundleError("bundle needs a checkpoints list")
    contents = BundleContents(origin=origin, public_key=_public_key(bundle.get("public_key")))
    rows: list[RowEvidence] = []
    for i, entry in enumerate(records):
        seq = _int(entry.get("seq")) if isinstance(entry, dict) else None
        data = _record_bytes(entry) if isinstance(entry, dict) else None
        if seq is None or data is None:
            contents.errors.append(f"records[{i}] is not a {{seq, record}} entry; skipped")
            continue
        leaf = entry.get("leaf_hash")
        stored: bytes | None = None
        if isinstance(leaf, str):
            try:
                stored = bytes.fromhex(leaf)
            except ValueError:
                stored = None
        rows.append(RowEvidence(seq, data, stored))
    rows.sort(key=lambda r: r.position)  # storage order, as the database keeps it
    contents.rows = rows
    for i, entry in enumerate(checkpoints):
        cid = _int(entry.get("id")) if isinstance(entry, dict) else None
        note = entry.get("note") if isinstance(entry, dict) else None
        if cid is None or not isinstance(note, str):
            contents.errors.append(f"checkpoints[{i}] is not an {{id, note}} entry; skipped")
            continue
        contents.checkpoints.append((cid, note))
    return contents


def _record_bytes(entry: Mapping[str, Any]) -> bytes | None:
    text = entry.get("record")
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    encoded = entry.get("record_base64")
    if isinstance(encoded, str):
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def _public_key(value: Any) -> bytes | None:
    if not isinstance(value, dict) or value.get("type") != "ed25519":
        return None
    try:
        raw = base64.b64decode(str(value.get("base64", "")), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None
