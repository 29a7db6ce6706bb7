"""``wardgate report``: audit-ready compliance evidence from the live store.

Reads the database (``--db``, else ``$WARDGATE_DB``, else ``wardgate.db``) read-only, assesses
the 18 controls for the window ``--since <= time < --until`` (ISO 8601, UTC when no offset is
given) and writes one of: ``html`` (self-contained page), ``pdf``, ``json`` (everything, for
pipelines), ``aiverify`` (AI Verify process-checklist input blocks) or ``cyclonedx`` (a
CycloneDX 1.6 attestation, schema-validated). ``--public-key`` verifies the audit log against
its signed checkpoints first; without it the report says the figures are unverified.

Exit status: 0 when the report was written, 2 for usage errors (no database, unreadable key or
benchmark page, bad dates), 1 when it could not be produced or written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm

from wardgate.cli.keys import DB_ENV, DEFAULT_DB, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, database_path
from wardgate.compliance.assess import Thresholds
from wardgate.compliance.evidence import EvidenceError
from wardgate.compliance.report import Report, build_report

FORMATS = ("html", "pdf", "json", "aiverify", "cyclonedx")
DEFAULT_BENCHMARKS = Path("docs/benchmarks.md")


def parse_when(text: str) -> datetime:
    """``2026-03-01`` or ``2026-03-01T12:00[:00][Z|+08:00]`` as an aware datetime (UTC default)."""
    value = text.strip()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected an ISO 8601 date or time, e.g. 2026-03-01 or 2026-03-01T12:00:00Z"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of hours") from None
    if not 0 < value <= 24 * 3650:
        raise argparse.ArgumentTypeError("expected hours between 0 and 87600")
    return value


def add_parser(subparsers: Any) -> None:
    """Add ``report`` to the ``wardgate`` sub-command parsers."""
    p = subparsers.add_parser(
        "report",
        help="compliance evidence report (html, pdf, json, AI Verify, CycloneDX)",
        description="Assess Wardgate's 18 governance controls from what the gateway recorded, "
        "and write the evidence for auditors.",
    )
    p.add_argument("--format", choices=FORMATS, default="html", help="output format")
    p.add_argument("--out", required=True, metavar="FILE", help="output file ('-' for stdout)")
    p.add_argument("--db", help=f"database (default: ${DB_ENV} or {DEFAULT_DB})")
    p.add_argument("--since", type=parse_when, metavar="ISO", help="window start (inclusive)")
    p.add_argument("--until", type=parse_when, metavar="ISO", help="window end (exclusive)")
    p.add_argument(
        "--public-key",
        metavar="KEY",
        help="trusted checkpoint public key (PEM): verify the audit log before reporting",
    )
    p.add_argument(
        "--benchmarks",
        metavar="PATH",
        help=f"benchmark page with detection figures (default: {DEFAULT_BENCHMARKS} if present)",
    )
    p.add_argument("--no-benchmarks", action="store_true", help="do not read a benchmark page")
    p.add_argument(
        "--max-checkpoint-age",
        type=_hours,
        default=Thresholds().checkpoint_max_age_hours,
        metavar="HOURS",
        help="newest signed checkpoint must be this recent for control 13 (default: 24)",
    )
    p.add_argument(
        "--aiverify-group",
        default="Wardgate gateway evidence",
        metavar="NAME",
        help="checklist group name in the AI Verify input blocks",
    )


def _usage(message: str) -> int:
    print(f"wardgate report: {message}", file=sys.stderr)
    return EXIT_USAGE


def _renderer(fmt: str, args: argparse.Namespace) -> Callable[[Report], bytes]:
    # Imported on use: the PDF and CycloneDX renderers pull in their own libraries.
    if fmt == "html":
        from wardgate.compliance.render_html import render_html  # noqa: PLC0415

        return render_html
    if fmt == "pdf":
        from wardgate.compliance.render_pdf import render_pdf  # noqa: PLC0415

        return render_pdf
    if fmt == "aiverify":
        from wardgate.compliance.render_aiverify import render_aiverify  # noqa: PLC0415

        group: str = args.aiverify_group
        return lambda report: render_aiverify(report, group)
    if fmt == "cyclonedx":
        from wardgate.compliance.render_cyclonedx import render_cyclonedx  # noqa: PLC0415

        return render_cyclonedx
    from wardgate.compliance.render_json import render_json  # noqa: PLC0415

    return render_json


def _write(out: str, data: bytes) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".wardgate-report-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    """Build the report described by ``args`` and write it; returns the exit status."""
    db = database_path(args.db)
    if not db.is_file():
        return _usage(f"no database at {db}")
    if args.since and args.until and args.since >= args.until:
        return _usage("--since must be before --until")
    benchmarks: Path | None = None
    if not args.no_benchmarks:
        if args.benchmarks:
            benchmarks = Path(args.benchmarks)
            if not benchmarks.is_file():
                return _usage(f"no benchmark page at {benchmarks}")
        elif DEFAULT_BENCHMARKS.is_file():
            benchmarks = DEFAULT_BENCHMARKS
    key = Path(args.public_key) if args.public_key else None
    if key is not None and not key.is_file():
        return _usage(f"no public key at {key}")
    thresholds = Thresholds(checkpoint_max_age_hours=args.max_checkpoint_age)
    try:
        report = build_report(db, args.since, args.until, key, benchmarks, thresholds=thresholds)
    except EvidenceError as exc:
        return _usage(str(exc))
    except (ValueError, TypeError, UnsupportedAlgorithm, OSError) as exc:
        return _usage(f"cannot read an input: {exc}")
    try:
        data = _renderer(args.format, args)(report)
        _write(args.out, data)
    except OSError as exc:
        print(f"wardgate report: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    except ValueError as exc:
        print(f"wardgate report: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    counts = report.summary
    verified = {True: "log verified", False: "LOG VERIFICATION FAILED", None: "log not verified"}[
        report.evidence.checkpoints.verified
    ]
    where = "stdout" if args.out == "-" else args.out
    print(
        f"wardgate report: wrote {where} ({args.format}): {counts['met']} met, "
        f"{counts['partial']} partial, {counts['not_met']} not met, "
        f"{counts['not_applicable']} not applicable; {verified}",
        file=sys.stderr,
    )
    return EXIT_OK
