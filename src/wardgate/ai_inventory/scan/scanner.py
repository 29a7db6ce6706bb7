"""``scan_tree``: the static AI inventory of a source tree or model store.

Walks the tree (see :mod:`walk`), reads each text file once within a byte bound and runs every
text analysis on that one string (manifest, imports, model ids, keys), and inspects model files
without loading them. Nothing found is imported or executed. A file that cannot be read or parsed
becomes an issue in the report, never an exception out of the scan.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from wardgate.ai_inventory.scan.artefacts import inspect_artefact
from wardgate.ai_inventory.scan.fileio import LineIndex, read_prefix
from wardgate.ai_inventory.scan.filetypes import classify
from wardgate.ai_inventory.scan.imports import scan_imports
from wardgate.ai_inventory.scan.keys import scan_keys
from wardgate.ai_inventory.scan.manifests import ManifestError, scan_manifest
from wardgate.ai_inventory.scan.model_ids import scan_model_ids
from wardgate.ai_inventory.scan.notebooks import code_view
from wardgate.ai_inventory.scan.pickles import MAX_PICKLE_BYTES
from wardgate.ai_inventory.scan.result import FileIssue, FileResult, ScanReport
from wardgate.ai_inventory.scan.walk import DEFAULT_EXCLUDES, Candidate, Excluder, walk

DEFAULT_MAX_TEXT_BYTES = 1 << 20
_BINARY_SNIFF = 8192


@dataclass(frozen=True, slots=True)
class ScanLimits:
    """Per-file read bounds: text files, and pickle streams inside model files."""

    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    max_pickle_bytes: int = MAX_PICKLE_BYTES


def scan_tree(
    root: Path,
    *,
    progress: Callable[[int], None] | None = None,
    exclude: Iterable[str] = DEFAULT_EXCLUDES,
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
    max_pickle_bytes: int = MAX_PICKLE_BYTES,
) -> ScanReport:
    """Inventory every AI SDK, model id, provider key and model file under ``root``.

    ``exclude`` holds directory/file names or globs (matched against names and paths relative to
    ``root``); pass ``(*DEFAULT_EXCLUDES, "more")`` to extend the defaults. ``progress`` is
    called with the number of files just walked (for a progress bar). ``root`` may also be a
    single file. Raises :class:`FileNotFoundError` when ``root`` does not exist.
    """
    started = time.perf_counter()
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(str(root))
    limits = ScanLimits(max(1, max_text_bytes), max(1, max_pickle_bytes))
    report = ScanReport(root=str(root))
    issues: list[FileIssue] = []
    if root.is_file():
        kind = classify(root.name, root.parent.name)
        entries = iter([(None if kind is None else Candidate(root, root.name, kind), root.name)])
    else:
        entries = walk(root, Excluder(exclude), issues)
    for candidate, _relative in entries:
        report.files_seen += 1
        if candidate is None:
            report.files_skipped += 1
        else:
            result = scan_file(candidate, limits)
            report.files_scanned += 1
            report.add(result)
        if progress is not None:
            progress(1)
    report.issues[:0] = issues
    report.elapsed_s = time.perf_counter() - started
    return report


def scan_file(candidate: Candidate, limits: ScanLimits = ScanLimits()) -> FileResult:
    """Everything one file contributes; problems become issues, never exceptions."""
    result = FileResult()
    rel = candidate.relative
    try:
        _scan(candidate, limits, result)
    except OSError as exc:
        result.issues.append(FileIssue(rel, "read", exc.strerror or type(exc).__name__))
    except Exception as exc:
        # The type only: a message could quote file content.
        result.issues.append(FileIssue(rel, "internal", f"scanner error ({type(exc).__name__})"))
    return result


def _scan(candidate: Candidate, limits: ScanLimits, result: FileResult) -> None:
    kind, rel = candidate.kind, candidate.relative
    if kind.artefact is not None:
        artefact = inspect_artefact(
            candidate.path, rel, kind.artefact, max_pickle_bytes=limits.max_pickle_bytes
        )
        if artefact is not None:
            result.artefacts.append(artefact)
            result.bytes_read += artefact.size
        return
    data, size = read_prefix(candidate.path, limits.max_text_bytes)
    result.bytes_read = len(data)
    if b"\x00" in data[:_BINARY_SNIFF]:
        result.issues.append(FileIssue(rel, "binary", "binary content in a text file; skipped"))
        return
    truncated = size > len(data)
    text = _decode(data, truncated, rel, result)
    if truncated:
        result.issues.append(
            FileIssue(rel, "truncated", f"only the first {len(data)} of {size} bytes were scanned")
        )
    lines = LineIndex(text)
    if kind.manifest is not None:
        try:
            result.sdks.extend(scan_manifest(kind.manifest, rel, text))
        except ManifestError as exc:
            result.issues.append(FileIssue(rel, "parse", str(exc)))
    if kind.language is not None or kind.config:
        result.keys.extend(scan_keys(rel, text, lines))
    language = kind.language
    if language == "notebook":  # the code cells, line for line, as Python
        text, language = code_view(text), "python"
        lines = LineIndex(text)
    if language is not None:
        result.sdks.extend(scan_imports(language, rel, text, lines))
    if language is not None or kind.config:
        result.models.extend(scan_model_ids(rel, text, lines, config=kind.config))


def _decode(data: bytes, truncated: bool, rel: str, result: FileResult) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A read bound can cut a multi-byte character in two; that is not an encoding problem.
        if not (truncated and exc.start >= len(data) - 3):
            result.issues.append(
                FileIssue(rel, "decode", "invalid UTF-8; undecodable bytes replaced")
            )
        return data.decode("utf-8", "replace")
