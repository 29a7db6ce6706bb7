"""Compliance: the assessment runs in the background; reports download in each format."""

from __future__ import annotations

import pytest

from tests.console.conftest import Env, login

pytestmark = pytest.mark.asyncio


async def test_assess_and_download(env: Env) -> None:
    pytest.importorskip("wardgate.compliance.report")
    assert await env.call(env.keys["alice"], "hello") == 200
    async with env.client() as c:
        csrf = await login(c, "ann")
        assessed = await c.post("/api/compliance/assess", headers={"x-csrf-token": csrf})
        assert assessed.status_code == 200
        summary = assessed.json()["summary"]
        assert sum(summary.values()) >= 10
        status = (await c.get("/api/compliance")).json()
        assert status["report"]["controls"]
        report = await c.get("/api/compliance/report", params={"format": "json"})
        assert report.json()["schema"].startswith("wardgate.compliance-report")
        page = await c.get("/compliance/report", params={"format": "html"})
        assert page.headers["content-type"].startswith("text/html")
        assert (await c.get("/api/compliance/report", params={"format": "docx"})).status_code == 422


async def test_a_broken_report_is_a_503(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from wardgate.console.views import compliance

    def broken(fmt: str, report: object) -> bytes:
        raise compliance.HTTPError(503, "the json report is not available yet")

    monkeypatch.setattr(compliance.ComplianceViews, "_render", staticmethod(broken))
    async with env.client() as c:
        csrf = await login(c, "ann")
        await c.post("/api/compliance/assess", headers={"x-csrf-token": csrf})
        assert (await c.get("/api/compliance/report")).status_code == 503
