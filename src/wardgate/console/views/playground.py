"""The playground: scan pasted text with the gateway's own engine and see every finding, its
span highlighted in the text, the decoding chain that revealed it and its taxonomy ids.

The text is scanned on a worker thread and never stored or logged (only its length).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from pydantic import Field

from wardgate.console.accounts import Role
from wardgate.console.context import Console
from wardgate.console.templates import highlight
from wardgate.console.views.common import Body, body, schema
from wardgate.console.web import ApiDoc, Request, Response, Router, json_response
from wardgate.detect.base import ScanContext

MAX_TEXT = 20_000


class ScanForm(Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    kind: Literal["prompt", "document", "output"] = "prompt"
    system_prompt: str = Field("", max_length=MAX_TEXT)


class PlaygroundViews:
    def __init__(self, console: Console) -> None:
        self.c = console

    def register(self, r: Router) -> None:
        r.add("GET", "/playground", self.page, Role.ANALYST)
        r.add("POST", "/playground", self.form, Role.ANALYST)
        r.add(
            "POST",
            "/api/playground/scan",
            self.api,
            Role.ANALYST,
            ApiDoc(
                "Scan a text with the gateway's engine (not stored); findings with spans",
                body=ScanForm,
                response=schema(
                    {
                        "score": {"type": "number"},
                        "flagged": {"type": "boolean"},
                        "categories": {"type": "array"},
                        "findings": {"type": "array"},
                    }
                ),
                tag="playground",
            ),
        )

    async def _scan(self, form: ScanForm) -> dict[str, Any]:
        scanner = self.c.scanner
        started = time.perf_counter()
        result = await asyncio.to_thread(
            scanner.scan, form.text, form.kind, ScanContext(system_prompt=form.system_prompt)
        )
        data = result.to_dict()
        data["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 2)
        data["threshold"] = scanner.config.threshold
        return data

    async def page(self, req: Request) -> Response:
        return self.c.templates.render(
            req,
            "playground.html",
            form={"text": "", "kind": "prompt", "system_prompt": ""},
            result=None,
            marked=None,
        )

    async def form(self, req: Request) -> Response:
        form = await body(req, ScanForm, 3 * MAX_TEXT * 4)
        result = await self._scan(form)
        spans = [
            (f["span"][0], f["span"][1], f"{f['category']} ({f['rule_id'] or f['detector']})")
            for f in result["findings"]
            if f.get("span")
        ]
        return self.c.templates.render(
            req,
            "playground.html",
            form=form.model_dump(),
            result=result,
            marked=highlight(form.text, spans),
        )

    async def api(self, req: Request) -> Response:
        return json_response(await self._scan(await body(req, ScanForm, 3 * MAX_TEXT * 4)))


def register(r: Router, console: Console) -> None:
    PlaygroundViews(console).register(r)


__all__ = ["register"]
