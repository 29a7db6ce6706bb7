"""Taxonomy ids that findings carry, so every detection maps to the frameworks auditors use.

Ids are the official ones: OWASP Top 10 for LLM Applications 2025 (LLM01..LLM10), OWASP API Security
Top 10 2023 (API1..API10) and MITRE ATLAS technique ids (data version pinned in ``ATLAS_VERSION``).
"""

from __future__ import annotations

from enum import StrEnum

ATLAS_VERSION = "v5.1.0"


class OwaspLlm(StrEnum):
    """OWASP Top 10 for LLM Applications, 2025 edition."""

    PROMPT_INJECTION = "LLM01"
    SENSITIVE_INFORMATION_DISCLOSURE = "LLM02"
    SUPPLY_CHAIN = "LLM03"
    DATA_AND_MODEL_POISONING = "LLM04"
    IMPROPER_OUTPUT_HANDLING = "LLM05"
    EXCESSIVE_AGENCY = "LLM06"
    SYSTEM_PROMPT_LEAKAGE = "LLM07"
    VECTOR_AND_EMBEDDING_WEAKNESSES = "LLM08"
    MISINFORMATION = "LLM09"
    UNBOUNDED_CONSUMPTION = "LLM10"


class OwaspApi(StrEnum):
    """OWASP API Security Top 10, 2023 edition."""

    BROKEN_OBJECT_LEVEL_AUTHORIZATION = "API1"
    BROKEN_AUTHENTICATION = "API2"
    BROKEN_OBJECT_PROPERTY_LEVEL_AUTHORIZATION = "API3"
    UNRESTRICTED_RESOURCE_CONSUMPTION = "API4"
    BROKEN_FUNCTION_LEVEL_AUTHORIZATION = "API5"
    UNRESTRICTED_ACCESS_TO_SENSITIVE_BUSINESS_FLOWS = "API6"
    SERVER_SIDE_REQUEST_FORGERY = "API7"
    SECURITY_MISCONFIGURATION = "API8"
    IMPROPER_INVENTORY_MANAGEMENT = "API9"
    UNSAFE_CONSUMPTION_OF_APIS = "API10"


class Atlas(StrEnum):
    """MITRE ATLAS techniques that Wardgate's detectors evidence."""

    LLM_PROMPT_INJECTION = "AML.T0051"
    DIRECT_PROMPT_INJECTION = "AML.T0051.000"
    INDIRECT_PROMPT_INJECTION = "AML.T0051.001"
    LLM_JAILBREAK = "AML.T0054"
    META_PROMPT_EXTRACTION = "AML.T0056"
    LLM_DATA_LEAKAGE = "AML.T0057"
    EXTRACT_ML_MODEL = "AML.T0024.002"
    INFER_TRAINING_DATA_MEMBERSHIP = "AML.T0024.000"
    INVERT_ML_MODEL = "AML.T0024.001"
    ML_MODEL_INFERENCE_API_ACCESS = "AML.T0040"
    COST_HARVESTING = "AML.T0034"
    LLM_PLUGIN_COMPROMISE = "AML.T0053"
    EXFILTRATION_VIA_ML_INFERENCE_API = "AML.T0024"
    OBFUSCATED_FILES_OR_INFORMATION = "AML.T0068"
    LLM_PROMPT_OBFUSCATION = "AML.T0068.000"
    RAG_POISONING = "AML.T0070"
    EXPLOIT_PUBLIC_FACING_APPLICATION = "AML.T0049"
    UNSECURED_CREDENTIALS = "AML.T0055"


TaxonomyId = OwaspLlm | OwaspApi | Atlas

_ALL: dict[str, TaxonomyId] = {
    **{m.value: m for m in OwaspLlm},
    **{m.value: m for m in OwaspApi},
    **{m.value: m for m in Atlas},
}


def parse_tag(tag: str) -> TaxonomyId:
    """Return the taxonomy member for ``tag`` (e.g. ``"LLM01"``); raise ``ValueError`` if unknown.

    Rule packs and configuration name tags as strings; parsing them here means a typo in a rule file
    fails at load time instead of producing a finding with a made-up id.
    """
    try:
        return _ALL[tag.strip()]
    except KeyError:
        raise ValueError(f"unknown taxonomy id {tag!r}") from None
