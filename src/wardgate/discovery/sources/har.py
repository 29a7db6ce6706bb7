"""HAR 1.2 captures (browser dev tools, proxies, mobile debuggers) as observations.

A HAR file is one JSON document whose ``log.entries`` array can run to gigabytes. ``ijson`` is
not installed, so rather than ``json.load`` the whole document (memory: several times the file)
this module walks the document's outer structure itself and decodes one entry at a time with
the standard library's C decoder (``json.JSONDecoder.raw_decode``). Memory holds one entry and
one read chunk whatever the file size, and small and big files share one code path. An entry
over ``max_entry_chars`` is skipped by counting brackets without keeping it.

Entries that are not usable (not an object, no request URL, a URL without host, bad base64...)
are skipped and counted in :class:`~wardgate.discovery.sources.SourceStats`. A syntax error
inside an entry skips that entry (the reader resynchronises on the entry's closing bracket); a
file cut short ends the read with the complete entries yielded and ``truncated`` counted. Only a
document that is not HAR at all (not a JSON object, no ``log.entries`` array) raises
:class:`NotHarError`, on the first ``next()``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import os
import re
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

from wardgate.discovery.observation import Observation, Pairs, cut
from wardgate.discovery.sources import (
    SourceStats,
    clean_text,
    iso_timestamp,
    normalise_host,
    query_pairs,
)

CHUNK_CHARS = 1 << 20
"""How much of the file is read at a time."""

MAX_ENTRY_CHARS = 64 << 20
"""An entry longer than this (a huge base64 response) is skipped as ``too_large`` without being
held in memory."""

_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_WS = re.compile(r"[ \t\n\r]*")
_IN_STRING_STOP = re.compile(r'["\\]')
_STRUCTURE = re.compile(r'["{}\[\]]')
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
_DECODER = json.JSONDecoder()
_FORM = "application/x-www-form-urlencoded"


class NotHarError(ValueError):
    """The file is not a HAR document (not a JSON object with a ``log.entries`` array)."""


class _Skip(Exception):
    """This value is unusable; the reader is already past it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Stop(_Skip):
    """Nothing after this point can be read (the file ends, or its structure is broken)."""


def read_har(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    stats: SourceStats | None = None,
    max_entry_chars: int = MAX_ENTRY_CHARS,
    chunk_chars: int = CHUNK_CHARS,
) -> Iterator[Observation]:
    """The observations of a HAR file (a path or a binary file object), in file order.

    Pass ``stats`` to learn how many entries were read and skipped, and why. Raises
    :class:`NotHarError` (on the first ``next()``) when the document is not HAR.
    """
    counts = SourceStats() if stats is None else stats
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as raw:
            yield from _read(_Text(raw, chunk_chars), counts, max_entry_chars)
    else:
        yield from _read(_Text(source, chunk_chars), counts, max_entry_chars)


def _read(text: _Text, stats: SourceStats, cap: int) -> Iterator[Observation]:
    _find_entries(text, cap)
    if text.peek() == "]":
        return
    while True:
        stats.read += 1
        try:
            entry = text.value(cap)
        except _Stop as stop:
            stats.skip(stop.reason)
            return
        except _Skip as skip:
            stats.skip(skip.reason)
        else:
            try:
                obs = _observation(entry)
            except _Skip as skip:
                stats.skip(skip.reason)
            else:
                stats.yielded += 1
                yield obs
        after = text.peek()
        if after == ",":
            text.pos += 1
        elif after == "]":
            return
        else:  # the entries array is broken here: what follows cannot be trusted
            stats.read += 1
            stats.skip("truncated" if after == "" else "invalid_json")
            return


# -- the document's outer structure ------------------------------------------------------------


def _find_entries(text: _Text, cap: int) -> None:
    """Move ``text`` just past the ``[`` of ``log.entries``; :class:`NotHarError` otherwise."""
    if text.peek() == "\ufeff":  # a byte order mark some Windows tools write
        text.pos += 1
    if text.peek() != "{":
        raise NotHarError("not a HAR file: the document is not a JSON object")
    text.pos += 1
    try:
        if not _walk_to(text, "log", cap) or text.peek() != "{":
            raise NotHarError("not a HAR file: no 'log' object")
        text.pos += 1
        if not _walk_to(text, "entries", cap) or text.peek() != "[":
            raise NotHarError("not a HAR file: no 'log.entries' array")
    except _Skip as broken:
        raise NotHarError(f"not a HAR file: {broken.reason} before 'log.entries'") from None
    text.pos += 1


def _walk_to(text: _Text, key: str, cap: int) -> bool:
    """In an object whose ``{`` is consumed, move past ``"key":``; False if the object ends."""
    if text.peek() == "}":
        return False
    while True:
        name = text.value(cap)
        if not isinstance(name, str) or text.peek() != ":":
            raise _Stop("invalid_json")
        text.pos += 1
        if name == key:
            return True
        try:
            text.value(cap)  # a member we do not need (version, creator, pages...)
        except _Stop:
            raise
        except _Skip:
            pass
        after = text.peek()
        if after == "}":
            text.pos += 1
            return False
        if after != ",":
            raise _Stop("invalid_json")
        text.pos += 1


class _Text:
    """The document as text, read a chunk at a time; ``buf[pos:]`` is not consumed yet."""

    def __init__(self, raw: IO[bytes], chunk_chars: int) -> None:
        self._raw = raw
        self._chunk = max(1, chunk_chars)
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.buf = ""
        self.pos = 0
        self.eof = False

    def more(self) -> int:
        """Drop the consumed text and append a chunk (as much again as is held, so a value
        read piecemeal costs linear time). Returns how far indices into ``buf`` moved; -1 at
        the end of the file."""
        if self.eof:
            return -1
        shift = self.pos
        self.buf = self.buf[shift:]
        self.pos = 0
        data = self._raw.read(max(self._chunk, len(self.buf)))
        if not data:
            self.eof = True
        self.buf += self._utf8.decode(data, final=self.eof)
        return shift

    def peek(self) -> str:
        """The next character that is not whitespace (consumed up to it); "" at the end."""
        while True:
            blank = _WS.match(self.buf, self.pos)
            if blank is not None:
                self.pos = blank.end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.more() < 0:
                return ""

    def value(self, cap: int) -> Any:
        """Decode the next JSON value and move past it."""
        first = self.peek()
        if not first:
            raise _Stop("truncated")
        if first not in '{["':
            # A number or literal may continue in the next chunk ("0." + "0"): read ahead first.
            return self._scalar()
        try:
            found, end = _DECODER.raw_decode(self.buf, self.pos)
        except (ValueError, RecursionError):
            pass
        else:
            self.pos = end
            return found
        end = self._extent(cap)
        if end < 0:
            raise _Skip("too_large")
        piece, self.pos = self.buf[self.pos : end], end
        try:
            return json.loads(piece)
        except (ValueError, RecursionError):
            raise _Skip("invalid_json") from None

    def _scalar(self) -> Any:
        while len(self.buf) - self.pos < 512 and self.more() >= 0:
            pass
        try:
            found, self.pos = _DECODER.raw_decode(self.buf, self.pos)
        except (ValueError, RecursionError):
            raise _Stop("invalid_json") from None
        return found

    def _extent(self, cap: int) -> int:
        """Where the object, array or string starting at ``pos`` ends, found by counting
        brackets outside strings (so a syntax error inside it still lets the reader go on).
        Past ``cap`` characters the text is dropped as it is scanned, and -1 is returned."""
        start = i = self.pos
        depth = 0
        in_string = False
        keep = True
        while True:
            buf = self.buf
            if in_string:
                hit = _IN_STRING_STOP.search(buf, i)
                if hit is None:
                    i = len(buf)
                elif hit.group() == "\\":
                    if hit.end() < len(buf):
                        i = hit.end() + 1
                        continue
                    i = hit.start()  # the escaped character is in the next chunk
                else:
                    in_string = False
                    i = hit.end()
                    if depth == 0:
                        return self._ended(i, keep)
                    continue
            else:
                hit = _STRUCTURE.search(buf, i)
                if hit is None:
                    i = len(buf)
                else:
                    i = hit.end()
                    mark = hit.group()
                    if mark == '"':
                        in_string = True
                    elif mark in "{[":
                        depth += 1
                    else:
                        depth -= 1
                        if depth <= 0:
                            return self._ended(i, keep)
                    continue
            if keep and i - start > cap:
                keep = False
            if not keep:
                self.pos = start = i
            shift = self.more()
            if shift < 0:
                raise _Stop("truncated")
            start -= shift
            i -= shift

    def _ended(self, end: int, keep: bool) -> int:
        if keep:
            return end
        self.pos = end
        return -1


# -- one entry ---------------------------------------------------------------------------------


def _observation(entry: Any) -> Observation:
    if not isinstance(entry, dict):
        raise _Skip("not_object")
    request = entry.get("request")
    if not isinstance(request, dict):
        raise _Skip("missing_request")
    method = request.get("method")
    url = request.get("url")
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise _Skip("missing_method")
    if not isinstance(url, str):
        raise _Skip("missing_url")
    scheme, host, path, query = _split_url(url)
    request_headers = _headers(request.get("headers"))
    request_body, request_mime = _post_data(request.get("postData"))
    request_body, request_truncated = cut(request_body)
    if request_mime and not _has(request_headers, "content-type"):
        request_headers += (("content-type", request_mime),)

    status: int | None = None
    response_headers: Pairs = ()
    response_body: bytes | None = None
    response = entry.get("response")
    if isinstance(response, dict):
        status = _status(response.get("status"))
        response_headers = _headers(response.get("headers"))
        response_body, response_mime = _content(response.get("content"))
        if response_mime and not _has(response_headers, "content-type"):
            response_headers += (("content-type", response_mime),)
    elif response is not None:
        raise _Skip("bad_response")
    response_body, response_truncated = cut(response_body)

    return Observation(
        method=method.upper(),
        host=host,
        path=path,
        query=query,
        request_headers=request_headers,
        request_body=request_body,
        request_truncated=request_truncated,
        status=status,
        response_headers=response_headers,
        response_body=response_body,
        response_truncated=response_truncated,
        timestamp=iso_timestamp(entry.get("startedDateTime")),
        scheme=scheme,
        source="har",
    )


def _split_url(url: str) -> tuple[str, str, str, Pairs]:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise _Skip("bad_url") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname:
        raise _Skip("bad_url")
    host = normalise_host(clean_text(parts.netloc.rpartition("@")[2]), scheme)
    return scheme, host, clean_text(parts.path) or "/", query_pairs(clean_text(parts.query))


def _headers(raw: Any) -> Pairs:
    """HAR's ``[{"name", "value"}]`` as lower-case pairs; HTTP/2 pseudo-headers and items that
    are not name/value strings are left out (they say nothing a header schema needs)."""
    if not isinstance(raw, list):
        return ()
    pairs: list[tuple[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        name, value = item.get("name"), item.get("value")
        if isinstance(name, str) and isinstance(value, str) and name and name[0] != ":":
            pairs.append((clean_text(name.lower()), clean_text(value)))
    return tuple(pairs)


def _has(pairs: Pairs, name: str) -> bool:
    return any(k == name for k, _ in pairs)


def _post_data(post: Any) -> tuple[bytes | None, str]:
    """The request body and its MIME type. ``params`` (a form HAR stored decoded) are encoded
    back only for URL-encoded forms: a multipart body cannot be rebuilt faithfully."""
    if post is None:
        return None, ""
    if not isinstance(post, dict):
        raise _Skip("bad_post_data")
    mime = _mime(post.get("mimeType"))
    text = post.get("text")
    if isinstance(text, str):
        return _decode(text, post.get("encoding")), mime
    params = post.get("params")
    if isinstance(params, list) and mime.split(";")[0].strip().lower() in ("", _FORM):
        fields = [
            (clean_text(p["name"]), clean_text(p.get("value", "")))
            for p in params
            if isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and isinstance(p.get("value", ""), str)
        ]
        return urlencode(fields).encode("utf-8", "surrogatepass"), mime or _FORM
    return None, mime


def _content(content: Any) -> tuple[bytes | None, str]:
    if not isinstance(content, dict):
        return None, ""
    text = content.get("text")
    body = _decode(text, content.get("encoding")) if isinstance(text, str) else None
    return body, _mime(content.get("mimeType"))


def _decode(text: str, encoding: Any) -> bytes:
    if isinstance(encoding, str) and encoding.strip().lower() == "base64":
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise _Skip("bad_base64") from None
    return text.encode("utf-8", "surrogatepass")


def _mime(value: Any) -> str:
    return clean_text(value.strip()) if isinstance(value, str) else ""


def _status(value: Any) -> int | None:
    """The HTTP status; None for 0 (the browser got no answer) and anything not a status."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 3:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return None


__all__ = ["CHUNK_CHARS", "MAX_ENTRY_CHARS", "NotHarError", "read_har"]
