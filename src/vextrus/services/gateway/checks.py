"""The gateway's readiness check: every upstream with its state.

Each upstream's own readiness is asked (``GET /health/ready``; the federation gateway's
``/health``) concurrently with a short timeout: ``up`` (200), ``degraded`` (it answered, not
ready), ``down`` (no answer), ``unconfigured`` (no URL), with its circuit breaker's state.

The check reports; it does not fail the gateway's readiness: upstreams failing must not take the
front door out of the load balancer (their routes answer 503 on their own and their circuits
open; alert on ``gateway_circuit_breaker_state``). The gateway's own dependencies (database,
cache, event bus) decide its readiness, as for every service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from vextrus.kit.runtime import Runtime
from vextrus.services.gateway.proxy import Upstream
from vextrus.services.gateway.routes import GRAPHQL_UPSTREAM


async def _probe(upstream: Upstream, limit_seconds: float) -> dict[str, Any]:
    path = "/health" if upstream.name == GRAPHQL_UPSTREAM else "/health/ready"
    started = time.perf_counter()
    result: dict[str, Any] = {"url": upstream.url, "breaker": upstream.breaker.state.label}
    try:
        status = await upstream.probe(path, limit_seconds)
    except TimeoutError:
        result.update(state="down", error=f"no answer in {limit_seconds:g} s")
    except Exception as error:
        result.update(state="down", error=f"{type(error).__name__}: {error}"[:200])
    else:
        result.update(state="up" if status == 200 else "degraded", status=status)
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


async def upstreams(runtime: Runtime) -> Mapping[str, Any]:
    edge = getattr(runtime.app.state, "gateway", None)
    if edge is None:  # the app has not served a request yet: nothing to report
        return {"mode": "starting", "upstreams": {}}
    limit_seconds = edge.settings.upstream_health_timeout_seconds
    names = sorted(edge.upstreams)
    results = await asyncio.gather(*(_probe(edge.upstreams[name], limit_seconds) for name in names))
    report: dict[str, Any] = dict(zip(names, results, strict=True))
    for name in edge.unconfigured:
        report[name] = {"state": "unconfigured", "error": "no URL in VEXTRUS_SERVICE_URLS"}
    up = sum(1 for item in results if item["state"] == "up")
    return {
        "mode": edge.mode,
        "local": sorted(edge.local),
        "available": f"{up}/{len(report)}",
        "upstreams": dict(sorted(report.items())),
    }
