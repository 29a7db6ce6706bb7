"""Normalisation and de-obfuscation of text before detection (see :mod:`.unicode`)."""

from wardgate.detect.normalise.unicode import (
    HiddenPayload,
    NormalisationReport,
    Normalised,
    normalise,
)

__all__ = ["HiddenPayload", "NormalisationReport", "Normalised", "normalise"]
