"""The ``signatures`` detector: the curated rule pack, run as one multi-pattern scan per view.

It is the cheap first stage for prompt injection, jailbreaks, system-prompt extraction, role and
delimiter spoofing and exfiltration: known techniques are recognised by wording, in many languages,
and each matching rule becomes one finding. Scores of distinct rules combine in the engine (noisy
OR), so a weak cue on its own stays below the flagging threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from wardgate.core.finding import Category, Finding, Span
from wardgate.core.phase import InputKind
from wardgate.core.taxonomy import Atlas, TaxonomyId
from wardgate.detect.base import DetectorConfig, ScanContext, TextView
from wardgate.detect.registry import register
from wardgate.detect.signatures.matcher import matcher_for
from wardgate.detect.signatures.pack import Rule, load_pack

EVIDENCE_CHARS = 120


class SignaturesConfig(DetectorConfig):
    """Which rules to run: built-in families (all by default), extra rule files, a score floor."""

    families: tuple[str, ...] | None = None
    exclude_families: tuple[str, ...] = ()
    disabled_rules: tuple[str, ...] = ()
    extra_rule_paths: tuple[str, ...] = ()
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)


class SignatureDetector:
    """Reports every rule of the pack that matches the view, first hit per rule."""

    name: ClassVar[str] = "signatures"

    def __init__(self, config: SignaturesConfig | None = None) -> None:
        config = config or SignaturesConfig()
        pack = load_pack(
            config.families,
            exclude_families=config.exclude_families,
            extra_paths=config.extra_rule_paths,
            disabled_rules=config.disabled_rules,
        )
        self._rules: tuple[Rule, ...] = tuple(p.rule for p in pack.rules)
        self._matcher = matcher_for(pack)
        self._min_score = config.min_score
        self.kinds: frozenset[InputKind] = frozenset().union(*(r.kinds for r in self._rules))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    def inspect(self, view: TextView, context: ScanContext) -> Sequence[Finding]:
        if view.kind not in self.kinds:
            return []
        findings: list[Finding] = []
        for hit in self._matcher.scan(view.text):
            rule = self._rules[hit.rule]
            if view.kind not in rule.kinds or rule.score < self._min_score:
                continue
            category, tags = _as_seen_in(rule, view.kind)
            excerpt = view.text[hit.start : hit.end]
            if len(excerpt) > EVIDENCE_CHARS:
                excerpt = excerpt[: EVIDENCE_CHARS - 1] + "…"
            findings.append(
                Finding(
                    detector=self.name,
                    category=category,
                    score=rule.score,
                    severity=rule.severity,
                    span=Span(hit.start, hit.end),
                    evidence=excerpt,
                    tags=tags,
                    rule_id=rule.id,
                    message=rule.description or f"matched signature {rule.id}",
                )
            )
        return findings


def _as_seen_in(rule: Rule, kind: InputKind) -> tuple[Category, tuple[TaxonomyId, ...]]:
    """Injection found in third-party content (a document) is *indirect* injection."""
    if kind is not InputKind.DOCUMENT or rule.category is not Category.PROMPT_INJECTION:
        return rule.category, rule.tags
    tags = tuple(
        Atlas.INDIRECT_PROMPT_INJECTION if t is Atlas.DIRECT_PROMPT_INJECTION else t
        for t in rule.tags
    )
    if Atlas.INDIRECT_PROMPT_INJECTION not in tags:
        tags = (*tags, Atlas.INDIRECT_PROMPT_INJECTION)
    return Category.INDIRECT_INJECTION, tags


@register("signatures", SignaturesConfig)
def build(config: SignaturesConfig) -> SignatureDetector:
    return SignatureDetector(config)
