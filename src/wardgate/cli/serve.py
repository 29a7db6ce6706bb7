"""``wardgate serve``: run the gateway.

``--config FILE`` runs the routes of a configuration file; ``--upstream URL`` is the zero-config
quick start: one OpenAI-compatible route in enforce mode on the embedded defaults.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from wardgate.gateway.config import GatewayConfig, GatewayConfigError, load, quick_start

EXIT_USAGE = 2


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Only the fields the gateway chose to log: never bodies, never
    credentials (the access log carries identities and key ids, not keys)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, "wardgate", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _event_loop() -> str:
    """uvloop where it is installed (Linux and macOS wheels): a faster event loop, same code."""
    try:
        import uvloop  # noqa: F401, PLC0415
    except ImportError:
        return "asyncio"
    return "uvloop"


def add_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the gateway")
    src = serve.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", metavar="FILE", help="gateway configuration (YAML)")
    src.add_argument(
        "--upstream", metavar="URL", help="quick start: proxy one OpenAI-compatible upstream"
    )
    serve.add_argument(
        "--upstream-key-env",
        metavar="VAR",
        default=None,
        help="quick start: send 'Authorization: Bearer $VAR' upstream (default: OPENAI_API_KEY "
        "when it is set), so callers never hold the provider key",
    )
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8080)")
    serve.add_argument(
        "--allow-anonymous",
        action="store_true",
        help="quick start only: let callers without a gateway key through (not for production)",
    )
    serve.add_argument(
        "--console",
        metavar="[HOST:]PORT",
        default=None,
        help="also serve the console (web dashboard and admin API) on this admin address; "
        "overrides the configuration's console section (off by default)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Upstream clients may log URLs with their query strings at INFO: personal data can travel in
    # query strings, and the access log already says what happened.
    for noisy in ("httpx", "httpcore", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    log = logging.getLogger("wardgate.serve")
    try:
        config: GatewayConfig
        if args.config:
            if args.allow_anonymous:
                print(
                    "wardgate serve: --allow-anonymous is for the quick start; set `anonymous: true` on a route",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            config = load(args.config)
        else:
            key_env = args.upstream_key_env or (
                "OPENAI_API_KEY" if os.environ.get("OPENAI_API_KEY") else None
            )
            config = quick_start(
                args.upstream, anonymous=args.allow_anonymous, upstream_key_env=key_env
            )
        server = config.server.model_copy(
            update={k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
        )
        config = config.model_copy(update={"server": server})
        if args.console:
            config = config.model_copy(update={"console": config.console.at(args.console)})
        from wardgate.app import build_gateway  # noqa: PLC0415 - heavy; not needed for --help

        gateway = build_gateway(config)
        console_app = None
        if config.console.enabled:
            from wardgate.console.app import build_console  # noqa: PLC0415

            console_app = build_console(gateway, config)
    except (GatewayConfigError, ValueError) as exc:
        print(f"wardgate serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if any(r.anonymous for r in config.routes):
        log.warning(
            "anonymous callers are allowed on some routes",
            extra={"wardgate": {"routes": [r.name for r in config.routes if r.anonymous]}},
        )
    import uvicorn  # noqa: PLC0415

    from wardgate.gateway.http_server import listener_options  # noqa: PLC0415

    log.info(
        "wardgate listening",
        extra={
            "wardgate": {
                "host": server.host,
                "port": server.port,
                "routes": [r.name for r in config.routes],
            }
        },
    )
    if console_app is not None:
        from wardgate.console.server import serve_gateway_and_console  # noqa: PLC0415

        log.info(
            "wardgate console listening",
            extra={"wardgate": {"host": config.console.host, "port": config.console.port}},
        )
        serve_gateway_and_console(gateway, server, console_app, config.console, loop=_event_loop())
        return 0
    uvicorn.run(
        gateway,
        host=server.host,
        port=server.port,
        loop=_event_loop(),
        limit_concurrency=server.max_concurrency,
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        **listener_options(server),  # type: ignore[arg-type]
        timeout_keep_alive=15,
        timeout_graceful_shutdown=10,
    )
    return 0
