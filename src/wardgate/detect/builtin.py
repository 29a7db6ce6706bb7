"""Imports every built-in detector module so that each registers itself."""

from __future__ import annotations

import wardgate.detect.classifier.detector
import wardgate.detect.leaks.pii
import wardgate.detect.leaks.secrets
import wardgate.detect.leaks.system_prompt
import wardgate.detect.signatures.detector
import wardgate.detect.webattack  # noqa: F401
