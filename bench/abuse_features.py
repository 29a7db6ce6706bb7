"""Cost of abuse analytics per request, and memory with 100,000 identities.

Two measurements, in process (the default state):

* **Time per request**: a Zipf-skewed mix of callers (most send a few requests, a few send
  thousands) replaying a pool of chat, RAG, embedding and HTTP exchanges. Timed separately:
  ``observe`` (reading the exchange: JSON body, template, sketches), ``update`` (the feature
  update: windows, sketches, rings, baseline, and the snapshot when detectors are due) and
  ``detect`` (the detectors on that snapshot). The target is the update at p99 <= 50 µs.
* **Memory**: identities arrive one after another (a few requests each) up to 1.5x the LRU cap;
  traced Python memory (tracemalloc, numpy included) and the state's own byte count are
  sampled as they do: they must plateau once the cap is reached.

Timing is repeated (``--repeats``, 5 seeds) and the run with the median update p99 is shown,
with the spread: on a shared machine one run's p99 moves by a third from one minute to the next.

``python -m bench.abuse_features --help``; ``--markdown PATH`` writes the tables.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench.eval_detection import Table
from bench.metrics import percentile
from bench.traffic_sim import CHAT_PATTERNS, TOPICS, WORDS, sentence
from wardgate.abuse.detectors import run_detectors
from wardgate.abuse.observation import EntityKey, Observation, Scope, observe
from wardgate.abuse.settings import AbuseSettings
from wardgate.abuse.state import MemoryFeatureState
from wardgate.core.exchange import Exchange, HttpRequest, HttpResponse, Identity

T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()


def _exchange(rng: random.Random, kind: str) -> Exchange:
    meta: dict[str, object] = {"route": kind, "client": "10.0.0.1"}
    if kind == "chat":
        prompt = rng.choice(CHAT_PATTERNS).format(
            topic=rng.choice(TOPICS),
            topic2=rng.choice(TOPICS),
            word=rng.choice(WORDS),
            sentence=sentence(rng),
            n=rng.randint(2, 12),
        )
        params = {"temperature": 0.7, "logprobs": True} if rng.random() < 0.1 else {}
        body = {"model": "m", "messages": [{"role": "user", "content": prompt}], **params}
        url, meta["operation"] = "https://api/v1/chat/completions", "chat"
        meta["usage"] = {"input": rng.randint(20, 400), "output": rng.randint(50, 800)}
    elif kind == "rag":
        context = " ".join(sentence(rng, 60, 120) for _ in range(4))
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": f"Context: {context}\nQ: {sentence(rng)}?"}],
        }
        url, meta["operation"] = "https://api/v1/chat/completions", "chat"
        meta["usage"] = {"input": 5_000, "output": 200}
    elif kind == "embed":
        body = {
            "model": "e",
            "input": [sentence(rng, 3, 12) for _ in range(rng.choice((1, 8, 32)))],
        }
        url, meta["operation"] = "https://api/v1/embeddings", "embeddings"
    else:
        body = None
        url = f"https://shop/orders/{rng.randint(100_000, 999_999)}"
        meta["operation"], meta["provider"] = "http", "http"
    raw = b"" if body is None else json.dumps(body).encode()
    return Exchange(
        request=HttpRequest("POST" if body else "GET", url, (), raw),
        response=HttpResponse(200),
        identity=Identity("u", tenant="t", method="api_key"),
        metadata=meta,
        started_at=datetime.fromtimestamp(T0, UTC),
    )


def pool(rng: random.Random, size: int) -> list[Exchange]:
    kinds = rng.choices(("chat", "rag", "embed", "http"), (0.6, 0.1, 0.1, 0.2), k=size)
    return [_exchange(rng, k) for k in kinds]


def timing(requests: int, identities: int, seed: int, scopes: int = 1) -> dict[str, list[float]]:
    rng = random.Random(seed)
    exchanges = pool(rng, 2_000)
    settings = AbuseSettings()
    state = MemoryFeatureState(settings.feature_params(), max_entities=settings.max_entities)
    weights = [1 / (i + 1) for i in range(identities)]  # Zipf: a few callers are very busy
    callers = rng.choices(range(identities), weights, k=requests)
    times: dict[str, list[float]] = {"observe": [], "update": [], "evaluate": []}
    t = T0
    evaluated = 0
    gc.collect()
    for n, caller in enumerate(callers):
        t += rng.expovariate(1 / 0.05)  # 20 requests a second through this process
        base = exchanges[n % len(exchanges)]
        exchange = replace(base, started_at=datetime.fromtimestamp(t, UTC))
        # The identity; with more scopes also its tenant (50 tenants) and source address.
        keys = [
            EntityKey(Scope.IDENTITY, f"t{caller % 50}/u{caller}"),
            EntityKey(Scope.TENANT, f"t{caller % 50}"),
            EntityKey(Scope.CLIENT, f"10.0.{caller % 7}.{caller % 200}"),
        ][:scopes]
        a = time.perf_counter_ns()
        obs = observe(exchange)
        b = time.perf_counter_ns()
        state.update_sync(obs, keys, snapshots=False)
        c = time.perf_counter_ns()
        for snap in state.snapshots(obs, keys):
            run_detectors(snap, settings)
            evaluated += 1
        d = time.perf_counter_ns()
        times["observe"].append((b - a) / 1_000)
        times["update"].append((c - b) / 1_000)
        times["evaluate"].append((d - c) / 1_000)
    times["evaluated"] = [evaluated / requests]
    return times


def memory(
    identities: int, cap: int, per_identity: int, seed: int
) -> list[tuple[int, int, float, float]]:
    """(identities seen, keys held, state bytes MiB, traced MiB) at checkpoints."""
    rng = random.Random(seed)
    observations: list[Observation] = [observe(e) for e in pool(rng, 500)]
    state = MemoryFeatureState(AbuseSettings().feature_params(), max_entities=cap)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rows = []
    step = identities // 15
    t = T0
    for i in range(identities):
        key = [EntityKey(Scope.IDENTITY, f"t/u{i}")]
        for _ in range(rng.randint(1, 2 * per_identity - 1)):
            t += 0.02
            obs = replace(observations[rng.randrange(len(observations))], at=t)
            state.update_sync(obs, key, snapshots=False)
        if (i + 1) % step == 0:
            traced = tracemalloc.get_traced_memory()[0] - base
            rows.append((i + 1, len(state), state.bytes / 2**20, traced / 2**20))
    tracemalloc.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--callers", type=int, default=20_000)
    parser.add_argument("--identities", type=int, default=150_000)
    parser.add_argument("--cap", type=int, default=100_000, help="the LRU cap (max_entities)")
    parser.add_argument("--per-identity", type=int, default=3, help="mean requests each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="timing runs (seeds seed..seed+n-1); the table is the run with the median update "
        "p99, and the spread over all runs is noted (a shared machine's memory is noisy)",
    )
    parser.add_argument(
        "--scopes",
        type=int,
        choices=(1, 2, 3),
        default=1,
        help="behaviour keys each request updates: the identity (1), its tenant (2), its source "
        "address (3); abuse.scopes sets this in the gateway",
    )
    parser.add_argument("--no-memory", action="store_true", help="time only")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)

    runs = [
        timing(args.requests, args.callers, args.seed + i, args.scopes) for i in range(args.repeats)
    ]
    runs.sort(key=lambda run: percentile(run["update"], 99))
    spread = [percentile(run["update"], 99) for run in runs]
    times = runs[len(runs) // 2]
    due = times.pop("evaluated")[0]
    cost = Table(
        f"Abuse analytics cost per request (µs, {args.requests} requests, {args.callers} callers, "
        f"{args.scopes} key{'s' if args.scopes > 1 else ''} each)",
        ["stage", "p50", "p90", "p99", "p99.9", "mean"],
    )
    for stage, values in times.items():
        cost.rows.append(
            [
                stage,
                *(f"{percentile(values, q):.1f}" for q in (50, 90, 99, 99.9)),
                f"{sum(values) / len(values):.1f}",
            ]
        )
    total = [sum(v) for v in zip(*times.values(), strict=True)]
    cost.rows.append(
        [
            "total",
            *(f"{percentile(total, q):.1f}" for q in (50, 90, 99, 99.9)),
            f"{sum(total) / len(total):.1f}",
        ]
    )
    cost.notes.append(
        "observe: reading the exchange (JSON body, template mask, sketches); update: the "
        "feature update (windows, distinct sketches, rings, baseline); evaluate: deciding "
        "whether detectors are due and, when they are (about "
        f"{due:.1%} of requests here), the snapshot and the five detectors. "
        f"Python {sys.version.split()[0]}, one thread, a shared 2-core machine. "
        f"The median of {len(runs)} runs by update p99; update p99 over the runs: "
        + ", ".join(f"{v:.1f}" for v in spread)
        + " µs."
    )
    tables = [cost]
    if not args.no_memory:
        rows = memory(args.identities, args.cap, args.per_identity, args.seed)
        mem = Table(
            f"Memory as identities arrive (LRU cap {args.cap})",
            [
                "identities seen",
                "keys held",
                "state bytes (MiB)",
                "traced (MiB)",
                "traced per key (B)",
            ],
        )
        for seen, held, counted, traced in rows:
            mem.rows.append(
                [
                    str(seen),
                    str(held),
                    f"{counted:.1f}",
                    f"{traced:.1f}",
                    f"{traced * 2**20 / max(1, held):.0f}",
                ]
            )
        mem.notes.append(
            f"Each identity sends 1 to {2 * args.per_identity - 1} requests of a mixed pool. "
            "traced: tracemalloc (Python and numpy allocations); state bytes: the state's own "
            "estimate, which max_bytes bounds."
        )
        tables.append(mem)
    print("\n\n".join(t.text() for t in tables))
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n\n".join(t.markdown() for t in tables) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
