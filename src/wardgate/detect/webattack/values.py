"""Runs every web-attack check on one value and turns the evidence into findings.

A *value* is a parameter (query, form field, header, short JSON string): attacks there are judged
on the whole value with a low bar. *Prose* is free text (a chat prompt, a long JSON string, a raw
body) where code snippets are normal, so only rules specific to attacks apply and SQLi/XSS need
libinjection and a signature to agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.phase import InputKind
from wardgate.core.taxonomy import Atlas, OwaspApi, OwaspLlm, TaxonomyId
from wardgate.detect.webattack import injection, log4shell, ssrf
from wardgate.detect.webattack.rules import RULES, Attack, Rule, Scope

DETECTOR_NAME = "web_attack"
EVIDENCE_CHARS = 80


class Mode(StrEnum):
    """How strictly a text is judged: as a parameter value or as free prose."""

    VALUE = "value"
    PROSE = "prose"


def choose_mode(text: str, value_max_chars: int) -> Mode:
    """Short single-line text is a parameter value; anything else is prose."""
    if len(text) <= value_max_chars and "\n" not in text:
        return Mode.VALUE
    return Mode.PROSE


_INJECTION_TAGS: tuple[TaxonomyId, ...] = (
    OwaspApi.SECURITY_MISCONFIGURATION,
    Atlas.EXPLOIT_PUBLIC_FACING_APPLICATION,
)
_SSRF_TAGS: tuple[TaxonomyId, ...] = (
    OwaspApi.SERVER_SIDE_REQUEST_FORGERY,
    Atlas.EXPLOIT_PUBLIC_FACING_APPLICATION,
)


def tags_for(attack: Attack, kind: InputKind | None) -> tuple[TaxonomyId, ...]:
    """Taxonomy ids: API7 for SSRF, API8 for the injection family (the 2023 list folded injection
    into misconfiguration); a payload in model output is LLM05, in third-party content API10."""
    tags = _SSRF_TAGS if attack is Attack.SSRF else _INJECTION_TAGS
    if kind is InputKind.OUTPUT:
        tags = (*tags, OwaspLlm.IMPROPER_OUTPUT_HANDLING)
    elif kind is InputKind.DOCUMENT:
        tags = (*tags, OwaspApi.UNSAFE_CONSUMPTION_OF_APIS)
    return tags


def excerpt(text: str, start: int, end: int) -> str:
    """A log-safe excerpt: at most EVIDENCE_CHARS, control characters escaped, no surrogates."""
    piece = text[start : min(end, start + EVIDENCE_CHARS)]
    safe = "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in piece)
    safe = safe.encode("utf-8", "backslashreplace").decode("utf-8")
    return safe + ("…" if end - start > EVIDENCE_CHARS else "")


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule match before it becomes a :class:`Finding`."""

    rule_id: str
    attack: Attack
    start: int
    end: int
    score: float
    severity: Severity
    message: str


@dataclass(frozen=True, slots=True)
class ValueScanner:
    """Stateless: holds only limits, so one instance serves concurrent requests."""

    max_findings: int = 32
    max_chars: int = 131_072

    def scan(
        self,
        text: str,
        mode: Mode,
        *,
        url_param: bool = True,
        attacks: frozenset[Attack] | None = None,
    ) -> list[Hit]:
        """All hits in ``text``; ``url_param`` allows the internal-host SSRF rule, ``attacks``
        limits the families checked. Text longer than ``max_chars`` is judged by its head and
        tail (half each) so that one huge value costs bounded time."""
        if len(text) <= self.max_chars:
            return self._scan(text, mode, url_param, attacks)
        half = self.max_chars // 2
        tail_at = len(text) - half
        hits = self._scan(text[:half], mode, url_param, attacks)
        hits += [
            replace(h, start=h.start + tail_at, end=h.end + tail_at)
            for h in self._scan(text[tail_at:], mode, url_param, attacks)
        ]
        return _dedupe(hits)[: self.max_findings]

    def _scan(
        self, text: str, mode: Mode, url_param: bool, attacks: frozenset[Attack] | None
    ) -> list[Hit]:
        lowered = text.lower()
        hits: list[Hit] = []
        hits.extend(self._rules(text, lowered, mode, attacks))
        if attacks is None or Attack.SQLI in attacks:
            hits.extend(_sqli(text, mode))
        if (attacks is None or Attack.XSS in attacks) and ("<" in text or "script" in lowered):
            hits.extend(_xss(text, mode))
        if (attacks is None or Attack.SSRF in attacks) and ("://" in text or mode is Mode.VALUE):
            hits.extend(_ssrf(text, mode, url_param=url_param))
        if (attacks is None or Attack.LOG4SHELL in attacks) and "${" in text:
            hits.extend(
                Hit(
                    "web.log4shell",
                    Attack.LOG4SHELL,
                    s,
                    e,
                    0.99,
                    Severity.CRITICAL,
                    "Log4j JNDI lookup (Log4Shell), possibly obfuscated with nested lookups",
                )
                for s, e in log4shell.find_jndi(text)
            )
        return _dedupe(hits)[: self.max_findings]

    def _rules(
        self, text: str, lowered: str, mode: Mode, attacks: frozenset[Attack] | None
    ) -> Iterable[Hit]:
        for rule in RULES:
            if rule.scope is Scope.VALUE and mode is not Mode.VALUE:
                continue
            if attacks is not None and rule.attack not in attacks:
                continue
            if rule.triggers and not any(t in lowered for t in rule.triggers):
                continue
            match = rule.pattern.search(text)
            if match is not None:
                yield _hit(rule, match.start(), match.end())


def _hit(rule: Rule, start: int, end: int) -> Hit:
    return Hit(rule.rule_id, rule.attack, start, end, rule.score, rule.severity, rule.message)


def _sqli(text: str, mode: Mode) -> list[Hit]:
    if mode is Mode.VALUE:
        found = injection.sqli_in_value(text)
        hits = [] if found is None else [found]
    else:
        hits = injection.sqli_in_prose(text)
    out = []
    for h in hits:
        if h.libinjection and h.structural:
            score, sev, msg = (
                0.95,
                Severity.HIGH,
                "SQL injection (libinjection and signature agree)",
            )
        elif h.libinjection:
            score, sev, msg = 0.8, Severity.HIGH, "SQL injection (libinjection)"
        else:
            score, sev, msg = 0.6, Severity.MEDIUM, "SQL attack construct (signature only)"
        out.append(Hit("web.sqli", Attack.SQLI, h.start, h.end, score, sev, msg))
    return out


def _xss(text: str, mode: Mode) -> list[Hit]:
    if mode is Mode.VALUE:
        found = injection.xss_in_value(text)
        hits = [] if found is None else [found]
    else:
        hits = injection.xss_in_prose(text)
    out = []
    for h in hits:
        if h.libinjection and h.structural:
            score, msg = 0.95, "cross-site scripting (libinjection and signature agree)"
        elif h.libinjection:
            score, msg = 0.85, "cross-site scripting (libinjection)"
        else:
            score, msg = 0.75, "script-execution markup (signature only)"
        out.append(Hit("web.xss", Attack.XSS, h.start, h.end, score, Severity.HIGH, msg))
    return out


_SSRF_RULES = {
    "cloud_metadata": (
        0.95,
        Severity.CRITICAL,
        "URL resolves to a cloud instance-metadata endpoint",
    ),
    "encoded_ip": (0.85, Severity.HIGH, "URL host is an IP address in evasive (encoded) notation"),
    "internal": (0.7, Severity.HIGH, "URL-valued parameter targets a loopback or internal address"),
}


def _ssrf(text: str, mode: Mode, *, url_param: bool) -> list[Hit]:
    verdicts = list(ssrf.url_hosts(text))
    if mode is Mode.VALUE and not verdicts:
        bare = ssrf.bare_host(text)
        verdicts = [] if bare is None else [bare]
    out = []
    for v in verdicts:
        if v.kind == "internal" and not (mode is Mode.VALUE and url_param):
            continue
        score, sev, msg = _SSRF_RULES[v.kind]
        out.append(Hit(f"web.ssrf.{v.kind}", Attack.SSRF, v.start, v.end, score, sev, msg))
    return out


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """One hit per attack family (the strongest rule), strongest first: several signatures
    matching one payload are one piece of evidence, not several."""
    best: dict[Attack, Hit] = {}
    for h in hits:
        if h.attack not in best or h.score > best[h.attack].score:
            best[h.attack] = h
    return sorted(best.values(), key=lambda h: (-h.score, h.start))


def to_finding(
    hit: Hit,
    text: str,
    kind: InputKind | None,
    *,
    evidence: str | None = None,
    offset: int = 0,
) -> Finding:
    """A finding in the coordinates of ``text`` shifted by ``offset``; ``evidence`` overrides the
    excerpt (redaction)."""
    return Finding(
        detector=DETECTOR_NAME,
        category=Category.WEB_ATTACK,
        score=hit.score,
        severity=hit.severity,
        span=Span(offset + hit.start, offset + max(hit.start, hit.end)),
        evidence=excerpt(text, hit.start, hit.end) if evidence is None else evidence,
        tags=tags_for(hit.attack, kind),
        rule_id=hit.rule_id,
        message=hit.message,
        kind="" if kind is None else kind.value,
    )
