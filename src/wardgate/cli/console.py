"""``wardgate console``: console accounts and API tokens, from the gateway's machine.

The first admin account can only be made here (the console has no sign-up page)::

    wardgate console user add maria --role admin          # prints a generated password once
    printf '%s\\n' "$PW" | wardgate console user add li --role analyst --password-stdin
    wardgate console user list [--json]
    wardgate console user passwd maria [--password-stdin]
    wardgate console user remove li
    wardgate console token create --user maria --label siem-export   # prints the token once
    wardgate console token list [--user maria]
    wardgate console token revoke TOKEN_ID

The database is ``--db``, else ``$WARDGATE_DB``, else ``wardgate.db`` (the gateway's). A
generated password or a token is printed once on stdout (so it can be captured), the warning on
stderr; neither is stored, only hashes. Every change is a ``console`` audit record.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from wardgate.audit.log import AuditLog
from wardgate.console.accounts import AccountError, AccountStore, Role
from wardgate.console.passwords import PasswordError, check_password, generate_password

DB_ENV = "WARDGATE_DB"
DEFAULT_DB = "wardgate.db"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_parser(subparsers: Any) -> None:
    """Add ``console`` and its sub-commands to the ``wardgate`` sub-command parsers."""
    console = subparsers.add_parser("console", help="manage console accounts and API tokens")
    groups = console.add_subparsers(dest="console_group", required=True, metavar="{user,token}")
    db_help = f"database (default: ${DB_ENV} or {DEFAULT_DB})"

    user = groups.add_parser("user", help="console accounts")
    users = user.add_subparsers(
        dest="console_command", required=True, metavar="{add,list,passwd,remove}"
    )
    add = users.add_parser("add", help="create an account (prints a generated password once)")
    add.add_argument("name")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.VIEWER.value)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--db", help=db_help)
    listing = users.add_parser("list", help="list accounts")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--db", help=db_help)
    passwd = users.add_parser("passwd", help="set a new password (ends the account's sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.add_argument("--db", help=db_help)
    remove = users.add_parser("remove", help="remove an account, its sessions and tokens")
    remove.add_argument("name")
    remove.add_argument("--db", help=db_help)

    token = groups.add_parser("token", help="admin API tokens")
    tokens = token.add_subparsers(
        dest="console_command", required=True, metavar="{create,list,revoke}"
    )
    create = tokens.add_parser("create", help="create a token acting as an account (printed once)")
    create.add_argument("--user", required=True)
    create.add_argument("--label", required=True)
    create.add_argument("--db", help=db_help)
    tlist = tokens.add_parser("list", help="list tokens (never their secrets)")
    tlist.add_argument("--user")
    tlist.add_argument("--json", action="store_true")
    tlist.add_argument("--db", help=db_help)
    revoke = tokens.add_parser("revoke", help="revoke a token")
    revoke.add_argument("token_id")
    revoke.add_argument("--db", help=db_help)


def _db(arg: str | None) -> Path:
    return Path(arg or os.environ.get(DB_ENV) or DEFAULT_DB)


def _audit(path: Path, body: dict[str, Any]) -> None:
    log = AuditLog.open(path)
    try:
        log.append("console", {**body, "by": os.environ.get("USER", "")})
    finally:
        log.close()


def _read_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    """Run the ``console`` sub-command in ``args``; returns the exit status."""
    path = _db(args.db)
    group: str = args.console_group
    command: str = args.console_command
    if command in {"list", "remove", "passwd", "revoke"} and not path.exists():
        print(f"wardgate console: no database at {path}", file=sys.stderr)
        return EXIT_FAILURE
    store = AccountStore.open(path)
    try:
        if group == "user":
            return _user(store, path, command, args)
        return _token(store, path, command, args)
    except (AccountError, PasswordError) as exc:
        print(f"wardgate console: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()


def _user(store: AccountStore, path: Path, command: str, args: argparse.Namespace) -> int:
    if command == "list":
        users = store.users()
        if args.json:
            print(json.dumps([u.to_dict() for u in users]))
        elif not users:
            print("no console accounts", file=sys.stderr)
        else:
            for u in users:
                print(f"{u.name}\t{u.role.value}")
        return EXIT_OK
    if command == "remove":
        user = store.get(args.name)
        if user is None:
            print("wardgate console: no such account", file=sys.stderr)
            return EXIT_FAILURE
        if user.role is Role.ADMIN and store.count_admins() <= 1 and len(store.users()) > 1:
            print("wardgate console: the last admin cannot be removed", file=sys.stderr)
            return EXIT_FAILURE
        store.remove(args.name)
        _audit(path, {"event": "user-remove", "user": args.name})
        print(f"removed {args.name}", file=sys.stderr)
        return EXIT_OK
    generated = not args.password_stdin
    password = generate_password() if generated else check_password(_read_password())
    if command == "add":
        user = store.add(args.name, args.role, password)
        _audit(path, {"event": "user-add", "user": user.name, "role": user.role.value})
        print(f"Created console account {user.name} ({user.role.value}).", file=sys.stderr)
    else:
        if store.get(args.name) is None:
            print("wardgate console: no such account", file=sys.stderr)
            return EXIT_FAILURE
        store.set_password(args.name, password)
        _audit(path, {"event": "password-reset", "user": args.name})
        print(f"New password set for {args.name}; their sessions ended.", file=sys.stderr)
    if generated:
        print(password)
        print(
            "Store this password now: it is not saved and cannot be shown again.", file=sys.stderr
        )
    return EXIT_OK


def _token(store: AccountStore, path: Path, command: str, args: argparse.Namespace) -> int:
    if command == "create":
        record, token = store.create_token(args.user, args.label)
        _audit(path, {"event": "token-create", "token_id": record.token_id, "user": args.user})
        print(token)
        print("Store this token now: it is not saved and cannot be shown again.", file=sys.stderr)
        return EXIT_OK
    if command == "list":
        tokens = store.tokens(args.user)
        if args.json:
            print(json.dumps([t.to_dict() for t in tokens]))
        else:
            for t in tokens:
                state = "revoked" if t.revoked_at is not None else "active"
                print(f"{t.token_id}\t{t.user_name}\t{state}\t{t.label}")
        return EXIT_OK
    if not store.revoke_token(args.token_id):
        print("wardgate console: no such token", file=sys.stderr)
        return EXIT_FAILURE
    _audit(path, {"event": "token-revoke", "token_id": args.token_id})
    print(f"revoked {args.token_id}", file=sys.stderr)
    return EXIT_OK


__all__ = ["add_parser", "run"]
