"""Wardgate: an AI-native API security gateway.

``wardgate.scan(text, kind="prompt")`` scans one text with the built-in detection engine.
"""

from __future__ import annotations

from functools import lru_cache

from wardgate.core.phase import InputKind
from wardgate.detect.base import ScanContext
from wardgate.detect.scanner import Scanner, ScanResult

__version__ = "0.1.0"
__all__ = ["InputKind", "ScanContext", "ScanResult", "Scanner", "__version__", "scan"]


@lru_cache(maxsize=1)
def _default_scanner() -> Scanner:
    return Scanner()


def scan(
    text: str,
    kind: InputKind | str = InputKind.PROMPT,
    *,
    system_prompt: str = "",
    canaries: tuple[str, ...] = (),
) -> ScanResult:
    """Scan ``text`` of the given kind (``prompt``, ``document`` or ``output``) with the default
    engine. ``system_prompt`` and ``canaries`` let output scans recognise a leaked system prompt."""
    context = ScanContext(system_prompt=system_prompt, canaries=tuple(canaries))
    return _default_scanner().scan(text, kind, context)
