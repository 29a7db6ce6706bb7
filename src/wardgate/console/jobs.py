"""Slow work the console runs in the background and remembers: verifying the audit log (it
re-hashes every record) and assessing compliance (it reads the whole store).

A page never waits for them: it shows the last result and when it was computed, and a button
starts a new run. One run at a time per job (a second click while one runs does nothing), on a
worker thread, so the gateway's event loop is never blocked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
State = Literal["never", "running", "done", "failed"]
log = logging.getLogger("wardgate.console.jobs")


@dataclass(slots=True)
class Outcome(Generic[T]):
    state: State = "never"
    started_at: float | None = None
    finished_at: float | None = None
    result: T | None = None
    error: str = ""


class Job(Generic[T]):
    """A named background computation with its last outcome."""

    def __init__(
        self, name: str, work: Callable[[], T], *, clock: Callable[[], float] = time.time
    ) -> None:
        self.name = name
        self._work = work
        self._clock = clock
        self.outcome: Outcome[T] = Outcome()
        self._task: asyncio.Task[None] | None = None
        self.last_good: T | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start a run on the running loop; False if one is already running."""
        if self.running:
            return False
        self.outcome = Outcome("running", self._clock(), None, self.last_good)
        self._task = asyncio.get_running_loop().create_task(self._run())
        return True

    async def run(self) -> Outcome[T]:
        """Start a run (unless one is running) and wait for it."""
        self.start()
        assert self._task is not None
        await asyncio.shield(self._task)
        return self.outcome

    async def _run(self) -> None:
        try:
            result = await asyncio.to_thread(self._work)
        except Exception as exc:
            log.exception("console job %s failed", self.name)
            self.outcome.state = "failed"
            self.outcome.error = f"{type(exc).__name__}: {str(exc)[:300]}"
        else:
            self.last_good = result
            self.outcome.state = "done"
            self.outcome.result = result
        self.outcome.finished_at = self._clock()


__all__ = ["Job", "Outcome"]
