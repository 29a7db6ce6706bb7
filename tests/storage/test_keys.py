import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from wardgate.policy import keys as keyfmt
from wardgate.storage.keys import TOUCH_INTERVAL, ApiKeyRecord, KeyStore
from wardgate.storage.sqlite import applied_migrations, connect

T0 = 1_750_000_000.0


@pytest.fixture
def store(tmp_path):
    s = KeyStore.open(tmp_path / "keys.db", clock=lambda: T0)
    yield s
    s.close()


def test_create_returns_a_parsable_key_and_stores_only_its_hash(store, tmp_path):
    record, full = store.create("ci-bot", tenant="acme", groups=["eng", "ops"], scopes=["chat"])
    key_id, secret = keyfmt.parse_key(full)
    assert key_id == record.key_id
    assert keyfmt.verify(secret, record.secret_hash)
    assert record.name == "ci-bot"
    assert record.tenant == "acme"
    assert record.groups == ("eng", "ops")
    assert record.scopes == ("chat",)
    assert record.created_at == datetime.fromtimestamp(T0, UTC)
    assert (record.expires_at, record.revoked_at, record.last_used_at) == (None, None, None)
    raw = (tmp_path / "keys.db").read_bytes() + (tmp_path / "keys.db-wal").read_bytes()
    assert secret.encode() not in raw
    assert full.encode() not in raw


def test_get_round_trips_the_record(store):
    expires = datetime.fromtimestamp(T0 + 3600, UTC)
    record, _ = store.create("a", groups=["g"], scopes=["s1", "s2"], expires_at=expires)
    assert store.get(record.key_id) == record
    assert store.get("aaaaaaaaaaaa") is None


def test_records_survive_reopening(tmp_path):
    path = tmp_path / "keys.db"
    first = KeyStore.open(path)
    record, _ = first.create("persist")
    first.close()
    second = KeyStore.open(path)
    assert second.get(record.key_id) == record
    assert applied_migrations(connect(path)) == ["api_keys_0001_create"]


def test_list_is_oldest_first_and_includes_revoked(tmp_path):
    now = [T0]
    s = KeyStore.open(tmp_path / "k.db", clock=lambda: now[0])
    a, _ = s.create("a")
    now[0] += 10
    b, _ = s.create("b")
    assert s.revoke(a.key_id)
    assert [r.key_id for r in s.list()] == [a.key_id, b.key_id]
    assert [r.revoked for r in s.list()] == [True, False]


def test_revoke_unknown_is_false_and_revoking_twice_keeps_first_time(tmp_path):
    now = [T0]
    s = KeyStore.open(tmp_path / "k.db", clock=lambda: now[0])
    record, _ = s.create("a")
    assert s.revoke("zzzzzzzzzzzz") is False
    now[0] += 5
    assert s.revoke(record.key_id) is True
    now[0] += 5
    assert s.revoke(record.key_id) is True
    assert s.get(record.key_id).revoked_at == datetime.fromtimestamp(T0 + 5, UTC)


def test_touch_writes_at_most_once_a_minute_per_key(store):
    a, _ = store.create("a")
    b, _ = store.create("b")
    t = datetime.fromtimestamp(T0, UTC)
    assert store.touch(a.key_id, t) is True
    assert store.touch(a.key_id, t + timedelta(seconds=30)) is False
    assert store.touch(b.key_id, t + timedelta(seconds=30)) is True  # per key
    assert store.get(a.key_id).last_used_at == t
    later = t + TOUCH_INTERVAL
    assert store.touch(a.key_id, later) is True
    assert store.get(a.key_id).last_used_at == later


def test_touch_never_moves_last_used_backwards(tmp_path):
    path = tmp_path / "k.db"
    s1 = KeyStore.open(path)
    record, _ = s1.create("a")
    t = datetime.fromtimestamp(T0, UTC)
    s1.touch(record.key_id, t)
    s2 = KeyStore.open(path)  # another process with its own rate-limit memory
    s2.touch(record.key_id, t - timedelta(hours=1))
    assert s1.get(record.key_id).last_used_at == t


def test_repr_and_dict_never_show_the_hash(store):
    record, _ = store.create("a")
    assert record.secret_hash not in repr(record)
    assert "secret_hash" not in record.to_dict()
    assert record.to_dict()["created_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\nname"}, "name"),
        ({"name": "a", "groups": ["has space"]}, "groups"),
        ({"name": "a", "groups": [""]}, "groups"),
        ({"name": "a", "scopes": ["tab\tscope"]}, "scopes"),
        ({"name": "a", "scopes": [f"s{i}" for i in range(257)]}, "scopes"),
        ({"name": "a", "tenant": "t\x00"}, "tenant"),
        ({"name": "a", "expires_at": datetime(2020, 1, 1, tzinfo=UTC)}, "future"),
        ({"name": "a", "expires_at": datetime(2099, 1, 1)}, "timezone"),
    ],
)
def test_create_rejects_bad_input(store, kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=message):
        store.create(name, **kwargs)
    assert store.list() == []


def test_duplicate_groups_are_collapsed(store):
    record, _ = store.create("a", groups=["x", "y", "x"])
    assert record.groups == ("x", "y")


def test_pepper_is_used_for_new_hashes(tmp_path):
    s = KeyStore.open(tmp_path / "k.db", pepper=b"pepper")
    record, full = s.create("a")
    _, secret = keyfmt.parse_key(full)
    assert record.secret_hash.startswith("hmac-sha256$")
    assert keyfmt.verify(secret, record.secret_hash, b"pepper")
    assert not keyfmt.verify(secret, record.secret_hash)


def test_concurrent_creates_are_safe(store):
    made: list[ApiKeyRecord] = []

    def work() -> None:
        for i in range(10):
            made.append(store.create(f"k{i}")[0])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.key_id for r in store.list()}) == 40


def test_expired_helper(store):
    record, _ = store.create("a", expires_at=datetime.fromtimestamp(T0 + 60, UTC))
    assert not record.expired(datetime.fromtimestamp(T0 + 59, UTC))
    assert record.expired(datetime.fromtimestamp(T0 + 60, UTC))


class _WritesFail(sqlite3.Connection):
    fail = False

    def execute(self, sql, *args):
        if self.fail and sql.startswith("UPDATE"):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return super().execute(sql, *args)


def test_touch_failure_is_swallowed(tmp_path):
    conn = sqlite3.connect(
        tmp_path / "k.db", factory=_WritesFail, isolation_level=None, check_same_thread=False
    )
    s = KeyStore(conn)
    record, _ = s.create("a")
    conn.fail = True
    assert s.touch(record.key_id, datetime.fromtimestamp(T0, UTC)) is False
    assert s.get(record.key_id).last_used_at is None
