"""Pure data shared by every part of Wardgate: no I/O, no dependencies on the rest of the package."""

from wardgate.core.exchange import ANONYMOUS, Exchange, HttpRequest, HttpResponse, Identity
from wardgate.core.finding import Category, Finding, Severity, Span
from wardgate.core.phase import InputKind, Phase
from wardgate.core.taxonomy import Atlas, OwaspApi, OwaspLlm, TaxonomyId, parse_tag
from wardgate.core.verdict import Action, Verdict

__all__ = [
    "ANONYMOUS",
    "Action",
    "Atlas",
    "Category",
    "Exchange",
    "Finding",
    "HttpRequest",
    "HttpResponse",
    "Identity",
    "InputKind",
    "OwaspApi",
    "OwaspLlm",
    "Phase",
    "Severity",
    "Span",
    "TaxonomyId",
    "Verdict",
    "parse_tag",
]
