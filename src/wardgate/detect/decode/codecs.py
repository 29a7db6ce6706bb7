"""Decoders for payloads embedded in text: each finds candidates cheaply, decodes, and keeps only
results that read as text. Attackers hide instructions in these encodings so that filters see
gibberish while the model, asked to decode, sees the instruction.

Every decoder is pure and bounded: candidates are capped in number and size, and a result must be
mostly printable to count.
"""

from __future__ import annotations

import base64
import binascii
import codecs as _stdcodecs
import html
import io
import quopri
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.header import decode_header
from urllib.parse import unquote

import base2048
import ecoji
from ecoji.mapping import EMOJI2BYTE, PADDING, PADDING40, PADDING41, PADDING42, PADDING43

from wardgate.detect.decode.vocabulary import english_ratio

MAX_CANDIDATE = 65_536
MAX_CANDIDATES_PER_CODEC = 256


@dataclass(frozen=True, slots=True)
class Decoded:
    """A payload decoded out of a text: where it sat, which codec, and the text it carried."""

    codec: str
    start: int
    end: int
    text: str


def looks_like_text(s: str, min_letters: int = 2) -> bool:
    """True when ``s`` is mostly printable and has some letters: what a smuggled instruction is."""
    if not s or "\x00" in s:
        return False
    printable = sum(1 for c in s if c.isprintable() or c in "\n\r\t")
    letters = sum(1 for c in s if c.isalpha())
    return printable >= 0.9 * len(s) and letters >= min_letters


def _bytes_text(data: bytes, min_letters: int = 2) -> str | None:
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return s if looks_like_text(s, min_letters) else None


# --- base64 / base32 / base16 / ascii85 -------------------------------------------------------

_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{6,}={0,2}(?![A-Za-z0-9+/=_-])")
_B32 = re.compile(r"(?<![A-Za-z0-9=])[A-Z2-7]{4,}={0,6}(?![A-Za-z0-9=])")
_HEX = re.compile(r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{2}){4,}(?![0-9A-Za-z])")
_HEX_SPACED = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{2}[ :,-]){3,}[0-9A-Fa-f]{2}(?![0-9A-Za-z])"
)
_HEX_ESCAPED = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){3,}")
_A85 = re.compile(r"<~[!-u\s]{4,}~>|(?<!\S)[!-u]{10,}(?!\S)")


def _b64(s: str) -> str | None:
    if "=" not in s and len(s) < 8:
        return None
    if s.isalpha() and (s.islower() or s.isupper()):
        return None  # a plain word
    if re.fullmatch(r"[0-9A-Fa-f]+", s):
        return None  # hex digits: the hex decoder's job
    if not any(c.isdigit() or c in "+/=_-" for c in s) and len(s) < 12:
        return None
    core = s.rstrip("=")
    padded = core + "=" * (-len(core) % 4)
    try:
        if "-" in s or "_" in s:
            data = base64.urlsafe_b64decode(padded)
        else:
            data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _bytes_text(data)


def _b32(s: str) -> str | None:
    if not any(c in "234567=" for c in s) or len(s) % 8 or ("=" not in s and len(s) < 8):
        return None
    core = s.rstrip("=")
    try:
        data = base64.b32decode(core + "=" * (-len(core) % 8))
    except (binascii.Error, ValueError):
        return None
    return _bytes_text(data)


def _hex(s: str) -> str | None:
    digits = re.sub(r"[^0-9A-Fa-f]", "", s.replace("\\x", ""))
    if len(digits) % 2 or digits.isdigit():
        return None
    try:
        return _bytes_text(bytes.fromhex(digits))
    except ValueError:
        return None


def _a85(s: str) -> str | None:
    if not s.startswith("<~") and (s.isalnum() or sum(not c.isalnum() for c in s) < 2):
        return None
    try:
        data = base64.a85decode(s, adobe=s.startswith("<~"), ignorechars=b" \t\n\r")
    except (ValueError, binascii.Error):
        return None
    text = _bytes_text(data, min_letters=3)
    if text is None or sum(c.isalpha() or c == " " for c in text) < 0.6 * len(text):
        return None
    return text


# --- URL, HTML, quoted-printable, MIME -------------------------------------------------------

# Whitespace-delimited tokens holding an escape; the lookbehind makes matching start only at
# token starts, so scanning stays linear on one huge token. Decoders require two escapes.
_URL = re.compile(r"(?<!\S)\S*%[0-9A-Fa-f]{2}\S*")
_HTML = re.compile(r"(?<!\S)\S*&(?:#\d{2,7}|#[xX][0-9A-Fa-f]{2,6}|[A-Za-z]{2,8});\S*")
_QP = re.compile(r"(?<!\S)\S*=[0-9A-F]{2}\S*")
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_HTML_ESCAPE = re.compile(r"&(?:#\d{2,7}|#[xX][0-9A-Fa-f]{2,6}|[A-Za-z]{2,8});")
_QP_ESCAPE = re.compile(r"=[0-9A-F]{2}")
_MIME = re.compile(r"=\?[\w.-]{1,40}\?[BbQq]\?[^?\s]{1,4000}\?=")


def _url(s: str) -> str | None:
    if len(_URL_ESCAPE.findall(s)) < 2:
        return None
    try:
        out = unquote(s, errors="strict")
    except UnicodeDecodeError:
        return None
    return out if out != s and looks_like_text(out) else None


def _html(s: str) -> str | None:
    if len(_HTML_ESCAPE.findall(s)) < 2:
        return None
    out = html.unescape(s)
    return out if out != s and looks_like_text(out) else None


def _qp(s: str) -> str | None:
    if len(_QP_ESCAPE.findall(s)) < 2:
        return None
    try:
        out = quopri.decodestring(s.encode("ascii", "strict")).decode("utf-8")
    except (UnicodeError, ValueError):
        return None
    return out if out != s and looks_like_text(out) else None


def _mime(s: str) -> str | None:
    try:
        parts = decode_header(s)
        out = "".join(
            p.decode(enc or "utf-8", "strict") if isinstance(p, bytes) else p for p, enc in parts
        )
    except (UnicodeError, LookupError, ValueError):
        return None
    return out if looks_like_text(out) else None


# --- classical ciphers: ROT13, Atbash --------------------------------------------------------

_LETTER_LINE = re.compile(r"[^\n]{3,}")
# The rest of a line after a question or label ("What does this mean? <payload>").
_AFTER_LABEL = re.compile(r"(?<=[?:] )[^\n]{3,}")
_ATBASH = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA",
)


def _cipher(transform: Callable[[str], str]) -> Callable[[str], str | None]:
    def decode(s: str) -> str | None:
        if not re.search(r"[A-Za-z]{3}", s):
            return None
        before = english_ratio(s)
        if before >= 0.5:
            return None
        out = transform(s)
        after = english_ratio(out)
        return out if after >= 0.4 and after >= before + 0.25 else None

    return decode


def _hinted_cipher(transform: Callable[[str], str]) -> Callable[[str], str | None]:
    """With the cipher named in the text, any non-English line is decoded: short payloads
    (a single word) carry too little text for the vocabulary test."""

    def decode(s: str) -> str | None:
        if english_ratio(s) >= 0.5:
            return None
        out = transform(s)
        return out if looks_like_text(out) else None

    return decode


def _rot13_transform(s: str) -> str:
    return _stdcodecs.encode(s, "rot13")


def _atbash_transform(s: str) -> str:
    return s.translate(_ATBASH)


_ROT13_WORDS = re.compile(
    r"\b(?:gur|naq|lbh|lbhe|vf|gb|bs|vg|va|guvf|jvgu|nyy|vtaber|cerivbhf|vafgehpgvbaf|cevag"
    r"|fpevcg|nyreg|wninfpevcg|vzt|fep|uers|bareebe|vsenzr)\b",
    re.IGNORECASE,
)
_ATBASH_WORDS = re.compile(
    r"\b(?:gsv|zmw|blf|blfi|rh|gl|lu|rg|rm|gsrh|drgs|zoo|rtmliv|kiverlfh|rmhgifxgrlmh|kirmg"
    r"|hxirkg|zovig|qzezhxirkg|rnt|hix|sivu|lmviili|ruiznv)\b",
    re.IGNORECASE,
)
# Substring cues that must be present before the (slower) word-boundary hint regex runs.
_ROT13_CUES = (" gur ", " naq ", " lbh", "guvf", "jvgu", "vtaber", "cerivbhf", "fpevcg", "nyreg",
               "vzt ", " fep", "uers", "bareebe", "vsenzr", " vf ", " gb ", " bs ")  # fmt: skip
_ATBASH_CUES = (" gsv ", " zmw ", " blf", "gsrh", "drgs", "rtmliv", "kiverlfh", "hxirkg", "zovig",
                "rnt ", " hix", "sivu", "lmviili", "ruiznv", " rh ", " gl ", " lu ")  # fmt: skip
_rot13 = _cipher(_rot13_transform)
_atbash = _cipher(_atbash_transform)


_TOKEN = re.compile(r"(?<!\S)\S{3,200}(?!\S)")


def _a85_hinted(s: str) -> str | None:
    try:
        data = base64.a85decode(s, adobe=s.startswith("<~"))
    except (ValueError, binascii.Error):
        return None
    text = _bytes_text(data, min_letters=2)
    if not text or not text.isprintable():
        return None
    # Short tokens decode to something printable by chance: demand mostly letters.
    return text if sum(c.isalpha() or c == " " for c in text) >= 0.8 * len(text) else None


# --- Morse, NATO, Braille ---------------------------------------------------------------------

_MORSE_TABLE = {
    ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g",
    "....": "h", "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n",
    "---": "o", ".--.": "p", "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u",
    "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z", "-----": "0",
    ".----": "1", "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6",
    "--...": "7", "---..": "8", "----.": "9", ".-.-.-": ".", "--..--": ",", "..--..": "?",
    "-.-.--": "!", "-..-.": "/", "-.--.": "(", "-.--.-": ")", ".-...": "&", "---...": ":",
    "-.-.-.": ";", "-...-": "=", ".-.-.": "+", "-....-": "-", ".-..-.": '"', ".--.-.": "@",
    ".----.": "'", "..--.-": "_", "...-..-": "$",
}  # fmt: skip
_MORSE = re.compile(r"(?<![\w.-])[.\-]{1,7}(?:(?: {1,3}| ?/ ?)[.\-]{1,7}){2,}(?![\w.-])")


def _morse(s: str) -> str | None:
    words = []
    for word in re.split(r" ?/ ?| {2,}", s.strip()):
        letters = [_MORSE_TABLE.get(sym) for sym in word.split()]
        if not letters or None in letters:
            return None
        words.append("".join(c for c in letters if c))
    out = " ".join(words)
    return out if sum(c.isalpha() for c in out) >= 2 else None


_NATO_WORDS = [
    "alfa",
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliett",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "whisky",
    "xray",
    "x-ray",
    "yankee",
    "zulu",
]
_NATO = re.compile(
    r"\b(?:" + "|".join(_NATO_WORDS) + r")(?:[\s,]+(?:" + "|".join(_NATO_WORDS) + r")){2,}\b",
    re.IGNORECASE,
)


def _nato(s: str) -> str | None:
    return "".join(w[0] for w in re.findall(r"[A-Za-z-]+", s)).lower() or None


_BRAILLE_LETTERS = [
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "x",
    "y",
    "z",
]
_BRAILLE_DOTS = [
    0x01, 0x03, 0x09, 0x19, 0x11, 0x0B, 0x1B, 0x13, 0x0A, 0x1A, 0x05, 0x07, 0x0D, 0x1D, 0x15,
    0x0F, 0x1F, 0x17, 0x0E, 0x1E, 0x25, 0x27, 0x2D, 0x3D, 0x35,
]  # fmt: skip
_BRAILLE_MAP = {chr(0x2800 + d): c for d, c in zip(_BRAILLE_DOTS, _BRAILLE_LETTERS, strict=True)}
_BRAILLE_MAP[chr(0x2800 + 0x3A)] = "w"
_BRAILLE_PUNCT = {
    "⠂": ",", "⠲": ".", "⠦": "?", "⠖": "!", "⠆": ";", "⠒": ":", "⠤": "-", "⠄": "'",
    "⠌": "/", "⠶": "(", "⠐": "", "⠈": "", "⠨": "", "⠘": "", "⠸": "",
}  # fmt: skip
_BRAILLE = re.compile(r"[\u2800-\u28ff][\u2800-\u28ff \n]{3,}")
_DIGITS_FROM_LETTERS = {c: str((i + 1) % 10) for i, c in enumerate("abcdefghij")}


def _braille(s: str) -> str | None:
    out: list[str] = []
    capital = number = False
    for ch in s:
        if ch in " \n\u2800":
            out.append(" ")
            number = False
            continue
        if ch == "⠠":
            capital = True
            continue
        if ch == "⠼":
            number = True
            continue
        letter = _BRAILLE_MAP.get(ch)
        if letter is not None:
            if number and letter in _DIGITS_FROM_LETTERS:
                out.append(_DIGITS_FROM_LETTERS[letter])
            else:
                number = False
                out.append(letter.upper() if capital else letter)
            capital = False
            continue
        out.append(_BRAILLE_PUNCT.get(ch, ""))
        capital = False
    text = "".join(out).strip()
    return text if sum(c.isalpha() for c in text) >= 2 else None


# --- Ecoji, Base2048, UUencode -----------------------------------------------------------------

_EMOJI_RUN = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\U0001F1E6-\U0001F1FF]{4,}")
_WIDE_RUN = re.compile(r"[^\x00-\x7f\s]{3,}")
_UU_HINT = re.compile(r"uuencod|^begin [0-7]{3} ", re.IGNORECASE | re.MULTILINE)
_UU_LINE = re.compile(r"(?<!\S)[!-`]{2,61}(?!\S)")


_ECOJI_ALPHABET = frozenset(EMOJI2BYTE) | {PADDING, PADDING40, PADDING41, PADDING42, PADDING43}


def _ecoji(s: str) -> str | None:
    if any(c not in _ECOJI_ALPHABET for c in s):
        return None  # the library maps unknown characters to zero bits silently
    out = io.BytesIO()
    try:
        ecoji.decode(io.StringIO(s), out)
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return _bytes_text(out.getvalue())


def _base2048(s: str) -> str | None:
    if not any(unicodedata.category(c).startswith("L") for c in s[:4]):
        return None
    try:
        return _bytes_text(base2048.decode(s))
    except Exception:
        return None


def _uu(s: str) -> str | None:
    try:
        data = binascii.a2b_uu(s)
    except (binascii.Error, ValueError):
        return None
    text = _bytes_text(data, min_letters=2)
    return text if text and text.strip() and text.isprintable() else None


# --- registry -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Codec:
    """One decoder: a candidate pattern, a decode function, and an optional hint that must be
    present in the text before the (ambiguous) candidates are tried."""

    name: str
    pattern: re.Pattern[str]
    decode: Callable[[str], str | None]
    hint: re.Pattern[str] | None = None
    keywords: tuple[str, ...] = ()  # cheap gate: one must occur in the lower-cased text
    raw: bool = False  # decode the original text: NFKC would alter this alphabet


CODECS: tuple[Codec, ...] = (
    Codec("base64", _B64, _b64),
    Codec("base32", _B32, _b32),
    Codec("hex", _HEX, _hex),
    Codec("hex", _HEX_SPACED, _hex),
    Codec("hex_escape", _HEX_ESCAPED, _hex, keywords=("\\x",)),
    Codec("ascii85", _A85, _a85),
    Codec("url", _URL, _url, keywords=("%",)),
    Codec("html_entities", _HTML, _html, keywords=("&",)),
    Codec("quoted_printable", _QP, _qp, keywords=("=",)),
    Codec("mime", _MIME, _mime, keywords=("=?",)),
    Codec("morse", _MORSE, _morse, keywords=(".-", "-.", "...", "---")),
    Codec(
        "nato",
        _NATO,
        _nato,
        # Rare outside the spelling alphabet; "echo", "delta", "golf", "hotel" are everyday words.
        keywords=(
            "bravo",
            "charlie",
            "foxtrot",
            "juliet",
            "kilo",
            "quebec",
            "sierra",
            "tango",
            "yankee",
            "zulu",
            "xray",
            "x-ray",
            "whiskey",
            "whisky",
            "oscar",
            "alfa",
        ),
    ),
    Codec("braille", _BRAILLE, _braille),
    Codec("ecoji", _EMOJI_RUN, _ecoji, raw=True),
    Codec("base2048", _WIDE_RUN, _base2048, raw=True),
    Codec("uuencode", _UU_LINE, _uu, hint=_UU_HINT, keywords=("uuencod", "begin ")),
    # Unhinted ciphers run only where a ciphered common word appears ("gur" is ROT13 "the").
    Codec("rot13", _LETTER_LINE, _rot13, hint=_ROT13_WORDS, keywords=_ROT13_CUES),
    Codec("atbash", _LETTER_LINE, _atbash, hint=_ATBASH_WORDS, keywords=_ATBASH_CUES),
    Codec("rot13", _AFTER_LABEL, _rot13, hint=_ROT13_WORDS, keywords=_ROT13_CUES),
    Codec("atbash", _AFTER_LABEL, _atbash, hint=_ATBASH_WORDS, keywords=_ATBASH_CUES),
    Codec(
        "rot13",
        _TOKEN,
        _hinted_cipher(_rot13_transform),
        hint=re.compile(r"rot-?13|caesar", re.IGNORECASE),
        keywords=("rot", "caesar"),
    ),
    Codec(
        "atbash",
        _TOKEN,
        _hinted_cipher(_atbash_transform),
        hint=re.compile(r"atbash", re.I),
        keywords=("atbash",),
    ),
    Codec(
        "ascii85",
        _TOKEN,
        _a85_hinted,
        hint=re.compile(r"ascii-?85|base-?85|a85", re.I),
        keywords=("85",),
    ),
)


_REQUEST_HINTED = frozenset({"ascii85", "uuencode"})


def iter_decoded(
    text: str, *, raw: bool = False, requested: bool = False, max_candidate: int = MAX_CANDIDATE
) -> Iterator[Decoded]:
    """Yield every payload that some codec decodes out of ``text`` into readable text.

    With ``raw`` only the codecs that must see the original characters run (pass the original
    text); without it the others run (pass the normalised text). ``requested`` (the text asks for
    something to be decoded) stands in for a codec's name as the hint of the strict-alphabet
    codecs whose short tokens are otherwise too ambiguous to try (ASCII85, uuencode).
    """
    if raw and text.isascii():
        return  # the raw-alphabet codecs (Ecoji, Base2048) need non-ASCII characters
    lowered = text.lower()
    for codec in CODECS:
        if codec.raw != raw:
            continue
        by_request = requested and codec.name in _REQUEST_HINTED
        if not by_request:
            if codec.keywords and not any(k in lowered for k in codec.keywords):
                continue
            if codec.hint is not None and not codec.hint.search(text):
                continue
        tried = 0
        for m in codec.pattern.finditer(text):
            cand = m.group(0)
            if len(cand) > max_candidate or len(cand.strip()) < 4:
                continue
            tried += 1
            if tried > MAX_CANDIDATES_PER_CODEC:
                break
            try:
                out = codec.decode(cand)
            except Exception:  # noqa: S112 - a decoder bug must never fail the scan
                continue
            if out is not None and out.strip() and out.strip() != cand.strip():
                yield Decoded(codec.name, m.start(), m.end(), out)
