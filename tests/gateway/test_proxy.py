"""The proxy's pure helpers: prefix stripping and credential removal from query strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.gateway.proxy import _strip, _without_param


@pytest.mark.parametrize(
    ("path", "prefix", "expected"),
    [
        ("/openai/v1/chat/completions", "/openai", "/v1/chat/completions"),
        ("/OpenAI/v1/chat", "/openai", "/v1/chat"),
        ("/openai", "/openai", "/"),
        ("/a/b/c", "/a/b", "/c"),
        ("/v1/models", "/", "/v1/models"),
    ],
)
def test_strip(path: str, prefix: str, expected: str) -> None:
    assert _strip(path, prefix) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("key=wg_secret&alt=sse", "alt=sse"),
        ("alt=sse&key=wg_secret", "alt=sse"),
        ("%6Bey=wg_secret&alt=sse", "alt=sse"),  # encoded name is still the credential
        ("key=wg_secret", ""),
        ("keyring=1&alt=sse", "keyring=1&alt=sse"),
    ],
)
def test_credential_is_removed_from_the_query(query: str, expected: str) -> None:
    assert _without_param(query, "key") == expected


@given(st.lists(st.sampled_from(["a=1", "b=2", "key=s", "c", "k%65y=x"]), max_size=8))
def test_no_credential_survives(pairs: list[str]) -> None:
    out = _without_param("&".join(pairs), "key")
    assert "key=" not in out
    assert "k%65y" not in out
