"""The ``wardgate`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from wardgate import __version__
from wardgate.cli import audit, console, demo, discover, incidents, inventory, keys, report, serve
from wardgate.core.phase import InputKind
from wardgate.detect import registry
from wardgate.detect.base import ScanContext
from wardgate.detect.scanner import ConfigError, Scanner, ScanResult

EXIT_OK = 0
EXIT_USAGE = 2

COMMANDS: dict[str, ModuleType] = {
    "serve": serve,
    "keys": keys,
    "audit": audit,
    "incidents": incidents,
    "report": report,
    "discover": discover,
    "inventory": inventory,
    "console": console,
    "demo": demo,
}
"""Sub-commands living in their own module, each with ``add_parser(sub)`` and ``run(args)``,
in the order ``--help`` lists them."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wardgate",
        description="Wardgate: an AI-native API security gateway. Proxies LLM and HTTP "
        "APIs (serve), manages gateway API keys (keys), keeps a tamper-evident audit trail (audit) and incidents (incidents), reports compliance evidence (report) and scans text (scan) for prompt injection, "
        "jailbreaks, system-prompt extraction, obfuscation, data leaks and web attacks.",
    )
    p.add_argument("--version", action="version", version=f"wardgate {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="scan text, or a JSONL file of texts")
    scan.add_argument("text", nargs="?", help="text to scan ('-' reads standard input)")
    scan.add_argument("--jsonl", metavar="IN", help='JSONL input: one {"text", "kind"?} per line')
    scan.add_argument("--out", metavar="OUT", default="-", help="JSONL output (default: stdout)")
    scan.add_argument(
        "--kind", choices=[k.value for k in InputKind], default=InputKind.PROMPT.value
    )
    scan.add_argument("--config", metavar="FILE", help="detection configuration (YAML)")
    scan.add_argument("--system-prompt", default="", help="system prompt, for leak detection")
    scan.add_argument("--json", action="store_true", help="print the result of TEXT as JSON")
    scan.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    sub.add_parser("detectors", help="list the built-in detectors")
    for command in COMMANDS.values():
        command.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = COMMANDS.get(args.command)
    if command is not None:
        return int(command.run(args))
    if args.command == "detectors":
        for name in registry.names():
            print(name)
        return EXIT_OK
    try:
        scanner = Scanner.from_config(args.config)
    except ConfigError as exc:
        print(f"wardgate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.jsonl:
        return _scan_jsonl(scanner, args.jsonl, args.out, args.kind, not args.no_progress)
    if args.text is None:
        print("wardgate scan: give TEXT, '-' for standard input, or --jsonl IN", file=sys.stderr)
        return EXIT_USAGE
    text = sys.stdin.read() if args.text == "-" else args.text
    result = scanner.scan(text, args.kind, ScanContext(system_prompt=args.system_prompt))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print(_human(result, text))
    return EXIT_OK


def _human(result: ScanResult, text: str) -> str:
    head = "FLAGGED" if result.flagged else "clean"
    cats = ", ".join(result.categories) or "-"
    lines = [f"{head}  score {result.score:.2f}  categories: {cats}  ({result.latency_ms:.2f} ms)"]
    for f in sorted(result.findings, key=lambda f: -f.score):
        where = f"chars {f.span.start}-{f.span.end}" if f.span else "whole input"
        via = f"  via {' > '.join(f.chain)}" if f.chain else ""
        evidence = f'  "{f.evidence[:80]}"' if f.evidence else ""
        lines.append(
            f"  [{f.severity}] {f.category.value:<24} {f.score:.2f}  "
            f"{f.rule_id or f.detector}  {where}{evidence}{via}"
        )
    return "\n".join(lines)


def _scan_jsonl(scanner: Scanner, src: str, dst: str, default_kind: str, progress: bool) -> int:
    try:
        raw = sys.stdin.buffer.read() if src == "-" else Path(src).read_bytes()
    except OSError as exc:
        print(f"wardgate: cannot read {src}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    lines = raw.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()
    try:
        out: IO[str] = (
            sys.stdout if dst == "-" else open(dst, "w", encoding="utf-8")  # noqa: SIM115
        )
    except OSError as exc:
        print(f"wardgate: cannot write {dst}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    from tqdm import tqdm  # noqa: PLC0415 - only the batch mode needs it

    bad = 0
    try:
        bar = tqdm(
            lines, desc="scanning", unit="text", file=sys.stderr, disable=not progress or None
        )
        for number, line in enumerate(bar, start=1):
            record = _scan_line(scanner, line, number, default_kind)
            if "error" in record:
                bad += 1
                print(f"wardgate: line {number}: {record['error']} (skipped)", file=sys.stderr)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    if bad:
        print(f"wardgate: {bad} of {len(lines)} lines skipped as malformed", file=sys.stderr)
    return EXIT_OK


def _scan_line(scanner: Scanner, line: bytes, number: int, default_kind: str) -> dict[str, Any]:
    def error(message: str) -> dict[str, Any]:
        return {
            "line": number,
            "error": message,
            "score": None,
            "flagged": None,
            "categories": [],
            "findings": [],
            "latency_ms": 0.0,
        }

    # Invalid UTF-8 is kept (as lone surrogates the normaliser removes and reports), not fatal.
    text_line = line.decode("utf-8", errors="surrogateescape")
    try:
        item = json.loads(text_line)
    except json.JSONDecodeError as exc:
        return error(f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return error('expected an object with a string "text"')
    kind = item.get("kind", default_kind)
    if kind not in {k.value for k in InputKind}:
        return error(f"unknown kind {kind!r}")
    context = ScanContext(system_prompt=str(item.get("system_prompt", "")))
    return scanner.scan(item["text"], kind, context).to_dict()


if __name__ == "__main__":
    raise SystemExit(main())
