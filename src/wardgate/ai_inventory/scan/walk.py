"""Walking a source tree or model store: which files to scan, in a stable order.

Dependency caches, VCS metadata and build outputs are skipped by default (they hold other people's
code, and dwarf the tree). Symlinked directories are never entered and symlinked files are kept
only when they resolve inside the root, so a link cannot take the scan out of the tree or round
in a loop. Unreadable directories are reported, not fatal.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wardgate.ai_inventory.scan.filetypes import FileType, classify
from wardgate.ai_inventory.scan.result import FileIssue

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "bower_components",
    ".venv",
    "venv",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "site-packages",
    "dist",
    "build",
    ".gradle",
    ".next",
    ".nuxt",
    ".parcel-cache",
    ".turbo",
    ".cache",
    ".terraform",
    ".idea",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to scan: where it is, its path relative to the root, and how to read it."""

    path: Path
    relative: str
    kind: FileType


class Excluder:
    """Glob patterns matched against a name and against the path relative to the root."""

    def __init__(self, patterns: Iterable[str]) -> None:
        names: list[str] = []
        globs: list[str] = []
        for raw in patterns:
            pattern = raw.strip().strip("/")
            if not pattern:
                continue
            if any(c in pattern for c in "*?[/"):
                globs.append(pattern)
            else:
                names.append(pattern)
        self._names = frozenset(names)
        self._glob = (
            re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)) if globs else None
        )

    def excluded(self, name: str, relative: str) -> bool:
        if name in self._names:
            return True
        return self._glob is not None and bool(self._glob.match(name) or self._glob.match(relative))


def walk(
    root: Path, excluder: Excluder, issues: list[FileIssue]
) -> Iterator[tuple[Candidate | None, str]]:
    """Every file under ``root`` as ``(candidate, relative)``; candidate is None when skipped.

    Directories are visited in sorted order, depth first, so reports are reproducible.
    """
    root_real = os.path.realpath(root)
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            issues.append(FileIssue(rel_dir or ".", "read", _reason(exc)))
            continue
        parent = rel_dir.rsplit("/", 1)[-1]
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if excluder.excluded(entry.name, rel):
                continue
            try:
                if entry.is_symlink():
                    yield _symlinked(entry, rel, parent, root_real, issues), rel
                    continue
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append((entry.path, rel))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    yield None, rel  # FIFO, socket, device: never opened
                    continue
            except OSError as exc:
                issues.append(FileIssue(rel, "read", _reason(exc)))
                continue
            kind = classify(entry.name, parent)
            yield (None if kind is None else Candidate(Path(entry.path), rel, kind)), rel
        stack.extend(reversed(subdirs))


def _symlinked(
    entry: os.DirEntry[str], rel: str, parent: str, root_real: str, issues: list[FileIssue]
) -> Candidate | None:
    """A symlinked file that stays inside the tree; directories behind links are not entered."""
    target = os.path.realpath(entry.path)
    inside = target == root_real or target.startswith(root_real + os.sep)
    if not inside:
        issues.append(FileIssue(rel, "symlink", "link points outside the scanned tree; skipped"))
        return None
    if not os.path.isfile(target):
        return None
    kind = classify(entry.name, parent)
    return None if kind is None else Candidate(Path(target), rel, kind)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
