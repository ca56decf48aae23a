"""API gateway (port 4000): the one front door for REST and GraphQL (docs/services/gateway.md).

Embedded mode (``vextrus serve``): every service runs in this process; the gateway adds its edge
(identity headers stripped, body limits, credentials checked, rate limits, metrics, events) in
front of them. Distributed mode (``vextrus serve gateway``): the same edge, then each request goes
to the service owning its route key over pooled HTTP connections, /graphql to the federation
gateway (federation/gateway.mjs).
"""

from __future__ import annotations

from vextrus.kit.service import ReadinessCheck, Service
from vextrus.services.gateway import api, checks, events
from vextrus.services.gateway.edge import edge_layer
from vextrus.services.gateway.settings import GatewaySettings

service = Service(
    name="gateway",
    port=4000,
    title="API gateway",
    description=(
        "The one front door for REST and GraphQL: client identity headers stripped, request size "
        "limits, credentials verified, rate limits per client address, user and tenant; in "
        "distributed mode routing to the owning service with pooled connections, timeouts, "
        "retries of idempotent requests and a circuit breaker per service."
    ),
    router=api.router,
    permissions=api.PERMISSIONS,
    publishes=events.PUBLISHES,
    checks=[ReadinessCheck("upstreams", checks.upstreams)],
    settings=GatewaySettings,
    middleware=[edge_layer],
)

__all__ = ["GatewaySettings", "service"]
