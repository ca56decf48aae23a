"""Prometheus metrics: HTTP RED metrics, database pool, outbox backlog, consumer lag, dead letters,
and business-metric helpers.

All metrics live in prometheus-client's process registry, so a service's ``metrics.py`` simply
declares ``Counter``/``Histogram``/``Gauge`` objects (see :func:`counter` and friends, which are
safe to call twice). ``GET /metrics`` refreshes the gauges that need a query, then renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import prometheus_client
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from starlette.requests import Request
from starlette.responses import Response

from vextrus.kit.events.operations import open_dead_letters

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests by route template and status", ["service", "method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by route template",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_PROGRESS = Gauge("http_requests_in_progress", "HTTP requests being served", ["service"])
DB_POOL = Gauge("db_pool_connections", "Database connection pool", ["state"])
OUTBOX_BACKLOG = Gauge("outbox_backlog_events", "Outbox events not yet sent", ["service", "status"])
OUTBOX_OLDEST = Gauge("outbox_oldest_pending_age_seconds", "Age of the oldest unsent outbox event", ["service"])
CONSUMER_LAG = Gauge(
    "events_consumer_lag", "Messages on the bus not yet handled by a service's consumer group", ["service", "topic"]
)
DEAD_LETTERS = Gauge(
    "events_dead_letters", "Dead letters not yet handled, requeued or discarded (DLQ size)", ["consumer", "topic"]
)
TENANT_ISOLATION_VIOLATIONS = Counter(
    "tenant_isolation_violations",
    "Writes or reads across tenants that tenant isolation refused (each one is a defect to investigate)",
    ["service", "kind"],
)
SERVICE_INFO = Gauge("vextrus_service_info", "Services served by this process", ["service", "version"])

MetricType = TypeVar("MetricType", bound=MetricWrapperBase)


def _existing(name: str, kind: type[MetricType]) -> MetricType | None:
    collector = REGISTRY._names_to_collectors.get(name)
    return collector if isinstance(collector, kind) else None


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """A business counter (name must end in ``_total``); returns the existing one if declared."""
    return _existing(name, Counter) or Counter(name.removesuffix("_total"), documentation, list(labels))


def histogram(
    name: str, documentation: str, labels: Sequence[str] = (), buckets: Sequence[float] = LATENCY_BUCKETS
) -> Histogram:
    return _existing(name, Histogram) or Histogram(name, documentation, list(labels), buckets=buckets)


def gauge(name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
    return _existing(name, Gauge) or Gauge(name, documentation, list(labels))


async def refresh_runtime_gauges(runtime: Runtime) -> None:
    for state, value in runtime.database.pool_stats().items():
        DB_POOL.labels(state).set(value)
    backlog = await runtime.relay.backlog()
    for service, numbers in backlog.items():
        OUTBOX_BACKLOG.labels(service, "pending").set(numbers["pending"])
        OUTBOX_BACKLOG.labels(service, "dead").set(numbers["dead"])
        OUTBOX_OLDEST.labels(service).set(numbers["oldest_pending_seconds"])
    CONSUMER_LAG.clear()
    for service, topics in runtime.transport.consumer_lag().items():
        for topic, lag in topics.items():
            CONSUMER_LAG.labels(service, topic).set(lag)
    DEAD_LETTERS.clear()
    for (consumer, topic), count in (await open_dead_letters(runtime.database, consumer_names(runtime))).items():
        DEAD_LETTERS.labels(consumer, topic).set(count)


def consumer_names(runtime: Runtime) -> list[str]:
    return [consumer.name for service in runtime.services for consumer in service.consumes]


async def metrics_endpoint(request: Request) -> Response:
    runtime: Any = request.app.state.runtime
    await refresh_runtime_gauges(runtime)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
