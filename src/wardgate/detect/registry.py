"""Registry of detector factories, each with its typed configuration model.

A detector module registers itself with ``@register("name", ConfigModel)``; YAML configuration then
names detectors and their options, validated against that model before anything runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from wardgate.detect.base import Detector, DetectorConfig

C = TypeVar("C", bound=DetectorConfig)
Factory = Callable[[Any], Detector]


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """One registered detector: how to build it and what options it takes."""

    name: str
    config_model: type[DetectorConfig]
    factory: Factory

    def build(self, options: Mapping[str, Any] | None = None) -> tuple[Detector, DetectorConfig]:
        config = self.config_model.model_validate(dict(options or {}))
        return self.factory(config), config


_REGISTRY: dict[str, DetectorSpec] = {}


def register(
    name: str, config_model: type[C]
) -> Callable[[Callable[[C], Detector]], Callable[[C], Detector]]:
    """Decorator registering a factory ``(config) -> Detector`` under ``name``."""

    def wrap(factory: Callable[[C], Detector]) -> Callable[[C], Detector]:
        if name in _REGISTRY:
            raise ValueError(f"detector {name!r} registered twice")
        _REGISTRY[name] = DetectorSpec(name, config_model, factory)
        return factory

    return wrap


def get(name: str) -> DetectorSpec:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown detector {name!r}; known detectors: {known}") from None


def names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def _load_builtin() -> None:
    """Import the built-in detector modules so their ``@register`` calls run (idempotent)."""
    from wardgate.detect import builtin  # noqa: F401, PLC0415
