"""Anthropic adapter: segments with exact paths, shapes refused precisely, streams byte for byte,
and errors the official SDK raises as its usual exceptions."""

from __future__ import annotations

import copy
import json

import anthropic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.gateway.providers.bodies import (
    JSON,
    mostly,
    redact_each_segment,
    request_or_malformed,
    response_or_malformed,
    segments,
)
from tests.gateway.providers.sdk import anthropic_client
from tests.gateway.providers.streams import (
    any_split,
    assert_forwards_bytes,
    assert_split_changes_nothing,
    byte_by_byte,
    feed,
    typed_event,
)
from wardgate.core.phase import InputKind
from wardgate.gateway.providers.anthropic import AnthropicAdapter
from wardgate.gateway.providers.base import (
    STATUS,
    ErrorKind,
    MalformedRequest,
    ParsedRequest,
    ParsedResponse,
    ProviderAdapter,
    StreamEvent,
    Usage,
    set_at,
)

PR, DOC, OUT = InputKind.PROMPT, InputKind.DOCUMENT, InputKind.OUTPUT
ADAPTER: ProviderAdapter = AnthropicAdapter()
GATEWAY_MESSAGE = "Blocked by Wardgate policy: prompt_injection"


# Requests -------------------------------------------------------------------------------------

MESSAGES = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 1024,
    "system": [
        {"type": "text", "text": "You are a travel agent."},
        {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}},
    ],
    "messages": [
        {"role": "user", "content": "Find me a hotel in Lisbon."},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Use the search tool.", "signature": "sig"},
                {"type": "text", "text": "Searching."},
                {
                    "type": "tool_use",
                    "id": "tu_1",
                    "name": "hotel_search",
                    "input": {"city": "Lisbon"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "tu_1", "content": "Hotel A: 90 EUR"},
                {
                    "type": "tool_result",
                    "tool_use_id": "tu_2",
                    "content": [
                        {"type": "text", "text": "Hotel B: 120 EUR"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"},
                        },
                    ],
                    "is_error": False,
                },
                {"type": "text", "text": "Which is closer to the sea?"},
            ],
        },
        {"role": "assistant", "content": "Hotel B."},
        {
            "role": "user",
            "content": [
                {
                    "type": "document",
                    "source": {
                        "type": "text",
                        "media_type": "text/plain",
                        "data": "Review: great view.",
                    },
                    "title": "Reviews",
                    "context": "Scraped from a travel site",
                    "citations": {"enabled": True},
                },
                {
                    "type": "document",
                    "source": {
                        "type": "content",
                        "content": [{"type": "text", "text": "Chunk one."}],
                    },
                },
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBER"},
                },
                {
                    "type": "search_result",
                    "source": "https://example.test/a",
                    "title": "Beaches",
                    "content": [{"type": "text", "text": "Lisbon has beaches nearby."}],
                },
                {"type": "text", "text": "Summarise all that."},
            ],
        },
    ],
    "tools": [
        {"name": "hotel_search", "description": "Find hotels", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
    ],
    "tool_choice": {"type": "auto"},
    "temperature": 0.3,
    "top_k": 40,
    "stop_sequences": ["END"],
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "metadata": {"user_id": "u-1"},
    "stream": True,
}

REQUESTS = [
    pytest.param(
        "/v1/messages",
        MESSAGES,
        {
            "operation": "messages",
            "model": "claude-sonnet-4-5",
            "stream": True,
            "system_prompt": "You are a travel agent.\nBe brief.",
            "tools_declared": ("hotel_search", "web_search"),
            "tools_called": ("hotel_search",),
            "max_output_tokens": 1024,
            "params": {
                "max_tokens": 1024,
                "temperature": 0.3,
                "top_k": 40,
                "stop_sequences": ["END"],
                "tool_choice": {"type": "auto"},
                "thinking": {"type": "enabled", "budget_tokens": 2048},
            },
        },
        [
            ("Find me a hotel in Lisbon.", PR, ("messages", 0, "content"), "user"),
            ("Searching.", DOC, ("messages", 1, "content", 1, "text"), "assistant"),
            ("Hotel A: 90 EUR", DOC, ("messages", 2, "content", 0, "content"), "tool"),
            ("Hotel B: 120 EUR", DOC, ("messages", 2, "content", 1, "content", 0, "text"), "tool"),
            ("Which is closer to the sea?", PR, ("messages", 2, "content", 2, "text"), "user"),
            ("Hotel B.", DOC, ("messages", 3, "content"), "assistant"),
            (
                "Review: great view.",
                DOC,
                ("messages", 4, "content", 0, "source", "data"),
                "document",
            ),
            ("Reviews", DOC, ("messages", 4, "content", 0, "title"), "document"),
            (
                "Scraped from a travel site",
                DOC,
                ("messages", 4, "content", 0, "context"),
                "document",
            ),
            (
                "Chunk one.",
                DOC,
                ("messages", 4, "content", 1, "source", "content", 0, "text"),
                "document",
            ),
            (
                "Lisbon has beaches nearby.",
                DOC,
                ("messages", 4, "content", 3, "content", 0, "text"),
                "document",
            ),
            ("Beaches", DOC, ("messages", 4, "content", 3, "title"), "document"),
            ("Summarise all that.", PR, ("messages", 4, "content", 4, "text"), "user"),
        ],
        id="messages",
    ),
    pytest.param(
        "/messages?beta=true",
        {
            "model": "claude-haiku-4-5",
            "max_tokens": 5,
            "system": "Be terse.",
            "messages": [{"role": "user", "content": "hi"}],
        },
        {
            "operation": "messages",
            "system_prompt": "Be terse.",
            "stream": False,
            "tools_declared": (),
        },
        [("hi", PR, ("messages", 0, "content"), "user")],
        id="messages-system-string",
    ),
    pytest.param(
        "/v1/messages/count_tokens",
        {
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "count me"}]}],
            "stream": True,
        },
        {"operation": "count_tokens", "stream": False, "max_output_tokens": None},
        [("count me", PR, ("messages", 0, "content", 0, "text"), "user")],
        id="count-tokens",
    ),
    pytest.param(
        "/v1/messages",
        {
            "max_tokens": 10,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "t",
                            "content": [
                                {
                                    "type": "search_result",
                                    "source": "s",
                                    "title": "",
                                    "content": [{"type": "text", "text": "Found it."}],
                                }
                            ],
                        },
                        {"type": "tool_result", "tool_use_id": "u"},
                        {"type": "future_block", "text": "still scanned"},
                    ],
                }
            ],
        },
        {"operation": "messages", "model": None},
        [
            (
                "Found it.",
                DOC,
                ("messages", 0, "content", 0, "content", 0, "content", 0, "text"),
                "document",
            ),
            ("still scanned", PR, ("messages", 0, "content", 2, "text"), "user"),
        ],
        id="nested-search-result",
    ),
]


@pytest.mark.parametrize(("path", "body", "fields", "expected"), REQUESTS)
def test_parse_request(path, body, fields, expected):
    parsed = ADAPTER.parse_request("POST", path, copy.deepcopy(body))
    assert segments(parsed) == expected
    for name, value in fields.items():
        assert getattr(parsed, name) == value, name


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/models"),
        ("POST", "/v1/messages/batches"),
        ("POST", "/v1/complete"),
        ("GET", "/v1/messages"),
        ("POST", "/v1/files"),
    ],
)
def test_other_paths_are_not_parsed(method, path):
    assert ADAPTER.parse_request(method, path, None) == ParsedRequest(operation="other")


M = "/v1/messages"
MALFORMED = [
    ([], "request body must be a JSON object"),
    ({"model": "m"}, "messages must be a list"),
    ({"messages": [1]}, "messages[0] must be an object"),
    (
        {"messages": [{"role": "system", "content": "x"}]},
        'messages[0].role must be "user" or "assistant"',
    ),
    (
        {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": 3}]},
        "messages[1].content must be a string or a list of content blocks",
    ),
    (
        {"messages": [{"role": "user"}]},
        "messages[0].content must be a string or a list of content blocks",
    ),
    (
        {"messages": [{"role": "user", "content": [{"text": "x"}]}]},
        "messages[0].content[0].type must be a string",
    ),
    (
        {"messages": [{"role": "user", "content": ["x"]}]},
        "messages[0].content[0] must be an object",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "text", "text": None}]}]},
        "messages[0].content[0].text must be a string",
    ),
    (
        {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "input": {}}]}]},
        "messages[0].content[0].name must be a string",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "tool_result", "content": 5}]}]},
        "messages[0].content[0].content must be a string or a list of content blocks",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "content": [{"type": "text"}]}],
                }
            ]
        },
        "messages[0].content[0].content[0].text must be a string",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "document", "source": "x"}]}]},
        "messages[0].content[0].source must be an object",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "document", "source": {"type": "text", "data": 1}}],
                }
            ]
        },
        "messages[0].content[0].source.data must be a string",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "search_result", "content": 5}]}]},
        "messages[0].content[0].content must be a string or a list",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "search_result"}]}]},
        "messages[0].content[0].content must be",
    ),
    ({"messages": [], "system": 5}, "system must be a string or a list of text blocks"),
    ({"messages": [], "system": [{"type": "text"}]}, "system[0].text must be a string"),
    ({"messages": [], "tools": [{"description": "no name"}]}, "tools[0].name must be a string"),
    ({"messages": [], "tools": "all"}, "tools must be a list"),
    ({"messages": [], "max_tokens": "1024"}, "max_tokens must be an integer"),
    ({"messages": [], "model": ["claude"]}, "model must be a string"),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED)
def test_malformed_requests_say_where(body, message):
    with pytest.raises(MalformedRequest) as raised:
        ADAPTER.parse_request("POST", M, body)
    assert str(raised.value).startswith(message)


def test_malformed_message_never_quotes_content():
    secret = "sk-ant-SECRET-VALUE-123"
    with pytest.raises(MalformedRequest) as raised:
        ADAPTER.parse_request("POST", M, {"messages": [{"role": secret, "content": secret}]})
    assert secret not in str(raised.value)


@pytest.mark.parametrize(("path", "body"), [(p.values[0], p.values[1]) for p in REQUESTS])
def test_redaction_round_trip(path, body):
    assert redact_each_segment(ADAPTER, path, body)


# Any JSON at all: the parser returns or says MalformedRequest, never anything else.

TEXT = st.text(max_size=6)
TEXT_BLOCK = st.fixed_dictionaries({"type": st.just("text"), "text": mostly(TEXT)})
INNER = st.lists(
    mostly(
        TEXT_BLOCK
        | st.fixed_dictionaries(
            {
                "type": st.sampled_from(["search_result", "image", "x"]),
                "content": mostly(st.lists(mostly(TEXT_BLOCK), max_size=2)),
            }
        )
    ),
    max_size=3,
)
BLOCK = st.one_of(
    TEXT_BLOCK,
    st.fixed_dictionaries({"type": st.just("tool_result"), "content": mostly(TEXT | INNER)}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["tool_use", "server_tool_use"]), "name": mostly(TEXT)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("document"),
            "source": mostly(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(["text", "content", "base64"]),
                        "data": mostly(TEXT),
                        "content": mostly(TEXT | INNER),
                    }
                )
            ),
        },
        optional={"title": mostly(TEXT), "context": mostly(TEXT)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("search_result"), "content": mostly(INNER)},
        optional={"title": mostly(TEXT)},
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["thinking", "image", "x"])}, optional={"text": mostly(TEXT)}
    ),
)
MESSAGE = st.fixed_dictionaries(
    {
        "role": mostly(st.sampled_from(["user", "assistant"])),
        "content": mostly(TEXT | st.lists(mostly(BLOCK), max_size=4)),
    }
)
BODY = st.fixed_dictionaries(
    {"messages": mostly(st.lists(mostly(MESSAGE), min_size=1, max_size=4))},
    optional={
        "system": mostly(TEXT | st.lists(mostly(TEXT_BLOCK), max_size=2)),
        "tools": mostly(
            st.lists(mostly(st.fixed_dictionaries({"name": mostly(TEXT)})), max_size=2)
        ),
        "max_tokens": mostly(st.integers()),
        "model": mostly(TEXT),
    },
)


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from([M, "/v1/messages/count_tokens", "/v1/models"]), body=BODY | JSON)
def test_any_json_parses_or_is_malformed(path, body):
    request_or_malformed(ADAPTER, path, body)


@settings(max_examples=100, deadline=None)
@given(
    body=st.fixed_dictionaries(
        {
            "content": mostly(st.lists(mostly(BLOCK), max_size=3)),
            "usage": mostly(st.fixed_dictionaries({"input_tokens": mostly(st.integers())})),
        }
    )
    | JSON
)
def test_any_json_answer_parses_or_is_malformed(body):
    response_or_malformed(ADAPTER, M, body)


# Answers --------------------------------------------------------------------------------------

ANSWER = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "s"},
        {"type": "text", "text": "Here you go.", "citations": None},
        {"type": "tool_use", "id": "tu", "name": "hotel_search", "input": {}},
        {"type": "text", "text": ""},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 25, "output_tokens": 11, "cache_read_input_tokens": 0},
}


def test_parse_response():
    parsed = ADAPTER.parse_response(M, copy.deepcopy(ANSWER))
    assert segments(parsed) == [("Here you go.", OUT, ("content", 1, "text"), "assistant")]
    assert parsed.tools_called == ("hotel_search",)
    assert parsed.usage == Usage(25, 11)
    assert parsed.model == "claude-sonnet-4-5-20250929"


def test_answer_redaction_round_trip():
    body = copy.deepcopy(ANSWER)
    (seg,) = ADAPTER.parse_response(M, body).segments
    set_at(body, seg.path, "[REDACTED]")
    assert body["content"][1]["text"] == "[REDACTED]"


def test_count_tokens_answer():
    parsed = ADAPTER.parse_response("/v1/messages/count_tokens", {"input_tokens": 42})
    assert parsed == ParsedResponse(usage=Usage(42, None))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("text", "response body must be a JSON object"),
        ({**ANSWER, "content": None}, "content must be a list"),
        (
            {**ANSWER, "content": [{"type": "text", "text": 3}]},
            r"content\[0\].text must be a string",
        ),
        ({**ANSWER, "content": [{"type": "tool_use"}]}, r"content\[0\].name must be a string"),
    ],
)
def test_malformed_answers(body, message):
    with pytest.raises(MalformedRequest, match=message):
        ADAPTER.parse_response(M, body)


def test_answer_without_usage_still_parses():
    parsed = ADAPTER.parse_response(M, {"content": [{"type": "text", "text": "ok"}]})
    assert parsed.usage == Usage()
    assert parsed.model is None


# Streams --------------------------------------------------------------------------------------


STREAM_EVENTS = [
    typed_event(
        "message_start",
        message={
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-sonnet-4-5",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 25, "output_tokens": 1},
        },
    ),
    typed_event("content_block_start", index=0, content_block={"type": "thinking", "thinking": ""}),
    typed_event(
        "content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "secret plan"}
    ),
    typed_event("content_block_stop", index=0),
    typed_event("content_block_start", index=1, content_block={"type": "text", "text": ""}),
    typed_event("ping"),
    typed_event("content_block_delta", index=1, delta={"type": "text_delta", "text": "Hello"}),
    typed_event(
        "content_block_delta",
        index=1,
        delta={"type": "text_delta", "text": ", wörld"},
        newline="\r\n",
    ),
    "event: content_block_delta\ndata: {truncated\n\n",
    typed_event("content_block_stop", index=1),
    typed_event(
        "content_block_start",
        index=2,
        content_block={"type": "tool_use", "id": "t", "name": "hotel_search", "input": {}},
    ),
    typed_event(
        "content_block_delta",
        index=2,
        delta={"type": "input_json_delta", "partial_json": '{"city": "Li'},
    ),
    typed_event("content_block_stop", index=2),
    typed_event(
        "message_delta",
        delta={"stop_reason": "tool_use", "stop_sequence": None},
        usage={"output_tokens": 15},
    ),
    typed_event("message_stop"),
]
STREAM = "".join(STREAM_EVENTS).encode()


def decode(chunks: list[bytes]) -> list[StreamEvent]:
    return feed(ADAPTER.stream_decoder(M), chunks)


def test_stream_whole():
    events = decode([STREAM])
    assert [e.raw.decode() for e in events] == STREAM_EVENTS
    assert [e.text for e in events if e.text] == ["Hello", ", wörld"]
    assert [t for e in events for t in e.tools_called] == ["hotel_search"]
    assert [e.usage for e in events if e.usage] == [Usage(25, 1), Usage(None, 15)]
    assert [e.model for e in events if e.model] == ["claude-sonnet-4-5"]
    assert [i for i, e in enumerate(events) if e.terminal] == [len(events) - 1]


def test_stream_byte_by_byte_is_the_same():
    assert_split_changes_nothing(lambda: ADAPTER.stream_decoder(M), STREAM, byte_by_byte(STREAM))


@settings(max_examples=60, deadline=None)
@given(chunks=any_split(STREAM))
def test_stream_any_split_gives_the_same_events(chunks):
    assert_split_changes_nothing(lambda: ADAPTER.stream_decoder(M), STREAM, chunks)


@settings(max_examples=100, deadline=None)
@given(stream=st.binary(max_size=300))
def test_stream_garbage_never_crashes_and_keeps_bytes(stream):
    assert_forwards_bytes(decode([stream]), stream)


def test_upstream_error_event_ends_the_stream():
    raw = typed_event("error", error={"type": "overloaded_error", "message": "Overloaded"}).encode()
    assert decode([raw]) == [StreamEvent(raw, terminal=True)]


@pytest.mark.parametrize(
    ("path", "body", "stream"),
    [
        (M, {"stream": True}, True),
        (M, {"stream": 1}, False),
        ("/v1/messages/count_tokens", {"stream": True}, False),
        ("/v1/models", {"stream": True}, False),
        (M, [True], False),
    ],
)
def test_is_stream(path, body, stream):
    assert ADAPTER.is_stream(path, body) is stream


# Errors ---------------------------------------------------------------------------------------

SDK_ERRORS = [
    (ErrorKind.BLOCKED, anthropic.BadRequestError, "invalid_request_error"),
    (ErrorKind.BAD_REQUEST, anthropic.BadRequestError, "invalid_request_error"),
    (ErrorKind.UNAUTHENTICATED, anthropic.AuthenticationError, "authentication_error"),
    (ErrorKind.FORBIDDEN, anthropic.PermissionDeniedError, "permission_error"),
    (ErrorKind.NOT_FOUND, anthropic.NotFoundError, "not_found_error"),
    (ErrorKind.TOO_LARGE, anthropic.ContentTooLargeError, "request_too_large"),
    (ErrorKind.RATE_LIMITED, anthropic.RateLimitError, "rate_limit_error"),
    (ErrorKind.UPSTREAM_ERROR, anthropic.InternalServerError, "api_error"),
    (ErrorKind.UNAVAILABLE, anthropic.ServiceUnavailableError, "api_error"),
    (ErrorKind.UPSTREAM_TIMEOUT, anthropic.GatewayTimeoutError, "timeout_error"),
]


@pytest.mark.parametrize(("kind", "exception", "error_type"), SDK_ERRORS)
def test_error_body_shape_and_status(kind, exception, error_type):
    reply = ADAPTER.error(kind, GATEWAY_MESSAGE)
    assert reply.status == STATUS[kind]
    assert reply.content_type == "application/json"
    assert json.loads(reply.body) == {
        "type": "error",
        "error": {"type": error_type, "message": GATEWAY_MESSAGE},
    }


@pytest.mark.parametrize(("kind", "exception", "error_type"), SDK_ERRORS)
def test_sdk_raises_its_usual_exception(kind, exception, error_type):
    reply = ADAPTER.error(kind, GATEWAY_MESSAGE)
    sdk = anthropic_client(reply.status, reply.body, reply.content_type)
    with pytest.raises(anthropic.APIStatusError) as raised:
        sdk.messages.create(
            model="claude-test-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    assert type(raised.value) is exception
    assert raised.value.status_code == STATUS[kind]
    assert raised.value.type == error_type
    assert raised.value.api_message == GATEWAY_MESSAGE


def stream_then_error() -> bytes:
    return "".join(STREAM_EVENTS[:7]).encode() + ADAPTER.stream_error(
        ErrorKind.BLOCKED, GATEWAY_MESSAGE
    )


def test_sdk_raises_while_iterating_a_stream():
    sdk = anthropic_client(200, stream_then_error(), "text/event-stream")
    events = iter(
        sdk.messages.create(
            model="claude-test-model",
            max_tokens=5,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        )
    )
    seen = [next(events).type for _ in range(6)]  # the ping is not yielded by the SDK
    assert seen[0] == "message_start"
    assert seen[-1] == "content_block_delta"
    with pytest.raises(anthropic.APIStatusError) as raised:
        next(events)
    # The SDK picks the class by HTTP status, and a stream's status is 200: the base class.
    assert type(raised.value) is anthropic.APIStatusError
    assert raised.value.type == "invalid_request_error"
    assert raised.value.api_message == GATEWAY_MESSAGE


def test_sdk_stream_helper_raises_too():
    sdk = anthropic_client(200, stream_then_error(), "text/event-stream")
    with sdk.messages.stream(
        model="claude-test-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        texts = stream.text_stream
        assert next(texts) == "Hello"
        with pytest.raises(anthropic.APIStatusError):
            next(texts)


def test_stream_error_is_one_event_whatever_the_message():
    hostile = 'x\n\nevent: message_stop\ndata: {"type":"message_stop"}\r\n\r\n'
    raw = ADAPTER.stream_error(ErrorKind.UPSTREAM_ERROR, hostile)
    assert decode([raw]) == [StreamEvent(raw, terminal=True)]
    payload = json.loads(raw.split(b"data: ", 1)[1])
    assert payload == {"type": "error", "error": {"type": "api_error", "message": hostile}}


def test_adapter_name():
    assert AnthropicAdapter.name == "anthropic"
