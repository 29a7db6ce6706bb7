from __future__ import annotations

import base64
import contextlib
import hashlib
import stat
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from wardgate.audit import signing
from wardgate.audit.signing import BadSignature, MalformedCheckpoint, UnknownKey

ORIGIN = "wardgate.audit/0123456789abcdef"
ROOT = hashlib.sha256(b"root").digest()
WHEN = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
SEED = bytes(range(32))  # a fixed key: the note below is deterministic (Ed25519 is)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SEED)


def test_checkpoint_note_format(key: Ed25519PrivateKey) -> None:
    cp = signing.sign_checkpoint(key, ORIGIN, 42, ROOT, WHEN)
    text, _, sig_line = cp.note.rpartition("\n\n")
    assert text + "\n" == (
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\ntime 2026-01-31T12:00:00.000Z\n"
    )
    assert sig_line.startswith(f"\u2014 {ORIGIN} ")
    raw = base64.b64decode(sig_line.split(" ")[2])
    pub = key.public_key().public_bytes_raw()
    assert raw[:4] == hashlib.sha256(ORIGIN.encode() + b"\n\x01" + pub).digest()[:4]
    assert len(raw) == 4 + 64
    key.public_key().verify(raw[4:], (text + "\n").encode())
    assert (cp.size, cp.root, cp.origin, cp.time) == (42, ROOT, ORIGIN, WHEN)


def test_verify_round_trip(key: Ed25519PrivateKey) -> None:
    cp = signing.sign_checkpoint(key, ORIGIN, 0, ROOT, WHEN)
    assert signing.verify_checkpoint(cp.note, [key.public_key()], origin=ORIGIN) == cp


def test_other_signature_lines_are_ignored(key: Ed25519PrivateKey) -> None:
    witness = Ed25519PrivateKey.generate()
    cp = signing.sign_checkpoint(key, ORIGIN, 3, ROOT, WHEN)
    extra = signing.sign_checkpoint(witness, ORIGIN, 3, ROOT, WHEN).note.rpartition("\n\n")[2]
    cosigned = cp.note + extra
    assert signing.verify_checkpoint(cosigned, [key.public_key()]).size == 3
    with pytest.raises(UnknownKey):
        signing.verify_checkpoint(cp.note, [witness.public_key()])


def _alter(note: str, old: str, new: str) -> str:
    assert old in note
    return note.replace(old, new, 1)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda n: _alter(n, "\n42\n", "\n43\n"), BadSignature),
        (lambda n: _alter(n, "time 2026", "time 2027"), BadSignature),
        (
            lambda n: _alter(
                n, base64.b64encode(ROOT).decode(), base64.b64encode(bytes(32)).decode()
            ),
            BadSignature,
        ),
        (lambda n: n[:-10] + ("A" if n[-10] != "A" else "B") + n[-9:], BadSignature),
        (lambda n: n.replace(ORIGIN, "wardgate.audit/other"), UnknownKey),
        (lambda n: n.rpartition("\n\n")[0] + "\n", MalformedCheckpoint),
        (lambda n: n.replace("\n42\n", "\n042\n"), MalformedCheckpoint),
        (lambda n: n.replace("\n42\n", "\n-1\n"), MalformedCheckpoint),
        (lambda n: n.replace("time ", "when "), MalformedCheckpoint),
        (lambda n: n.replace("\u2014", "-"), MalformedCheckpoint),
        (lambda n: n.replace(base64.b64encode(ROOT).decode(), "AAAA"), MalformedCheckpoint),
        (lambda n: "\x07" + n, MalformedCheckpoint),
        (lambda n: n + "x" * signing.MAX_NOTE_BYTES, MalformedCheckpoint),
        (lambda n: "", MalformedCheckpoint),
    ],
)
def test_tampered_notes_are_rejected_with_the_right_reason(key, mutate, error) -> None:
    note = signing.sign_checkpoint(key, ORIGIN, 42, ROOT, WHEN).note
    with pytest.raises(error):
        signing.verify_checkpoint(mutate(note), [key.public_key()])


def test_origin_must_match_when_given(key: Ed25519PrivateKey) -> None:
    note = signing.sign_checkpoint(key, ORIGIN, 1, ROOT, WHEN).note
    with pytest.raises(MalformedCheckpoint, match="for log"):
        signing.verify_checkpoint(note, [key.public_key()], origin="wardgate.audit/else")


@given(st.text(max_size=300))
def test_parser_never_crashes_on_garbage(text: str) -> None:
    with contextlib.suppress(MalformedCheckpoint):
        signing.parse_checkpoint(text)


def test_key_files_round_trip_with_private_mode_0600(tmp_path, key) -> None:
    priv, pub = tmp_path / "k", tmp_path / "k.pub"
    signing.save_private_key(key, priv)
    signing.save_public_key(key.public_key(), pub)
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert signing.load_private_key(priv).private_bytes_raw() == SEED
    assert signing.load_public_key(pub).public_bytes_raw() == key.public_key().public_bytes_raw()
    with pytest.raises(FileExistsError):
        signing.save_private_key(key, priv)
    with pytest.raises(ValueError, match="public key"):
        signing.load_public_key(priv)


def test_load_rejects_other_key_types(tmp_path) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.pem"
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="Ed25519"):
        signing.load_private_key(path)


@pytest.mark.parametrize("origin", ["", "has space", "x" * 201, "tab\there"])
def test_bad_origins(key, origin: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        signing.sign_checkpoint(key, origin, 1, ROOT, WHEN)
