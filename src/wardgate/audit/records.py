"""Canonical JSON and the audit record envelope.

A record's bytes are what the Merkle log hashes, so the same record must always serialise to
the same bytes, on any machine, in any language. :func:`canonical_json` follows RFC 8785 (JCS):
object keys sorted by UTF-16 code units, no insignificant whitespace, UTF-8, the minimal string
escapes, and numbers written the way ECMAScript writes them (``1.0`` is ``1``). Values JCS cannot
represent exactly are refused rather than silently changed: NaN and the infinities, integers
beyond ±(2**53 - 1), non-string keys, lone surrogates.

The envelope is ``{"body", "kind", "seq", "time"}``: ``seq`` is the record's leaf index (so a
record cannot be moved without changing its hash), ``time`` is UTC, ``kind`` names what happened.
Records hold hashes or redacted forms of prompts and answers, never raw text: see
:func:`text_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

DECISION: Final = "decision"
INCIDENT: Final = "incident"
IDENTITY: Final = "identity"
KEY: Final = "key"
CONFIG: Final = "config"
CHECKPOINT_NOTE: Final = "checkpoint-note"
KNOWN_KINDS: Final = frozenset({DECISION, INCIDENT, IDENTITY, KEY, CONFIG, CHECKPOINT_NOTE})
"""The kinds Wardgate writes; others that match :data:`KIND_PATTERN` are accepted too."""

KIND_PATTERN: Final = re.compile(r"[a-z][a-z0-9-]{0,31}")
MAX_DEPTH: Final = 64
"""Deepest nesting of arrays and objects accepted (bounded recursion)."""
MAX_RECORD_BYTES: Final = 256 * 1024
"""Largest canonical record accepted; bodies carry digests and verdicts, not documents."""
MAX_SAFE_INTEGER: Final = 2**53 - 1

_ENVELOPE_KEYS: Final = ("body", "kind", "seq", "time")
_TIME_PATTERN: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_encode_string = json.encoder.encode_basestring  # C-accelerated


class CanonicalJSONError(ValueError):
    """The value cannot be written as canonical JSON, or the bytes are not canonical JSON."""


def _number(value: float) -> str:
    """ECMAScript Number::toString for a finite double, as RFC 8785 §3.2.2.3 requires."""
    if value == 0:
        return "0"  # also -0.0
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    # repr gives the shortest round-trip digits, as ECMAScript does: value = int(digits) * 10**exp
    digits = (whole + frac).lstrip("0")
    exp = int(exp_text or 0) - len(frac)
    stripped = digits.rstrip("0")
    exp += len(digits) - len(stripped)
    digits = stripped
    point = len(digits) + exp  # value = 0.<digits> * 10**point
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        exponent = point - 1
        head = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{head}e{'+' if exponent > 0 else '-'}{abs(exponent)}"
    return sign + text


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _encode(value: Any, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CanonicalJSONError(f"nested deeper than {MAX_DEPTH}")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalJSONError("integer outside ±(2**53 - 1) has no exact JSON form")
        out.append(str(int(value)))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalJSONError("NaN and Infinity are not JSON")
        out.append(_number(value))
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalJSONError("object keys must be strings")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_encode_string(key))
            out.append(":")
            _encode(value[key], out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, depth + 1)
        out.append("]")
    else:
        raise CanonicalJSONError(f"{type(value).__name__} is not a JSON value")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value`` (dict, list, str, int, float, bool, None)."""
    out: list[str] = []
    _encode(value, out, 0)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJSONError("string holds a lone surrogate, which is not UTF-8") from None


def _reject_constant(name: str) -> Any:
    raise CanonicalJSONError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise CanonicalJSONError("duplicate object key")
    return out


def _parse_int(text: str) -> int | float:
    # JSON numbers are doubles in JCS: an integral double beyond 2**53 (written without an
    # exponent below 1e21) is read back as the float it is, so it re-encodes identically.
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else float(text)


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` and insist it is already canonical (re-encoding gives the same bytes)."""
    if len(data) > MAX_RECORD_BYTES:
        raise CanonicalJSONError("record is larger than the limit")
    try:
        value = json.loads(
            data.decode("utf-8"),
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            object_pairs_hook=_no_duplicates,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CanonicalJSONError(f"not JSON: {type(exc).__name__}") from None
    if canonical_json(value) != data:
        raise CanonicalJSONError("JSON is not in canonical form")
    return value


def format_time(when: datetime) -> str:
    """UTC, millisecond precision, ``Z`` suffix: ``2026-01-31T12:00:00.000Z``."""
    if when.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Inverse of :func:`format_time`; anything else is refused."""
    if not _TIME_PATTERN.fullmatch(text):
        raise ValueError("time must look like 2026-01-31T12:00:00.000Z")
    return datetime.fromisoformat(text[:-1] + "+00:00")


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise ValueError("record kind must be 1-32 of [a-z0-9-], starting with a letter")
    return kind


def canonical_body(body: Mapping[str, Any]) -> bytes:
    """Canonical bytes of a record body (an object); validates it once, up front."""
    if not isinstance(body, Mapping):
        raise CanonicalJSONError("record body must be a JSON object")
    data = canonical_json(body)
    if len(data) > MAX_RECORD_BYTES - 200:
        raise CanonicalJSONError("record body is larger than the limit")
    return data


def encode_record(seq: int, when: datetime, kind: str, body_json: bytes) -> bytes:
    """The canonical record bytes, assembled around an already canonical body.

    The envelope keys ``body < kind < seq < time`` are already in canonical order, so splicing
    is exactly what :func:`canonical_json` of the whole envelope would produce.
    """
    if seq < 0 or seq > MAX_SAFE_INTEGER:
        raise ValueError("seq out of range")
    return b"".join(
        (
            b'{"body":',
            body_json,
            b',"kind":',
            _encode_string(check_kind(kind)).encode("utf-8"),
            b',"seq":',
            str(seq).encode("ascii"),
            b',"time":"',
            format_time(when).encode("ascii"),
            b'"}',
        )
    )


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded audit record."""

    seq: int
    time: datetime
    kind: str
    body: dict[str, Any]

    def to_bytes(self) -> bytes:
        return encode_record(self.seq, self.time, self.kind, canonical_body(self.body))


def decode_record(data: bytes) -> Record:
    """Parse and validate canonical record bytes; :class:`CanonicalJSONError` if they are not."""
    value = parse_canonical(data)
    if not isinstance(value, dict) or tuple(sorted(value)) != _ENVELOPE_KEYS:
        raise CanonicalJSONError("not a record envelope (body, kind, seq, time)")
    seq, kind, body, when = value["seq"], value["kind"], value["body"], value["time"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise CanonicalJSONError("record seq must be a non-negative integer")
    if not isinstance(body, dict):
        raise CanonicalJSONError("record body must be an object")
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise CanonicalJSONError("record kind is not valid")
    try:
        parsed_time = parse_time(when) if isinstance(when, str) else None
    except ValueError:
        parsed_time = None
    if parsed_time is None:
        raise CanonicalJSONError("record time is not valid")
    return Record(seq=seq, time=parsed_time, kind=kind, body=body)


def text_digest(text: str, *, key: bytes | None = None) -> dict[str, Any]:
    """What a record keeps of a prompt or answer: its digest and length, never the text.

    ``{"sha256": hex, "chars": n}``; with ``key``, ``{"hmac-sha256": hex, "chars": n}`` instead,
    which an auditor holding the key can still match against a known text but which cannot be
    reversed by guessing short or common texts.
    """
    data = text.encode("utf-8", "surrogatepass")
    if key is None:
        return {"sha256": hashlib.sha256(data).hexdigest(), "chars": len(text)}
    return {"hmac-sha256": hmac.new(key, data, hashlib.sha256).hexdigest(), "chars": len(text)}
