import threading

import pytest

from wardgate.storage.sqlite import applied_migrations, connect, migrate, transaction


def test_connect_sets_wal_busy_timeout_and_foreign_keys(tmp_path):
    conn = connect(tmp_path / "w.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        conn.close()


def test_connection_is_usable_from_another_thread(tmp_path):
    conn = connect(tmp_path / "w.db")
    conn.execute("CREATE TABLE t (x INTEGER)")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            conn.execute("INSERT INTO t VALUES (1)")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == []
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_foreign_keys_are_enforced(tmp_path):
    conn = connect(tmp_path / "w.db")
    conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE child (pid INTEGER REFERENCES parent(id))")
    with pytest.raises(Exception, match="FOREIGN KEY"):
        conn.execute("INSERT INTO child VALUES (42)")


def test_migration_runs_once_and_is_recorded(tmp_path):
    path = tmp_path / "w.db"
    conn = connect(path)
    stmts = ["CREATE TABLE a (x INTEGER)", "INSERT INTO a VALUES (7)"]
    assert migrate(conn, "a_0001", stmts) is True
    assert migrate(conn, "a_0001", stmts) is False  # would fail with "table a exists" if rerun
    conn.close()
    again = connect(path)
    assert migrate(again, "a_0001", stmts) is False
    assert again.execute("SELECT x FROM a").fetchall() == [(7,)]
    assert applied_migrations(again) == ["a_0001"]


def test_failed_migration_rolls_back_and_is_not_recorded(tmp_path):
    conn = connect(tmp_path / "w.db")
    with pytest.raises(Exception, match="syntax"):
        migrate(conn, "bad", ["CREATE TABLE b (x INTEGER)", "THIS IS NOT SQL"])
    assert applied_migrations(conn) == []
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "b" not in tables
    assert migrate(conn, "bad", ["CREATE TABLE b (x INTEGER)"]) is True


def test_migrations_are_independent_by_name(tmp_path):
    conn = connect(tmp_path / "w.db")
    migrate(conn, "one", ["CREATE TABLE one (x INTEGER)"])
    migrate(conn, "two", ["CREATE TABLE two (x INTEGER)"])
    assert applied_migrations(conn) == ["one", "two"]


def test_empty_migration_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="name"):
        migrate(connect(tmp_path / "w.db"), "", ["SELECT 1"])


def test_transaction_commits_or_rolls_back(tmp_path):
    conn = connect(tmp_path / "w.db")
    conn.execute("CREATE TABLE t (x INTEGER)")
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")

    def failing_body() -> None:
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_body()
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_in_memory_database_works():
    conn = connect(":memory:")
    assert migrate(conn, "m", ["CREATE TABLE m (x INTEGER)"]) is True
