"""``wardgate keys``: create, list and revoke gateway API keys.

The database is ``--db``, else ``$WARDGATE_DB``, else ``wardgate.db`` in the current directory.
The optional hash pepper comes from ``$WARDGATE_KEY_PEPPER`` and must match the gateway's.
A new key's secret is printed once, on stdout (so it can be captured), with the warning on
stderr; it is never stored and cannot be shown again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wardgate.audit.log import AuditLog
from wardgate.policy import keys as keyfmt
from wardgate.storage.keys import ApiKeyRecord, KeyStore

DB_ENV = "WARDGATE_DB"
DEFAULT_DB = "wardgate.db"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

_DURATION = re.compile(r"([1-9][0-9]{0,6})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_MAX_DURATION = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h`` or ``90m`` as a timedelta (at most ten years)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError("expected a duration like 30d, 12h or 90m")
    delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if delta > _MAX_DURATION:
        raise argparse.ArgumentTypeError("duration must be at most 3650d")
    return delta


def database_path(arg: str | None) -> Path:
    """``--db`` if given, else ``$WARDGATE_DB``, else ``wardgate.db`` here."""
    return Path(arg or os.environ.get(DB_ENV) or DEFAULT_DB)


def add_parser(subparsers: Any) -> None:
    """Add ``keys`` and its sub-commands to the ``wardgate`` sub-command parsers."""
    keys = subparsers.add_parser("keys", help="manage gateway API keys")
    sub = keys.add_subparsers(dest="keys_command", required=True, metavar="{create,list,revoke}")
    db_help = f"key database (default: ${DB_ENV} or {DEFAULT_DB})"

    create = sub.add_parser("create", help="create a key and print its secret once")
    create.add_argument("--name", required=True, help="who or what the key is for (the subject)")
    create.add_argument("--tenant", default="", help="tenant the key belongs to")
    create.add_argument(
        "--group", dest="groups", action="append", default=[], help="group (repeatable)"
    )
    create.add_argument(
        "--scope", dest="scopes", action="append", default=[], help="scope (repeatable)"
    )
    create.add_argument(
        "--expires-in", type=parse_duration, metavar="DURATION", help="e.g. 30d, 12h, 90m"
    )
    create.add_argument("--db", help=db_help)
    create.add_argument("--json", action="store_true", help="print the result as JSON")

    listing = sub.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--db", help=db_help)
    listing.add_argument("--json", action="store_true", help="print the keys as JSON")

    revoke = sub.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id (as shown by list)")
    revoke.add_argument("--db", help=db_help)


def run(args: argparse.Namespace) -> int:
    """Run the ``keys`` sub-command in ``args``; returns the exit status."""
    path = database_path(args.db)
    command: str = args.keys_command
    if command == "create":
        return _create(path, args)
    if command == "list":
        return _list(path, as_json=args.json)
    if command == "revoke":
        return _revoke(path, args.key_id)
    print(f"wardgate keys: unknown command {command!r}", file=sys.stderr)
    return EXIT_USAGE


def _open(path: Path) -> KeyStore:
    return KeyStore.open(path, pepper=keyfmt.pepper_from_env())


def _create(path: Path, args: argparse.Namespace) -> int:
    expires_at = None
    if args.expires_in is not None:
        expires_at = datetime.now(UTC) + args.expires_in
    store = _open(path)
    try:
        record, secret = store.create(
            args.name,
            tenant=args.tenant,
            groups=args.groups,
            scopes=args.scopes,
            expires_at=expires_at,
        )
    except ValueError as exc:
        print(f"wardgate keys create: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
    _audit(path, "create", record)
    if args.json:
        print(json.dumps({"key": record.to_dict(), "secret": secret}))
    else:
        print(f"Created key {record.key_id} ({record.name}):", file=sys.stderr)
        print(secret)
    print(
        "Store this secret now: it is not saved and cannot be shown again.",
        file=sys.stderr,
    )
    return EXIT_OK


def _list(path: Path, *, as_json: bool) -> int:
    records: list[ApiKeyRecord] = []
    if path.exists():  # do not create an empty database just to list it
        store = _open(path)
        try:
            records = store.list()
        finally:
            store.close()
    if as_json:
        print(json.dumps([r.to_dict() for r in records]))
        return EXIT_OK
    if not records:
        print("no keys", file=sys.stderr)
        return EXIT_OK
    now = datetime.now(UTC)
    rows = [("KEY_ID", "NAME", "TENANT", "GROUPS", "SCOPES", "STATUS", "EXPIRES", "LAST_USED")]
    for r in records:
        status = "revoked" if r.revoked else "expired" if r.expired(now) else "active"
        info = r.to_dict()
        rows.append(
            (
                r.key_id,
                r.name,
                r.tenant or "-",
                ",".join(r.groups) or "-",
                ",".join(r.scopes) or "-",
                status,
                info["expires_at"] or "never",
                info["last_used_at"] or "never",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def _revoke(path: Path, key_arg: str) -> int:
    # Accept a full key pasted by mistake, but never echo it: only its public id.
    parsed = keyfmt.parse_key(key_arg.strip())
    key_id = parsed[0] if parsed else key_arg.strip()
    revoked = False
    record: ApiKeyRecord | None = None
    if path.exists():
        store = _open(path)
        try:
            revoked = store.revoke(key_id)
            record = next((r for r in store.list() if r.key_id == key_id), None)
        finally:
            store.close()
    if not revoked:
        print("wardgate keys revoke: no key with that id", file=sys.stderr)
        return EXIT_FAILURE
    if record is not None:
        _audit(path, "revoke", record)
    print(f"revoked {key_id}")
    return EXIT_OK


def _audit(path: Path, event: str, record: ApiKeyRecord) -> None:
    """Key changes go to the database's audit trail (the secret and its hash never do)."""
    log = AuditLog.open(path)
    try:
        log.append(
            "key",
            {
                "event": event,
                "key_id": record.key_id,
                "name": record.name,
                "tenant": record.tenant,
                "groups": list(record.groups),
                "scopes": list(record.scopes),
                "expires_at": record.to_dict()["expires_at"],
                "by": os.environ.get("USER", ""),
            },
        )
    finally:
        log.close()
