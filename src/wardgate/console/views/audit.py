"""The audit trail: its size, signed checkpoints, verification status, recent records, and one
record with its inclusion proof checked against the latest signed checkpoint.

Verification re-hashes every record (:func:`~wardgate.audit.verify.verify_log`), so it runs in
the background on request and the page shows the last result. It trusts the public key next to
the gateway's signing key (``<key>.pub``); without that file it falls back to the key the log
itself records, and says that this proves consistency, not authenticity.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

from pydantic import Field

from wardgate.audit import merkle
from wardgate.audit.log import AuditLog
from wardgate.audit.signing import load_public_key, parse_checkpoint
from wardgate.audit.verify import VerificationReport, verify_log
from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.jobs import Job
from wardgate.console.views.common import Query, query, schema
from wardgate.console.web import (
    ApiDoc,
    HTTPError,
    Request,
    Response,
    Router,
    json_response,
    redirect,
)

CHECKPOINTS_SHOWN = 20
RECORDS_SHOWN = 50
KINDS = ("decision", "incident", "key", "policy", "config", "console", "discovery")


class RecordQuery(Query):
    kind: str | None = Field(None, max_length=32, pattern=r"^[a-z][a-z0-9-]*$")
    before: int | None = Field(None, ge=1, le=2**53)


def _hex(data: bytes | None) -> str | None:
    return None if data is None else data.hex()


class AuditViews:
    def __init__(self, console: Console) -> None:
        self.c = console
        self.verify_job: Job[dict[str, Any]] = Job(
            "audit-verify", self._verify, clock=console.clock
        )

    def register(self, r: Router) -> None:
        r.add("GET", "/audit", self.page, Role.VIEWER)
        r.add("GET", "/audit/records/{seq}", self.record_page, Role.VIEWER)
        r.add("POST", "/audit/verify", self.verify_form, Role.ANALYST)
        r.add("POST", "/audit/checkpoint", self.checkpoint_form, Role.ADMIN)
        tag = "audit"
        r.add(
            "GET",
            "/api/audit",
            self.api_status,
            Role.VIEWER,
            ApiDoc(
                "Size, checkpoints, verification status and recent records",
                query=RecordQuery,
                response=schema(
                    {
                        "size": {"type": "integer"},
                        "checkpoints": {"type": "array"},
                        "verification": {"type": "object"},
                        "records": {"type": "array"},
                    }
                ),
                tag=tag,
            ),
        )
        r.add(
            "GET",
            "/api/audit/records/{seq}",
            self.api_record,
            Role.VIEWER,
            ApiDoc(
                "One record, its leaf hash and its inclusion proof (checked)",
                response=schema({"record": {"type": "object"}, "proof": {"type": "object"}}),
                tag=tag,
            ),
        )
        r.add(
            "POST",
            "/api/audit/verify",
            self.api_verify,
            Role.ANALYST,
            ApiDoc(
                "Verify the whole log against its signed checkpoints (waits for the result)",
                response=schema(
                    {"state": {"type": "string"}, "result": {"type": ["object", "null"]}}
                ),
                tag=tag,
            ),
        )

    # -- pieces ----------------------------------------------------------------------------------

    def _log(self) -> AuditLog:
        log = self.c.audit_log
        if log is None:
            raise HTTPError(503, "this gateway keeps no audit trail (audit.enabled is false)")
        return log

    def _key_path(self) -> Path:
        settings = self.c.config.audit
        if settings.signing_key is not None:
            return Path(f"{settings.signing_key}.pub")
        return Path(f"{self.c.database}.audit-key.pub")

    def _verify(self) -> dict[str, Any]:
        log = self._log()
        path = self._key_path()
        trusted = path.is_file()
        key = load_public_key(path) if trusted else log.public_key()
        if key is None:
            return {
                "ok": None,
                "message": "no checkpoint has been signed yet",
                "trusted_key": False,
            }
        report: VerificationReport = verify_log(self.c.database, key)
        return {
            **report.to_dict(),
            "trusted_key": trusted,
            "key_file": str(path) if trusted else None,
        }

    def _checkpoints(self, log: AuditLog) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for number, note in log.checkpoint_notes()[-CHECKPOINTS_SHOWN:]:
            try:
                cp = parse_checkpoint(note)
            except ValueError:
                out.append({"id": number, "malformed": True})
                continue
            out.append(
                {
                    "id": number,
                    "size": cp.size,
                    "root": cp.root.hex(),
                    "time": cp.time.timestamp(),
                    "note": note,
                }
            )
        out.reverse()
        return out

    def _records(self, q: RecordQuery) -> tuple[list[dict[str, Any]], int | None]:
        log = self._log()
        size = log.size
        end = min(size, q.before) if q.before is not None else size
        if q.kind is not None:
            rows = self.c.read_store(
                "SELECT seq FROM audit_records WHERE kind = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                (q.kind, end, RECORDS_SHOWN),
            )
            seqs = [int(r[0]) for r in rows]
        else:
            seqs = list(range(end - 1, max(-1, end - 1 - RECORDS_SHOWN), -1))
        out = []
        for seq in seqs:
            stored = log.record(seq)
            if stored is None:
                continue
            try:
                record = stored.decode()
            except ValueError:
                out.append({"seq": seq, "kind": "?", "time": None, "summary": "undecodable"})
                continue
            out.append(
                {
                    "seq": seq,
                    "kind": record.kind,
                    "time": record.time.timestamp(),
                    "summary": _summary(record.kind, record.body),
                }
            )
        older = seqs[-1] if len(seqs) == RECORDS_SHOWN and seqs[-1] > 0 else None
        return out, older

    def _status(self, q: RecordQuery) -> dict[str, Any]:
        log = self._log()
        records, older = self._records(q)
        outcome = self.verify_job.outcome
        kinds = list(KINDS)
        return {
            "origin": log.origin,
            "size": log.size,
            "checkpoints": self._checkpoints(log),
            "verification": {
                "state": outcome.state,
                "started_at": outcome.started_at,
                "finished_at": outcome.finished_at,
                "result": outcome.result,
                "error": outcome.error,
            },
            "key_file": str(self._key_path()),
            "trusted_key": self._key_path().is_file(),
            "records": records,
            "older": older,
            "kinds": kinds,
        }

    def _record(self, seq_text: str) -> dict[str, Any]:
        if not seq_text.isdigit() or len(seq_text) > 16:
            raise HTTPError(404, "no such record")
        seq = int(seq_text)
        log = self._log()
        stored = log.record(seq)
        if stored is None:
            raise HTTPError(404, "no such record")
        record = stored.decode()
        latest = None
        for _, note in reversed(log.checkpoint_notes()[-CHECKPOINTS_SHOWN:]):
            try:
                cp = parse_checkpoint(note)
            except ValueError:
                continue
            if cp.size > seq:
                latest = cp
                break
        size = latest.size if latest is not None else log.size
        root = latest.root if latest is not None else log.root(size)
        proof = log.inclusion_proof(seq, size)
        valid = merkle.verify_inclusion(stored.leaf_hash, seq, size, proof, root)
        recomputed = merkle.leaf_hash(stored.data)
        return {
            "record": {
                "seq": record.seq,
                "kind": record.kind,
                "time": record.time.isoformat(),
                "body": record.body,
            },
            "leaf_hash": stored.leaf_hash.hex(),
            "leaf_hash_matches": recomputed == stored.leaf_hash,
            "proof": {
                "tree_size": size,
                "root": root.hex(),
                "root_b64": base64.b64encode(root).decode("ascii"),
                "against": "signed checkpoint"
                if latest is not None
                else "current tree (not yet checkpointed)",
                "hashes": [h.hex() for h in proof],
                "verifies": valid,
            },
        }

    # -- pages and API -----------------------------------------------------------------------------

    async def page(self, req: Request) -> Response:
        q = query(req, RecordQuery)
        data = await asyncio.to_thread(self._status, q)
        return self.c.templates.render(
            req,
            "audit.html",
            data=data,
            kind=q.kind or "",
            can_checkpoint=self.c.gateway.c.audit is not None,
        )

    async def record_page(self, req: Request) -> Response:
        data = await asyncio.to_thread(self._record, req.params["seq"])
        return self.c.templates.render(req, "audit_record.html", data=data)

    async def verify_form(self, req: Request) -> Response:
        self._log()
        self.verify_job.start()
        return redirect("/audit")

    async def checkpoint_form(self, req: Request) -> Response:
        audit = self.c.gateway.c.audit
        if audit is None:
            raise HTTPError(409, "the gateway's audit trail is off: nothing signs checkpoints")
        await audit.checkpoint()
        return redirect("/audit")

    async def api_status(self, req: Request) -> Response:
        return json_response(await asyncio.to_thread(self._status, query(req, RecordQuery)))

    async def api_record(self, req: Request) -> Response:
        return json_response(await asyncio.to_thread(self._record, req.params["seq"]))

    async def api_verify(self, req: Request) -> Response:
        self._log()
        outcome = await self.verify_job.run()
        return json_response(
            {"state": outcome.state, "result": outcome.result, "error": outcome.error}
        )


def _summary(kind: str, body: dict[str, Any]) -> str:
    """One line about a record for the list (records hold no prompt text: safe to show)."""
    if kind == "decision":
        verdict = (body.get("request") or {}).get("action", "")
        who = (body.get("identity") or {}).get("subject", "")
        return f"{body.get('method', '')} {body.get('path', '')} → {body.get('status', '')} {verdict} ({who})"
    if kind == "incident":
        return f"{body.get('incident', '')} {body.get('action', '')} by {body.get('actor', '')}"
    if kind in {"key", "policy", "console", "discovery", "config"}:
        parts = [str(body.get("event", ""))]
        for field in ("key_id", "name", "user", "policy_sha256", "host", "by"):
            if body.get(field):
                value = str(body[field])
                parts.append(f"{field}={value[:16] if field == 'policy_sha256' else value}")
        return " ".join(parts)
    return ", ".join(sorted(body))[:120]


def register(r: Router, console: Console) -> None:
    AuditViews(console).register(r)


__all__ = ["register"]
