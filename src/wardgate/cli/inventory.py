"""``wardgate inventory``: find AI use in source trees and model stores, statically.

``wardgate inventory scan PATH`` walks a tree and reports the AI SDKs and frameworks it declares and
imports, the model identifiers in its code and configuration, hard-coded provider keys (redacted:
public prefix, last four characters and a fingerprint, never the key), and model files (format,
size, SHA-256, header summary, and whether a pickle would run unsafe callables when loaded).
Nothing found is imported, loaded or executed.

Output is a table on stdout, or JSON (``--json``, and/or ``--out FILE``); the summary line and
progress bar go to stderr. ``--strict`` exits 1 when a key or an unsafe model file is found, for
CI gates. ``--bom-out FILE`` also writes a CycloneDX 1.6 AI-BOM of what was found, and ``--db``
merges the findings into the stored model catalogue the gateway fills from traffic.

``wardgate inventory list`` shows the stored catalogue (filtered, paged, table or JSON),
``wardgate inventory bom`` exports it as an AI-BOM, and ``wardgate inventory diff OLD NEW``
compares two AI-BOMs (exit 1 when models were added, removed or changed). ``--approved FILE``
judges models against an approved-model allowlist (YAML). The database is ``--db``, else
``$WARDGATE_DB``, else ``wardgate.db`` in the current directory.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from wardgate.ai_inventory.catalogue import Catalogue, ModelEntry
from wardgate.ai_inventory.deployment import DEPLOYMENTS
from wardgate.ai_inventory.policy import Allowlist, AllowlistError
from wardgate.ai_inventory.scan import DEFAULT_EXCLUDES, DEFAULT_MAX_TEXT_BYTES, scan_tree
from wardgate.ai_inventory.scan.result import ScanReport
from wardgate.ai_inventory.store import AIInventoryStore

DB_ENV = "WARDGATE_DB"
DEFAULT_DB = "wardgate.db"
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
_MAX_CELL = 64  # a full SHA-256 fits
_MAX_ISSUES_SHOWN = 10


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a positive integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("expected a positive integer")
    return value


def add_parser(subparsers: Any) -> None:
    """Add ``inventory`` and its sub-commands to the ``wardgate`` sub-command parsers."""
    inventory = subparsers.add_parser(
        "inventory",
        help="inventory AI use: SDKs, model ids, provider keys and model files",
        description="Find every AI SDK, model, hard-coded provider key and model file in a "
        "source tree or model store, without executing anything.",
    )
    commands = inventory.add_subparsers(
        dest="inventory_command", required=True, metavar="{scan,list,bom,diff}"
    )
    _add_scan_parser(commands)
    _add_list_parser(commands)
    _add_bom_parser(commands)
    _add_diff_parser(commands)


def _db_path(arg: str | None) -> Path:
    """``--db`` if given, else ``$WARDGATE_DB``, else ``wardgate.db`` here."""
    return Path(arg or os.environ.get(DB_ENV) or DEFAULT_DB)


_DB_HELP = f"catalogue database (default: ${DB_ENV} or {DEFAULT_DB})"
_APPROVED_HELP = "approved-model allowlist (YAML) to judge models against"


def _add_scan_parser(commands: Any) -> None:
    scan = commands.add_parser(
        "scan",
        help="scan a directory (or one file) for AI use",
        description="Static scan: manifests and imports (Python, JavaScript/TypeScript, Java/"
        "Kotlin, Go), model ids in code and configuration, provider keys (redacted), and model "
        "files (.safetensors, .gguf, .onnx, pickles and PyTorch checkpoints).",
    )
    scan.add_argument("path", metavar="PATH", help="directory or file to scan")
    scan.add_argument("--json", action="store_true", help="print the report as JSON")
    scan.add_argument("--out", metavar="FILE", help="also write the report as JSON to FILE")
    scan.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    scan.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip names or relative paths matching GLOB, besides the defaults (repeatable)",
    )
    scan.add_argument(
        "--no-default-excludes",
        action="store_true",
        help="also scan .git, node_modules, virtualenvs, build outputs and caches",
    )
    scan.add_argument(
        "--max-text-bytes",
        type=_positive,
        default=DEFAULT_MAX_TEXT_BYTES,
        metavar="N",
        help=f"scan only the first N bytes of each text file (default {DEFAULT_MAX_TEXT_BYTES})",
    )
    scan.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a provider key or an unsafe model file is found",
    )
    scan.add_argument(
        "--bom-out",
        metavar="FILE",
        help="also write a CycloneDX 1.6 AI bill of materials of what was found to FILE",
    )
    scan.add_argument(
        "--db",
        metavar="PATH",
        help="also merge the models found into the stored catalogue in this database",
    )
    scan.add_argument("--approved", metavar="FILE", help=_APPROVED_HELP)


def _add_list_parser(commands: Any) -> None:
    listing = commands.add_parser(
        "list",
        help="list the stored AI model catalogue",
        description="The models seen in traffic and code: provider, deployment class, callers, "
        "data classes and approval. Most recently seen first.",
    )
    listing.add_argument("--db", help=_DB_HELP)
    listing.add_argument("--deployment", choices=DEPLOYMENTS, help="only this deployment class")
    listing.add_argument("--provider", metavar="P", help="only models this provider serves")
    listing.add_argument(
        "--unapproved",
        action="store_true",
        help="only shadow AI: models off the allowlist or called by someone not approved",
    )
    listing.add_argument("--approved", metavar="FILE", help=_APPROVED_HELP + " (and store)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument(
        "--limit", type=_positive, default=100, metavar="N", help="at most N models (default 100)"
    )
    listing.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N")


def _add_bom_parser(commands: Any) -> None:
    bom = commands.add_parser(
        "bom",
        help="export the stored catalogue as a CycloneDX 1.6 AI-BOM",
        description="Every stored model, the services that expose it and the applications that "
        "use it, as CycloneDX 1.6 JSON (validated against the schema).",
    )
    bom.add_argument("--out", metavar="FILE", required=True, help="write the AI-BOM here")
    bom.add_argument("--db", help=_DB_HELP)
    bom.add_argument("--approved", metavar="FILE", help=_APPROVED_HELP)


def _add_diff_parser(commands: Any) -> None:
    diff = commands.add_parser(
        "diff",
        help="compare two AI-BOMs",
        description="Models added, removed, or changed in version, deployment, hosting or "
        "approval. Exit 0 when nothing changed, 1 when something did.",
    )
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")


def run(args: argparse.Namespace) -> int:
    """Run the ``inventory`` sub-command in ``args``; returns the exit status."""
    command: str = args.inventory_command
    if command == "scan":
        return _scan(args)
    if command == "list":
        return _list(args)
    if command == "bom":
        return _bom(args)
    if command == "diff":
        return _diff(args)
    print(f"wardgate inventory: unknown command {command!r}", file=sys.stderr)
    return EXIT_USAGE


class _UsageError(Exception):
    """A problem with the command line or its files; the message is printed, exit 2."""


def _allowlist(path: str | None) -> Allowlist | None:
    if path is None:
        return None
    try:
        return Allowlist.load(path)
    except AllowlistError as exc:
        raise _UsageError(str(exc)) from None


def _open_store(arg: str | None) -> AIInventoryStore:
    path = _db_path(arg)
    if not path.exists():
        raise _UsageError(f"no such database: {path}")
    try:
        return AIInventoryStore.open(path)
    except sqlite3.Error as exc:
        raise _UsageError(f"cannot open {path}: {exc}") from None


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, "utf-8")
    except OSError as exc:
        raise _UsageError(f"cannot write {path}: {exc.strerror}") from None


def _bom_text(entries: list[ModelEntry], scan: ScanReport | None = None) -> str:
    from wardgate.ai_inventory.bom import build_bom  # noqa: PLC0415 - CycloneDX loads slowly

    return json.dumps(build_bom(entries, scan=scan), indent=2, ensure_ascii=False) + "\n"


def _scan(args: argparse.Namespace) -> int:
    try:
        return _scan_tree(args)
    except _UsageError as exc:
        print(f"wardgate inventory scan: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _scan_tree(args: argparse.Namespace) -> int:
    root = Path(args.path)
    if not root.exists():
        print(f"wardgate inventory scan: no such file or directory: {args.path}", file=sys.stderr)
        return EXIT_USAGE
    allowlist = _allowlist(args.approved)
    excludes = [*(() if args.no_default_excludes else DEFAULT_EXCLUDES), *args.exclude]
    from tqdm import tqdm  # noqa: PLC0415 - only the CLI draws a bar

    with tqdm(
        desc="scanning", unit="file", file=sys.stderr, disable=args.no_progress or None
    ) as bar:

        def advance(files: int) -> None:
            bar.update(files)

        report = scan_tree(
            root, progress=advance, exclude=excludes, max_text_bytes=args.max_text_bytes
        )
    data = report.to_dict()
    if args.out:
        try:
            Path(args.out).write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
        except OSError as exc:
            print(
                f"wardgate inventory scan: cannot write {args.out}: {exc.strerror}", file=sys.stderr
            )
            return EXIT_USAGE
    if args.bom_out or args.db:
        catalogue = Catalogue(allowlist=allowlist)
        catalogue.add_scan(report)
        entries = catalogue.entries()
        if args.bom_out:
            _write(args.bom_out, _bom_text(entries, report))
        if args.db:
            try:
                store = AIInventoryStore.open(args.db)
                try:
                    store.save(entries)
                finally:
                    store.close()
            except sqlite3.Error as exc:
                raise _UsageError(f"cannot save to {args.db}: {exc}") from None
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(render(report))
    _summary(report)
    if args.strict and (report.keys or any(a.dangerous for a in report.artefacts)):
        return EXIT_FINDINGS
    return EXIT_OK


def _summary(report: ScanReport) -> None:
    s = report.summary()
    rate = report.files_seen / report.elapsed_s if report.elapsed_s > 0 else 0.0
    print(
        f"wardgate inventory: {s['files_seen']} files ({s['files_scanned']} scanned) in "
        f"{report.elapsed_s:.1f} s ({rate:,.0f}/s); {s['libraries']} libraries, "
        f"{s['model_ids']} model ids, {s['keys']} keys, {s['artefacts']} model files "
        f"({s['dangerous_artefacts']} unsafe), {s['issues']} issues",
        file=sys.stderr,
    )


def _clean(value: object) -> str:
    """A table cell: no control characters (file names and metadata are attacker-chosen)."""
    text = "-" if value is None or value == "" else str(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    cells = [header, *(tuple(_clean(v) for v in row) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _open(flag: bool | None) -> str:
    return "yes" if flag else "no" if flag is False else "mixed"


def _details(metadata: dict[str, Any]) -> str:
    keys = ("architecture", "name", "size_label", "file_type", "producer_name", "tensors")
    parts = [f"{k}={metadata[k]}" for k in keys if metadata.get(k) not in (None, "")]
    if "parameters" in metadata:
        parts.append(f"params={metadata['parameters']:,}")
    return " ".join(parts)


def render(report: ScanReport) -> str:
    """The human-readable report: one table per kind of finding, then the issues."""
    out: list[str] = []
    libraries = len({s.library for s in report.sdks})
    out.append(f"AI SDKs and frameworks: {len(report.sdks)} uses of {libraries} libraries")
    if report.sdks:
        out += _table(
            ("LIBRARY", "PROVIDER", "CATEGORY", "PACKAGE", "VERSION", "SOURCE", "WHERE"),
            [
                (
                    s.library,
                    s.provider,
                    s.category,
                    s.package,
                    s.version_spec,
                    s.source if s.scope is None else f"{s.source} ({s.scope})",
                    _where(s.path, s.line),
                )
                for s in report.sdks
            ],
        )
    out.append("")
    out.append(f"Model identifiers: {len(report.models)} references")
    if report.models:
        out += _table(
            ("MODEL", "PROVIDER", "FAMILY", "OPEN", "VIA", "WHERE"),
            [
                (
                    m.model_id,
                    m.provider,
                    m.family,
                    _open(m.open_weights),
                    m.via,
                    _where(m.path, m.line),
                )
                for m in report.models
            ],
        )
    out.append("")
    out.append(f"Hard-coded provider keys: {len(report.keys)}")
    if report.keys:
        out += _table(
            ("PROVIDER", "KIND", "KEY", "FINGERPRINT", "WHERE"),
            [
                (k.provider, k.label, k.redacted, k.fingerprint, _where(k.path, k.line))
                for k in report.keys
            ],
        )
    out.append("")
    out.append(f"Model files: {len(report.artefacts)}")
    if report.artefacts:
        rows: list[tuple[object, ...]] = []
        for a in report.artefacts:
            if a.severity == "critical":
                verdict = "DANGEROUS: " + ", ".join(a.unsafe_globals)
            elif a.dangerous:
                verdict = "unsafe globals: " + ", ".join(a.unsafe_globals)
            elif a.error:
                verdict = f"unparsed: {a.error}"
            else:
                verdict = "ok"
            rows.append((a.path, a.format, _size(a.size), a.sha256, _details(a.metadata), verdict))
        header = ("PATH", "FORMAT", "SIZE", "SHA256", "DETAILS", "VERDICT")
        out += _table(header, rows)
    if report.issues:
        out.append("")
        out.append(f"Issues: {len(report.issues)}")
        out += [
            f"  {_clean(i.kind)}: {_clean(i.path)}: {_clean(i.message)}"
            for i in report.issues[:_MAX_ISSUES_SHOWN]
        ]
        if len(report.issues) > _MAX_ISSUES_SHOWN:
            out.append(f"  ... and {len(report.issues) - _MAX_ISSUES_SHOWN} more (see --json)")
    return "\n".join(out)


# -- the stored catalogue -----------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    try:
        allowlist = _allowlist(args.approved)
        store = _open_store(args.db)
    except _UsageError as exc:
        print(f"wardgate inventory list: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if allowlist is not None:
            store.apply_allowlist(allowlist)
        filters: dict[str, Any] = {
            "deployment": args.deployment,
            "provider": args.provider,
            "unapproved": True if args.unapproved else None,
        }
        entries = store.list(**filters, limit=args.limit, offset=max(0, args.offset))
        total = store.count(**filters)
    finally:
        store.close()
    if args.json:
        page = {"total": total, "offset": max(0, args.offset), "limit": args.limit}
        print(json.dumps({**page, "models": [e.summary() for e in entries]}, ensure_ascii=False))
    else:
        print(render_catalogue(entries, total))
    return EXIT_OK


def _bom(args: argparse.Namespace) -> int:
    try:
        allowlist = _allowlist(args.approved)
        store = _open_store(args.db)
        try:
            entries = store.load()
        finally:
            store.close()
        if allowlist is not None:
            for entry in entries:
                entry.approved = allowlist.approves_model(entry)
        _write(args.out, _bom_text(entries))
    except _UsageError as exc:
        print(f"wardgate inventory bom: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wardgate inventory: {len(entries)} models written to {args.out}", file=sys.stderr)
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    try:
        old = Path(args.old).read_text("utf-8")
        new = Path(args.new).read_text("utf-8")
        from wardgate.ai_inventory.bom import bom_diff  # noqa: PLC0415 - CycloneDX loads slowly

        diff = bom_diff(old, new)
    except OSError as exc:
        print(
            f"wardgate inventory diff: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr
        )
        return EXIT_USAGE
    except (ValueError, UnicodeDecodeError):
        print("wardgate inventory diff: both files must be CycloneDX JSON", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(diff.to_dict(), ensure_ascii=False) if args.json else diff.text())
    return EXIT_FINDINGS if diff else EXIT_OK


def _approval(entry: ModelEntry) -> str:
    if entry.approved is None:
        return "-"
    if entry.approved and not entry.unapproved_calls:
        return "yes"
    if entry.approved:
        return f"partly ({entry.unapproved_calls} unapproved calls)"
    return "NO"


def render_catalogue(entries: list[ModelEntry], total: int) -> str:
    """The catalogue as a table (cells cleaned: names come from traffic and code)."""
    out = [f"AI models: {len(entries)} of {total}"]
    if entries:
        out += _table(
            (
                "PROVIDER",
                "MODEL",
                "VERSION",
                "DEPLOYMENT",
                "HOSTING",
                "CALLS",
                "CALLERS",
                "DATA IN PROMPTS",
                "APPROVED",
                "SOURCES",
            ),
            [
                (
                    e.provider,
                    e.name,
                    e.version,
                    e.deployment,
                    e.hosting,
                    e.calls,
                    e.caller_count,
                    ", ".join(k for k, _ in e.data_in.top(3)),
                    _approval(e),
                    ", ".join(sorted(e.sources)),
                )
                for e in entries
            ],
        )
    return "\n".join(out)
