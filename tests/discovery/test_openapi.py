import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wardgate.discovery import spec
from wardgate.discovery.model import EndpointRecord
from wardgate.discovery.openapi import clean_schema, export, validate
from wardgate.discovery.risk import assess

HOST = "api.example.com"
T0 = 1_700_000_000.0

USER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string", "format": "email"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "manager": {"type": ["object", "null"], "properties": {"id": {"type": "integer"}}},
    },
    "required": ["id"],
}


def _records() -> list[EndpointRecord]:
    return [
        EndpointRecord(
            host=HOST,
            method="GET",
            template="/v2/users/{userId}",
            count=40,
            first_seen=T0,
            last_seen=T0 + 3600,
            statuses={"200": 38, "404": 2},
            query={
                "fields": {"type": "string", "x-wardgate-required": True},
                "expand": {"type": "boolean", "x-wardgate-seen": 3},
                "page": {"type": "integer"},
            },
            request_headers={
                "x-tenant": {"type": "string", "x-wardgate-seen": 40},
                "user-agent": {},
            },
            response_schemas={"200": USER},
            auth={"jwt": 40},
            auth_details={"jwt": ["alg=RS256 iss=https://idp.example"]},
            sensitive={"response.body.$.email": ["EMAIL"]},
        ),
        EndpointRecord(
            host=HOST,
            method="PUT",
            template="/v2/users/{id}",  # same path, other parameter name
            count=5,
            statuses={"204": 5},
            request_content_types={"application/json": 5},
            request_schema=USER,
            auth={"bearer": 5},
        ),
        EndpointRecord(
            host=HOST,
            method="POST",
            template="/v1/chat/completions",
            count=100,
            statuses={"200": 99, "429": 1},
            request_content_types={"application/json": 100},
            request_schema={
                "type": "object",
                "properties": {"model": {"type": "string"}, "messages": {"type": "array"}},
            },
            auth={"api_key_header": 90, "none": 10},
            auth_details={"api_key_header": ["x-api-key"]},
            ai="openai.chat",
            findings={"prompt_injection": 2},
        ),
        EndpointRecord(
            host=HOST,
            method="GET",
            template="/search",
            count=7,
            statuses={"200": 7},
            query={"q": {"type": "string"}, "api_key": {"type": "string"}},
            auth={"api_key_query": 7},
            auth_details={"api_key_query": ["api_key"]},
        ),
        EndpointRecord(
            host=HOST,
            method="POST",
            template="/login",
            count=3,
            statuses={"200": 2, "401": 1},
            request_content_types={"application/x-www-form-urlencoded": 3},
            auth={"none": 3},
        ),
        EndpointRecord(
            host=HOST,
            method="GET",
            template="/reports/{year}/{year}",  # a repeated name must be made unique
            count=2,
            statuses={"200": 2},
            auth={"basic": 1, "cookie": 1, "mtls": 1},
            auth_details={
                "basic": ["authorization"],
                "cookie": ["session"],
                "mtls": ["x-ssl-client-cert"],
            },
        ),
        EndpointRecord(
            host=HOST,
            method="DELETE",
            template="/v2/items/{itemId}/",
            count=1,
            statuses={},  # no response seen
            auth={"api_key_header": 1},
            auth_details={"api_key_header": ["authorization:Token"]},
        ),
        EndpointRecord(host="other.example.com", method="GET", template="/elsewhere", count=1),
    ]


def _op(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = doc["paths"][path][method]
    return result


def test_export_validates_as_openapi_31() -> None:
    doc = export(_records(), HOST)
    assert doc["openapi"] == "3.1.0"
    assert validate(doc) == []
    assert doc["servers"] == [{"url": "https://api.example.com"}]
    assert "/elsewhere" not in doc["paths"]  # other host
    # equivalent templates share one path item
    assert set(doc["paths"]["/v2/users/{userId}"]) == {"get", "put"}
    assert "/v2/users/{id}" not in doc["paths"]
    assert "/reports/{year}/{year2}" in doc["paths"]
    json.dumps(doc)


def test_operation_ids_are_unique() -> None:
    records = [
        EndpointRecord(host=HOST, method="GET", template=t, count=1, statuses={"200": 1})
        for t in ("/a-b", "/a_b", "/a/b", "/a.b")
    ]
    doc = export(records, HOST)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == 4
    assert len(set(ids)) == 4
    assert validate(doc) == []


def test_parameters() -> None:
    doc = export(_records(), HOST)
    get = _op(doc, "/v2/users/{userId}", "get")
    params = {(p["name"], p["in"]): p for p in get["parameters"]}
    assert params["userId", "path"] == {
        "name": "userId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    assert params["fields", "query"]["required"] is True
    assert params["expand", "query"]["required"] is False
    assert params["page", "query"]["required"] is False  # presence unknown
    assert params["page", "query"]["schema"] == {"type": "integer"}
    assert params["x-tenant", "header"]["required"] is True
    assert ("user-agent", "header") not in params
    # the API key's own query parameter is described by its security scheme
    search = _op(doc, "/search", "get")
    assert [p["name"] for p in search["parameters"]] == ["q"]
    reports = _op(doc, "/reports/{year}/{year2}", "get")
    assert [p["name"] for p in reports["parameters"]] == ["year", "year2"]


def test_bodies_and_responses() -> None:
    doc = export(_records(), HOST)
    put = _op(doc, "/v2/users/{userId}", "put")
    assert put["requestBody"]["content"]["application/json"]["schema"] == USER
    assert set(put["responses"]) == {"204"}
    get = _op(doc, "/v2/users/{userId}", "get")
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == USER
    assert "content" not in get["responses"]["404"]
    assert get["responses"]["404"]["x-wardgate-calls"] == 2
    login = _op(doc, "/login", "post")
    assert list(login["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert _op(doc, "/v2/items/{itemId}/", "delete")["responses"] == {
        "default": {"description": "No response was observed"}
    }


def test_security_schemes_and_requirements() -> None:
    doc = export(_records(), HOST)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["jwtAuth"]["type"] == "http"
    assert schemes["jwtAuth"]["scheme"] == "bearer"
    assert schemes["jwtAuth"]["bearerFormat"] == "JWT"
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert schemes["apiKeyHeader.x-api-key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    assert schemes["apiKeyHeader.authorization"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }
    assert schemes["apiKeyQuery.api_key"] == {"type": "apiKey", "in": "query", "name": "api_key"}
    assert schemes["cookieAuth.session"] == {"type": "apiKey", "in": "cookie", "name": "session"}
    assert schemes["mutualTLS"] == {"type": "mutualTLS"}
    assert _op(doc, "/v2/users/{userId}", "get")["security"] == [{"jwtAuth": []}]
    # anonymous calls were seen too: an empty requirement makes auth optional
    assert _op(doc, "/v1/chat/completions", "post")["security"] == [
        {"apiKeyHeader.x-api-key": []},
        {},
    ]
    assert _op(doc, "/login", "post")["security"] == []
    assert _op(doc, "/reports/{year}/{year2}", "get")["security"] == [
        {"basicAuth": []},
        {"cookieAuth.session": []},
        {"mutualTLS": []},
    ]


def test_wardgate_extensions() -> None:
    records = _records()
    risk = {r.key: assess(r) for r in records}
    doc = export(records, HOST, title="Example", risk=risk)
    assert doc["info"]["title"] == "Example"
    get = _op(doc, "/v2/users/{userId}", "get")
    assert get["x-wardgate-calls"] == 40
    assert get["x-wardgate-first-seen"] == "2023-11-14T22:13:20Z"
    assert get["x-wardgate-last-seen"] == "2023-11-14T23:13:20Z"
    assert get["x-wardgate-sensitive"] == {"response.body.$.email": ["EMAIL"]}
    assert get["x-wardgate-risk"] == risk[records[0].key].to_dict()
    assert get["x-wardgate-risk"]["owasp"] == ["API1", "API3"]
    chat = _op(doc, "/v1/chat/completions", "post")
    assert chat["x-wardgate-ai"] == "openai.chat"
    assert chat["x-wardgate-findings"] == {"prompt_injection": 2}
    assert doc["x-wardgate-calls"] == sum(r.count for r in records if r.host == HOST)
    assert "x-wardgate-shadow" not in get  # no report given
    assert "x-wardgate-sensitive" not in _op(
        export(records, HOST, sensitivity=False), "/v2/users/{userId}", "get"
    )
    assert validate(doc) == []


def test_spec_report_extensions() -> None:
    declared = spec.parse(
        yaml.safe_dump(
            {
                "openapi": "3.0.3",
                "info": {"title": "declared", "version": "1"},
                "servers": [{"url": "https://api.example.com"}],
                "paths": {
                    "/v1/users/{uid}": {
                        "get": {"deprecated": True, "responses": {"200": {"description": ""}}}
                    },
                    "/v2/users/{uid}": {
                        "get": {
                            "operationId": "getUser",
                            "responses": {"200": {"description": ""}},
                        },
                    },
                    "/never": {"get": {"responses": {"200": {"description": ""}}}},
                },
            }
        )
    )
    records = [
        EndpointRecord(host=HOST, method="GET", template="/v1/users/{id}", count=1, last_seen=T0),
        EndpointRecord(
            host=HOST,
            method="GET",
            template="/v2/users/{id}",
            count=1,
            last_seen=T0,
            statuses={"500": 1},
        ),
        EndpointRecord(host=HOST, method="GET", template="/debug", count=1, last_seen=T0),
    ]
    report = spec.compare(declared, records, now=T0 + 60)
    doc = export(records, HOST, report=report)
    assert validate(doc) == []
    old = _op(doc, "/v1/users/{id}", "get")
    assert old["deprecated"] is True
    assert {z["reason"] for z in old["x-wardgate-zombie"]} == {"deprecated", "old_version"}
    new = _op(doc, "/v2/users/{id}", "get")
    assert new["x-wardgate-declared"] == {
        "template": "/v2/users/{uid}",
        "operationId": "getUser",
        "deprecated": False,
    }
    assert new["x-wardgate-drift"] == [
        {"kind": "undeclared_status", "name": "500", "detail": "status code not declared"}
    ]
    assert new["x-wardgate-shadow"] is False
    assert _op(doc, "/debug", "get")["x-wardgate-shadow"] is True
    assert doc["x-wardgate-orphans"] == [
        {"method": "GET", "template": "/never", "operationId": None, "deprecated": False}
    ]
    assert doc["x-wardgate-spec-summary"]["shadow"] == 1


def test_round_trip_export_load_compare() -> None:
    records = [r for r in _records() if r.host == HOST]
    doc = export(records, HOST)
    for text in (json.dumps(doc), yaml.safe_dump(doc)):
        declared = spec.parse(text)
        report = spec.compare(declared, records, now=T0)
        assert report.shadow == []
        assert report.orphan == []
        assert report.drift == [], [(d.key, d.items) for d in report.drift]
        assert len(report.matched) == len(records)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "example": "alice@example.com", "default": "x"}, {"type": "string"}),
        ({"type": "integer", "nullable": True}, {"type": ["integer", "null"]}),
        ({"type": "bogus", "const": "secret"}, {}),
        ({"type": ["string", "bogus", "string"]}, {"type": "string"}),
        ({"$ref": "#/components/schemas/X"}, {}),
        ({"required": ["a", 3, "a"], "minLength": -1, "maxLength": True}, {"required": ["a"]}),
        ({"items": [{"type": "string"}]}, {"prefixItems": [{"type": "string"}]}),
        ({"x-wardgate-seen": 3, "x-obj": object()}, {"x-wardgate-seen": 3}),
        ("not a schema", {}),
    ],
)
def test_clean_schema(schema: Any, expected: dict[str, Any]) -> None:
    assert clean_schema(schema) == expected


def test_clean_schema_is_bounded() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(200):
        node["properties"] = {"x": {}}
        node = node["properties"]["x"]
    text = json.dumps(clean_schema(deep))
    assert text.count("properties") <= 40


def test_hostile_host_is_not_put_into_urls() -> None:
    host = 'evil.example/"><script>'
    doc = export([EndpointRecord(host=host, method="GET", template="/", count=1)], host)
    assert doc["servers"] == [{"url": "/"}]
    assert "<script>" not in doc["info"]["title"]
    assert validate(doc) == []


@pytest.mark.parametrize(
    "doc",
    [
        {
            "openapi": "3.1.0",
            "info": {"title": "x", "version": "1"},
            "paths": {"/a/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}},
        },
        {"openapi": "3.0.3", "info": {"title": "x"}, "paths": {}},
        {"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {}}}},
        {"openapi": "9.9", "paths": {}},
    ],
)
def test_validate_reports_problems(doc: dict[str, Any]) -> None:
    assert validate(doc) != []


_name = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True)
_segment = st.one_of(_name, _name.map(lambda n: "{" + n + "}"))
_schema = st.recursive(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["string", "integer", "boolean", "null", "number"])}
    ),
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("object"), "properties": st.dictionaries(_name, inner, max_size=3)}
        ),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner}),
        st.fixed_dictionaries({"anyOf": st.lists(inner, min_size=1, max_size=2)}),
    ),
    max_leaves=6,
)
_record = st.builds(
    EndpointRecord,
    host=st.just(HOST),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]),
    template=st.lists(_segment, max_size=4).map(lambda s: "/" + "/".join(s)),
    count=st.integers(0, 100),
    statuses=st.dictionaries(
        st.sampled_from(["200", "201", "204", "301", "404", "500", "0", "999"]),
        st.integers(1, 9),
        max_size=3,
    ),
    query=st.dictionaries(_name, _schema, max_size=3),
    request_headers=st.dictionaries(_name.map(lambda n: "x-" + n), _schema, max_size=2),
    request_content_types=st.dictionaries(
        st.sampled_from(["application/json", "text/plain", "bad"]), st.integers(1, 5), max_size=2
    ),
    request_schema=st.one_of(st.none(), _schema),
    response_schemas=st.dictionaries(st.sampled_from(["200", "404"]), _schema, max_size=2),
    auth=st.dictionaries(
        st.sampled_from(
            [
                "none",
                "basic",
                "bearer",
                "jwt",
                "api_key_header",
                "api_key_query",
                "cookie",
                "mtls",
                "future",
            ]
        ),
        st.integers(0, 5),
        max_size=3,
    ),
    auth_details=st.fixed_dictionaries(
        {},
        optional={
            "api_key_header": st.lists(
                st.sampled_from(["x-api-key", "authorization:Bearer", "bad name"]), max_size=2
            ),
            "cookie": st.lists(st.sampled_from(["sid", "JSESSIONID"]), max_size=2),
        },
    ),
    ai=st.sampled_from([None, "openai.chat", "mcp"]),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_record, max_size=6))
def test_any_records_export_to_a_valid_document(records: list[EndpointRecord]) -> None:
    doc = export(records, HOST, risk={r.key: assess(r) for r in records})
    assert validate(doc) == []
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    json.dumps(doc)
