"""Signature detection: a curated, multilingual YAML rule pack compiled into one Hyperscan scan."""

from wardgate.detect.signatures.detector import SignatureDetector, SignaturesConfig
from wardgate.detect.signatures.pack import Pack, PackError, Rule, load_pack

__all__ = ["Pack", "PackError", "Rule", "SignatureDetector", "SignaturesConfig", "load_pack"]
