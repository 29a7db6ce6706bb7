"""Ed25519 keys and signed checkpoints in the transparency-dev / C2SP format.

A checkpoint (c2sp.org/tlog-checkpoint) is a signed note (c2sp.org/signed-note)::

    wardgate.audit/5f0c1d2e3a4b5c6d          <- origin: names the log
    1234                                     <- tree size
    4Y0u...=                                 <- base64 root hash
    time 2026-01-31T12:00:00.000Z            <- extension line: when it was signed
                                             <- blank line
    — wardgate.audit/5f0c1d2e3a4b5c6d AbCd...  <- em dash, key name, base64(key id || signature)

The signature is Ed25519 over the note text (every line up to the blank line, final newline
included). The key name is the origin, and the 4-byte key id is
``SHA-256(name || "\\n" || 0x01 || public key)[:4]`` as the signed-note spec recommends, so a
verifier can tell "signed by a key I do not know" (:class:`UnknownKey`) from "signed by my key,
but the signature is wrong" (:class:`BadSignature`). Other signature lines (witness cosignatures)
are ignored, as the spec requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wardgate.audit.merkle import HASH_SIZE
from wardgate.audit.records import format_time, parse_time

ORIGIN_PREFIX = "wardgate.audit/"
MAX_NOTE_BYTES = 8 * 1024
_SIG_TYPE_ED25519 = b"\x01"
_EM_DASH = "\u2014"
_ORIGIN = re.compile(r"[\x21-\x7e]{1,200}")  # printable, no spaces: it is also the key name
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_SIG_LINE = re.compile(_EM_DASH + r" (\S+) ([A-Za-z0-9+/=]+)\n")


class CheckpointError(ValueError):
    """A checkpoint that cannot be trusted; the subclass says why."""


class MalformedCheckpoint(CheckpointError):
    """Not a checkpoint in the expected format, or for another log."""


class UnknownKey(CheckpointError):
    """No signature line is from a key the verifier was given."""


class BadSignature(CheckpointError):
    """A signature from a known key does not verify: the note was altered or forged."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log ``origin`` had ``size`` records with Merkle ``root`` at ``time``.

    ``note`` is the full signed note text, as stored and exported.
    """

    origin: str
    size: int
    root: bytes
    time: datetime
    note: str


def check_origin(origin: str) -> str:
    if not _ORIGIN.fullmatch(origin):
        raise ValueError("origin must be 1-200 printable characters without spaces")
    return origin


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, key: Ed25519PublicKey) -> bytes:
    """The signed-note key id: SHA-256(name || 0x0A || 0x01 || raw public key)[:4]."""
    material = name.encode("utf-8") + b"\n" + _SIG_TYPE_ED25519 + public_key_bytes(key)
    return hashlib.sha256(material).digest()[:4]


def checkpoint_text(origin: str, size: int, root: bytes, when: datetime) -> str:
    """The note text a checkpoint signature covers."""
    if size < 0 or len(root) != HASH_SIZE:
        raise ValueError("checkpoint needs size >= 0 and a 32-byte root")
    root_b64 = base64.b64encode(root).decode("ascii")
    return f"{check_origin(origin)}\n{size}\n{root_b64}\ntime {format_time(when)}\n"


def sign_checkpoint(
    key: Ed25519PrivateKey, origin: str, size: int, root: bytes, when: datetime
) -> Checkpoint:
    """Sign the tree head (``origin``, ``size``, ``root``, ``when``) with ``key``."""
    text = checkpoint_text(origin, size, root, when)
    signature = key.sign(text.encode("utf-8"))
    blob = base64.b64encode(key_id(origin, key.public_key()) + signature).decode("ascii")
    note = f"{text}\n{_EM_DASH} {origin} {blob}\n"
    return Checkpoint(
        origin=origin, size=size, root=root, time=parse_time(format_time(when)), note=note
    )


def _b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCheckpoint("invalid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedCheckpoint("non-canonical base64")
    return raw


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Note text and its (key name, key id || signature) lines."""
    if len(note.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise MalformedCheckpoint("note is larger than the limit")
    if any(ord(c) < 0x20 and c != "\n" for c in note) or any(
        0xD800 <= ord(c) <= 0xDFFF for c in note
    ):
        raise MalformedCheckpoint("note holds control characters")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise MalformedCheckpoint("note has no signature block")
    text, block = note[: cut + 1], note[cut + 2 :]
    sigs: list[tuple[str, bytes]] = []
    pos = 0
    while pos < len(block):
        match = _SIG_LINE.match(block, pos)
        if match is None:
            raise MalformedCheckpoint("malformed signature line")
        raw = _b64(match.group(2))
        if len(raw) < 5:
            raise MalformedCheckpoint("signature too short")
        sigs.append((match.group(1), raw))
        pos = match.end()
    if not sigs:
        raise MalformedCheckpoint("note has no signature")
    return text, sigs


def _parse_text(text: str, note: str) -> Checkpoint:
    lines = text.split("\n")[:-1]
    if len(lines) < 3:
        raise MalformedCheckpoint("checkpoint needs origin, size and root lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not _ORIGIN.fullmatch(origin) or not _SIZE.fullmatch(size_text):
        raise MalformedCheckpoint("bad origin or tree size line")
    root = _b64(root_text)
    if len(root) != HASH_SIZE:
        raise MalformedCheckpoint("root hash is not 32 bytes")
    times = [line[5:] for line in lines[3:] if line.startswith("time ")]
    if len(times) != 1:
        raise MalformedCheckpoint("checkpoint needs exactly one time line")
    try:
        when = parse_time(times[0])
    except ValueError:
        raise MalformedCheckpoint("bad time line") from None
    return Checkpoint(origin=origin, size=int(size_text), root=root, time=when, note=note)


def parse_checkpoint(note: str) -> Checkpoint:
    """Parse a signed checkpoint WITHOUT verifying it (for display); see :func:`verify_checkpoint`."""
    text, _ = _split_note(note)
    return _parse_text(text, note)


def verify_checkpoint(
    note: str, keys: Iterable[Ed25519PublicKey], *, origin: str | None = None
) -> Checkpoint:
    """Parse ``note`` and check it is signed by one of ``keys`` (and is for ``origin``).

    Raises :class:`MalformedCheckpoint`, :class:`UnknownKey` (no signature from these keys) or
    :class:`BadSignature` (a signature from one of these keys fails: the note was altered).
    """
    text, sigs = _split_note(note)
    checkpoint = _parse_text(text, note)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedCheckpoint(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    message = text.encode("utf-8")
    known = {key_id(checkpoint.origin, key): key for key in keys}
    verified = False
    for name, raw in sigs:
        key = known.get(raw[:4]) if name == checkpoint.origin else None
        if key is None:
            continue  # another signer (a witness, a rotated key): ignored, per the note spec
        try:
            key.verify(raw[4:], message)
        except InvalidSignature:
            raise BadSignature("signature does not verify: the checkpoint was altered") from None
        verified = True
    if not verified:
        raise UnknownKey("checkpoint is not signed by the given public key")
    return checkpoint


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def save_private_key(key: Ed25519PrivateKey, path: str | Path) -> None:
    """Write ``key`` as PKCS#8 PEM, mode 0600; refuses to overwrite an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_key_pem(key))


def save_public_key(key: Ed25519PublicKey, path: str | Path) -> None:
    """Write ``key`` as SubjectPublicKeyInfo PEM (mode 0644); refuses to overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(public_key_pem(key))


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an unencrypted PKCS#8 PEM Ed25519 private key; ``ValueError`` for anything else."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read a PEM Ed25519 public key (a private key file is refused: use the .pub)."""
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key
