"""The official SDKs pointed at canned bytes: whatever they ask, they get the status, body and
content type given, so a test sees the exception (or the stream) a real client would."""

from __future__ import annotations

import anthropic
import httpx2
import openai


def replaying(status: int, body: bytes, content_type: str) -> httpx2.Client:
    """An HTTP client whose every request is answered with this status, body and content type."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=body, headers={"content-type": content_type})

    return httpx2.Client(transport=httpx2.MockTransport(answer))


def openai_client(status: int, body: bytes, content_type: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://wardgate.test/v1",
        max_retries=0,
        http_client=replaying(status, body, content_type),
    )


def anthropic_client(status: int, body: bytes, content_type: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://wardgate.test",
        max_retries=0,
        http_client=replaying(status, body, content_type),
    )
