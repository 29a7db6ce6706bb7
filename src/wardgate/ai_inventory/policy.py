"""The approved-model allowlist, shadow AI, and the same list as Cedar the gateway enforces.

The allowlist is YAML: a list (or a mapping with an ``approved:`` list) of entries::

    approved:
      - provider: openai            # optional: the catalogue's provider id
        model: "gpt-4o*"            # glob, ``*`` only; matched against the normalised id
        deployment: external        # optional: external | internal | open_source
        groups: [eng]               # optional: callers in one of these groups...
        identities: [svc-reports]   # ...or these subjects (neither: anyone)
        routes: [openai]            # optional: only through these gateway routes

A call is *approved* when one entry matches its provider, model, deployment, caller and route;
a model is approved when an entry matches it for someone, somewhere. Calls that are not
approved are *shadow AI*: the catalogue records their callers on the model's entry.

:func:`cedar_policy_for` renders the list as one Cedar ``forbid ... unless`` policy against the
gateway's schema (:mod:`wardgate.policy.authz`); add it to the gateway's permit rules (for
example :data:`~wardgate.policy.authz.DEFAULT_POLICY`). Cedar sees less than the catalogue: the
model as the client spelled it (``context.model``, matched case-sensitively, no prefix
stripping) and the route. Provider and hosting conditions therefore become route conditions,
given what each route's upstream is (:func:`route_facts`), and an entry Cedar cannot express
(``deployment: open_source``, or a provider no route reaches) is left out as a comment: the
rendering fails closed, never open. Calls naming no model (``context.model == ""``: plain HTTP
routes, model listings) are not governed by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import yaml

from wardgate.ai_inventory.deployment import (
    DEFAULT_NETWORK,
    DEPLOYMENTS,
    EXTERNAL,
    INTERNAL,
    OPEN_SOURCE,
    NetworkRules,
)
from wardgate.ai_inventory.model_names import normalise_model_id
from wardgate.ai_inventory.providers import identify_provider
from wardgate.core.exchange import Identity
from wardgate.policy.authz import validate_policy

POLICY_ID: Final = "ai-allowlist"
MAX_ENTRIES: Final = 1000
_MODEL_PATTERN = re.compile(r"[A-Za-z0-9._:/@+*-]{1,160}")
_PROVIDER = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_ENTRY_KEYS = frozenset({"provider", "model", "deployment", "groups", "identities", "routes"})
# The gateway's route kinds whose requests Cedar sees a model for, and their wire dialect.
_ROUTE_DIALECTS: Final = {
    "openai": "openai",
    "openai-compatible": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "ollama": "ollama",
}
# Without route facts: the route kinds that can only reach one provider.
_KIND_PROVIDERS: Final = {"anthropic": "anthropic", "gemini": "google", "ollama": "ollama"}


class AllowlistError(ValueError):
    """The allowlist does not parse or an entry is invalid (the message says which)."""


class ModelFacts(Protocol):
    """What approval looks at: a :class:`~wardgate.ai_inventory.catalogue.ModelEntry` or a call."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def deployment(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One call's model facts (``model`` is the normalised id)."""

    provider: str
    model: str
    deployment: str


@dataclass(frozen=True, slots=True)
class ApprovedModel:
    """One allowlist entry. Empty ``groups``/``identities`` mean anyone; empty ``routes`` any
    route; ``provider``/``deployment`` None any."""

    model: str = "*"
    provider: str | None = None
    deployment: str | None = None
    groups: tuple[str, ...] = ()
    identities: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()

    def matches_model(self, facts: ModelFacts) -> bool:
        if self.provider is not None and facts.provider != self.provider:
            return False
        if self.deployment is not None and facts.deployment != self.deployment:
            return False
        return fnmatchcase(normalise_model_id(facts.model), self.model)

    def matches_caller(self, identity: Identity | None, route: str | None) -> bool:
        if self.routes and (route is None or route not in self.routes):
            return False
        if not (self.groups or self.identities):
            return True
        if identity is None or identity.is_anonymous:
            return False
        return identity.subject in self.identities or any(g in self.groups for g in identity.groups)


@dataclass(frozen=True, slots=True)
class Allowlist:
    """The approved models; see the module docstring."""

    entries: tuple[ApprovedModel, ...] = ()

    def approves_model(self, facts: ModelFacts) -> bool:
        """Some entry approves this model for someone, through some route."""
        return any(e.matches_model(facts) for e in self.entries)

    def is_approved(
        self, facts: ModelFacts, identity: Identity | None = None, route: str | None = None
    ) -> bool:
        """This call (or, with neither ``identity`` nor ``route``, this model) is approved."""
        if identity is None and route is None:
            return self.approves_model(facts)
        return any(
            e.matches_model(facts) and e.matches_caller(identity, route) for e in self.entries
        )

    @classmethod
    def from_data(cls, data: Any) -> Allowlist:
        """From parsed YAML/JSON; raises :class:`AllowlistError`."""
        if isinstance(data, Mapping):
            if set(data) - {"approved"}:
                raise AllowlistError("the allowlist mapping takes one key, 'approved'")
            data = data.get("approved") or []
        if not isinstance(data, list):
            raise AllowlistError("the allowlist is a list of entries")
        if len(data) > MAX_ENTRIES:
            raise AllowlistError(f"the allowlist has more than {MAX_ENTRIES} entries")
        return cls(tuple(_entry(i, item) for i, item in enumerate(data)))

    @classmethod
    def from_yaml(cls, text: str) -> Allowlist:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise AllowlistError(f"the allowlist is not valid YAML: {exc}") from None
        return cls.from_data(data if data is not None else [])

    @classmethod
    def load(cls, path: str | Path) -> Allowlist:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise AllowlistError(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise AllowlistError(f"{path} is not UTF-8 text") from None
        return cls.from_yaml(text)


def _entry(index: int, item: Any) -> ApprovedModel:
    where = f"allowlist entry {index + 1}"
    if not isinstance(item, Mapping):
        raise AllowlistError(f"{where}: expected a mapping")
    unknown = sorted(str(k) for k in set(item) - _ENTRY_KEYS)
    if unknown:
        raise AllowlistError(f"{where}: unknown keys {', '.join(unknown)}")
    model = item.get("model", "*")
    if not isinstance(model, str) or not _MODEL_PATTERN.fullmatch(model):
        raise AllowlistError(
            f"{where}: model is a glob of letters, digits, '._:/@+-' and '*' (1-160 characters)"
        )
    provider = item.get("provider")
    if provider is not None and (
        not isinstance(provider, str) or not _PROVIDER.fullmatch(provider)
    ):
        raise AllowlistError(f"{where}: provider is a lower-case provider id such as 'openai'")
    deployment = item.get("deployment")
    if deployment is not None and deployment not in DEPLOYMENTS:
        raise AllowlistError(f"{where}: deployment is one of {', '.join(DEPLOYMENTS)}")
    return ApprovedModel(
        model=_normalise_pattern(model),
        provider=provider,
        deployment=deployment,
        groups=_names(where, "groups", item.get("groups")),
        identities=_names(where, "identities", item.get("identities")),
        routes=_names(where, "routes", item.get("routes")),
    )


def _normalise_pattern(pattern: str) -> str:
    """The glob as the normalised ids it is matched against spell them."""
    if pattern == "*":
        return pattern
    return normalise_model_id(pattern) or pattern.lower()


def _names(where: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v and len(v) <= 256 and v.isprintable() for v in value
    ):
        raise AllowlistError(f"{where}: {key} is a list of names (printable, 1-256 characters)")
    return tuple(value)


# -- Cedar -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteFacts:
    """What the catalogue knows of a gateway route: who its upstream is and where it runs."""

    name: str
    provider: str
    hosting: str | None


class RouteLike(Protocol):
    """A gateway route (:class:`wardgate.gateway.config.Route`)."""

    @property
    def name(self) -> str: ...

    @property
    def upstream(self) -> str: ...

    @property
    def provider(self) -> str: ...


def route_facts(
    routes: Iterable[RouteLike], network: NetworkRules = DEFAULT_NETWORK
) -> dict[str, RouteFacts]:
    """Provider and hosting of each route that can carry a model call, from its upstream URL
    and kind (plain ``http`` routes are left out: Cedar sees no model on them)."""
    out: dict[str, RouteFacts] = {}
    for route in routes:
        dialect = _ROUTE_DIALECTS.get(route.provider)
        if dialect is None:
            continue
        host = urlsplit(route.upstream).netloc.rpartition("@")[2]
        hosting = network.hosting(host)
        provider = identify_provider(host, wire=dialect, internal=hosting == INTERNAL)
        out[route.name] = RouteFacts(route.name, provider, hosting)
    return out


def cedar_policy_for(allowlist: Allowlist, routes: Mapping[str, RouteFacts] | None = None) -> str:
    """The allowlist as Cedar policy text for the gateway's :class:`~wardgate.policy.authz.
    Authorizer`: one ``@id("ai-allowlist")`` forbid on every call naming a model, unless an
    entry approves it. ``routes`` (from :func:`route_facts`) lets provider and hosting
    conditions become route conditions; without it only the route kinds that reach a single
    provider (anthropic, gemini, ollama) can stand for one. Validated before it is returned."""
    lines = [
        "// Generated by Wardgate from the approved-model allowlist: a call that names a model",
        "// is forbidden unless an allowlist entry approves it for the caller and the route.",
    ]
    conditions: list[str] = []
    for index, entry in enumerate(allowlist.entries):
        condition, why = _condition(entry, routes)
        if condition is None:
            lines.append(f"// entry {index + 1} (model {entry.model}) left out: {why}")
        else:
            conditions.append(condition)
    unless = "\n  || ".join(conditions) if conditions else "false"
    lines += [
        f'@id("{POLICY_ID}")',
        'forbid (principal, action == Wardgate::Action::"call", resource)',
        'when { context.model != "" }',
        f"unless {{\n  {unless}\n}};",
        "",
    ]
    text = "\n".join(lines)
    errors = validate_policy(text)
    if errors:  # a bug here, never a user error: entries were validated on load
        raise AllowlistError("the rendered Cedar policy does not validate: " + "; ".join(errors))
    return text


def _condition(
    entry: ApprovedModel, routes: Mapping[str, RouteFacts] | None
) -> tuple[str | None, str]:
    """The Cedar condition approving ``entry``'s calls, or None and why it cannot be one."""
    if entry.deployment == OPEN_SOURCE:
        return None, "Cedar cannot tell open weights from a model name; list the models"
    parts: list[str] = []
    if entry.model != "*":
        parts.append(f"context.model like {_cedar_string(entry.model)}")
    allowed_routes: set[str] | None = set(entry.routes) if entry.routes else None
    if entry.provider is not None or entry.deployment in (EXTERNAL, INTERNAL):
        if routes is None:
            if entry.deployment is not None:
                return None, "hosting needs route facts (route_facts(config.routes))"
            kinds = [k for k, p in _KIND_PROVIDERS.items() if p == entry.provider]
            if not kinds:
                return None, f"no route kind reaches only {entry.provider}; pass route facts"
            parts.append(
                "(" + " || ".join(f"resource.provider == {_cedar_string(k)}" for k in kinds) + ")"
            )
        else:
            reaching = {
                name
                for name, facts in routes.items()
                if (entry.provider is None or facts.provider == entry.provider)
                and (entry.deployment is None or facts.hosting == entry.deployment)
            }
            allowed_routes = reaching if allowed_routes is None else allowed_routes & reaching
    if allowed_routes is not None:
        if not allowed_routes:
            return None, "no gateway route reaches this provider/hosting"
        members = ", ".join(f"Wardgate::Route::{_cedar_string(r)}" for r in sorted(allowed_routes))
        parts.append(f"resource in [{members}]")
    who = [f"principal in Wardgate::Group::{_cedar_string(g)}" for g in entry.groups]
    who += [f"principal == Wardgate::Identity::{_cedar_string(i)}" for i in entry.identities]
    if who:
        parts.append("!context.anonymous && (" + " || ".join(who) + ")")
    return "(" + (" && ".join(parts) if parts else "true") + ")", ""


def _cedar_string(value: str) -> str:
    """A Cedar string literal; in a ``like`` pattern its ``*`` are wildcards (allowlist model
    globs hold no other special character, names no control character)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


__all__ = [
    "POLICY_ID",
    "Allowlist",
    "AllowlistError",
    "ApprovedModel",
    "ModelCall",
    "ModelFacts",
    "RouteFacts",
    "cedar_policy_for",
    "route_facts",
]
