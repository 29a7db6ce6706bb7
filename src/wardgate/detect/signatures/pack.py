"""The signature rule pack: YAML files of regex rules, loaded and validated before anything runs.

Rules are data, not code, so that security staff can review and extend them without touching the
engine. Every mistake a rule author can make (unknown key, bad tag, bad severity, duplicate id, too
few examples) fails at load time with the file and rule named, never silently at scan time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wardgate.core.finding import Category, Severity
from wardgate.core.phase import InputKind
from wardgate.core.taxonomy import TaxonomyId, parse_tag

DEFAULT_KINDS: frozenset[InputKind] = frozenset({InputKind.PROMPT, InputKind.DOCUMENT})
_PACKAGE = "wardgate.detect.signatures"
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class PackError(ValueError):
    """A rule file is malformed; the message names the file and the rule."""


class Rule(BaseModel):
    """One signature: a regex for one attack technique, with examples that prove what it means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=3, max_length=100)
    category: Category
    severity: Severity
    score: float = Field(ge=0.0, le=1.0)
    tags: tuple[TaxonomyId, ...] = Field(min_length=1)
    languages: tuple[str, ...] = Field(min_length=1)
    kinds: frozenset[InputKind] = DEFAULT_KINDS
    pattern: str = Field(min_length=1, max_length=4000)
    match: tuple[str, ...] = Field(min_length=2)
    no_match: tuple[str, ...] = Field(min_length=1)
    description: str = ""

    @field_validator("id")
    @classmethod
    def _id_is_dotted_lowercase(cls, value: str) -> str:
        if not set(value) <= _ID_CHARS or "." not in value:
            raise ValueError("id must be dotted lowercase, e.g. 'pi.override.ignore_previous'")
        return value

    @field_validator("severity", mode="before")
    @classmethod
    def _parse_severity(cls, value: Any) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return Severity.parse(value)
        except (KeyError, ValueError, AttributeError):
            raise ValueError(f"unknown severity {value!r}") from None

    @field_validator("tags", mode="before")
    @classmethod
    def _parse_tags(cls, value: Any) -> tuple[TaxonomyId, ...]:
        if not isinstance(value, list | tuple):
            raise ValueError("tags must be a list of taxonomy ids")
        return tuple(parse_tag(str(tag)) for tag in value)

    @field_validator("languages")
    @classmethod
    def _iso_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha() and code.islower()):
                raise ValueError(f"language {code!r} is not an ISO 639 code")
        return value


class RuleFile(BaseModel):
    """The contents of one YAML file: one family of rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    rules: tuple[Rule, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class PackedRule:
    """A validated rule together with the family (file stem) it came from."""

    family: str
    rule: Rule


@dataclass(frozen=True)
class Pack:
    """An ordered, validated set of rules; ``digest`` identifies its content for caching."""

    rules: tuple[PackedRule, ...]

    @cached_property
    def digest(self) -> str:
        h = hashlib.sha256()
        for packed in self.rules:
            r = packed.rule
            h.update(f"{r.id}\0{r.pattern}\0".encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    @property
    def families(self) -> frozenset[str]:
        return frozenset(p.family for p in self.rules)


def builtin_rule_files() -> dict[str, str]:
    """Family name -> YAML text of every rule file shipped with Wardgate."""
    root = resources.files(_PACKAGE) / "rules"
    return {
        entry.name.removesuffix(".yaml"): entry.read_text(encoding="utf-8")
        for entry in sorted(root.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }


def parse_rule_file(text: str, source: str) -> RuleFile:
    """Parse and validate one YAML rule file; ``source`` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PackError(f"{source}: invalid YAML: {exc}") from None
    try:
        return RuleFile.model_validate(data)
    except ValidationError as exc:
        raise PackError(f"{source}: {_describe(exc, data)}") from None


def _describe(exc: ValidationError, data: Any) -> str:
    """Name the offending rule by id, not only by list index, in validation errors."""
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            try:
                rule_id = data["rules"][loc[1]].get("id", "?")
            except (KeyError, IndexError, TypeError, AttributeError):
                rule_id = "?"
            where = f"rule {rule_id!r} " + ".".join(str(p) for p in loc[2:])
        lines.append(f"{where}: {err['msg']}")
    return "; ".join(lines)


def load_pack(
    families: Iterable[str] | None = None,
    *,
    exclude_families: Iterable[str] = (),
    extra_paths: Sequence[str | Path] = (),
    disabled_rules: Iterable[str] = (),
) -> Pack:
    """Load the built-in families (all, or those named) plus extra rule files or directories."""
    builtin = builtin_rule_files()
    wanted = set(builtin) if families is None else set(families)
    unknown = wanted - set(builtin)
    if unknown:
        raise PackError(
            f"unknown rule families {sorted(unknown)}; built-in families: {sorted(builtin)}"
        )
    wanted -= set(exclude_families)
    sources: list[tuple[str, str, str]] = [
        (family, f"builtin:{family}.yaml", builtin[family]) for family in sorted(wanted)
    ]
    for raw in extra_paths:
        path = Path(raw)
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        if not files:
            raise PackError(f"{path}: no *.yaml rule files found")
        for file in files:
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as exc:
                raise PackError(f"{file}: cannot read rule file: {exc}") from None
            sources.append((file.stem, str(file), text))
    return _assemble(sources, frozenset(disabled_rules))


def _assemble(sources: Sequence[tuple[str, str, str]], disabled: frozenset[str]) -> Pack:
    seen: dict[str, str] = {}
    rules: list[PackedRule] = []
    for family, source, text in sources:
        for rule in parse_rule_file(text, source).rules:
            if rule.id in seen:
                raise PackError(
                    f"{source}: duplicate rule id {rule.id!r} (also in {seen[rule.id]})"
                )
            seen[rule.id] = source
            if rule.id not in disabled:
                rules.append(PackedRule(family, rule))
    unknown = disabled - set(seen)
    if unknown:
        raise PackError(f"cannot disable unknown rules {sorted(unknown)}")
    return Pack(tuple(rules))
