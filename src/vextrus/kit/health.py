"""Health endpoints every app gets: /health, /health/live, /health/ready, /health/stats,
/health/dependencies. Readiness runs real checks (``SELECT 1``, cache ping, event-bus ping (on Kafka:
a metadata request to the broker), each service's own checks) concurrently with a timeout, and
answers 503 naming what failed. Stats include the outbox backlog, consumer lag and dead letters."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Match, Route
from starlette.types import Scope

from vextrus.kit.events.operations import open_dead_letters
from vextrus.kit.metrics import consumer_names
from vextrus.kit.runtime import Runtime

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


async def _dead_letters(runtime: Runtime) -> dict[str, dict[str, int]]:
    """consumer -> topic -> open dead letters (every consumer of this process, zero included)."""
    counts = await open_dead_letters(runtime.database, consumer_names(runtime))
    result: dict[str, dict[str, int]] = {}
    for service in runtime.services:
        for consumer in service.consumes:
            result.setdefault(consumer.name, {})[consumer.topic] = counts.get((consumer.name, consumer.topic), 0)
    return result


def _memory_mb() -> float:
    return float(_PROCESS.memory_info().rss) / (1024 * 1024)


def install_health_routes(app: FastAPI, version: str) -> None:
    """Add the health endpoints as plain Starlette routes: probes are hit constantly, so they skip
    FastAPI's dependency machinery. They are public and documented in docs/architecture.md."""

    def runtime_of(request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtime
        return runtime

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "service": runtime_of(request).name,
                "version": version,
                "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            }
        )

    async def live(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        memory = _memory_mb()
        limit = runtime.settings.live_memory_limit_mb
        ok = memory < limit
        status = "ok" if ok else "error"
        body = {
            "status": status,
            "service": runtime.name,
            "checks": {"memory": {"status": status, "rss_mb": round(memory, 1), "limit_mb": limit}},
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    async def ready(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        checks = await readiness(runtime)
        failing = sorted(name for name, result in checks.items() if result["status"] != "ok")
        body: dict[str, Any] = {"status": "error" if failing else "ok", "service": runtime.name, "checks": checks}
        if failing:
            body["failing"] = failing
        return JSONResponse(body, status_code=503 if failing else 200)

    async def stats(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        return JSONResponse(
            {
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
                "consumer_lag": runtime.transport.consumer_lag(),
                "dead_letters": await _dead_letters(runtime),
                "cache": runtime.cache.backend,
            }
        )

    async def dependencies(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        described = {name: (kind, target) for name, (kind, target, _) in _dependency_checks(runtime).items()}
        results = await readiness(runtime)
        return JSONResponse(
            {
                "service": runtime.name,
                "dependencies": [
                    {"name": name, "kind": described[name][0], "target": described[name][1], **result}
                    for name, result in results.items()
                ],
            }
        )

    for path, endpoint in (
        ("/health", health),
        ("/health/live", live),
        ("/health/ready", ready),
        ("/health/stats", stats),
        ("/health/dependencies", dependencies),
    ):
        app.router.routes.append(PlainRoute(path, endpoint, methods=["GET"], include_in_schema=False))


class PlainRoute(Route):
    """A Starlette route that records itself in the scope (as FastAPI's routes do), so metrics and
    traces label it by its template."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match != Match.NONE:
            child_scope["route"] = self
        return match, child_scope
