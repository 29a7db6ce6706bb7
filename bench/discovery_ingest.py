"""Discovery ingestion throughput: a million access-log exchanges (and a HAR file) through
``wardgate discover``, end to end, with peak memory.

    .venv/bin/python -m bench.discovery_ingest [--lines 1000000] [--har-entries 100000]
        [--markdown bench/out/discovery-ingest.md]

The traffic is synthetic and realistic in shape: a few dozen endpoints of a shop and an LLM API,
ids of every kind (integers, UUIDs, object ids, prefixed ids, slugs), query strings, statuses, in
NGINX and Envoy JSON log formats, and HAR entries with JSON request and response bodies. Each run
is a separate ``wardgate discover`` process, timed as a whole (reading, templating, schema and
sensitive-data inference, output), with its peak resident memory from ``getrusage``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.latency import cpu_model
from bench.output import emit

TEMPLATES = [
    ("GET", "/api/v1/users/{int}"),
    ("GET", "/api/v1/users/{int}/orders"),
    ("GET", "/api/v1/users/{int}/orders/{uuid}"),
    ("POST", "/api/v1/users/{int}/orders"),
    ("GET", "/api/v1/users/me"),
    ("GET", "/api/v1/products/{slug}"),
    ("GET", "/api/v1/products/{slug}/reviews"),
    ("GET", "/api/v1/carts/{oid}"),
    ("PUT", "/api/v1/carts/{oid}/items/{int}"),
    ("GET", "/api/v1/payments/{prefixed}"),
    ("POST", "/api/v1/payments"),
    ("GET", "/api/v2/users/{int}"),
    ("GET", "/healthz"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/embeddings"),
]
_WORDS = ["red", "blue", "green", "shoe", "boot", "lamp", "desk", "chair", "mug", "pen", "kettle"]


def _value(kind: str, rng: random.Random) -> str:
    if kind == "int":
        return str(rng.randint(1, 10_000_000))
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if kind == "oid":
        return f"{rng.getrandbits(96):024x}"
    if kind == "prefixed":
        return "pi_" + "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789")
            for _ in range(24)
        )
    return f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{rng.randint(1, 999)}"


def _path(template: str, rng: random.Random) -> str:
    out = []
    for part in template.split("/"):
        out.append(_value(part[1:-1], rng) if part.startswith("{") else part)
    return "/".join(out)


def write_log(path: Path, lines: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(lines):
            method, template = rng.choice(TEMPLATES)
            target = _path(template, rng) + (
                f"?page={rng.randint(1, 9)}" if rng.random() < 0.3 else ""
            )
            if i % 2:
                record = {
                    "start_time": "2026-11-20T10:00:00.000Z",
                    "method": method,
                    "path": target,
                    "protocol": "HTTP/1.1",
                    "response_code": rng.choice((200, 200, 200, 201, 404, 401)),
                    "authority": "shop.example.test",
                    "user-agent": "bench/1.0",
                }
            else:
                record = {
                    "time_iso8601": "2026-11-20T10:00:00+00:00",
                    "remote_addr": "10.0.0.7",
                    "request": f"{method} {target} HTTP/1.1",
                    "status": str(rng.choice((200, 200, 204, 500))),
                    "host": "shop.example.test",
                    "http_user_agent": "bench/1.0",
                }
            f.write(json.dumps(record) + "\n")


def write_har(path: Path, entries: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        f.write(
            '{"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, "entries": ['
        )
        for i in range(entries):
            method, template = rng.choice(TEMPLATES)
            body = {
                "id": rng.randint(1, 10**6),
                "status": rng.choice(["paid", "open"]),
                "total": rng.random() * 100,
                "items": [{"sku": _value("slug", rng), "qty": rng.randint(1, 3)}],
            }
            text = json.dumps(body)
            entry = {
                "startedDateTime": "2026-11-20T10:00:00.000Z",
                "time": 3,
                "request": {
                    "method": method,
                    "url": "https://shop.example.test" + _path(template, rng),
                    "httpVersion": "HTTP/1.1",
                    "headers": [
                        {"name": "authorization", "value": "Bearer x"},
                        {"name": "content-type", "value": "application/json"},
                    ],
                    "queryString": [],
                    "cookies": [],
                    "headersSize": -1,
                    "bodySize": -1,
                    **(
                        {"postData": {"mimeType": "application/json", "text": text}}
                        if method != "GET"
                        else {}
                    ),
                },
                "response": {
                    "status": 200,
                    "statusText": "OK",
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "content-type", "value": "application/json"}],
                    "cookies": [],
                    "content": {
                        "size": len(text),
                        "mimeType": "application/json",
                        "text": base64.b64encode(text.encode()).decode(),
                        "encoding": "base64",
                    },
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": -1,
                },
                "cache": {},
                "timings": {"send": 0, "wait": 3, "receive": 0},
            }
            f.write(("," if i else "") + json.dumps(entry))
        f.write("]}}")


def _run(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the child (MiB), and its stderr summary line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "wardgate", "discover", "--quiet", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"wardgate discover failed: {done.stderr[-2000:]}")
    summary = next((x for x in done.stderr.splitlines() if "exchanges in" in x), "")
    return wall, max(peak, before) / 1024, summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--har-entries", type=int, default=100_000)
    p.add_argument("--markdown", metavar="FILE")
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="wardgate-ingest-") as tmp:
        log = Path(tmp) / "access.log"
        write_log(log, args.lines)
        wall, rss, summary = _run(["--access-log", str(log), "--json", str(Path(tmp) / "inv.json")])
        rows.append(
            ("JSON access log (NGINX + Envoy)", args.lines, log.stat().st_size, wall, rss, summary)
        )
        if args.har_entries:
            har = Path(tmp) / "traffic.har"
            write_har(har, args.har_entries)
            wall, rss, summary = _run(
                ["--har", str(har), "--json", str(Path(tmp) / "inv-har.json")]
            )
            rows.append(
                ("HAR with JSON bodies", args.har_entries, har.stat().st_size, wall, rss, summary)
            )
    lines = [
        "# Discovery ingestion",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; Python {sys.version.split()[0]}",
        "- One `wardgate discover` process per row, timed as a whole (start-up, reading, "
        "templating, schema, auth and sensitive-data inference, JSON output); peak RSS from getrusage.",
        "",
        "| input | exchanges | size MB | wall s | exchanges/s | peak RSS MiB | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, n, size, wall, rss, _ in rows:
        lines.append(
            f"| {name} | {n:,} | {size / 1e6:.0f} | {wall:.1f} | {n / wall:,.0f} | {rss:.0f} | "
            f"{'1M in <= 60 s (>= 16,667/s)'} |"
        )
    lines += ["", *(f"- {name}: `{summary}`" for name, *_, summary in rows)]
    text = "\n".join(lines) + "\n"
    emit(text, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
