import json
import math
import time

import anthropic
import httpx
import openai
import pytest

from wardgate.gateway.providers.base import Usage
from wardgate.gateway.providers.gemini import GeminiAdapter, GeminiStreamDecoder
from wardgate.gateway.providers.ollama import NdjsonDecoder, OllamaAdapter
from wardgate.testing import FakeLLM, Reply, ToolCall, serve_in_thread

WEATHER = ToolCall(name="get_weather", arguments={"city": "Paris"})
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
FAKE = FakeLLM()


@pytest.fixture(scope="module")
def url():
    with serve_in_thread(FAKE) as server:
        yield server.url


@pytest.fixture
def fake(url):
    FAKE.reset()
    yield FAKE
    FAKE.reset()


@pytest.fixture
def oai(url, fake):
    with openai.OpenAI(
        base_url=f"{url}/v1", api_key="test-key", max_retries=0, timeout=5
    ) as client:
        yield client


@pytest.fixture
def claude(url, fake):
    with anthropic.Anthropic(base_url=url, api_key="test-key", max_retries=0, timeout=5) as client:
        yield client


@pytest.fixture
def http(url, fake):
    with httpx.Client(base_url=url, timeout=5) as client:
        yield client


# OpenAI ----------------------------------------------------------------------------------------


def test_openai_chat_echoes_and_counts_words(oai, fake):
    answer = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "what is up"}]},
        ],
    )
    assert answer.choices[0].message.content == "You said: what is up"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.model == "gpt-4o-mini"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (8, 5)
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.json["model"] == "gpt-4o-mini"
    assert json.loads(request.body) == request.json


@pytest.mark.parametrize("include_usage", [True, False])
def test_openai_chat_stream_in_chunks(oai, fake, include_usage):
    text = "The quick brown fox jumps"
    fake.replies.append(Reply(text=text, chunk_chars=4))
    chunks = list(
        oai.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "go"}],
            stream=True,
            stream_options={"include_usage": include_usage},
        )
    )
    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert deltas == [text[i : i + 4] for i in range(0, len(text), 4)]
    assert len(deltas) == math.ceil(len(text) / 4)
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    usage = [c.usage for c in chunks if c.usage]
    assert [(u.prompt_tokens, u.completion_tokens) for u in usage] == (
        [(1, 5)] if include_usage else []
    )


def test_openai_tool_calls(oai, fake):
    fake.replies.append(Reply(tool_calls=(WEATHER,)))
    answer = oai.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL]
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "get_weather",
        {"city": "Paris"},
    )


def test_openai_streamed_tool_calls_accumulate(oai, fake):
    fake.replies.append(Reply(text="Checking", tool_calls=(WEATHER, ToolCall("noop", id="call_x"))))
    with oai.chat.completions.stream(
        model="m", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL]
    ) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "Checking"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("noop", {}),
    ]
    assert message.tool_calls[1].id == "call_x"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
    ],
)
def test_openai_error_status_raises_the_sdk_exception(oai, fake, status, error):
    fake.replies.append(Reply(status=status, error_message="scripted failure"))
    with pytest.raises(error) as raised:
        oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert raised.value.status_code == status
    assert "scripted failure" in str(raised.value)


def test_openai_responses(oai, fake):
    answer = oai.responses.create(model="gpt-4o", input="hello fake", instructions="Be nice.")
    assert answer.output_text == "You said: hello fake"
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (4, 4)


def test_openai_responses_stream(oai, fake):
    fake.replies.append(Reply(text="streamed answer", chunk_chars=5))
    events = list(oai.responses.create(model="gpt-4o", input="hi", stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    assert [e.delta for e in events if e.type == "response.output_text.delta"] == [
        "strea",
        "med a",
        "nswer",
    ]
    assert events[-1].response.output_text == "streamed answer"
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_openai_responses_stream_helper_with_tool_call(oai, fake):
    fake.replies.append(Reply(tool_calls=(WEATHER,)))
    with oai.responses.stream(model="gpt-4o", input="weather?") as stream:
        final = stream.get_final_response()
    (call,) = final.output
    assert (call.type, call.name, json.loads(call.arguments)) == (
        "function_call",
        "get_weather",
        {"city": "Paris"},
    )


def test_openai_embeddings_and_models(oai, fake):
    first = oai.embeddings.create(
        model="text-embedding-3-small", input=["alpha beta", "gamma"], dimensions=16
    )
    again = oai.embeddings.create(model="text-embedding-3-small", input="alpha beta", dimensions=16)
    assert [len(d.embedding) for d in first.data] == [16, 16]
    assert first.data[0].embedding == pytest.approx(again.data[0].embedding)
    assert first.data[0].embedding != first.data[1].embedding
    assert first.usage.prompt_tokens == 3
    assert [m.id for m in oai.models.list()] == ["fake-model"]
    assert oai.models.retrieve("gpt-4o").id == "gpt-4o"


# Anthropic ------------------------------------------------------------------------------------------


def test_anthropic_message(claude, fake):
    message = claude.messages.create(
        model="claude-test",
        max_tokens=100,
        system="Terse.",
        messages=[{"role": "user", "content": [{"type": "text", "text": "hello there"}]}],
    )
    assert [b.text for b in message.content] == ["You said: hello there"]
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (3, 4)
    headers = fake.requests[0].headers
    assert "anthropic-version" in headers
    assert "test-key" in headers.get("x-api-key", headers.get("authorization", ""))


def test_anthropic_stream_events(claude, fake):
    fake.replies.append(Reply(text="one two three", chunk_chars=6))
    events = list(
        claude.messages.create(
            model="claude", max_tokens=50, messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start"
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    deltas = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert deltas == ["one tw", "o thre", "e"]
    assert events[-2].usage.output_tokens == 3


def test_anthropic_streamed_tool_use(claude, fake):
    fake.replies.append(Reply(text="Let me check.", tool_calls=(WEATHER,), chunk_chars=3))
    with claude.messages.stream(
        model="claude", max_tokens=50, messages=[{"role": "user", "content": "weather?"}]
    ) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "tool_use"
    text, tool = message.content
    assert text.text == "Let me check."
    assert (tool.type, tool.name, tool.input) == ("tool_use", "get_weather", {"city": "Paris"})


def test_anthropic_tool_use_plain(claude, fake):
    fake.replies.append(Reply(tool_calls=(WEATHER,)))
    message = claude.messages.create(
        model="c", max_tokens=5, messages=[{"role": "user", "content": "w"}]
    )
    assert [b.type for b in message.content] == ["tool_use"]
    assert message.stop_reason == "tool_use"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, anthropic.BadRequestError),
        (401, anthropic.AuthenticationError),
        (403, anthropic.PermissionDeniedError),
        (429, anthropic.RateLimitError),
        (529, anthropic.InternalServerError),
    ],
)
def test_anthropic_error_status_raises_the_sdk_exception(claude, fake, status, error):
    fake.replies.append(Reply(status=status, error_message="scripted failure"))
    with pytest.raises(error) as raised:
        claude.messages.create(model="c", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert raised.value.status_code == status
    assert raised.value.body["error"]["message"] == "scripted failure"


# Gemini and Ollama (no SDK: httpx, and Wardgate's own decoders) ------------------------------------


def test_gemini_generate_content(http, fake):
    fake.replies.append(Reply(text="Bonjour", tool_calls=(WEATHER,)))
    body = {"contents": [{"role": "user", "parts": [{"text": "hi there"}]}]}
    response = http.post("/v1beta/models/gemini-2.0-flash:generateContent", json=body)
    assert response.status_code == 200
    parsed = GeminiAdapter().parse_response(
        "/v1beta/models/gemini-2.0-flash:generateContent", response.json()
    )
    assert [s.text for s in parsed.segments] == ["Bonjour", "Paris"]
    assert parsed.tools_called == ("get_weather",)
    assert parsed.usage == Usage(2, 1)
    assert parsed.model == "gemini-2.0-flash"


@pytest.mark.parametrize(
    ("query", "content_type"), [("?alt=sse", "text/event-stream"), ("", "application/json")]
)
def test_gemini_stream_forms(http, fake, query, content_type):
    fake.replies.append(Reply(text="abcdefghij", chunk_chars=4))
    body = {"contents": [{"parts": [{"text": "go"}]}]}
    response = http.post(f"/v1beta/models/g:streamGenerateContent{query}", json=body)
    assert response.headers["content-type"] == content_type
    decoder = GeminiStreamDecoder()
    events = decoder.feed(response.content) + decoder.close()
    assert [e.text for e in events if e.text] == ["abcd", "efgh", "ij"]
    assert sum(e.terminal for e in events) == 1
    assert [e.usage for e in events if e.usage][-1] == Usage(1, 1)
    if query == "":
        assert json.loads(response.content)[-1]["candidates"][0]["finishReason"] == "STOP"


def test_gemini_error_shape(http, fake):
    fake.replies.append(Reply(status=429, error_message="quota"))
    response = http.post("/v1beta/models/g:generateContent", json={"contents": []})
    assert response.status_code == 429
    assert response.json() == {
        "error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}
    }


def test_ollama_chat_streams_ndjson_by_default(http, fake):
    fake.replies.append(Reply(text="hello world", chunk_chars=5, tool_calls=(WEATHER,)))
    body = {"model": "llama3.2", "messages": [{"role": "user", "content": "one two three"}]}
    response = http.post("/api/chat", json=body)
    assert response.headers["content-type"] == "application/x-ndjson"
    decoder = NdjsonDecoder()
    events = decoder.feed(response.content) + decoder.close()
    assert [e.text for e in events if e.text] == ["hello", " worl", "d"]
    assert [name for e in events for name in e.tools_called] == ["get_weather"]
    assert events[-1].terminal
    assert events[-1].usage == Usage(3, 2)
    assert events[-1].model == "llama3.2"


def test_ollama_complete_answers(http, fake):
    chat = http.post(
        "/api/chat",
        json={"model": "m", "stream": False, "messages": [{"role": "user", "content": "yo"}]},
    )
    parsed = OllamaAdapter().parse_response("/api/chat", chat.json())
    assert [s.text for s in parsed.segments] == ["You said: yo"]
    generate = http.post(
        "/api/generate", json={"model": "m", "prompt": "a b", "system": "c", "stream": False}
    )
    assert generate.json()["response"] == "You said: a b"
    assert generate.json()["prompt_eval_count"] == 3


def test_ollama_error_shape(http, fake):
    fake.replies.append(Reply(status=404, error_message="model 'x' not found"))
    response = http.post("/api/generate", json={"model": "x", "prompt": "p"})
    assert (response.status_code, response.json()) == (404, {"error": "model 'x' not found"})


# Scripting ---------------------------------------------------------------------------------------


def test_raw_body_is_sent_verbatim(http, fake):
    raw = b'data: {"broken": \n\n'
    fake.replies.append(
        Reply(raw_body=raw, status=502, content_type="text/plain", headers=(("X-Test", "1"),))
    )
    response = http.post("/v1/chat/completions", json={"model": "m", "messages": []})
    assert (response.status_code, response.content) == (502, raw)
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-test"] == "1"


def test_hang_never_answers_and_the_server_keeps_serving(http, fake):
    fake.replies.append(Reply(hang=True))
    with pytest.raises(httpx.ReadTimeout):
        http.post("/api/chat", json={"model": "m", "stream": False}, timeout=0.2)
    assert http.post("/api/chat", json={"model": "m", "stream": False}).status_code == 200
    assert len(fake.requests) == 2


def test_delay_between_chunks(http, fake):
    fake.replies.append(Reply(text="abcdef", chunk_chars=2, delay_s=0.05))
    started = time.monotonic()
    http.post("/api/generate", json={"model": "m", "prompt": "x"})
    assert time.monotonic() - started >= 0.15  # 3 text lines + the final one: 3 pauses


def test_unknown_route_keeps_the_scripted_reply(http, fake):
    fake.replies.append(Reply(text="kept"))
    assert http.post("/v2/nothing", json={}).status_code == 404
    assert len(fake.replies) == 1
    assert (
        http.post("/api/generate", json={"prompt": "p", "stream": False}).json()["response"]
        == "kept"
    )
    assert not fake.replies


def test_non_json_body_is_a_dialect_error(http, fake):
    response = http.post(
        "/v1/messages", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert fake.requests[0].json is None
    assert fake.requests[0].body == b"{nope"


def test_reset_and_reply_validation(http, fake):
    fake.replies.append(Reply())
    http.get("/v1/models")
    fake.reset()
    assert (list(fake.replies), fake.requests) == ([], [])
    with pytest.raises(ValueError, match="chunk_chars"):
        Reply(chunk_chars=0)
    with pytest.raises(ValueError, match="status"):
        Reply(status=42)
