"""What the gateway's own API answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RouteOut(BaseModel):
    key: str = Field(description="Route key: requests under it go to the upstream, e.g. /api/v1/configuration")
    upstream: str = Field(description="The service (or the federation gateway, 'graphql') that answers")
    where: Literal["local", "remote", "unconfigured"] = Field(
        description="served in this process, over HTTP, or no URL known (503)"
    )


class UpstreamOut(BaseModel):
    name: str
    url: str
    breaker: Literal["closed", "open", "half_open"]
    retry_after_seconds: float = Field(description="While open: seconds until a trial request may go")


class RoutingOut(BaseModel):
    mode: Literal["embedded", "distributed"]
    routes: list[RouteOut]
    upstreams: list[UpstreamOut]
