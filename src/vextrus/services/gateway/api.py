"""The gateway's own REST API: ``/api/v1/gateway/...`` (its route table, for operators)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from vextrus.kit.errors import AppError
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.gateway.schemas import RouteOut, RoutingOut, UpstreamOut

PREFIX = "/api/v1/gateway"
router = APIRouter(prefix=PREFIX, tags=["gateway"])

PERMISSIONS = {
    "platform.gateway.read": "See the gateway's route table and its upstreams' circuit breakers (platform operators)",
}


@router.get("/routes", response_model=RoutingOut, summary="Route table and upstream circuit breakers")
async def routes(request: Request, _: Principal = require("platform.gateway.read")) -> RoutingOut:
    edge = getattr(request.app.state, "gateway", None)
    if edge is None:  # pragma: no cover - the edge is built before any request reaches a route
        raise AppError(503, "service_unavailable", "The gateway is starting")
    listed = []
    for key, owner in sorted(edge.table.owners.items()):
        where = "local" if owner in edge.local else "remote" if owner in edge.upstreams else "unconfigured"
        listed.append(RouteOut(key=key, upstream=owner, where=where))
    upstreams = [
        UpstreamOut(
            name=name,
            url=upstream.url,
            breaker=upstream.breaker.state.label,
            retry_after_seconds=round(upstream.breaker.retry_after(), 2),
        )
        for name, upstream in sorted(edge.upstreams.items())
    ]
    return RoutingOut(mode=edge.mode, routes=listed, upstreams=upstreams)
