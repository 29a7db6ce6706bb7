"""Serving the console beside the gateway: two uvicorn servers on one event loop, one process.

The proxied traffic and the console listen on different addresses (the console is an admin
interface: bind it to loopback or a management network). They share the loop so the console
sees the live gateway's objects (its authorizer, key cache, templater) without any IPC.

Signals are handled once, here: the first SIGINT/SIGTERM stops the gateway (which drains its
LOG phase into the console's index), then the console; a second one forces both down. A console
that cannot start (its port is taken) stops the gateway too: a half-started process is worse
than a clear failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Generator
from typing import Any

import uvicorn
from uvicorn._compat import asyncio_run

from wardgate.console.settings import ConsoleSettings


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`serve_together`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def console_config(app: Any, settings: ConsoleSettings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration of the console's listener."""
    tls: dict[str, Any] = {}
    if settings.tls_cert is not None and settings.tls_key is not None:
        tls = {"ssl_certfile": str(settings.tls_cert), "ssl_keyfile": str(settings.tls_key)}
    merged: dict[str, Any] = {
        "lifespan": "on",
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "limit_concurrency": 64,
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": 5,
        "h11_max_incomplete_event_size": 64 * 1024,
        **tls,
        **options,
    }
    return uvicorn.Config(app, host=settings.host, port=settings.port, **merged)


async def _serve(server: uvicorn.Server) -> None:
    """``server.serve()``, with uvicorn's SystemExit (it cannot bind, its app failed to start)
    turned into an error: a BaseException from a task would stop the whole event loop."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise RuntimeError(f"a server could not start (exit status {exc.code})") from None


async def serve_together(gateway: uvicorn.Server, console: uvicorn.Server) -> None:
    """Run both servers until a signal (or the gateway stopping); the console stops last."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        if gateway.should_exit:  # a second signal: do not wait for anything
            gateway.force_exit = console.force_exit = True
        gateway.should_exit = True

    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)
            handled.append(sig)
    console_task = asyncio.create_task(_serve(console), name="wardgate-console")
    gateway_task = asyncio.create_task(_serve(gateway), name="wardgate-gateway")
    try:
        done, _ = await asyncio.wait(
            {gateway_task, console_task}, return_when=asyncio.FIRST_COMPLETED
        )
        if console_task in done and not gateway_task.done():
            gateway.should_exit = True  # the console failed to start or stopped: stop too
            await gateway_task
            console_task.result()  # re-raise why, if it raised
            raise RuntimeError("the console server stopped; the gateway was stopped with it")
        await gateway_task
    finally:
        console.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            await console_task
        for sig in handled:
            loop.remove_signal_handler(sig)


def serve_gateway_and_console(
    gateway: Any, server: Any, console_app: Any, settings: ConsoleSettings, *, loop: str = "auto"
) -> None:
    """Blocking: what ``wardgate serve`` runs when the console is on. ``server`` is the
    gateway's :class:`~wardgate.gateway.config.ServerSettings`; the gateway's listener gets the
    same options as when it runs alone."""
    from wardgate.gateway.http_server import listener_options  # noqa: PLC0415

    gateway_config = uvicorn.Config(
        gateway,
        host=server.host,
        port=server.port,
        loop=loop,
        limit_concurrency=server.max_concurrency,
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_keep_alive=15,
        timeout_graceful_shutdown=10,
        **listener_options(server),  # type: ignore[arg-type]
    )
    run_together(gateway_config, console_config(console_app, settings, loop=loop))


def run_together(gateway_config: uvicorn.Config, console_uvicorn: uvicorn.Config) -> None:
    """Blocking: serve the gateway and the console until interrupted (``wardgate serve``)."""
    gateway = QuietServer(gateway_config)
    console = QuietServer(console_uvicorn)
    asyncio_run(serve_together(gateway, console), loop_factory=gateway_config.get_loop_factory())


__all__ = [
    "QuietServer",
    "console_config",
    "run_together",
    "serve_gateway_and_console",
    "serve_together",
]
