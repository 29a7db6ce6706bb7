"""Prometheus metrics of the gateway, on a registry of its own (one per gateway instance)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


class GatewayMetrics:
    """Requests, verdicts, detector and upstream latency, stream cut-offs, LOG-phase drops."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "wardgate_requests",
            "Requests answered, by route and status.",
            ["route", "status"],
            registry=r,
        )
        self.verdicts = Counter(
            "wardgate_verdicts",
            "Verdicts by route, phase, action and whether they were enforced.",
            ["route", "phase", "action", "enforced"],
            registry=r,
        )
        self.findings = Counter(
            "wardgate_findings",
            "Findings by route and category.",
            ["route", "category"],
            registry=r,
        )
        self.detection_seconds = Histogram(
            "wardgate_detection_seconds",
            "Time spent inspecting, per phase.",
            ["route", "phase"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_seconds = Histogram(
            "wardgate_upstream_seconds",
            "Time until the upstream's response headers arrived.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            "wardgate_upstream_errors", "Upstream failures by kind.", ["route", "kind"], registry=r
        )
        self.stream_cutoffs = Counter(
            "wardgate_stream_cutoffs", "Streams ended by the gateway.", ["route"], registry=r
        )
        self.client_disconnects = Counter(
            "wardgate_client_disconnects",
            "Calls abandoned by the client before the answer was complete.",
            ["route"],
            registry=r,
        )
        self.rejected = Counter(
            "wardgate_rejected",
            "Requests refused before routing, by reason.",
            ["reason"],
            registry=r,
        )
        self.log_dropped = Counter(
            "wardgate_log_dropped", "Exchanges dropped because the LOG queue was full.", registry=r
        )
        self.log_shed = Counter(
            "wardgate_log_shed",
            "Exchanges a LOG-phase consumer skipped while the LOG queue was backed up.",
            ["consumer"],
            registry=r,
        )
        self.log_queue_depth = Gauge(
            "wardgate_log_queue_depth", "Exchanges waiting for the LOG phase.", registry=r
        )
        self.limit_errors = Gauge(
            "wardgate_limit_backend_errors",
            "Rate-limit backend (Redis) failures since start.",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
