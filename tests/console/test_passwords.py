"""Console passwords: scrypt hashes, constant-time checks, bounded parameters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.console.passwords import (
    Cost,
    PasswordError,
    check_password,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)

CHEAP = Cost(log_n=4, r=8, p=1)


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse battery", CHEAP)
    assert stored.startswith("scrypt$4$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert hash_password("correct horse battery", CHEAP) != stored  # salted


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "scrypt$4$8$1$c2FsdA==",  # too few parts
        "bcrypt$4$8$1$c2FsdA==$" + "A" * 44,
        "scrypt$40$8$1$c2FsdA==$" + "A" * 44,  # n = 2**40: refused, never computed
        "scrypt$4$999$1$c2FsdA==$" + "A" * 44,
        "scrypt$4$8$1$!!!$" + "A" * 44,
        "scrypt$4$8$1$c2FsdA==$c2hvcnQ=",  # wrong hash length
    ],
)
def test_malformed_or_abusive_hashes_never_verify(stored: str) -> None:
    assert not verify_password("anything at all here", stored)
    assert needs_rehash(stored)


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("x" * 11, False),
        ("x" * 12, True),
        ("x" * 1025, False),
        ("tab\there-password", False),
        ("émoji 🙂 ok pass", True),
    ],
)
def test_password_rules(password: str, ok: bool) -> None:
    if ok:
        assert check_password(password) == password
    else:
        with pytest.raises(PasswordError) as err:
            check_password(password)
        assert password not in str(err.value)


def test_cost_is_part_of_the_hash() -> None:
    stored = hash_password("a-long-enough-pw", CHEAP)
    assert not needs_rehash(stored, CHEAP)
    assert needs_rehash(stored, Cost(log_n=5, r=8, p=1))


def test_generated_passwords_are_long_and_different() -> None:
    made = {generate_password() for _ in range(20)}
    assert len(made) == 20
    assert all(len(p) >= 20 for p in made)


@settings(max_examples=15, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"]), min_size=12, max_size=40)
)
def test_any_valid_password_round_trips(password: str) -> None:
    if not password.isprintable():
        return
    assert verify_password(password, hash_password(password, CHEAP))
