"""SQL injection and XSS: libinjection's tokenisers, cross-checked by structural signatures.

libinjection judges the *start* of a string as SQL or HTML in several quoting contexts, which is
exactly right for a parameter value and wrong for a chat prompt that contains a legitimate query or
an HTML snippet. So on a parameter value libinjection alone is enough, while in free prose a finding
needs both: a structural signature specific to attacks (quote break-out, tautology, UNION SELECT,
time-delay functions, event handlers running script) and libinjection agreeing on a window that
starts at that spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import libinjection

from wardgate.detect.webattack.rules import MAX_GAP, bounded

_IGNORECASE_SPECIALS = ("\u0130", "\u0131", "\u017f", "\u212a")
"""Letters ``re.IGNORECASE`` equates with an ASCII letter although ``str.lower`` does not map
them to it (İ ı ſ K): in a text holding one, a lowered keyword check could miss a match."""


@dataclass(frozen=True, slots=True)
class KeywordGated:
    """A costly pattern behind the keywords one of which every match of it contains.

    Python's ``re`` tries each branch of a long alternation at every position (137 µs for the
    strong SQL pattern on 700 characters of prose); most texts hold none of the keywords, and
    looking for them costs a few microseconds. The keywords are a necessary condition, never a
    substitute: when one is present (or the text holds a letter that defeats a lowered search)
    the pattern itself decides."""

    pattern: re.Pattern[str]
    keywords: tuple[str, ...]  # lower case

    def may_match(self, text: str) -> bool:
        if not text.isascii() and any(c in text for c in _IGNORECASE_SPECIALS):
            return True
        low = text.lower()
        return any(k in low for k in self.keywords)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.may_match(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if self.may_match(text) else iter(())


def _sql_breakout(ws: str, *, comments: bool, symbols: bool) -> re.Pattern[str]:
    """Shapes that only make sense when a value escapes its SQL literal. ``ws`` is the whitespace
    class: any whitespace in a parameter, same-line only in prose (where code spans lines)."""
    inner = ws[1:-1] if ws.startswith("[") else ws
    ops = r"or|and|xor|\|\||&&" if symbols else "or|and|xor"
    close = rf"[{inner})]*"
    comment = rf"|['\"`]{close}(?:--|#|/\*)" if comments else ""
    pattern = (
        rf"['\"`]{close}(?:{ops}){ws}+[{inner}(]{{0,4}}"
        rf"(?:['\"`]?\w{{0,40}}['\"`]?{ws}*(?:=|<>|!=|<=?|>=?|\blike\b|\bis\b|\bin\b)"
        rf"|true\b|false\b|not\b|\d{{1,10}}{ws}*(?:--|#|/\*|;|\Z))"
        rf"|\A{ws}*-?\d{{1,20}}{close}(?:{ops}){ws}+\(?{ws}*['\"]?\w{{1,40}}['\"]?"
        rf"{ws}*(?:=|<>|!=|<|>|\blike\b)"
        rf"{comment}"
        rf"|['\"`\d)]{ws}*;{ws}*(?:drop|delete|insert|update|select|shutdown|exec(?:ute)?|declare"
        rf"|waitfor|truncate|alter|create|grant)\b"
        rf"|\b(?:and|or){ws}+\d{{1,10}}{ws}*={ws}*\d{{1,10}}\b|\bhaving{ws}+\d{{1,10}}{ws}*={ws}*\d{{1,10}}"
        rf"|\border{ws}+by{ws}+\d{{1,4}}{ws}*(?:--|#|/\*)"
    )
    gap = MAX_GAP
    pattern = pattern.replace(f"{ws}*", f"{ws}{{0,{gap}}}").replace(f"{ws}+", f"{ws}{{1,{gap}}}")
    return re.compile(pattern.replace(f"{close}", f"[{inner})]{{0,{gap}}}"), re.IGNORECASE)


SQL_BREAKOUT_VALUE = _sql_breakout(r"\s", comments=True, symbols=True)
SQL_BREAKOUT_PROSE = _sql_breakout(r"[ \t]", comments=False, symbols=False)


_UNION_ANY = r"\bunion(?:\s+all|\s+distinct)?\s{0,10}(?:\(\s*)?select\b"
_UNION_PAYLOAD = (
    r"\bunion(?:\s+all|\s+distinct)?\s{0,10}(?:\(\s*)?select\s+(?:null\b|\d{1,10}\s*,|@@|0x"
    r"|(?:group_)?concat\s*\(|char\s*\(|table_name\b|column_name\b|load_file\b"
    r"|(?:version|database|user|current_user)\s*\()"
)
_SQL_STRONG = (
    r"|(?<![\w.$])(?:sleep|pg_sleep|benchmark)\s*\(\s*\d|\bdbms_(?:lock\.sleep|pipe\.receive_message)\s*\("
    r"|\bwaitfor\s+(?:delay|time)\s+['\"]"
    r"|@@(?:version|datadir|hostname|servername)\b"
    r"|\binformation_schema\b|\bsysobjects\b|\bpg_catalog\b|\bmysql\.user\b|\bsqlite_master\b"
    r"|\b(?:load_file|extractvalue|updatexml|sp_oacreate|utl_http\.request|utl_inaddr"
    r"|sys_eval|sys_exec)\s*\(|\bxp_cmdshell\b"
    r"|\binto\s+(?:out|dump)file\b"
    r"|\b(?:char|chr)\(\d{1,3}\)\s*(?:\|\||\+|,)\s*(?:char|chr)\("
)
SQL_STRONG_KEYWORDS = (
    "union", "sleep", "benchmark", "dbms_", "waitfor", "@@", "information_schema", "sysobjects",
    "pg_catalog", "mysql.user", "sqlite_master", "load_file", "extractvalue", "updatexml",
    "sp_oacreate", "utl_http", "utl_inaddr", "sys_eval", "sys_exec", "xp_cmdshell", "into",
    "char(", "chr(",
)  # fmt: skip
"""One of these is in every match of the strong SQL patterns (each branch names one)."""

SQL_STRONG_VALUE = KeywordGated(
    re.compile(bounded(_UNION_ANY + _SQL_STRONG), re.IGNORECASE), SQL_STRONG_KEYWORDS
)
"""Constructs attackers need and applications rarely put in a parameter."""
SQL_STRONG_PROSE = KeywordGated(
    re.compile(bounded(_UNION_PAYLOAD + _SQL_STRONG), re.IGNORECASE), SQL_STRONG_KEYWORDS
)
"""The same for prose, where a UNION SELECT only counts with a probing column list."""

_XSS_SINK = (
    r"(?:alert|prompt|confirm|eval|atob|fromCharCode|document\.(?:cookie|domain|location|write)"
    r"|window\.location|location\s*=|fetch\s*\(|XMLHttpRequest|\.src\s*=|import\s*\(|top\[|self\["
    r"|\[\s*['\"`]al)"
)

XSS_STRUCTURE = KeywordGated(
    re.compile(
        bounded(
            rf"<script\b[^>]{{0,200}}>[^<]{{0,300}}?{_XSS_SINK}"
            rf"|<[a-z][\w-]{{0,20}}[\s/][^<>]{{0,150}}?\bon[a-z]{{3,30}}\s*=\s*['\"`]?[^'\"`>]{{0,100}}?{_XSS_SINK}"
            r"|(?:href|src|action|formaction|data|xlink:href|background|poster|srcdoc|to)\s*=\s*['\"`]?\s*"
            rf"(?:javascript|vbscript|livescript)\s*:[^'\"`<>=:]{{0,100}}?{_XSS_SINK}"
            r"|(?:href|src|data)\s*=\s*['\"`]?\s*data:text/html"
            rf"|\A\s*(?:javascript|vbscript)\s*:\s*[^\s]{{0,100}}?{_XSS_SINK}"
        ),
        re.IGNORECASE,
    ),
    ("<", "script", "data:text/html"),  # a tag, a javascript:/vbscript: URL, a data URL
)
"""Script that runs: a script body or event handler reaching a sink, or a javascript: URL."""

_WINDOW = 256
_BACKTRACK = 48
_MAX_CANDIDATES = 16
_PHRASE_WORDS = 12
"""A value with more words than this reads as a sentence, where libinjection alone misfires
(it tries the text as if it began inside a string literal)."""
MAX_VALUE_CHARS = 8192
"""libinjection reads only a value's first tokens; longer values are judged by windows."""


def _safe(text: str) -> str:
    """libinjection encodes to UTF-8 and rejects lone surrogates: swap them for '?' (same
    length, so positions still line up)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


_WEAK_FINGERPRINTS = frozenset({"1c"})
"""libinjection verdicts too weak alone: a number then a comment ('50% off -- today')."""


def sqli_fingerprint(text: str) -> str | None:
    """libinjection's token fingerprint when it judges ``text`` SQL injection, else None."""
    result = libinjection.is_sql_injection(_safe(text[:MAX_VALUE_CHARS]))
    return str(result["fingerprint"]) if result["is_sqli"] else None


def is_sqli(text: str) -> bool:
    return sqli_fingerprint(text) is not None


def is_xss(text: str) -> bool:
    return bool(libinjection.is_xss(_safe(text[:MAX_VALUE_CHARS]))["is_xss"])


@dataclass(frozen=True, slots=True)
class InjectionHit:
    """SQLi or XSS evidence: where, and whether libinjection and a signature agreed."""

    attack: str
    start: int
    end: int
    libinjection: bool
    structural: bool


def _window_starts(text: str, pos: int) -> list[int]:
    """Where a payload around ``pos`` may begin: the match, the quote or word before it."""
    lo = max(0, pos - _BACKTRACK)
    starts = [pos]
    quote = max(text.rfind("'", lo, pos + 1), text.rfind('"', lo, pos + 1))
    if quote >= 0:
        starts.append(quote)
    space = max(text.rfind(" ", lo, pos), text.rfind("\n", lo, pos), text.rfind("\t", lo, pos))
    starts.append(space + 1 if space >= 0 else lo)
    return sorted(set(starts))


def _confirmed_windows(
    text: str, pattern: re.Pattern[str] | KeywordGated, judge: str
) -> list[InjectionHit]:
    check = is_sqli if judge == "sqli" else is_xss
    hits: list[InjectionHit] = []
    for n, match in enumerate(pattern.finditer(text)):
        if n >= _MAX_CANDIDATES:
            break
        for start in _window_starts(text, match.start()):
            if check(text[start : max(match.end(), start + _WINDOW)]):
                hits.append(InjectionHit(judge, start, match.end(), True, True))
                break
    return hits


def sqli_in_value(text: str) -> InjectionHit | None:
    """Judge a parameter value: libinjection on the whole, a signature to locate and confirm."""
    fingerprint = sqli_fingerprint(text)
    whole = fingerprint is not None and fingerprint not in _WEAK_FINGERPRINTS
    structure = SQL_BREAKOUT_VALUE.search(text) or SQL_STRONG_VALUE.search(text)
    if whole:
        if structure is not None:
            return InjectionHit("sqli", structure.start(), len(text), True, True)
        if _is_phrase(text):
            return InjectionHit("sqli", 0, len(text), True, False)
    confirmed = sqli_in_prose(text)
    if confirmed:
        return confirmed[0]
    strong = SQL_STRONG_VALUE.search(text)
    if strong is not None:
        return InjectionHit("sqli", strong.start(), len(text), False, True)
    if structure is not None and _is_phrase(text):
        return InjectionHit("sqli", structure.start(), len(text), False, True)
    return None


def _is_phrase(text: str) -> bool:
    """Few enough words to be a parameter rather than a sentence."""
    return len(text.split(None, _PHRASE_WORDS)) <= _PHRASE_WORDS


def sqli_in_prose(text: str) -> list[InjectionHit]:
    """Free text: only where a signature and libinjection agree."""
    return _confirmed_windows(text, SQL_BREAKOUT_PROSE, "sqli") + _confirmed_windows(
        text, SQL_STRONG_PROSE, "sqli"
    )


def xss_in_value(text: str) -> InjectionHit | None:
    whole = is_xss(text)
    structure = XSS_STRUCTURE.search(text)
    if whole:
        if structure is not None:
            return InjectionHit("xss", structure.start(), len(text), True, True)
        return InjectionHit("xss", 0, len(text), True, False)
    if structure is not None:
        confirmed = _confirmed_windows(text, XSS_STRUCTURE, "xss")
        if confirmed:
            return confirmed[0]
        return InjectionHit("xss", structure.start(), structure.end(), False, True)
    return None


def xss_in_prose(text: str) -> list[InjectionHit]:
    return _confirmed_windows(text, XSS_STRUCTURE, "xss")
