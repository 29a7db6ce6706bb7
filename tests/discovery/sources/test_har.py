"""HAR files: entries become observations; bad entries are skipped and counted; big files stream."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.discovery.observation import MAX_BODY_BYTES
from wardgate.discovery.sources import SourceStats
from wardgate.discovery.sources.har import NotHarError, read_har


def entry(
    url: str = "https://API.Example.com:443/v1/users/42?expand=orders&q=a%20b",
    method: str = "POST",
    **overrides: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "startedDateTime": "2024-05-01T10:00:00.500Z",
        "time": 12.5,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/2",
            "headers": [
                {"name": ":authority", "value": "api.example.com"},
                {"name": "Content-Type", "value": "application/json"},
                {"name": "Authorization", "value": "Bearer abc"},
            ],
            "queryString": [{"name": "expand", "value": "orders"}],
            "cookies": [],
            "postData": {"mimeType": "application/json", "text": '{"name": "Ann"}'},
        },
        "response": {
            "status": 201,
            "statusText": "Created",
            "headers": [{"name": "Content-Type", "value": "application/json; charset=utf-8"}],
            "content": {
                "size": 9,
                "mimeType": "application/json",
                "text": base64.b64encode(b'{"id": 42}').decode(),
                "encoding": "base64",
            },
        },
        "cache": {},
        "timings": {"send": 0, "wait": 10, "receive": 2},
    }
    for path, value in overrides.items():
        node = item
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return item


_DELETE = object()


def har(*entries: Any, pretty: bool = False) -> bytes:
    doc = {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [{"id": "page_1", "title": "x", "startedDateTime": "2024-05-01T10:00:00Z"}],
            "entries": list(entries),
        }
    }
    return json.dumps(doc, indent=1 if pretty else None).encode()


def read(data: bytes, **kwargs: Any) -> tuple[list[Any], SourceStats]:
    stats = SourceStats()
    return list(read_har(io.BytesIO(data), stats=stats, **kwargs)), stats


def test_entry_becomes_an_observation() -> None:
    [obs], stats = read(har(entry()))
    assert stats.to_dict() == {"read": 1, "yielded": 1, "skipped": 0, "reasons": {}}
    assert obs.method == "POST"
    assert obs.scheme == "https"
    assert obs.host == "api.example.com"  # lower-cased, default port dropped
    assert obs.path == "/v1/users/42"
    assert obs.query == (("expand", "orders"), ("q", "a b"))
    assert obs.request_headers == (
        ("content-type", "application/json"),
        ("authorization", "Bearer abc"),
    )  # the HTTP/2 pseudo-header is not a header
    assert obs.request_body == b'{"name": "Ann"}'
    assert obs.status == 201
    assert obs.response_body == b'{"id": 42}'
    assert obs.response_content_type == "application/json"
    assert obs.timestamp == 1714557600.5
    assert obs.source == "har"


def test_file_path_and_pretty_printed_file(tmp_path: Path) -> None:
    path = tmp_path / "capture.har"
    path.write_bytes(har(entry(), entry(method="get"), pretty=True))
    stats = SourceStats()
    got = list(read_har(path, stats=stats))
    assert [o.method for o in got] == ["POST", "GET"]
    assert stats.yielded == 2


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        ({"request__url": "http://h.test:8080/a"}, lambda o: o.host == "h.test:8080"),
        ({"request__url": "https://u:p@h.test/a"}, lambda o: o.host == "h.test"),
        ({"request__url": "https://h.test"}, lambda o: o.path == "/"),
        ({"response__status": 0}, lambda o: o.status is None),  # the browser got no answer
        ({"response": _DELETE}, lambda o: o.status is None and o.response_body is None),
        ({"response__content__encoding": _DELETE}, lambda o: o.response_body.startswith(b"eyJ")),
        ({"response__content__text": _DELETE}, lambda o: o.response_body is None),
        ({"request__postData": _DELETE}, lambda o: o.request_body is None),
        ({"startedDateTime": "yesterday"}, lambda o: o.timestamp == 0.0),
        ({"startedDateTime": "2024-05-01T12:00:00+02:00"}, lambda o: o.timestamp == 1714557600),
        ({"request__headers": "nope"}, lambda o: o.request_headers[0][0] == "content-type"),
        (
            {"request__headers": [{"name": "X-A", "value": "1"}, {"name": 3}, "junk"]},
            lambda o: o.request_headers == (("x-a", "1"), ("content-type", "application/json")),
        ),
        (
            {
                "request__postData": {
                    "mimeType": "application/x-www-form-urlencoded",
                    "params": [{"name": "a", "value": "1 2"}, {"name": "b"}, {"value": "no name"}],
                }
            },
            lambda o: o.request_body == b"a=1+2&b=",
        ),
        (
            {"request__postData": {"mimeType": "multipart/form-data", "params": [{"name": "f"}]}},
            lambda o: o.request_body is None,
        ),
        (
            {
                "request__postData": {
                    "text": base64.b64encode(b"\x00\x01").decode(),
                    "encoding": "base64",
                }
            },
            lambda o: o.request_body == b"\x00\x01",
        ),
        (
            {"response__content__text": "eyJp\nZCI6\n IDF9"},  # wrapped base64
            lambda o: o.response_body == b'{"id": 1}',
        ),
        ({"request__postData__text": "caf\ud800"}, lambda o: o.request_body == b"caf\xed\xa0\x80"),
    ],
)
def test_entry_variants(overrides: dict[str, Any], check: Any) -> None:
    [obs], stats = read(har(entry(**overrides)))
    assert stats.skipped == 0
    assert check(obs)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("not an entry", "not_object"),
        (entry(request="GET /"), "missing_request"),
        (entry(request__method=_DELETE), "missing_method"),
        (entry(request__method="GET /x"), "missing_method"),
        (entry(request__url=_DELETE), "missing_url"),
        (entry(request__url="/relative/only"), "bad_url"),
        (entry(request__url="ftp://h.test/x"), "bad_url"),
        (entry(request__url="http://[::1/x"), "bad_url"),
        (entry(request__url="http://h.test:99999/x"), "bad_url"),
        (entry(response__content__text="!!not base64!!"), "bad_base64"),
        (entry(response="oops"), "bad_response"),
        (entry(request__postData="oops"), "bad_post_data"),
    ],
)
def test_malformed_entry_is_skipped_and_counted(bad: Any, reason: str) -> None:
    got, stats = read(har(entry(), bad, entry()))
    assert len(got) == 2
    assert stats.to_dict() == {"read": 3, "yielded": 2, "skipped": 1, "reasons": {reason: 1}}


def test_bodies_are_cut() -> None:
    big = "x" * (MAX_BODY_BYTES + 10)
    [obs], _ = read(
        har(
            entry(
                request__postData__text=big,
                response__content__text=big,
                response__content__encoding=_DELETE,
            )
        )
    )
    assert len(obs.request_body) == MAX_BODY_BYTES
    assert obs.request_truncated
    assert len(obs.response_body) == MAX_BODY_BYTES
    assert obs.response_truncated


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"   ",
        b"\x89PNG\r\n\x1a\n",
        b"[]",
        b'"log"',
        b"{}",
        b'{"log": []}',
        b'{"log": {"version": "1.2"}}',
        b'{"log": {"entries": {}}}',
        b'{"log": {"version" 1}}',
        b'{"log": {"creator": {"name": "x"',
        b"<html><body>not a HAR</body></html>",
    ],
)
def test_a_file_that_is_not_har_raises(document: bytes) -> None:
    with pytest.raises(NotHarError, match="not a HAR file"):
        read(document)


def test_structure_around_entries_is_walked_not_assumed() -> None:
    # entries after other members, members after entries, a BOM, an unrelated top-level key
    doc = (
        b'\xef\xbb\xbf {"comment": {"entries": []}, "log": {"pages": [{"entries": 1}], '
        b'"creator": {"name": "x"}, "entries": [' + json.dumps(entry()).encode() + b'], "x": 1}}'
    )
    got, stats = read(doc)
    assert len(got) == 1
    assert stats.skipped == 0


def test_empty_entries() -> None:
    assert read(har()) == ([], SourceStats())


def test_syntax_error_inside_one_entry_skips_that_entry_only() -> None:
    good = json.dumps(entry()).encode()
    doc = b'{"log": {"entries": [' + good + b', {"request": {"url": x}}, ' + good + b"]}}"
    got, stats = read(doc, chunk_chars=64)  # the bad entry crosses chunk boundaries
    assert len(got) == 2
    assert stats.reasons == {"invalid_json": 1}


def test_truncated_file_yields_the_complete_entries() -> None:
    data = har(*[entry(request__url=f"https://h.test/{i}") for i in range(20)])
    got, stats = read(data[: len(data) * 2 // 3], chunk_chars=500)
    assert [o.path for o in got] == [f"/{i}" for i in range(len(got))]
    assert 5 < len(got) < 20
    assert stats.reasons == {"truncated": 1}
    assert stats.read == stats.yielded + stats.skipped


def test_broken_separator_ends_the_read_counted() -> None:
    doc = b'{"log": {"entries": [' + json.dumps(entry()).encode() + b" oops ]}}"
    got, stats = read(doc)
    assert len(got) == 1
    assert stats.reasons == {"invalid_json": 1}


@pytest.mark.parametrize("chunk", [1, 7, 100, 1 << 20])
def test_chunk_boundaries_do_not_change_the_result(chunk: int) -> None:
    entries = [
        entry(request__url=f"https://h.test/é/{i}", request__postData__text="ü" * i)
        for i in range(30)
    ]
    data = har(*entries, 12345.5, pretty=True)  # a number as the last entry: cut by chunks
    got, stats = read(data, chunk_chars=chunk)
    assert [o.path for o in got] == [f"/é/{i}" for i in range(30)]
    assert got[29].request_body == "ü".encode() * 29
    assert stats.reasons == {"not_object": 1}


def test_oversized_entry_is_skipped_without_being_kept() -> None:
    huge = entry(response__content__text=base64.b64encode(b'\\"[{' * 50_000).decode())
    escaped = entry(request__postData__text='quote " brace } bracket ] backslash \\' * 200)
    data = har(entry(), huge, escaped, entry())
    got, stats = read(data, chunk_chars=1000, max_entry_chars=20_000)
    assert len(got) == 3  # the escaped one is under the limit and its strings fool nothing
    assert got[1].request_body.startswith(b'quote " brace }')
    assert stats.reasons == {"too_large": 1}


def test_many_entries_stream_in_bounded_chunks() -> None:
    data = har(*[entry(request__url=f"https://h.test/{i}") for i in range(2000)])
    got, stats = read(data, chunk_chars=4096)
    assert stats.yielded == 2000
    assert len(got) == 2000


# -- properties ---------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_entryish = st.fixed_dictionaries(
    {},
    optional={
        "request": st.fixed_dictionaries(
            {},
            optional={
                "method": st.sampled_from(["GET", "post", "", "G E T"]) | _json,
                "url": st.sampled_from(["https://h.test/a?b=1", "http://[::1", "x"]) | _json,
                "headers": _json,
                "postData": _json,
            },
        ),
        "response": st.fixed_dictionaries(
            {},
            optional={
                "status": st.integers(-5, 1000) | _json,
                "headers": _json,
                "content": st.fixed_dictionaries(
                    {},
                    optional={
                        "text": st.text(max_size=30) | _json,
                        "encoding": st.sampled_from(["base64", "BASE64"]) | _json,
                    },
                ),
            },
        ),
        "startedDateTime": st.text(max_size=30) | _json,
    },
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_entryish | _json, max_size=6), st.sampled_from([3, 64, 1 << 20]))
def test_any_entries_are_read_or_counted(entries: list[Any], chunk: int) -> None:
    got, stats = read(har(*entries), chunk_chars=chunk)
    assert stats.read == len(entries)
    assert stats.yielded == len(got)
    assert stats.read == stats.yielded + stats.skipped


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([2, 1 << 20]))
def test_arbitrary_bytes_never_raise_anything_but_not_har(data: bytes, chunk: int) -> None:
    try:
        got, stats = read(data, chunk_chars=chunk)
    except NotHarError:
        return
    assert stats.read == len(got) + stats.skipped


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2000), st.binary(max_size=40))
def test_a_valid_file_cut_anywhere_and_garbled_never_raises_after_entries(
    at: int, tail: bytes
) -> None:
    prefix = b'{"log": {"entries": ['
    data = prefix + json.dumps([entry(), entry(method="GET")])[1:].encode() + b"}}"
    try:
        got, stats = read(data[: len(prefix) + at] + tail, chunk_chars=16)
    except NotHarError:
        pytest.fail("the prefix is HAR: only the entries are damaged")
    assert stats.read == len(got) + stats.skipped
