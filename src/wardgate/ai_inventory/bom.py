"""The AI bill of materials: the catalogue as CycloneDX 1.6 JSON, and what changed between two.

Built with ``cyclonedx-python-lib``:

- each catalogue entry is a ``machine-learning-model`` component (group = the provider that
  serves it, publisher = the model's vendor, version = the version answers name, a
  ``pkg:huggingface`` purl for Hugging Face ids, SHA-256 hashes of model files, and
  ``wardgate:*`` properties for deployment class, hosting, endpoints, callers, data classes,
  approval and unsafe model files);
- each endpoint a model was reached at is a ``service`` (``endpoints``, ``authenticated`` when a
  credential was seen, ``x-trust-boundary`` when it is external, and ``data`` classifications:
  prompt data ``inbound``, answer data ``outbound`` from the service's point of view);
- each gateway route and each scanned project is an ``application`` component;
- AI SDKs and frameworks a code scan found are ``library`` components;
- ``dependencies``: application -> service (traffic) or model and library (code), service ->
  model.

The library does not model ``modelCard`` yet, so it is added to the serialised JSON, with only
facts the catalogue knows (task from the operations called, architecture and quantisation from
model-file headers, observed usage, data classes and unsafe files). The whole document is then
validated against the CycloneDX 1.6 JSON schema; an invalid one is never returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit
from uuid import UUID

from cyclonedx.model import DataClassification, DataFlow, HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.service import Service
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

import wardgate
from wardgate.ai_inventory.catalogue import ModelEntry
from wardgate.ai_inventory.deployment import EXTERNAL
from wardgate.ai_inventory.scan.model_ids import HUB_GENERAL_ORGS, HUB_MODEL_ORGS
from wardgate.ai_inventory.scan.result import ScanReport, SdkUse

P: Final = "wardgate:"
MAX_PROPERTY_VALUES: Final = 20
_TASKS: Final = {
    "chat": "text-generation",
    "messages": "text-generation",
    "responses": "text-generation",
    "completions": "text-generation",
    "generate": "text-generation",
    "converse": "text-generation",
    "invoke": "text-generation",
    "embeddings": "feature-extraction",
    "embed": "feature-extraction",
}
_EXACT_VERSION = re.compile(r"(?:==)?v?(\d+(?:\.[0-9A-Za-z-]+)*)")
_PURL_TYPES: Final = {"python": "pypi", "javascript": "npm", "java": "maven", "go": "golang"}
_ARTEFACT_PROPERTIES: Final = (
    ("architecture", "architecture"),
    ("parameters", "parameters"),
    ("file_type", "quantisation"),
    ("size_label", "size-label"),
    ("context_length", "context-length"),
    ("tensors", "tensors"),
)


class BomError(ValueError):
    """The document is not valid CycloneDX 1.6 (``errors`` says why)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = tuple(errors)


def validate_bom(document: str | Mapping[str, Any]) -> list[str]:
    """Problems with ``document`` against the CycloneDX 1.6 JSON schema; empty when valid."""
    text = document if isinstance(document, str) else json.dumps(document)
    found = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    if found is None:
        return []
    errors = [found] if not isinstance(found, Iterable) else list(found)
    return [_first_line(str(e.data.message if hasattr(e.data, "message") else e)) for e in errors]


def _first_line(text: str) -> str:
    return text.splitlines()[0][:300] if text else "invalid"


def build_bom(
    entries: Iterable[ModelEntry],
    *,
    scan: ScanReport | None = None,
    serial: UUID | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """The AI-BOM of ``entries`` (and of the libraries ``scan`` found), validated.

    Raises :class:`BomError` if the result does not validate (a bug, never an input problem).
    """
    models = sorted(entries, key=lambda e: e.key)
    bom = Bom(serial_number=serial) if serial is not None else Bom()
    bom.metadata = BomMetaData(
        timestamp=timestamp or datetime.now(UTC),
        tools=ToolRepository(
            components=[
                Component(
                    type=ComponentType.APPLICATION,
                    name="wardgate",
                    group="wardgate",
                    version=wardgate.__version__,
                )
            ]
        ),
    )
    model_components: dict[str, Component] = {}
    for entry in models:
        component = _model_component(entry)
        model_components[entry.key] = component
        bom.components.add(component)
    services = _services(models, model_components)
    for service, _ in services.values():
        bom.services.add(service)
    libraries = _libraries(scan.sdks if scan is not None else ())
    for library, _ in libraries.values():
        bom.components.add(library)
    applications: dict[str, Component] = {}

    def application(name: str) -> Component:
        if name not in applications:
            applications[name] = Component(
                type=ComponentType.APPLICATION, name=name, bom_ref=f"application:{name}"
            )
            bom.components.add(applications[name])
        return applications[name]

    for service, served in services.values():
        bom.register_dependency(service, [model_components[k] for k in sorted(served)])
    uses: dict[str, list[Any]] = {}
    for entry in models:
        via = [s for s, served in services.values() if entry.key in served]
        for app, _ in entry.applications.items():
            if via:  # a route: it calls the services that expose the model
                uses.setdefault(app, []).extend(via)
            else:  # a code project: it uses the model itself
                uses.setdefault(app, []).append(model_components[entry.key])
    for library, apps in libraries.values():
        for app in apps:
            uses.setdefault(app, []).append(library)
    for name in sorted(uses):
        targets = {id(t): t for t in uses[name]}
        bom.register_dependency(application(name), list(targets.values()))
    data: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    cards = {f"model:{e.key}": _model_card(e) for e in models}
    for component in data.get("components", []):
        card = cards.get(component.get("bom-ref", ""))
        if card:
            component["modelCard"] = card
    errors = validate_bom(data)
    if errors:
        raise BomError(errors)
    return data


def bom_json(
    entries: Iterable[ModelEntry], *, scan: ScanReport | None = None, indent: int | None = 2
) -> str:
    """:func:`build_bom` as JSON text."""
    return json.dumps(build_bom(entries, scan=scan), indent=indent, ensure_ascii=False)


# -- components ------------------------------------------------------------------------------


def _props(*pairs: tuple[str, object]) -> list[Property]:
    out = []
    for name, value in pairs:
        if value is None or value == "":
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(Property(name=P + name, value=text))
    return out


def _counts(counter: Iterable[tuple[str, int]]) -> str | None:
    items = list(counter)[:MAX_PROPERTY_VALUES]
    return ", ".join(f"{k}={n}" for k, n in items) or None


def _model_component(entry: ModelEntry) -> Component:
    pairs: list[tuple[str, object]] = [
        ("deployment", entry.deployment),
        ("hosting", entry.hosting),
        ("provider", entry.provider),
        ("provider-inferred", entry.inferred_provider or None),
        ("family", entry.family),
        ("open-weights", entry.open_weights),
        ("sources", ", ".join(sorted(entry.sources))),
        ("calls", entry.calls or None),
        ("callers", entry.caller_count if entry.calls else None),
        ("data-classes:prompt", _counts(entry.data_in.items())),
        ("data-classes:answer", _counts(entry.data_out.items())),
        ("detections", _counts(entry.detections.items())),
        ("approved", entry.approved),
        ("unapproved-calls", entry.unapproved_calls or None),
        ("unapproved-callers", _counts(entry.unapproved_callers.top(MAX_PROPERTY_VALUES))),
        ("first-seen", _iso(entry.first_seen)),
        ("last-seen", _iso(entry.last_seen)),
    ]
    pairs += [("endpoint", url) for url in sorted(entry.endpoints)]
    pairs += [("requested-as", name) for name, _ in entry.requested.top(MAX_PROPERTY_VALUES)]
    pairs += [("code-location", where) for where in entry.code_locations[:MAX_PROPERTY_VALUES]]
    for artefact in entry.artefacts:
        pairs.append(("artefact:path", artefact.path))
        if artefact.dangerous:
            pairs.append(
                ("artefact:dangerous", f"{artefact.path}: {artefact.severity or 'warning'}")
            )
            pairs.append(("artefact:unsafe-globals", ", ".join(artefact.unsafe_globals)))
    if any(a.dangerous for a in entry.artefacts):
        pairs.append(("dangerous", True))
    hashes = [
        HashType(alg=HashAlgorithm.SHA_256, content=a.sha256)
        for a in entry.artefacts
        if a.sha256 is not None
    ]
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=f"model:{entry.key}",
        name=entry.name,
        version=entry.version,
        group=entry.provider,
        publisher=entry.vendor or entry.provider,
        description=f"{entry.name} served by {entry.provider} ({entry.deployment})",
        purl=_model_purl(entry),
        hashes=hashes,
        properties=_props(*pairs),
    )


def _model_purl(entry: ModelEntry) -> PackageURL | None:
    org, sep, name = entry.model.partition("/")
    if not sep or "/" in name or not name:
        return None
    if (
        org not in HUB_MODEL_ORGS
        and org not in HUB_GENERAL_ORGS
        and entry.provider != "huggingface"
    ):
        return None
    return PackageURL(type="huggingface", namespace=org, name=name)


def _model_card(entry: ModelEntry) -> dict[str, Any]:
    params: dict[str, Any] = {}
    operation = entry.operations.top(1)
    task = _TASKS.get(operation[0][0]) if operation else None
    if task:
        params["task"] = task
        params["inputs"] = [{"format": "text"}]
        params["outputs"] = [{"format": "text" if task == "text-generation" else "vector"}]
    if entry.family:
        params["architectureFamily"] = entry.family
    architecture = next(
        (str(a.metadata["architecture"]) for a in entry.artefacts if "architecture" in a.metadata),
        None,
    )
    if architecture:
        params["modelArchitecture"] = architecture
    card: dict[str, Any] = {}
    if params:
        card["modelParameters"] = params
    if entry.calls:
        metrics = [
            {"type": "observed-calls", "value": str(entry.calls)},
            {"type": "observed-input-tokens", "value": str(entry.input_tokens)},
            {"type": "observed-output-tokens", "value": str(entry.output_tokens)},
            {"type": "observed-errors", "value": str(entry.errors)},
        ]
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations: dict[str, Any] = {}
    if entry.calls:
        considerations["users"] = [f"{entry.caller_count} distinct callers"]
    uses = [name for name, _ in entry.applications.top(MAX_PROPERTY_VALUES)]
    if uses:
        considerations["useCases"] = uses
    limitations = [
        f"model file {a.path} runs code when loaded ({', '.join(a.unsafe_globals)})"
        for a in entry.artefacts
        if a.dangerous
    ]
    if limitations:
        considerations["technicalLimitations"] = limitations
    risks = [
        {"name": f"{where} carried {name} ({count} calls)"}
        for where, counter in (("prompts", entry.data_in), ("answers", entry.data_out))
        for name, count in counter.top(MAX_PROPERTY_VALUES)
    ]
    if risks:
        considerations["ethicalConsiderations"] = risks
    if considerations:
        card["considerations"] = considerations
    facts = [
        {"name": f"{P}artefact:{label}", "value": f"{a.path}: {_text(a.metadata[key])}"}
        for a in entry.artefacts
        for key, label in _ARTEFACT_PROPERTIES
        if key in a.metadata
    ]
    facts += [
        {"name": f"{P}artefact:format", "value": f"{a.path}: {a.format}"} for a in entry.artefacts
    ]
    if facts:
        card["properties"] = facts
    return card


def _text(value: object) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def _iso(at: float) -> str | None:
    return datetime.fromtimestamp(at, UTC).isoformat() if at > 0 else None


@dataclass(slots=True)
class _ServiceFacts:
    provider: str
    hosting: str | None
    authenticated: bool | None = None
    kinds: set[str] = field(default_factory=set)
    data_in: set[str] = field(default_factory=set)
    data_out: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)


def _services(
    models: list[ModelEntry], components: Mapping[str, Component]
) -> dict[str, tuple[Service, set[str]]]:
    facts: dict[str, _ServiceFacts] = {}
    for entry in models:
        for url, stats in entry.endpoints.items():
            seen = facts.setdefault(url, _ServiceFacts(entry.provider, entry.hosting))
            seen.authenticated = True if stats.authenticated else seen.authenticated
            seen.kinds.update(k for k, _ in stats.kinds.items())
            seen.data_in.update(k for k, _ in entry.data_in.items())
            seen.data_out.update(k for k, _ in entry.data_out.items())
            seen.models.add(entry.key)
    out: dict[str, tuple[Service, set[str]]] = {}
    for url in sorted(facts):
        seen = facts[url]
        data = [
            DataClassification(flow=DataFlow.INBOUND, classification=c)
            for c in sorted(seen.data_in)
        ]
        data += [
            DataClassification(flow=DataFlow.OUTBOUND, classification=c)
            for c in sorted(seen.data_out)
        ]
        service = Service(
            name=urlsplit(url).netloc or url,
            bom_ref=f"service:{url}",
            group=seen.provider,
            endpoints=[XsUri(url)],
            authenticated=seen.authenticated,
            x_trust_boundary=True if seen.hosting == EXTERNAL else None,
            data=data,
            properties=_props(
                ("hosting", seen.hosting),
                ("provider", seen.provider),
                *(("wire-format", k) for k in sorted(seen.kinds)),
            ),
        )
        out[url] = (service, seen.models)
    return out


def _libraries(sdks: Iterable[SdkUse]) -> dict[tuple[str, str], tuple[Component, set[str]]]:
    """One library component per (ecosystem, library), from its manifest declaration when the
    scan saw one (package name and exact version), else from its imports."""
    chosen: dict[tuple[str, str], SdkUse] = {}
    where: dict[tuple[str, str], list[str]] = {}
    apps: dict[tuple[str, str], set[str]] = {}
    for use in sdks:
        key = (use.ecosystem, use.library)
        current = chosen.get(key)
        if current is None or (current.source != "manifest" and use.source == "manifest"):
            chosen[key] = use
        locations = where.setdefault(key, [])
        if len(locations) < MAX_PROPERTY_VALUES:
            locations.append(f"{use.path}:{use.line}" if use.line else use.path)
        parts = use.path.replace("\\", "/").split("/")
        if len(parts) > 1:
            apps.setdefault(key, set()).add(parts[0])
    out: dict[tuple[str, str], tuple[Component, set[str]]] = {}
    for key in sorted(chosen):
        use = chosen[key]
        manifest = use.source == "manifest"
        version = (
            _exact_version(use.version_spec, keep_v=use.ecosystem == "go") if manifest else None
        )
        name = use.package if manifest else use.library
        group = None
        if manifest and use.ecosystem == "java" and ":" in use.package:
            group, _, name = use.package.partition(":")
        component = Component(
            type=ComponentType.LIBRARY,
            bom_ref=f"library:{key[0]}:{key[1]}",
            name=name,
            group=group,
            version=version,
            purl=_library_purl(use, group, name, version) if manifest else None,
            properties=_props(
                ("sdk-provider", use.provider),
                ("sdk-category", use.category),
                ("ecosystem", use.ecosystem),
                ("version-spec", use.version_spec),
                *(("code-location", w) for w in where[key]),
            ),
        )
        out[key] = (component, apps.get(key, set()))
    return out


def _exact_version(spec: str | None, *, keep_v: bool = False) -> str | None:
    """The version a manifest pins exactly (``==1.2.3``, ``1.2.3``), not a range."""
    if not spec:
        return None
    found = _EXACT_VERSION.fullmatch(spec.strip())
    if found is None:
        return None
    return spec.strip().removeprefix("==") if keep_v else found.group(1)


def _library_purl(
    use: SdkUse, group: str | None, name: str, version: str | None
) -> PackageURL | None:
    kind = _PURL_TYPES.get(use.ecosystem)
    if kind is None:
        return None
    namespace = group
    if kind == "npm" and name.startswith("@") and "/" in name:
        namespace, _, name = name.partition("/")
    elif kind == "golang" and "/" in name:
        namespace, _, name = name.rpartition("/")
    elif kind == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    try:
        return PackageURL(type=kind, namespace=namespace, name=name, version=version)
    except ValueError:
        return None


# -- diff --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelChange:
    """One field of one model that differs between two BOMs."""

    ref: str
    name: str
    provider: str | None
    field: str
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "name": self.name,
            "provider": self.provider,
            "field": self.field,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True, slots=True)
class BomDiff:
    """Models added and removed (as ``{ref, name, provider, version, deployment}``), and fields
    changed: ``version``, ``deployment``, ``hosting``, ``approved``."""

    added: tuple[dict[str, Any], ...] = ()
    removed: tuple[dict[str, Any], ...] = ()
    changed: tuple[ModelChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [c.to_dict() for c in self.changed],
        }

    def text(self) -> str:
        if not self:
            return "no model changes"
        lines = [
            f"models: {len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"
        ]
        for sign, models in (("+", self.added), ("-", self.removed)):
            for m in models:
                version = f" {m['version']}" if m.get("version") else ""
                lines.append(
                    f"{sign} {m['provider'] or '-'}/{m['name']}{version} ({m['deployment'] or '-'})"
                )
        for c in self.changed:
            lines.append(
                f"~ {c.provider or '-'}/{c.name}: {c.field} {c.old or '-'} -> {c.new or '-'}"
            )
        return "\n".join(_printable(line) for line in lines)


_DIFF_FIELDS: Final = ("version", "deployment", "hosting", "approved")


def bom_diff(old: str | Mapping[str, Any], new: str | Mapping[str, Any]) -> BomDiff:
    """What changed in the models of two AI-BOMs (JSON text or parsed). Raises ValueError when
    either is not a CycloneDX document."""
    before, after = _models(old), _models(new)
    added = tuple(after[r] for r in sorted(set(after) - set(before)))
    removed = tuple(before[r] for r in sorted(set(before) - set(after)))
    changed = tuple(
        ModelChange(
            ref, after[ref]["name"], after[ref]["provider"], f, before[ref][f], after[ref][f]
        )
        for ref in sorted(set(before) & set(after))
        for f in _DIFF_FIELDS
        if before[ref][f] != after[ref][f]
    )
    return BomDiff(added, removed, changed)


def _models(document: str | Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(document) if isinstance(document, str) else document
    except RecursionError:
        raise ValueError("the document nests too deeply") from None
    if not isinstance(data, Mapping) or data.get("bomFormat") != "CycloneDX":
        raise ValueError("not a CycloneDX JSON document")
    out: dict[str, dict[str, Any]] = {}
    for component in _walk(data.get("components")):
        if component.get("type") != "machine-learning-model":
            continue
        props: dict[str, str] = {}
        for prop in component.get("properties") or ():
            if isinstance(prop, Mapping) and isinstance(prop.get("name"), str):
                props.setdefault(prop["name"], str(prop.get("value")))
        name = str(component.get("name", ""))
        group = component.get("group")
        ref = str(component.get("bom-ref") or f"{group}/{name}")
        out[ref] = {
            "ref": ref,
            "name": name,
            "provider": group if isinstance(group, str) else None,
            "version": _opt(component.get("version")),
            "deployment": props.get(P + "deployment"),
            "hosting": props.get(P + "hosting"),
            "approved": props.get(P + "approved"),
        }
    return out


def _walk(components: Any) -> Iterable[Mapping[str, Any]]:
    """Every component, nested ones included (iteratively: a document may nest deeply)."""
    stack = [components]
    while stack:
        level = stack.pop()
        for component in level if isinstance(level, list) else ():
            if isinstance(component, Mapping):
                yield component
                stack.append(component.get("components"))


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


__all__ = [
    "BomDiff",
    "BomError",
    "ModelChange",
    "bom_diff",
    "bom_json",
    "build_bom",
    "validate_bom",
]
