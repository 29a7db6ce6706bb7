"""The console: a web dashboard and admin API for running Wardgate, served on its own address.

``build_console(gateway, config)`` returns the ASGI app; :class:`ConsoleSettings` is the
``console:`` configuration section. See :mod:`wardgate.console.app` for the request gates and
:mod:`wardgate.console.index` for the exchange index that keeps the pages fast.
"""

from __future__ import annotations

from wardgate.console.settings import ConsoleSettings

__all__ = ["ConsoleSettings", "build_console"]


def __getattr__(name: str) -> object:
    # ``build_console`` pulls in the gateway and the views: imported on use, so that reading the
    # settings model (the configuration loader does) stays cheap and free of import cycles.
    if name == "build_console":
        from wardgate.console.app import build_console  # noqa: PLC0415

        return build_console
    raise AttributeError(name)
