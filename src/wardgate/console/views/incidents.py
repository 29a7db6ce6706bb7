"""Incidents: the list (filtered, paged), one incident with its notes and audit links, and the
workflow (acknowledge, assign, resolve, false positive, reopen, note) for analysts.

Each step goes through :class:`~wardgate.incidents.store.IncidentStore` (which checks the
transition) and its :class:`~wardgate.incidents.model.IncidentChange` is appended to the audit
trail, exactly as ``wardgate incidents`` does; the actor is the signed-in account.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import Field

from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.views.common import Body, Query, actor, body, query, schema
from wardgate.console.web import (
    ApiDoc,
    HTTPError,
    Request,
    Response,
    Router,
    json_response,
    redirect,
    url,
)
from wardgate.core.finding import Category
from wardgate.incidents.model import (
    Incident,
    IncidentChange,
    IncidentError,
    IncidentNotFoundError,
    IncidentStatus,
)

Step = Literal["acknowledge", "assign", "resolve", "false_positive", "reopen", "note"]
STEPS: tuple[str, ...] = ("acknowledge", "assign", "resolve", "false_positive", "reopen", "note")
PAGE = 50


class IncidentQuery(Query):
    status: IncidentStatus | None = None
    category: Category | None = None
    identity: str | None = Field(None, max_length=256)
    route: str | None = Field(None, max_length=64)
    page: int = Field(1, ge=1, le=100_000)


class IncidentStep(Body):
    action: Step
    owner: str | None = Field(None, max_length=200)
    reason: str | None = Field(None, max_length=1000)
    text: str | None = Field(None, max_length=4000)


class StepForm(Body):
    owner: str | None = Field(None, max_length=200)
    reason: str | None = Field(None, max_length=1000)
    text: str | None = Field(None, max_length=4000)


_INCIDENT = schema(
    {
        "id": {"type": "string"},
        "status": {"type": "string"},
        "severity": {"type": "string"},
        "owner": {"type": ["string", "null"]},
        "audit_seqs": {"type": "array", "items": {"type": "integer"}},
        "notes": {"type": "array"},
    }
)


class IncidentViews:
    def __init__(self, console: Console) -> None:
        self.c = console

    def register(self, r: Router) -> None:
        r.add("GET", "/incidents", self.page, Role.VIEWER)
        r.add("GET", "/incidents/{incident}", self.detail_page, Role.VIEWER)
        r.add("POST", "/incidents/{incident}/{step}", self.step_form, Role.ANALYST)
        r.add(
            "GET",
            "/api/incidents",
            self.api_list,
            Role.VIEWER,
            ApiDoc(
                "Incidents, most recently active first",
                query=IncidentQuery,
                response=schema(
                    {
                        "items": {"type": "array"},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                    }
                ),
                tag="incidents",
            ),
        )
        r.add(
            "GET",
            "/api/incidents/{incident}",
            self.api_detail,
            Role.VIEWER,
            ApiDoc(
                "One incident with its notes and audit links", response=_INCIDENT, tag="incidents"
            ),
        )
        r.add(
            "POST",
            "/api/incidents/{incident}/actions",
            self.api_step,
            Role.ANALYST,
            ApiDoc(
                "A workflow step: acknowledge, assign (owner), resolve or false_positive "
                "(reason), reopen (reason), note (text)",
                body=IncidentStep,
                response=_INCIDENT,
                responses={409: "the step is not allowed from the incident's status"},
                tag="incidents",
            ),
        )

    # -- reading ---------------------------------------------------------------------------------

    def _list(self, q: IncidentQuery) -> dict[str, Any]:
        filters: dict[str, Any] = {
            "status": q.status,
            "category": None if q.category is None else q.category.value,
            "identity": q.identity,
            "route": q.route,
        }
        store = self.c.incidents
        items = store.list(**filters, limit=PAGE, offset=(q.page - 1) * PAGE)
        total = store.count(**filters)
        stats = store.stats()
        return {
            "items": [i.to_dict() for i in items],
            "total": total,
            "page": q.page,
            "pages": max(1, (total + PAGE - 1) // PAGE),
            "stats": stats.to_dict(),
        }

    async def page(self, req: Request) -> Response:
        q = query(req, IncidentQuery)
        data = await asyncio.to_thread(self._list, q)
        filters = q.model_dump(mode="json", exclude={"page"})
        return self.c.templates.render(
            req,
            "incidents.html",
            data=data,
            filters=filters,
            statuses=[s.value for s in IncidentStatus],
            categories=[c.value for c in Category],
            page_url=lambda n: url("/incidents", **filters, page=n),
        )

    async def api_list(self, req: Request) -> Response:
        data = await asyncio.to_thread(self._list, query(req, IncidentQuery))
        return json_response(data)

    def _get(self, incident_id: str) -> Incident:
        try:
            found = self.c.incidents.get(incident_id)
        except ValueError:
            found = None
        if found is None:
            raise HTTPError(404, "no such incident")
        return found

    async def detail_page(self, req: Request) -> Response:
        incident = await asyncio.to_thread(self._get, req.params["incident"])
        return self.c.templates.render(
            req, "incident.html", i=incident.to_dict(), state=incident.status.value
        )

    async def api_detail(self, req: Request) -> Response:
        incident = await asyncio.to_thread(self._get, req.params["incident"])
        return json_response(incident.to_dict())

    # -- the workflow ----------------------------------------------------------------------------

    async def _step(self, req: Request, step: IncidentStep) -> Incident:
        me = actor(req)
        incident_id = req.params["incident"]
        store = self.c.incidents

        def run() -> tuple[Incident, IncidentChange]:
            if step.action == "acknowledge":
                return store.acknowledge(incident_id, step.owner or me)
            if step.action == "assign":
                return store.assign(incident_id, step.owner or me)
            if step.action == "resolve":
                return store.resolve(incident_id, me, step.reason or "")
            if step.action == "false_positive":
                return store.mark_false_positive(incident_id, me, step.reason or "")
            if step.action == "reopen":
                return store.reopen(incident_id, me, step.reason or "")
            return store.add_note(incident_id, me, step.text or "")

        try:
            incident, change = await asyncio.to_thread(run)
        except IncidentNotFoundError:
            raise HTTPError(404, "no such incident") from None
        except IncidentError as exc:
            raise HTTPError(409, str(exc)) from None
        except ValueError as exc:
            raise HTTPError(422, str(exc)) from None
        await self.c.record("incident", change.to_audit_body())
        return incident

    async def step_form(self, req: Request) -> Response:
        name = req.params["step"].replace("-", "_")
        if name not in STEPS:
            raise HTTPError(404, "no such step")
        form = await body(req, StepForm)
        step = IncidentStep(action=name, **form.model_dump())
        incident = await self._step(req, step)
        return redirect(f"/incidents/{incident.id}")

    async def api_step(self, req: Request) -> Response:
        incident = await self._step(req, await body(req, IncidentStep))
        return json_response(incident.to_dict())


def register(r: Router, console: Console) -> None:
    IncidentViews(console).register(r)


__all__ = ["register"]
