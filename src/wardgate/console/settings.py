"""The console's configuration: the ``console:`` section of the gateway's YAML file.

The console listens on its own address, never on the proxied traffic's: an operator can bind it
to a loopback or management interface and firewall it apart. Every key has a safe default and
unknown keys are errors, as in the rest of the configuration.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


class ConsoleSettings(BaseModel):
    """``console:`` in the gateway configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(8081, ge=0, le=65535)
    # The key that signs session cookies and CSRF tokens. Unset: a random key per process (every
    # restart logs everyone out); set it to keep sessions across restarts and replicas.
    session_secret_env: str = "WARDGATE_CONSOLE_SECRET"  # noqa: S105 - a variable name
    session_max_age_s: float = Field(8 * 3600.0, gt=0, le=30 * 86400.0)
    session_idle_s: float = Field(1800.0, gt=0, le=30 * 86400.0)
    # Served over TLS (directly, or behind a TLS-terminating proxy): cookies get ``Secure`` and
    # responses ``Strict-Transport-Security``. Set automatically when tls_cert is given.
    https: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Host header values accepted (DNS-rebinding defence). Empty: the loopback names when bound to
    # a loopback address, else the bind address; list the names people type for other setups.
    allowed_hosts: tuple[str, ...] = ()
    # The exchange index (one summary row per call, for fast pages). Default: next to the
    # gateway's database (``<database>-console.db``); ":memory:" keeps it in memory.
    index_database: str | None = None
    retention_days: float = Field(30.0, gt=0, le=3650)
    max_exchanges: int = Field(5_000_000, ge=1000)
    index_queue: int = Field(50_000, ge=100)  # summaries waiting for the writer; overflow dropped
    login_attempts: int = Field(5, ge=1, le=1000)  # failures per name and address per window
    login_window_s: float = Field(900.0, gt=0)
    poll_interval_s: float = Field(5.0, ge=1.0, le=300.0)  # live pages refresh this often

    @model_validator(mode="after")
    def _tls_pair(self) -> ConsoleSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("console: give both tls_cert and tls_key, or neither")
        if self.session_idle_s > self.session_max_age_s:
            raise ValueError("console: session_idle_s must not exceed session_max_age_s")
        return self

    @property
    def secure(self) -> bool:
        """Whether the console is reached over https (Secure cookies, HSTS)."""
        return self.https or self.tls_cert is not None

    def hosts(self) -> frozenset[str]:
        """Accepted Host header names (without port), lower-case; empty means any."""
        if self.allowed_hosts:
            return frozenset(h.lower() for h in self.allowed_hosts)
        if _is_loopback(self.host):
            return frozenset(LOOPBACK_NAMES)
        if self.host in {"0.0.0.0", "::", ""}:  # noqa: S104 - a comparison, not a bind
            return frozenset()
        return frozenset({self.host.lower()})

    def at(self, address: str) -> ConsoleSettings:
        """These settings, enabled, listening on ``address`` (``PORT`` or ``HOST:PORT``; the
        ``--console`` flag of ``wardgate serve``). Raises ``ValueError`` for a bad address."""
        host, sep, port = address.rpartition(":")
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"console address {address!r}: expected PORT or HOST:PORT")
        update: dict[str, object] = {"enabled": True, "port": int(port)}
        if sep and host:
            update["host"] = host.strip("[]")
        return self.model_copy(update=update)

    def index_path(self, database: str) -> str:
        """Where the exchange index lives for the gateway database ``database``."""
        if self.index_database is not None:
            return self.index_database
        if database == ":memory:":
            return ":memory:"
        return f"{database}-console.db"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


__all__ = ["ConsoleSettings"]
