"""Policies: the live Cedar policy set; validating and testing a draft against a sample request
before saving it (analysts); saving it (admins).

Saving checks the draft once more, builds a new :class:`~wardgate.policy.authz.Authorizer` and
puts it in the running gateway's components: the next call is decided by it. The change is a
``policy`` audit record (``{"event": "update", "policy_sha256", "policy_ids", "by"}``), kept in
the console's history, and written to the configuration's ``policy_file`` when there is one, so
it survives a restart (an inline ``policy:`` cannot be rewritten; the page says so).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.views.common import Body, actor, body, schema
from wardgate.console.web import ApiDoc, HTTPError, Request, Response, Router, json_response
from wardgate.core.exchange import ANONYMOUS, Identity
from wardgate.core.finding import Category
from wardgate.policy.authz import Authorizer, AuthzDecision, AuthzRequest, PolicyError
from wardgate.storage.sqlite import connect, migrate, transaction

MAX_POLICY_CHARS = 256 * 1024
HISTORY = 20

_MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "console_policies_0001_create",
        (
            """
            CREATE TABLE console_policy_history (
                id INTEGER PRIMARY KEY,
                at REAL NOT NULL,
                by TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                policy_ids TEXT NOT NULL,
                text TEXT NOT NULL,
                audit_seq INTEGER
            ) STRICT
            """,
        ),
    ),
)


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    return value


def _risk(value: Any) -> Any:
    """``prompt_injection=0.9`` lines (the form) or a mapping (JSON) -> category -> score."""
    if isinstance(value, str):
        out: dict[str, float] = {}
        for line in value.replace(",", "\n").splitlines():
            name, eq, score = line.partition("=")
            if not line.strip():
                continue
            if not eq:
                raise ValueError(f"risk line {line.strip()[:40]!r}: expected category=score")
            try:
                out[name.strip()] = float(score)
            except ValueError:
                raise ValueError(f"risk {name.strip()[:40]!r}: score must be a number") from None
        return out
    return value


class SampleRequest(Body):
    """The call to try a policy on (the fields Cedar sees)."""

    subject: str = Field("alice", min_length=1, max_length=200)
    method: Literal["api_key", "jwt", "anonymous"] = "api_key"
    tenant: str = Field("", max_length=200)
    groups: list[str] = Field(default_factory=list, max_length=64)
    scopes: list[str] = Field(default_factory=list, max_length=64)
    route: str = Field("", max_length=64)
    operation: str = Field("chat", max_length=64)
    model: str = Field("", max_length=128)
    tools: list[str] = Field(default_factory=list, max_length=64)
    http_method: str = Field("POST", max_length=16, pattern=r"^[A-Za-z]+$")
    path: str = Field("/", max_length=500)
    risk: dict[Category, float] = Field(default_factory=dict)

    _lists = field_validator("groups", "scopes", "tools", mode="before")(_split)
    _scores = field_validator("risk", mode="before")(_risk)

    @field_validator("risk")
    @classmethod
    def _bounded(cls, value: dict[Category, float]) -> dict[Category, float]:
        for name, score in value.items():
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"risk {name.value}: scores are 0..1")
        return value


class PolicyText(Body):
    text: str = Field(min_length=1, max_length=MAX_POLICY_CHARS)


class PolicyTest(Body):
    text: str | None = Field(None, max_length=MAX_POLICY_CHARS)
    request: SampleRequest = Field(default_factory=SampleRequest)


class PolicyForm(SampleRequest):
    """The page's one form: the draft, the sample request, and which button was pressed."""

    text: str = Field(min_length=1, max_length=MAX_POLICY_CHARS)
    intent: Literal["validate", "test", "save"] = "validate"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decision_dict(decision: AuthzDecision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "policy_ids": list(decision.policy_ids),
        "reason": decision.reason,
        "errors": list(decision.errors),
    }


class PolicyHistory:
    """Saved policy versions, newest first (in the gateway's database)."""

    def __init__(self, path: str) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            for name, statements in _MIGRATIONS:
                migrate(self._conn, name, statements)

    def add(self, at: float, by: str, text: str, ids: list[str], seq: int | None) -> None:
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "INSERT INTO console_policy_history (at, by, sha256, policy_ids, text, audit_seq) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (at, by, sha256(text), json.dumps(ids), text, seq),
            )

    def recent(self, limit: int = HISTORY) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, at, by, sha256, policy_ids, audit_seq FROM console_policy_history "
                "ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            {
                "id": r[0],
                "at": r[1],
                "by": r[2],
                "sha256": r[3],
                "policy_ids": json.loads(r[4]),
                "audit_seq": r[5],
            }
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".wardgate-policy-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PolicyViews:
    def __init__(self, console: Console) -> None:
        self.c = console
        self.history = PolicyHistory(console.database)
        console.closers.append(self.history.close)
        self._save_lock = asyncio.Lock()

    def register(self, r: Router) -> None:
        r.add("GET", "/policies", self.page, Role.VIEWER)
        r.add("POST", "/policies", self.form, Role.ANALYST)
        tag = "policies"
        r.add(
            "GET",
            "/api/policies",
            self.api_get,
            Role.VIEWER,
            ApiDoc(
                "The live Cedar policy set, its ids and the saved history",
                response=schema(
                    {
                        "text": {"type": "string"},
                        "sha256": {"type": "string"},
                        "policy_ids": {"type": "array"},
                        "history": {"type": "array"},
                    }
                ),
                tag=tag,
            ),
        )
        r.add(
            "POST",
            "/api/policies/validate",
            self.api_validate,
            Role.ANALYST,
            ApiDoc(
                "Check Cedar text against the schema; the problems, or none",
                body=PolicyText,
                response=schema({"valid": {"type": "boolean"}, "errors": {"type": "array"}}),
                tag=tag,
            ),
        )
        r.add(
            "POST",
            "/api/policies/test",
            self.api_test,
            Role.ANALYST,
            ApiDoc(
                "Decide a sample request with a draft (and with the live policy set)",
                body=PolicyTest,
                response=schema(
                    {"draft": {"type": ["object", "null"]}, "live": {"type": "object"}}
                ),
                tag=tag,
            ),
        )
        r.add(
            "PUT",
            "/api/policies",
            self.api_save,
            Role.ADMIN,
            ApiDoc(
                "Replace the live policy set (validated first; audited)",
                body=PolicyText,
                response=schema({"sha256": {"type": "string"}, "policy_ids": {"type": "array"}}),
                responses={422: "the policy does not validate"},
                tag=tag,
            ),
        )

    # -- pieces ----------------------------------------------------------------------------------

    def _authz_request(self, sample: SampleRequest) -> AuthzRequest:
        routes = {r.name: r for r in self.c.config.routes}
        route = routes.get(sample.route) or self.c.config.routes[0]
        if sample.method == "anonymous":
            identity = ANONYMOUS
        else:
            identity = Identity(
                subject=sample.subject,
                tenant=sample.tenant,
                method=sample.method,
                scopes=tuple(sample.scopes),
                groups=tuple(sample.groups),
                key_id="wg-sample" if sample.method == "api_key" else "",
            )
        risk = {k.value: v for k, v in sample.risk.items()}
        return AuthzRequest(
            identity=identity,
            route=route.name,
            provider=route.provider,
            operation=sample.operation or ("http" if route.provider == "http" else "chat"),
            model=sample.model or None,
            tools=tuple(sample.tools),
            method=sample.http_method.upper(),
            path=sample.path.lower() or "/",
            risk=risk,
            categories=tuple(k for k, v in risk.items() if v > 0),
            anonymous_allowed=route.anonymous,
        )

    @staticmethod
    def _compile(text: str) -> tuple[Authorizer | None, list[str]]:
        try:
            return Authorizer(text), []
        except PolicyError as exc:
            return None, list(exc.errors)

    async def _test(self, text: str | None, sample: SampleRequest) -> dict[str, Any]:
        request = self._authz_request(sample)
        live = self.c.gateway.c.authorizer.authorize(request)
        out: dict[str, Any] = {"live": decision_dict(live), "draft": None, "errors": []}
        if text is not None:
            authorizer, errors = await asyncio.to_thread(self._compile, text)
            out["errors"] = errors
            if authorizer is not None:
                out["draft"] = decision_dict(authorizer.authorize(request))
        return out

    async def _save(self, req: Request, text: str) -> dict[str, Any]:
        async with self._save_lock:
            authorizer, errors = await asyncio.to_thread(self._compile, text)
            if authorizer is None:
                raise HTTPError(
                    422,
                    "the policy does not validate: " + "; ".join(errors[:3]),
                    errors=[{"field": "text", "problem": e} for e in errors],
                )
            ids = sorted(authorizer.policy_ids)
            by = actor(req)
            self.c.gateway.c.authorizer = authorizer  # the next call is decided by it
            self.c.policy_text = text
            persisted = "memory"
            target = self.c.config.policy_file
            if target is not None:
                try:
                    await asyncio.to_thread(_write_atomically, Path(target), text)
                    persisted = "file"
                except OSError:
                    persisted = "memory (the policy file could not be written)"
            seq = await self.c.record(
                "policy",
                {"event": "update", "policy_sha256": sha256(text), "policy_ids": ids, "by": by},
            )
            # The audit record is the authority; the history is a convenience.
            with contextlib.suppress(sqlite3.Error):
                await asyncio.to_thread(self.history.add, self.c.clock(), by, text, ids, seq)
        return {"sha256": sha256(text), "policy_ids": ids, "audit_seq": seq, "persisted": persisted}

    def _live(self) -> dict[str, Any]:
        text = self.c.policy_text
        return {
            "text": text,
            "sha256": sha256(text),
            "policy_ids": self.c.gateway.c.authorizer.policy_ids,
            "policy_file": None
            if self.c.config.policy_file is None
            else str(self.c.config.policy_file),
            "inline": self.c.config.policy is not None,
        }

    # -- pages -----------------------------------------------------------------------------------

    def _render(self, req: Request, status: int = 200, **extra: Any) -> Response:
        context: dict[str, Any] = {
            "draft": None,
            "sample": SampleRequest().model_dump(mode="json"),
            "errors": [],
            "result": None,
            "saved": None,
            "validated": False,
        }
        context.update(extra)
        return self.c.templates.render(
            req,
            "policies.html",
            status,
            live=self._live(),
            history=self.history.recent(),
            routes=[r.name for r in self.c.config.routes],
            categories=[c.value for c in Category],
            **context,
        )

    async def page(self, req: Request) -> Response:
        return self._render(req)

    async def form(self, req: Request) -> Response:
        data = await req.form(MAX_POLICY_CHARS + 64 * 1024)
        text = data.get("text", "")
        sample_data = {
            k: v for k, v in data.items() if k not in {"csrf", "intent", "text"} and v != ""
        }
        extra: dict[str, Any] = {
            "draft": text,
            "sample": {**SampleRequest().model_dump(mode="json"), **sample_data},
        }
        intent = data.get("intent", "validate")
        try:
            form = PolicyForm.model_validate({**sample_data, "text": text, "intent": intent})
        except ValueError as exc:
            return self._render(req, 422, errors=[str(exc).splitlines()[0][:300]], **extra)
        sample = SampleRequest.model_validate(form.model_dump(exclude={"text", "intent"}))
        if form.intent == "save":
            if req.user is None or not req.user.role.allows(Role.ADMIN):
                raise HTTPError(403, "saving a policy needs the admin role")
            try:
                saved = await self._save(req, form.text)
            except HTTPError as exc:
                if exc.status != 422:
                    raise
                errors = [e["problem"] for e in exc.errors or []]
                return self._render(req, 422, errors=errors, **extra)
            return self._render(req, saved=saved, **{**extra, "draft": None})
        result = await self._test(form.text, sample)
        status = 422 if result["errors"] else 200
        return self._render(
            req,
            status,
            errors=result["errors"],
            result=result if form.intent == "test" else None,
            validated=not result["errors"],
            **extra,
        )

    # -- the API ---------------------------------------------------------------------------------

    async def api_get(self, req: Request) -> Response:
        return json_response({**self._live(), "history": self.history.recent()})

    async def api_validate(self, req: Request) -> Response:
        form = await body(req, PolicyText, MAX_POLICY_CHARS + 1024)
        _, errors = await asyncio.to_thread(self._compile, form.text)
        return json_response({"valid": not errors, "errors": errors})

    async def api_test(self, req: Request) -> Response:
        form = await body(req, PolicyTest, MAX_POLICY_CHARS + 64 * 1024)
        return json_response(await self._test(form.text, form.request))

    async def api_save(self, req: Request) -> Response:
        form = await body(req, PolicyText, MAX_POLICY_CHARS + 1024)
        return json_response(await self._save(req, form.text))


def register(r: Router, console: Console) -> None:
    PolicyViews(console).register(r)


__all__ = ["register"]
