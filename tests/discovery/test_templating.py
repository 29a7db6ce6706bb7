"""Path templating: values become parameters by shape and by sibling evidence, constants stay
constants, corrections are remembered, and precision does not fall as traffic grows."""

from __future__ import annotations

import json
import random
import re
import string
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.discovery.templating import (
    MAX_VALUES,
    PathTemplater,
    is_plural,
    response_fingerprint,
    singular,
)

HOST = "api.example.com"


def learn(paths: list[str], method: str = "GET", *, repeat: int = 1) -> PathTemplater:
    templater = PathTemplater()
    for _ in range(repeat):
        for path in paths:
            templater.observe(HOST, method, path)
    return templater


def templates(templater: PathTemplater) -> set[str]:
    return {t for _, _, t, _ in templater.endpoints(HOST)}


def anonymous(template: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", template)


def matches(template: str, path: str) -> bool:
    """True when ``path`` is an instance of ``template`` (query dropped)."""
    path = path.split("?")[0].split("#")[0]
    t_parts = template.split("/")
    if path in ("", "/"):
        p_parts = ["", ""]
    else:
        p_parts = (path if path.startswith("/") else "/" + path).split("/")
    if len(t_parts) != len(p_parts):
        return False
    for t, p in zip(t_parts, p_parts, strict=True):
        m = re.fullmatch(r"\{[^{}/]*\}(.*)", t)
        if m is None:
            if t != p:
                return False
        elif not p.endswith(m.group(1)):
            return False
    return True


def rng_words(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct made-up words (slugs a client would send as names)."""
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9))))
    return sorted(out)


# --- must template ------------------------------------------------------------------------------

_R = random.Random(5)


@pytest.mark.parametrize(
    ("values", "template"),
    [
        ([str(_R.randint(1, 10**6)) for _ in range(5)], "/users/{userId}"),
        ([str(uuid.uuid4()) for _ in range(5)], "/users/{userId}"),
        ([str(uuid.uuid1()).upper() for _ in range(5)], "/users/{userId}"),
        ([f"{_R.getrandbits(96):024x}" for _ in range(5)], "/users/{userId}"),
        (["01ARZ3NDEKTSV4RRFFQ69G5FAV", "01BX5ZZKBKACTAV9WEVGEMMVRZ"], "/users/{userId}"),
        (["cus_NffrFeUfNV2Hib", "cus_4QFJOjw2pOmAGJ", "cus_9s6XKzkNRiz8i3"], "/users/{userId}"),
        (["alice@example.com", "bob%40example.org"], "/users/{userId}"),
        (["2023-01-31", "2024-02-29"], "/users/{userId}"),
    ],
)
def test_identifier_values_are_parameters(values: list[str], template: str) -> None:
    templater = learn([f"/users/{v}" for v in values])
    assert templates(templater) == {template}
    assert templater.template_for(HOST, "GET", f"/users/{values[0]}") == template


def test_first_identifier_is_templated_at_once() -> None:
    templater = PathTemplater()
    assert templater.observe(HOST, "GET", "/orders/81723") == "/orders/{orderId}"
    assert templater.observe(HOST, "GET", "/companies/42/addresses/7") == (
        "/companies/{companyId}/addresses/{addressId}"
    )


def test_slug_values_by_sibling_cardinality() -> None:
    """Words seen once each under one parent, called as different endpoints: values."""
    rng = random.Random(1)
    owners = rng_words(rng, 12)
    repos = rng_words(rng, 12)
    tails = ["", "/issues", "/pulls", "/issues/labels", "/readme", "/branches", "/tags", "/forks"]
    methods = ["GET", "DELETE", "PATCH"]
    templater = PathTemplater()
    for i, (owner, repo) in enumerate(zip(owners, repos, strict=True)):
        tail = tails[i % len(tails)]
        templater.observe(HOST, methods[i // len(tails)], f"/repos/{owner}/{repo}{tail}")
    found = {anonymous(t) for t in templates(templater)}
    assert found == {anonymous("/repos/{a}/{b}" + t) for t in tails}


def test_slug_values_with_repeated_traffic() -> None:
    """With repeated traffic constants recur and values do not."""
    rng = random.Random(2)
    templater = PathTemplater()
    names = iter(rng_words(rng, 200))
    for _ in range(20):
        for path in ("/projects", "/projects/search", "/health"):
            templater.observe(HOST, "GET", path)
        for method in ("GET", "PUT", "DELETE"):
            templater.observe(HOST, method, f"/projects/{next(names)}")
    assert templates(templater) == {
        "/projects",
        "/projects/search",
        "/health",
        "/projects/{project}",
    }


def test_items_read_alike_with_one_response_shape_are_values() -> None:
    """``GET /profiles/<name>`` seven times, each name once, all answering a profile."""
    templater = PathTemplater()
    for name in ["alice-tan", "bob-lee", "carol-ng", "dan-wu", "eve-ho", "fay-lim", "gus-ong"]:
        templater.observe(HOST, "GET", f"/profiles/{name}", response_shape="profile")
    assert templates(templater) == {"/profiles/{profile}"}


def test_actions_answering_one_shape_stay_constant() -> None:
    """``POST .../actions/hangup`` and friends answer the same object, but are actions."""
    templater = PathTemplater()
    for action in ["hangup", "hold", "unhold", "mute", "unmute", "record_start", "record_stop"]:
        templater.observe(
            HOST, "POST", f"/v2/calls/8f3a9c2e41/actions/{action}", response_shape="call"
        )
    assert len(templates(templater)) == 7


def test_small_pool_of_values_sharing_what_follows() -> None:
    """Project names that recur (a client works on a few) still lead to the same places."""
    rng = random.Random(3)
    projects = rng_words(rng, 10)
    templater = PathTemplater()
    for _ in range(30):
        project = rng.choice(projects)
        tail = rng.choice(["/locations/us/apis", "/locations/eu/apis/x1/versions"])
        templater.observe(HOST, "GET", f"/v1/projects/{project}{tail}")
    assert all("/v1/projects/{" in t for t in templates(templater))


# --- must keep constant -------------------------------------------------------------------------


@pytest.mark.parametrize("repeat", [1, 5, 20])
def test_me_next_to_ids_stays_constant(repeat: int) -> None:
    rng = random.Random(repeat)
    templater = PathTemplater()
    for _ in range(repeat):
        templater.observe(HOST, "GET", "/users/me")
        for method in ("GET", "PUT", "DELETE"):
            templater.observe(HOST, method, f"/users/{rng.randint(1, 10**9)}")
    assert templates(templater) == {"/users/me", "/users/{userId}"}


@pytest.mark.parametrize("repeat", [1, 2, 5, 20])
def test_sub_resources_of_an_id_stay_constant(repeat: int) -> None:
    rng = random.Random(repeat)
    templater = PathTemplater()
    for _ in range(repeat):
        for tail in ("orders", "profile", "settings", "avatar"):
            templater.observe(HOST, "GET", f"/users/{uuid.UUID(int=rng.getrandbits(128))}/{tail}")
    assert {anonymous(t) for t in templates(templater)} == {
        "/users/{}/orders",
        "/users/{}/profile",
        "/users/{}/settings",
        "/users/{}/avatar",
    }


@pytest.mark.parametrize("repeat", [1, 2, 20])
def test_actions_called_alike_stay_constant(repeat: int) -> None:
    """``POST .../cancel``, ``POST .../capture``: seen once each, but called the same way."""
    rng = random.Random(repeat)
    actions = ["cancel", "capture", "confirm", "refund", "void", "expire"]
    templater = PathTemplater()
    for _ in range(repeat):
        for action in actions:
            templater.observe(
                HOST, "POST", f"/v1/payment_intents/pi_{rng.getrandbits(64):x}1/{action}"
            )
    assert {anonymous(t) for t in templates(templater)} == {
        f"/v1/payment_intents/{{}}/{action}" for action in actions
    }


@pytest.mark.parametrize("repeat", [1, 2, 20])
def test_azure_providers_and_versions_stay_constant(repeat: int) -> None:
    rng = random.Random(repeat)
    paths = []
    for _ in range(repeat):
        sub = uuid.UUID(int=rng.getrandbits(128))
        group = rng.choice(["rg-prod", "rg-test", "network-rg"])
        for provider in ("Microsoft.Compute", "Microsoft.Network", "Microsoft.Storage"):
            paths.append(f"/subscriptions/{sub}/resourceGroups/{group}/providers/{provider}/things")
        paths.append("/api/v1/status")
        paths.append("/api/v2/status")
    templater = learn(paths)
    found = templates(templater)
    for provider in ("Microsoft.Compute", "Microsoft.Network", "Microsoft.Storage"):
        assert any(f"/providers/{provider}/things" in t for t in found)
    assert {"/api/v1/status", "/api/v2/status"} <= found


def test_integer_constant_seen_alone_stays_literal() -> None:
    """``/2/tweets``: the only integer ever seen there, again and again."""
    rng = random.Random(0)
    templater = PathTemplater()
    for _ in range(3):
        templater.observe(HOST, "GET", f"/2/tweets/{rng.randint(10**15, 10**18)}")
        templater.observe(HOST, "GET", "/2/users/me")
    assert templates(templater) == {"/2/tweets/{tweetId}", "/2/users/me"}


def test_few_constants_are_not_merged_even_when_called_once() -> None:
    templater = learn(["/api/health", "/api/status", "/api/version", "/api/login"])
    assert templates(templater) == {"/api/health", "/api/status", "/api/version", "/api/login"}


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/users/12/orders/34", "/users/{userId}/orders/{orderId}"),
        ("/companies/12", "/companies/{companyId}"),
        ("/addresses/12", "/addresses/{addressId}"),
        ("/payment_methods/12", "/payment_methods/{paymentMethodId}"),
        ("/statuses/12", "/statuses/{statusId}"),
        ("/12/34", "/{id}/{id2}"),
        ("/users/12/34", "/users/{userId}/{id}"),
        ("/files/12.json", "/files/{fileId}.json"),
        ("/v1/jobs/8f3a9c2e41:cancel", "/v1/jobs/{jobId}:cancel"),
    ],
)
def test_parameter_names(path: str, template: str) -> None:
    templater = PathTemplater()
    assert templater.observe(HOST, "GET", path) == template


@pytest.mark.parametrize(
    ("word", "single"),
    [("users", "user"), ("companies", "company"), ("addresses", "address"), ("boxes", "box"),
     ("status", "status"), ("analysis", "analysis"), ("news", "new"), ("data", "data")],
)  # fmt: skip
def test_singular(word: str, single: str) -> None:
    assert singular(word) == single


@pytest.mark.parametrize(
    ("word", "plural"),
    [("users", True), ("payment_methods", True), ("api-keys", True), ("status", False),
     ("me", False), ("v1", False), ("search", False)],
)  # fmt: skip
def test_is_plural(word: str, plural: bool) -> None:
    assert is_plural(word) is plural


# --- corrections and persistence ----------------------------------------------------------------


def test_merge_is_remembered() -> None:
    templater = learn(["/stats/daily", "/stats/weekly"], repeat=3)
    assert templates(templater) == {"/stats/daily", "/stats/weekly"}
    templater.merge(HOST, ["/stats/daily", "/stats/weekly"], "/stats/{period}")
    assert templates(templater) == {"/stats/{period}"}
    assert templater.observe(HOST, "GET", "/stats/monthly") == "/stats/{period}"
    restored = PathTemplater.from_dict(json.loads(json.dumps(templater.to_dict())))
    assert restored.template_for(HOST, "GET", "/stats/yearly") == "/stats/{period}"


def test_split_is_remembered() -> None:
    templater = learn([f"/users/{i}" for i in range(100, 110)])
    templater.split(HOST, "/users/{userId}", ["1000"])
    assert templater.observe(HOST, "GET", "/users/1000") == "/users/1000"
    assert templater.observe(HOST, "GET", "/users/1001") == "/users/{userId}"
    restored = PathTemplater.from_dict(json.loads(json.dumps(templater.to_dict())))
    assert restored.template_for(HOST, "GET", "/users/1000") == "/users/1000"


def test_rename_is_remembered() -> None:
    templater = learn(["/users/12/orders/34", "/users/56/orders/78"])
    templater.rename(HOST, "/users/{userId}/orders/{orderId}", "/users/{uid}/orders/{oid}")
    assert templater.template_for(HOST, "GET", "/users/1/orders/2") == "/users/{uid}/orders/{oid}"
    restored = PathTemplater.from_dict(json.loads(json.dumps(templater.to_dict())))
    assert restored.template_for(HOST, "GET", "/users/1/orders/2") == "/users/{uid}/orders/{oid}"


@pytest.mark.parametrize(
    ("template", "new"),
    [
        ("/users/{userId}", "/people/{uid}"),
        ("/users/{userId}", "/users/x"),
        ("/nope/{a}", "/nope/{b}"),
    ],
)
def test_rename_rejects_other_shapes(template: str, new: str) -> None:
    templater = learn(["/users/12"])
    with pytest.raises(ValueError, match=r"rename|no such template"):
        templater.rename(HOST, template, new)


def test_prior_from_a_spec() -> None:
    templater = PathTemplater()
    templater.add_prior(HOST, "get", "/teams/{team}/members/{member}")
    templater.add_prior(HOST, "GET", "/teams/mine")
    assert ("GET", "/teams/{team}/members/{member}") in {
        (m, t) for _, m, t, _ in templater.endpoints()
    }
    assert (
        templater.observe(HOST, "GET", "/teams/acme/members/bob")
        == "/teams/{team}/members/{member}"
    )
    assert templater.observe(HOST, "GET", "/teams/mine") == "/teams/mine"
    counts = {(m, t): n for _, m, t, n in templater.endpoints(HOST)}
    assert counts[("GET", "/teams/{team}/members/{member}")] == 1


def test_state_round_trips_through_json() -> None:
    rng = random.Random(9)
    templater = PathTemplater()
    for word in rng_words(rng, 40):
        templater.observe(HOST, "GET", f"/a/{rng.randint(1, 10**6)}/b/{word}", response_shape="x")
    data = templater.to_dict()
    restored = PathTemplater.from_dict(json.loads(json.dumps(data)))
    assert restored.endpoints() == templater.endpoints()
    assert restored.to_dict() == data


def test_state_keeps_no_raw_identifier_values() -> None:
    templater = learn(["/users/alice@example.com/tokens/eyJhbGciOiJIUzI1NiJ9xyz1"] * 3)
    text = json.dumps(templater.to_dict())
    assert "alice@example.com" not in text
    assert "eyJhbGciOiJIUzI1NiJ9xyz1" not in text


def test_from_dict_rejects_unknown_versions() -> None:
    with pytest.raises(ValueError, match="version"):
        PathTemplater.from_dict({"version": 99, "hosts": {}})


# --- bounded memory -----------------------------------------------------------------------------


def _raw_nodes(templater: PathTemplater) -> int:
    stack = [n.raw for n in templater._hosts.values()]  # white-box: the memory bound
    total = 0
    while stack:
        node = stack.pop()
        total += 1
        assert node.distinct is None or len(node.distinct) <= MAX_VALUES
        stack += node.children.values()
        stack += node.params.values()
    return total


def test_one_off_words_are_folded_for_good() -> None:
    rng = random.Random(4)
    templater = PathTemplater()
    for word in rng_words(rng, 3000):
        templater.observe(HOST, "GET", f"/search/{word}")
    assert templates(templater) == {"/search/{search}"}
    assert _raw_nodes(templater) < 400


def test_node_budget_is_respected() -> None:
    rng = random.Random(6)
    templater = PathTemplater(max_nodes=500)
    for _ in range(3000):
        a, b = rng_words(rng, 2)
        templater.observe(HOST, "GET", f"/{a}/x/{b}/y")
    assert _raw_nodes(templater) <= 520


# --- response shapes ----------------------------------------------------------------------------


def test_response_fingerprint() -> None:
    one = response_fingerprint(b'{"id": 1, "name": "a", "tags": [{"k": "x"}]}')
    two = response_fingerprint(b'{"name": "b", "id": 7, "tags": [{"k": "y"}]}')
    other = response_fingerprint(b'{"id": 1, "title": "a"}')
    assert one is not None
    assert one == two
    assert other is not None
    assert other != one
    assert response_fingerprint(b"not json") is None
    assert response_fingerprint(b"{truncated") is None
    assert response_fingerprint(None) is None


# --- properties ---------------------------------------------------------------------------------

_SEGMENT = st.one_of(
    st.sampled_from(["users", "me", "v1", "orders", "", "a.json", "x:cancel", "%20", "{x}"]),
    st.integers(0, 10**12).map(str),
    st.uuids().map(str),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.~%:@", max_size=30),
)
_PATH = st.lists(_SEGMENT, max_size=8).map(lambda parts: "/" + "/".join(parts))
_METHOD = st.sampled_from(["GET", "POST", "PUT", "DELETE"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_METHOD, _PATH), max_size=60))
def test_templates_match_their_paths_and_are_deterministic(calls: list[tuple[str, str]]) -> None:
    first, second = PathTemplater(), PathTemplater()
    for method, path in calls:
        template = first.observe(HOST, method, path)
        assert second.observe(HOST, method, path) == template
        assert matches(template, path), (template, path)
        assert matches(first.template_for(HOST, method, path), path)
    assert first.endpoints() == second.endpoints()
    for _, _, template, _ in first.endpoints():
        assert template.startswith("/")


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300), st.text(max_size=20))
def test_observe_never_raises(path: str, method: str) -> None:
    templater = PathTemplater()
    templater.observe(HOST, method, path)
    templater.observe(HOST, method, "/" + path)
    assert templater.endpoints(HOST)


# --- precision as traffic grows -----------------------------------------------------------------

_API = [
    ("GET", "/v1/users"), ("POST", "/v1/users"), ("GET", "/v1/users/me"),
    ("GET", "/v1/users/{id}"), ("PUT", "/v1/users/{id}"), ("DELETE", "/v1/users/{id}"),
    ("GET", "/v1/users/{id}/orders"), ("GET", "/v1/users/{id}/orders/{order}"),
    ("GET", "/v1/projects"), ("GET", "/v1/projects/{name}"), ("DELETE", "/v1/projects/{name}"),
    ("GET", "/v1/projects/{name}/members"), ("POST", "/v1/projects/{name}/archive"),
    ("GET", "/v1/projects/search"), ("GET", "/health"), ("GET", "/v1/tags/{tag}"),
    ("POST", "/v1/payments/{pid}/cancel"), ("POST", "/v1/payments/{pid}/capture"),
]  # fmt: skip


def _value(name: str, rng: random.Random) -> str:
    if name in ("id", "order"):
        return str(rng.randint(1, 10**8))
    if name == "pid":
        return f"pi_{rng.getrandbits(60):x}9"
    return "-".join(rng_words(rng, rng.randint(1, 2)))


def _precision(k: int) -> float:
    rng = random.Random(k)
    calls = []
    for method, template in _API:
        for _ in range(k):
            path = re.sub(r"\{(\w+)\}", lambda m: _value(m.group(1), rng), template)
            calls.append((method, path))
    rng.shuffle(calls)
    templater = PathTemplater()
    for method, path in calls:
        templater.observe(HOST, method, path)
    truth = {(m, anonymous(t)) for m, t in _API}
    found = {(m, anonymous(t)) for _, m, t, _ in templater.endpoints()}
    return len(found & truth) / len(found)


def test_precision_does_not_fall_with_volume() -> None:
    low, high = _precision(2), _precision(20)
    assert high >= low
    assert high >= 0.9
