"""The ``classifier`` detector: Wardgate's trained attack classifier, run as a cascade.

It runs after the cheap detectors, on the normalised text and on every decoded payload, and is
told their combined score. In ``cascade`` mode (the default) clear cases never reach the
transformer: text the signatures already scored as a clear attack is skipped, and windows the
lexical model scores far below anything attack-like are skipped. ``accurate`` mode scores every
window with the transformer. Long text is read in overlapping windows; a finding points at the
window (or the overlap of two adjacent windows) that holds the attack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import Field

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.phase import InputKind, Phase
from wardgate.core.taxonomy import Atlas, OwaspLlm, TaxonomyId
from wardgate.detect.base import DetectorConfig, ScanContext, TextView
from wardgate.detect.classifier.labels import AttackClass
from wardgate.detect.classifier.model import AttackModel, WindowScore, load_model
from wardgate.detect.classifier.windows import Window
from wardgate.detect.registry import register

EVIDENCE_CHARS = 120

_CATEGORY = {
    AttackClass.DIRECT_INJECTION: Category.PROMPT_INJECTION,
    AttackClass.INDIRECT_INJECTION: Category.INDIRECT_INJECTION,
    AttackClass.JAILBREAK: Category.JAILBREAK,
    AttackClass.PROMPT_EXTRACTION: Category.SYSTEM_PROMPT_EXTRACTION,
}
_TAGS: dict[AttackClass, tuple[TaxonomyId, ...]] = {
    AttackClass.DIRECT_INJECTION: (OwaspLlm.PROMPT_INJECTION, Atlas.DIRECT_PROMPT_INJECTION),
    AttackClass.INDIRECT_INJECTION: (OwaspLlm.PROMPT_INJECTION, Atlas.INDIRECT_PROMPT_INJECTION),
    AttackClass.JAILBREAK: (OwaspLlm.PROMPT_INJECTION, Atlas.LLM_JAILBREAK),
    AttackClass.PROMPT_EXTRACTION: (
        OwaspLlm.PROMPT_INJECTION,
        OwaspLlm.SYSTEM_PROMPT_LEAKAGE,
        Atlas.META_PROMPT_EXTRACTION,
    ),
}


class ClassifierConfig(DetectorConfig):
    """``mode``: cascade (fast, default) or accurate (transformer on every window).

    ``threshold`` overrides the bundle's (chosen for <= 1% false positives on held-out benign
    sources); ``max_windows`` bounds the work per text: beyond it the windows the lexical model
    finds most suspicious are read and a ``classifier.window_limit`` finding says so.
    """

    mode: Literal["cascade", "accurate"] = "cascade"
    model_dir: str | None = None
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    decided_above: float = Field(default=0.8, ge=0.0, le=1.0)
    max_windows: int = Field(default=160, ge=1)
    threads: int = Field(default=0, ge=0)
    budget_ms: float = 1000.0
    phases: frozenset[Phase] = frozenset({Phase.REQUEST})


class ClassifierDetector:
    """Scores prompts and documents with the trained model; reports windows above threshold."""

    name: ClassVar[str] = "classifier"
    late: ClassVar[bool] = True
    kinds: frozenset[InputKind] = frozenset({InputKind.PROMPT, InputKind.DOCUMENT})

    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.model: AttackModel = load_model(self.config.model_dir, threads=self.config.threads)
        meta = self.model.meta
        self.threshold = (
            self.config.threshold if self.config.threshold is not None else meta.threshold
        )
        self.gate = meta.gate_logit if self.config.mode == "cascade" else None

    def inspect(self, view: TextView, context: ScanContext) -> Sequence[Finding]:
        """Standalone use (no earlier stages): judge the view on its own."""
        return self.inspect_after(view, context, 0.0)

    def inspect_after(self, view: TextView, context: ScanContext, prior: float) -> list[Finding]:
        """Judge ``view`` knowing the earlier stages' combined score ``prior``."""
        if view.kind not in self.kinds or not view.text.strip():
            return []
        if self.config.mode == "cascade" and prior >= self.config.decided_above:
            return []
        windows = self.model.windows(view.text)
        chosen, limited = self._select(view.text, windows)
        scores = self.model.score(chosen)
        findings = [self._finding(view, run) for run in _runs(scores, self.threshold)]
        if limited:
            findings.append(
                Finding(
                    detector=self.name,
                    category=Category.DETECTOR_ERROR,
                    score=0.0,
                    severity=Severity.LOW,
                    rule_id="classifier.window_limit",
                    message=(
                        f"text of {len(windows)} windows: the {self.config.max_windows} most "
                        "suspicious by the lexical model were read by the transformer"
                    ),
                )
            )
        return findings

    def _select(self, text: str, windows: list[Window]) -> tuple[list[Window], bool]:
        """The windows worth the transformer: all in accurate mode, else those the lexical gate
        passes; at most ``max_windows``, most suspicious first."""
        if self.gate is None and len(windows) <= self.config.max_windows:
            return windows, False
        lex = self.model.lexical.logits([text[w.start : w.end] for w in windows])
        ranked = sorted(range(len(windows)), key=lambda i: -float(lex[i]))
        if self.gate is not None:
            ranked = [i for i in ranked if lex[i] >= self.gate]
        limited = len(ranked) > self.config.max_windows
        keep = sorted(ranked[: self.config.max_windows])
        return [windows[i] for i in keep], limited

    def _finding(self, view: TextView, run: list[WindowScore]) -> Finding:
        if len(run) == 2:  # one passage in the overlap of two windows: the overlap holds it
            start, end = max(r.start for r in run), min(r.end for r in run)
            if start >= end:
                start, end = run[0].start, run[-1].end
        else:
            start, end = run[0].start, run[-1].end
        best = max(r.probability for r in run)
        totals = [sum(r.classes[k] for r in run) for k in range(len(AttackClass))]
        cls = AttackClass(max(range(1, len(AttackClass)), key=lambda k: totals[k]))
        if cls is AttackClass.DIRECT_INJECTION and view.kind is InputKind.DOCUMENT:
            cls = AttackClass.INDIRECT_INJECTION  # instructions inside third-party content
        excerpt = view.text[start:end]
        if len(excerpt) > EVIDENCE_CHARS:
            excerpt = excerpt[: EVIDENCE_CHARS - 1] + "…"
        return Finding(
            detector=self.name,
            category=_CATEGORY[cls],
            score=best,
            severity=Severity.HIGH if best >= 0.9 else Severity.MEDIUM,
            span=Span(start, end),
            evidence=excerpt,
            tags=_TAGS[cls],
            rule_id="classifier",
            message=f"attack classifier: {cls.name.lower()} (p={best:.2f})",
        )


def _runs(scores: Sequence[WindowScore], threshold: float) -> list[list[WindowScore]]:
    """Group windows at or above ``threshold`` into runs of overlapping windows."""
    runs: list[list[WindowScore]] = []
    for s in sorted(scores, key=lambda s: s.start):
        if s.probability < threshold:
            continue
        if runs and s.start < runs[-1][-1].end:
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


@register("classifier", ClassifierConfig)
def build(config: ClassifierConfig) -> ClassifierDetector:
    return ClassifierDetector(config)
