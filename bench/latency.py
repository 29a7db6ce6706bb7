"""Latency benchmark: time ``Scanner.scan`` in-process on synthetic prompts and documents.

The texts are generated here (prose, code, tables and non-ASCII scripts, all written for this file),
so the timing set is reproducible from a seed and carries no corpus text. Run
``python -m bench.latency --help``; bench/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.eval_detection import Table
from bench.metrics import percentile

PROMPT_LENGTHS = (100, 500, 2_000)
DOCUMENT_LENGTHS = (20_000, 100_000)

_PROSE = (
    "Could you help me plan a three-day trip to the coast with two children?",
    "The quarterly report shows revenue up four percent, driven mostly by the new subscriptions.",
    "Please summarise the attached meeting notes in five bullet points for the team.",
    "Our kettle stopped working after the descaling cycle; what should I check first?",
    "Write a friendly reminder to the neighbours about the recycling collection on Thursday.",
    "The committee agreed to postpone the vote until the budget figures have been audited.",
    "I am learning to bake sourdough and the crumb is always too dense. Any ideas?",
    "Explain the difference between a mutex and a semaphore with a short example.",
    "The museum opens at nine, but the east wing is closed for restoration until spring.",
    "Translate the menu below into plain English and mark the vegetarian dishes.",
    "She walked along the harbour wall while the ferries came and went in the grey light.",
    "Compare the two mortgage offers and tell me which one costs less over ten years.",
)

_FOREIGN = (
    "Können Sie mir bitte erklären, wie die Mülltrennung in München funktioniert?",
    "Le rapport annuel sera présenté au conseil d'administration la semaine prochaine.",
    "¿Cuál es la mejor época del año para visitar los Picos de Europa?",
    "请帮我把这段会议记录整理成三条要点，并注明负责人。",
    "来週の打ち合わせの議題を箇条書きでまとめてください。",
    "Пожалуйста, проверьте таблицу и исправьте ошибки в расчётах.",
    "يرجى إرسال جدول المواعيد المحدث قبل نهاية الأسبوع.",
    "कृपया इस लेख का सारांश तीन वाक्यों में लिखिए।",
    "오늘 회의 자료를 공유해 주셔서 감사합니다. 🙏",
    "Ο καιρός αύριο θα είναι ηλιόλουστος με ασθενείς ανέμους.",
)

_CODE = (
    "def moving_average(values, window):\n"
    "    total = sum(values[:window])\n"
    "    out = [total / window]\n"
    "    for i in range(window, len(values)):\n"
    "        total += values[i] - values[i - window]\n"
    "        out.append(total / window)\n"
    "    return out\n",
    "SELECT customer_id, COUNT(*) AS orders, SUM(amount) AS spent\n"
    "FROM orders WHERE created_at >= '2024-01-01'\n"
    "GROUP BY customer_id HAVING COUNT(*) > 3 ORDER BY spent DESC;\n",
    "const debounce = (fn, ms) => {\n"
    "  let timer;\n"
    "  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };\n"
    "};\n",
    'for f in ./logs/*.log; do\n  gzip -9 "$f" && mv "$f.gz" ./archive/\ndone\n',
    '{"name": "sensor-7", "readings": [21.4, 21.9, 22.3], "unit": "C", "ok": true}\n',
)


def _table(rng: random.Random) -> str:
    rows = ["| region | units | revenue | change |", "|---|---:|---:|---:|"]
    for region in rng.sample(["North", "South", "East", "West", "Centre", "Islands"], 4):
        units = rng.randint(100, 9_999)
        revenue, change = units * rng.uniform(3, 40), rng.uniform(-9, 9)
        rows.append(f"| {region} | {units} | {revenue:,.2f} | {change:+.1f}% |")
    return "\n".join(rows) + "\n"


def _block(rng: random.Random, document: bool) -> str:
    roll = rng.random()
    if not document or roll < 0.45:
        return " ".join(rng.choice(_PROSE) for _ in range(rng.randint(1, 4))) + "\n"
    if roll < 0.65:
        return rng.choice(_FOREIGN) + "\n"
    if roll < 0.85:
        return "```\n" + rng.choice(_CODE) + "```\n"
    return _table(rng)


def synthesise(length: int, rng: random.Random) -> str:
    """A benign text of exactly ``length`` characters; documents (>= 20,000) mix prose, code,
    tables and non-ASCII text, prompts are prose with an occasional non-ASCII sentence."""
    document = length >= min(DOCUMENT_LENGTHS)
    parts: list[str] = []
    size = 0
    while size < length:
        if not document and rng.random() < 0.15:
            block = rng.choice(_FOREIGN) + " "
        else:
            block = _block(rng, document)
        parts.append(block)
        size += len(block)
    return "".join(parts)[:length]


@dataclass(frozen=True, slots=True)
class Timing:
    length: int
    kind: str
    iterations: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    throughput: float  # texts per second, one thread
    flagged: int
    peak_rss_mib: float

    def cells(self) -> list[str]:
        """The table cells after the row's label and kind."""
        return [
            str(self.iterations),
            f"{self.p50_ms:.3f}",
            f"{self.p99_ms:.3f}",
            f"{self.max_ms:.3f}",
            f"{self.throughput:,.0f}",
            str(self.flagged),
            f"{self.peak_rss_mib:.0f}",
        ]


def peak_rss_mib() -> float:
    """Peak resident set size of this process (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def time_length(
    scanner: object, texts: Sequence[str], kind: str, seconds: float, min_iter: int, max_iter: int
) -> Timing:
    """Warm up on every text, then scan round-robin until the time budget (and ``min_iter``)."""
    scan = scanner.scan  # type: ignore[attr-defined]
    for text in texts:
        scan(text, kind)
    durations: list[int] = []
    flagged = 0
    deadline = time.perf_counter_ns() + int(seconds * 1e9)
    i = 0
    while i < max_iter and (i < min_iter or time.perf_counter_ns() < deadline):
        text = texts[i % len(texts)]
        start = time.perf_counter_ns()
        result = scan(text, kind)
        durations.append(time.perf_counter_ns() - start)
        flagged += bool(result.flagged)
        i += 1
    ms = [d / 1e6 for d in durations]
    return Timing(
        length=len(texts[0]),
        kind=kind,
        iterations=len(ms),
        p50_ms=percentile(ms, 50),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms),
        throughput=len(ms) / (sum(durations) / 1e9),
        flagged=flagged,
        peak_rss_mib=peak_rss_mib(),
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_header(config: str | None) -> list[str]:
    from wardgate import __version__  # noqa: PLC0415

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores ({usable} usable), one thread timed",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}",
        f"wardgate {__version__}, config: {config or 'built-in defaults'}",
    ]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.latency", description="Time Scanner.scan on synthetic texts."
    )
    p.add_argument("--config", help="detection configuration (YAML); default: built-in")
    p.add_argument("--seconds", type=float, default=3.0, help="time budget per length (s)")
    p.add_argument(
        "--min-iterations",
        type=int,
        default=100,
        help="at least this many scans per length (below 100, p99 is the maximum)",
    )
    p.add_argument("--max-iterations", type=int, default=20_000)
    p.add_argument("--variants", type=int, default=32, help="distinct texts per length")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--lengths",
        type=int,
        nargs="+",
        default=[*PROMPT_LENGTHS, *DOCUMENT_LENGTHS],
        help="text lengths in characters (>= 20,000 are scanned as documents)",
    )
    p.add_argument(
        "--corpus",
        type=int,
        default=0,
        metavar="N",
        help="also time a seeded sample of N corpus prompts of at most --max-tokens tokens "
        "(read in place from the detection corpus)",
    )
    p.add_argument("--max-tokens", type=int, default=512, help="token limit for --corpus")
    p.add_argument("--data", help="detection corpus directory (default ../shared/data/detection)")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    return p


def corpus_prompts(n: int, max_tokens: int, seed: int, data: str | None) -> list[str]:
    """A seeded sample of corpus texts (attacks and benign, as they come) of at most
    ``max_tokens`` tokens by the classifier's tokenizer: the issue's "prompts up to 512 tokens"."""
    from tokenizers import Tokenizer  # noqa: PLC0415

    from bench.corpus import load_corpus, resolve_data_dir  # noqa: PLC0415
    from wardgate.detect.classifier.bundle import PACKAGED  # noqa: PLC0415

    tokenizer = Tokenizer.from_file(str(PACKAGED / "tokenizer.json"))
    tokenizer.no_truncation()
    rows = load_corpus(resolve_data_dir(data)).rows
    rng = random.Random(seed)
    rng.shuffle(rows)
    out: list[str] = []
    for row in rows:
        if len(out) >= n:
            break
        if len(tokenizer.encode(row.text, add_special_tokens=False).ids) <= max_tokens:
            out.append(row.text)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from wardgate.detect.scanner import Scanner  # noqa: PLC0415

    started = time.perf_counter()
    scanner = Scanner.from_config(args.config)
    build_ms = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    scanner.scan("Hello, what is the weather like today?", "prompt")
    first_ms = (time.perf_counter() - started) * 1e3
    rss_after_build = peak_rss_mib()  # measured after the first scan's lazy set-up
    rng = random.Random(args.seed)
    table = Table(
        "Scanner.scan latency",
        [
            "chars",
            "kind",
            "iterations",
            "p50 ms",
            "p99 ms",
            "max ms",
            "texts/s",
            "flagged",
            "peak RSS MiB",
        ],
    )
    for length in args.lengths:
        kind = "document" if length >= min(DOCUMENT_LENGTHS) else "prompt"
        texts = [synthesise(length, rng) for _ in range(args.variants)]
        t = time_length(
            scanner, texts, kind, args.seconds, args.min_iterations, args.max_iterations
        )
        table.rows.append([f"{length:,}", kind, *t.cells()])
        print(f"  {length:>7,} chars done", file=sys.stderr)
    if args.corpus:
        texts = corpus_prompts(args.corpus, args.max_tokens, args.seed, args.data)
        t = time_length(scanner, texts, "prompt", args.seconds, len(texts), len(texts))
        table.rows.append([f"corpus <= {args.max_tokens} tokens", "prompt", *t.cells()])
        table.notes.append(
            f"Corpus row: {len(texts)} texts sampled (seed {args.seed}) from the detection corpus, "
            f"attacks and benign as they come, each at most {args.max_tokens} tokens; each "
            "scanned once after a warm-up pass; 'flagged' there counts attacks caught."
        )
    table.notes += [
        f"Scanner built in {build_ms:.0f} ms, first scan {first_ms:.0f} ms; peak RSS after "
        f"build {rss_after_build:.0f} MiB.",
        "Percentiles are nearest-rank; texts/s = iterations / total scan time (one thread); "
        "'flagged' counts verdicts on the benign synthetic texts (should be 0).",
    ]
    header = machine_header(args.config)
    print("\n".join(header))
    print()
    print(table.text())
    if args.markdown:
        body = ["# Wardgate latency benchmark", "", *(f"- {h}" for h in header), "", ""]
        Path(args.markdown).write_text("\n".join(body) + table.markdown() + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
