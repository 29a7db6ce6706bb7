"""Test helpers shipped with Wardgate: a fake LLM upstream and a threaded server to run it on."""

from __future__ import annotations

from wardgate.testing.fake_llm import FakeLLM, RecordedRequest, Reply, ToolCall
from wardgate.testing.server import RunningServer, serve_in_thread

__all__ = ["FakeLLM", "RecordedRequest", "Reply", "RunningServer", "ToolCall", "serve_in_thread"]
