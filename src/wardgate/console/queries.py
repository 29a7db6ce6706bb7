"""Reading the exchange index for the pages: the overview, detections and calls.

Every query is bounded whatever the index holds: the overview reads the per-minute and per-hour
aggregates (at most a few thousand rows); lists page by row id (keyset pagination: the next page
starts below the last id shown, so page 1000 costs what page 1 does) through an index on the
filtered column; totals are counted up to :data:`COUNT_CAP` and shown as "10,000+" beyond.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from wardgate.console.index import DIMENSIONS, IndexDatabase

COUNT_CAP: Final = 10_000
TOP_N: Final = 8

Window = Literal["1h", "24h", "7d"]
WINDOWS: Final[dict[str, tuple[int, int]]] = {
    # window -> (seconds, bucket seconds): 60, 96 and 84 points on the chart
    "1h": (3600, 60),
    "24h": (86400, 900),
    "7d": (7 * 86400, 7200),
}
SEVERITIES: Final = ("info", "low", "medium", "high", "critical")
ACTIONS: Final = ("allow", "redact", "block", "deny", "throttle")

_EXCHANGE_COLUMNS: Final = (
    "id, exchange, at, route, identity, tenant, key_id, method, host, template, model, status, "
    "action, enforced, categories, max_score, finding_count, latency_ms, audit_seq, policy_ids, "
    "authz_policy_ids, reasons, mode, response_scan"
)
_FINDING_COLUMNS: Final = (
    "id, exchange_row, at, route, identity, action, category, detector, rule_id, severity, "
    "score, kind, span_start, span_end, chain, tags, evidence, message"
)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, newest first, with the cursors of its neighbours."""

    items: list[dict[str, Any]]
    older: int | None  # pass as ``before`` for the next (older) page
    newer: int | None  # pass as ``after`` for the previous (newer) page
    total: int
    total_capped: bool
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "older": self.older,
            "newer": self.newer,
            "total": self.total,
            "total_capped": self.total_capped,
            "filters": self.filters,
        }


def _exchange(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    return {
        "row": row[0],
        "exchange": row[1],
        "at": row[2],
        "route": row[3],
        "identity": row[4],
        "tenant": row[5],
        "key_id": row[6],
        "method": row[7],
        "host": row[8],
        "template": row[9],
        "model": row[10],
        "status": row[11],
        "action": row[12],
        "enforced": bool(row[13]),
        "categories": [c for c in str(row[14]).split(",") if c],
        "max_score": row[15],
        "finding_count": row[16],
        "latency_ms": row[17],
        "audit_seq": row[18],
        "policy_ids": json.loads(row[19]),
        "authz_policy_ids": json.loads(row[20]),
        "reasons": json.loads(row[21]),
        "mode": row[22],
        "response_scan": row[23],
    }


def _finding(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    severity = int(row[9])
    return {
        "id": row[0],
        "exchange_row": row[1],
        "at": row[2],
        "route": row[3],
        "identity": row[4],
        "action": row[5],
        "category": row[6],
        "detector": row[7],
        "rule_id": row[8],
        "severity": SEVERITIES[severity] if 0 <= severity < len(SEVERITIES) else str(severity),
        "severity_rank": severity,
        "score": row[10],
        "kind": row[11],
        "span": None if row[12] is None else [row[12], row[13]],
        "chain": json.loads(row[14]),
        "tags": [t for t in str(row[15]).split(",") if t],
        "evidence": row[16],
        "message": row[17],
    }


# -- the overview --------------------------------------------------------------------------------


def overview(db: IndexDatabase, now: float, window: str = "24h") -> dict[str, Any]:
    """Totals, a time series and top lists for the last ``window`` (``1h``, ``24h``, ``7d``)."""
    span_s, bucket_s = WINDOWS.get(window, WINDOWS["24h"])
    end = int(now // bucket_s) * bucket_s + bucket_s
    start = end - span_s
    buckets = span_s // bucket_s
    series = {
        name: [0] * buckets
        for name in ("requests", "blocked", "flagged", "denied", "findings", "errors")
    }
    latency_sum = 0.0
    latency_max = 0.0
    with db.read() as conn:
        rows = conn.execute(
            "SELECT minute, requests, blocked, flagged, denied, findings, errors, latency_sum, "
            "latency_max FROM ix_minutes WHERE minute >= ? AND minute < ? ORDER BY minute",
            (start // 60, end // 60),
        ).fetchall()
        tops = _tops(conn, start // 3600)
        last = conn.execute("SELECT id, at FROM ix_exchanges ORDER BY id DESC LIMIT 1").fetchone()
    for row in rows:
        slot = (int(row[0]) * 60 - start) // bucket_s
        if not 0 <= slot < buckets:
            continue
        for i, name in enumerate(
            ("requests", "blocked", "flagged", "denied", "findings", "errors")
        ):
            series[name][slot] += int(row[i + 1])
        latency_sum += float(row[7])
        latency_max = max(latency_max, float(row[8]))
    totals: dict[str, float] = {name: sum(values) for name, values in series.items()}
    requests = totals["requests"]
    totals["latency_avg_ms"] = round(latency_sum / requests, 2) if requests else 0.0
    totals["latency_max_ms"] = round(latency_max, 2)
    return {
        "window": window if window in WINDOWS else "24h",
        "start": start,
        "end": end,
        "bucket_s": bucket_s,
        "times": [start + i * bucket_s for i in range(buckets)],
        "series": series,
        "totals": totals,
        "top": tops,
        "tops_since": (start // 3600) * 3600,
        "last_row": None if last is None else last[0],
        "last_at": None if last is None else last[1],
    }


def _tops(conn: sqlite3.Connection, since_hour: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for dim in DIMENSIONS:
        order = (
            "findings DESC, requests DESC" if dim == "category" else "flagged DESC, requests DESC"
        )
        rows = conn.execute(
            "SELECT value, SUM(requests) AS requests, SUM(flagged) AS flagged, "  # noqa: S608
            "SUM(blocked) AS blocked, SUM(findings) AS findings FROM ix_hours "
            f"WHERE dim = ? AND hour >= ? GROUP BY value ORDER BY {order}, value LIMIT ?",
            (dim, since_hour, TOP_N),
        ).fetchall()
        out[dim] = [
            {"value": r[0], "requests": r[1], "flagged": r[2], "blocked": r[3], "findings": r[4]}
            for r in rows
        ]
    return out


def dimension(
    db: IndexDatabase, now: float, dim: str, *, days: int = 7, limit: int = 100
) -> list[dict[str, Any]]:
    """One dimension's values over the last ``days`` (routes, identities, categories, models),
    busiest with detections first, from the hourly aggregates."""
    if dim not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}")
    since = int((now - days * 86400) // 3600)
    with db.read() as conn:
        rows = conn.execute(
            "SELECT value, SUM(requests), SUM(flagged), SUM(blocked), SUM(findings) FROM ix_hours "
            "WHERE dim = ? AND hour >= ? GROUP BY value ORDER BY SUM(flagged) DESC, "
            "SUM(requests) DESC, value LIMIT ?",
            (dim, since, limit),
        ).fetchall()
    return [
        {"value": r[0], "requests": r[1], "flagged": r[2], "blocked": r[3], "findings": r[4]}
        for r in rows
    ]


def choices(db: IndexDatabase, now: float, days: int = 7) -> dict[str, list[str]]:
    """Values seen lately for the filter menus (from the hourly aggregates: cheap)."""
    since = int((now - days * 86400) // 3600)
    out: dict[str, list[str]] = {}
    with db.read() as conn:
        for dim in ("route", "identity", "category"):
            rows = conn.execute(
                "SELECT value FROM ix_hours WHERE dim = ? AND hour >= ? GROUP BY value "
                "ORDER BY SUM(findings) DESC, value LIMIT 200",
                (dim, since),
            ).fetchall()
            out[dim] = sorted(str(r[0]) for r in rows)
    return out


# -- lists -----------------------------------------------------------------------------------


def _where(filters: dict[str, Any], columns: dict[str, str]) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for name, column in columns.items():
        value = filters.get(name)
        if value is None or value == "":
            continue
        if name == "min_severity":
            clauses.append(f"{column} >= ?")
            params.append(SEVERITIES.index(str(value)) if value in SEVERITIES else int(value))
        else:
            clauses.append(f"{column} = ?")
            params.append(value)
    return clauses, params


def _page(
    conn: sqlite3.Connection,
    table: str,
    columns: str,
    clauses: list[str],
    params: list[Any],
    *,
    before: int | None,
    after: int | None,
    limit: int,
) -> tuple[list[tuple[Any, ...]], int | None, int | None, int, bool]:
    where = list(clauses)
    args = list(params)
    if after is not None:
        where.append("id > ?")
        args.append(after)
        order = "ASC"
    else:
        if before is not None:
            where.append("id < ?")
            args.append(before)
        order = "DESC"
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    rows = conn.execute(
        f"SELECT {columns} FROM {table}{sql_where} ORDER BY id {order} LIMIT ?",  # noqa: S608
        (*args, limit + 1),
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    older: int | None
    newer: int | None
    if after is not None:
        rows.reverse()  # shown newest first like every page
        newer = int(rows[0][0]) if rows and more else None
        older = int(rows[-1][0]) if rows else after + 1
    else:
        older = int(rows[-1][0]) if rows and more else None
        newer = int(rows[0][0]) if rows and before is not None else None
    base_where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    counted = conn.execute(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {table}{base_where} LIMIT ?)",  # noqa: S608
        (*params, COUNT_CAP + 1),
    ).fetchone()[0]
    return rows, older, newer, min(int(counted), COUNT_CAP), int(counted) > COUNT_CAP


FINDING_FILTERS: Final = {
    "category": "category",
    "route": "route",
    "identity": "identity",
    "action": "action",
    "min_severity": "severity",
}
EXCHANGE_FILTERS: Final = {
    "route": "route",
    "identity": "identity",
    "action": "action",
    "model": "model",
}


def detections(
    db: IndexDatabase,
    filters: dict[str, Any],
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Page:
    """Findings, newest first, filtered by category, route, identity, verdict, severity."""
    clauses, params = _where(filters, FINDING_FILTERS)
    with db.read() as conn:
        rows, older, newer, total, capped = _page(
            conn,
            "ix_findings",
            _FINDING_COLUMNS,
            clauses,
            params,
            before=before,
            after=after,
            limit=limit,
        )
        items = [_finding(r) for r in rows]
        if items:
            ids = sorted({i["exchange_row"] for i in items})
            marks = ",".join("?" for _ in ids)
            extra = {
                int(r[0]): (r[1], r[2], r[3], r[4], bool(r[5]))
                for r in conn.execute(
                    f"SELECT id, exchange, template, model, method, enforced FROM ix_exchanges "  # noqa: S608
                    f"WHERE id IN ({marks})",
                    ids,
                )
            }
            for item in items:
                got = extra.get(item["exchange_row"])
                item["exchange"], item["template"], item["model"] = (
                    (got[0], got[1], got[2]) if got else (None, "", "")
                )
                item["method"] = got[3] if got else ""
                item["enforced"] = got[4] if got else False
    kept = {k: v for k, v in filters.items() if v not in (None, "")}
    return Page(items, older, newer, total, capped, kept)


def detection(db: IndexDatabase, finding_id: int) -> dict[str, Any] | None:
    """One finding with its call and the call's other findings."""
    with db.read() as conn:
        row = conn.execute(
            f"SELECT {_FINDING_COLUMNS} FROM ix_findings WHERE id = ?",  # noqa: S608
            (finding_id,),
        ).fetchone()
        if row is None:
            return None
        found = _finding(row)
        call = conn.execute(
            f"SELECT {_EXCHANGE_COLUMNS} FROM ix_exchanges WHERE id = ?",  # noqa: S608
            (found["exchange_row"],),
        ).fetchone()
        siblings = conn.execute(
            f"SELECT {_FINDING_COLUMNS} FROM ix_findings WHERE exchange_row = ? ORDER BY id",  # noqa: S608
            (found["exchange_row"],),
        ).fetchall()
    found["call"] = None if call is None else _exchange(call)
    found["siblings"] = [_finding(s) for s in siblings]
    return found


def exchange(db: IndexDatabase, exchange_id: str) -> dict[str, Any] | None:
    """One call by its exchange id, with its findings."""
    with db.read() as conn:
        row = conn.execute(
            f"SELECT {_EXCHANGE_COLUMNS} FROM ix_exchanges WHERE exchange = ? LIMIT 1",  # noqa: S608
            (exchange_id,),
        ).fetchone()
        if row is None:
            return None
        call = _exchange(row)
        findings = conn.execute(
            f"SELECT {_FINDING_COLUMNS} FROM ix_findings WHERE exchange_row = ? ORDER BY id",  # noqa: S608
            (call["row"],),
        ).fetchall()
    call["findings"] = [_finding(f) for f in findings]
    return call


def exchanges(
    db: IndexDatabase,
    filters: dict[str, Any],
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Page:
    """Calls, newest first, filtered by route, identity, verdict, model."""
    clauses, params = _where(filters, EXCHANGE_FILTERS)
    with db.read() as conn:
        rows, older, newer, total, capped = _page(
            conn,
            "ix_exchanges",
            _EXCHANGE_COLUMNS,
            clauses,
            params,
            before=before,
            after=after,
            limit=limit,
        )
    kept = {k: v for k, v in filters.items() if v not in (None, "")}
    return Page([_exchange(r) for r in rows], older, newer, total, capped, kept)


__all__ = [
    "ACTIONS",
    "COUNT_CAP",
    "SEVERITIES",
    "WINDOWS",
    "Page",
    "choices",
    "detection",
    "detections",
    "dimension",
    "exchange",
    "exchanges",
    "overview",
]
