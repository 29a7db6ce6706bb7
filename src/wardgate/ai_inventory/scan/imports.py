"""AI SDKs imported in source code: Python, JavaScript/TypeScript, Java/Kotlin and Go.

Imports are read with line-anchored patterns rather than parsers: a file with a syntax error still
yields its imports, nothing is imported or evaluated, and a large file costs one regex pass. One
record per library and imported name per file (the first line it appears on).

Bedrock is the exception to "a package is a library": ``boto3`` is the whole AWS SDK, so Python
code counts as Bedrock use only where it creates a ``bedrock``/``bedrock-runtime`` client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wardgate.ai_inventory.scan.fileio import LineIndex
from wardgate.ai_inventory.scan.result import SdkUse
from wardgate.ai_inventory.scan.sdks import find_library, library

_PY_NAMES = (
    r"[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?)*"
)
_PY_IMPORT = r"(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+(" + _PY_NAMES + "))"
_PYTHON = re.compile(r"^[ \t]*" + _PY_IMPORT, re.MULTILINE)
_AS = re.compile(r"[ \t]+as[ \t]+\w+")
_JAVASCRIPT = re.compile(r"(?:\bfrom|\bimport|\brequire)\s*\(?\s*[\"'`]([^\"'`\s]{1,200})[\"'`]")
_JAVA = re.compile(r"^[ \t]*import[ \t]+(?:static[ \t]+)?([A-Za-z_][\w.]*)", re.MULTILINE)
_GO_SINGLE = re.compile(r"^[ \t]*import[ \t]+(?:[\w.]+[ \t]+)?\"([^\"\n]+)\"", re.MULTILINE)
_GO_BLOCK = re.compile(r"^[ \t]*import[ \t]*\(([^)]*)\)", re.MULTILINE)
_GO_PATH = re.compile(r"\"([^\"\n]+)\"")
_BEDROCK_CLIENT = re.compile(
    r"\b(?:client|resource)\s*\(\s*(?:service_name\s*=\s*)?[\"'](bedrock(?:-[a-z]+)*)[\"']"
)


def _python(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    for m in pattern.finditer(text):
        if m.group(1):
            yield m.start(1), m.group(1)
            continue
        names = _AS.sub("", m.group(2))
        for name in names.split(","):
            yield m.start(2), name.strip()


def _npm_package(spec: str) -> str | None:
    """The package a JavaScript module specifier names: ``@scope/pkg/sub`` -> ``@scope/pkg``."""
    if spec.startswith(("npm:", "jsr:")):
        spec = spec[4:]
    if not spec or spec[0] in "./#~$" or ":" in spec:
        return None
    parts = spec.split("/")
    if spec.startswith("@"):
        return "/".join(parts[:2]) if len(parts) > 1 else None
    return parts[0]


def _javascript(text: str) -> Iterator[tuple[int, str]]:
    for m in _JAVASCRIPT.finditer(text):
        package = _npm_package(m.group(1))
        if package:
            yield m.start(1), package


def _java(text: str) -> Iterator[tuple[int, str]]:
    for m in _JAVA.finditer(text):
        yield m.start(1), m.group(1)


def _go(text: str) -> Iterator[tuple[int, str]]:
    for m in _GO_SINGLE.finditer(text):
        yield m.start(1), m.group(1)
    for block in _GO_BLOCK.finditer(text):
        base = block.start(1)
        for m in _GO_PATH.finditer(block.group(1)):
            yield base + m.start(1), m.group(1)


_GRAMMARS = {
    "python": ("python", "python"),
    "javascript": ("javascript", "npm"),
    "java": ("java", "java"),
    "go": ("go", "go"),
}


def scan_imports(language: str, path: str, text: str, lines: LineIndex) -> list[SdkUse]:
    """AI libraries imported by a ``language`` source file (see :mod:`filetypes`)."""
    grammar = _GRAMMARS.get(language)
    if grammar is None:
        return []
    ecosystem, namespace = grammar
    if language == "python":
        found = _python(text, _PYTHON)
    elif language == "javascript":
        found = _javascript(text)
    elif language == "java":
        found = _java(text)
    else:
        found = _go(text)
    seen: dict[tuple[str, str], SdkUse] = {}
    for offset, name in found:
        row = find_library(namespace, name)
        if row is None:
            continue
        key = (row.key, name)
        line = lines.line(offset)
        if key in seen and (seen[key].line or 0) <= line:
            continue
        seen[key] = SdkUse(
            path=path,
            line=line,
            ecosystem=ecosystem,
            package=name,
            library=row.key,
            provider=row.provider,
            category=row.category,
            source="import",
        )
    if ecosystem == "python" and "bedrock" in text:
        bedrock = library("aws-bedrock")
        for m in _BEDROCK_CLIENT.finditer(text):
            key = (bedrock.key, m.group(1))
            if key not in seen:
                seen[key] = SdkUse(
                    path=path,
                    line=lines.line(m.start(1)),
                    ecosystem=ecosystem,
                    package=f"boto3:{m.group(1)}",
                    library=bedrock.key,
                    provider=bedrock.provider,
                    category=bedrock.category,
                    source="code",
                )
    return sorted(seen.values(), key=lambda s: (s.line or 0, s.package))
