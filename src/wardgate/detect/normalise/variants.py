"""Alternative readings of a normalised text: leetspeak undone, and the text read backwards.

These are lossy guesses, so they are scanned *in addition to* the normalised text, and only when
cheap gates say the reading is plausible.
"""

from __future__ import annotations

import re

from wardgate.detect.decode.vocabulary import english_ratio

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "9": "g", "@": "a", "$": "s", "!": "i", "|": "l"})  # fmt: skip
# A word-sized token that may mix letters with leet digits/symbols, e.g. "1gn0r3", "5cr1p7".
# Bounded and delimited so that scanning is linear even on one endless "word".
# A leet character must be followed by a letter somewhere in the token: "5cr1p7", "h4x0r" and
# "1gn0r3" qualify, while "utf8", "x86", "base64" and "python3" (trailing numbers) do not.
_LEET_TOKEN = re.compile(
    r"(?<![\w@$!|])(?=[\w@$!|]{0,39}?[0-9@$!|][A-Za-z])[\w@$!|]{3,40}(?![\w@$!|])"
)
_LEET_RUN = re.compile(r"[01345789@$!|]+")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_HAS_LEET = re.compile(r"[0-9@$!|]")
MIN_REVERSED_GAIN = 0.3
# Frequent English words spelled backwards ("eht" is "the"): without one, no reversed reading.
_REVERSED_CUES = (
    " eht ",
    " dna ",
    " uoy ",
    " ot ",
    " fo ",
    " si ",
    "erongi",
    "snoitcurtsni",
    "tpmorp",
)


def unleet(text: str) -> str | None:
    """``text`` with leetspeak tokens spelled out (same length, positions unchanged), or None
    when no token looks like leetspeak. Pure numbers and ordinary words are left alone."""
    changed = False
    parts: list[str] = []
    pos = 0
    for m in _LEET_TOKEN.finditer(text):
        tok = m.group(0)
        if not _HAS_LETTER.search(tok) or not _HAS_LEET.search(tok):
            continue
        if tok.isdigit() or re.fullmatch(
            r"[0-9a-fA-F]{6,}|v?\d+(\.\d+)+[a-z]{0,3}|\d+(st|nd|rd|th|s|px|ms|kg|km|gb|mb)", tok
        ):
            continue  # ids, hex, versions
        new = tok.translate(_LEET)
        if new != tok:
            parts.append(text[pos : m.start()])
            parts.append(new)
            pos = m.end()
            changed = True
    if not changed:
        return None
    parts.append(text[pos:])
    return "".join(parts)


def strong_leet(text: str) -> bool:
    """True when some token is unmistakably leetspeak: leet characters interleaved with letters in
    two or more places ("K1k3", "h4x0r", "1gn0r3"), unlike model names and numeronyms ("gpt4o",
    "mp3s", "k8s", "i18n", "a11y") where the digits form one group."""
    for m in _LEET_TOKEN.finditer(text):
        tok = m.group(0)
        letters = sum(1 for c in tok if c.isascii() and c.isalpha())
        if letters >= 2 and len(_LEET_RUN.findall(tok)) >= 2:
            return True
    return False


def reversed_reading(text: str) -> str | None:
    """``text`` backwards when that reads as clearly more English than forwards, else None."""
    head = text[:4000]
    lowered = head.lower()
    if not any(cue in lowered for cue in _REVERSED_CUES):
        return None
    backwards = head[::-1]
    forward_ratio = english_ratio(head)
    if forward_ratio >= 0.5:
        return None
    if english_ratio(backwards) >= max(0.4, forward_ratio + MIN_REVERSED_GAIN):
        return text[::-1]
    return None
