"""Path and query canonicalisation: every bypass of a protected prefix is rejected or still matches."""

from __future__ import annotations

import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.gateway.paths import (
    CanonicalTarget,
    PathRejected,
    RejectionCode,
    canonicalise,
    match_prefix,
    normalise_prefix,
)

PROTECTED = "/internal/admin"
CODES = frozenset(typing.get_args(RejectionCode))


def raw(text: str) -> str:
    """What the gateway passes: the UTF-8 bytes on the wire, decoded as latin-1."""
    return text.encode("utf-8").decode("latin-1")


def outcome(path: str, query: str = "") -> CanonicalTarget | str:
    try:
        return canonicalise(path, query)
    except PathRejected as exc:
        return exc.code


# (raw path, expected rejection code, or None: canonicalises to something the rule still covers)
BYPASSES: list[tuple[str, str | None]] = [
    ("//internal/admin", None),
    ("/internal//admin", None),
    ("/internal/./admin", None),
    ("/internal/x/../admin", None),
    ("/internal/%2e%2e/internal/admin", None),
    ("/internal/x/%2E./%2e%2E/internal/admin", None),
    ("/%2e%2e/internal/admin", "dot_segment_escape"),
    ("/internal/%2e%2E/%2E./admin", "dot_segment_escape"),
    ("/internal/%61dmin", None),
    ("/internal/%41DMIN", None),
    ("/INTERNAL/Admin", None),
    ("/internal/admin/", None),
    ("/internal/admin/.", None),
    ("/internal/admin/%2e", None),
    ("/internal/admin/x/..", None),
    ("/internal/./././admin///", None),
    ("/internal/admin;jsessionid=1", None),
    ("/internal;x/admin", None),
    ("/;x/internal/admin", None),
    ("/internal/..;/internal/admin", None),
    ("/internal/admin;/", None),
    ("/internal%2fadmin", "encoded_slash"),
    ("/internal%2Fadmin", "encoded_slash"),
    ("/internal/admin%2f", "encoded_slash"),
    ("/internal/%2e%2e%2f", "encoded_slash"),
    ("/internal%5cadmin", "encoded_backslash"),
    ("/internal\\admin", "backslash"),
    ("/internal/admin%00.json", "null_byte"),
    ("/internal/admin\x00", "null_byte"),
    ("/internal/admin%09", "control_char"),
    ("/internal/admin\t", "control_char"),
    ("/internal/admin%0d%0aX-Injected:1", "control_char"),
    ("/internal/%252e%252e/admin", "double_encoding"),
    ("/internal/%2561dmin", "double_encoding"),
    ("/internal/%25%32%65%25%32%65/admin", "double_encoding"),
    ("/internal/admin%20", "edge_whitespace"),
    ("/internal/%20admin", "edge_whitespace"),
    (raw("/internal/admin\u00a0"), "edge_whitespace"),
    ("/internal/admin%E3%80%80", "edge_whitespace"),
    ("/internal/admin..;/", "trailing_dot"),
    ("/internal/admin.", "trailing_dot"),
    ("/internal/admin%2e", "trailing_dot"),
    ("/internal/.../admin", "dot_segment"),
    ("/internal/admin%3bjsessionid", "encoded_delimiter"),
    ("/internal/admin%3F.css", "encoded_delimiter"),
    ("/internal/admin%23", "encoded_delimiter"),
    ("/internal/admin#frag", "invalid_char"),
    ("/internal/admin?x=1", "invalid_char"),
    ("/internal/admin%2", "invalid_percent"),
    ("/internal/%zzadmin", "invalid_percent"),
    ("/internal/%u0061dmin", "invalid_percent"),
    ("/internal%c0%afadmin", "invalid_utf8"),
    ("/internal/%c0%ae%c0%ae/admin", "invalid_utf8"),
    ("/internal/adm\xe9n", "invalid_utf8"),
    (raw("/internal\uff0fadmin"), "ascii_lookalike"),
    ("/internal/admin%EF%BC%8F", "ascii_lookalike"),
    (raw("/internal/\uff41\uff44\uff4d\uff49\uff4e"), "ascii_lookalike"),
    (raw("/internal/adm\u0131n"), "ascii_lookalike"),
    (raw("/internal/ad\u200bmin"), "invisible_char"),
    (raw("/internal/admin\u202e"), "invisible_char"),
    (raw("/internal/ad\u2028min"), "control_char"),
    ("/internal\uff0fadmin", "non_ascii"),
    ("http://example.com/internal/admin", "not_origin_form"),
    ("internal/admin", "not_origin_form"),
]


@pytest.mark.parametrize(("path", "code"), BYPASSES)
def test_bypass_is_rejected_or_still_protected(path: str, code: str | None) -> None:
    if code is None:
        target = canonicalise(path)
        assert match_prefix(target.match_path, PROTECTED), target
        # The upstream gets the same resource the policy matched.
        assert target.path.lower().rstrip("/") == PROTECTED
    else:
        with pytest.raises(PathRejected) as info:
            canonicalise(path)
        assert info.value.code == code


def test_bypass_table_is_large_enough() -> None:
    assert len(BYPASSES) >= 30
    assert all(code is None or code in CODES for _, code in BYPASSES)


# Different resources: the rule does not apply, and that is right, because upstream is sent the
# same canonical path (no disagreement to exploit).
OTHER_RESOURCES = [
    ("/internal/administrator", "/internal/administrator"),
    ("/internal/admin-v2", "/internal/admin-v2"),
    ("/internal/admin%3Ax", "/internal/admin%3Ax"),
    ("/internal/admin%2B", "/internal/admin%2B"),
    (raw("/internal/adm\u00edn"), "/internal/adm%C3%ADn"),
    ("/internal/admin/..", "/internal/"),
    ("/internal/admin;/../", "/internal/"),
]


@pytest.mark.parametrize(("path", "forwarded"), OTHER_RESOURCES)
def test_other_resources_do_not_match_and_are_forwarded_canonically(
    path: str, forwarded: str
) -> None:
    target = canonicalise(path)
    assert target.path == forwarded
    assert not match_prefix(target.match_path, PROTECTED)


MUST_PASS = [
    ("/", ""),
    ("/v1/chat/completions", ""),
    ("/v1/models/", ""),
    ("/v1beta/models/gemini-1.5-pro:generateContent", ""),
    ("/v1beta/models/gemini-1.5-pro:streamGenerateContent", "alt=sse"),
    ("/api/users/123/orders", "x=1"),
    ("/api/search", "q=hello+world&limit=20&cursor=abc%3D%3D"),
    ("/v1/files/file-abc.jsonl", ""),
    ("/home/~alice/my_file-v1.2.tar.gz", ""),
    ("/.well-known/openid-configuration", ""),
    ("/v1/threads/thread_abc123/messages", "order=desc&after=msg_1"),
    ("/search/caf%C3%A9", ""),
    ("/a/b%2Bc/(1)/x@y/!$&'()*+,=", ""),
    ("/v1/embeddings", "redirect=https%3A%2F%2Fexample.com%2Fa%2520b"),
    ("/files/stra%C3%9Fe", ""),
]


@pytest.mark.parametrize(("path", "query"), MUST_PASS)
def test_ordinary_targets_are_unchanged(path: str, query: str) -> None:
    target = canonicalise(path, query)
    assert (target.path, target.query, target.matrix_params_removed) == (path, query, False)
    assert target.target == (f"{path}?{query}" if query else path)


NORMALISED = [
    ("/v1/%7Euser", "/v1/~user"),
    ("/v1/%63hat/%43ompletions", "/v1/chat/Completions"),
    ("/a%3ab%2b", "/a%3Ab%2B"),
    ("/a b/[x]|{y}", "/a%20b/%5Bx%5D%7C%7By%7D"),
    (raw("/caf\u00e9"), "/caf%C3%A9"),
    ("/a/b/../c", "/a/c"),
    ("/a/./b/./", "/a/b/"),
    ("/a/b/.", "/a/b/"),
    ("/a/b/%2E%2E", "/a/"),
    ("////a///b", "/a/b"),
    ("/a%25zz", "/a%25zz"),
    ("/Admin/", "/Admin/"),
]


@pytest.mark.parametrize(("path", "expected"), NORMALISED)
def test_normalisation(path: str, expected: str) -> None:
    assert canonicalise(path).path == expected


def test_matrix_params_are_stripped_and_flagged() -> None:
    target = canonicalise("/a;x=1/b;jsessionid=2;y/c")
    assert (target.path, target.matrix_params_removed) == ("/a/b/c", True)
    assert canonicalise("/a/b").matrix_params_removed is False


def test_match_path_is_lowercase_without_trailing_slash() -> None:
    target = canonicalise("/V1/Chat/")
    assert (target.path, target.match_path) == ("/V1/Chat/", "/v1/chat")
    assert canonicalise("/").match_path == "/"


def test_limits() -> None:
    with pytest.raises(PathRejected) as info:
        canonicalise("/a" * 5000)
    assert info.value.code == "too_long"
    with pytest.raises(PathRejected) as info:
        canonicalise("/a", "q=" + "x" * 9000)
    assert info.value.code == "too_long"
    # Canonical output that grows past the bound (raw bytes become %XX) is rejected too.
    with pytest.raises(PathRejected) as info:
        canonicalise("/" + raw("\u00e9") * 1500, max_length=4000)
    assert info.value.code == "too_long"
    with pytest.raises(PathRejected) as info:
        canonicalise("/a" * 129)
    assert info.value.code == "too_many_segments"
    assert canonicalise("/a" * 128).path == "/a" * 128
    assert canonicalise("/a/b/c", max_segments=3).path == "/a/b/c"
    with pytest.raises(PathRejected):
        canonicalise("/a//b/c", max_segments=3)


def test_messages_do_not_echo_the_input() -> None:
    secret = "sk-live-" + "s3cr3t" * 50
    for path, query in [
        (f"/{secret}%zz", ""),
        (f"/{secret}/%2F", ""),
        ("/a", f"k={secret}&k={secret}"),
        ("/a", f"k={secret}%zz"),
    ]:
        with pytest.raises(PathRejected) as info:
            canonicalise(path, query)
        assert "s3cr3t" not in str(info.value)
        assert len(str(info.value)) < 120


# Query ------------------------------------------------------------------------------------------


QUERIES = [
    ("a=1&b=2", "a=1&b=2", (("a", "1"), ("b", "2"))),
    ("q=hello+world%21", "q=hello+world%21", (("q", "hello world!"),)),
    ("q=a%2Bb", "q=a%2Bb", (("q", "a+b"),)),
    ("q=a%2bb%7e%41", "q=a%2Bb~A", (("q", "a+b~A"),)),
    ("a=1;b=2", "a=1%3Bb=2", (("a", "1;b=2"),)),
    ("a=1&&b=2&", "a=1&b=2", (("a", "1"), ("b", "2"))),
    ("flag&x=", "flag&x=", (("flag", ""), ("x", ""))),
    ("x=a=b", "x=a=b", (("x", "a=b"),)),
    ("ids[]=1&q=a b#c", "ids%5B%5D=1&q=a%20b%23c", (("ids[]", "1"), ("q", "a b#c"))),
    ("x=%C3%A9&y=" + raw("\u00e9"), "x=%C3%A9&y=%C3%A9", (("x", "\u00e9"), ("y", "\u00e9"))),
    ("text=line1%0Aline2%09", "text=line1%0Aline2%09", (("text", "line1\nline2\t"),)),
    ("u=https%3A%2F%2Fh%2Fa%2520b", "u=https%3A%2F%2Fh%2Fa%2520b", (("u", "https://h/a%20b"),)),
]


@pytest.mark.parametrize(("query", "forwarded", "params"), QUERIES)
def test_query_canonical_form_and_params(
    query: str, forwarded: str, params: tuple[tuple[str, str], ...]
) -> None:
    target = canonicalise("/v1/x", query)
    assert (target.query, target.params) == (forwarded, params)


QUERY_REJECTS = [
    ("model=a&model=b", "duplicate_query_key"),
    ("model=a&MODEL=b", "duplicate_query_key"),
    ("model=a&mod%65l=b", "duplicate_query_key"),
    ("q=%zz", "invalid_percent"),
    ("q=%2", "invalid_percent"),
    ("q=a%00", "null_byte"),
    ("q=a\x00", "null_byte"),
    ("q=%01", "control_char"),
    ("q=a\r\nb", "control_char"),
    ("q=%C0%AF", "invalid_utf8"),
    ("q=%FF", "invalid_utf8"),
    ("q=\uff0f", "non_ascii"),
]


@pytest.mark.parametrize(("query", "code"), QUERY_REJECTS)
def test_query_rejections(query: str, code: str) -> None:
    with pytest.raises(PathRejected) as info:
        canonicalise("/v1/x", query)
    assert info.value.code == code


def test_duplicate_query_keys_when_allowed() -> None:
    target = canonicalise("/v1/x", "model=a&model=b", allow_duplicate_query_keys=True)
    assert target.query == "model=a&model=b"
    assert target.params == (("model", "a"), ("model", "b"))


# match_prefix -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("match_path", "prefix", "expected"),
    [
        ("/v1/chat", "/v1", True),
        ("/v1", "/v1", True),
        ("/v10", "/v1", False),
        ("/v1chat", "/v1", False),
        ("/v1/chat", "/V1/", True),
        ("/v1/chat", "/v1/chat/", True),
        ("/v1", "/v1/chat", False),
        ("/anything", "/", True),
        ("/internal/admin", "/internal/%61dmin", True),
        ("/internal/admin/x", "/internal//admin", True),
        ("/internal/administrator", "/internal/admin", False),
    ],
)
def test_match_prefix(match_path: str, prefix: str, expected: bool) -> None:
    assert match_prefix(match_path, prefix) is expected


@pytest.mark.parametrize("prefix", ["", "v1", "/a;x", "/..", "/a%2Fb"])
def test_bad_prefixes_are_rejected(prefix: str) -> None:
    with pytest.raises(PathRejected):
        normalise_prefix(prefix)


# Properties -------------------------------------------------------------------------------------

PATH_TOKENS = [
    "/", "//", ".", "..", "...", ";", ";x=1", "%2e", "%2E", "%2f", "%5c", "%25", "%00", "%zz", "%",
    "%41", "%61", "%7e", "%3a", "%3B", "%20", "%c3%a9", "%C0%AF", "%ef%bc%8f", "a", "B", "2", "e",
    "F", "~", "-", "_", ":", "@", "+", "!", " ", "\\", "?", "#", "\t", "\xc3", "\xa9", "\xe9",
    "\uff0f", "admin", "internal",
]  # fmt: skip
# Tokens that survive canonicalisation in most orders, so the properties see many accepted paths.
BENIGN_PATH_TOKENS = [
    "/", "//", "/./", "/../", ";", ";x=1/", "%2e", "%2E", "%41", "%61", "%7e", "%3a", "%20",
    "%c3%a9", "\xc3\xa9", "a", "B", "2", "e", "F", "~", "-", "_", ":", "@", "+", "!", "[",
    "admin", "internal",
]  # fmt: skip
QUERY_TOKENS = ["&", "=", "+", ";", "%20", "%2B", "%zz", "%00", "%0A", "a", "A", "k", "\xe9", "#"]


def _joined(tokens: list[str], max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=max_size).map("".join)


paths = st.one_of(_joined(PATH_TOKENS, 24), _joined(BENIGN_PATH_TOKENS, 24)).map(lambda p: "/" + p)
queries = st.one_of(_joined(QUERY_TOKENS, 16), _joined(QUERY_TOKENS[:6], 16))
unreserved = st.sampled_from(list("abcXYZ019-._~"))


def _canonical_or_skip(path: str, query: str = "", **kwargs: bool) -> CanonicalTarget | None:
    """The canonical target, or None when rejected with a known code (any other error fails)."""
    try:
        return canonicalise(path, query, **kwargs)
    except PathRejected as exc:
        code = exc.code
    assert code in CODES
    return None


@settings(max_examples=400)
@given(paths, queries, st.booleans())
def test_idempotent_and_clean(path: str, query: str, allow_dups: bool) -> None:
    target = _canonical_or_skip(path, query, allow_duplicate_query_keys=allow_dups)
    if target is None:
        return
    again = canonicalise(target.path, target.query, allow_duplicate_query_keys=allow_dups)
    assert (again.path, again.query, again.params) == (target.path, target.query, target.params)
    assert again.matrix_params_removed is False
    canonical = target.path
    assert canonical.startswith("/")
    assert canonical.isascii()
    for bad in ("//", "/./", "/../", "%2F", "%5C", ";", "\\"):
        assert bad not in canonical.upper()
    assert not canonical.endswith(("/.", "/.."))
    expected_match = canonical.lower()
    if expected_match != "/":
        expected_match = expected_match.removesuffix("/")
    assert target.match_path == expected_match


@settings(max_examples=300)
@given(st.text(max_size=64), st.text(max_size=32))
def test_any_text_returns_or_raises_path_rejected(path: str, query: str) -> None:
    target = _canonical_or_skip(path, query)
    if target is not None:
        assert target.match_path == canonicalise(target.path, target.query).match_path


@settings(max_examples=200)
@given(st.binary(max_size=48), st.binary(max_size=24))
def test_any_bytes_returns_or_raises_path_rejected(path: bytes, query: bytes) -> None:
    _canonical_or_skip("/" + path.decode("latin-1"), query.decode("latin-1"))


@settings(max_examples=300)
@given(st.lists(st.tuples(unreserved, st.integers(0, 2)), min_size=1, max_size=20), st.booleans())
def test_encoded_unreserved_is_equivalent_to_decoded(
    chars: list[tuple[str, int]], as_segment_prefix: bool
) -> None:
    plain = "".join(c for c, _ in chars)
    encoded = "".join((f"%{ord(c):02X}", f"%{ord(c):02x}", c)[how] for c, how in chars)
    base = "/v1/" if as_segment_prefix else "/"
    expected = outcome(base + plain)
    assert outcome(base + encoded) == expected
    if isinstance(expected, CanonicalTarget) and "." not in plain:
        assert expected.path == base + plain
