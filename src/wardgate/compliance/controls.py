"""The 18 governance controls Wardgate evidences, as typed data (``docs/CONTROLS.md`` in shared/).

Each control names the framework clauses it maps to, split by framework so a renderer can group
them (OWASP LLM and API Top 10, MITRE ATLAS techniques and mitigations at :data:`ATLAS_VERSION`,
AI Verify process-checklist items, NIST AI RMF 1.0, NIST AI 600-1, Australia's Guidance for AI
Adoption, Singapore MAS guidelines, EU AI Act articles), and the evidence an auditor expects.
``detection_categories`` ties the gateway's finding categories to the controls they evidence.

The table is the single source of truth for every output: the report, the AI Verify input
blocks (an item is answered only where a control maps to it) and the CycloneDX standards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from wardgate.core.taxonomy import ATLAS_VERSION

__all__ = [
    "AIVERIFY_PRINCIPLES",
    "ATLAS_VERSION",
    "CONTROLS",
    "AiVerifyPrinciple",
    "Control",
    "Framework",
    "Mappings",
    "Strength",
    "control",
]


class Framework(StrEnum):
    """The frameworks controls map to (values are stable identifiers used in outputs)."""

    OWASP_LLM = "owasp-llm-2025"
    OWASP_API = "owasp-api-2023"
    ATLAS_TECHNIQUE = "mitre-atlas-technique"
    ATLAS_MITIGATION = "mitre-atlas-mitigation"
    AI_VERIFY = "aiverify-process-checklist"
    NIST_AI_RMF = "nist-ai-rmf-1.0"
    NIST_600_1 = "nist-ai-600-1"
    AU = "au-guidance-ai-adoption-2025"
    MAS = "mas-ai-risk-management"
    EU_AI_ACT = "eu-ai-act"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Mappings:
    """Framework clauses one control maps to, by framework, in the catalogue's order."""

    owasp_llm: tuple[str, ...] = ()
    owasp_api: tuple[str, ...] = ()
    atlas_techniques: tuple[str, ...] = ()
    atlas_mitigations: tuple[str, ...] = ()
    aiverify: tuple[str, ...] = ()
    nist_ai_rmf: tuple[str, ...] = ()
    nist_600_1: tuple[str, ...] = ()
    au: tuple[str, ...] = ()
    mas: tuple[str, ...] = ()
    eu_ai_act: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    def by_framework(self) -> dict[Framework, tuple[str, ...]]:
        """Non-empty mappings keyed by framework."""
        pairs = (
            (Framework.OWASP_LLM, self.owasp_llm),
            (Framework.OWASP_API, self.owasp_api),
            (Framework.ATLAS_TECHNIQUE, self.atlas_techniques),
            (Framework.ATLAS_MITIGATION, self.atlas_mitigations),
            (Framework.AI_VERIFY, self.aiverify),
            (Framework.NIST_AI_RMF, self.nist_ai_rmf),
            (Framework.NIST_600_1, self.nist_600_1),
            (Framework.AU, self.au),
            (Framework.MAS, self.mas),
            (Framework.EU_AI_ACT, self.eu_ai_act),
            (Framework.OTHER, self.other),
        )
        return {fw: ids for fw, ids in pairs if ids}


@dataclass(frozen=True, slots=True)
class Control:
    """One control: its catalogue number and title, mappings and the evidence it needs."""

    number: int
    title: str
    mappings: Mappings
    evidence: tuple[str, ...]
    detection_categories: frozenset[str] = field(default_factory=frozenset)

    @property
    def ref(self) -> str:
        """Stable short id (``WG-05``) used as a reference in JSON and CycloneDX outputs."""
        return f"WG-{self.number:02d}"


CONTROLS: tuple[Control, ...] = (
    Control(
        1,
        "AI asset inventory, including shadow AI seen in traffic",
        Mappings(
            owasp_llm=("LLM03",),
            owasp_api=("API9",),
            nist_ai_rmf=("GOVERN 1.6", "MAP 4.1"),
            mas=("AI inventory",),
        ),
        ("versioned CycloneDX ML-BOM", "diffs", "unregistered models and endpoints"),
    ),
    Control(
        2,
        "Model provenance and version pinning",
        Mappings(
            owasp_llm=("LLM03", "LLM04"),
            atlas_techniques=("AML.T0010",),
            atlas_mitigations=("AML.M0023",),
            nist_ai_rmf=("MANAGE 3.2",),
        ),
        ("model hashes", "drift from pinned versions"),
    ),
    Control(
        3,
        "Caller authentication",
        Mappings(
            owasp_api=("API2",),
            atlas_mitigations=("AML.M0019",),
            aiverify=("5.5.1",),
            other=("NIST SP 800-207 tenet 2", "NIST SP 800-207 tenet 6"),
        ),
        (
            "auth success/failure counts",
            "share of traffic authenticated",
            "config snapshot",
        ),
    ),
    Control(
        4,
        "Least-privilege authorisation, deny by default",
        Mappings(
            owasp_llm=("LLM06",),
            owasp_api=("API1", "API3", "API5"),
            aiverify=("5.4.1", "9.3.1"),
        ),
        (
            "policy-set hash",
            "decisions with the deciding policy ids",
            "count of unprotected routes",
        ),
    ),
    Control(
        5,
        "Direct prompt injection and jailbreak screening",
        Mappings(
            owasp_llm=("LLM01",),
            atlas_techniques=("AML.T0051.000", "AML.T0054"),
            atlas_mitigations=("AML.M0015", "AML.M0020"),
            nist_ai_rmf=("MEASURE 2.7",),
            nist_600_1=("Information Security",),
        ),
        ("detections and blocks per route", "detector version", "latest benchmark run"),
        frozenset({"prompt_injection", "jailbreak", "role_spoofing", "obfuscation", "hidden_text"}),
    ),
    Control(
        6,
        "Indirect injection in documents, RAG and tool output",
        Mappings(
            owasp_llm=("LLM01", "LLM08"),
            owasp_api=("API10",),
            atlas_techniques=("AML.T0051.001", "AML.T0070"),
        ),
        ("scans of tool/RAG content by source", "blocked tool calls"),
        frozenset({"indirect_injection"}),
    ),
    Control(
        7,
        "Data-loss prevention on prompts and responses (PII, secrets)",
        Mappings(
            owasp_llm=("LLM02",),
            owasp_api=("API3",),
            atlas_techniques=("AML.T0057",),
            nist_ai_rmf=("MEASURE 2.10",),
            nist_600_1=("Data Privacy",),
            other=("SG PDPA", "AU Privacy Act"),
        ),
        (
            "redactions per data class",
            "blocked responses",
            "proof that logs hold no raw PII",
        ),
        frozenset({"pii", "secret"}),
    ),
    Control(
        8,
        "System-prompt leakage",
        Mappings(owasp_llm=("LLM07",), atlas_techniques=("AML.T0056",)),
        ("canary hits", "responses resembling the system prompt"),
        frozenset({"system_prompt_extraction", "system_prompt_leak"}),
    ),
    Control(
        9,
        "Output handling (active content, exfiltration links)",
        Mappings(owasp_llm=("LLM05",), owasp_api=("API10",)),
        ("neutralised links/markup", "schema failures"),
        frozenset({"exfiltration"}),
    ),
    Control(
        10,
        "Quotas, rate limits, token and cost budgets",
        Mappings(
            owasp_llm=("LLM10",),
            owasp_api=("API4", "API6"),
            atlas_techniques=("AML.T0029", "AML.T0034"),
            atlas_mitigations=("AML.M0004",),
            aiverify=("6.5.3",),
        ),
        ("quota config", "throttle events", "spend per principal"),
    ),
    Control(
        11,
        "Model extraction and inference-API abuse",
        Mappings(
            atlas_techniques=(
                "AML.T0024",
                "AML.T0024.000",
                "AML.T0024.001",
                "AML.T0024.002",
                "AML.T0040",
            ),
            aiverify=("5.5.1", "6.5.2"),
        ),
        ("per-principal anomaly alerts with the statistic that fired",),
        frozenset({"model_extraction"}),
    ),
    Control(
        12,
        "Egress control to external AI providers",
        Mappings(
            owasp_llm=("LLM03",),
            owasp_api=("API7", "API10"),
            nist_ai_rmf=("MANAGE 3.1", "GOVERN 6.1"),
            mas=("Third-party AI",),
        ),
        ("provider allowlist", "blocked destinations"),
    ),
    Control(
        13,
        "Tamper-evident audit trail",
        Mappings(
            atlas_mitigations=("AML.M0024",),
            aiverify=("3.5.1", "3.6.1", "9.2.1"),
            nist_ai_rmf=("MEASURE 2.4",),
            eu_ai_act=("Art. 12", "Art. 19"),
        ),
        ("signed checkpoints", "inclusion and consistency proof verification"),
    ),
    Control(
        14,
        "Monitoring, alerting and incidents",
        Mappings(
            aiverify=("5.5.2", "1.5.1"),
            nist_ai_rmf=("MEASURE 2.4", "MANAGE 4.1"),
            au=("Test and monitor",),
        ),
        ("incident log", "time to acknowledge and resolve"),
    ),
    Control(
        15,
        "Human oversight and kill switch",
        Mappings(
            owasp_llm=("LLM06",),
            atlas_mitigations=("AML.M0029",),
            aiverify=("10.2.2",),
            au=("Maintain human control",),
            eu_ai_act=("Art. 14",),
        ),
        ("approvals", "kill-switch activations"),
    ),
    Control(
        16,
        "AI-use disclosure",
        Mappings(aiverify=("1.2.2",), eu_ai_act=("Art. 50",)),
        ("share of responses carrying the disclosure",),
    ),
    Control(
        17,
        "Safe change management (policy as code)",
        Mappings(owasp_api=("API8", "API9"), aiverify=("4.5.1", "3.12.1")),
        ("config changes in the audit trail", "drift"),
    ),
    Control(
        18,
        "Scheduled red-team regression through the gateway",
        Mappings(
            nist_ai_rmf=("MEASURE 2.7",),
            eu_ai_act=("Art. 15",),
            other=("AI Verify Moonshot",),
        ),
        ("attack-replay results and trend",),
    ),
)

_BY_NUMBER = {c.number: c for c in CONTROLS}


def control(number: int) -> Control:
    """The control numbered ``number`` (1-18); ``KeyError`` otherwise."""
    return _BY_NUMBER[number]


class Strength(StrEnum):
    """How much of an AI Verify principle a gateway can evidence from what it observes."""

    STRONG = "strong"
    PARTIAL = "partial"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class AiVerifyPrinciple:
    """One of AI Verify's 11 principles, its process-checklist ``cid`` and what we can say."""

    number: int
    name: str
    cid: str
    strength: Strength
    reason: str


AIVERIFY_PRINCIPLES: tuple[AiVerifyPrinciple, ...] = (
    AiVerifyPrinciple(
        1,
        "Transparency",
        "transparency_process_checklist",
        Strength.PARTIAL,
        "the gateway sees incidents and whether responses carry a disclosure, not how an "
        "organisation informs its users",
    ),
    AiVerifyPrinciple(
        2,
        "Explainability",
        "explainability_process_checklist",
        Strength.NONE,
        "explaining a model's decisions needs the model, not the traffic to it",
    ),
    AiVerifyPrinciple(
        3,
        "Repeatability / Reproducibility",
        "reproducibility_process_checklist",
        Strength.STRONG,
        "every decision, configuration and policy change is in a tamper-evident log",
    ),
    AiVerifyPrinciple(
        4,
        "Safety",
        "safety_process_checklist",
        Strength.STRONG,
        "configuration changes and failure modes are recorded per route",
    ),
    AiVerifyPrinciple(
        5,
        "Security",
        "security_process_checklist",
        Strength.STRONG,
        "authentication, authorisation, attack screening and alerts are observed per call",
    ),
    AiVerifyPrinciple(
        6,
        "Robustness",
        "robustness_process_checklist",
        Strength.STRONG,
        "requests to live AI systems are monitored and abusive callers throttled",
    ),
    AiVerifyPrinciple(
        7,
        "Fairness",
        "fairness_process_checklist",
        Strength.NONE,
        "fairness needs ground truth and protected attributes the gateway never holds",
    ),
    AiVerifyPrinciple(
        8,
        "Data Governance",
        "data_governance_process_checklist",
        Strength.NONE,
        "training-data quality and lineage happen before any call reaches the gateway",
    ),
    AiVerifyPrinciple(
        9,
        "Accountability",
        "accountability_process_checklist",
        Strength.STRONG,
        "the audit trail and role-based authorisation are the gateway's own records",
    ),
    AiVerifyPrinciple(
        10,
        "Human Agency & Oversight",
        "human_agency_oversight_process_checklist",
        Strength.PARTIAL,
        "only oversight exercised through the gateway (approvals, kill switch) is visible",
    ),
    AiVerifyPrinciple(
        11,
        "Inclusive Growth, Societal & Environmental Well-being",
        "inclusive_growth_process_checklist",
        Strength.NONE,
        "societal and environmental impact is outside what traffic shows",
    ),
)
