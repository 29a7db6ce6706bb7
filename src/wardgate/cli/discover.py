"""``wardgate discover``: the endpoint inventory from HAR files, access logs or a Redis Stream.

Prints a table (one row per endpoint: calls, auth, sensitive data, AI format, flags, risk), and
optionally writes OpenAPI 3.1 (one document per host), the whole inventory as JSON, and the
inventory into the store (with change events). Declared specs (``--spec``) mark shadow, orphan
and zombie endpoints and drift. Malformed input is skipped and counted, never fatal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wardgate.discovery import openapi, risk, spec
from wardgate.discovery.inventory import Inventory
from wardgate.discovery.model import EndpointRecord
from wardgate.discovery.sources import SourceStats
from wardgate.discovery.sources.accesslog import read_access_log
from wardgate.discovery.sources.har import NotHarError, read_har

EXIT_OK = 0
EXIT_INVALID_OUTPUT = 1
EXIT_USAGE = 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "discover",
        help="build the API endpoint inventory from traffic",
        description="Infer every API endpoint (templated paths, schemas, auth, sensitive data, "
        "AI APIs) from HAR files, JSON access logs or a Redis Stream.",
    )
    p.add_argument("--har", nargs="+", default=[], metavar="FILE", help="HAR files")
    p.add_argument(
        "--access-log", nargs="+", default=[], metavar="FILE", help="JSON access logs (.gz ok)"
    )
    p.add_argument("--log-format", choices=["auto", "nginx", "envoy"], default="auto")
    p.add_argument("--stream", metavar="URL", help="Redis URL of a traffic stream to consume")
    p.add_argument("--stream-name", default="wardgate:traffic")
    p.add_argument("--group", default="discovery", help="consumer group (workers share it)")
    p.add_argument("--consumer", default=None, help="consumer name (default host-pid)")
    p.add_argument(
        "--idle-exit",
        type=float,
        default=None,
        metavar="S",
        help="stop consuming the stream after S seconds without messages (default: run until "
        "interrupted)",
    )
    p.add_argument("--spec", nargs="+", default=[], metavar="FILE", help="declared OpenAPI specs")
    p.add_argument(
        "--openapi-out",
        metavar="PATH",
        help="write OpenAPI 3.1: a file for one host, else a directory with one file per host",
    )
    p.add_argument("--json", metavar="FILE", help="write the whole inventory as JSON")
    p.add_argument(
        "--db", metavar="PATH", help="save the inventory (and its change events) in this store"
    )
    p.add_argument("--host", default=None, help="only this host")
    fix = p.add_argument_group(
        "corrections (remembered in --db and applied to later runs)",
    )
    fix.add_argument(
        "--merge",
        nargs="+",
        action="append",
        default=[],
        metavar="T",
        help="HOST TEMPLATE... INTO: these templates are one endpoint",
    )
    fix.add_argument(
        "--split",
        nargs="+",
        action="append",
        default=[],
        metavar="T",
        help="HOST TEMPLATE VALUE...: these values of the last parameter are constants",
    )
    fix.add_argument(
        "--rename",
        nargs=3,
        action="append",
        default=[],
        metavar=("HOST", "TEMPLATE", "NEW"),
        help="give a template's parameters new names",
    )
    p.add_argument("--quiet", action="store_true", help="no table on stdout")


def run(args: argparse.Namespace) -> int:
    if not (args.har or args.access_log or args.stream):
        print("wardgate discover: give --har, --access-log or --stream", file=sys.stderr)
        return EXIT_USAGE
    try:
        declared = [op for path in args.spec for op in spec.load(path)]
    except (OSError, spec.SpecError) as exc:
        print(f"wardgate discover: cannot use spec: {exc}", file=sys.stderr)
        return EXIT_USAGE
    inventory = Inventory()
    store = _open_store(args.db, inventory)
    for op in declared:  # declared endpoints are priors: their constants stay constants
        host = op.host or args.host
        if host:
            inventory.templater.add_prior(host.lower(), op.method.upper(), op.template)
    stats: dict[str, SourceStats] = {}
    started = time.perf_counter()
    try:
        for path in args.har:
            stats[path] = SourceStats()
            inventory.observe_all(read_har(path, stats=stats[path]))
        for path in args.access_log:
            stats[path] = SourceStats()
            inventory.observe_all(read_access_log(path, format=args.log_format, stats=stats[path]))
        if args.stream:
            stats[args.stream] = asyncio.run(_consume(args, inventory))
    except NotHarError as exc:
        print(f"wardgate discover: not a HAR file: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"wardgate discover: cannot read: {exc}", file=sys.stderr)
        return EXIT_USAGE
    elapsed = time.perf_counter() - started
    try:  # corrections name templates, so they apply once the traffic has made them
        _corrections(args, inventory)
    except ValueError as exc:
        print(f"wardgate discover: correction refused: {exc}", file=sys.stderr)
        return EXIT_USAGE
    records = [r for r in inventory.records() if args.host in (None, r.host)]
    report = spec.compare(declared, records, now=time.time()) if declared else None
    risks = {r.key: _assess(r, report) for r in records}
    _summary(stats, inventory.observed, len(records), elapsed)
    if not args.quiet:
        print(_table(records, risks, report))
    status = EXIT_OK
    if args.openapi_out:
        status = _write_openapi(Path(args.openapi_out), records, risks, report)
    if args.json:
        _write_json(Path(args.json), records, risks, report, stats)
    if store is not None:
        events = store.save(records)
        store.save_templater(inventory.templater.to_dict())
        print(
            f"wardgate discover: saved {len(records)} endpoints, {len(events)} change events",
            file=sys.stderr,
        )
        store.close()
    return status


def _corrections(args: argparse.Namespace, inventory: Inventory) -> None:
    """Apply a person's corrections to the templater (saved with the store's state)."""
    templater = inventory.templater
    for words in args.merge:
        if len(words) < 3:
            raise ValueError("--merge needs HOST, at least one TEMPLATE and INTO")
        templater.merge(words[0].lower(), words[1:-1], words[-1])
    for words in args.split:
        if len(words) < 3:
            raise ValueError("--split needs HOST, TEMPLATE and at least one VALUE")
        templater.split(words[0].lower(), words[1], words[2:])
    for host, template, new in args.rename:
        templater.rename(host.lower(), template, new)


def _open_store(path: str | None, inventory: Inventory) -> Any:
    if path is None:
        return None
    from wardgate.storage.inventory import InventoryStore  # noqa: PLC0415 - only with --db

    store = InventoryStore.open(path)
    inventory.templater = Inventory.restored(store.load_templater()).templater
    return store


async def _consume(args: argparse.Namespace, inventory: Inventory) -> SourceStats:
    from wardgate.discovery.sources.redis_stream import RedisStreamSource  # noqa: PLC0415

    consumer = args.consumer or f"{os.uname().nodename}-{os.getpid()}"
    source = RedisStreamSource(args.stream, args.stream_name, args.group, consumer)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, source.stop)
    last = time.monotonic()

    async def watchdog() -> None:
        while args.idle_exit is not None:
            await asyncio.sleep(min(1.0, args.idle_exit))
            if time.monotonic() - last > args.idle_exit:
                source.stop()
                return

    guard = asyncio.create_task(watchdog())
    try:
        async with contextlib.aclosing(source.messages()) as messages:
            async for obs in messages:
                inventory.observe(obs)
                last = time.monotonic()
    finally:
        guard.cancel()
        await source.aclose()
    return source.stats


def _assess(record: EndpointRecord, report: spec.SpecReport | None) -> risk.Risk:
    if report is None:
        return risk.assess(record)
    return risk.assess(
        record, shadow=report.is_shadow(record.key), zombie=bool(report.zombies_for(record.key))
    )


def _flags(record: EndpointRecord, report: spec.SpecReport | None) -> str:
    if report is None:
        return ""
    flags = []
    if report.is_shadow(record.key):
        flags.append("shadow")
    if report.zombies_for(record.key):
        flags.append("zombie")
    if report.drift_for(record.key):
        flags.append("drift")
    return ",".join(flags)


def _table(
    records: list[EndpointRecord], risks: dict[Any, risk.Risk], report: spec.SpecReport | None
) -> str:
    header = ("HOST", "METHOD", "TEMPLATE", "CALLS", "AUTH", "SENSITIVE", "AI", "FLAGS", "RISK")
    rows = [header]
    for r in records:
        kinds = sorted({k for ks in r.sensitive.values() for k in ks})
        rows.append(
            (
                r.host,
                r.method,
                r.template,
                str(r.count),
                ",".join(sorted(r.auth)) or "-",
                ",".join(kinds)[:40] or "-",
                r.ai or "-",
                _flags(r, report) or "-",
                f"{risks[r.key].level} {risks[r.key].score}",
            )
        )
    if report is not None:
        for op in report.orphan:
            rows.append(
                (op.host or "-", op.method.upper(), op.template, "0", "-", "-", "-", "orphan", "-")
            )
    widths = [min(60, max(len(row[i]) for row in rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell[:60].ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _hosts(records: Iterable[EndpointRecord]) -> list[str]:
    return sorted({r.host for r in records})


def _write_openapi(
    out: Path,
    records: list[EndpointRecord],
    risks: dict[Any, risk.Risk],
    report: spec.SpecReport | None,
) -> int:
    hosts = _hosts(records)
    single = len(hosts) == 1 and not out.is_dir()
    if not single:
        out.mkdir(parents=True, exist_ok=True)
    status = EXIT_OK
    for host in hosts:
        own = [r for r in records if r.host == host]
        doc = openapi.export(own, host, risk={r.key: risks[r.key] for r in own}, report=report)
        errors = openapi.validate(doc)
        if errors:
            status = EXIT_INVALID_OUTPUT
            for error in errors[:5]:
                print(f"wardgate discover: OpenAPI for {host} invalid: {error}", file=sys.stderr)
        target = out if single else out / f"{_safe(host)}.json"
        target.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return status


def _write_json(
    out: Path,
    records: list[EndpointRecord],
    risks: dict[Any, risk.Risk],
    report: spec.SpecReport | None,
    stats: dict[str, SourceStats],
) -> None:
    data = {
        "endpoints": [
            {**r.to_dict(), "risk": _risk_dict(risks[r.key]), "flags": _flags(r, report)}
            for r in records
        ],
        "spec_report": None if report is None else report.to_dict(),
        "sources": {name: s.to_dict() for name, s in stats.items()},
    }
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def _risk_dict(value: risk.Risk) -> dict[str, Any]:
    return {
        "score": value.score,
        "level": value.level,
        "reasons": value.reasons,
        "owasp": value.owasp,
    }


def _summary(stats: dict[str, SourceStats], observed: int, endpoints: int, elapsed: float) -> None:
    skipped = sum(s.skipped for s in stats.values())
    reasons: dict[str, int] = {}
    for s in stats.values():
        for k, v in s.reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    why = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
    rate = observed / elapsed if elapsed > 0 else 0.0
    print(
        f"wardgate discover: {observed} exchanges in {elapsed:.1f} s ({rate:,.0f}/s), "
        f"{endpoints} endpoints; skipped {skipped}" + (f" ({why})" if why else ""),
        file=sys.stderr,
    )


def _safe(host: str) -> str:
    return "".join(c if c.isalnum() or c in ".-_" else "_" for c in host) or "host"
