"""Settings: validated where they are written, turned into the parameters features use."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wardgate.abuse.observation import Scope
from wardgate.abuse.settings import AbuseSettings, ResponseRule, WindowSettings


def test_defaults_are_valid_and_alert_only_except_extraction() -> None:
    settings = AbuseSettings()
    assert settings.state == "memory"
    assert settings.scopes == (Scope.IDENTITY,)
    rules = {r.detector: r.actions for r in settings.responses}
    assert rules["*"] == ("alert",)
    assert "degrade" in rules["model_extraction"]
    params = settings.feature_params()
    assert [w.name for w in params.windows] == ["1h", "24h"]
    assert params.baseline.half_life_h == settings.baseline.half_life_h


@pytest.mark.parametrize(
    "data",
    [
        {"state": "redis"},  # no URL
        {"scopes": []},
        {"windows": {"short_bucket_s": 3600, "long_bucket_s": 600}},
        {"responses": [{"detector": "model_theft"}]},
        {"responses": [{"actions": ["ban_forever"]}]},
        {"extraction": {"threshold": 1.5}},
        {"unknown": 1},
    ],
)
def test_invalid_settings_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AbuseSettings.model_validate(data)


def test_yaml_shaped_settings() -> None:
    settings = AbuseSettings.model_validate(
        {
            "state": "redis",
            "redis_url": "redis://localhost:6379/0",
            "scopes": ["identity", "tenant"],
            "windows": {"short_bucket_s": 300, "long_bucket_s": 7200, "buckets": 6},
            "responses": [
                {
                    "detector": "cost_harvesting",
                    "actions": ["alert", "throttle"],
                    "throttle_factor": 0.5,
                }
            ],
        }
    )
    assert settings.scopes == (Scope.IDENTITY, Scope.TENANT)
    assert [
        w.name for w in WindowSettings(short_bucket_s=300, long_bucket_s=7200, buckets=6).specs()
    ] == ["30m", "12h"]
    assert settings.responses[0] == ResponseRule(
        detector="cost_harvesting", actions=("alert", "throttle"), throttle_factor=0.5
    )
