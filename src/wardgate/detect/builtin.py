"""Imports every built-in detector module so that each registers itself."""

from __future__ import annotations
