"""Redaction: rewriting a text so that the values findings point at no longer appear in it.

Kept apart from detection on purpose: detectors report, policy decides whether to block, redact or
let pass, and this module does the rewriting. It works on spans of the *original* text (what the
pipeline returns) and three modes:

* ``mask``: the value's shape is kept and most of it starred (``****1234`` for cards);
* ``hash``: a keyed HMAC-SHA256 prefix, so equal values redact equally (joins and counts still work
  downstream) while nobody without the key can test a guess against the output;
* ``placeholder``: a typed, numbered token (``[EMAIL_1]``, ``[SG_NRIC_1]``), one number per
  distinct value, so a reader can still follow "the same person" through a text.

The result lists what was replaced by kind and span, never the raw values. The helpers that render
a sensitive value safely (:func:`redacted_excerpt`, :func:`mask_value`) live here too, because
detectors use the same rendering for their evidence.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from wardgate.core.finding import Finding, Span

_SEPARATORS = re.compile(r"[\s\-/().]")
_NON_TOKEN = re.compile(r"[^A-Z0-9]+")

# Kinds whose value is a number people quote with separators: compared without them.
_NUMERIC_KINDS = frozenset(
    {
        "CARD",
        "IBAN",
        "PHONE",
        "SG_NRIC",
        "MY_MYKAD",
        "HK_HKID",
        "IN_AADHAAR",
        "IN_PAN",
        "AU_TFN",
        "AU_MEDICARE",
        "JP_MY_NUMBER",
        "KR_RRN",
        "CN_RIC",
    }
)
# How many trailing characters mask mode keeps: what a receipt or a support agent would show.
_KEEP_LAST = {"CARD": 4, "IBAN": 4, "PHONE": 2}


class RedactionMode(StrEnum):
    """How a sensitive value is replaced."""

    MASK = "mask"
    HASH = "hash"
    PLACEHOLDER = "placeholder"


@dataclass(frozen=True, slots=True)
class Replacement:
    """One rewritten region: its kind, where it was, where its replacement is, which rules hit it.

    ``replacement`` is the text written in its place; it never contains the value itself (mask mode
    keeps at most the last four characters of a card or IBAN).
    """

    kind: str
    span: Span
    new_span: Span
    replacement: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """The redacted text and the list of replacements, in text order."""

    text: str
    replacements: tuple[Replacement, ...]


def redacted_excerpt(value: str, reveal: int = 0) -> str:
    """``sk-p…[REDACTED len=51]``: at most ``reveal`` leading characters and the length.

    Only reveal a prefix that is public format (a provider's token prefix), never part of a
    generic password; the reveal is capped at a quarter of the value so short values stay hidden.
    """
    shown = value[: min(max(reveal, 0), 4, len(value) // 4)]
    return f"{shown}…[REDACTED len={len(value)}]"


def finding_kind(finding: Finding) -> str:
    """The placeholder kind of a finding: the last part of its rule id, upper-cased.

    ``pii.sg_nric`` becomes ``SG_NRIC``, ``secret.openai_key`` becomes ``OPENAI_KEY``; a finding
    without a rule id falls back to its category.
    """
    source = finding.rule_id.rsplit(".", 1)[-1] if finding.rule_id else finding.category.value
    kind = _NON_TOKEN.sub("_", source.upper()).strip("_")
    return kind or "REDACTED"


def canonical(kind: str, value: str) -> str:
    """The form equal values share: separators dropped for numbers, case folded for e-mail."""
    if kind in _NUMERIC_KINDS:
        return _SEPARATORS.sub("", value).upper()
    if kind == "EMAIL":
        return value.casefold()
    return value


def mask_value(kind: str, value: str) -> str:
    """Star out ``value``, keeping its length and, for cards, IBANs and phones, the last digits.

    E-mail keeps its top-level domain only (``***@***.com``); everything else becomes stars.
    """
    if kind == "EMAIL":
        domain = value.rpartition("@")[2]
        tld = domain.rpartition(".")[2]
        return f"***@***.{tld}" if tld and tld != domain else "***@***"
    compact = canonical(kind, value) if kind in _NUMERIC_KINDS else value
    keep = _KEEP_LAST.get(kind, 0)
    if keep and len(compact) >= keep * 3:
        return "*" * (len(compact) - keep) + compact[-keep:]
    return "*" * max(len(compact), 4)


class Redactor:
    """Rewrites texts given findings; holds the HMAC key for hash mode, nothing per call."""

    def __init__(self, key: bytes | str | None = None, *, hash_chars: int = 12) -> None:
        """``key`` is required for hash mode; use a secret of at least 16 bytes from your vault."""
        if isinstance(key, str):
            key = key.encode("utf-8")
        if key is not None and len(key) < 16:
            raise ValueError("the redaction key must be at least 16 bytes")
        if not 8 <= hash_chars <= 64:
            raise ValueError("hash_chars must be between 8 and 64")
        self._key = key
        self._hash_chars = hash_chars

    def digest(self, kind: str, value: str) -> str:
        """Keyed HMAC-SHA256 of the value's canonical form, hex, truncated."""
        if self._key is None:
            raise ValueError("hash mode needs a key: Redactor(key=...)")
        data = f"{kind}\x00{canonical(kind, value)}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()[: self._hash_chars]

    def redact(
        self, text: str, findings: Iterable[Finding], mode: RedactionMode | str
    ) -> RedactionResult:
        """Replace every finding's span (merged where they overlap) according to ``mode``."""
        mode = RedactionMode(mode)
        regions = _merge(text, findings)
        numbers: dict[tuple[str, str], int] = {}
        per_kind: dict[str, int] = {}
        parts: list[str] = []
        replacements: list[Replacement] = []
        cursor = 0
        out_len = 0
        for start, end, kind, rule_ids in regions:
            value = text[start:end]
            if mode is RedactionMode.MASK:
                new = mask_value(kind, value)
            elif mode is RedactionMode.HASH:
                new = f"[{kind}:{self.digest(kind, value)}]"
            else:
                key = (kind, canonical(kind, value))
                if key not in numbers:
                    per_kind[kind] = per_kind.get(kind, 0) + 1
                    numbers[key] = per_kind[kind]
                new = f"[{kind}_{numbers[key]}]"
            parts.append(text[cursor:start])
            out_len += start - cursor
            parts.append(new)
            replacements.append(
                Replacement(
                    kind, Span(start, end), Span(out_len, out_len + len(new)), new, rule_ids
                )
            )
            out_len += len(new)
            cursor = end
        parts.append(text[cursor:])
        return RedactionResult("".join(parts), tuple(replacements))


def redact(
    text: str,
    findings: Iterable[Finding],
    mode: RedactionMode | str = RedactionMode.PLACEHOLDER,
    *,
    key: bytes | str | None = None,
) -> RedactionResult:
    """One-shot redaction; build a :class:`Redactor` once instead when redacting many texts."""
    return Redactor(key).redact(text, findings, mode)


def _merge(text: str, findings: Iterable[Finding]) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """Overlapping spans become one region, named after its strongest finding."""
    spans: list[tuple[int, int, Finding]] = []
    for f in findings:
        if f.span is None:
            continue
        start, end = min(f.span.start, len(text)), min(f.span.end, len(text))
        if end > start:
            spans.append((start, end, f))
    spans.sort(key=lambda s: (s[0], -s[1]))
    regions: list[tuple[int, int, str, tuple[str, ...]]] = []
    group: list[Finding] = []
    g_start = g_end = -1
    for start, end, f in spans:
        if group and start < g_end:
            g_end = max(g_end, end)
            group.append(f)
            continue
        if group:
            regions.append(_region(g_start, g_end, group))
        group, g_start, g_end = [f], start, end
    if group:
        regions.append(_region(g_start, g_end, group))
    return regions


def _region(start: int, end: int, group: list[Finding]) -> tuple[int, int, str, tuple[str, ...]]:
    strongest = max(group, key=lambda f: (f.severity, f.score))
    rule_ids = tuple(dict.fromkeys(f.rule_id for f in group if f.rule_id))
    return start, end, finding_kind(strongest), rule_ids
