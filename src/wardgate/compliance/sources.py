"""Optional stores other features own, read defensively and without writing.

The report must work on any Wardgate database: one with only an audit log, one where the
incident store or the AI-model inventory has not been created yet, one from a newer release with
extra columns. Each reader here checks that its tables exist (in ``sqlite_master``) and answers
``available=False`` with a reason instead of failing or creating anything. The incident store is
imported only when its tables exist, so this module loads before that feature lands.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import math
import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

_MAX_DEPTH = 6
_MAX_ITEMS = 200
_INCIDENT_MODULE = "wardgate.incidents.store"
_UNAPPROVED_STATUSES = ("unapproved", "unregistered", "shadow", "pending", "unknown", "rejected")


def table_names(conn: sqlite3.Connection) -> set[str]:
    """Names of the tables in the database."""
    return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({_quote_ident(table)})")}


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` reduced to bounded JSON (dicts, lists, str, finite numbers, bool, None)."""
    if depth > _MAX_DEPTH:
        return None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif hasattr(value, "to_dict") and callable(value.to_dict):
        value = value.to_dict()
    if isinstance(value, Mapping):
        items = list(value.items())[:_MAX_ITEMS]
        return {str(k): json_safe(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v, depth + 1) for v in list(value)[:_MAX_ITEMS]]
    return str(value)[:200]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    else:
        out[prefix.rstrip(".")] = value
    return out


def _find_number(flat: Mapping[str, Any], *words: str) -> float | None:
    for key, value in flat.items():
        low = key.lower()
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and all(w in low for w in words):
            return float(value)
    return None


def _find_counts(stats: Mapping[str, Any], word: str) -> dict[str, int]:
    for key, value in stats.items():
        if word in key.lower() and isinstance(value, dict):
            counts = {str(k): v for k, v in value.items() if isinstance(v, int)}
            if counts:
                return counts
    return {}


def _module_present(name: str) -> bool:
    """Whether ``name`` can be imported, without importing it (nor failing on a missing parent)."""
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@dataclass(slots=True)
class IncidentStoreStats:
    """What the incident store says, or why it could not be read."""

    available: bool
    reason: str = ""
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    mean_ack_s: float | None = None
    median_ack_s: float | None = None
    mean_resolve_s: float | None = None
    median_resolve_s: float | None = None
    raw: Any = None


def read_incident_store(
    db_path: Path, tables: set[str], since: datetime | None = None
) -> IncidentStoreStats:
    """Stats from ``wardgate.incidents.store`` when the module and its tables both exist
    (over incidents first seen since ``since`` where the store supports it)."""
    if not any(t.startswith("incident") for t in tables):
        return IncidentStoreStats(False, "no incident tables in this database")
    if not _module_present(_INCIDENT_MODULE):
        return IncidentStoreStats(False, "the incident store is not installed")
    try:
        module = importlib.import_module(_INCIDENT_MODULE)
        store = module.IncidentStore.open(db_path)
        try:
            try:
                raw = store.stats(since=since)
            except TypeError:  # an older store without a window
                raw = store.stats()
            stats = json_safe(raw)
        finally:
            close = getattr(store, "close", None)
            if callable(close):
                close()
    except Exception as exc:  # a store from another release: report, never fail the report
        return IncidentStoreStats(False, f"incident store unreadable ({type(exc).__name__})")
    if not isinstance(stats, dict):
        return IncidentStoreStats(False, "incident store returned no statistics")
    flat = _flatten(stats)
    return IncidentStoreStats(
        True,
        by_status=_find_counts(stats, "status"),
        by_category=_find_counts(stats, "categor"),
        mean_ack_s=_find_number(flat, "ack", "mean"),
        median_ack_s=_find_number(flat, "ack", "median"),
        mean_resolve_s=_find_number(flat, "resol", "mean"),
        median_resolve_s=_find_number(flat, "resol", "median"),
        raw=stats,
    )


@dataclass(slots=True)
class AiModelInventory:
    """The AI-model inventory's size, how many models are unapproved (shadow AI: judged not
    approved, or called by someone not approved for them) and how many were never judged."""

    available: bool
    reason: str = ""
    models: int = 0
    unapproved: int | None = None
    unjudged: int | None = None


def read_ai_models(conn: sqlite3.Connection, tables: set[str]) -> AiModelInventory:
    """Count rows of ``ai_models``; approval from an ``approved`` or a ``status`` column."""
    if "ai_models" not in tables:
        return AiModelInventory(False, "no AI model inventory (table ai_models) in this database")
    try:
        cols = _columns(conn, "ai_models")
        models = int(conn.execute("SELECT COUNT(*) FROM ai_models").fetchone()[0])
        inv = AiModelInventory(True, models=models)
        if "approved" in cols:
            shadow = "approved = 0"
            if "unapproved_calls" in cols:
                shadow += " OR unapproved_calls > 0"
            inv.unapproved = int(
                conn.execute(f"SELECT COUNT(*) FROM ai_models WHERE {shadow}").fetchone()[0]  # noqa: S608 - constant clauses
            )
            inv.unjudged = int(
                conn.execute("SELECT COUNT(*) FROM ai_models WHERE approved IS NULL").fetchone()[0]
            )
        elif "status" in cols:
            marks = ",".join("?" * len(_UNAPPROVED_STATUSES))
            row = conn.execute(
                f"SELECT COUNT(*) FROM ai_models WHERE lower(status) IN ({marks})",  # noqa: S608 - placeholders only
                _UNAPPROVED_STATUSES,
            ).fetchone()
            inv.unapproved = int(row[0])
    except sqlite3.Error as exc:
        return AiModelInventory(False, f"ai_models unreadable ({type(exc).__name__})")
    return inv


@dataclass(slots=True)
class ApiInventory:
    """The discovered API inventory (``storage/inventory.py``), summarised."""

    available: bool
    reason: str = ""
    endpoints: int = 0
    ai_endpoints: int = 0
    unauthenticated: int = 0
    sensitive: int = 0
    shadow: int | None = None
    zombie: int | None = None
    events: dict[str, int] = field(default_factory=dict)


def _truthy_flag(record: Mapping[str, Any], name: str) -> bool | None:
    value = record.get(name)
    if value is None:
        return None
    return bool(value)


def read_api_inventory(
    conn: sqlite3.Connection, tables: set[str], since_epoch: float | None, until_epoch: float | None
) -> ApiInventory:
    """Endpoint counts, and change events (new endpoints, auth changes...) in the window.

    ``shadow``/``zombie`` are counted only where records carry such flags (they need a declared
    spec to compare with); otherwise they stay ``None``, meaning "not known", not zero.
    """
    if "endpoints" not in tables:
        return ApiInventory(False, "no API inventory (run the gateway with discovery on)")
    inv = ApiInventory(True)
    shadow = zombie = 0
    flagged = False
    try:
        for (text,) in conn.execute("SELECT record FROM endpoints"):
            try:
                record = json.loads(text)
            except (TypeError, ValueError):
                continue
            if not isinstance(record, dict):
                continue
            inv.endpoints += 1
            if record.get("ai"):
                inv.ai_endpoints += 1
            auth = record.get("auth")
            if isinstance(auth, dict) and auth and set(auth) <= {"none"}:
                inv.unauthenticated += 1
            if record.get("sensitive"):
                inv.sensitive += 1
            for name in ("shadow", "zombie"):
                flag = _truthy_flag(record, name)
                if flag is not None:
                    flagged = True
                    if flag and name == "shadow":
                        shadow += 1
                    elif flag:
                        zombie += 1
        if "endpoint_events" in tables:
            lo = since_epoch if since_epoch is not None else float("-inf")
            hi = until_epoch if until_epoch is not None else float("inf")
            for kind, count in conn.execute(
                "SELECT kind, COUNT(*) FROM endpoint_events WHERE at >= ? AND at < ? GROUP BY kind",
                (max(lo, -1e18), min(hi, 1e18)),
            ):
                inv.events[str(kind)] = int(count)
    except sqlite3.Error as exc:
        return ApiInventory(False, f"API inventory unreadable ({type(exc).__name__})")
    if flagged:
        inv.shadow, inv.zombie = shadow, zombie
    return inv
