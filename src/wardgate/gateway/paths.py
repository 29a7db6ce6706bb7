"""Request-target canonicalisation: the policy sees exactly what the upstream will see.

Path-confusion attacks make the gateway's route and policy match one path while the upstream
serves another (``/internal;x/admin``, ``/internal/%2e%2e/admin``, ``/INTERNAL/admin``).
:func:`canonicalise` turns the raw request target into one canonical form; the gateway matches
routes and policy on :attr:`CanonicalTarget.match_path` and forwards :attr:`CanonicalTarget.path`
and :attr:`CanonicalTarget.query` upstream, never the raw bytes. Whatever a stack would read two
ways is rejected with :class:`PathRejected` (a 400), not guessed at.

Path rules, each with the bypass it stops:

* Origin form only (``not_origin_form``): absolute-form targets (``http://h/x``) route on a host.
* ``%XX`` of an unreserved character is decoded (``%61`` -> ``a``, RFC 3986 6.2.2.2), every other
  escape is kept with uppercase hex, and characters not allowed in a path (space, ``"<>[]^`{|}``,
  raw bytes >= 0x80) are encoded: ``/%61dmin`` cannot dodge a rule for ``/admin``, and upstream gets
  one spelling. Reserved characters stay encoded, because ``%3A`` is data where ``:`` is syntax
  (Gemini's ``model:verb``). A bad escape (``%zz``, ``%2``, IIS ``%u0061``) -> ``invalid_percent``.
* ``%2F`` / ``%5C`` (``encoded_slash`` / ``encoded_backslash``): servers disagree on whether they
  split segments (Tomcat, nginx ``merge_slashes``, Apache ``AllowEncodedSlashes``). A literal
  backslash (``backslash``) is a separator on IIS and some Java and Node stacks.
* ``%3F`` ``%23`` ``%3B`` (``encoded_delimiter``): a hop that decodes and re-parses would cut the
  path there (Apache mod_rewrite CVE-2024-38474) or take ``;`` as a parameter start. A literal
  ``?`` or ``#`` (``invalid_char``) means the caller did not split the query off.
* NUL (``null_byte``) truncates paths in C code (``/admin%00.json``); other C0/C1 controls, DEL and
  U+2028/U+2029 (``control_char``) smuggle CR LF and break logs; invisible format characters
  (``invisible_char``: zero-width space, soft hyphen, bidi overrides) are ignored by some string
  comparisons (.NET with ICU) and spoof logs.
* ``%25`` followed by two hex digits (``double_encoding``): a second decoder (``%252e`` -> ``%2e``
  -> ``.``) would see a different path. Checked on the output, so ``%25%32%65`` is caught too.
* Matrix parameters (``;...`` up to the next ``/``) are cut from every segment before anything
  else, as Tomcat and Spring do, and :attr:`~CanonicalTarget.matrix_params_removed` is set:
  ``/admin;jsessionid=x`` and ``/internal;x/admin`` match ``/admin`` and ``/internal/admin``, and
  upstream gets the stripped path, so ``..;`` tricks (``/x/..;/admin``) resolve here, not there.
* ``//`` collapses; ``.`` and ``..`` (also spelled ``%2e``) resolve as RFC 3986 remove_dot_segments
  does, and a ``..`` that would climb above the root is rejected (``dot_segment_escape``) rather
  than clamped. Segments of three or more dots (``dot_segment``) and segments ending in a dot
  (``trailing_dot``: ``admin.``, ``admin..;``) are rejected: Windows and IIS drop trailing dots.
* Leading or trailing whitespace in a segment (``edge_whitespace``: ``/admin%20``, NBSP,
  U+3000): Spring's ``trimTokens`` (CVE-2016-5007) and Windows trim it, so ``admin%20`` is
  ``admin`` there. A space inside a segment is fine.
* Raw bytes >= 0x80 are taken as UTF-8 and percent-encoded; bytes that are not valid UTF-8
  (``invalid_utf8``: overlong ``%c0%af``, lone continuation bytes, surrogates) are rejected, since
  lenient decoders turn overlongs into ``/`` and ``.``. The caller passes ASGI ``raw_path`` decoded
  as latin-1, so a character above U+00FF is a caller bug (``non_ascii``).
* A non-ASCII character that Unicode folds to ASCII (``ascii_lookalike``: fullwidth ``／`` and
  ``ａｄｍｉｎ``, ``ﬁ``, dotless ``ı``, Kelvin ``K``) is rejected: stacks that NFKC-normalise or
  compare case-insensitively (Java ``equalsIgnoreCase``) would read it as the ASCII path.
* Trailing slash: kept in ``path`` (upstream may care), dropped from ``match_path`` (``/admin/``
  must match a rule for ``/admin``). ``match_path`` is ``path.lower()`` so ``/ADMIN`` matches too.
* ``too_long`` / ``too_many_segments``: bounded work and memory on every request; the length bound
  holds for the raw target and for the canonical output.

Query rules: pairs split on ``&`` only (a ``;`` is data and is forwarded as ``%3B``, so a stack
that splits on ``;``, like Python before CVE-2021-23336, cannot disagree with us); empty pairs are
dropped; escapes are canonicalised as in the path (``+`` stays ``+``, ``%2B`` stays ``%2B``);
:attr:`~CanonicalTarget.params` holds the decoded pairs with ``+`` as space. Keys compared without
case (ASP.NET merges ``model`` and ``MODEL``) must be unique unless allowed
(``duplicate_query_key``: HTTP parameter pollution, ``?model=a&model=b``). NUL, raw controls and
encoded controls other than ``%09`` ``%0A`` ``%0D`` are rejected; values must be UTF-8. Double encoding
is *not* rejected in the query: URL-valued parameters legitimately hold ``%25XX``; detectors scan
the decoded values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import unquote_to_bytes

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MAX_SEGMENTS",
    "CanonicalTarget",
    "PathRejected",
    "RejectionCode",
    "canonicalise",
    "match_prefix",
    "normalise_prefix",
]

DEFAULT_MAX_LENGTH = 8192
DEFAULT_MAX_SEGMENTS = 128

RejectionCode = Literal[
    "not_origin_form",
    "too_long",
    "too_many_segments",
    "invalid_percent",
    "encoded_slash",
    "encoded_backslash",
    "encoded_delimiter",
    "backslash",
    "invalid_char",
    "null_byte",
    "control_char",
    "invisible_char",
    "double_encoding",
    "dot_segment_escape",
    "dot_segment",
    "trailing_dot",
    "edge_whitespace",
    "invalid_utf8",
    "non_ascii",
    "ascii_lookalike",
    "duplicate_query_key",
    "invalid_prefix",
]


class PathRejected(ValueError):
    """The request target is ambiguous or malformed; answer 400 with :attr:`code`.

    The message names the problem and at most a short, escaped excerpt of the offending token,
    never the whole path or any query value (they may hold secrets or personal data).
    """

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(message)
        self.code: RejectionCode = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CanonicalTarget:
    """One request target in canonical form.

    ``path`` and ``query`` go upstream verbatim; ``match_path`` (``path`` lowercased, without a
    trailing slash unless it is ``/``) is what routes and policy see; ``params`` are the decoded
    query pairs in order.
    """

    path: str
    match_path: str
    query: str
    params: tuple[tuple[str, str], ...]
    matrix_params_removed: bool

    @property
    def target(self) -> str:
        """The origin-form request target to send upstream: ``path`` plus ``?query`` if any."""
        return f"{self.path}?{self.query}" if self.query else self.path


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Kept literally in a path segment; ';' (matrix parameters), '/' and '%' are handled apart.
_PATH_LITERAL = _UNRESERVED | frozenset("!$&'()*+,=:@")
# Kept literally in a query pair; '&' splits pairs, ';' and '#' are encoded so no stack splits there.
_QUERY_LITERAL = _UNRESERVED | frozenset("!$'()*+,=:@/?")
_HEX = frozenset("0123456789abcdefABCDEF")

# str.translate tables: a literal character outside the allowed set becomes its uppercase %XX.
_PATH_ENCODE = {i: f"%{i:02X}" for i in range(256) if chr(i) not in _PATH_LITERAL}
_QUERY_ENCODE = {i: f"%{i:02X}" for i in range(256) if chr(i) not in _QUERY_LITERAL}
# What an escape becomes: the character if unreserved, else the escape with uppercase hex.
_DECODED = tuple(chr(b) if chr(b) in _UNRESERVED else f"%{b:02X}" for b in range(256))

_CONTROL_BYTES = frozenset([*range(0x20), 0x7F])
_PATH_ESCAPE_REJECT: dict[int, RejectionCode] = {
    **dict.fromkeys(_CONTROL_BYTES, "control_char"),
    0x00: "null_byte",
    0x2F: "encoded_slash",
    0x5C: "encoded_backslash",
    0x3F: "encoded_delimiter",
    0x23: "encoded_delimiter",
    0x3B: "encoded_delimiter",
}
# Tab, CR and LF are legitimate in encoded query values (multi-line text); detectors see them.
_QUERY_ESCAPE_REJECT: dict[int, RejectionCode] = {
    **dict.fromkeys(_CONTROL_BYTES - {0x09, 0x0A, 0x0D}, "control_char"),
    0x00: "null_byte",
}

# An already-canonical ASCII path: no escapes, no ';', no empty segment, no dot trouble (checked
# apart), so it is returned as is. The '/' between segments keeps the regex linear.
_FAST_PATH = re.compile(r"(?:/[A-Za-z0-9\-._~!$&'()*+,=:@]+)+/?|/")
_PATH_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\?#]|[^\x00-\xff]")
_QUERY_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]|[^\x00-\xff]")
_DOUBLE_ENCODED = re.compile(r"%25[0-9A-Fa-f]{2}")
_EXCERPT_CHARS = 16


def _excerpt(text: str) -> str:
    """A short, escaped rendering of an offending token, safe for logs and error bodies."""
    cut = text[:_EXCERPT_CHARS]
    return ascii(cut) + ("..." if len(text) > _EXCERPT_CHARS else "")


def _literal_problem(char: str, where: str) -> PathRejected:
    """The rejection for a character that may not appear literally in the path or query."""
    if char == "\x00":
        return PathRejected("null_byte", f"NUL byte in {where}")
    if ord(char) > 0xFF:
        return PathRejected(
            "non_ascii", f"character above U+00FF in {where}: pass raw bytes decoded as latin-1"
        )
    if char == "\\":
        return PathRejected("backslash", "backslash in path")
    if char in "?#":
        return PathRejected("invalid_char", f"literal {char!r} in path")
    return PathRejected("control_char", f"control character {char!a} in {where}")


def _canonical_escapes(
    text: str, encode: dict[int, str], reject: dict[int, RejectionCode], where: str
) -> str:
    """Decode unreserved escapes, uppercase the others, encode disallowed literal characters.

    The caller has already rejected literal characters that may not appear at all.
    """
    if "%" not in text:
        return text.translate(encode)
    first, *rest = text.split("%")
    out = [first.translate(encode)]
    for piece in rest:
        hex_digits = piece[:2]
        if len(hex_digits) != 2 or hex_digits[0] not in _HEX or hex_digits[1] not in _HEX:
            raise PathRejected(
                "invalid_percent", f"invalid percent-escape {_excerpt('%' + hex_digits)} in {where}"
            )
        byte = int(hex_digits, 16)
        code = reject.get(byte)
        if code is not None:
            raise PathRejected(code, f"escape %{byte:02X} is not allowed in {where}")
        out.append(_DECODED[byte])
        out.append(piece[2:].translate(encode))
    return "".join(out)


def _decode_utf8(canonical: str, *, plus_is_space: bool, where: str) -> str:
    """Percent-decode a canonical string into text; bytes must be strict UTF-8."""
    if plus_is_space:
        canonical = canonical.replace("+", " ")
    if "%" not in canonical:
        return canonical
    try:
        return unquote_to_bytes(canonical).decode("utf-8")
    except UnicodeDecodeError:
        raise PathRejected("invalid_utf8", f"percent-escapes in {where} are not UTF-8") from None


def _folds_to_ascii(mapped: str) -> bool:
    """True when a case mapping is an ASCII letter, possibly plus combining marks (İ -> i̇)."""
    return (
        bool(mapped) and mapped[0].isascii() and all(unicodedata.combining(c) for c in mapped[1:])
    )


@lru_cache(maxsize=4096)
def _non_ascii_problem(char: str) -> RejectionCode | None:
    """Why a decoded non-ASCII character may not appear in a path, if it may not."""
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp"):
        return "control_char"
    if category == "Cf":
        return "invisible_char"
    if any(c.isascii() for c in unicodedata.normalize("NFKC", char)):
        return "ascii_lookalike"
    if _folds_to_ascii(char.upper()) or _folds_to_ascii(char.lower()):
        return "ascii_lookalike"
    return None


def _check_segment(segment: str) -> None:
    """Reject a canonical segment (not ``.`` or ``..``) that some stack reads as another one."""
    if segment.endswith("."):
        if not segment.strip("."):
            raise PathRejected("dot_segment", f"segment of only dots ({len(segment)}) in path")
        raise PathRejected("trailing_dot", "path segment ends with a dot")
    if "%" not in segment:
        return
    text = _decode_utf8(segment, plus_is_space=False, where="path")
    if text != text.strip():
        raise PathRejected("edge_whitespace", "path segment starts or ends with whitespace")
    if not text.isascii():
        for char in text:
            if not char.isascii():
                code = _non_ascii_problem(char)
                if code is not None:
                    raise PathRejected(code, f"character {char!a} is not allowed in the path")


def _canonical_path(raw: str, max_segments: int) -> tuple[str, bool]:
    """The slow path: strip matrix parameters, canonicalise escapes, resolve dot segments."""
    if not raw.startswith("/"):
        raise PathRejected("not_origin_form", "request target must start with '/'")
    bad = _PATH_FORBIDDEN.search(raw)
    if bad is not None:
        raise _literal_problem(bad.group(), "path")
    if raw.count("/") > max_segments:
        raise PathRejected("too_many_segments", f"path has more than {max_segments} segments")
    stripped = False
    trailing_slash = False
    out: list[str] = []
    for raw_segment in raw.split("/")[1:]:
        segment = raw_segment
        semicolon = segment.find(";")
        if semicolon >= 0:
            segment = segment[:semicolon]
            stripped = True
        trailing_slash = True
        if not segment:
            continue
        canonical = _canonical_escapes(segment, _PATH_ENCODE, _PATH_ESCAPE_REJECT, "path")
        if canonical == ".":
            continue
        if canonical == "..":
            if not out:
                raise PathRejected("dot_segment_escape", "'..' climbs above the root")
            out.pop()
            continue
        _check_segment(canonical)
        out.append(canonical)
        trailing_slash = False
    path = "/" + "/".join(out)
    if trailing_slash and out:
        path += "/"
    if "%25" in path and _DOUBLE_ENCODED.search(path):
        raise PathRejected("double_encoding", "double percent-encoding (%25XX) in path")
    return path, stripped


def _canonical_query(
    raw: str, allow_duplicate_keys: bool
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Canonical query string to forward, and its decoded pairs in order."""
    bad = _QUERY_FORBIDDEN.search(raw)
    if bad is not None:
        raise _literal_problem(bad.group(), "query")
    pieces: list[str] = []
    params: list[tuple[str, str]] = []
    seen: set[str] = set()
    for pair in raw.split("&"):
        if not pair:
            continue
        key, equals, value = pair.partition("=")
        key = _canonical_escapes(key, _QUERY_ENCODE, _QUERY_ESCAPE_REJECT, "query")
        value = _canonical_escapes(value, _QUERY_ENCODE, _QUERY_ESCAPE_REJECT, "query")
        decoded_key = _decode_utf8(key, plus_is_space=True, where="query")
        decoded_value = _decode_utf8(value, plus_is_space=True, where="query")
        if not allow_duplicate_keys:
            folded = decoded_key.lower()
            if folded in seen:
                raise PathRejected(
                    "duplicate_query_key", f"query key {_excerpt(decoded_key)} appears twice"
                )
            seen.add(folded)
        pieces.append(key + equals + value)
        params.append((decoded_key, decoded_value))
    return "&".join(pieces), tuple(params)


def _match_path(path: str) -> str:
    lowered = path.lower()
    return lowered[:-1] if len(lowered) > 1 and lowered.endswith("/") else lowered


def canonicalise(
    raw_path: str,
    raw_query: str = "",
    *,
    allow_duplicate_query_keys: bool = False,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> CanonicalTarget:
    """Canonicalise a request target, or raise :class:`PathRejected`.

    ``raw_path`` is the path exactly as received (ASGI ``raw_path`` bytes decoded as latin-1, not
    the decoded ``path``, which has already lost ``%2F``); ``raw_query`` is the query string
    without the ``?``, decoded the same way. ``max_length`` bounds path plus query, raw and
    canonical; ``max_segments`` bounds the number of ``/`` in the raw path.
    """
    if len(raw_path) + len(raw_query) > max_length:
        raise PathRejected("too_long", f"request target longer than {max_length} characters")
    if (
        _FAST_PATH.fullmatch(raw_path)
        and "/." not in raw_path
        and "./" not in raw_path
        and not raw_path.endswith(".")
        and raw_path.count("/") <= max_segments
    ):
        path, stripped = raw_path, False
    else:
        path, stripped = _canonical_path(raw_path, max_segments)
    if raw_query:
        query, params = _canonical_query(raw_query, allow_duplicate_query_keys)
    else:
        query, params = "", ()
    if len(path) + len(query) > max_length:
        raise PathRejected("too_long", f"canonical target longer than {max_length} characters")
    return CanonicalTarget(path, _match_path(path), query, params, stripped)


@lru_cache(maxsize=1024)
def normalise_prefix(prefix: str) -> str:
    """A configured route or policy prefix in ``match_path`` form (cached: prefixes are config).

    Raises :class:`PathRejected` (``invalid_prefix``) for a prefix that is not a plain path.
    """
    if not prefix.startswith("/"):
        raise PathRejected("invalid_prefix", "a path prefix must start with '/'")
    target = canonicalise(prefix)
    if target.matrix_params_removed:
        raise PathRejected("invalid_prefix", "a path prefix may not contain ';'")
    return target.match_path


def match_prefix(match_path: str, prefix: str) -> bool:
    """Segment-boundary prefix match: ``/v1`` matches ``/v1`` and ``/v1/chat``, not ``/v10``.

    ``match_path`` comes from :attr:`CanonicalTarget.match_path`; ``prefix`` is normalised the
    same way (canonical, lowercase, no trailing slash), so ``/V1/`` and ``/v1`` are one prefix.
    """
    normal = normalise_prefix(prefix)
    if normal == "/":
        return True
    return match_path == normal or (
        match_path.startswith(normal) and match_path[len(normal) : len(normal) + 1] == "/"
    )
