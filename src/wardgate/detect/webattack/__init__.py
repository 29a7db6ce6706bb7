"""Classic web-attack detection (the WAF part of Wardgate): ``web_attack``."""

from wardgate.detect.webattack.detector import WebAttackConfig, WebAttackDetector
from wardgate.detect.webattack.http import WebAttackHit
from wardgate.detect.webattack.rules import Attack

__all__ = ["Attack", "WebAttackConfig", "WebAttackDetector", "WebAttackHit"]
