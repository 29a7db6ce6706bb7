"""Static AI-inventory scan: SDKs, model ids, provider keys and model files in a tree.

Offline and read-only: nothing found is imported, loaded or executed. Entry point:
:func:`scan_tree`, which returns a :class:`ScanReport`.
"""

from wardgate.ai_inventory.scan.errors import ArtefactParseError
from wardgate.ai_inventory.scan.result import (
    Artefact,
    FileIssue,
    KeyFinding,
    ModelReference,
    ScanReport,
    SdkUse,
)
from wardgate.ai_inventory.scan.scanner import DEFAULT_MAX_TEXT_BYTES, scan_file, scan_tree
from wardgate.ai_inventory.scan.walk import DEFAULT_EXCLUDES

__all__ = [
    "DEFAULT_EXCLUDES",
    "DEFAULT_MAX_TEXT_BYTES",
    "Artefact",
    "ArtefactParseError",
    "FileIssue",
    "KeyFinding",
    "ModelReference",
    "ScanReport",
    "SdkUse",
    "scan_file",
    "scan_tree",
]
