import sqlite3
import sys
import types
from importlib.machinery import ModuleSpec

import pytest

from wardgate.compliance.sources import (
    json_safe,
    read_ai_models,
    read_api_inventory,
    read_incident_store,
    table_names,
)


def _db(tmp_path, *statements):
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        for s in statements:
            conn.execute(s)
    return path


def test_incident_store_absent_tables(tmp_path):
    path = _db(tmp_path, "CREATE TABLE other (x)")
    stats = read_incident_store(path, {"other"})
    assert not stats.available
    assert "no incident tables" in stats.reason


def test_real_incident_store_when_present(tmp_path):
    from wardgate.incidents.store import IncidentStore

    path = tmp_path / "i.db"
    IncidentStore.open(path).close()
    conn = sqlite3.connect(path)
    stats = read_incident_store(path, table_names(conn))
    conn.close()
    assert stats.available, stats.reason
    assert stats.by_status == {}
    assert stats.mean_ack_s is None


class _Stats:
    def to_dict(self):
        return {
            "by_status": {"open": 2, "resolved": 3},
            "by_category": {"pii": 5},
            "time_to_acknowledge": {"count": 3, "mean_s": 60.0, "median_s": 30.0},
            "time_to_resolve": {"count": 3, "mean_s": 3600.0, "median_s": 1800.0},
        }


def _fake_store(stats_fn):
    module = types.ModuleType("wardgate.incidents.store")
    module.__spec__ = ModuleSpec("wardgate.incidents.store", None)

    class IncidentStore:
        @classmethod
        def open(cls, path):
            return cls()

        def stats(self, since=None):
            return stats_fn()

        def close(self):
            pass

    module.IncidentStore = IncidentStore
    return module


def test_incident_store_stats_are_read_defensively(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wardgate.incidents.store", _fake_store(_Stats))
    stats = read_incident_store(tmp_path / "x.db", {"incidents"})
    assert stats.available
    assert stats.by_status == {"open": 2, "resolved": 3}
    assert (stats.mean_ack_s, stats.median_ack_s) == (60.0, 30.0)
    assert (stats.mean_resolve_s, stats.median_resolve_s) == (3600.0, 1800.0)


def test_a_failing_incident_store_is_reported_not_raised(tmp_path, monkeypatch):
    def boom():
        raise RuntimeError("schema from the future")

    monkeypatch.setitem(sys.modules, "wardgate.incidents.store", _fake_store(boom))
    stats = read_incident_store(tmp_path / "x.db", {"incidents"})
    assert not stats.available
    assert "RuntimeError" in stats.reason


@pytest.mark.parametrize(
    ("columns", "rows", "expected"),
    [
        ("key, approved INTEGER", [("a", 1), ("b", 0), ("c", None)], (3, 1, 1)),
        ("key, status TEXT", [("a", "approved"), ("b", "Shadow")], (2, 1, None)),
        ("key", [("a",)], (1, None, None)),
    ],
)
def test_ai_models_columns(tmp_path, columns, rows, expected):
    path = _db(tmp_path, f"CREATE TABLE ai_models ({columns})")
    conn = sqlite3.connect(path)
    marks = ",".join("?" * len(rows[0]))
    conn.executemany(f"INSERT INTO ai_models VALUES ({marks})", rows)
    inv = read_ai_models(conn, table_names(conn))
    assert (inv.models, inv.unapproved, inv.unjudged) == expected
    assert not read_ai_models(conn, set()).available


def test_api_inventory_flags_and_bad_rows(tmp_path):
    path = _db(tmp_path, "CREATE TABLE endpoints (record TEXT)")
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO endpoints VALUES (?)",
        [
            ('{"shadow": true, "ai": "openai.chat"}',),
            ('{"shadow": false, "zombie": true}',),
            ("not json",),
            ("[1]",),
        ],
    )
    inv = read_api_inventory(conn, table_names(conn), None, None)
    assert (inv.endpoints, inv.ai_endpoints, inv.shadow, inv.zombie) == (2, 1, 1, 1)
    assert not read_api_inventory(conn, set(), None, None).available


def test_json_safe_bounds_and_cleans():
    deep: dict = {}
    node = deep
    for _ in range(20):
        node["x"] = {}
        node = node["x"]
    out = json_safe({"n": float("nan"), "s": {1, 2}, "deep": deep, "o": object()})
    assert out["n"] is None
    assert sorted(out["s"]) == [1, 2]
    assert isinstance(out["o"], str)
    assert "x" in out["deep"]
