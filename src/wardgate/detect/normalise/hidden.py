"""Decoders for text smuggled in invisible characters (the "ASCII smuggling" family).

Unicode tag characters, variation selectors and invisible math operators render as nothing, yet
models read them. Each decoder turns a run of such characters back into the text it carries.
"""

from __future__ import annotations

from functools import cache

TAG_FIRST, TAG_LAST = 0xE0000, 0xE007F
ZWSP = 0x200B
INVISIBLE_TIMES, INVISIBLE_PLUS = 0x2062, 0x2064
MAX_SNEAKY_BITS = 16_384


def is_tag(cp: int) -> bool:
    return TAG_FIRST <= cp <= TAG_LAST


def is_variation_selector(cp: int) -> bool:
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def decode_tags(run: str) -> str:
    """Tag characters U+E0020..U+E007E carry printable ASCII one to one; the rest are dropped."""
    return "".join(chr(ord(c) - TAG_FIRST) for c in run if 0xE0020 <= ord(c) <= 0xE007E)


def decode_variation_selectors(run: str) -> list[bytes]:
    """Variation selectors carry one byte each. Two layouts are in use: U+FE00.. for 0-15 and
    U+E0100.. for 16-255 (the common one), or U+E0100 + byte for every byte. Both candidates are
    returned; the caller keeps the one that reads as text."""
    standard = bytearray()
    flat = bytearray()
    for c in run:
        cp = ord(c)
        if 0xFE00 <= cp <= 0xFE0F:
            standard.append(cp - 0xFE00)
            flat.append(cp - 0xFE00)
        elif 0xE0100 <= cp <= 0xE01EF:
            standard.append(cp - 0xE0100 + 16)
            if cp - 0xE0100 < 256:
                flat.append(cp - 0xE0100)
    return [bytes(standard), bytes(flat)]


def decode_sneaky_bits(run: str) -> str:
    """U+2062 is a 0 bit and U+2064 a 1 bit, each character's bits without leading zeros;
    U+200B stands for a space. Segment each word into 6- or 7-bit printable ASCII characters."""
    words = run.split(chr(ZWSP))
    decoded = []
    for word in words:
        bits = "".join(
            "0" if ord(c) == INVISIBLE_TIMES else "1"
            for c in word
            if ord(c) in (INVISIBLE_TIMES, INVISIBLE_PLUS)
        )
        if len(bits) > MAX_SNEAKY_BITS:
            return ""
        chars = _segment_bits(bits)
        if chars:
            decoded.append(chars)  # an undecodable word is skipped, the rest still read
    return " ".join(decoded)


def _segment_bits(bits: str) -> str | None:
    """Split a bit string into printable ASCII characters: fixed 7-bit groups when they fit,
    else 6- or 7-bit characters (no leading zeros), preferring letters."""
    if bits and len(bits) % 7 == 0:
        fixed = "".join(chr(int(bits[i : i + 7], 2)) for i in range(0, len(bits), 7))
        if all(32 <= ord(c) <= 126 for c in fixed):
            return fixed

    @cache
    def best(i: int) -> tuple[int, str] | None:
        if i == len(bits):
            return (0, "")
        result: tuple[int, str] | None = None
        for width in (7, 6):
            chunk = bits[i : i + width]
            if len(chunk) != width or chunk[0] != "1":
                continue
            ch = chr(int(chunk, 2))
            if not (32 <= ord(ch) <= 126):
                continue
            rest = best(i + width)
            if rest is None:
                continue
            cand = (rest[0] + (1 if ch.isalpha() else 0), ch + rest[1])
            if result is None or cand[0] > result[0]:
                result = cand
        return result

    if not bits:
        return ""
    # Iterate from the end so recursion depth stays small on long inputs.
    for i in range(len(bits), -1, -1):
        best(i)
    found = best(0)
    return None if found is None else found[1]
