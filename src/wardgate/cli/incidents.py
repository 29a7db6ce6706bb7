"""``wardgate incidents``: list, show and work security incidents.

The database is ``--db``, else ``$WARDGATE_DB``, else ``wardgate.db`` in the current directory.
With no sub-command it lists incidents. Each workflow step (ack, assign, resolve,
false-positive, reopen, note) is also appended to the audit trail as an ``incident`` record when
the database has one, so the trail shows who changed what and when.

Exit status: 0 on success, 1 when the incident does not exist, the step is not allowed from its
status, or the audit record could not be written; 2 for usage errors.
Identities and routes come from traffic: they are shown with control characters escaped.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wardgate.audit.log import AuditLog, AuditStoreError
from wardgate.audit.records import INCIDENT, CanonicalJSONError
from wardgate.cli.keys import (
    DB_ENV,
    DEFAULT_DB,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    database_path,
    parse_duration,
)
from wardgate.incidents.model import (
    Incident,
    IncidentChange,
    IncidentError,
    IncidentStatus,
    parse_incident_id,
)
from wardgate.incidents.store import MAX_PAGE, DurationStats, IncidentStats, IncidentStore
from wardgate.storage.sqlite import connect

_COMMANDS = "{list,show,ack,assign,resolve,false-positive,reopen,note,stats}"
_CELL_WIDTH = 40
_USAGE_EXAMPLES = """\
examples:
  wardgate incidents                          open and closed incidents, latest first
  wardgate incidents --status open --json     open incidents as a JSON array
  wardgate incidents show INC-000042
  wardgate incidents ack INC-000042 --owner alice
  wardgate incidents resolve INC-000042 --by alice --reason "key rotated, caller blocked"
"""


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number") from None
    if not 1 <= value <= MAX_PAGE:
        raise argparse.ArgumentTypeError(f"must be 1-{MAX_PAGE}")
    return value


def _offset(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--db`` and ``--json``. Below the top level their default is SUPPRESS, so a sub-command
    that is not given them keeps the top-level value (``incidents --json show X`` works)."""
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--db", default=default, help=f"database (default: ${DB_ENV} or {DEFAULT_DB})"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="JSON output",
    )


def _filters(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default: Any = None if top else argparse.SUPPRESS
    statuses = [s.value for s in IncidentStatus]
    parser.add_argument("--status", choices=statuses, default=default, help="only this status")
    parser.add_argument("--category", default=default, help="only this category")
    parser.add_argument("--identity", default=default, help="only this caller (subject)")
    parser.add_argument("--tenant", default=default, help="only this tenant")
    parser.add_argument("--route", default=default, help="only this route")
    parser.add_argument(
        "--since",
        type=parse_duration,
        default=default,
        metavar="DURATION",
        help="only incidents active in the last DURATION (e.g. 24h, 7d)",
    )
    parser.add_argument(
        "--limit", type=_limit, default=100 if top else default, help=f"page size (1-{MAX_PAGE})"
    )
    parser.add_argument(
        "--offset", type=_offset, default=0 if top else default, help="skip this many"
    )
    _common(parser, top=top)


def _incident_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("incident", metavar="ID", help="incident id, e.g. INC-000042")


def add_parser(subparsers: Any) -> None:
    """Add ``incidents`` and its sub-commands to the ``wardgate`` sub-command parsers."""
    incidents = subparsers.add_parser(
        "incidents",
        help="security incidents: list, show, acknowledge, assign, resolve",
        description="Findings grouped into incidents by caller, route and category. "
        "With no sub-command, lists incidents (latest activity first).",
        epilog=_USAGE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _filters(incidents, top=True)
    sub = incidents.add_subparsers(dest="incidents_command", metavar=_COMMANDS)

    listing = sub.add_parser("list", help="list incidents (the default)")
    _filters(listing, top=False)

    show = sub.add_parser("show", help="one incident in full, with its notes")
    _incident_arg(show)
    _common(show, top=False)

    for name, help_text in (
        ("ack", "acknowledge an open incident and take ownership"),
        ("assign", "give an open or acknowledged incident to someone"),
    ):
        step = sub.add_parser(name, help=help_text)
        _incident_arg(step)
        step.add_argument("--owner", required=True, metavar="NAME", help="who owns it now")
        _common(step, top=False)

    for name, help_text in (
        ("resolve", "close an incident as dealt with"),
        ("false-positive", "close (or reclassify) an incident as a false positive"),
        ("reopen", "reopen a resolved or false-positive incident"),
    ):
        step = sub.add_parser(name, help=help_text)
        _incident_arg(step)
        step.add_argument("--by", required=True, metavar="NAME", help="who is doing this")
        step.add_argument("--reason", required=True, metavar="TEXT", help="why, for the record")
        _common(step, top=False)

    note = sub.add_parser("note", help="add a note to an incident")
    _incident_arg(note)
    note.add_argument("--author", required=True, metavar="NAME", help="who writes the note")
    note.add_argument("text", metavar="TEXT", help="the note (at most 4000 characters)")
    _common(note, top=False)

    stats = sub.add_parser("stats", help="counts and time to acknowledge / resolve")
    stats.add_argument(
        "--since",
        type=parse_duration,
        default=argparse.SUPPRESS,
        metavar="DURATION",
        help="only incidents first seen in the last DURATION",
    )
    _common(stats, top=False)


def run(args: argparse.Namespace) -> int:
    """Run the ``incidents`` sub-command in ``args``; returns the exit status."""
    command: str = getattr(args, "incidents_command", None) or "list"
    path = database_path(args.db)
    try:
        if command == "list":
            return _list(path, args)
        if command == "stats":
            return _stats(path, args)
        number = parse_incident_id(args.incident)
        if command == "show":
            return _show(path, number, as_json=args.json)
        return _step(path, number, command, args)
    except ValueError as exc:  # bad id, names or text: messages name the rule, not the input
        return _fail(command, str(exc), EXIT_USAGE)


def _fail(command: str, message: str, status: int) -> int:
    print(f"wardgate incidents {command}: {message}", file=sys.stderr)
    return status


def _list(path: Path, args: argparse.Namespace) -> int:
    incidents: list[Incident] = []
    total = 0
    since = None if args.since is None else datetime.now(UTC) - args.since
    filters: dict[str, Any] = {
        "status": args.status,
        "category": args.category,
        "identity": args.identity,
        "route": args.route,
        "tenant": args.tenant,
        "since": since,
    }
    if path.exists():  # do not create an empty database just to list it
        store = IncidentStore.open(path)
        try:
            incidents = store.list(**filters, limit=args.limit, offset=args.offset)
            total = store.count(**filters)
        finally:
            store.close()
    if args.json:
        print(json.dumps([i.to_dict() for i in incidents]))
        return EXIT_OK
    if not incidents:
        print("no incidents", file=sys.stderr)
        return EXIT_OK
    rows = [
        (
            "ID",
            "SEVERITY",
            "STATUS",
            "CATEGORY",
            "IDENTITY",
            "ROUTE",
            "EVENTS",
            "OWNER",
            "LAST_SEEN",
        )
    ]
    for i in incidents:
        rows.append(
            (
                i.id,
                str(i.severity),
                i.status.value,
                _cell(i.category),
                _cell(i.identity),
                _cell(i.route),
                str(i.event_count),
                _cell(i.owner or "-"),
                _when(i.last_seen),
            )
        )
    _table(rows)
    first = args.offset + 1
    shown = f"{first}-{args.offset + len(incidents)} of {total}"
    more = (
        f"; --offset {args.offset + len(incidents)} for more"
        if first + len(incidents) <= total
        else ""
    )
    print(f"incidents {shown}{more}", file=sys.stderr)
    return EXIT_OK


def _show(path: Path, number: int, *, as_json: bool) -> int:
    incident = None
    if path.exists():
        store = IncidentStore.open(path)
        try:
            incident = store.get(number)
        finally:
            store.close()
    if incident is None:
        return _fail("show", "no such incident", EXIT_FAILURE)
    if as_json:
        print(json.dumps(incident.to_dict()))
    else:
        print(_details(incident))
    return EXIT_OK


def _step(path: Path, number: int, command: str, args: argparse.Namespace) -> int:
    if not path.exists():
        return _fail(command, "no such incident", EXIT_FAILURE)
    store = IncidentStore.open(path)
    try:
        if command == "ack":
            incident, change = store.acknowledge(number, args.owner)
        elif command == "assign":
            incident, change = store.assign(number, args.owner)
        elif command == "resolve":
            incident, change = store.resolve(number, args.by, args.reason)
        elif command == "false-positive":
            incident, change = store.mark_false_positive(number, args.by, args.reason)
        elif command == "reopen":
            incident, change = store.reopen(number, args.by, args.reason)
        elif command == "note":
            incident, change = store.add_note(number, args.author, args.text)
        else:
            return _fail(command, "unknown command", EXIT_USAGE)
    except IncidentError as exc:  # not found, or not allowed from its status
        return _fail(command, str(exc), EXIT_FAILURE)
    finally:
        store.close()
    if args.json:
        print(json.dumps(incident.to_dict()))
    else:
        owner = f", owner {_cell(incident.owner)}" if incident.owner else ""
        print(
            f"{incident.id} {change.action.value} by {_cell(change.actor)}: now {incident.status.value}{owner}"
        )
    return _audit(path, command, change)


def _audit(path: Path, command: str, change: IncidentChange) -> int:
    """Append ``change`` to the audit trail, if this database keeps one."""
    try:
        conn = connect(path)
        try:
            has_log = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_records'"
            ).fetchone()
        finally:
            conn.close()
        if has_log is None:
            return EXIT_OK
        log = AuditLog.open(path)
        try:
            ref = log.append(INCIDENT, change.to_audit_body())
        finally:
            log.close()
    except (sqlite3.Error, AuditStoreError, CanonicalJSONError) as exc:
        return _fail(
            command, f"the change was saved but its audit record was not: {exc}", EXIT_FAILURE
        )
    print(f"audit record {ref.seq}", file=sys.stderr)
    return EXIT_OK


def _stats(path: Path, args: argparse.Namespace) -> int:
    since = None if args.since is None else datetime.now(UTC) - args.since
    none = DurationStats(0, None, None)
    stats = IncidentStats(0, {}, {}, {}, none, none)
    if path.exists():
        store = IncidentStore.open(path)
        try:
            stats = store.stats(since)
        finally:
            store.close()
    if args.json:
        print(json.dumps(stats.to_dict()))
        return EXIT_OK
    print(f"incidents: {stats.total}")
    for title, counts in (
        ("by status", stats.by_status),
        ("by severity", stats.by_severity),
        ("by category", stats.by_category),
    ):
        if counts:
            print(f"{title}: " + ", ".join(f"{_cell(k)} {v}" for k, v in counts.items()))
    for title, d in (
        ("time to acknowledge", stats.time_to_acknowledge),
        ("time to resolve", stats.time_to_resolve),
    ):
        if d.count:
            print(
                f"{title}: mean {_duration(d.mean_s)}, median {_duration(d.median_s)} "
                f"({d.count} incidents)"
            )
        else:
            print(f"{title}: -")
    return EXIT_OK


# -- formatting --------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Escape control and other non-printable characters (a subject could carry ANSI codes)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _cell(text: str | None, width: int = _CELL_WIDTH) -> str:
    out = _clean(text or "")
    return out if len(out) <= width else out[: width - 1] + "…"


def _when(when: datetime | None) -> str:
    return "-" if when is None else when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _details(i: Incident) -> str:
    lines = [f"{i.id}  {_clean(i.title)}"]

    def field(name: str, value: str) -> None:
        lines.append(f"  {name:<13} {value}")

    status = i.status.value + (f" (owner {_clean(i.owner)})" if i.owner else "")
    field("status", status)
    field("severity", f"{i.severity}  (max score {i.max_score:.2f})")
    tenant = f" (tenant {_clean(i.tenant)})" if i.tenant else ""
    field("identity", _clean(i.identity) + tenant)
    field("route", _clean(i.route))
    field("category", _clean(i.category))
    reopened = f", reopened {i.reopen_count}x" if i.reopen_count else ""
    field("events", f"{i.event_count}{reopened}")
    field("first seen", _when(i.first_seen))
    field("last seen", _when(i.last_seen))
    if i.opened_at != i.first_seen:
        field("reopened at", _when(i.opened_at))
    field("acknowledged", _when(i.acknowledged_at))
    closed = _when(i.resolved_at)
    if i.resolved_by:
        closed += f" by {_clean(i.resolved_by)}"
    field("closed", closed)
    if i.resolution:
        field("reason", _clean(i.resolution))
    field("taxonomy", ", ".join(i.taxonomy) or "-")
    field("rules", _clean(", ".join(i.rule_ids)) or "-")
    seqs = ", ".join(str(s) for s in i.audit.first)
    if i.audit.last:
        seqs += (" … " if i.audit.truncated else ", ") + ", ".join(str(s) for s in i.audit.last)
    if i.audit.truncated:
        seqs += f"  ({i.audit.total} linked; first and latest kept)"
    field("audit seqs", seqs or "-")
    field("summary", _clean(i.summary) or "-")
    if i.statistic:
        field("statistic", _clean(", ".join(f"{k}={v}" for k, v in i.statistic.items())))
    if i.last_exchange_id:
        field("last exchange", _clean(i.last_exchange_id))
    lines.append(f"notes ({i.note_count}):" if i.notes else "notes: -")
    for note in i.notes:
        text = "\n      ".join(_clean(part) for part in note.text.split("\n"))
        lines.append(f"  {_when(note.at)}  {_clean(note.author)}:\n      {text}")
    return "\n".join(lines)
