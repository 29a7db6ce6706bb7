"""Log4Shell (CVE-2021-44228) lookups, including the nested forms that hide the word ``jndi``.

Log4j resolves inner lookups first, so ``${${lower:j}ndi:...}``, ``${${::-j}${::-n}di:...}`` and
``${${env:NaN:-j}ndi:...}`` all become ``${jndi:...}``. We collapse the inner lookups the same way,
a bounded number of rounds on a bounded window, and then look for ``${jndi:``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_JNDI = re.compile(r"\$\{\s*jndi\s*:", re.IGNORECASE)
_INNERMOST = re.compile(r"\$\{([^${}]{0,120})\}")
_CASE = re.compile(r"(?:lower|upper)\s*:(.*)", re.IGNORECASE | re.DOTALL)
_DATE = re.compile(r"date\s*:\s*'?([^']*)'?", re.IGNORECASE | re.DOTALL)
_WINDOW = 600
_ROUNDS = 12
_MAX_STARTS = 64


def _resolve(match: re.Match[str]) -> str:
    """What Log4j would substitute for one innermost lookup, as far as obfuscation goes."""
    inner = match.group(1)
    if inner.lower().lstrip().startswith("jndi:"):
        return "\x00JNDI\x00"  # keep it recognisable once the outer lookups collapse
    if ":-" in inner:
        return inner.rsplit(":-", 1)[1]
    case = _CASE.fullmatch(inner)
    if case is not None:
        return case.group(1)
    date = _DATE.fullmatch(inner)
    if date is not None:
        return date.group(1)
    return "\x01"  # another lookup (env, sys...): its value is unknown, and not 'jndi'


def deobfuscate(window: str) -> bool:
    """True when ``window`` resolves to a JNDI lookup."""
    text = window
    for _ in range(_ROUNDS):
        if _JNDI.search(text) or "\x00JNDI\x00" in text:
            return True
        collapsed = _INNERMOST.sub(_resolve, text)
        if collapsed == text:
            return False
        text = collapsed
    return False


def find_jndi(text: str) -> Iterator[tuple[int, int]]:
    """Spans of ``${...}`` expressions that resolve to a JNDI lookup (bounded work)."""
    pos = text.find("${")
    starts = 0
    covered = -1
    while pos >= 0 and starts < _MAX_STARTS:
        starts += 1
        if pos > covered:
            window = text[pos : pos + _WINDOW]
            if deobfuscate(window):
                end = _expression_end(window)
                yield pos, pos + end
                covered = pos + end
        pos = text.find("${", pos + 2)


def _expression_end(window: str) -> int:
    """Length of the brace-balanced expression at the start of ``window`` (or all of it)."""
    depth = 0
    for i, ch in enumerate(window):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(window)
