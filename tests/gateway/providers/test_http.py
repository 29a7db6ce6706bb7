import json
from http import HTTPStatus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.gateway.providers.base import STATUS, ErrorKind
from wardgate.gateway.providers.http import HttpAdapter

adapter = HttpAdapter()


@given(
    st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    st.text(max_size=20),
    st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3) | st.text(),
)
def test_requests_have_no_segments(method, path, body):
    parsed = adapter.parse_request(method, path, body)
    assert parsed.operation == "http"
    assert parsed.segments == ()
    assert parsed.model is None
    assert adapter.parse_response(path, body).segments == ()
    assert adapter.is_stream(path, body) is False


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_errors_are_problem_details(kind):
    reply = adapter.error(kind, "Request blocked: SQL injection in parameter q")
    assert reply.status == STATUS[kind]
    assert reply.content_type == "application/problem+json"
    assert json.loads(reply.body) == {
        "type": "about:blank",
        "title": HTTPStatus(STATUS[kind]).phrase,
        "status": STATUS[kind],
        "detail": "Request blocked: SQL injection in parameter q",
    }


def test_blocked_is_a_bad_request_problem():
    body = json.loads(adapter.error(ErrorKind.BLOCKED, "no").body)
    assert (body["status"], body["title"]) == (400, "Bad Request")


def test_stream_error_is_empty_and_decoder_passes_bytes_through():
    assert adapter.stream_error(ErrorKind.BLOCKED, "x") == b""
    decoder = adapter.stream_decoder("/download")
    events = decoder.feed(b"abc") + decoder.feed(b"") + decoder.feed(b"def") + decoder.close()
    assert [e.raw for e in events] == [b"abc", b"def"]
    assert all(e.text == "" and not e.terminal for e in events)
