"""Redis clients for the limiter tests (the server is the session fixture in tests/conftest.py)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of its own for each test, so tests never see each other's counters."""
    return f"wardgate:limit:test-{uuid.uuid4().hex}:"
