import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.discovery import spec
from wardgate.discovery.model import EndpointRecord
from wardgate.discovery.spec import (
    DeclaredOperation,
    DriftKind,
    SchemeKind,
    SpecError,
    ZombieReason,
    compare,
    normalise_template,
    parse,
)

NOW = 1_700_000_000.0

# OpenAPI 3.0, YAML. Unquoted status codes (YAML ints), shared $ref'd parameters, a schema cycle
# (User.manager -> User), a path-level parameter list, a deprecated v1 and a live v2.
USERS_30_YAML = """
openapi: 3.0.3
info: {title: Users, version: 2.1.0}
servers:
  - url: https://api.example.com/api
security:
  - bearerAuth: []
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer, bearerFormat: JWT}
    apiKey: {type: apiKey, in: header, name: X-API-Key}
  parameters:
    UserId: {name: userId, in: path, required: true, schema: {type: string}}
    Limit: {name: limit, in: query, schema: {type: integer}}
  schemas:
    User:
      type: object
      properties:
        id: {type: string}
        name: {type: string}
        address: {$ref: '#/components/schemas/Address'}
        manager: {$ref: '#/components/schemas/User'}
    Address:
      type: object
      properties:
        city: {type: string}
    UserList:
      type: array
      items: {$ref: '#/components/schemas/User'}
  responses:
    NotFound: {description: not found}
paths:
  /v1/users/{userId}:
    get:
      deprecated: true
      parameters: [{$ref: '#/components/parameters/UserId'}]
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/User'}
  /v2/users/{userId}:
    parameters: [{$ref: '#/components/parameters/UserId'}]
    get:
      operationId: getUser
      parameters:
        - {$ref: '#/components/parameters/Limit'}
        - {name: X-Tenant, in: header, schema: {type: string}}
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/User'}
        404: {$ref: '#/components/responses/NotFound'}
        401: {description: unauthorised}
    put:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/User'}
      responses:
        204: {description: updated}
  /v2/users/me:
    get:
      responses:
        200: {description: me}
  /v2/users/:
    get:
      security: [{apiKey: []}]
      responses:
        200:
          description: list
          content:
            application/json:
              schema: {$ref: '#/components/schemas/UserList'}
  /v2/health:
    get:
      security: []
      responses:
        default: {description: anything}
  /v2/orders/{orderId}:
    delete:
      parameters: [{name: orderId, in: path, required: true, schema: {type: integer}}]
      responses:
        204: {description: deleted}
"""

# Swagger 2.0, JSON: host + basePath, a body parameter, formData, an API key in the query,
# per-operation oauth2, a self-referencing definition.
PETS_20_JSON = json.dumps(
    {
        "swagger": "2.0",
        "info": {"title": "Pets", "version": "1.0"},
        "host": "pets.example.com",
        "basePath": "/v1",
        "schemes": ["https"],
        "consumes": ["application/json"],
        "securityDefinitions": {
            "key": {"type": "apiKey", "in": "query", "name": "api_key"},
            "basic": {"type": "basic"},
            "oauth": {
                "type": "oauth2",
                "flow": "implicit",
                "authorizationUrl": "https://auth.example.com/authorize",
                "scopes": {"write": "write pets"},
            },
        },
        "security": [{"key": []}],
        "definitions": {
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}},
                },
            },
            "Tag": {"type": "object", "properties": {"label": {"type": "string"}}},
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/definitions/Node"}}},
        },
        "parameters": {
            "petId": {"name": "petId", "in": "path", "required": True, "type": "integer"}
        },
        "paths": {
            "/pets/{petId}": {
                "parameters": [{"$ref": "#/parameters/petId"}],
                "get": {
                    "responses": {
                        "200": {"description": "a pet", "schema": {"$ref": "#/definitions/Pet"}}
                    }
                },
                "delete": {
                    "security": [{"oauth": ["write"]}],
                    "responses": {"204": {"description": "gone"}},
                },
            },
            "/pets": {
                "post": {
                    "parameters": [
                        {"in": "body", "name": "body", "schema": {"$ref": "#/definitions/Pet"}}
                    ],
                    "responses": {"201": {"description": "created"}},
                }
            },
            "/pets/upload": {
                "post": {
                    "consumes": ["multipart/form-data"],
                    "security": [{"basic": []}],
                    "parameters": [
                        {"in": "formData", "name": "file", "type": "file"},
                        {"in": "formData", "name": "caption", "type": "string"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/nodes": {
                "get": {
                    "responses": {
                        "200": {"description": "", "schema": {"$ref": "#/definitions/Node"}}
                    }
                }
            },
        },
    }
)

# OpenAPI 3.1, JSON: server variables, mutualTLS, openIdConnect, cookie API keys, $ref siblings,
# type arrays, a protocol-relative server and a deprecated operation.
STORE_31_JSON = json.dumps(
    {
        "openapi": "3.1.0",
        "info": {"title": "Store", "version": "3"},
        "servers": [
            {
                "url": "{scheme}://{region}.store.example.com/{base}",
                "variables": {
                    "scheme": {"default": "https"},
                    "region": {"default": "eu", "enum": ["eu", "us"]},
                    "base": {"default": "shop"},
                },
            }
        ],
        "components": {
            "securitySchemes": {
                "mtls": {"type": "mutualTLS"},
                "oidc": {
                    "type": "openIdConnect",
                    "openIdConnectUrl": "https://id.example.com/.well-known/openid-configuration",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "sid"},
                "basic": {"type": "http", "scheme": "Basic"},
            },
            "schemas": {
                "Item": {
                    "type": ["object", "null"],
                    "properties": {"sku": {"type": "string"}, "price": {"type": "number"}},
                }
            },
        },
        "paths": {
            "/items/{sku}": {
                "get": {
                    "security": [{"mtls": []}, {"oidc": ["read"]}],
                    "responses": {
                        "200": {
                            "description": "item",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "$ref": "#/components/schemas/Item",
                                        "description": "a sibling of $ref",
                                    }
                                }
                            },
                        },
                        "4XX": {"description": "client error"},
                    },
                }
            },
            "/cart": {
                "servers": [{"url": "//cart.example.com/v3"}],
                "post": {
                    "security": [{"session": [], "basic": []}],
                    "deprecated": True,
                    "requestBody": {
                        "content": {
                            "application/vnd.store+json": {
                                "schema": {"$ref": "#/components/schemas/Item"}
                            },
                            "text/plain": {},
                        }
                    },
                    "responses": {"201": {"description": "added"}},
                },
            },
        },
        "webhooks": {"itemChanged": {"post": {"responses": {"200": {"description": "ok"}}}}},
    }
)

# Hand-trimmed from APIs-guru's d7networks.com.json: a server path that is the whole base path,
# a global security requirement on an http-basic scheme, header parameters.
D7_TRIMMED_JSON = json.dumps(
    {
        "openapi": "3.0.0",
        "servers": [{"url": "https://rest-api.d7networks.com/secure"}],
        "info": {"title": "D7SMS", "version": "1.0.2"},
        "security": [{"auth": []}],
        "paths": {
            "/balance": {
                "get": {
                    "deprecated": False,
                    "operationId": "BalanceGet",
                    "responses": {"200": {"description": "", "headers": {}}},
                }
            },
            "/send": {
                "post": {
                    "operationId": "SendPost",
                    "parameters": [
                        {
                            "in": "header",
                            "name": "Content-Type",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SendSMSRequest"}
                            }
                        },
                        "required": True,
                    },
                    "responses": {"200": {"description": ""}},
                }
            },
        },
        "components": {
            "schemas": {
                "SendSMSRequest": {
                    "type": "object",
                    "properties": {
                        "message": {
                            "type": "object",
                            "properties": {"to": {"type": "string"}, "content": {"type": "string"}},
                        }
                    },
                }
            },
            "securitySchemes": {"auth": {"scheme": "basic", "type": "http"}},
        },
    }
)


def _by(ops: list[DeclaredOperation], method: str, template: str) -> DeclaredOperation:
    found = [o for o in ops if o.method == method and o.template == template]
    assert len(found) == 1, [(o.method, o.template) for o in ops]
    return found[0]


def _record(method: str, template: str, host: str = "api.example.com", **kw: Any) -> EndpointRecord:
    kw.setdefault("count", 5)
    kw.setdefault("statuses", {"200": kw["count"]})
    kw.setdefault("auth", {"jwt": kw["count"]})
    kw.setdefault("last_seen", NOW - 60)
    return EndpointRecord(host=host, method=method, template=template, **kw)


# ------------------------------------------------------------------ loading


def test_openapi30_yaml_flattens_paths_servers_and_refs() -> None:
    ops = parse(USERS_30_YAML)
    assert len(ops) == 7
    get_user = _by(ops, "GET", "/api/v2/users/{userId}")
    assert get_user.host == "api.example.com"
    assert get_user.base_path == "/api"
    assert get_user.path == "/v2/users/{userId}"
    assert get_user.operation_id == "getUser"
    assert get_user.api_version == "2.1.0"
    assert get_user.path_version == "v2"
    params = {(p.name, p.location): p for p in get_user.parameters}
    assert params["userId", "path"].required is True  # path-level, through $ref
    assert params["limit", "query"].schema == {"type": "integer"}
    assert params["limit", "query"].required is False
    assert ("X-Tenant", "header") in params
    assert get_user.statuses == ("200", "404", "401")  # YAML int keys read as strings
    assert set(get_user.response_schemas["200"]["properties"]) == {
        "id",
        "name",
        "address",
        "manager",
    }
    assert get_user.scheme_kinds == {SchemeKind.BEARER}
    assert get_user.requires_auth
    assert get_user.security[0][0].bearer_format == "JWT"
    assert _by(ops, "GET", "/api/v1/users/{userId}").deprecated
    assert not get_user.deprecated
    # a trailing slash in the spec is dropped from the template
    listing = _by(ops, "GET", "/api/v2/users")
    assert listing.scheme_kinds == {SchemeKind.API_KEY_HEADER}
    assert listing.security[0][0].param_name == "X-API-Key"
    health = _by(ops, "GET", "/api/v2/health")
    assert not health.requires_auth
    assert health.scheme_kinds == {SchemeKind.NONE}
    put = _by(ops, "PUT", "/api/v2/users/{userId}")
    assert put.request_content_types == ("application/json",)
    assert put.request_schema is not None
    assert "address" in put.request_schema["properties"]


def test_schema_cycle_is_cut_not_followed_forever() -> None:
    ops = parse(USERS_30_YAML)
    user = _by(ops, "GET", "/api/v2/users/{userId}").response_schemas["200"]
    assert user["properties"]["address"]["properties"]["city"] == {"type": "string"}
    # User.manager is User again: one expansion, then the cycle marker
    assert user["properties"]["manager"] == {"x-wardgate-cycle": "#/components/schemas/User"}
    node = _by(parse(PETS_20_JSON), "GET", "/v1/nodes").response_schemas["200"]
    assert node["properties"]["next"] == {"x-wardgate-cycle": "#/definitions/Node"}


def test_ref_chains_that_loop_resolve_to_empty() -> None:
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "loop", "version": "1"},
        "components": {
            "schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"$ref": "#/components/schemas/A"},
            },
            "parameters": {
                "P": {"$ref": "#/components/parameters/Q"},
                "Q": {"$ref": "#/components/parameters/P"},
            },
        },
        "paths": {
            "/x": {
                "get": {
                    "parameters": [{"$ref": "#/components/parameters/P"}],
                    "responses": {
                        "200": {
                            "description": "",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/A"}}
                            },
                        }
                    },
                }
            }
        },
    }
    (op,) = spec.operations(doc)
    assert op.parameters == ()
    assert op.response_schemas["200"] == {"x-wardgate-cycle": "#/components/schemas/A"}


def test_remote_and_dangling_refs_are_never_fetched() -> None:
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "remote", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "https://evil.example/s.json"}}
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "",
                            "content": {
                                "application/json": {"schema": {"$ref": "other.yaml#/Thing"}}
                            },
                        },
                        "201": {"$ref": "#/components/responses/Missing"},
                    },
                }
            }
        },
    }
    (op,) = spec.operations(doc)
    assert op.request_schema == {"x-wardgate-unresolved": "https://evil.example/s.json"}
    assert op.response_schemas["200"] == {"x-wardgate-unresolved": "other.yaml#/Thing"}
    assert op.statuses == ("200", "201")


def test_swagger2_json_host_basepath_body_form_and_schemes() -> None:
    ops = parse(PETS_20_JSON)
    get = _by(ops, "GET", "/v1/pets/{petId}")
    assert get.host == "pets.example.com"
    assert get.base_path == "/v1"
    (pet_id,) = get.parameters
    assert (pet_id.name, pet_id.location, pet_id.required, pet_id.schema) == (
        "petId",
        "path",
        True,
        {"type": "integer"},
    )
    assert get.scheme_kinds == {SchemeKind.API_KEY_QUERY}
    assert get.security[0][0].param_name == "api_key"
    assert get.response_schemas["200"]["properties"]["tags"]["items"]["properties"] == {
        "label": {"type": "string"}
    }
    assert _by(ops, "DELETE", "/v1/pets/{petId}").scheme_kinds == {SchemeKind.OAUTH2}
    post = _by(ops, "POST", "/v1/pets")
    assert post.request_content_types == ("application/json",)
    assert post.request_schema is not None
    assert post.request_schema["required"] == ["name"]
    upload = _by(ops, "POST", "/v1/pets/upload")
    assert upload.request_content_types == ("multipart/form-data",)
    assert upload.request_schema == {
        "type": "object",
        "properties": {"file": {"type": "file"}, "caption": {"type": "string"}},
    }
    assert upload.scheme_kinds == {SchemeKind.BASIC}


def test_openapi31_server_variables_and_every_scheme_kind() -> None:
    ops = parse(STORE_31_JSON.encode())
    item = _by(ops, "GET", "/shop/items/{sku}")
    assert item.host == "eu.store.example.com"
    assert item.scheme_kinds == {SchemeKind.MUTUAL_TLS, SchemeKind.OPENID_CONNECT}
    assert item.response_schemas["200"]["description"] == "a sibling of $ref"
    assert item.response_schemas["200"]["type"] == ["object", "null"]
    assert item.statuses == ("200", "4XX")
    cart = _by(ops, "POST", "/v3/cart")  # path-level server overrides the root one
    assert cart.host == "cart.example.com"
    assert cart.deprecated
    assert cart.path_version == "v3"
    (requirement,) = cart.security
    assert {s.kind for s in requirement} == {SchemeKind.API_KEY_COOKIE, SchemeKind.BASIC}
    assert cart.request_content_types == ("application/vnd.store+json", "text/plain")
    assert cart.request_schema is not None
    assert "sku" in cart.request_schema["properties"]
    assert len(ops) == 2  # webhooks are not endpoints of this API


def test_trimmed_real_spec_server_path_is_the_base() -> None:
    ops = parse(D7_TRIMMED_JSON)
    assert {(o.method, o.template) for o in ops} == {
        ("GET", "/secure/balance"),
        ("POST", "/secure/send"),
    }
    assert all(
        o.host == "rest-api.d7networks.com" and o.scheme_kinds == {SchemeKind.BASIC} for o in ops
    )


def test_load_reads_json_and_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "users.yaml").write_text(USERS_30_YAML)
    (tmp_path / "pets.json").write_text(PETS_20_JSON)
    assert len(spec.load(tmp_path / "users.yaml")) == 7
    pets = spec.load(tmp_path / "pets.json")
    assert len(pets) == 5
    assert pets[0].source.endswith("pets.json")
    assert pets[0].title == "Pets"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "- just\n- a list\n",
        "openapi: [unclosed",
        '{"info": {"title": "no version marker"}}',
        '{"swagger": "1.2", "paths": {}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_unusable_input_raises_spec_error(text: str | bytes) -> None:
    with pytest.raises(SpecError):
        parse(text)


def test_oversized_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec, "MAX_SPEC_BYTES", 100)
    with pytest.raises(SpecError, match="larger"):
        parse(USERS_30_YAML)


def test_yaml_alias_bomb_costs_bounded_time() -> None:
    # Each level doubles the references; a naive deep copy would build 2**30 nodes.
    levels = ["a0: &a0 {type: object, properties: {x: {type: string}}}"]
    for i in range(1, 31):
        levels.append(f"a{i}: &a{i} {{type: object, properties: {{l: *a{i - 1}, r: *a{i - 1}}}}}")
    text = (
        "openapi: 3.0.0\ninfo: {title: bomb, version: '1'}\ncomponents:\n  schemas:\n"
        + "".join(f"    {line}\n" for line in levels)
        + "paths:\n  /b:\n    get:\n      responses:\n        '200':\n          description: x\n"
        "          content:\n            application/json:\n              schema: *a30\n"
    )
    start = time.perf_counter()
    (op,) = parse(text)
    assert time.perf_counter() - start < 2.0
    assert len(json.dumps(op.response_schemas["200"])) < 2_000_000


def test_self_referencing_yaml_structure_is_bounded() -> None:
    text = (
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /r:\n    get:\n"
        "      responses:\n        '200':\n          description: r\n          content:\n"
        "            application/json:\n              schema: &s {type: object, properties: {me: *s}}\n"
    )
    (op,) = parse(text)
    depth, node = 0, op.response_schemas["200"]
    while "me" in node.get("properties", {}):
        node, depth = node["properties"]["me"], depth + 1
    assert 1 < depth <= spec.MAX_SCHEMA_DEPTH


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_only_ever_raises_spec_error(text: str) -> None:
    with contextlib.suppress(SpecError):
        parse(text)


# ------------------------------------------------------------------ templates


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("/users/{id}", "/users/{}"),
        ("/users/{userId}/", "/users/{}"),
        ("users//{a}/orders/{b}", "/users/{}/orders/{}"),
        ("/files/{name}.json", "/files/{}.json"),
        ("/", "/"),
        ("", "/"),
        ("/search?q={q}", "/search"),
    ],
)
def test_normalise_template(template: str, expected: str) -> None:
    assert normalise_template(template) == expected


_segment = st.one_of(
    st.from_regex(r"[a-z0-9_.-]{1,8}", fullmatch=True),
    st.from_regex(r"\{[a-zA-Z_]{1,8}\}", fullmatch=True),
)


@given(st.lists(_segment, max_size=6), st.booleans())
def test_normalised_templates_ignore_names_and_trailing_slash(
    segments: list[str], slash: bool
) -> None:
    template = "/" + "/".join(segments) + ("/" if slash else "")
    once = normalise_template(template)
    assert normalise_template(once) == once
    renamed = "/" + "/".join("{other}" if s.startswith("{") else s for s in segments)
    assert normalise_template(renamed) == once


# ------------------------------------------------------------------ compare


def _users_records() -> list[EndpointRecord]:
    """Traffic that matches USERS_30_YAML exactly (no drift)."""
    return [
        _record(
            "GET",
            "/api/v2/users/{id}",
            query={"limit": {"type": "integer"}},
            request_headers={"x-tenant": {"type": "string"}},
            response_schemas={
                "200": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                }
            },
        ),
        _record(
            "PUT",
            "/api/v2/users/{id}",
            statuses={"204": 5},
            request_schema={
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "address": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            },
        ),
        _record("GET", "/api/v2/users/me"),
        _record("GET", "/api/v2/users", auth={"api_key_header": 5}),
        _record("GET", "/api/v2/health", auth={"none": 5}, statuses={"200": 4, "503": 1}),
    ]


def test_matching_traffic_gives_no_shadow_no_drift_and_lists_orphans() -> None:
    report = compare(parse(USERS_30_YAML), _users_records(), now=NOW)
    assert report.shadow == []
    assert report.drift == [], [d.items for d in report.drift]
    assert report.zombie == []
    assert {(o.method, o.template) for o in report.orphan} == {
        ("GET", "/api/v1/users/{userId}"),
        ("DELETE", "/api/v2/orders/{orderId}"),
    }
    declared = report.declared_for(("api.example.com", "GET", "/api/v2/users/{id}"))
    assert declared is not None
    assert declared.operation_id == "getUser"
    json.dumps(report.to_dict())
    assert report.summary()["matched"] == 5


def test_literal_declared_path_wins_over_parameter() -> None:
    report = compare(parse(USERS_30_YAML), [_record("GET", "/api/v2/users/me")], now=NOW)
    declared = report.declared_for(("api.example.com", "GET", "/api/v2/users/me"))
    assert declared is not None
    assert declared.template == "/api/v2/users/me"


@pytest.mark.parametrize(
    ("method", "template", "host"),
    [
        ("get", "/api/v2/users/{userId}", "api.example.com"),  # method case
        ("GET", "/api/v2/users/{id}/", "api.example.com"),  # other name, trailing slash
        ("GET", "/api/v2/users/alice", "api.example.com"),  # templater kept a literal
        ("GET", "/api/v2/users/{x}", "API.example.com:443"),  # host case, default port
    ],
)
def test_equivalent_observations_match(method: str, template: str, host: str) -> None:
    report = compare(parse(USERS_30_YAML), [_record(method, template, host=host)], now=NOW)
    assert report.shadow == []
    (matched,) = report.matched
    assert matched[1].template == "/api/v2/users/{userId}"


@pytest.mark.parametrize(
    ("method", "template", "host"),
    [
        ("GET", "/api/v2/admin/users", "api.example.com"),  # undeclared path
        ("DELETE", "/api/v2/users/{id}", "api.example.com"),  # undeclared method
        ("GET", "/api/v2/users/{id}", "internal.example.com"),  # other host
        ("GET", "/v2/users/{id}", "api.example.com"),  # missing server base path
        ("GET", "/api/v2/{kind}/me", "api.example.com"),  # observed param vs declared literal
    ],
)
def test_shadow_endpoints(method: str, template: str, host: str) -> None:
    record = _record(method, template, host=host)
    report = compare(parse(USERS_30_YAML), [record], now=NOW)
    assert report.shadow == [record.key]
    assert report.is_shadow(record.key)
    assert report.matched == []


def test_spec_without_host_matches_any_host() -> None:
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "/base"}],
        "paths": {"/x/{id}": {"get": {"responses": {"200": {"description": ""}}}}},
    }
    record = _record("GET", "/base/x/{id}", host="anything.example")
    report = compare(spec.operations(doc), [record], now=NOW)
    assert report.shadow == []
    assert report.orphan == []


def test_removed_operation_becomes_shadow_and_missing_traffic_orphan() -> None:
    text = USERS_30_YAML.replace("    put:\n", "    patch:\n")
    report = compare(parse(text), _users_records(), now=NOW)
    assert report.shadow == [("api.example.com", "PUT", "/api/v2/users/{id}")]
    assert ("PATCH", "/api/v2/users/{userId}") in {(o.method, o.template) for o in report.orphan}


def test_deprecated_operation_still_called_is_a_zombie() -> None:
    recent = _record("GET", "/api/v1/users/{id}")
    report = compare(parse(USERS_30_YAML), [recent], now=NOW)
    reasons = {(z.key, z.reason) for z in report.zombie}
    assert (recent.key, ZombieReason.DEPRECATED) in reasons
    # v2 of the same path is declared too: an old version as well
    assert (recent.key, ZombieReason.OLD_VERSION) in reasons
    assert report.zombies_for(recent.key)[0].declared is not None


def test_deprecated_but_not_called_lately_is_not_a_zombie() -> None:
    stale = _record("GET", "/api/v1/users/{id}", last_seen=NOW - 90 * 86_400)
    report = compare(parse(USERS_30_YAML), [stale], now=NOW)
    assert report.zombie == []
    assert compare(parse(USERS_30_YAML), [stale], now=NOW, zombie_window=None).zombie != []


def test_old_version_zombie_undeclared_when_newer_is_declared() -> None:
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "2"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/v2/items/{id}": {"get": {"responses": {"200": {"description": ""}}}}},
    }
    old = _record("GET", "/v1/items/{itemId}")
    report = compare(spec.operations(doc), [old], now=NOW)
    assert report.shadow == [old.key]
    (zombie,) = report.zombie
    assert zombie.reason is ZombieReason.OLD_VERSION
    assert zombie.declared is None
    assert "/v2/items/{id}" in zombie.detail
    assert compare(spec.operations(doc), [old], now=NOW, version_zombie=False).zombie == []


def test_old_version_zombie_when_newer_is_only_observed() -> None:
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/v1/items/{id}": {"get": {"responses": {"200": {"description": ""}}}}},
    }
    old, new = _record("GET", "/v1/items/{id}"), _record("GET", "/v1_1/items/{id}")
    report = compare(spec.operations(doc), [old, new], now=NOW)
    assert [(z.key, z.reason) for z in report.zombie] == [(old.key, ZombieReason.OLD_VERSION)]


@pytest.mark.parametrize(
    ("template", "newer"),
    [
        ("/v1/items/{id}", "/v2/other/{id}"),  # different path
        ("/v2/items/{id}", "/v1/items/{id}"),  # the newer one is the one called
        ("/items/{id}", "/v2/items/{id}"),  # unversioned path
    ],
)
def test_not_an_old_version(template: str, newer: str) -> None:
    report = compare([], [_record("GET", template), _record("GET", newer)], now=NOW)
    assert [z for z in report.zombie if z.key[2] == template] == []


def _drift_names(
    kind: DriftKind, records: list[EndpointRecord], text: str = USERS_30_YAML
) -> list[str]:
    report = compare(parse(text), records, now=NOW)
    return [d.name for e in report.drift for d in e.items if d.kind is kind]


@pytest.mark.parametrize(
    ("kind", "record", "expected"),
    [
        (
            DriftKind.UNDECLARED_QUERY_PARAM,
            _record("GET", "/api/v2/users/{id}", query={"limit": {}, "debug": {}}),
            ["debug"],
        ),
        (
            DriftKind.UNDECLARED_HEADER,
            _record(
                "GET",
                "/api/v2/users/{id}",
                request_headers={"X-Tenant": {}, "x-debug-mode": {}, "user-agent": {}},
            ),
            ["x-debug-mode"],
        ),
        (
            DriftKind.UNDECLARED_REQUEST_BODY,
            _record("GET", "/api/v2/users/{id}", request_schema={"type": "object"}),
            ["$"],
        ),
        (
            DriftKind.UNDECLARED_REQUEST_FIELD,
            _record(
                "PUT",
                "/api/v2/users/{id}",
                statuses={"204": 5},
                request_schema={
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "isAdmin": {"type": "boolean"},
                        "address": {"type": "object", "properties": {"city": {}, "zip": {}}},
                        "manager": {"type": "object", "properties": {"anything": {}}},
                    },
                },
            ),
            ["$.isAdmin", "$.address.zip"],
        ),
        (
            DriftKind.UNDECLARED_RESPONSE_FIELD,
            _record(
                "GET",
                "/api/v2/users",
                auth={"api_key_header": 5},
                response_schemas={
                    "200": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"id": {}, "ssn": {}, "pass word": {}},
                        },
                    }
                },
            ),
            ["200:$[*].ssn", '200:$[*]["pass word"]'],
        ),
        (
            DriftKind.UNDECLARED_STATUS,
            _record("GET", "/api/v2/users/{id}", statuses={"200": 3, "404": 1, "500": 1}),
            ["500"],
        ),
        (
            DriftKind.AUTH_WEAKER,
            _record(
                "GET",
                "/api/v2/users/{id}",
                count=5,
                auth={"none": 3, "jwt": 2},
                statuses={"200": 5},
            ),
            ["none"],
        ),
        (
            DriftKind.AUTH_WEAKER,
            _record("GET", "/api/v2/users/{id}", auth={"api_key_query": 5}),
            ["api_key_query"],
        ),
        (
            DriftKind.AUTH_MISMATCH,
            _record("GET", "/api/v2/users", auth={"api_key_header": 2, "mtls": 3}),
            ["mtls"],
        ),
    ],
)
def test_every_drift_kind_is_detected(
    kind: DriftKind, record: EndpointRecord, expected: list[str]
) -> None:
    assert _drift_names(kind, [record]) == expected


@pytest.mark.parametrize(
    "record",
    [
        # anonymous calls that were refused do not show weaker auth
        _record(
            "GET",
            "/api/v2/users/{id}",
            count=5,
            auth={"none": 3, "jwt": 2},
            statuses={"200": 2, "401": 3},
        ),
        # public by declaration
        _record("GET", "/api/v2/health", auth={"none": 5}, statuses={"200": 5}),
        # a bearer JWT is what the spec declares
        _record("GET", "/api/v2/users/{id}", auth={"bearer": 1, "jwt": 4}),
        # `default` declares every status
        _record("GET", "/api/v2/health", auth={"none": 2}, statuses={"418": 2}),
        # unconstrained or cyclic declared parts declare anything below them
        _record(
            "PUT",
            "/api/v2/users/{id}",
            statuses={"204": 1},
            request_schema={
                "type": "object",
                "properties": {"manager": {"type": "object", "properties": {"x": {}}}},
            },
        ),
        # transport headers are not parameters
        _record("GET", "/api/v2/users/{id}", request_headers={"accept": {}, "x-forwarded-for": {}}),
    ],
)
def test_no_false_drift(record: EndpointRecord) -> None:
    report = compare(parse(USERS_30_YAML), [record], now=NOW)
    assert report.drift == [], report.drift[0].items


def test_security_scheme_parameters_are_declared() -> None:
    record = _record(
        "GET",
        "/v1/pets/{id}",
        host="pets.example.com",
        auth={"api_key_query": 5},
        query={"api_key": {"type": "string"}},
    )
    report = compare(parse(PETS_20_JSON), [record], now=NOW)
    assert report.drift == []
    record = _record(
        "GET",
        "/api/v2/users",
        auth={"api_key_header": 5},
        request_headers={"x-api-key": {"type": "string"}},
    )
    assert compare(parse(USERS_30_YAML), [record], now=NOW).drift == []


def test_undeclared_fields_composition_and_depth() -> None:
    declared = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"b": {"type": "object", "properties": {"c": {}}}}},
        ]
    }
    observed = {
        "type": "object",
        "properties": {"a": {}, "b": {"type": "object", "properties": {"c": {}, "d": {}}}, "e": {}},
    }
    assert spec.undeclared_fields(declared, observed) == ["$.b.d", "$.e"]
    assert (
        spec.undeclared_fields(
            {"type": "object", "additionalProperties": True, "properties": {}}, observed
        )
        == []
    )
    assert spec.undeclared_fields(
        {"type": "object", "properties": {"a": {}}}, observed, limit=1
    ) == ["$.b"]


def test_drift_is_bounded() -> None:
    many: dict[str, dict[str, Any]] = {f"p{i}": {} for i in range(500)}
    record = _record(
        "GET", "/api/v2/users/{id}", query=many, request_headers={f"x-h{i}": {} for i in range(500)}
    )
    (entry,) = compare(parse(USERS_30_YAML), [record], now=NOW).drift
    assert len(entry.items) == spec.MAX_DRIFT_PER_ENDPOINT
