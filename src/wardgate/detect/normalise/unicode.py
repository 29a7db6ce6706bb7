"""Unicode normalisation and de-obfuscation, applied before any detector looks at text.

NFKC, removal of invisible and format characters, decoding of text smuggled in tag characters,
variation selectors and invisible operators, Zalgo stripping and homoglyph folding — all in one
left-to-right pass that keeps a map back to the original, so findings can point at what the caller
actually sent. Pure-ASCII input (the common case) is copied through untouched at C speed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from wardgate.core.finding import Span
from wardgate.detect.base import OffsetMap, OffsetMapBuilder
from wardgate.detect.normalise.confusables import CONFUSABLES
from wardgate.detect.normalise.hidden import (
    INVISIBLE_PLUS,
    INVISIBLE_TIMES,
    ZWSP,
    decode_sneaky_bits,
    decode_tags,
    decode_variation_selectors,
    is_tag,
    is_variation_selector,
)

# A run of characters that need attention, with the printable ASCII character before it (if any)
# so that combining marks and homoglyphs are judged together with the letter they attach to.
_SPECIAL_RUN = re.compile(r"[\x20-\x7e]?[^\t\n\r\x20-\x7e]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
ZALGO_MIN_MARKS = 3
MAX_HIDDEN_PAYLOAD = 65_536

_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ZERO_WIDTH = frozenset([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E, 0x00AD, 0x034F])
_FILLERS = frozenset([0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800 - 1])


@dataclass(frozen=True, slots=True)
class HiddenPayload:
    """Text found smuggled in invisible characters, with where it was and how it was carried."""

    carrier: str  # "unicode_tags" | "variation_selectors" | "sneaky_bits"
    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class NormalisationReport:
    """What the normaliser removed or rewrote, so that obfuscation itself can be reported."""

    hidden: tuple[HiddenPayload, ...] = ()
    removed: dict[str, int] = field(default_factory=dict)  # class -> count
    removed_spans: tuple[Span, ...] = ()  # first few removed runs, for evidence
    zero_width_in_words: int = 0
    zalgo_clusters: int = 0
    confusables_folded: int = 0
    nfkc_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.hidden
            or self.removed
            or self.zalgo_clusters
            or self.confusables_folded
            or self.nfkc_changed
        )


@dataclass(frozen=True, slots=True)
class Normalised:
    """The normalised text, its map back to the original, and the report of what changed."""

    text: str
    offsets: OffsetMap
    report: NormalisationReport


def _invisible_class(cp: int, category: str) -> str | None:
    if cp in _BIDI:
        return "bidi"
    if cp in _ZERO_WIDTH:
        return "zero_width"
    if is_variation_selector(cp):
        return "variation_selector"
    if cp in (INVISIBLE_TIMES, INVISIBLE_PLUS, 0x2061, 0x2063):
        return "invisible_operator"
    if cp in _FILLERS:
        return "filler"
    if category == "Cc":
        return "control"
    if category == "Cs":
        return "surrogate"
    if category in ("Cf", "Co", "Cn") and not is_tag(cp):
        return "format"
    return None


class _RunNormaliser:
    """Normalises one run of special characters into the builder (kept small and local)."""

    def __init__(self, b: OffsetMapBuilder) -> None:
        self.b = b
        self.hidden: list[HiddenPayload] = []
        self.removed: Counter[str] = Counter()
        self.removed_spans: list[Span] = []
        self.zero_width_in_words = 0
        self.zalgo = 0
        self.folded = 0
        self.nfkc_changed = 0

    def _drop(self, cls: str, start: int, end: int) -> None:
        self.removed[cls] += end - start
        if len(self.removed_spans) < 16:
            self.removed_spans.append(Span(start, end))

    def run(self, text: str, r_start: int, r_end: int) -> None:
        pieces: list[tuple[str, int, int, bool]] = []  # (text, o_start, o_end, is_confusable)
        i = r_start
        while i < r_end:
            ch = text[i]
            cp = ord(ch)
            if is_tag(cp):
                j = i
                while j < r_end and is_tag(ord(text[j])):
                    j += 1
                decoded = decode_tags(text[i:j])
                if decoded:
                    self.hidden.append(HiddenPayload("unicode_tags", Span(i, j), decoded))
                    pieces.append((decoded, i, j, False))
                else:
                    self._drop("tag", i, j)
                i = j
                continue
            if is_variation_selector(cp):
                j = i
                while j < r_end and is_variation_selector(ord(text[j])):
                    j += 1
                payload = ""
                if j - i >= 3:
                    payload = next(
                        (p for p in map(_printable, decode_variation_selectors(text[i:j])) if p),
                        "",
                    )
                if payload:
                    self.hidden.append(HiddenPayload("variation_selectors", Span(i, j), payload))
                    pieces.append((payload, i, j, False))
                else:
                    if j - i >= 12:
                        self.hidden.append(HiddenPayload("invisible_run", Span(i, j), ""))
                    self._drop("variation_selector", i, j)
                i = j
                continue
            if cp in (INVISIBLE_TIMES, INVISIBLE_PLUS):
                j = i
                while j < r_end and ord(text[j]) in (INVISIBLE_TIMES, INVISIBLE_PLUS, ZWSP):
                    j += 1
                payload = decode_sneaky_bits(text[i:j]) if j - i >= 12 else ""
                payload = _printable(payload.encode()) if payload else ""
                if payload:
                    self.hidden.append(HiddenPayload("sneaky_bits", Span(i, j), payload))
                    pieces.append((payload, i, j, False))
                else:
                    if j - i >= 12:  # a long invisible run is a carrier even if unreadable
                        self.hidden.append(HiddenPayload("invisible_run", Span(i, j), ""))
                    self._drop("invisible_operator", i, j)
                i = j
                continue
            category = unicodedata.category(ch)
            cls = _invisible_class(cp, category)
            if cls is not None:
                if (
                    cls == "zero_width"
                    and i > 0
                    and i + 1 < len(text)
                    and text[i - 1].isalpha()
                    and text[i + 1].isalpha()
                    and text[i - 1].isascii()
                ):
                    self.zero_width_in_words += 1
                self._drop(cls, i, i + 1)
                i += 1
                continue
            # A cluster: a base character and the combining marks that follow it.
            j = i + 1
            while j < r_end and unicodedata.combining(text[j]):
                j += 1
            cluster = text[i:j]
            if j - i - 1 >= ZALGO_MIN_MARKS:
                self.zalgo += 1
                cluster = ch if not unicodedata.combining(ch) else ""
            if cp in CONFUSABLES and j == i + 1:
                pieces.append((cluster, i, j, True))
            else:
                norm = unicodedata.normalize("NFKC", cluster)
                if len(norm) == 1 and ord(norm) in CONFUSABLES:
                    # e.g. mathematical italic nu becomes Greek nu, itself a Latin lookalike
                    pieces.append((norm, i, j, True))
                elif norm != text[i:j]:
                    if cluster == text[i:j] or norm != cluster:
                        self.nfkc_changed += 1
                    pieces.append((norm, i, j, False))
                else:
                    pieces.append((cluster, i, j, False))
            i = j
        self._emit(text, r_start, r_end, pieces)

    def _emit(
        self, text: str, r_start: int, r_end: int, pieces: list[tuple[str, int, int, bool]]
    ) -> None:
        latin = any(not conf and _ASCII_LETTER.search(piece) for piece, _, _, conf in pieces) or (
            (r_start > 0 and text[r_start - 1].isascii() and text[r_start - 1].isalpha())
            or (r_end < len(text) and text[r_end].isascii() and text[r_end].isalpha())
        )
        for piece, o_start, o_end, conf in pieces:
            if conf and latin:
                if ord(piece) >= 0x370:  # cross-script swap; Latin-extended (Turkish ı) is not
                    self.folded += 1
                self.b.replace(CONFUSABLES[ord(piece)], o_start, o_end)
            elif piece == text[o_start:o_end]:
                self.b.copy(piece, o_start)
            else:
                self.b.replace(piece, o_start, o_end)


def _printable(data: bytes) -> str:
    """Decoded bytes as text when they look like text (mostly printable), else empty."""
    if not data or len(data) > MAX_HIDDEN_PAYLOAD:
        return ""
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    good = sum(1 for c in s if c.isprintable() or c in "\n\t")
    return s if good >= 0.9 * len(s) and any(c.isalnum() for c in s) else ""


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for detection; see the module docstring for what is done.

    Idempotent: ``normalise(normalise(t).text).text == normalise(t).text``. The output is never
    longer than the input plus decoded hidden payloads, which are themselves at most as long as
    the characters that carried them.
    """
    b = OffsetMapBuilder()
    if not _SPECIAL_RUN.search(text):
        return Normalised(text, OffsetMap.identity(len(text)), NormalisationReport())
    rn = _RunNormaliser(b)
    pos = 0
    for m in _SPECIAL_RUN.finditer(text):
        b.copy(text[pos : m.start()], pos)
        rn.run(text, m.start(), m.end())
        pos = m.end()
    b.copy(text[pos:], pos)
    out, offsets = b.build()
    report = NormalisationReport(
        hidden=tuple(rn.hidden),
        removed=dict(rn.removed),
        removed_spans=tuple(rn.removed_spans),
        zero_width_in_words=rn.zero_width_in_words,
        zalgo_clusters=rn.zalgo,
        confusables_folded=rn.folded,
        nfkc_changed=rn.nfkc_changed,
    )
    return Normalised(out, offsets, report)
