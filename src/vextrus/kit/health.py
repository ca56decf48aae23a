"""Health endpoints every app gets: /health, /health/live, /health/ready, /health/stats,
/health/dependencies. Readiness runs real checks (``SELECT 1``, cache ping, event-bus ping, each
service's own checks) concurrently with a timeout, and answers 503 naming what failed."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from vextrus.kit.runtime import Runtime
from vextrus.kit.security import PUBLIC

Check = Callable[[], Awaitable[Mapping[str, Any]]]
_PROCESS = psutil.Process(os.getpid())


def _redact(url: str) -> str:
    """A URL without its password, for display."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _dependency_checks(runtime: Runtime) -> dict[str, tuple[str, str, Check]]:
    """name -> (kind, target, check) for every dependency of this process."""

    async def database() -> Mapping[str, Any]:
        return {"dialect": runtime.database.dialect, "latency_ms": round(await runtime.database.ping(), 2)}

    checks: dict[str, tuple[str, str, Check]] = {
        "database": ("database", _redact(runtime.settings.database_url), database),
        "cache": ("cache", _redact(runtime.settings.cache_url), runtime.cache.ping),
        "event_bus": ("event_bus", _redact(runtime.settings.event_bus), runtime.transport.ping),
    }
    multiple = len(runtime.services) > 1
    for service in runtime.services:
        for extra in service.checks:
            name = f"{service.name}.{extra.name}" if multiple else extra.name

            def bound(check: Any = extra.check) -> Awaitable[Mapping[str, Any]]:
                return check(runtime)  # type: ignore[no-any-return]

            checks[name] = ("service", service.name, bound)
    return checks


async def _run_check(check: Check, limit_seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        details = dict(await asyncio.wait_for(check(), limit_seconds))
        status = "ok"
    except TimeoutError:
        details, status = {"error": f"timed out after {limit_seconds:g}s"}, "error"
    except Exception as error:
        details, status = {"error": f"{type(error).__name__}: {error}"[:500]}, "error"
    details.setdefault("latency_ms", round((time.perf_counter() - started) * 1000, 2))
    return {"status": status, **details}


async def readiness(runtime: Runtime) -> dict[str, dict[str, Any]]:
    checks = _dependency_checks(runtime)
    timeout = runtime.settings.ready_check_timeout_seconds
    results = await asyncio.gather(*(_run_check(check, timeout) for _, _, check in checks.values()))
    return dict(zip(checks, results, strict=True))


def _memory_mb() -> float:
    return float(_PROCESS.memory_info().rss) / (1024 * 1024)


def health_router(version: str) -> APIRouter:
    router = APIRouter(tags=["health"], dependencies=[PUBLIC])

    def runtime_of(request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtime
        return runtime

    @router.get("/health", summary="Liveness summary")
    async def health(request: Request) -> dict[str, Any]:
        return {
            "status": "ok",
            "service": runtime_of(request).name,
            "version": version,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        }

    @router.get("/health/live", summary="Can this process serve?", responses={503: {"description": "Unhealthy"}})
    async def live(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        memory = _memory_mb()
        limit = runtime.settings.live_memory_limit_mb
        ok = memory < limit
        body = {
            "status": "ok" if ok else "error",
            "service": runtime.name,
            "checks": {"memory": {"status": "ok" if ok else "error", "rss_mb": round(memory, 1), "limit_mb": limit}},
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get(
        "/health/ready", summary="Are all dependencies reachable?", responses={503: {"description": "Not ready"}}
    )
    async def ready(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        checks = await readiness(runtime)
        failing = sorted(name for name, result in checks.items() if result["status"] != "ok")
        body: dict[str, Any] = {"status": "error" if failing else "ok", "service": runtime.name, "checks": checks}
        if failing:
            body["failing"] = failing
        return JSONResponse(body, status_code=503 if failing else 200)

    @router.get("/health/stats", summary="Uptime, pool and outbox statistics")
    async def stats(request: Request) -> dict[str, Any]:
        runtime = runtime_of(request)
        return {
            "service": runtime.name,
            "version": version,
            "started_at": runtime.started_at.isoformat(),
            "uptime_seconds": round(runtime.uptime_seconds, 1),
            "pid": os.getpid(),
            "memory_rss_mb": round(_memory_mb(), 1),
            "services": [service.name for service in runtime.services],
            "database": {"dialect": runtime.database.dialect, "pool": runtime.database.pool_stats()},
            "outbox": await runtime.relay.backlog(),
            "relay_running": runtime.relay.running,
            "event_bus": runtime.transport.name,
            "cache": runtime.cache.backend,
        }

    @router.get("/health/dependencies", summary="Every dependency with status and latency")
    async def dependencies(request: Request) -> dict[str, Any]:
        runtime = runtime_of(request)
        checks = _dependency_checks(runtime)
        results = await readiness(runtime)
        return {
            "service": runtime.name,
            "dependencies": [
                {"name": name, "kind": kind, "target": target, **results[name]}
                for name, (kind, target, _) in checks.items()
            ],
        }

    return router
