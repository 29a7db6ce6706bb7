"""``wardgate audit``: signing keys, checkpoints, export, offline verification and proofs.

The database is ``--db``, else ``$WARDGATE_DB``, else ``wardgate.db`` in the current directory.
Exit status: 0 when all is well, 1 when verification found problems, 2 for usage errors
(missing files, unreadable keys, bad arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wardgate.audit import merkle, signing
from wardgate.audit.bundle import BundleError, export_bundle, load_bundle
from wardgate.audit.log import AuditLog, AuditStoreError
from wardgate.audit.verify import VerificationReport, verify_bundle, verify_log
from wardgate.cli.keys import DB_ENV, DEFAULT_DB, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, database_path

_COMMANDS = "{keygen,checkpoint,export,verify,proof}"


def add_parser(subparsers: Any) -> None:
    """Add ``audit`` and its sub-commands to the ``wardgate`` sub-command parsers."""
    audit = subparsers.add_parser("audit", help="tamper-evident audit log: sign, export, verify")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar=_COMMANDS)
    db_help = f"audit database (default: ${DB_ENV} or {DEFAULT_DB})"

    keygen = sub.add_parser("keygen", help="create an Ed25519 checkpoint signing key")
    keygen.add_argument("--out", required=True, metavar="KEY", help="private key file (0600)")

    checkpoint = sub.add_parser("checkpoint", help="sign the log's current size and root")
    checkpoint.add_argument("--key", required=True, metavar="KEY", help="private key file")
    checkpoint.add_argument("--export", metavar="FILE", help="also write the signed note here")
    checkpoint.add_argument("--db", help=db_help)

    export = sub.add_parser("export", help="write a self-contained bundle for auditors")
    export.add_argument("--out", required=True, metavar="FILE", help="bundle file (JSON)")
    export.add_argument("--db", help=db_help)

    verify = sub.add_parser("verify", help="verify a bundle, or the database log, offline")
    verify.add_argument("bundle", nargs="?", metavar="FILE", help="bundle (default: the --db log)")
    verify.add_argument(
        "--public-key",
        dest="public_keys",
        action="append",
        required=True,
        metavar="KEY",
        help="trusted public key file (repeatable, e.g. across a key rotation)",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--db", help=db_help)

    proof = sub.add_parser("proof", help="inclusion proof of one record, as JSON")
    proof.add_argument("seq", type=int, metavar="SEQ", help="the record's seq")
    proof.add_argument(
        "--size", type=int, metavar="N", help="tree size (default: latest checkpoint covering it)"
    )
    proof.add_argument("--db", help=db_help)


def run(args: argparse.Namespace) -> int:
    """Run the ``audit`` sub-command in ``args``; returns the exit status."""
    command: str = args.audit_command
    try:
        if command == "keygen":
            return _keygen(Path(args.out))
        if command == "verify":
            return _verify(args)
        path = database_path(args.db)
        if not path.is_file():
            return _usage(command, f"no database at {path}")
        if command == "checkpoint":
            return _checkpoint(path, Path(args.key), args.export)
        if command == "export":
            return _export(path, Path(args.out))
        if command == "proof":
            return _proof(path, args.seq, args.size)
    except AuditStoreError as exc:
        print(f"wardgate audit {command}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return _usage(command, "unknown command")


def _usage(command: str, message: str) -> int:
    print(f"wardgate audit {command}: {message}", file=sys.stderr)
    return EXIT_USAGE


def _keygen(out: Path) -> int:
    pub = out.with_name(out.name + ".pub")
    for existing in (out, pub):
        if existing.exists():
            return _usage("keygen", f"{existing} exists; refusing to overwrite a key")
    key = signing.generate_private_key()
    try:
        signing.save_private_key(key, out)
        signing.save_public_key(key.public_key(), pub)
    except OSError as exc:
        return _usage("keygen", f"cannot write key: {exc.strerror or exc}")
    print(f"wrote {out} (private, mode 0600) and {pub} (public)", file=sys.stderr)
    print(pub)
    return EXIT_OK


def _load_private(path: Path) -> Ed25519PrivateKey | str:
    try:
        return signing.load_private_key(path)
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return f"{path} is not an unencrypted Ed25519 private key (PEM)"


def _load_public(path: Path) -> Ed25519PublicKey | str:
    try:
        return signing.load_public_key(path)
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return f"{path} is not an Ed25519 public key (PEM); give the .pub file"


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".wardgate-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _checkpoint(path: Path, key_path: Path, export: str | None) -> int:
    key = _load_private(key_path)
    if isinstance(key, str):
        return _usage("checkpoint", key)
    log = AuditLog.open(path)
    try:
        signed = log.checkpoint(key)
    finally:
        log.close()
    if export:
        try:
            _write_atomic(Path(export), signed.note)
        except OSError as exc:
            return _usage("checkpoint", f"cannot write {export}: {exc.strerror or exc}")
    print(signed.note, end="")
    return EXIT_OK


def _export(path: Path, out: Path) -> int:
    log = AuditLog.open(path)
    try:
        summary = export_bundle(log, out)
    except OSError as exc:
        return _usage("export", f"cannot write {out}: {exc.strerror or exc}")
    finally:
        log.close()
    print(
        f"exported {summary.records} records and {summary.checkpoints} checkpoints to {out}",
        file=sys.stderr,
    )
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    keys: list[Ed25519PublicKey] = []
    for name in args.public_keys:
        key = _load_public(Path(name))
        if isinstance(key, str):
            return _usage("verify", key)
        keys.append(key)
    report: VerificationReport
    try:
        if args.bundle:
            report = verify_bundle(load_bundle(args.bundle), keys)
        else:
            report = verify_log(database_path(args.db), keys)
    except OSError as exc:
        return _usage("verify", f"cannot read {args.bundle}: {exc.strerror or exc}")
    except (BundleError, ValueError) as exc:
        return _usage("verify", str(exc))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.format_text())
    return EXIT_OK if report.ok else EXIT_FAILURE


def _proof(path: Path, seq: int, size: int | None) -> int:
    log = AuditLog.open(path)
    try:
        current = log.size
        if not 0 <= seq < current:
            return _usage("proof", f"no record {seq} (the log has {current})")
        covering = None
        for _, note in reversed(log.checkpoint_notes()):
            try:
                cp = signing.parse_checkpoint(note)
            except signing.MalformedCheckpoint:
                continue
            if (size is None and cp.size > seq) or cp.size == size:
                covering = cp
                break
        tree_size = size if size is not None else covering.size if covering else current
        if not seq < tree_size <= current:
            return _usage("proof", f"--size must be in {seq + 1}..{current}")
        record = log.record(seq)
        assert record is not None
        proof = log.inclusion_proof(seq, tree_size)
        root = log.root(tree_size)
    finally:
        log.close()
    leaf = merkle.leaf_hash(record.data)  # of the record as it is now, not the stored hash
    signed = covering if covering is not None and covering.size == tree_size else None
    out = {
        "seq": seq,
        "tree_size": tree_size,
        "leaf_hash": leaf.hex(),
        "root": root.hex(),
        "proof": [h.hex() for h in proof],
        "verifies": merkle.verify_inclusion(leaf, seq, tree_size, proof, root),
        "record": record.data.decode("utf-8", "replace"),
        "checkpoint": signed.note if signed else None,
        "matches_checkpoint": (signed.root == root) if signed else None,
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return EXIT_OK
