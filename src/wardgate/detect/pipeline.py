"""The detection pipeline: normalise, decode, run every detector on every view, score.

Errors are isolated: a detector that raises or overruns its budget produces a finding about itself
(category ``detector_error``) and the scan goes on. Whether such a finding blocks is explicit
configuration (``fail_closed``), never an accident.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.phase import InputKind, Phase
from wardgate.detect.base import (
    Detector,
    DetectorConfig,
    LateDetector,
    ScanContext,
    TextView,
    is_late,
)
from wardgate.detect.decode.codecs import iter_decoded
from wardgate.detect.normalise import normalise
from wardgate.detect.normalise.variants import reversed_reading, strong_leet, unleet
from wardgate.detect.obfuscation import (
    asks_to_decode,
    decode_request_finding,
    decoded_payload_finding,
    normalisation_findings,
)

PIPELINE = "pipeline"
SHORT_TEXT = 400
_READINGS = frozenset({"leetspeak", "reversed"})


class DecodeLimits(BaseModel):
    """Bounds on recursive decoding, so that nested or repeated payloads cannot exhaust memory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_depth: int = Field(4, ge=0, le=16)
    max_payloads: int = Field(64, ge=0)
    max_decoded_chars: int = Field(1_000_000, ge=0)


class PipelineSettings(BaseModel):
    """Engine-wide settings; per-detector options live with each detector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(0.5, ge=0.0, le=1.0)
    max_scan_chars: int = Field(2_000_000, ge=1)
    budget_ms: float = Field(500.0, gt=0)
    fail_closed: bool = False
    decode: DecodeLimits = DecodeLimits()
    variants: bool = True


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """Findings (anchored in the original text), the combined score and the views scanned."""

    findings: tuple[Finding, ...]
    score: float
    flagged: bool
    views: int
    elapsed_ms: float


def combine(findings: Sequence[Finding], *, fail_closed: bool) -> float:
    """Noisy-OR over distinct rules: independent weak cues add up, one rule counts once."""
    best: dict[str, float] = {}
    for f in findings:
        if f.category is Category.DETECTOR_ERROR and not fail_closed:
            continue
        key = f.rule_id or f"{f.detector}:{f.category.value}"
        best[key] = max(best.get(key, 0.0), f.score)
    miss = 1.0
    for s in best.values():
        miss *= 1.0 - s
    return 1.0 - miss


class Pipeline:
    """Runs configured detectors over a text and the views derived from it."""

    def __init__(
        self,
        detectors: Sequence[tuple[Detector, DetectorConfig]],
        settings: PipelineSettings | None = None,
    ) -> None:
        self.detectors = [(d, c) for d, c in detectors if c.enabled]
        self.settings = settings or PipelineSettings()

    def run(
        self,
        text: str,
        kind: InputKind = InputKind.PROMPT,
        context: ScanContext | None = None,
        phase: Phase | None = None,
        only: Collection[str] | None = None,
        *,
        shallow: bool = False,
    ) -> PipelineResult:
        """Scan ``text``; ``phase`` defaults to RESPONSE for model output, else REQUEST.

        ``only`` names the detectors to run (all configured ones when None); ``shallow`` scans
        the normalised text alone, without variant readings or decoding. A streamed answer's
        per-event check is both (the leak detectors on the plain text), and a full check runs
        every few hundred characters.
        """
        t0 = time.perf_counter()
        context = context or ScanContext()
        if phase is None:
            phase = Phase.RESPONSE if kind is InputKind.OUTPUT else Phase.REQUEST
        phased = [
            (d, c)
            for d, c in self.detectors
            if phase in c.phases and (only is None or d.name in only)
        ]
        active = [(d, c) for d, c in phased if not is_late(d)]
        late = [(d, c) for d, c in phased if is_late(d)]
        judged: list[TextView] = []  # views the late stage reads: not the lossy readings
        s = self.settings
        findings: list[Finding] = []
        if len(text) > s.max_scan_chars:
            findings.append(
                self._error(
                    "pipeline.truncated",
                    f"input of {len(text)} characters scanned up to {s.max_scan_chars}",
                    Span(s.max_scan_chars, len(text)),
                )
            )
            text = text[: s.max_scan_chars]
        norm = normalise(text)
        findings.extend(normalisation_findings(norm.report))
        base = TextView(norm.text, kind, (), norm.offsets)
        variants = s.variants and not shallow
        max_depth = 0 if shallow else s.decode.max_depth
        leet = unleet(norm.text) if variants else None
        # Short texts only: "what does this mean? <obfuscated word>" is the smuggling shape, while
        # long prompts that say "translate" and contain a token like "h264" are ordinary.
        if (
            len(norm.text) <= SHORT_TEXT
            and asks_to_decode(norm.text)
            and (
                (leet is not None and strong_leet(norm.text))
                or norm.report.zalgo_clusters
                or norm.report.confusables_folded
                or norm.report.hidden
            )
        ):
            findings.append(decode_request_finding())
        views: deque[tuple[TextView, int]] = deque([(base, 0)])
        if variants:
            if leet is not None:
                views.append((TextView(leet, kind, ("leetspeak",), norm.offsets), 0))
            backwards = reversed_reading(norm.text)
            if backwards is not None:
                views.append(
                    (TextView(backwards, kind, ("reversed",), norm.offsets, mirrored=True), 0)
                )
        payloads = 0
        decoded_chars = 0
        limited = False
        scanned = 0
        deadline = t0 + s.budget_ms / 1000.0
        while views:
            view, depth = views.popleft()
            if time.perf_counter() > deadline:
                findings.append(
                    self._error("pipeline.budget_exhausted", f"{len(views) + 1} views unscanned")
                )
                break
            scanned += 1
            findings.extend(self._inspect(active, view, context))
            if late and not (view.chain and view.chain[-1] in _READINGS):
                judged.append(view)
            if depth >= max_depth:
                if depth and any(True for _ in iter_decoded(view.text)):
                    findings.append(_depth_finding(view))
                continue
            if view.chain and view.chain[-1] in _READINGS:
                continue  # lossy readings are scanned, not decoded: their "payloads" are artefacts
            requested = asks_to_decode(view.text)
            sources = [(view.text, False)]
            if depth == 0 and not view.chain:
                sources.append((text, True))  # alphabets that NFKC would disturb
            for source, raw in sources:
                # A decode request stands in for a codec's name only in short texts: in a long
                # one, "mean" or "translate" says nothing about a token far away.
                short_request = requested and len(view.text) <= SHORT_TEXT
                for d in iter_decoded(source, raw=raw, requested=short_request):
                    if (
                        payloads >= s.decode.max_payloads
                        or decoded_chars + len(d.text) > s.decode.max_decoded_chars
                    ):
                        if not limited:
                            limited = True
                            findings.append(
                                self._error(
                                    "pipeline.decode_limit",
                                    f"more encoded payloads than the decoding limits allow "
                                    f"({s.decode.max_payloads} payloads, "
                                    f"{s.decode.max_decoded_chars} characters)",
                                )
                            )
                        break
                    payloads += 1
                    decoded_chars += len(d.text)
                    origin = Span(d.start, d.end) if raw else view.to_original(d.start, d.end)
                    chain = (*view.chain, d.codec)
                    findings.append(
                        decoded_payload_finding(
                            d.codec, origin, len(d.text), depth + 1, requested=requested
                        ).with_origin(origin, chain[:-1])
                    )
                    views.append((TextView(d.text, kind, chain, origin=origin), depth + 1))
        if late:
            prior = combine(findings, fail_closed=s.fail_closed)
            for view in judged:
                findings.extend(self._inspect(late, view, context, prior))
        score = combine(findings, fail_closed=s.fail_closed)
        elapsed = (time.perf_counter() - t0) * 1000.0
        return PipelineResult(tuple(findings), score, score >= s.threshold, scanned, elapsed)

    def _inspect(
        self,
        detectors: Sequence[tuple[Detector, DetectorConfig]],
        view: TextView,
        context: ScanContext,
        prior: float | None = None,
    ) -> list[Finding]:
        """Run ``detectors`` on one view; late detectors (``prior`` given) also learn the earlier
        stages' combined score."""
        out: list[Finding] = []
        for detector, config in detectors:
            if view.kind not in detector.kinds:
                continue
            start = time.perf_counter()
            try:
                if prior is None:
                    found = detector.inspect(view, context)
                else:
                    found = cast(LateDetector, detector).inspect_after(view, context, prior)
            except Exception as exc:
                out.append(
                    self._error(
                        f"{detector.name}.error",
                        f"detector {detector.name} failed: {type(exc).__name__}",
                        detector=detector.name,
                    )
                )
                continue
            took_ms = (time.perf_counter() - start) * 1000.0
            for f in found:
                span = None if f.span is None else view.to_original(f.span.start, f.span.end)
                out.append(f.with_origin(span, view.chain))
            if took_ms > config.budget_ms:
                out.append(
                    self._error(
                        f"{detector.name}.over_budget",
                        f"detector {detector.name} took {took_ms:.1f} ms "
                        f"(budget {config.budget_ms:.1f} ms)",
                        detector=detector.name,
                    )
                )
        return out

    def _error(
        self, rule_id: str, message: str, span: Span | None = None, detector: str = PIPELINE
    ) -> Finding:
        return Finding(
            detector=detector,
            category=Category.DETECTOR_ERROR,
            score=1.0 if self.settings.fail_closed else 0.0,
            severity=Severity.MEDIUM,
            span=span,
            rule_id=rule_id,
            message=message,
        )


def _depth_finding(view: TextView) -> Finding:
    return Finding(
        detector="obfuscation",
        category=Category.OBFUSCATION,
        score=0.6,
        severity=Severity.MEDIUM,
        span=view.origin,
        evidence=f"more than {len(view.chain)} nested encodings",
        rule_id="obfuscation.nested_encoding",
        message="payload nested deeper than the decoding limit",
        chain=view.chain,
    )
