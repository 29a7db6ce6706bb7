import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.gateway.providers.bodies import (
    json_values,
    request_or_malformed,
    request_segments,
    response_or_malformed,
)
from tests.gateway.providers.streams import (
    any_split,
    assert_split_changes_nothing,
    feed,
    split,
    sse_data,
)
from wardgate.core.phase import InputKind
from wardgate.gateway.providers.base import (
    STATUS,
    ErrorKind,
    MalformedRequest,
    Segment,
    Usage,
    set_at,
)
from wardgate.gateway.providers.gemini import GeminiAdapter, GeminiStreamDecoder
from wardgate.gateway.providers.shape import MAX_LEAF_DEPTH

P, D, OUT = InputKind.PROMPT, InputKind.DOCUMENT, InputKind.OUTPUT
GEN = "/v1beta/models/gemini-2.0-flash:generateContent"
STREAM = "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
adapter = GeminiAdapter()


def user(*parts, role="user"):
    return {"role": role, "parts": list(parts)}


# (id, path, body, expected segments as (text, kind, path, role))
REQUESTS = [
    (
        "single user turn",
        GEN,
        {"contents": [user({"text": "Hello"})]},
        [("Hello", P, ("contents", 0, "parts", 0, "text"), "user")],
    ),
    (
        "role omitted means user",
        GEN,
        {"contents": [{"parts": [{"text": "Hi"}]}]},
        [("Hi", P, ("contents", 0, "parts", 0, "text"), "user")],
    ),
    (
        "multi-turn: model turns are documents",
        GEN,
        {
            "contents": [
                user({"text": "Q1"}),
                user({"text": "A1"}, role="model"),
                user({"text": "Q2"}, {"text": "more"}),
            ]
        },
        [
            ("Q1", P, ("contents", 0, "parts", 0, "text"), "user"),
            ("A1", D, ("contents", 1, "parts", 0, "text"), "assistant"),
            ("Q2", P, ("contents", 2, "parts", 0, "text"), "user"),
            ("more", P, ("contents", 2, "parts", 1, "text"), "user"),
        ],
    ),
    (
        "function response string leaves are documents",
        GEN,
        {
            "contents": [
                user({"text": "Weather?"}),
                user(
                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                    role="model",
                ),
                user(
                    {
                        "functionResponse": {
                            "name": "get_weather",
                            "response": {"forecast": "sunny", "days": [{"note": "ignore all"}, 3]},
                        }
                    },
                    role="function",
                ),
            ]
        },
        [
            ("Weather?", P, ("contents", 0, "parts", 0, "text"), "user"),
            (
                "sunny",
                D,
                ("contents", 2, "parts", 0, "functionResponse", "response", "forecast"),
                "tool",
            ),
            (
                "ignore all",
                D,
                ("contents", 2, "parts", 0, "functionResponse", "response", "days", 0, "note"),
                "tool",
            ),
        ],
    ),
    (
        "snake_case spelling is read too",
        GEN,
        {
            "contents": [
                user({"function_response": {"name": "f", "response": {"r": "tool says"}}}),
            ]
        },
        [
            (
                "tool says",
                D,
                ("contents", 0, "parts", 0, "function_response", "response", "r"),
                "tool",
            )
        ],
    ),
    (
        "a repeated field sent as one object",
        GEN,
        {"contents": {"parts": {"text": "solo"}}},
        [("solo", P, ("contents", "parts", "text"), "user")],
    ),
    (
        "code execution parts are documents",
        GEN,
        {
            "contents": [
                user(
                    {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
                    {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
                    role="model",
                )
            ]
        },
        [
            ("print(1)", D, ("contents", 0, "parts", 0, "executableCode", "code"), "assistant"),
            ("1\n", D, ("contents", 0, "parts", 1, "codeExecutionResult", "output"), "tool"),
        ],
    ),
    (
        "empty texts and non-text parts give no segment",
        GEN,
        {
            "contents": [
                user({"text": ""}, {"inlineData": {"mimeType": "image/png", "data": "AAAA"}})
            ]
        },
        [],
    ),
    (
        "embedContent: text and title are documents",
        "/v1beta/models/text-embedding-004:embedContent",
        {"content": {"parts": [{"text": "passage"}]}, "title": "Doc title"},
        [
            ("passage", D, ("content", "parts", 0, "text"), "embedding_input"),
            ("Doc title", D, ("title",), "embedding_input"),
        ],
    ),
    (
        "batchEmbedContents",
        "/v1beta/models/text-embedding-004:batchEmbedContents",
        {
            "requests": [
                {"content": {"parts": [{"text": "a"}]}},
                {"content": {"parts": [{"text": "b"}]}},
            ]
        },
        [
            ("a", D, ("requests", 0, "content", "parts", 0, "text"), "embedding_input"),
            ("b", D, ("requests", 1, "content", "parts", 0, "text"), "embedding_input"),
        ],
    ),
    (
        "countTokens with a wrapped generateContentRequest",
        "/v1beta/models/gemini-2.0-flash:countTokens",
        {"generateContentRequest": {"model": "models/x", "contents": [user({"text": "count me"})]}},
        [("count me", P, ("generateContentRequest", "contents", 0, "parts", 0, "text"), "user")],
    ),
    (
        "an unknown method with contents is still scanned",
        "/v1beta/models/aqa:generateAnswer",
        {"contents": [user({"text": "question"})]},
        [("question", P, ("contents", 0, "parts", 0, "text"), "user")],
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "expected"), [r[1:] for r in REQUESTS], ids=[r[0] for r in REQUESTS]
)
def test_request_segments(path, body, expected):
    assert request_segments(adapter, path, body) == expected


def test_request_metadata():
    body = {
        "system_instruction": {"parts": [{"text": "You are a cat."}, {"text": "Be brief."}]},
        "contents": [
            user({"text": "hi"}),
            user({"functionCall": {"name": "lookup", "args": {}}}, role="model"),
        ],
        "tools": [
            {"functionDeclarations": [{"name": "lookup"}, {"name": "book"}]},
            {"google_search": {}},
            {"codeExecution": {}},
        ],
        "generationConfig": {
            "temperature": 0.3,
            "topP": 0.9,
            "topK": 40,
            "maxOutputTokens": 256,
            "candidateCount": 2,
            "responseLogprobs": True,
            "logprobs": 5,
            "seed": 7,
            "responseMimeType": "text/plain",
        },
    }
    parsed = adapter.parse_request("POST", STREAM, body)
    assert parsed.operation == "generate_content"
    assert parsed.model == "gemini-2.0-flash"
    assert parsed.stream is True
    assert parsed.system_prompt == "You are a cat.\nBe brief."
    assert parsed.tools_declared == ("lookup", "book", "googleSearch", "codeExecution")
    assert parsed.tools_called == ("lookup",)
    assert parsed.params == {
        "temperature": 0.3,
        "top_p": 0.9,
        "top_k": 40,
        "max_tokens": 256,
        "n": 2,
        "logprobs": True,
        "top_logprobs": 5,
        "seed": 7,
    }
    assert parsed.max_output_tokens == 256


@pytest.mark.parametrize(
    ("path", "operation", "model", "stream"),
    [
        (GEN, "generate_content", "gemini-2.0-flash", False),
        (STREAM, "generate_content", "gemini-2.0-flash", True),
        ("/v1/models/gemini-pro:countTokens", "count_tokens", "gemini-pro", False),
        ("/v1beta/models/e:embedContent", "embeddings", "e", False),
        (
            "/v1beta/tunedModels/my-tune:generateContent",
            "generate_content",
            "tunedModels/my-tune",
            False,
        ),
        ("/gemini/v1beta/models/g:generateContent", "generate_content", "g", False),
        ("/v1beta/models/aqa:generateAnswer", "generate_answer", "aqa", False),
    ],
)
def test_paths(path, operation, model, stream):
    parsed = adapter.parse_request("POST", path, {})
    assert (parsed.operation, parsed.model, parsed.stream) == (operation, model, stream)
    assert adapter.is_stream(path, {}) is stream


def test_bodyless_get_is_not_malformed():
    assert adapter.parse_request("GET", "/v1beta/models", None).operation == "other"


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [("1024", 1024), (512.0, 512), (None, None)],
)
def test_max_output_tokens_as_protobuf_json_allows(maximum, expected):
    body = {"contents": [], "generationConfig": {"maxOutputTokens": maximum}}
    assert adapter.parse_request("POST", GEN, body).max_output_tokens == expected


MALFORMED = [
    (GEN, None, "request body must be a JSON object"),
    (GEN, [], "request body must be a JSON object"),
    (GEN, {"contents": "hi"}, "contents must be a list"),
    (GEN, {"contents": ["hi"]}, "contents[0] must be an object"),
    (GEN, {"contents": [{"parts": [{"text": 5}]}]}, "contents[0].parts[0].text must be a string"),
    (GEN, {"contents": [{"parts": ["x"]}]}, "contents[0].parts[0] must be an object"),
    (
        GEN,
        {"contents": [{"role": "system", "parts": []}]},
        "contents[0].role must be user or model",
    ),
    (GEN, {"contents": [{"role": 1, "parts": []}]}, "contents[0].role must be a string"),
    (
        GEN,
        {"systemInstruction": {"parts": []}, "system_instruction": {"parts": []}},
        "systemInstruction is given twice (systemInstruction and system_instruction)",
    ),
    (
        GEN,
        {"contents": [{"parts": [{"functionResponse": "x"}]}]},
        "contents[0].parts[0].functionResponse must be an object",
    ),
    (
        GEN,
        {"contents": [{"parts": [{"functionCall": {"name": 3}}]}]},
        "contents[0].parts[0].functionCall.name must be a string",
    ),
    (GEN, {"systemInstruction": "be nice"}, "systemInstruction must be an object"),
    (
        GEN,
        {"tools": [{"functionDeclarations": [{"name": []}]}]},
        "tools[0].functionDeclarations[0].name must be a string",
    ),
    (GEN, {"generationConfig": []}, "generationConfig must be an object"),
    (
        GEN,
        {"generationConfig": {"maxOutputTokens": "lots"}},
        "generationConfig.maxOutputTokens must be an integer",
    ),
    ("/v1beta/models/e:embedContent", {"content": []}, "content must be an object"),
    ("/v1beta/models/e:batchEmbedContents", {"requests": [1]}, "requests[0] must be an object"),
    (
        GEN,
        {"contents": [{"parts": [{"functionResponse": {"response": {"a": [[[[[[[[[]]]]]]]]]}}}]}]},
        None,  # shallow: no error
    ),
]


@pytest.mark.parametrize(("path", "body", "message"), MALFORMED)
def test_malformed_requests(path, body, message):
    if message is None:
        adapter.parse_request("POST", path, body)
        return
    with pytest.raises(MalformedRequest, match=f"^{re.escape(message)}$"):
        adapter.parse_request("POST", path, body)


def test_deep_function_response_is_refused():
    deep: object = "x"
    for _ in range(MAX_LEAF_DEPTH + 1):
        deep = [deep]
    body = {"contents": [{"parts": [{"functionResponse": {"response": {"r": deep}}}]}]}
    with pytest.raises(MalformedRequest, match="nests deeper than"):
        adapter.parse_request("POST", GEN, body)


def test_redaction_writes_back_at_segment_paths():
    body = {"contents": {"parts": [{"function_response": {"response": {"x": ["secret"]}}}]}}
    (segment,) = adapter.parse_request("POST", GEN, body).segments
    set_at(body, segment.path, "[REDACTED]")
    assert body == {
        "contents": {"parts": [{"function_response": {"response": {"x": ["[REDACTED]"]}}}]}
    }


JSON_VALUES = json_values(
    st.sampled_from(
        [
            "contents",
            "parts",
            "text",
            "role",
            "functionCall",
            "functionResponse",
            "function_response",
            "response",
            "name",
            "args",
            "systemInstruction",
            "tools",
            "functionDeclarations",
            "generationConfig",
            "maxOutputTokens",
            "candidates",
            "content",
            "usageMetadata",
            "requests",
            "title",
            "user",
            "model",
            "x",
        ]
    ),
    max_leaves=30,
)
PATHS = st.sampled_from(
    [GEN, STREAM, "/v1beta/models/e:embedContent", "/v1beta/models/e:batchEmbedContents", "/x"]
)


@settings(max_examples=100, deadline=None)
@given(PATHS, JSON_VALUES)
def test_arbitrary_json_parses_or_is_malformed(path, body):
    request_or_malformed(adapter, path, body)


@settings(max_examples=100, deadline=None)
@given(PATHS, JSON_VALUES)
def test_arbitrary_response_parses_or_is_malformed(path, body):
    response_or_malformed(adapter, path, body)


# Responses -----------------------------------------------------------------------------------


ANSWER = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Here you go."},
                    {"functionCall": {"name": "send_mail", "args": {"to": "a@b.c", "n": 1}}},
                ],
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 5, "thoughtsTokenCount": 2},
    "modelVersion": "gemini-2.0-flash-001",
}


def test_parse_response():
    parsed = adapter.parse_response(GEN, ANSWER)
    assert parsed.model == "gemini-2.0-flash-001"
    assert parsed.segments == (
        Segment("Here you go.", OUT, ("candidates", 0, "content", "parts", 0, "text"), "assistant"),
        Segment(
            "a@b.c",
            OUT,
            ("candidates", 0, "content", "parts", 1, "functionCall", "args", "to"),
            "assistant",
        ),
    )
    assert parsed.tools_called == ("send_mail",)
    assert parsed.usage == Usage(12, 7)  # thoughts are billed as output


def test_parse_response_other_methods():
    assert adapter.parse_response(
        "/v1beta/models/g:countTokens", {"totalTokens": 9}
    ).usage == Usage(9)
    assert (
        adapter.parse_response(
            "/v1beta/models/e:embedContent", {"embedding": {"values": [0.1]}}
        ).segments
        == ()
    )
    blocked = adapter.parse_response(GEN, {"promptFeedback": {"blockReason": "SAFETY"}})
    assert blocked.segments == ()
    with pytest.raises(MalformedRequest, match=r"^response body must be a JSON object$"):
        adapter.parse_response(GEN, [ANSWER])
    with pytest.raises(MalformedRequest, match=r"^candidates\[0\]\.content must be an object$"):
        adapter.parse_response(GEN, {"candidates": [{"content": "x"}]})


# Streams -------------------------------------------------------------------------------------------


def chunk(text, *, finish=None, usage=None):
    candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    out = {"candidates": [candidate], "modelVersion": "gemini-2.0-flash"}
    if usage:
        out["usageMetadata"] = usage
    return out


CHUNKS = [
    chunk("Hel"),
    chunk('lo "world"] {'),
    chunk("!", finish="STOP", usage={"promptTokenCount": 3, "candidatesTokenCount": 4}),
]
SSE_STREAM = sse_data(*CHUNKS, newline="\r\n")
ARRAY_STREAM = (
    b"[" + b",\r\n".join(json.dumps(c, indent=2).encode() for c in CHUNKS) + b"]"
)  # the shape Google sends without alt=sse
TEXTS = ["Hel", 'lo "world"] {', "!"]


def decode(data, cuts):
    return feed(GeminiStreamDecoder(), split(data, cuts))


@pytest.mark.parametrize("data", [SSE_STREAM, ARRAY_STREAM], ids=["sse", "array"])
def test_stream_events(data):
    events = decode(data, [])
    assert b"".join(e.raw for e in events) == data
    assert [e.text for e in events if e.text] == TEXTS
    terminal = [e for e in events if e.terminal]
    assert len(terminal) == 1
    assert terminal[0] is events[-1]
    assert [e.usage for e in events if e.usage] == [Usage(3, 4)]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([SSE_STREAM, ARRAY_STREAM]), st.data())
def test_stream_random_splits_keep_bytes_and_texts(data, draw):
    events = assert_split_changes_nothing(GeminiStreamDecoder, data, draw.draw(any_split(data, 12)))
    assert "".join(e.text for e in events) == "".join(TEXTS)
    assert sum(e.terminal for e in events) == 1


def test_array_stream_byte_by_byte_with_escapes():
    data = b' [ {"candidates":[{"content":{"parts":[{"text":"a\\\\\\"]b"}]}}]} ,{"x":"}"} ]\n'
    events = decode(data, range(len(data)))
    assert b"".join(e.raw for e in events) == data
    assert [e.text for e in events] == ['a\\"]b', "", "", ""]
    assert [e.terminal for e in events] == [False, False, True, False]


def test_stream_tool_calls_and_bad_chunks():
    data = (
        b'data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}}}]}}]}\n\n'
        b"data: not json\n\n"
        b": keep-alive\n\n"
    )
    events = decode(data, [])
    assert [e.tools_called for e in events] == [("f",), (), ()]
    assert [e.text for e in events] == ["", "", ""]


@pytest.mark.parametrize("data", [b"data: " + b"x" * 200, b"[" + b"{" * 200, b" " * 200])
def test_stream_memory_is_bounded(data):
    decoder = GeminiStreamDecoder(max_event_bytes=100)
    with pytest.raises(MalformedRequest, match="over 100 bytes"):
        decoder.feed(data)


# Errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ErrorKind.BAD_REQUEST, "INVALID_ARGUMENT"),
        (ErrorKind.UNAUTHENTICATED, "UNAUTHENTICATED"),
        (ErrorKind.FORBIDDEN, "PERMISSION_DENIED"),
        (ErrorKind.NOT_FOUND, "NOT_FOUND"),
        (ErrorKind.BLOCKED, "INVALID_ARGUMENT"),
        (ErrorKind.RATE_LIMITED, "RESOURCE_EXHAUSTED"),
        (ErrorKind.UNAVAILABLE, "UNAVAILABLE"),
        (ErrorKind.UPSTREAM_TIMEOUT, "DEADLINE_EXCEEDED"),
    ],
)
def test_error_reply(kind, status):
    reply = adapter.error(kind, "Blocked by policy")
    assert reply.status == STATUS[kind]
    assert reply.content_type == "application/json"
    assert json.loads(reply.body) == {
        "error": {"code": STATUS[kind], "message": "Blocked by policy", "status": status}
    }


def test_every_error_kind_has_a_reply():
    for kind in ErrorKind:
        assert json.loads(adapter.error(kind, "m").body)["error"]["code"] == STATUS[kind]


def test_stream_error_is_one_terminal_sse_event():
    raw = adapter.stream_error(ErrorKind.BLOCKED, "stopped")
    assert raw.startswith(b"data: ")
    assert raw.endswith(b"\n\n")
    (event,) = decode(raw, [])
    assert event.terminal
    assert event.raw == raw
    assert json.loads(raw[6:])["error"]["status"] == "INVALID_ARGUMENT"
