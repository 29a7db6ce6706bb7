"""The pure parts of the gateway latency benchmark: schedule, figures, the load generator's HTTP
parser, the SSE stamp reader, configuration text and the report. No servers are started."""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bench.gateway_latency import (
    STAMP_FIELD,
    STREAM_HEADER,
    Added,
    Measured,
    ProtocolError,
    ResponseParser,
    SseChunks,
    StreamRun,
    Summary,
    added,
    added_rows,
    arrival_schedule,
    build_request,
    chat_body,
    detection_delta,
    detection_totals,
    fake_upstream_app,
    gateway_config_yaml,
    litellm_config_yaml,
    parse_stream_header,
    render_markdown,
    replay_inspections,
    run_table,
    stream_table,
    summarise,
)
from wardgate.gateway.config import GatewayConfig, Mode

# ---- schedule ---------------------------------------------------------------------------------


def test_fixed_schedule_is_evenly_spaced_and_fixed_in_advance() -> None:
    offsets = arrival_schedule(500, 2)
    assert len(offsets) == 1000
    assert offsets[0] == 0.0
    assert offsets[1] == pytest.approx(0.002)
    assert offsets[-1] == pytest.approx(999 / 500)
    assert arrival_schedule(500, 2) == offsets  # the same schedule every time


def test_poisson_schedule_has_the_requested_mean_rate() -> None:
    offsets = arrival_schedule(200, 50, poisson=True, rng=random.Random(1))
    assert len(offsets) == 10_000
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert all(g >= 0 for g in gaps)
    assert sum(gaps) / len(gaps) == pytest.approx(1 / 200, rel=0.05)
    assert len({round(g, 9) for g in gaps}) > 1000  # not evenly spaced


@pytest.mark.parametrize(("rate", "seconds"), [(0, 1), (-5, 1), (10, 0)])
def test_schedule_rejects_non_positive_inputs(rate: float, seconds: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        arrival_schedule(rate, seconds)


def test_schedule_sends_at_least_one_request() -> None:
    assert arrival_schedule(1, 0.1) == [0.0]


# ---- figures ----------------------------------------------------------------------------------


def test_summary_is_nearest_rank_and_counts_errors() -> None:
    latencies = [float(v) for v in range(1, 101)]  # 1..100 ms
    s = summarise(latencies, errors=3, span_s=2.0)
    assert (s.sent, s.ok, s.errors) == (103, 100, 3)
    assert (s.p50, s.p90, s.p99, s.max) == (50.0, 90.0, 99.0, 100.0)
    assert s.achieved_rps == 50.0


def test_summary_without_successes_is_undefined_not_zero() -> None:
    s = summarise([], errors=4, span_s=0.0)
    assert s.ok == 0
    assert s.errors == 4
    assert math.isnan(s.p99)
    assert math.isnan(s.max)
    assert math.isnan(s.achieved_rps)
    assert s.cells()[3:] == ["-", "-", "-", "-"]


def test_added_is_the_difference_of_percentiles() -> None:
    direct = Summary(100, 100, 0, 1.0, 2.0, 3.0, 9.0, 100.0)
    via = Summary(100, 100, 0, 2.5, 3.0, 5.5, 7.0, 100.0)
    assert added(direct, via) == Added(1.5, 1.0, 2.5, -2.0)
    assert added(direct, via).cells() == ["+1.50", "+1.00", "+2.50", "-2.00"]


def _measured(target: str, rate: float, p99: float, errors: int = 0) -> Measured:
    summary = Summary(100 + errors, 100, errors, 1.0, 1.5, p99, p99 + 1, rate)
    errs = Counter({"timeout": errors})
    return Measured("1a off", rate, target, summary, errs, 1.2, 5.0, 0.4, 3.0)


def test_added_rows_pair_each_proxy_with_the_direct_run_at_its_rate() -> None:
    measured = [
        _measured("direct", 100, 2.0),
        _measured("wardgate", 100, 4.0),
        _measured("direct", 500, 2.0),
        _measured("wardgate", 500, 4.5),
        _measured("litellm", 500, 12.0, errors=2),
    ]
    rows = added_rows(measured, "1a off", 3.0, limit_rate=500)
    by_key = {(r[1], r[2]): r for r in rows}
    assert set(by_key) == {("100", "wardgate"), ("500", "wardgate"), ("500", "litellm")}
    assert by_key[("100", "wardgate")][5] == "+2.00"
    assert by_key[("100", "wardgate")][-2:] == ["-", "-"]  # the target is checked at 500 only
    assert by_key[("500", "wardgate")][5] == "+2.50"
    assert by_key[("500", "wardgate")][-1] == "yes"
    assert by_key[("500", "litellm")][-1] == "no (errors)"


def test_added_rows_say_no_when_the_target_is_missed() -> None:
    measured = [_measured("direct", 50, 2.0), _measured("wardgate", 50, 30.0)]
    (row,) = added_rows(measured, "1a off", 25.0, limit_rate=None)
    assert row[5] == "+28.00"
    assert row[-1] == "no"


# ---- the load generator's HTTP/1.1 parser -----------------------------------------------------

LENGTH = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\nhello world"
)
CHUNKED = (
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nx-trailer: 1\r\n\r\n"
)


def _parse(pieces: list[bytes]) -> tuple[ResponseParser, bytes]:
    parser = ResponseParser()
    body = b""
    for piece in pieces:
        body += b"".join(parser.feed(piece))
    return parser, body


@pytest.mark.parametrize("raw", [LENGTH, CHUNKED])
def test_parser_reads_a_whole_response(raw: bytes) -> None:
    parser, body = _parse([raw])
    assert parser.done
    assert parser.status == 200
    assert body == b"hello world"
    assert parser.keep_alive


@given(st.sampled_from([LENGTH, CHUNKED]), st.lists(st.integers(0, 200), max_size=12))
def test_parser_gives_the_same_body_however_the_bytes_arrive(raw: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(raw)) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    parser, body = _parse(pieces)
    assert parser.done
    assert body == b"hello world"


def test_parser_is_not_done_before_the_last_byte() -> None:
    parser, _ = _parse([CHUNKED[:-2]])
    assert not parser.done


@pytest.mark.parametrize(
    ("raw", "done", "keep_alive"),
    [
        (b"HTTP/1.1 204 No Content\r\n\r\n", True, True),
        (b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n", True, False),
        (b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n", True, False),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", True, True),
    ],
)
def test_parser_status_and_connection_handling(raw: bytes, done: bool, keep_alive: bool) -> None:
    parser, _ = _parse([raw])
    assert parser.done is done
    assert parser.keep_alive is keep_alive
    assert parser.status in (200, 204)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"HTTP/1.1 200 OK\r\n\r\n", "without Content-Length"),  # a body that ends at close
        (b"SMTP 200 OK\r\ncontent-length: 0\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nbroken header\r\ncontent-length: 0\r\n\r\n", "header"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabXY", "CRLF"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nab", "after the end"),
    ],
)
def test_parser_refuses_what_it_cannot_read(raw: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        _parse([raw])


def test_parser_bounds_the_head() -> None:
    with pytest.raises(ProtocolError, match="too large"):
        _parse([b"HTTP/1.1 200 OK\r\n" + b"x: y\r\n" * 20_000])


def test_build_request_frames_the_body() -> None:
    body = chat_body("héllo")
    raw = build_request("127.0.0.1", 8080, "/v1/chat/completions", body, [("Authorization", "k")])
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/chat/completions HTTP/1.1"
    assert f"Content-Length: {len(body)}" in lines
    assert "Authorization: k" in lines
    assert rest == body
    assert json.loads(rest)["messages"][1]["content"] == "héllo"
    assert "stream" not in json.loads(rest)
    assert json.loads(chat_body("x", stream=True))["stream"] is True


# ---- streamed answers ---------------------------------------------------------------------------


def _event(content: str | None, stamp: int) -> bytes:
    delta = {} if content is None else {"content": content}
    data = {"system_fingerprint": f"t{stamp}", "choices": [{"index": 0, "delta": delta}]}
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def _stream(contents: list[str | None]) -> bytes:
    return b"".join(_event(c, 1000 + i) for i, c in enumerate(contents)) + b"data: [DONE]\n\n"


@given(st.lists(st.integers(0, 400), max_size=10))
def test_sse_chunks_records_content_chunks_with_their_stamps(cuts: list[int]) -> None:
    raw = _stream(["", "ab", "cd", None, "ef"])  # role event, 3 contents, finish
    points = sorted({min(c, len(raw)) for c in cuts})
    sse = SseChunks()
    for i, (a, b) in enumerate(zip([0, *points], [*points, len(raw)], strict=True)):
        sse.feed(raw[a:b], 5000 + i)
    assert [emitted for _, emitted in sse.chunks] == [1001, 1002, 1004]
    arrivals = [arrived for arrived, _ in sse.chunks]
    assert arrivals == sorted(arrivals)
    assert bytes(sse.raw) == raw


def test_replay_counts_one_inspection_per_text_event_and_one_at_the_end() -> None:
    events, chars, inspections = replay_inspections(_stream(["", *["abcd"] * 50, None]))
    assert chars == 200
    assert events >= 52
    assert inspections == 51


@pytest.mark.parametrize(
    ("value", "expected"),
    [("200:4:10", (200, 4, 0.01)), ("1:1:0", (1, 1, 0.0)), ("3:8:2.5", (3, 8, 0.0025))],
)
def test_stream_header_parses(value: str, expected: tuple[int, int, float]) -> None:
    assert parse_stream_header(value) == expected


@pytest.mark.parametrize("value", ["0:4:10", "200:0:10", "200:4:5000", "a:b:c", "1:2", "-1:4:1"])
def test_stream_header_out_of_range_is_refused(value: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - int(), float() and the range check
        parse_stream_header(value)


@pytest.mark.asyncio
async def test_fake_upstream_stamps_each_streamed_event() -> None:
    app = fake_upstream_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        body = chat_body("hi", stream=True)
        headers = {"content-type": "application/json", STREAM_HEADER: "20:4:0"}
        streamed = await client.post("/v1/chat/completions", content=body, headers=headers)
        plain = await client.post("/v1/chat/completions", content=chat_body("hi there"))
    sse = SseChunks()
    sse.feed(streamed.content, 0)
    assert len(sse.chunks) == 20
    assert all(emitted > 0 for _, emitted in sse.chunks)
    assert STAMP_FIELD not in streamed.content
    answer = plain.json()
    assert answer["choices"][0]["message"]["content"] == "You said: hi there"
    assert answer["system_fingerprint"] == "fp_fake"  # only streams are stamped


# ---- configuration and metrics ------------------------------------------------------------------


def test_gateway_config_is_valid_and_never_limits_the_benchmark(tmp_path: Path) -> None:
    text = gateway_config_yaml(18080, "http://127.0.0.1:9", tmp_path / "keys.db")
    config = GatewayConfig.model_validate(yaml.safe_load(text))
    modes = {r.prefix: r.mode for r in config.routes}
    assert modes == {"/wg-off": Mode.OFF, "/wg-enforce": Mode.ENFORCE}
    assert all(not r.anonymous for r in config.routes)
    assert config.auth.api_keys
    assert config.limits.requests is not None
    assert config.limits.requests.requests >= 10**9
    assert config.limits.tokens is not None
    assert config.limits.tokens.tokens >= 10**12


def test_litellm_config_points_at_the_fake() -> None:
    config = yaml.safe_load(litellm_config_yaml("http://127.0.0.1:9"))
    (model,) = config["model_list"]
    assert model["model_name"] == "fake-model"
    assert model["litellm_params"]["api_base"] == "http://127.0.0.1:9/v1"
    assert model["litellm_params"]["model"].startswith("openai/")
    assert "database_url" not in config["general_settings"]
    assert "guardrails" not in config


METRICS = """\
# HELP wardgate_detection_seconds Time spent inspecting, per phase.
# TYPE wardgate_detection_seconds histogram
wardgate_detection_seconds_bucket{le="0.001",phase="request",route="bench-enforce"} 3.0
wardgate_detection_seconds_count{phase="request",route="bench-enforce"} 10.0
wardgate_detection_seconds_sum{phase="request",route="bench-enforce"} 0.02
wardgate_detection_seconds_count{phase="response",route="bench-enforce"} 4.0
wardgate_detection_seconds_sum{phase="response",route="bench-enforce"} 0.008
wardgate_requests_total{route="bench-enforce",status="200"} 10.0
"""


def test_detection_totals_and_delta() -> None:
    totals = detection_totals(METRICS)
    assert totals[("bench-enforce", "request")] == (0.02, 10.0)
    assert totals[("bench-enforce", "response")] == (0.008, 4.0)
    mean_ms, count = detection_delta({}, totals, "bench-enforce", "request")
    assert (round(mean_ms, 6), count) == (2.0, 10)
    mean_ms, count = detection_delta(totals, totals, "bench-enforce", "response")
    assert math.isnan(mean_ms)
    assert count == 0


# ---- report -------------------------------------------------------------------------------------


def test_markdown_report_has_every_table_and_note() -> None:
    measured = [_measured("direct", 500, 2.0), _measured("wardgate", 500, 4.0, errors=1)]
    table = run_table("Non-streamed chat, detection off (scenario 1a)", measured)
    assert table.rows[1][:4] == ["500", "wardgate", "101", "1"]
    assert "wardgate @ 500: timeout x1" in table.notes[0]
    args = argparse.Namespace(stream_chunks=3, chunk_chars=4, chunk_delay_ms=10.0, stream_rate=2.0)
    direct = StreamRun(lags_ms=[0.2, 0.3], gaps_ms=[10.0], first_ms=[5.0], streams_ok=1)
    via = StreamRun(lags_ms=[1.2, 4.3], gaps_ms=[11.0], first_ms=[9.0], streams_ok=1)
    streams = stream_table([("direct", direct), ("wardgate", via)], args)
    assert any("+4.00" in n and "no." in n for n in streams.notes)  # p99 4.3 - 0.3
    md = render_markdown(["CPU: test"], [table, streams], ["a note"])
    assert md.startswith("# Wardgate gateway latency benchmark\n\n- CPU: test\n")
    assert "## Non-streamed chat, detection off (scenario 1a)" in md
    assert "| 500 | wardgate | 101 | 1 |" in md
    assert "## Streamed chat, 3 chunks of 4 characters every 10 ms" in md
    assert md.rstrip().endswith("- a note")
