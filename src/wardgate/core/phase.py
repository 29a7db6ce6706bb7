"""The phases of one exchange through Wardgate, and the kinds of text detectors inspect."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """Where in an exchange's life a detector runs.

    REQUEST and RESPONSE are on the hot path and may change the outcome; LOG runs after the client
    has its answer (discovery, inventory, analytics, audit) and must never slow a request down.
    """

    REQUEST = "request"
    RESPONSE = "response"
    LOG = "log"


class InputKind(StrEnum):
    """What a piece of text is, because the same words mean different things in each.

    ``prompt`` is what a user typed; ``document`` is third-party content the model reads (retrieved
    passages, e-mails, web pages, tool results), the carrier of indirect injection; ``output`` is what
    a model answered, where leaks show up.
    """

    PROMPT = "prompt"
    DOCUMENT = "document"
    OUTPUT = "output"
