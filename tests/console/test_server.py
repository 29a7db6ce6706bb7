"""Two servers on one loop: the console stops after the gateway, and a console that cannot
start takes the gateway down with it."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import uvicorn

from wardgate.console.server import QuietServer, console_config, serve_together
from wardgate.console.settings import ConsoleSettings
from wardgate.testing.fake_llm import FakeLLM


async def _hello(scope: dict[str, object], receive: object, send: object) -> None:
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"console"})  # type: ignore[operator]


def _server(app: object, port: int = 0) -> QuietServer:
    return QuietServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )  # type: ignore[arg-type]


def _port(server: uvicorn.Server) -> int:
    return int(server.servers[0].sockets[0].getsockname()[1])


@pytest.mark.asyncio
async def test_both_serve_and_stop_in_order() -> None:
    gateway = _server(FakeLLM())
    console = QuietServer(console_config(_hello, ConsoleSettings(port=0), lifespan="off"))
    task = asyncio.create_task(serve_together(gateway, console))
    for _ in range(500):
        if gateway.started and console.started:
            break
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{_port(console)}/")
        assert answer.text == "console"
        assert (await client.get(f"http://127.0.0.1:{_port(gateway)}/v1/models")).status_code == 200
    gateway.should_exit = True
    await asyncio.wait_for(task, 10)
    assert console.should_exit


@pytest.mark.asyncio
async def test_a_console_that_cannot_start_stops_the_gateway() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        gateway = _server(FakeLLM())
        console = QuietServer(console_config(_hello, ConsoleSettings(port=port), lifespan="off"))
        with pytest.raises(RuntimeError, match="could not start"):
            await asyncio.wait_for(serve_together(gateway, console), 15)
    assert gateway.should_exit


def test_serve_gateway_and_console_configures_both(monkeypatch: pytest.MonkeyPatch) -> None:
    from wardgate.console import server as module
    from wardgate.gateway.config import ServerSettings

    seen: list[uvicorn.Config] = []
    monkeypatch.setattr(
        module, "run_together", lambda gateway, console: seen.extend([gateway, console])
    )
    settings = ConsoleSettings().at("127.0.0.1:9555")
    module.serve_gateway_and_console(
        _hello, ServerSettings(port=9444, max_concurrency=77), _hello, settings, loop="asyncio"
    )
    gateway, console = seen
    assert (gateway.port, gateway.limit_concurrency, gateway.lifespan) == (9444, 77, "on")
    assert (console.host, console.port, console.lifespan, console.server_header) == (
        "127.0.0.1",
        9555,
        "on",
        False,
    )
