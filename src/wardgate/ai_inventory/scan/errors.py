"""The one error type artefact parsers raise on malformed or hostile input."""

from __future__ import annotations


class ArtefactParseError(ValueError):
    """A model file's header could not be parsed within the scanner's bounds.

    Messages describe the structure ("header length exceeds file size"), never file content.
    """
