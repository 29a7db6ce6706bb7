import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardgate.policy import keys as keyfmt

B32 = "abcdefghijklmnopqrstuvwxyz234567"
key_ids = st.text(alphabet=B32, min_size=12, max_size=12)
secrets_ = st.text(alphabet=B32, min_size=52, max_size=52)


def test_generated_keys_have_the_documented_shape():
    key_id, secret = keyfmt.new_key_id(), keyfmt.new_secret()
    full = keyfmt.format_key(key_id, secret)
    assert len(key_id) == 12
    assert len(secret) == 52
    assert full == f"wg_{key_id}_{secret}"
    assert len(full) == keyfmt.KEY_LENGTH == 68
    assert keyfmt.parse_key(full) == (key_id, secret)


def test_generated_values_are_random():
    assert len({keyfmt.new_secret() for _ in range(50)}) == 50
    assert len({keyfmt.new_key_id() for _ in range(50)}) == 50


GOOD = "wg_" + "a" * 12 + "_" + "b" * 52


@pytest.mark.parametrize(
    "text",
    [
        "",
        "wg_",
        GOOD[:-1],  # too short
        GOOD + "c",  # too long
        "WG_" + GOOD[3:],  # prefix is case-sensitive
        "wx_" + GOOD[3:],
        GOOD[:15] + "-" + GOOD[16:],  # wrong separator
        GOOD.upper(),  # base32 here is lowercase
        GOOD[:3] + "0" + GOOD[4:],  # 0 is not base32
        GOOD[:20] + "1" + GOOD[21:],  # nor is 1
        GOOD[:20] + "_" + GOOD[21:],  # url-safe but not in the alphabet
        GOOD[:20] + "é" + GOOD[21:],
        " " + GOOD[:-1],
        "sk-" + "a" * 65,
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
    ],
)
def test_parse_key_rejects(text):
    assert keyfmt.parse_key(text) is None


def test_parse_key_accepts_the_canonical_form():
    assert keyfmt.parse_key(GOOD) == ("a" * 12, "b" * 52)


@given(st.text(max_size=200))
def test_parse_key_never_raises_and_only_accepts_canonical_keys(text):
    parsed = keyfmt.parse_key(text)
    if parsed is not None:
        assert keyfmt.format_key(*parsed) == text


@given(key_ids, secrets_)
def test_parse_key_round_trips_generated_keys(key_id, secret):
    assert keyfmt.parse_key(keyfmt.format_key(key_id, secret)) == (key_id, secret)


@pytest.mark.parametrize(("key_id", "secret"), [("a" * 11, "b" * 52), ("a" * 12, "B" * 52)])
def test_format_key_refuses_bad_parts(key_id, secret):
    with pytest.raises(ValueError, match="valid"):
        keyfmt.format_key(key_id, secret)


def test_hash_without_pepper_is_plain_sha256():
    assert keyfmt.hash_secret("abc") == "sha256$" + hashlib.sha256(b"abc").hexdigest()


def test_hash_with_pepper_is_hmac_sha256():
    want = hmac.new(b"p", b"abc", hashlib.sha256).hexdigest()
    assert keyfmt.hash_secret("abc", b"p") == "hmac-sha256$" + want


@pytest.mark.parametrize(
    ("secret", "stored", "pepper", "ok"),
    [
        ("s3cret", keyfmt.hash_secret("s3cret"), b"", True),
        ("s3cret", keyfmt.hash_secret("s3cret"), b"later-pepper", True),  # pre-pepper keys work
        ("wrong", keyfmt.hash_secret("s3cret"), b"", False),
        ("s3cret", keyfmt.hash_secret("s3cret", b"p"), b"p", True),
        ("s3cret", keyfmt.hash_secret("s3cret", b"p"), b"", False),  # pepper required
        ("s3cret", keyfmt.hash_secret("s3cret", b"p"), b"q", False),
        ("s3cret", "md5$" + hashlib.md5(b"s3cret").hexdigest(), b"", False),
        ("s3cret", hashlib.sha256(b"s3cret").hexdigest(), b"", False),  # no scheme
        ("s3cret", "", b"", False),
    ],
)
def test_verify_table(secret, stored, pepper, ok):
    assert keyfmt.verify(secret, stored, pepper) is ok


def test_verify_uses_constant_time_compare(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keyfmt.hmac, "compare_digest", spy)
    assert keyfmt.verify("x", keyfmt.hash_secret("x"))
    assert not keyfmt.verify("y", keyfmt.hash_secret("x"))
    assert len(calls) == 2


def test_pepper_from_env():
    assert keyfmt.pepper_from_env({}) == b""
    assert keyfmt.pepper_from_env({keyfmt.PEPPER_ENV: "pépper"}) == "pépper".encode()


near_keys = st.builds(
    lambda prefix, kid, sep, secret: prefix + kid + sep + secret,
    st.sampled_from(["wg_", "wg-", "WG_", "wg"]),
    st.text(alphabet=B32 + "_-A01", min_size=11, max_size=13),
    st.sampled_from(["_", "-", ""]),
    st.text(alphabet=B32 + "_-Z89=", min_size=51, max_size=53),
)


@given(near_keys)
def test_parse_key_is_exact_on_near_misses(text):
    well_formed = (
        len(text) == 68
        and text.startswith("wg_")
        and text[15] == "_"
        and all(c in B32 for c in text[3:15] + text[16:])
    )
    assert (keyfmt.parse_key(text) is not None) is well_formed
