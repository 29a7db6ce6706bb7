"""Compliance: the status of each governance control with its evidence, and the report in every
format (HTML, PDF, JSON, AI Verify, CycloneDX).

The report is another component's (:mod:`wardgate.compliance`), used through its public
functions, imported on use; when it is missing the page says "not available yet". Assessing
reads the whole store, so it runs in the background and the page shows the last assessment;
downloads render that assessment (or run one first when there is none).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Literal

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
    download,
    json_response,
    redirect,
)

log = logging.getLogger("wardgate.console.compliance")

FORMATS: dict[str, tuple[str, str]] = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "json": ("application/json", "json"),
    "aiverify": ("application/json", "aiverify.json"),
    "cyclonedx": ("application/vnd.cyclonedx+json", "cdx.json"),
}


class ReportQuery(Query):
    format: Literal["html", "pdf", "json", "aiverify", "cyclonedx"] = "json"


class ComplianceViews:
    def __init__(self, console: Console) -> None:
        self.c = console
        self.job: Job[Any] = Job("compliance", self._assess, clock=console.clock)

    def register(self, r: Router) -> None:
        r.add("GET", "/compliance", self.page, Role.VIEWER)
        r.add("POST", "/compliance/assess", self.assess_form, Role.ANALYST)
        r.add("GET", "/compliance/report", self.report, Role.VIEWER)
        tag = "compliance"
        r.add(
            "GET",
            "/api/compliance",
            self.api_status,
            Role.VIEWER,
            ApiDoc(
                "The last assessment: summary and every control's status and evidence",
                response=schema(
                    {"state": {"type": "string"}, "report": {"type": ["object", "null"]}}
                ),
                tag=tag,
            ),
        )
        r.add(
            "POST",
            "/api/compliance/assess",
            self.api_assess,
            Role.ANALYST,
            ApiDoc(
                "Assess now (waits for the result)",
                response=schema(
                    {"state": {"type": "string"}, "summary": {"type": ["object", "null"]}}
                ),
                responses={503: "the compliance report is not available"},
                tag=tag,
            ),
        )
        r.add(
            "GET",
            "/api/compliance/report",
            self.report,
            Role.VIEWER,
            ApiDoc(
                "The report in one format (html, pdf, json, aiverify, cyclonedx)",
                query=ReportQuery,
                content_type="*/*",
                responses={503: "the compliance report is not available"},
                tag=tag,
            ),
        )

    def _key(self) -> Path | None:
        settings = self.c.config.audit
        path = (
            Path(f"{settings.signing_key}.pub")
            if settings.signing_key
            else Path(f"{self.c.database}.audit-key.pub")
        )
        return path if path.is_file() else None

    def _assess(self) -> Any:
        try:
            from wardgate.compliance.report import build_report  # noqa: PLC0415
        except Exception as exc:
            raise RuntimeError("the compliance report is not available yet") from exc
        benchmarks = Path("docs/benchmarks.md")
        return build_report(
            self.c.database,
            public_key=self._key(),
            benchmarks=benchmarks if benchmarks.is_file() else None,
        )

    def _state(self) -> dict[str, Any]:
        outcome = self.job.outcome
        report = outcome.result
        data: dict[str, Any] = {
            "state": outcome.state,
            "started_at": outcome.started_at,
            "finished_at": outcome.finished_at,
            "error": outcome.error,
            "report": None,
        }
        if report is not None:
            try:
                full = report.to_dict()
                data["report"] = {
                    "summary": full.get("summary", {}),
                    "window": full.get("window", {}),
                    "generated_at": full.get("generated_at"),
                    "controls": full.get("controls", []),
                    "verified": getattr(
                        getattr(report.evidence, "checkpoints", None), "verified", None
                    ),
                }
            except Exception:
                log.warning("the compliance report could not be summarised", exc_info=True)
                data["error"] = "the report could not be read"
        return data

    async def page(self, req: Request) -> Response:
        if self.job.outcome.state == "never":
            self.job.start()  # first visit: start assessing; the page refreshes until done
        return self.c.templates.render(
            req, "compliance.html", data=self._state(), formats=list(FORMATS)
        )

    async def assess_form(self, req: Request) -> Response:
        self.job.start()
        return redirect("/compliance")

    async def api_status(self, req: Request) -> Response:
        return json_response(self._state())

    async def api_assess(self, req: Request) -> Response:
        outcome = await self.job.run()
        if outcome.state == "failed":
            raise HTTPError(503, outcome.error or "the assessment failed")
        state = self._state()
        return json_response(
            {"state": state["state"], "summary": (state["report"] or {}).get("summary")}
        )

    @staticmethod
    def _render(fmt: str, report: Any) -> bytes:
        try:
            if fmt == "html":
                from wardgate.compliance.render_html import render_html  # noqa: PLC0415

                return bytes(render_html(report))
            if fmt == "pdf":
                from wardgate.compliance.render_pdf import render_pdf  # noqa: PLC0415

                return bytes(render_pdf(report))
            if fmt == "aiverify":
                from wardgate.compliance.render_aiverify import render_aiverify  # noqa: PLC0415

                return bytes(render_aiverify(report))
            if fmt == "cyclonedx":
                from wardgate.compliance.render_cyclonedx import render_cyclonedx  # noqa: PLC0415

                return bytes(render_cyclonedx(report))
            from wardgate.compliance.render_json import render_json  # noqa: PLC0415

            return bytes(render_json(report))
        except Exception as exc:
            log.warning("the compliance report could not be rendered", exc_info=True)
            raise HTTPError(503, f"the {fmt} report is not available yet") from exc

    async def report(self, req: Request) -> Response:
        fmt = query(req, ReportQuery).format
        report = self.job.outcome.result
        if report is None:
            outcome = await self.job.run()
            if outcome.state == "failed" or outcome.result is None:
                raise HTTPError(503, outcome.error or "the compliance report is not available yet")
            report = outcome.result
        data = await asyncio.to_thread(self._render, fmt, report)
        ctype, suffix = FORMATS[fmt]
        return download(data, ctype, f"wardgate-compliance.{suffix}")


def register(r: Router, console: Console) -> None:
    ComplianceViews(console).register(r)


__all__ = ["register"]
