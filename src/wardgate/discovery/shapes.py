"""The shape of one URL path segment: is it an identifier, a date, a version, a word?

Templating asks this of every segment it has not seen before, so the answer must be cheap (a few
microseconds) and safe on hostile input: every check below is a bounded scan or an anchored
pattern without nested quantifiers, and anything longer than :data:`MAX_SEGMENT` is judged by
length alone. The shape is evidence, not a verdict: an identifier shape (integer, UUID, ULID...)
is strong evidence of a parameter; a word may be a constant (``users``) or a value (``alice``),
and only sibling and traffic evidence in the templater can tell which.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from functools import lru_cache
from urllib.parse import unquote

MAX_SEGMENT = 512
"""Longer segments are tokens by length alone: nothing is scanned past this."""


class Shape(StrEnum):
    """What one path segment looks like."""

    EMPTY = "empty"
    INTEGER = "integer"
    NUMBER = "number"
    UUID = "uuid"
    OBJECT_ID = "objectid"
    HEX = "hex"
    ULID = "ulid"
    KSUID = "ksuid"
    PREFIXED_ID = "prefixed"
    CODE = "code"
    TOKEN = "token"  # noqa: S105 - the name of a shape, not a credential
    DATE = "date"
    EMAIL = "email"
    VERSION = "version"
    CONSTANT = "constant"
    WORD = "word"
    OTHER = "other"


IDENTIFIER_SHAPES = frozenset(
    {
        Shape.INTEGER,
        Shape.NUMBER,
        Shape.UUID,
        Shape.OBJECT_ID,
        Shape.HEX,
        Shape.ULID,
        Shape.KSUID,
        Shape.PREFIXED_ID,
        Shape.CODE,
        Shape.TOKEN,
        Shape.DATE,
        Shape.EMAIL,
    }
)
"""Shapes that an API almost never uses for a constant path segment."""

CONSTANT_SHAPES = frozenset({Shape.EMPTY, Shape.VERSION, Shape.CONSTANT})
"""Shapes that are almost always constants (``v2``, ``$metadata``, ``Microsoft.Compute``)."""


def is_identifier(shape: Shape) -> bool:
    """True for shapes that mark a parameter value on their own."""
    return shape in IDENTIFIER_SHAPES


_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_CROCKFORD = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz")
_BASE62 = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_TOKEN_CHARS = _BASE62 | frozenset("-_+/=.~")
_WORD_SEPARATORS = frozenset("-_. ~+,'()")
_SPECIAL_LEADS = frozenset("$@_:!~*")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE = re.compile(
    r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d:?\d\d)?)?)?"
)
_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_VERSION = re.compile(
    r"[vV]\d{1,3}(?:\.\d{1,3}){0,2}(?:[-_.]?(?:alpha|beta|preview|rc|dev|ga|internal|private|"
    r"public|stable|test|experimental)\d{0,3})*"
    r"|\d{1,2}(?:\.\d{1,3}){1,2}"
    r"|(?:api|rest|version)[-_.]?v?\d{1,3}(?:\.\d{1,3})?"
)
_NUMBER = re.compile(r"[-+]?\d{1,20}(?:\.\d{1,20})?(?:[eE][-+]?\d{1,3})?")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
_FILE_EXTENSIONS = frozenset(
    {
        "json", "xml", "yaml", "yml", "html", "htm", "txt", "csv", "js", "css", "php", "asp",
        "aspx", "jsp", "cgi", "pl", "rss", "atom", "wsdl", "png", "jpg", "jpeg", "gif", "svg",
        "ico", "pdf", "zip", "gz", "tar", "jsonld", "geojson", "ics", "vcf", "md", "do", "action",
        "svc", "ashx", "asmx", "rdf", "ttl", "xsd", "proto", "bin", "mp3", "mp4", "wav", "webp",
    }
)  # fmt: skip


@lru_cache(maxsize=16384)
def classify(segment: str) -> Shape:
    """The shape of one path segment as sent (percent-encoded or not)."""
    if not segment:
        return Shape.EMPTY
    if len(segment) > MAX_SEGMENT:
        return Shape.TOKEN
    if "%" in segment:
        segment = unquote(segment)
        if not segment:
            return Shape.EMPTY
    return _classify_plain(segment)


def _classify_plain(s: str) -> Shape:
    n = len(s)
    if s.isdigit() and s.isascii():
        if n == 8 and _COMPACT_DATE.fullmatch(s):
            return Shape.DATE
        return Shape.INTEGER
    first = s[0]
    if first.isdigit() or first in "-+":
        if _NUMBER.fullmatch(s):
            return Shape.VERSION if _VERSION.fullmatch(s) else Shape.NUMBER
        if n >= 7 and _DATE.fullmatch(s):
            return Shape.DATE
    if n == 36 and _UUID.fullmatch(s):
        return Shape.UUID
    if first in _SPECIAL_LEADS and not (n >= 16 and _looks_random(s[1:], _has_digit(s))):
        return Shape.CONSTANT  # $metadata, _search, @me; not a token that starts with _
    if "@" in s:
        return Shape.EMAIL if _EMAIL.fullmatch(s) else Shape.OTHER
    if _VERSION.fullmatch(s):
        return Shape.VERSION
    chars = frozenset(s)
    has_digit = not chars.isdisjoint(_DIGITS)
    if has_digit and n >= 8 and chars <= _HEX:
        return Shape.OBJECT_ID if n == 24 else Shape.HEX
    if has_digit and n == 26 and chars <= _CROCKFORD and first in "01234567":
        return Shape.ULID
    if has_digit and n == 27 and chars <= _BASE62 and _mixed_classes(s) >= 3:
        return Shape.KSUID
    if _prefixed_id(s):
        return Shape.PREFIXED_ID
    if n >= 16 and chars <= _TOKEN_CHARS and _looks_random(s, has_digit):
        return Shape.TOKEN
    if (
        has_digit
        and n >= 10
        and chars <= _TOKEN_CHARS
        and _mixed_classes(s) == 3
        and _class_switches(s) * 2 >= n
    ):
        return Shape.TOKEN  # a short random id: jMXUw-BE_2vd
    if has_digit and n >= 6 and _is_code(s):
        return Shape.CODE
    if _is_constant_like(s):
        return Shape.CONSTANT
    if all(c.isalnum() or c in _WORD_SEPARATORS for c in s):
        return Shape.WORD
    return Shape.OTHER


def _has_digit(s: str) -> bool:
    return any(c.isdigit() for c in s)


def _mixed_classes(s: str) -> int:
    """How many of lower, upper, digit occur in ``s``."""
    lower = upper = digit = 0
    for c in s:
        if c.islower():
            lower = 1
        elif c.isupper():
            upper = 1
        elif c.isdigit():
            digit = 1
    return lower + upper + digit


def _class_switches(s: str) -> int:
    """Changes between lower case, upper case, digit and other along ``s``: random strings switch
    often (about every other character), camelCase and slugs rarely."""
    switches = 0
    previous = -1
    for c in s:
        kind = 0 if c.islower() else 1 if c.isupper() else 2 if c.isdigit() else 3
        if previous not in (kind, -1):
            switches += 1
        previous = kind
    return switches


def _entropy(s: str) -> float:
    """Shannon entropy of the characters of ``s``, in bits per character."""
    counts: dict[str, int] = {}
    for c in s:
        counts[c] = counts.get(c, 0) + 1
    n = len(s)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


def _looks_random(s: str, has_digit: bool) -> bool:
    """A long run of base64url-ish characters that does not read like words: random strings
    switch character class about every other character, words and camelCase rarely."""
    n = len(s)
    if not has_digit and _mixed_classes(s) < 2:
        return False  # one case, no digits: a long word or slug
    switches = _class_switches(s)
    if has_digit:
        if switches * 4 < n:
            return False  # a slug or word with a number in it
    elif switches * 2 < n:
        return False  # camelCase or PascalCase words
    return _entropy(s) >= min(3.0, math.log2(n) - 0.5)


def _is_code(s: str) -> bool:
    """A short alphanumeric code (``P18784``, ``XJ4K2P9``, ``a1b2c3``): upper case letters and
    digits, or many digits, or letters and digits alternating; not ``sha256`` or ``oauth2``."""
    if not (s.isalnum() and s.isascii()):
        return False
    digits = sum(1 for c in s if c.isdigit())
    if digits >= 4 and digits * 2 >= len(s):
        return True
    if s.isupper() and len(s) - digits >= 2:
        return _class_switches(s) >= 2
    if s.isupper() or s.islower():
        return digits >= 2 and _class_switches(s) >= 3
    return False  # mixed case with digits reads as a name: Win32Api, iPhone12Pro


def _is_body_id(body: str) -> bool:
    """The part after a prefix (``cus_``, ``user-``) is an identifier on its own: digits, hex,
    a UUID, or a mix of letters and digits that switches class often."""
    n = len(body)
    if n < 3 or not body.isascii():
        return False
    if body.isdigit():
        return True
    if n == 36 and _UUID.fullmatch(body):
        return True
    if not body.isalnum():
        return False
    chars = frozenset(body)
    if chars.isdisjoint(_DIGITS):
        return n >= 10 and _mixed_classes(body) >= 2 and _class_switches(body) >= 4
    if n >= 6 and chars <= _HEX:
        return True
    return n >= 8 and _class_switches(body) >= 3


def _prefixed_id(s: str) -> bool:
    """``cus_NffrFeUfNV2Hib``, ``pi_3Mtw...``, ``user-8f3a9c2e``, ``sk_test_4eC3...``: a short
    lower-case word prefix, ``_`` or ``-``, then an identifier."""
    limit = min(len(s), 24)
    i = 0
    while i < limit and s[i].isalpha():
        i += 1
    while 0 < i < limit and s[i] in "_-":
        body = s[i + 1 :]
        if _is_body_id(body):
            return True
        j = i + 1
        while j < limit and s[j].isalpha():
            j += 1
        if j == i + 1:
            return False
        i = j
    return False


def _is_constant_like(s: str) -> bool:
    """Segments that read as code rather than data: dotted namespaces (``Microsoft.Compute``)
    and file names with a known extension (``swagger.json``)."""
    if "." in s:
        head, _, ext = s.rpartition(".")
        if ext.lower() in _FILE_EXTENSIONS and head and _is_identifier_word(head):
            return True
        parts = s.split(".")
        if len(parts) >= 2 and all(p and p[0].isupper() and p.isalnum() for p in parts):
            return True
    return False


def _is_identifier_word(s: str) -> bool:
    return all(c.isalnum() or c in "-_" for c in s)


@lru_cache(maxsize=16384)
def split_suffix(segment: str) -> tuple[str, str]:
    """Split a custom-method or file-extension suffix from a segment: ``abc:cancel`` ->
    (``abc``, ``:cancel``), ``123.json`` -> (``123``, ``.json``); else (segment, "").

    Such suffixes are constants in the API (``/{name}:cancel``, ``/{id}.json``) while the head
    is the value; only suffixes that read as a word or a known extension are split off."""
    colon = segment.rfind(":")
    if 0 < colon < len(segment) - 1:
        verb = segment[colon + 1 :]
        if verb.isalpha() and verb.isascii() and len(verb) <= 40:
            return segment[:colon], segment[colon:]
    dot = segment.rfind(".")
    if 0 < dot < len(segment) - 1:
        ext = segment[dot + 1 :]
        if ext.lower() in _FILE_EXTENSIONS:
            return segment[:dot], segment[dot:]
    return segment, ""
