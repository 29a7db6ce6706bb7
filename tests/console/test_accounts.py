"""Console accounts, sessions and API tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardgate.console.accounts import MAX_SESSIONS_PER_USER, AccountError, AccountStore, Role
from wardgate.console.passwords import Cost

CHEAP = Cost(log_n=4, r=8, p=1)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> AccountStore:
    return AccountStore.open(tmp_path / "w.db", cost=CHEAP, clock=clock)


@pytest.mark.parametrize(
    ("have", "need", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.ANALYST, False),
        (Role.ANALYST, Role.VIEWER, True),
        (Role.ANALYST, Role.ADMIN, False),
        (Role.ADMIN, Role.ANALYST, True),
    ],
)
def test_roles_are_ordered(have: Role, need: Role, allowed: bool) -> None:
    assert have.allows(need) is allowed


def test_accounts(store: AccountStore) -> None:
    store.add("maria", "admin", "a-good-password")
    with pytest.raises(AccountError):
        store.add("maria", "viewer", "another-password")
    with pytest.raises(AccountError):
        store.add("bad name!", "viewer", "another-password")
    assert [u.name for u in store.users()] == ["maria"]
    assert store.authenticate("maria", "a-good-password") is not None
    assert store.authenticate("maria", "a-bad-password") is None
    assert store.authenticate("nobody", "a-good-password") is None
    assert store.set_role("maria", Role.VIEWER).role is Role.VIEWER
    assert store.remove("maria")
    assert not store.remove("maria")


def test_sessions_expire_when_old_or_idle(store: AccountStore, clock: Clock) -> None:
    user = store.add("li", "analyst", "a-good-password")
    raw, _ = store.create_session(user, max_age_s=3600)
    assert store.session(raw, idle_s=600) is not None
    clock.now += 599
    assert store.session(raw, idle_s=600) is not None  # touched: idle time restarts
    clock.now += 599
    assert store.session(raw, idle_s=600) is not None
    clock.now += 601
    assert store.session(raw, idle_s=600) is None  # idle too long
    raw, _ = store.create_session(user, max_age_s=100)
    clock.now += 101
    assert store.session(raw, idle_s=600) is None  # too old
    assert store.session("not-a-session", idle_s=600) is None


def test_sessions_follow_the_account(store: AccountStore) -> None:
    user = store.add("li", "admin", "a-good-password")
    raw, session = store.create_session(user, 3600)
    assert session.id_hash != raw  # only the hash is stored
    store.set_role("li", "viewer")
    found = store.session(raw, 600)
    assert found is not None
    assert found.user.role is Role.VIEWER  # demotion takes effect at once
    store.set_password("li", "a-new-password-1")
    assert store.session(raw, 600) is None  # a password change ends sessions
    raw, _ = store.create_session(user, 3600)
    store.remove("li")
    assert store.session(raw, 600) is None


def test_sessions_per_account_are_bounded(store: AccountStore, clock: Clock) -> None:
    user = store.add("li", "viewer", "a-good-password")
    raws = []
    for _ in range(MAX_SESSIONS_PER_USER + 3):
        clock.now += 1
        raws.append(store.create_session(user, 3600)[0])
    assert store.session(raws[0], 7200) is None
    assert store.session(raws[-1], 7200) is not None


def test_api_tokens(store: AccountStore) -> None:
    store.add("ops", "analyst", "a-good-password")
    record, token = store.create_token("ops", "siem")
    assert token.startswith("wgc_")
    found = store.token_user(token)
    assert found is not None
    assert found.name == "ops"
    assert store.token_user(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.token_user("wgc_short") is None
    assert not store.revoke_token(record.token_id, owner="someone-else")
    assert store.revoke_token(record.token_id, owner="ops")
    assert store.token_user(token) is None
    with pytest.raises(AccountError):
        store.create_token("nobody", "x")
    with pytest.raises(AccountError):
        store.create_token("ops", "")
