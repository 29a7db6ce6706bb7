"""Run an ASGI app on a real socket in a background thread, for tests and the demo.

Real SDK clients (``openai``, ``anthropic``) need a real URL; :func:`serve_in_thread` gives one on
a free port and takes the server down again on exit, even when a request is still hanging.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

STARTUP_TIMEOUT_S = 10.0


class RunningServer:
    """A started server: ``url`` (``http://127.0.0.1:54321``), ``host``, ``port``; ``stop()``.

    Use it as a context manager; leaving the block stops the server.
    """

    def __init__(
        self, server: uvicorn.Server, thread: threading.Thread, host: str, port: int, grace_s: float
    ) -> None:
        self._server = server
        self._thread = thread
        self._grace_s = grace_s
        self.host = host
        self.port = port
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def stop(self) -> None:
        """Ask the server to finish; after ``grace_s``, drop the requests still running."""
        self._server.should_exit = True
        self._thread.join(self._grace_s)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(STARTUP_TIMEOUT_S)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(
    app: Callable[..., Any],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    grace_s: float = 1.0,
    **uvicorn_options: Any,
) -> RunningServer:
    """Start ``app`` under uvicorn in a daemon thread and return once it accepts connections.

    ``port=0`` lets the OS pick a free port; the real one is read from the bound socket. On stop,
    requests still running after ``grace_s`` seconds are dropped. ``uvicorn_options`` go to
    ``uvicorn.Config`` (the gateway's tests pass its HTTP implementation and header bound). Raises RuntimeError if the
    server does not start (port taken, the app's startup failed).
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,
        access_log=False,
        **uvicorn_options,
    )
    server = uvicorn.Server(config)

    def run() -> None:
        # uvicorn exits with SystemExit when it cannot start; here that only ends the thread.
        with contextlib.suppress(SystemExit):
            server.run()

    thread = threading.Thread(target=run, name=f"uvicorn-{host}:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(grace_s)
            raise RuntimeError(f"server on {host}:{port} did not start")
        time.sleep(0.01)
    sockets = [sock for listener in server.servers for sock in (listener.sockets or ())]
    bound_port = int(sockets[0].getsockname()[1])
    return RunningServer(server, thread, host, bound_port, grace_s)
