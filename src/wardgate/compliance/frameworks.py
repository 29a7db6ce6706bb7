"""Names, versions and requirement titles of the frameworks the controls map to.

Outputs that describe a standard (CycloneDX ``definitions.standards``, the HTML and PDF mapping
tables) need more than a clause id: who owns the framework, which version, what each clause is
called. Titles are the frameworks' own; ATLAS names follow the pinned data version.
"""

from __future__ import annotations

from dataclasses import dataclass

from wardgate.compliance.controls import ATLAS_VERSION, CONTROLS, Framework
from wardgate.core.taxonomy import OwaspApi, OwaspLlm


@dataclass(frozen=True, slots=True)
class FrameworkInfo:
    """How a framework is named and versioned, and who publishes it."""

    framework: Framework
    name: str
    version: str
    owner: str
    description: str


FRAMEWORKS: dict[Framework, FrameworkInfo] = {
    Framework.OWASP_LLM: FrameworkInfo(
        Framework.OWASP_LLM,
        "OWASP Top 10 for LLM Applications",
        "2025",
        "OWASP Foundation",
        "The ten most critical security risks of applications built on large language models.",
    ),
    Framework.OWASP_API: FrameworkInfo(
        Framework.OWASP_API,
        "OWASP API Security Top 10",
        "2023",
        "OWASP Foundation",
        "The ten most critical API security risks.",
    ),
    Framework.ATLAS_TECHNIQUE: FrameworkInfo(
        Framework.ATLAS_TECHNIQUE,
        "MITRE ATLAS techniques",
        ATLAS_VERSION,
        "MITRE",
        "Adversarial Threat Landscape for AI Systems: adversary techniques.",
    ),
    Framework.ATLAS_MITIGATION: FrameworkInfo(
        Framework.ATLAS_MITIGATION,
        "MITRE ATLAS mitigations",
        ATLAS_VERSION,
        "MITRE",
        "Adversarial Threat Landscape for AI Systems: mitigations.",
    ),
    Framework.AI_VERIFY: FrameworkInfo(
        Framework.AI_VERIFY,
        "AI Verify process checklist",
        "2.x",
        "AI Verify Foundation (IMDA Singapore)",
        "Process-checklist items of the AI Verify testing framework.",
    ),
    Framework.NIST_AI_RMF: FrameworkInfo(
        Framework.NIST_AI_RMF,
        "NIST AI Risk Management Framework",
        "1.0",
        "NIST",
        "AI RMF 1.0 (NIST AI 100-1) subcategories.",
    ),
    Framework.NIST_600_1: FrameworkInfo(
        Framework.NIST_600_1,
        "NIST AI 600-1 Generative AI Profile",
        "2024",
        "NIST",
        "Risks unique to or exacerbated by generative AI.",
    ),
    Framework.AU: FrameworkInfo(
        Framework.AU,
        "Guidance for AI Adoption",
        "2025",
        "Australian Government (National AI Centre)",
        "Six essential practices for responsible AI adoption.",
    ),
    Framework.MAS: FrameworkInfo(
        Framework.MAS,
        "Guidelines on AI Risk Management",
        "consultation 2025",
        "Monetary Authority of Singapore",
        "Supervisory expectations for AI risk management in financial institutions.",
    ),
    Framework.EU_AI_ACT: FrameworkInfo(
        Framework.EU_AI_ACT,
        "EU AI Act",
        "Regulation (EU) 2024/1689",
        "European Union",
        "Harmonised rules on artificial intelligence.",
    ),
    Framework.OTHER: FrameworkInfo(
        Framework.OTHER,
        "Other references",
        "-",
        "various",
        "Further standards and laws the controls support.",
    ),
}


def _title(member_name: str) -> str:
    return " ".join(w.capitalize() for w in member_name.split("_")).replace(" And ", " and ")


_ATLAS_TITLES = {
    "AML.T0010": "AI Supply Chain Compromise",
    "AML.T0024": "Exfiltration via AI Inference API",
    "AML.T0024.000": "Infer Training Data Membership",
    "AML.T0024.001": "Invert AI Model",
    "AML.T0024.002": "Extract AI Model",
    "AML.T0029": "Denial of AI Service",
    "AML.T0034": "Cost Harvesting",
    "AML.T0040": "AI Model Inference API Access",
    "AML.T0051.000": "LLM Prompt Injection: Direct",
    "AML.T0051.001": "LLM Prompt Injection: Indirect",
    "AML.T0054": "LLM Jailbreak",
    "AML.T0056": "Extract LLM System Prompt",
    "AML.T0057": "LLM Data Leakage",
    "AML.T0070": "RAG Poisoning",
    "AML.M0004": "Restrict Number of AI Model Queries",
    "AML.M0015": "Adversarial Input Detection",
    "AML.M0019": "Control Access to AI Models and Data in Production",
    "AML.M0020": "Generative AI Guardrails",
    "AML.M0023": "AI Bill of Materials",
    "AML.M0024": "AI Telemetry Logging",
    "AML.M0029": "Human In-the-Loop for AI Agent Actions",
}

AIVERIFY_ITEMS: dict[str, str] = {
    "1.2.2": "Inform relevant stakeholders that AI is used in your products and/or services",
    "1.5.1": "Processes in place for communication of incidents to end users",
    "3.5.1": "Link the inference results of the model back to the underlying model and source code",
    "3.6.1": "Log all inputs and inference outputs of the model, and store them for a reasonable "
    "duration so that they can be reviewed",
    "3.12.1": "Log audit trail of when and how each model was deployed, including the code used "
    "to serve the model and what version of the model artefact was used",
    "4.5.1": "Implement deployment strategies such as blue-green and canary deployments",
    "5.4.1": "Ensure that the development environment has been secured, including trust access "
    "controls",
    "5.5.1": "Implement measures to mitigate Inference Attacks, Extraction Attacks, or equivalent",
    "5.5.2": "Implement an alert system for anomalous behaviour (e.g., unauthorised access)",
    "6.5.2": "Monitor requests made to live AI system, e.g., frequency and feature distribution "
    "of queries, in order to detect whether it is being used suspiciously",
    "6.5.3": "Take action on users who exhibit suspicious activity, e.g., flag for review, "
    "rate-limit or block further requests, suspend user accounts",
    "9.2.1": "Process or technology to handle version control, immutable data and an audit "
    "trail of deployment history and inputs/outputs",
    "9.3.1": "Implement fine-grained access control that aligns with various roles for users",
    "10.2.2": "Flag decisions the AI system is significantly unsure of and triage them for a "
    "human to review",
}
"""AI Verify process-checklist items the controls map to (aiverify stock process-checklist
plugin, ``inputs/config_*.ts``), abridged."""

_TITLES: dict[Framework, dict[str, str]] = {
    Framework.OWASP_LLM: {m.value: _title(m.name) for m in OwaspLlm},
    Framework.OWASP_API: {m.value: _title(m.name) for m in OwaspApi},
    Framework.ATLAS_TECHNIQUE: _ATLAS_TITLES,
    Framework.ATLAS_MITIGATION: _ATLAS_TITLES,
    Framework.AI_VERIFY: AIVERIFY_ITEMS,
}


def requirement_title(framework: Framework, identifier: str) -> str:
    """The clause's title where known, else its identifier."""
    return _TITLES.get(framework, {}).get(identifier, identifier)


def referenced_requirements() -> dict[Framework, list[str]]:
    """Every clause some control maps to, by framework, in first-seen order, no duplicates."""
    out: dict[Framework, list[str]] = {}
    for c in CONTROLS:
        for fw, ids in c.mappings.by_framework().items():
            seen = out.setdefault(fw, [])
            seen.extend(i for i in ids if i not in seen)
    return out
