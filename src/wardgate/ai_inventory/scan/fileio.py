"""Safe, bounded file access for the scanner, and offsets-to-line-numbers.

Files are opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked to be regular after opening, so a
symlink swapped in after the walk cannot redirect a read and a FIFO cannot hang the scan. Reads
are bounded; hashes stream in 1 MiB blocks, so a multi-gigabyte model costs no more memory than
a small one.
"""

from __future__ import annotations

import hashlib
import os
import stat
from bisect import bisect_right
from pathlib import Path

BLOCK = 1 << 20
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class NotRegularFileError(OSError):
    """The path is not (or is no longer) a regular file."""


def open_regular(path: Path) -> int:
    """A read-only descriptor on ``path``, refusing symlinks, FIFOs, devices and directories."""
    fd = os.open(path, _FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError("not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_binary(path: Path) -> tuple[int, int]:
    """``(descriptor, size)`` of a regular file, for parsers that seek (see :func:`open_regular`)."""
    fd = open_regular(path)
    return fd, os.fstat(fd).st_size


def read_prefix(path: Path, limit: int) -> tuple[bytes, int]:
    """At most ``limit`` bytes from the start of ``path``, and the file's size."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        chunks: list[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, min(left, BLOCK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), size
    finally:
        os.close(fd)


def sha256_file(path: Path) -> tuple[str, int]:
    """Hex SHA-256 and byte count of the whole file, streamed in 1 MiB blocks."""
    digest = hashlib.sha256()
    total = 0
    fd = open_regular(path)
    try:
        while chunk := os.read(fd, BLOCK):
            digest.update(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest(), total


class LineIndex:
    """1-based line numbers for character offsets in one text; built only when first needed."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def line(self, offset: int) -> int:
        if self._starts is None:
            starts = [0]
            find = self._text.find
            at = find("\n")
            while at != -1:
                starts.append(at + 1)
                at = find("\n", at + 1)
            self._starts = starts
        return bisect_right(self._starts, offset)
