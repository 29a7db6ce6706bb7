"""Audit log throughput and proof cost: group-committed appends and O(log n) proofs.

    .venv/bin/python -m bench.audit_log [--appends 3000] [--concurrency 1,16,64]
        [--records 100000] [--markdown bench/out/audit-log.md]

Appends go through :class:`wardgate.audit.log.AsyncAuditWriter` on a file-backed database with
``synchronous = FULL`` (every commit is synced), from 1, 16 and 64 concurrent appenders, each
awaiting its own append before issuing the next (as gateway requests do). Latency is per append,
from the call to the moment it is durable. Proof costs are measured on a log of ``--records``
records: root of a past size, inclusion and consistency proofs (database reads only), a signed
checkpoint, and a full offline verification.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.latency import cpu_model
from bench.output import emit
from wardgate.audit import merkle
from wardgate.audit.log import AsyncAuditWriter, AuditLog
from wardgate.audit.records import text_digest
from wardgate.audit.verify import verify_log


def decision(i: int) -> dict[str, object]:
    """A realistic decision record: verdict, findings, policy ids, digests of the texts."""
    return {
        "request_id": f"req-{i:08d}",
        "verdict": "block" if i % 7 == 0 else "allow",
        "route": "/v1/chat/completions",
        "identity": {"subject": "svc-billing", "tenant": "acme", "key_id": "wg_k_1234"},
        "policies": ["default-deny-injection", "pii-redact"],
        "findings": [{"category": "prompt-injection", "score": 0.91, "rule": "pi.ignore-prev"}]
        if i % 7 == 0
        else [],
        "prompt": text_digest(f"prompt number {i}"),
        "answer": text_digest(f"answer number {i}"),
        "latency_ms": 3.25,
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _appenders(path: Path, total: int, concurrency: int) -> dict[str, float]:
    log = AuditLog.open(path)
    writer = AsyncAuditWriter(log)
    latencies: list[float] = []
    per_task = total // concurrency

    async def worker(w: int) -> None:
        for j in range(per_task):
            started = time.perf_counter()
            await writer.append("decision", decision(w * per_task + j))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    wall = time.perf_counter() - started
    await writer.close()
    log.close()
    n = per_task * concurrency
    return {
        "appends": n,
        "per_s": n / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * _pct(latencies, 0.99),
        "commits": writer.batches,
    }


def _timed(fn: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return 1000 * (time.perf_counter() - started) / repeat


def _proofs(path: Path, records: int) -> dict[str, float]:
    log = AuditLog.open(path)
    started = time.perf_counter()
    for start in range(0, records, 5000):
        log.append_many(("decision", decision(i)) for i in range(start, min(records, start + 5000)))
    build = time.perf_counter() - started
    rng = random.Random(7)
    n = log.size
    key = Ed25519PrivateKey.generate()
    out = {
        "records": n,
        "build_per_s": n / build,
        "root_ms": _timed(lambda: log.root(rng.randint(1, n)), 500),
        "inclusion_ms": _timed(lambda: log.inclusion_proof(rng.randrange(n), n), 1000),
        "consistency_ms": _timed(lambda: log.consistency_proof(rng.randint(1, n - 1), n), 1000),
        "checkpoint_ms": _timed(lambda: log.checkpoint(key), 20),
    }
    seq = rng.randrange(n)
    proof = log.inclusion_proof(seq, n)
    out["inclusion_len"] = len(proof)
    assert merkle.verify_inclusion(log.leaf_hash(seq), seq, n, proof, log.root(n))
    log.close()
    started = time.perf_counter()
    report = verify_log(path, key.public_key())
    out["verify_s"] = time.perf_counter() - started
    assert report.ok, report.format_text()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--appends", type=int, default=3000, help="appends per concurrency level")
    p.add_argument("--concurrency", default="1,16,64")
    p.add_argument("--records", type=int, default=100_000, help="log size for the proof figures")
    p.add_argument("--markdown", metavar="FILE")
    args = p.parse_args(argv)
    levels = [int(x) for x in args.concurrency.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="wardgate-audit-") as tmp:
        for c in levels:
            rows.append((c, asyncio.run(_appenders(Path(tmp) / f"c{c}.db", args.appends, c))))
        proofs = _proofs(Path(tmp) / "proofs.db", args.records)
    lines = [
        "# Audit log",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; Python {sys.version.split()[0]}",
        "- File-backed SQLite, WAL, `synchronous = FULL` (each commit synced); "
        "`AsyncAuditWriter` group commit; one realistic decision record per append.",
        "",
        "| concurrent appenders | appends | appends/s | p50 ms | p99 ms | commits (syncs) | "
        "records/commit |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c, r in rows:
        lines.append(
            f"| {c} | {r['appends']:,.0f} | {r['per_s']:,.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['commits']:,.0f} | {r['appends'] / r['commits']:.1f} |"
        )
    lines += [
        "",
        f"Proofs on a log of {proofs['records']:,.0f} records "
        f"(built with `append_many` at {proofs['build_per_s']:,.0f} records/s):",
        "",
        "| operation | time |",
        "|---|---:|",
        f"| root of a past size | {proofs['root_ms']:.3f} ms |",
        f"| inclusion proof ({proofs['inclusion_len']:.0f} hashes) | "
        f"{proofs['inclusion_ms']:.3f} ms |",
        f"| consistency proof | {proofs['consistency_ms']:.3f} ms |",
        f"| signed checkpoint | {proofs['checkpoint_ms']:.3f} ms |",
        f"| full offline verification (`verify_log`) | {proofs['verify_s']:.2f} s |",
    ]
    text = "\n".join(lines) + "\n"
    emit(text, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
