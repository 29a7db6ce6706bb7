"""Homoglyphs that attackers swap into Latin words to slip past filters, folded back to Latin.

Full-width forms, mathematical alphanumerics and ligatures are handled by NFKC; this table covers
what NFKC leaves alone: Cyrillic, Greek, Armenian and Latin-extended letters that look like ASCII.
It is a curated subset of Unicode's confusables.txt (TR39), kept small so that folding stays cheap.
"""

from __future__ import annotations

_PAIRS = {
    # Cyrillic lower case
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "ӏ": "l", "м": "m", "п": "n", "о": "o", "р": "p", "ԛ": "q", "г": "r",
    "ѕ": "s", "т": "t", "џ": "u", "ѵ": "v", "ԝ": "w", "х": "x", "у": "y", "ӡ": "z", "ь": "b",
    # Cyrillic upper case
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K", "М": "M",
    "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ԝ": "W", "Ԍ": "G", "Ү": "Y",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z",
    "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y",
    "Χ": "X",
    # Armenian and Latin extended lookalikes
    "ո": "n", "ս": "u", "օ": "o", "ց": "g", "ı": "i", "ȷ": "j", "ɡ": "g", "ɑ": "a", "ʟ": "L",
    "ɪ": "I", "ꞵ": "b", "ᴀ": "A", "ʀ": "R", "ᴇ": "E", "ᴏ": "O", "ᴛ": "T",
}  # fmt: skip

CONFUSABLES: dict[int, str] = {ord(k): v for k, v in _PAIRS.items()}
