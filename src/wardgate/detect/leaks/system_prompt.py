"""The ``system_prompt_leak`` detector: the application's own system prompt in a model's answer.

Two signals. Canary tokens (random markers the application plants in its prompt) are proof: found
verbatim, or with case and spacing changed, they mean the prompt was reproduced. Without canaries,
verbatim reproduction is measured as word-shingle overlap: the prompt's n-word windows go into a
hash set once, and each window of the answer is looked up in it. A run of shared windows is a
copied passage; a few common words, or even a stock phrase shorter than the run required, is not.

Findings name how much was copied and where, never the copied text or the canary itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from pydantic import Field

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.phase import InputKind
from wardgate.core.taxonomy import Atlas, OwaspLlm, TaxonomyId
from wardgate.detect.base import DetectorConfig, ScanContext, TextView
from wardgate.detect.registry import register

TAGS: tuple[TaxonomyId, ...] = (OwaspLlm.SYSTEM_PROMPT_LEAKAGE, Atlas.META_PROMPT_EXTRACTION)
KINDS: frozenset[InputKind] = frozenset({InputKind.OUTPUT})
MAX_CANARY_HITS = 64
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


class SystemPromptLeakConfig(DetectorConfig):
    """Shingle size and how much shared text makes a leak; the shortest canary honoured."""

    ngram: int = Field(default=8, ge=2, le=32)
    min_shared_shingles: int = Field(default=3, ge=1)
    min_overlap_fraction: float = Field(default=0.5, gt=0.0, le=1.0)
    min_prompt_words: int = Field(default=6, ge=2)
    min_canary_length: int = Field(default=6, ge=1)


@dataclass(frozen=True, slots=True)
class PromptShingles:
    """The prompt's distinct shingle hashes and the shingle size actually used."""

    hashes: frozenset[int]
    n: int
    vocabulary: frozenset[str] = frozenset()


@lru_cache(maxsize=64)
def prompt_shingles(prompt: str, n: int, min_words: int) -> PromptShingles:
    """Shingles of a system prompt, cached: the same prompt arrives with every request.

    A prompt shorter than ``n`` words is shingled whole (one window), so short prompts are still
    recognised when reproduced in full.
    """
    words = [w.casefold() for w in _WORD.findall(prompt)]
    if len(words) < min_words:
        return PromptShingles(frozenset(), n)
    size = min(n, len(words))
    hashes = frozenset(hash(tuple(words[i : i + size])) for i in range(len(words) - size + 1))
    return PromptShingles(hashes, size, frozenset(words))


@lru_cache(maxsize=256)
def canary_pattern(canary: str) -> re.Pattern[str] | None:
    """The canary with any case and any whitespace (including none) between its characters."""
    chars = _SPACE.sub("", canary)
    if not chars:
        return None
    return re.compile(r"\s*".join(re.escape(c) for c in chars), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Region:
    start: int
    end: int
    shared: int
    words: int
    coverage: float


class SystemPromptLeakDetector:
    """Reports canary tokens and copied passages of the system prompt in model outputs."""

    name: ClassVar[str] = "system_prompt_leak"
    kinds: frozenset[InputKind] = KINDS

    def __init__(self, config: SystemPromptLeakConfig | None = None) -> None:
        self._config = config or SystemPromptLeakConfig()

    def inspect(self, view: TextView, context: ScanContext) -> Sequence[Finding]:
        if view.kind not in self.kinds or not view.text:
            return []
        findings = self._canaries(view.text, context.canaries)
        if context.system_prompt:
            findings.extend(self._overlap(view.text, context.system_prompt))
        return findings

    def _canaries(self, text: str, canaries: Sequence[str]) -> list[Finding]:
        findings: list[Finding] = []
        for number, canary in enumerate(canaries, start=1):
            if len(canary.strip()) < self._config.min_canary_length:
                continue
            spans: list[tuple[int, int, bool]] = []
            pos = text.find(canary)
            while pos != -1 and len(spans) < MAX_CANARY_HITS:
                spans.append((pos, pos + len(canary), True))
                pos = text.find(canary, pos + len(canary))
            pattern = canary_pattern(canary)
            if pattern is not None:
                for m in pattern.finditer(text):
                    if len(spans) >= MAX_CANARY_HITS:
                        break
                    if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                        spans.append((m.start(), m.end(), False))
            for start, end, exact in sorted(spans):
                how = "verbatim" if exact else "with case or spacing changed"
                findings.append(
                    Finding(
                        detector=self.name,
                        category=Category.SYSTEM_PROMPT_LEAK,
                        score=1.0 if exact else 0.95,
                        severity=Severity.CRITICAL,
                        span=Span(start, end),
                        evidence=f"canary #{number} ({end - start} characters)",
                        tags=TAGS,
                        rule_id="system_prompt_leak.canary",
                        message=f"canary token #{number} of the system prompt found {how}",
                    )
                )
        return findings

    def _overlap(self, text: str, prompt: str) -> list[Finding]:
        cfg = self._config
        shingles = prompt_shingles(prompt, cfg.ngram, cfg.min_prompt_words)
        if not shingles.hashes:
            return []
        findings: list[Finding] = []
        for region in _shared_regions(text, shingles):
            short_prompt = region.coverage >= cfg.min_overlap_fraction
            if region.shared < cfg.min_shared_shingles and not short_prompt:
                continue
            strength = max(min(1.0, region.coverage / 0.5), min(1.0, region.words / 60))
            findings.append(
                Finding(
                    detector=self.name,
                    category=Category.SYSTEM_PROMPT_LEAK,
                    score=round(min(1.0, 0.6 + 0.4 * strength), 4),
                    severity=Severity.HIGH,
                    span=Span(region.start, region.end),
                    evidence=(
                        f"{region.words} words copied, {region.coverage:.0%} of the prompt's "
                        f"{shingles.n}-word shingles"
                    ),
                    tags=TAGS,
                    rule_id="system_prompt_leak.overlap",
                    message="passage of the system prompt reproduced in the output",
                )
            )
        return findings


def _shared_regions(text: str, shingles: PromptShingles) -> list[_Region]:
    """Runs of output shingles found in the prompt, merged where they touch or overlap."""
    n = shingles.n
    spans: list[tuple[int, int]] = []
    words: list[str] = []
    for m in _WORD.finditer(text):
        spans.append(m.span())
        words.append(m.group().casefold())
    regions: list[_Region] = []
    total = len(shingles.hashes)
    first = last = -1
    seen: set[int] = set()
    shared = 0
    vocabulary = shingles.vocabulary
    run = 0  # how many words up to here are all prompt words: shorter than n cannot match
    for j, word in enumerate(words):
        run = run + 1 if word in vocabulary else 0
        if run < n:
            continue
        i = j - n + 1
        key = hash(tuple(words[i : j + 1]))
        if key not in shingles.hashes:
            continue
        if first >= 0 and i > last + n:  # a gap wider than one shingle: close the region
            regions.append(_close(spans, (first, last), n, shared, len(seen) / total))
            first, seen, shared = -1, set(), 0
        if first < 0:
            first = i
        last = i
        shared += 1
        seen.add(key)
    if first >= 0:
        regions.append(_close(spans, (first, last), n, shared, len(seen) / total))
    return regions


def _close(
    spans: list[tuple[int, int]], shingles: tuple[int, int], n: int, shared: int, coverage: float
) -> _Region:
    """The region from the first word of shingle ``shingles[0]`` to the last of ``shingles[1]``."""
    first, last = shingles
    end_word = last + n - 1
    return _Region(spans[first][0], spans[end_word][1], shared, end_word - first + 1, coverage)


@register("system_prompt_leak", SystemPromptLeakConfig)
def build(config: SystemPromptLeakConfig) -> SystemPromptLeakDetector:
    return SystemPromptLeakDetector(config)
