"""Findings about obfuscation itself: smuggled hidden text, invisible characters inside words,
Zalgo, homoglyph swaps and decoded payloads.

Hiding text from people while showing it to models is an attack technique in its own right
(ATLAS AML.T0068), so what the normaliser and decoders undid is reported, not silently fixed.
"""

from __future__ import annotations

import re

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.taxonomy import Atlas, OwaspLlm
from wardgate.detect.normalise import NormalisationReport

DETECTOR = "obfuscation"
HOMOGLYPH_DELIBERATE = 10
_TAGS = (OwaspLlm.PROMPT_INJECTION, Atlas.LLM_PROMPT_OBFUSCATION)


def normalisation_findings(report: NormalisationReport) -> list[Finding]:
    """Turn what the normaliser undid into findings; benign Unicode produces none."""
    out: list[Finding] = []
    for hidden in report.hidden:
        out.append(
            Finding(
                detector=DETECTOR,
                category=Category.HIDDEN_TEXT,
                score=0.9 if len(hidden.text.strip()) >= 3 or not hidden.text else 0.5,
                severity=Severity.HIGH,
                span=hidden.span,
                evidence=f"{len(hidden.text)} characters hidden in {hidden.carrier}",
                tags=_TAGS,
                rule_id=f"obfuscation.hidden.{hidden.carrier}",
                message="text smuggled in invisible characters",
            )
        )
    bidi = report.removed.get("bidi", 0)
    if bidi:
        out.append(_finding("obfuscation.bidi_controls", 0.35, Severity.MEDIUM, report, bidi))
    if report.zero_width_in_words >= 2:
        out.append(
            _finding(
                "obfuscation.zero_width_in_words",
                0.35,
                Severity.MEDIUM,
                report,
                report.zero_width_in_words,
            )
        )
    if report.zalgo_clusters >= 3:
        out.append(_finding("obfuscation.zalgo", 0.3, Severity.LOW, report, report.zalgo_clusters))
    if report.confusables_folded >= HOMOGLYPH_DELIBERATE:
        # A dozen Cyrillic/Greek letters swapped into Latin words is deliberate evasion, not
        # mixed-script writing (which switches script between words, not inside them).
        out.append(
            _finding(
                "obfuscation.homoglyphs", 0.65, Severity.MEDIUM, report, report.confusables_folded
            )
        )
    elif report.confusables_folded >= 3:
        out.append(
            _finding("obfuscation.homoglyphs", 0.3, Severity.LOW, report, report.confusables_folded)
        )
    return out


def _finding(
    rule_id: str, score: float, severity: Severity, report: NormalisationReport, count: int
) -> Finding:
    span = report.removed_spans[0] if report.removed_spans else None
    return Finding(
        detector=DETECTOR,
        category=Category.OBFUSCATION,
        score=score,
        severity=severity,
        span=span,
        evidence=f"{count} characters",
        tags=_TAGS,
        rule_id=rule_id,
        message=rule_id.rsplit(".", 1)[-1].replace("_", " "),
    )


# A request to decode or explain an opaque blob: the carrier of encoding-smuggling attacks, where the
# model is asked to decode (and so to read and act on) what filters could not read.
_DECODE_REQUEST = re.compile(
    r"\b(?:decod(?:e|ed|ing)|encoded|deciphe\w*|decrypt\w*"
    r"|what\s+does\s+(?:this|it)\s+(?:mean|say))\b",
    re.IGNORECASE,
)


# "Translate" and "interpret" are everyday requests, not requests to decode: they are left out.
_DECODE_CUES = ("decod", "encoded", "deciph", "decrypt", "mean", "say")


def asks_to_decode(text: str) -> bool:
    """True when ``text`` asks for an encoded blob to be decoded or explained."""
    head = text[:20_000]
    lowered = head.lower()
    if not any(k in lowered for k in _DECODE_CUES):
        return False
    return _DECODE_REQUEST.search(head) is not None


def decoded_payload_finding(
    codec: str, span: Span, length: int, depth: int, *, requested: bool = False
) -> Finding:
    """An encoded payload was found and decoded; weak on its own (the decoded text is rescanned),
    but a flag when the text also asks for it to be decoded: that is encoding smuggling."""
    score = min(0.25 + 0.1 * (depth - 1), 0.45)
    if requested:
        score = max(score, 0.6)
    return Finding(
        detector=DETECTOR,
        category=Category.OBFUSCATION,
        score=score,
        severity=Severity.MEDIUM if requested else Severity.LOW,
        span=span,
        evidence=f"{codec} payload decoding to {length} characters",
        tags=_TAGS,
        rule_id=f"obfuscation.encoded.{codec}",
        message="encoded payload with a request to decode it"
        if requested
        else "encoded payload decoded and rescanned",
    )


def decode_request_finding() -> Finding:
    """The text asks for something to be decoded or explained and carries obfuscated text
    (leetspeak, Zalgo, homoglyphs, hidden characters): a request to de-obfuscate a payload."""
    return Finding(
        detector=DETECTOR,
        category=Category.OBFUSCATION,
        score=0.6,
        severity=Severity.MEDIUM,
        tags=_TAGS,
        rule_id="obfuscation.decode_request",
        message="request to decode obfuscated text",
    )
