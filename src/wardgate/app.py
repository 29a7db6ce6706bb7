"""The composition root: a configuration in, a wired gateway out.

Everything the gateway is made of is built here and nowhere else, so that the rest of the code
takes its collaborators as arguments (and tests can hand in their own: an in-process upstream
transport, a clock, a Redis client).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx

from wardgate.abuse.consumer import AbuseConsumer, build_consumer
from wardgate.ai_inventory.catalogue import Catalogue
from wardgate.ai_inventory.consumer import AIInventoryConsumer
from wardgate.ai_inventory.deployment import NetworkRules
from wardgate.ai_inventory.policy import Allowlist, AllowlistError, cedar_policy_for, route_facts
from wardgate.ai_inventory.store import AIInventoryStore
from wardgate.core.finding import Severity
from wardgate.detect.scanner import Scanner
from wardgate.discovery.inventory import Inventory
from wardgate.discovery.observation import Observation
from wardgate.discovery.sources.redis_stream import publish
from wardgate.gateway.audit_trail import GatewayAudit
from wardgate.gateway.config import GatewayConfig, GatewayConfigError
from wardgate.gateway.discovery_feed import DiscoveryConsumer
from wardgate.gateway.inspection import Inspector
from wardgate.gateway.logphase import LogPhase
from wardgate.gateway.metrics import GatewayMetrics
from wardgate.gateway.proxy import Components, Gateway
from wardgate.gateway.upstream import client_for
from wardgate.incidents.consumer import IncidentConsumer
from wardgate.incidents.model import IncidentChange, IncidentEvent
from wardgate.incidents.store import IncidentStore
from wardgate.policy.authz import DEFAULT_POLICY, Authorizer, PolicyError
from wardgate.policy.identity import Authenticator
from wardgate.policy.keys import pepper_from_env
from wardgate.policy.limits import Limiter, MemoryLimiter, RedisLimiter
from wardgate.storage.inventory import InventoryStore
from wardgate.storage.keys import KeyStore


def build_gateway(
    config: GatewayConfig,
    *,
    scanner: Scanner | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    environ: Mapping[str, str] | None = None,
    limiter: Limiter | None = None,
) -> Gateway:
    """Wire a :class:`Gateway` from ``config``.

    ``transports`` maps route names to httpx transports (tests and benchmarks use in-process
    upstreams); ``environ`` is where upstream credentials are read (``os.environ`` by default).
    Raises :class:`GatewayConfigError` for anything that would make the gateway unsafe to start:
    a Cedar policy that does not validate, an upstream credential variable that is not set.
    """
    env = os.environ if environ is None else environ
    scanner = scanner or Scanner(config.detection)
    key = env.get("WARDGATE_REDACTION_KEY")
    inspector = Inspector(scanner, key.encode("utf-8") if key else None)
    pepper = pepper_from_env(env)
    keys = KeyStore.open(Path(config.database), pepper=pepper) if config.auth.api_keys else None
    authenticator = Authenticator(keys, config.auth.jwt)
    try:
        policy = config.policy_text()
    except OSError as exc:
        raise GatewayConfigError(f"cannot read policy file: {exc.strerror}") from None
    ai_inventory = _ai_inventory(config) if config.ai_inventory.enabled else None
    policy = policy if policy is not None else DEFAULT_POLICY
    if config.ai_inventory.enforce_allowlist:
        if ai_inventory is None or ai_inventory.catalogue.allowlist is None:
            raise GatewayConfigError(
                "ai_inventory.enforce_allowlist needs ai_inventory.approved_file"
            )
        network = ai_inventory.catalogue.network
        policy += "\n" + cedar_policy_for(
            ai_inventory.catalogue.allowlist, route_facts(config.routes, network)
        )
    try:
        authorizer = Authorizer(policy)
    except PolicyError as exc:
        raise GatewayConfigError(f"Cedar policy: {exc}") from None
    metrics = GatewayMetrics()
    if limiter is None:
        limiter = _limiter(config)
    credentials: dict[str, tuple[str, str]] = {}
    for route in config.routes:
        auth = route.upstream_auth
        if auth is None:
            continue
        secret = env.get(auth.env)
        if not secret:
            raise GatewayConfigError(
                f"route {route.name!r}: environment variable {auth.env} (upstream credential) is not set"
            )
        value = f"{auth.scheme} {secret}" if auth.scheme else secret
        credentials[route.name] = (auth.header.lower(), value)
    clients = {r.name: client_for(r, (transports or {}).get(r.name)) for r in config.routes}
    log_phase = LogPhase(
        config.server.log_queue,
        shed_depth=config.server.log_shed_depth,
        on_drop=metrics.log_dropped.inc,
        on_shed=lambda name: metrics.log_shed.labels(name).inc(),
    )
    discovery = _discovery(config) if config.discovery.enabled else None
    if discovery is not None:
        log_phase.add_consumer(discovery, sheddable="discovery")
    audit = GatewayAudit.open(config, env) if config.audit.enabled else None
    incidents = _incidents(config, audit) if config.incidents.enabled else None
    if incidents is not None:
        log_phase.add_consumer(incidents)
    abuse = _abuse(config, incidents) if config.abuse.enabled else None
    if abuse is not None:
        log_phase.add_consumer(abuse)
    if ai_inventory is not None:
        log_phase.add_consumer(ai_inventory, sheddable="ai_inventory")
    return Gateway(
        Components(
            config=config,
            inspector=inspector,
            authenticator=authenticator,
            authorizer=authorizer,
            limiter=limiter,
            metrics=metrics,
            log_phase=log_phase,
            clients=clients,
            upstream_credentials=credentials,
            discovery=discovery,
            audit=audit,
            ai_inventory=ai_inventory,
            abuse=abuse,
            sanctions=abuse.sanctions if abuse is not None else None,
        )
    )


def _discovery(config: GatewayConfig) -> DiscoveryConsumer:
    settings = config.discovery
    store = InventoryStore.open(Path(config.database))
    inventory = Inventory.restored(store.load_templater())
    publisher = None
    if settings.publish_stream is not None:
        import redis.asyncio as redis  # noqa: PLC0415 - only when publishing

        client = redis.Redis.from_url(
            settings.publish_stream, socket_timeout=0.25, socket_connect_timeout=0.25
        )
        stream, maxlen = settings.stream_name, settings.stream_maxlen

        async def publisher(obs: Observation) -> None:
            await publish(client, obs, stream, maxlen=maxlen)

    return DiscoveryConsumer(inventory, store, flush_s=settings.flush_s, publisher=publisher)


def _ai_inventory(config: GatewayConfig) -> AIInventoryConsumer:
    settings = config.ai_inventory
    try:
        network = NetworkRules.of(settings.internal_domains, settings.internal_networks)
        allowlist = Allowlist.load(settings.approved_file) if settings.approved_file else None
    except (AllowlistError, ValueError, OSError) as exc:
        raise GatewayConfigError(f"ai_inventory: {exc}") from None
    catalogue = Catalogue(allowlist=allowlist, network=network, max_entries=settings.max_models)
    store = AIInventoryStore.open(Path(config.database))
    return AIInventoryConsumer(catalogue, store, flush_s=settings.flush_s)


def _incidents(config: GatewayConfig, audit: GatewayAudit | None) -> IncidentConsumer:
    settings = config.incidents
    store = IncidentStore.open(Path(config.database), reopen_within_s=settings.reopen_within_s)
    on_change = None
    if audit is not None:

        async def on_change(change: IncidentChange) -> None:
            await audit.append("incident", change.to_audit_body())

    return IncidentConsumer(
        store,
        min_severity=Severity.parse(settings.min_severity),
        min_score=settings.min_score,
        on_change=on_change,
    )


def _abuse(config: GatewayConfig, incidents: IncidentConsumer | None) -> AbuseConsumer:
    """Behaviour across calls (model extraction, scraping, cost harvesting...): findings open
    incidents in the same store as the per-call ones."""
    emit = None
    if incidents is not None:

        async def emit(event: IncidentEvent) -> None:
            await incidents.record([event])

    return build_consumer(config.abuse, emit=emit)


def _limiter(config: GatewayConfig) -> Limiter:
    url = config.limits.redis_url
    if url is None:
        return MemoryLimiter()
    import redis.asyncio as redis  # noqa: PLC0415 - only needed when Redis is configured
    from redis.asyncio.retry import Retry  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415

    client = redis.Redis.from_url(
        url, socket_timeout=0.25, socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 1)
    )
    return RedisLimiter(client, fail_open=config.limits.fail_open)
