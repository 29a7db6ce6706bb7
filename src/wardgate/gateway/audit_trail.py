"""The gateway's side of the audit trail: decisions in before answers out, checkpoints signed.

Every call's decision is appended to the Merkle log (:mod:`wardgate.audit.log`) and the gateway
waits for the commit before the client gets the last byte of its answer, so a decision a client
saw acknowledged is in the trail even if the process dies the next instant. Appends from
concurrent calls share one commit (:class:`AsyncAuditWriter`). Configuration snapshots, key and
incident events go to the same log. Checkpoints (tree size and root) are signed with Ed25519 on
a schedule and at shutdown, and copied to an export target outside the operator's reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardgate import __version__
from wardgate.audit.log import AsyncAuditWriter, AuditLog, RecordRef
from wardgate.audit.records import text_digest
from wardgate.audit.signing import (
    generate_private_key,
    load_private_key,
    save_private_key,
    save_public_key,
)
from wardgate.gateway.config import AuditSettings, GatewayConfig

log = logging.getLogger("wardgate.audit")

EXPORT_TIMEOUT_S = 5.0
WAL_CHECKPOINT_EVERY_S = 1.0


class AuditUnavailable(RuntimeError):
    """The trail could not take a record and the configuration says to fail closed."""


def signing_key(settings: AuditSettings, database: str) -> Ed25519PrivateKey:
    """The checkpoint key: loaded, or created with its public key beside it (``KEY.pub``)."""
    if settings.signing_key is None and database == ":memory:":
        return generate_private_key()  # a throw-away database: a throw-away key
    path = settings.signing_key or Path(f"{database}.audit-key")
    if path.exists():
        return load_private_key(path)
    key = generate_private_key()
    save_private_key(key, path)
    save_public_key(key.public_key(), Path(f"{path}.pub"))
    log.warning(
        "created an audit signing key; keep its public key where auditors can get it",
        extra={"wardgate": {"private_key": str(path), "public_key": f"{path}.pub"}},
    )
    return key


class GatewayAudit:
    """Append decisions and events; sign and export checkpoints. One per gateway process."""

    def __init__(
        self,
        audit_log: AuditLog,
        signer: Ed25519PrivateKey,
        settings: AuditSettings,
        *,
        digest_key: bytes | None = None,
        export_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.log = audit_log
        self.settings = settings
        self._signer = signer
        self._writer = AsyncAuditWriter(audit_log)
        self._digest_key = digest_key
        self._export_client = export_client
        self._task: asyncio.Task[None] | None = None
        self._last_checkpoint_size = -1
        self.failures = 0

    @classmethod
    def open(cls, config: GatewayConfig, environ: Mapping[str, str]) -> GatewayAudit:
        settings = config.audit
        digest = environ.get(settings.digest_key_env)
        return cls(
            AuditLog.open(config.database, synchronous=settings.synchronous),
            signing_key(settings, config.database),
            settings,
            digest_key=digest.encode("utf-8") if digest else None,
        )

    def digest(self, text: str) -> dict[str, Any]:
        """What a record keeps of a prompt or answer: a (keyed) digest and its length."""
        return text_digest(text, key=self._digest_key)

    async def append(self, kind: str, body: Mapping[str, Any]) -> RecordRef | None:
        """Append and wait until durable. A failure raises :class:`AuditUnavailable` when the
        trail fails closed; otherwise it is logged, counted, and None is returned."""
        try:
            return await self._writer.append(kind, body)
        except Exception as exc:
            self.failures += 1
            log.error("could not write to the audit trail", extra={"wardgate": {"kind": kind}})
            if self.settings.fail_closed:
                raise AuditUnavailable("the audit trail is unavailable") from exc
            return None

    def append_later(self, kind: str, body: Mapping[str, Any]) -> asyncio.Task[RecordRef | None]:
        """Append without waiting (for calls whose client is gone: nothing to acknowledge)."""
        task = asyncio.get_running_loop().create_task(self._quiet_append(kind, body))
        _pending.add(task)
        task.add_done_callback(_pending.discard)
        return task

    async def _quiet_append(self, kind: str, body: Mapping[str, Any]) -> RecordRef | None:
        try:
            return await self.append(kind, body)
        except AuditUnavailable:
            return None

    # ---- checkpoints ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            # Commits must not stall behind SQLite's automatic WAL checkpoint (copying the log
            # into the database and syncing it, milliseconds, on whichever commit crosses 1,000
            # pages): the trail's connection never checkpoints; a background one does, often.
            self.log.manual_wal_checkpoints()
            self._task = asyncio.get_running_loop().create_task(self._schedule())

    async def stop(self) -> None:
        """Drain the queued records, sign a last checkpoint, close."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if _pending:
            await asyncio.gather(*list(_pending), return_exceptions=True)
        await self._writer.close()
        try:
            await self.checkpoint()
        except Exception:
            log.exception("could not sign the shutdown checkpoint")
        if self._export_client is not None:
            await self._export_client.aclose()

    async def checkpoint(self) -> str | None:
        """Sign (and export) a checkpoint if the log grew since the last one; its note."""
        size = await asyncio.to_thread(lambda: self.log.size)
        if size == self._last_checkpoint_size:
            return None
        checkpoint = await asyncio.to_thread(self.log.checkpoint, self._signer)
        self._last_checkpoint_size = checkpoint.size
        log.info(
            "audit checkpoint signed",
            extra={"wardgate": {"size": checkpoint.size, "root": checkpoint.root.hex()}},
        )
        if self.settings.export:
            await self._export(checkpoint.note)
        return checkpoint.note

    async def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        next_checkpoint = loop.time() + self.settings.checkpoint_every_s
        while True:
            await asyncio.sleep(WAL_CHECKPOINT_EVERY_S)
            try:
                await asyncio.to_thread(self.log.wal_checkpoint)
            except Exception:
                log.exception("could not checkpoint the database's write-ahead log")
            if loop.time() < next_checkpoint:
                continue
            next_checkpoint = loop.time() + self.settings.checkpoint_every_s
            try:
                await self.checkpoint()
            except Exception:
                log.exception("could not sign an audit checkpoint")

    async def _export(self, note: str) -> None:
        target = self.settings.export or ""
        try:
            if target.startswith(("http://", "https://")):
                client = self._export_client or httpx.AsyncClient(timeout=EXPORT_TIMEOUT_S)
                self._export_client = client
                response = await client.post(
                    target, content=note.encode("utf-8"), headers={"content-type": "text/plain"}
                )
                response.raise_for_status()
            else:
                await asyncio.to_thread(_append_note, Path(target), note)
        except (OSError, httpx.HTTPError):
            log.error("could not export the audit checkpoint", extra={"wardgate": {"to": target}})


_pending: set[asyncio.Task[RecordRef | None]] = set()


def _append_note(path: Path, note: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(note if note.endswith("\n") else note + "\n")
        out.write("\n")  # a blank line between notes
        out.flush()
        os.fsync(out.fileno())


def config_record(
    config: GatewayConfig,
    policy_text: str,
    policy_ids: list[str],
    detectors: list[str] | None = None,
) -> dict[str, Any]:
    """The ``config`` record written at start-up: hashes and the facts an auditor asks for
    (routes, their modes and who may call them), never credentials."""
    canonical = config.model_dump_json(exclude={"audit": {"export"}})
    return {
        "event": "start",
        "config_sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        "policy_sha256": hashlib.sha256(policy_text.encode("utf-8")).hexdigest(),
        "policy_ids": sorted(policy_ids),
        "routes": [
            {
                "name": r.name,
                "provider": r.provider,
                "mode": r.mode.value,
                "fail_closed": r.fail.value == "closed",
                "anonymous": r.anonymous,
                "upstream_host": httpx.URL(r.upstream).host,
            }
            for r in config.routes
        ],
        "detection": {
            "version": f"wardgate {__version__}",
            "threshold": config.detection.threshold,
            "detectors": sorted(detectors or ()),
        },
        "limits": config.limits.model_dump(mode="json", exclude={"redis_url"}),
        "audit": {
            "fail_closed": config.audit.fail_closed,
            "checkpoint_every_s": config.audit.checkpoint_every_s,
            "export": bool(config.audit.export),
        },
    }
