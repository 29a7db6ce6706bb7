"""Jupyter notebooks read as code: each cell line decoded from its JSON string, in place.

``nbformat`` writes a cell's source as a list of strings, one per JSON line. Decoding each such line
where it stands gives the code the notebook runs with every line number unchanged, so imports and
model ids in notebooks are found by the same rules as in ``.py`` files.
"""

from __future__ import annotations

import json
import re

_JSON_STRING_LINE = re.compile(r'[ \t]*"((?:[^"\\]|\\.)*)",?[ \t]*\r?')


def code_view(text: str) -> str:
    """``text`` (a notebook's JSON) with every string-only line decoded and all else blanked."""
    out: list[str] = []
    for line in text.split("\n"):
        match = _JSON_STRING_LINE.fullmatch(line)
        value = ""
        if match is not None:
            try:
                value = json.loads(f'"{match.group(1)}"')
            except ValueError:
                value = ""
        # An embedded newline would shift every later line: keep one source line per JSON line.
        out.append(value.rstrip("\r\n").replace("\n", " ").replace("\r", " "))
    return "\n".join(out)
