"""The report as one JSON document (``wardgate report --format json``): everything the other
formats show, machine-readable, for pipelines and for diffing two periods."""

from __future__ import annotations

import json

from wardgate.compliance.report import Report


def render_json(report: Report) -> bytes:
    """UTF-8 JSON, indented, keys in a stable order."""
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
