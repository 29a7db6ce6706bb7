"""Compliance report cost: collecting evidence from a large audit log, then each renderer.

    .venv/bin/python -m bench.compliance_report [--records 1000000] [--no-verify]
        [--markdown bench/out/compliance-report.md]

Builds an audit log of ``--records`` gateway-shaped records (decisions with findings, auth
failures, blocks, redactions and token counts over 30 days; configuration, key and incident
events; a signed checkpoint every tenth batch) in a temporary directory with
``AuditLog.append_many`` in batches of 10,000, then times ``build_report`` without a key (one
streaming pass), with the public key (plus offline verification of the whole log), and every
renderer on the result. Peak RSS is the process's high-water mark (it includes building the log).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.latency import cpu_model
from bench.output import emit
from wardgate.audit.log import AuditLog
from wardgate.audit.records import text_digest
from wardgate.compliance.render_aiverify import render_aiverify
from wardgate.compliance.render_cyclonedx import render_cyclonedx
from wardgate.compliance.render_html import render_html
from wardgate.compliance.render_json import render_json
from wardgate.compliance.render_pdf import render_pdf
from wardgate.compliance.report import Report, build_report

BATCH = 10_000
START = datetime(2026, 2, 1, tzinfo=UTC)
SPAN = timedelta(days=30)
_ROUTES = ("chat", "embeddings", "internal-rag")
_MODELS = ("gpt-4o", "claude-sonnet-4", "llama3.1:8b")
_FINDINGS = (
    ("prompt_injection", "prompt", ["LLM01", "AML.T0051.000"]),
    ("jailbreak", "prompt", ["LLM01", "AML.T0054"]),
    ("indirect_injection", "document", ["LLM01", "AML.T0051.001"]),
    ("pii", "prompt", ["LLM02", "AML.T0057"]),
    ("secret", "output", ["LLM02", "AML.T0057"]),
    ("system_prompt_leak", "output", ["LLM07", "AML.T0056"]),
    ("exfiltration", "output", ["LLM05"]),
)


def decision(rng: random.Random) -> dict[str, Any]:
    """A gateway decision body with the mix a busy deployment sees."""
    route = rng.choice(_ROUTES)
    subject = f"svc-{rng.randrange(200)}"
    auth = "ok" if rng.random() > 0.01 else rng.choice(("missing", "invalid", "expired"))
    findings = []
    action = "allow"
    if rng.random() < 0.08:
        category, kind, tags = rng.choice(_FINDINGS)
        phase = "response" if kind == "output" else "request"
        findings.append(
            {
                "detector": "signatures",
                "rule_id": f"{category}.{rng.randrange(40)}",
                "category": category,
                "severity": "high",
                "score": round(rng.random(), 3),
                "phase": phase,
                "tags": tags,
                "chain": [],
                "kind": kind,
            }
        )
        action = "redact" if category in {"pii", "secret"} else "block"
    elif auth != "ok":
        action = "deny"
    elif rng.random() < 0.005:
        action = "throttle"
    model = rng.choice(_MODELS)
    return {
        "exchange": f"ex-{rng.getrandbits(48):012x}",
        "route": route,
        "provider": "openai",
        "mode": "enforce",
        "method": "POST",
        "path": "/v1/chat/completions",
        "status": 403 if action in {"block", "deny"} else 200,
        "identity": {
            "subject": subject,
            "method": "api_key" if auth == "ok" else "anonymous",
            "key_id": f"k{rng.randrange(200)}",
            "tenant": "acme",
            "groups": ["eng"],
        },
        "request": {
            "action": action,
            "enforced": True,
            "policy_ids": ["allow-eng", "deny-default"],
            "reasons": [],
        },
        "response": None
        if action in {"block", "deny"}
        else {"action": "allow", "enforced": True, "policy_ids": [], "reasons": []},
        "findings": findings,
        "model": model,
        "answer_model": model + "-2025-01-01" if rng.random() < 0.3 else model,
        "tokens": {"input": rng.randrange(20, 800), "output": rng.randrange(10, 600)},
        "prompt": text_digest(f"p{rng.random()}"),
        "answer": text_digest(f"a{rng.random()}"),
        "response_scan": "complete",
        "redactions": 1 if action == "redact" else 0,
        "auth": auth,
        "latency_ms": round(rng.lognormvariate(1.0, 0.6), 3),
    }


def config_body(event: str) -> dict[str, Any]:
    return {
        "event": event,
        "config_sha256": f"{random.getrandbits(256):064x}",
        "policy_sha256": "ab" * 32,
        "policy_ids": ["allow-eng", "deny-default"],
        "routes": [
            {
                "name": r,
                "provider": "openai",
                "mode": "enforce",
                "fail_closed": True,
                "anonymous": False,
                "upstream_host": "api.openai.com",
            }
            for r in _ROUTES
        ],
        "detection": {"version": "wardgate-0.1.0", "threshold": 0.5},
        "limits": {"requests": {"requests": 600, "per_s": 60}, "tokens": None},
        "audit": {"fail_closed": False, "checkpoint_every_s": 300, "export": True},
    }


class _Clock:
    """The log's clock: each batch is stamped with the time the generator sets."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now.timestamp()


def build_log(path: Path, records: int, key: Ed25519PrivateKey) -> float:
    """Write ``records`` records; returns seconds taken."""
    rng = random.Random(7)
    batches = max(1, -(-records // BATCH))
    clock = _Clock()
    log = AuditLog.open(path, clock=clock)
    started = time.perf_counter()
    written = 0
    incident = 0
    for b in range(batches):
        clock.now = START + SPAN * b / batches
        size = min(BATCH, records - written)
        items: list[tuple[str, dict[str, Any]]] = []
        if b == 0:
            items.append(("config", config_body("start")))
        elif b % 25 == 0:
            items.append(("config", config_body("reload")))
        if b % 5 == 0:
            items.append(
                (
                    "key",
                    {
                        "event": "create",
                        "key_id": f"k{b}",
                        "name": f"svc-{b}",
                        "groups": ["eng"],
                        "scopes": [],
                        "expires_at": None,
                    },
                )
            )
            incident += 1
            inc = f"INC-{incident:06d}"
            for event in ("open", "acknowledge", "resolve"):
                items.append(
                    (
                        "incident",
                        {
                            "event": event,
                            "incident": inc,
                            "category": "prompt_injection",
                            "severity": "high",
                            "route": "chat",
                            "by": "oncall",
                        },
                    )
                )
        items.extend(("decision", decision(rng)) for _ in range(size - len(items)))
        log.append_many(items)
        written += len(items)
        if b % 10 == 9 or b == batches - 1:
            log.checkpoint(key, when=clock.now)
        if written >= records:
            break
    elapsed = time.perf_counter() - started
    log.close()
    return elapsed


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--records", type=int, default=1_000_000, help="audit records to generate")
    p.add_argument("--no-verify", action="store_true", help="skip the run with the public key")
    p.add_argument("--markdown", metavar="FILE")
    args = p.parse_args(argv)
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory(prefix="wardgate-report-") as tmp:
        db = Path(tmp) / "wardgate.db"
        build_s = build_log(db, args.records, key)
        db_mib = db.stat().st_size / 2**20
        print(f"built {args.records:,} records in {build_s:.1f} s ({db_mib:.0f} MiB)", flush=True)
        report, collect_s = _timed(lambda: build_report(db, benchmarks=None))
        assert isinstance(report, Report)
        print(f"build_report: {collect_s:.1f} s", flush=True)
        verify_s = None
        if not args.no_verify:
            verified, verify_s = _timed(lambda: build_report(db, public_key=key.public_key()))
            assert verified.evidence.checkpoints.verified, verified.evidence.checkpoints.problems
            print(f"build_report with verification: {verify_s:.1f} s", flush=True)
        rows = []
        for name, renderer in (
            ("json", render_json),
            ("html", render_html),
            ("pdf", render_pdf),
            ("aiverify", render_aiverify),
            ("cyclonedx (incl. schema validation)", render_cyclonedx),
        ):
            data, seconds = _timed(lambda r=renderer: r(report))  # type: ignore[misc]
            rows.append((name, seconds, len(data)))
    d = report.evidence.decisions
    lines = [
        "# Compliance report",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; Python {sys.version.split()[0]}",
        f"- Audit log: {args.records:,} records ({d.total:,} decisions in window, "
        f"{report.evidence.checkpoints.count} checkpoints), {db_mib:.0f} MiB SQLite; built in "
        f"{build_s:.1f} s with `append_many` batches of {BATCH:,}",
        f"- Peak RSS of the whole run: {_rss_mib():.0f} MiB",
        "",
        "| step | time |",
        "|---|---:|",
        f"| `build_report` (one streaming pass, no key) | {collect_s:.2f} s "
        f"({args.records / collect_s:,.0f} records/s) |",
    ]
    if verify_s is not None:
        lines.append(
            f"| `build_report` with `--public-key` (adds `verify_log`) | {verify_s:.2f} s |"
        )
    lines += [
        f"| render {name} ({size:,} bytes) | {sec * 1000:.0f} ms |" for name, sec, size in rows
    ]
    text = "\n".join(lines) + "\n"
    emit(text, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
