"""The gateway's metrics (served at /metrics with the kit's)."""

from __future__ import annotations

from vextrus.kit.metrics import LATENCY_BUCKETS, counter, gauge, histogram

REQUESTS = counter(
    "gateway_requests_total",
    "Requests through the gateway by route key (/api/v1/<segment>), upstream service and status",
    ["route", "upstream", "status"],
)
UPSTREAM_DURATION = histogram(
    "gateway_upstream_duration_seconds",
    "Time until the upstream service answered with its status and headers",
    ["upstream"],
    buckets=(0.001, 0.0025, *LATENCY_BUCKETS),
)
RATE_LIMIT_HITS = counter(
    "gateway_rate_limit_hits_total",
    "Requests refused with 429, by the bucket that refused (ip, user, tenant)",
    ["scope"],
)
CIRCUIT_BREAKER_STATE = gauge(
    "gateway_circuit_breaker_state", "Circuit breaker per upstream: 0 closed, 1 open, 2 half-open", ["upstream"]
)
GRAPHQL_OPERATIONS = counter(
    "gateway_graphql_operations_total",
    "GraphQL operations through the gateway by type (query, mutation, subscription, batch, unknown) and outcome",
    ["operation", "outcome"],
)
AUTH_FAILURES = counter(
    "gateway_auth_failures_total", "Requests whose credentials the gateway could not verify, by reason", ["reason"]
)
UPSTREAM_RETRIES = counter(
    "gateway_upstream_retries_total", "Idempotent requests sent again after a connection failure", ["upstream"]
)
REQUESTS_REJECTED = counter(
    "gateway_requests_rejected_total",
    "Requests the gateway answered itself (401, 413, 429, 502, 503, 504) by reason",
    ["reason"],
)
