"""Background jobs: one run at a time, the last outcome kept, failures reported."""

from __future__ import annotations

import threading

import pytest

from wardgate.console.jobs import Job

pytestmark = pytest.mark.asyncio


async def test_single_flight_and_outcome() -> None:
    gate = threading.Event()
    runs = []

    def work() -> int:
        runs.append(1)
        gate.wait(5)
        return len(runs)

    job: Job[int] = Job("count", work)
    assert job.outcome.state == "never"
    assert job.start()
    assert not job.start()  # already running
    assert job.outcome.state == "running"
    gate.set()
    outcome = await job.run()
    assert outcome.state == "done"
    assert outcome.result in (1, 2)


async def test_failures_are_reported() -> None:
    def work() -> int:
        raise RuntimeError("disk on fire")

    job: Job[int] = Job("boom", work)
    outcome = await job.run()
    assert outcome.state == "failed"
    assert "disk on fire" in outcome.error
    assert outcome.finished_at is not None
