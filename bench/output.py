"""How a benchmark hands over its report: printed, and written as Markdown when asked."""

from __future__ import annotations

from pathlib import Path


def emit(text: str, markdown: str | None) -> None:
    """Print ``text``; with a ``--markdown PATH``, also write it there (folders created)."""
    print(text)
    if markdown:
        path = Path(markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
