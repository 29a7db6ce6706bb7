"""Which files the scanner reads, and as what: code, configuration, manifest or model artefact.

Decided from the name alone (no content sniffing during the walk), so the walk stays cheap and
files the scanner has no use for are never opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Source languages whose imports are read; the value is the import grammar.
CODE_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".ipynb": "notebook",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "javascript",
    ".tsx": "javascript",
    ".mts": "javascript",
    ".cts": "javascript",
    ".java": "java",
    ".kt": "java",
    ".kts": "java",
    ".scala": "java",
    ".go": "go",
}
# Configuration formats: model ids as values, keys as values.
CONFIG_EXTENSIONS = frozenset(
    {".yaml", ".yml", ".json", ".toml", ".env", ".ini", ".cfg", ".conf", ".properties"}
)
# Model files; the value is the parser. ``.bin`` is a guess confirmed by content (zip or pickle).
ARTEFACT_EXTENSIONS = {
    ".safetensors": "safetensors",
    ".gguf": "gguf",
    ".onnx": "onnx",
    ".pt": "pickle",
    ".pth": "pickle",
    ".bin": "pickle",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".ckpt": "pickle",
    ".joblib": "pickle",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".keras": "keras",
    ".tflite": "tflite",
    ".mlmodel": "coreml",
    ".llamafile": "llamafile",
}
# Lock files are machine-written, large, and say nothing a manifest does not.
LOCK_FILES = frozenset(
    {"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "composer.lock", "yarn.lock"}
)
_REQUIREMENTS = re.compile(r"(?:.*requirements.*|constraints.*)\.(?:txt|in)", re.IGNORECASE)
_MANIFEST_NAMES = {
    "pyproject.toml": "pyproject",
    "setup.cfg": "setup.cfg",
    "pipfile": "pipfile",
    "package.json": "package.json",
    "pom.xml": "pom",
    "build.gradle": "gradle",
    "build.gradle.kts": "gradle",
    "settings.gradle": "gradle",
    "settings.gradle.kts": "gradle",
    "go.mod": "go.mod",
}


@dataclass(frozen=True, slots=True)
class FileType:
    """How to read one file; ``text`` files are read as (bounded) text, the rest as artefacts."""

    language: str | None = None
    manifest: str | None = None
    config: bool = False
    artefact: str | None = None

    @property
    def text(self) -> bool:
        return self.artefact is None


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def classify(name: str, parent: str = "") -> FileType | None:
    """What ``name`` (in directory ``parent``) is to the scanner, or None to skip it."""
    lower = name.lower()
    if lower in LOCK_FILES:
        return None
    manifest = _MANIFEST_NAMES.get(lower)
    if manifest is None and lower.endswith(".versions.toml"):
        manifest = "gradle-catalog"
    if manifest is None and (
        _REQUIREMENTS.fullmatch(name)
        or (parent.lower() == "requirements" and lower.endswith((".txt", ".in")))
    ):
        return FileType(manifest="requirements")
    suffix = _suffix(name)
    if lower == ".env" or lower.startswith(".env."):
        return FileType(config=True)
    artefact = ARTEFACT_EXTENSIONS.get(suffix)
    if artefact is not None:
        return FileType(artefact=artefact)
    language = CODE_EXTENSIONS.get(suffix)
    config = suffix in CONFIG_EXTENSIONS
    if language is None and not config and manifest is None:
        return None
    return FileType(language=language, manifest=manifest, config=config or manifest is not None)
