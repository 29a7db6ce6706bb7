"""The ``pii`` detector: personal data (cards, bank accounts, contacts, national ids) in traffic.

Shape alone says little (any 12-digit number "looks like" four different national ids), so every
kind is validated: check digits, dates, issuer ranges, region codes, phone numbering plans. What a
checksum cannot settle, context does: each kind has keywords ("TFN", "Aadhaar", "NRIC") that raise
its score when they occur near the value, and weak kinds (a bare 9-digit number as an Australian
TFN) are reported only with that keyword. Where candidates overlap, the better-scored kind wins.

Evidence is masked (``****1234``, ``***@***.com``); the raw value never leaves the detector.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import phonenumbers
from pydantic import Field

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.phase import InputKind
from wardgate.core.taxonomy import Atlas, OwaspLlm, TaxonomyId
from wardgate.detect.base import DetectorConfig, ScanContext, TextView
from wardgate.detect.leaks import Prefilter, window_matches
from wardgate.detect.leaks import validators as v
from wardgate.detect.redact import mask_value
from wardgate.detect.registry import register

TAGS: tuple[TaxonomyId, ...] = (OwaspLlm.SENSITIVE_INFORMATION_DISCLOSURE, Atlas.LLM_DATA_LEAKAGE)
KINDS: frozenset[InputKind] = frozenset({InputKind.PROMPT, InputKind.DOCUMENT, InputKind.OUTPUT})
# The leetspeak view turns digits into letters; it can only blur identifiers, never reveal one.
SKIPPED_CHAINS = frozenset({"leetspeak"})

# A number starts and ends where no digit or letter continues it, nor another digit group after a
# single separator (so 12 digits inside a 16-digit card are not read as an Aadhaar).
_NB = r"(?<![0-9A-Za-z])(?<![0-9][ -])"
_NE = r"(?![0-9A-Za-z])(?![ -][0-9])"
_WB = r"(?<![0-9A-Za-z])"
_WE = r"(?![0-9A-Za-z])"

# Every candidate is far shorter than this: the regex runs this far either side of a prefilter hit.
WINDOW_REACH = 200
# How far around a value a context keyword counts.
KEYWORD_BEFORE = 48
KEYWORD_AFTER = 24


@dataclass(frozen=True, slots=True)
class PiiRule:
    """One way an identifier appears in text.

    ``pattern`` finds candidates, ``prefilter`` is a Hyperscan superset of it, ``validate`` checks
    structure and check digits. ``score`` applies to a valid value on its own and ``boosted`` when
    one of ``keywords`` is nearby; a ``score`` of 0 means the kind is never reported without one.
    """

    kind: str
    label: str
    pattern: str
    prefilter: str
    validate: Callable[[str], bool]
    score: float
    boosted: float
    severity: Severity
    keywords: str | None = None

    @property
    def rule_id(self) -> str:
        return f"pii.{self.kind}"


_KW_CARD = (
    r"card|visa|master\s?card|amex|american express|discover|jcb|credit|debit|payment|cvv|expir"
)
_KW_IBAN = r"iban|bank|account|konto|compte|bic|swift|transfer"
_KW_PHONE = r"phone|tel\b|mobile|cell|call|contact|whatsapp|sms|fax|dial|電話|电话|手机|전화"
_KW_SG = r"nric|\bfin\b|\bic\b|identity|singapore"
_KW_MY = r"mykad|my\s?kad|nric|\bic\b|kad pengenalan|identity card|malaysia"
_KW_HK = r"hkid|hong\s?kong|identity card|身份證"
_KW_AADHAAR = r"aadhaa?r|uidai|आधार|\buid\b"
_KW_PAN = r"\bpan\b|permanent account|income tax"
_KW_TFN = r"\btfn\b|tax file"
_KW_MEDICARE = r"medicare"
_KW_MY_NUMBER = r"my\s?number|individual number|マイナンバー|個人番号"
_KW_RRN = r"\brrn\b|resident registration|주민등록|주민번호"
_KW_CN = r"身份证|resident identity|id card|identity card|公民身份"

H, M = Severity.HIGH, Severity.MEDIUM


def _phone_validator(regions: tuple[str, ...]) -> Callable[[str], bool]:
    """Valid in the numbering plan of its country code, or of one of ``regions`` if national."""

    def validate(value: str) -> bool:
        for region in (None,) if value.startswith("+") else regions:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return True
        return False

    return validate


def build_rules(config: PiiConfig) -> tuple[PiiRule, ...]:
    """The rule table; phone rules depend on the configured national regions."""
    phone = _phone_validator(tuple(r.upper() for r in config.phone_regions))
    return (
        PiiRule("email", "e-mail address",
                r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+"
                r"[A-Za-z]{2,24}(?![A-Za-z0-9-])",
                r"[A-Za-z0-9._%+-]@[A-Za-z0-9-]{1,63}\.[A-Za-z]{2}", v.is_personal_email, 0.7, 0.7,
                M),
        PiiRule("card", "payment card number",
                _NB + r"[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,4}(?:\1[0-9]{1,3})?" + _NE,
                r"[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]", v.is_payment_card, 0.85, 0.95, H,
                _KW_CARD),
        PiiRule("card", "payment card number",
                _NB + r"3[0-9]{3}([ -])[0-9]{6}\1[0-9]{4,5}" + _NE,
                r"3[0-9]{3}[ -][0-9]{6}[ -][0-9]{4}", v.is_payment_card, 0.85, 0.95, H, _KW_CARD),
        PiiRule("card", "payment card number", _NB + r"[0-9]{13,19}" + _NE, r"[0-9]{13}",
                v.is_payment_card, 0.8, 0.95, H, _KW_CARD),
        PiiRule("iban", "IBAN",
                _WB + r"[A-Z]{2}[0-9]{2}[ ]?[A-Z0-9]{4}(?:[ ]?[A-Z0-9]{4}){1,6}"
                r"(?:[ ]?[A-Z0-9]{1,3})?" + _WE,
                r"[A-Z]{2}[0-9]{2} ?[A-Z0-9]{4} ?[A-Z0-9]{4}", v.is_iban, 0.85, 0.95, H, _KW_IBAN),
        PiiRule("phone", "phone number (international format)",
                r"(?<![0-9A-Za-z+])\+[1-9][0-9 ().-]{5,20}[0-9]" + _WE,
                r"\+[1-9][0-9 ().-]{5,20}[0-9]", phone, 0.65, 0.85, M, _KW_PHONE),
        PiiRule("phone", "phone number (national format)",
                _NB + r"(?:\([0-9]{2,5}\)[ .-]?|[0-9]{2,5}[ .-])[0-9]{3,4}[ .-][0-9]{3,4}" + _NE,
                r"[0-9]{2,5}\)?[ .-]{1,2}[0-9]{3,4}[ .-][0-9]{3,4}", phone, 0.4, 0.75, M,
                _KW_PHONE),
        PiiRule("phone", "phone number (national format)",
                _NB + r"[0-9]{4}[ -][0-9]{4}" + _NE, r"[0-9]{4}[ -][0-9]{4}",
                phone, 0.0, 0.7, M, _KW_PHONE),
        PiiRule("sg_nric", "Singapore NRIC/FIN",
                _WB + r"[STFGMstfgm][0-9]{7}[A-Za-z]" + _WE, r"[STFGMstfgm][0-9]{7}[A-Za-z]",
                v.is_sg_nric, 0.85, 0.95, H, _KW_SG),
        PiiRule("my_mykad", "Malaysia MyKad number",
                _NB + r"[0-9]{6}-[0-9]{2}-[0-9]{4}" + _NE, r"[0-9]{6}-[0-9]{2}-[0-9]{4}",
                v.is_my_mykad, 0.8, 0.95, H, _KW_MY),
        PiiRule("my_mykad", "Malaysia MyKad number", _NB + r"[0-9]{12}" + _NE, r"[0-9]{12}",
                v.is_my_mykad, 0.35, 0.85, H, _KW_MY),
        PiiRule("hk_hkid", "Hong Kong identity card number",
                _WB + r"[A-Z]{1,2}[0-9]{6} ?\([0-9A]\)", r"[A-Z]{1,2}[0-9]{6} ?\([0-9A]\)",
                v.is_hkid, 0.85, 0.95, H, _KW_HK),
        PiiRule("hk_hkid", "Hong Kong identity card number",
                _WB + r"[A-Z]{1,2}[0-9]{6}[0-9A]" + _WE, r"[A-Z]{1,2}[0-9]{6}[0-9A]",
                v.is_hkid, 0.45, 0.9, H, _KW_HK),
        PiiRule("in_aadhaar", "India Aadhaar number",
                _NB + r"[2-9][0-9]{3}([ -])[0-9]{4}\1[0-9]{4}" + _NE,
                r"[2-9][0-9]{3}[ -][0-9]{4}[ -][0-9]{4}", v.is_aadhaar, 0.55, 0.95, H, _KW_AADHAAR),
        PiiRule("in_aadhaar", "India Aadhaar number", _NB + r"[2-9][0-9]{11}" + _NE,
                r"[2-9][0-9]{11}", v.is_aadhaar, 0.35, 0.9, H, _KW_AADHAAR),
        PiiRule("in_pan", "India PAN",
                _WB + r"[A-Z]{3}[ABCFGHLJPTK][A-Z][0-9]{4}[A-Z]" + _WE,
                r"[A-Z]{3}[ABCFGHLJPTK][A-Z][0-9]{4}[A-Z]", v.is_pan, 0.55, 0.9, H, _KW_PAN),
        PiiRule("au_tfn", "Australian tax file number",
                _NB + r"[0-9]{3}([ ]?)[0-9]{3}\1[0-9]{2,3}" + _NE, r"[0-9]{3} ?[0-9]{3} ?[0-9]{2}",
                v.is_au_tfn, 0.0, 0.85, H, _KW_TFN),
        PiiRule("au_medicare", "Australian Medicare number",
                _NB + r"[2-6][0-9]{3}([ ]?)[0-9]{5}\1[0-9](?:[ /-]?[1-9])?" + _NE,
                r"[2-6][0-9]{3} ?[0-9]{5} ?[0-9]", v.is_au_medicare, 0.3, 0.85, H, _KW_MEDICARE),
        PiiRule("jp_my_number", "Japan My Number",
                _NB + r"[0-9]{4}([ -]?)[0-9]{4}\1[0-9]{4}" + _NE,
                r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}", v.is_jp_my_number, 0.3, 0.85, H,
                _KW_MY_NUMBER),
        PiiRule("kr_rrn", "Korea resident registration number",
                _NB + r"[0-9]{6}-[0-9]{7}" + _NE, r"[0-9]{6}-[0-9]{7}", v.is_kr_rrn, 0.8, 0.95, H,
                _KW_RRN),
        PiiRule("kr_rrn", "Korea resident registration number", _NB + r"[0-9]{13}" + _NE,
                r"[0-9]{13}", v.is_kr_rrn, 0.45, 0.9, H, _KW_RRN),
        # Numbers issued since October 2020 carry no check digit: date and keyword must carry it.
        PiiRule("kr_rrn", "Korea resident registration number",
                _NB + r"[0-9]{6}-[0-9]{7}" + _NE, r"[0-9]{6}-[0-9]{7}", v.is_kr_rrn_date, 0.0, 0.65,
                H, _KW_RRN),
        PiiRule("cn_ric", "China resident identity card number",
                _NB + r"[1-9][0-9]{16}[0-9Xx]" + _NE, r"[1-9][0-9]{16}[0-9Xx]", v.is_cn_ric, 0.8,
                0.95, H, _KW_CN),
    )  # fmt: skip


class PiiConfig(DetectorConfig):
    """Which kinds to report, where national phone numbers may come from, a score floor."""

    kinds: tuple[str, ...] | None = None
    exclude_kinds: tuple[str, ...] = ()
    phone_regions: tuple[str, ...] = ("US", "GB", "SG", "AU", "IN", "MY", "HK", "JP", "KR", "CN")
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: PiiRule
    pattern: re.Pattern[str]
    keywords: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    score: float
    boosted: bool
    rule: PiiRule


class PiiDetector:
    """Finds validated personal identifiers; one finding per region, the best-scored kind."""

    name: ClassVar[str] = "pii"
    kinds: frozenset[InputKind] = KINDS

    def __init__(self, config: PiiConfig | None = None) -> None:
        config = config or PiiConfig()
        wanted = None if config.kinds is None else set(config.kinds)
        rules = [
            r
            for r in build_rules(config)
            if (wanted is None or r.kind in wanted) and r.kind not in config.exclude_kinds
        ]
        self._rules = tuple(
            _Compiled(
                r,
                re.compile(r.pattern),
                None if r.keywords is None else re.compile(r.keywords, re.IGNORECASE),
            )
            for r in rules
        )
        self._prefilter = Prefilter([(r.prefilter, False) for r in rules])
        self._min_score = config.min_score
        self._reach = [WINDOW_REACH] * len(rules)

    def inspect(self, view: TextView, context: ScanContext) -> Sequence[Finding]:
        if view.kind not in self.kinds or SKIPPED_CHAINS.intersection(view.chain):
            return []
        text = view.text
        hits: list[_Hit] = []
        for index, spans in sorted(self._prefilter.regions(text, self._reach).items()):
            hits.extend(self._matches(self._rules[index], text, spans))
        return [self._finding(h, text) for h in _resolve(hits)]

    def _matches(
        self, compiled: _Compiled, text: str, windows: list[tuple[int, int]]
    ) -> list[_Hit]:
        rule = compiled.rule
        found: list[_Hit] = []
        for m in window_matches(compiled.pattern, text, windows):
            start, end = m.span()
            if not rule.validate(m.group()):
                continue
            boosted = compiled.keywords is not None and _near(compiled.keywords, text, start, end)
            score = rule.boosted if boosted else rule.score
            if score >= self._min_score and score > 0.0:
                found.append(_Hit(start, end, score, boosted, rule))
        return found

    def _finding(self, hit: _Hit, text: str) -> Finding:
        rule = hit.rule
        context = ", keyword nearby" if hit.boosted else ""
        return Finding(
            detector=self.name,
            category=Category.PII,
            score=hit.score,
            severity=rule.severity,
            span=Span(hit.start, hit.end),
            evidence=mask_value(rule.kind.upper(), text[hit.start : hit.end]),
            tags=TAGS,
            rule_id=rule.rule_id,
            message=f"{rule.label} (validated{context})",
        )


def _near(keywords: re.Pattern[str], text: str, start: int, end: int) -> bool:
    return bool(
        keywords.search(text, max(0, start - KEYWORD_BEFORE), start)
        or keywords.search(text, end, end + KEYWORD_AFTER)
    )


def _resolve(hits: list[_Hit]) -> list[_Hit]:
    """Keep the best-scored (then longest) hit of each overlapping group."""
    ranked = sorted(hits, key=lambda h: (-h.score, h.start - h.end, h.start))
    kept: list[_Hit] = []
    for hit in ranked:
        if all(hit.end <= k.start or k.end <= hit.start for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


@register("pii", PiiConfig)
def build(config: PiiConfig) -> PiiDetector:
    return PiiDetector(config)
