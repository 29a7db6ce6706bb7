"""Identities and gateway API keys: who calls (keys, and every identity seen in traffic), and
creating, scoping, rotating and revoking keys (admins).

A new key's secret is shown once, on the answer to the request that created it, and never
stored (only its hash, by :class:`~wardgate.storage.keys.KeyStore`). A revocation reaches the
running gateway at once: the key is dropped from the authenticator's cache, so its next call is
refused with 401. Every change is a ``key`` audit record, as ``wardgate keys`` writes.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from wardgate.console import queries
from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.views.common import Body, actor, body, schema
from wardgate.console.web import ApiDoc, HTTPError, Request, Response, Router, json_response
from wardgate.storage.keys import ApiKeyRecord, KeyStore

_LABELS = re.compile(r"[,\s]+")


def _labels(value: Any) -> Any:
    if isinstance(value, str):
        return [v for v in _LABELS.split(value) if v]
    return value


class NewKey(Body):
    name: str = Field(min_length=1, max_length=200)
    tenant: str = Field("", max_length=200)
    groups: list[str] = Field(default_factory=list, max_length=256)
    scopes: list[str] = Field(default_factory=list, max_length=256)
    expires_in_days: int | None = Field(None, ge=1, le=3650)

    _split_groups = field_validator("groups", "scopes", mode="before")(_labels)


_KEY = schema(
    {
        "key_id": {"type": "string"},
        "name": {"type": "string"},
        "tenant": {"type": "string"},
        "groups": {"type": "array", "items": {"type": "string"}},
        "scopes": {"type": "array", "items": {"type": "string"}},
        "expires_at": {"type": ["string", "null"]},
        "revoked_at": {"type": ["string", "null"]},
    }
)


def _status(record: ApiKeyRecord, now: datetime) -> str:
    if record.revoked:
        return "revoked"
    return "expired" if record.expired(now) else "active"


class KeyViews:
    def __init__(self, console: Console) -> None:
        self.c = console

    def register(self, r: Router) -> None:
        r.add("GET", "/keys", self.page, Role.VIEWER)
        r.add("POST", "/keys", self.create_form, Role.ADMIN)
        r.add("POST", "/keys/{key_id}/revoke", self.revoke_form, Role.ADMIN)
        r.add("POST", "/keys/{key_id}/rotate", self.rotate_form, Role.ADMIN)
        tag = "keys"
        r.add(
            "GET",
            "/api/keys",
            self.api_list,
            Role.VIEWER,
            ApiDoc(
                "Gateway API keys (never their secrets)",
                response=schema(_KEY["properties"], array=True),
                tag=tag,
            ),
        )
        r.add(
            "POST",
            "/api/keys",
            self.api_create,
            Role.ADMIN,
            ApiDoc(
                "Create a key; the secret is in the answer, once",
                body=NewKey,
                response=schema({"key": _KEY, "secret": {"type": "string"}}),
                tag=tag,
                status=201,
            ),
        )
        r.add(
            "POST",
            "/api/keys/{key_id}/revoke",
            self.api_revoke,
            Role.ADMIN,
            ApiDoc("Revoke a key (effective on the gateway at once)", response=_KEY, tag=tag),
        )
        r.add(
            "POST",
            "/api/keys/{key_id}/rotate",
            self.api_rotate,
            Role.ADMIN,
            ApiDoc(
                "Replace a key by a new one with the same name, tenant, groups and scopes; the old "
                "one is revoked; the new secret is in the answer, once",
                response=schema({"key": _KEY, "secret": {"type": "string"}, "revoked": _KEY}),
                tag=tag,
            ),
        )

    def _store(self) -> KeyStore:
        if self.c.keys is None:
            raise HTTPError(409, "API keys are switched off in this gateway (auth.api_keys)")
        return self.c.keys

    async def _audit(self, event: str, record: ApiKeyRecord, by: str, **extra: str) -> None:
        await self.c.record(
            "key",
            {
                "event": event,
                "key_id": record.key_id,
                "name": record.name,
                "tenant": record.tenant,
                "groups": list(record.groups),
                "scopes": list(record.scopes),
                "expires_at": record.to_dict()["expires_at"],
                "by": by,
                **extra,
            },
        )

    # -- reading ---------------------------------------------------------------------------------

    async def page(
        self,
        req: Request,
        *,
        status: int = 200,
        created: dict[str, Any] | None = None,
        error: str = "",
    ) -> Response:
        now = datetime.now(UTC)
        keys = [] if self.c.keys is None else await asyncio.to_thread(self.c.keys.list)
        identities = await asyncio.to_thread(
            queries.dimension, self.c.index_db, self.c.clock(), "identity"
        )
        return self.c.templates.render(
            req,
            "keys.html",
            status,
            keys=[{**k.to_dict(), "status": _status(k, now)} for k in reversed(keys)],
            enabled=self.c.keys is not None,
            identities=identities,
            created=created,
            error=error,
        )

    async def api_list(self, req: Request) -> Response:
        now = datetime.now(UTC)
        keys = [] if self.c.keys is None else await asyncio.to_thread(self.c.keys.list)
        return json_response([{**k.to_dict(), "status": _status(k, now)} for k in keys])

    # -- changes ---------------------------------------------------------------------------------

    async def _create(self, req: Request) -> tuple[ApiKeyRecord, str]:
        form = await body(req, NewKey)
        store = self._store()
        expires = None
        if form.expires_in_days is not None:
            expires = datetime.now(UTC) + timedelta(days=form.expires_in_days)
        try:
            record, secret = await asyncio.to_thread(
                lambda: store.create(
                    form.name,
                    tenant=form.tenant,
                    groups=form.groups,
                    scopes=form.scopes,
                    expires_at=expires,
                )
            )
        except ValueError as exc:
            raise HTTPError(422, str(exc)) from None
        await self._audit("create", record, actor(req))
        return record, secret

    async def create_form(self, req: Request) -> Response:
        try:
            record, secret = await self._create(req)
        except HTTPError as exc:
            if exc.status != 422:
                raise
            return await self.page(req, error=exc.message, status=422)
        return await self.page(req, created={"key": record.to_dict(), "secret": secret})

    async def api_create(self, req: Request) -> Response:
        record, secret = await self._create(req)
        return json_response({"key": record.to_dict(), "secret": secret}, 201)

    async def _revoke(self, req: Request, key_id: str | None = None) -> ApiKeyRecord:
        store = self._store()
        key_id = key_id or req.params["key_id"]
        revoked = await asyncio.to_thread(store.revoke, key_id)
        record = await asyncio.to_thread(store.get, key_id)
        if not revoked or record is None:
            raise HTTPError(404, "no such key")
        self.c.gateway.c.authenticator.invalidate(key_id)  # refused from the next call on
        await self._audit("revoke", record, actor(req))
        return record

    async def revoke_form(self, req: Request) -> Response:
        await self._revoke(req)
        return await self.page(req)

    async def api_revoke(self, req: Request) -> Response:
        return json_response((await self._revoke(req)).to_dict())

    async def _rotate(self, req: Request) -> tuple[ApiKeyRecord, str, ApiKeyRecord]:
        store = self._store()
        old = await asyncio.to_thread(store.get, req.params["key_id"])
        if old is None:
            raise HTTPError(404, "no such key")
        if old.revoked:
            raise HTTPError(409, "the key is revoked already; create a new one")
        record, secret = await asyncio.to_thread(
            lambda: store.create(
                old.name,
                tenant=old.tenant,
                groups=old.groups,
                scopes=old.scopes,
                expires_at=old.expires_at
                if old.expires_at and old.expires_at > datetime.now(UTC)
                else None,
            )
        )
        await self._audit("create", record, actor(req), replaces=old.key_id)
        revoked = await self._revoke(req, old.key_id)
        return record, secret, revoked

    async def rotate_form(self, req: Request) -> Response:
        record, secret, _ = await self._rotate(req)
        return await self.page(req, created={"key": record.to_dict(), "secret": secret})

    async def api_rotate(self, req: Request) -> Response:
        record, secret, old = await self._rotate(req)
        return json_response({"key": record.to_dict(), "secret": secret, "revoked": old.to_dict()})


def register(r: Router, console: Console) -> None:
    KeyViews(console).register(r)


__all__ = ["register"]
