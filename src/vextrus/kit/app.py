"""Builds the ASGI app for a list of services: one service alone (distributed mode) or all of them
in one process behind the gateway name (embedded mode). Everything a service gets by
construction is wired here: health, metrics, OpenAPI, errors, GraphQL, tracing, logging.

Layers around the routes, outermost first: the kit's request middleware (request id, log context,
trace span, RED metrics, security headers), CORS, then the ASGI layers services contribute
(``middleware`` of a service, e.g. the gateway's edge: rate limits, size limits, proxying), then
FastAPI's error handling and the router, which dispatches by path prefix before matching
(:mod:`vextrus.kit.dispatch`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from vextrus.kit.dispatch import install_prefix_dispatch
from vextrus.kit.errors import install_error_handlers
from vextrus.kit.graphql import build_schema, graphql_router
from vextrus.kit.health import PlainRoute, install_health_routes
from vextrus.kit.logging import configure_logging
from vextrus.kit.metrics import SERVICE_INFO, metrics_endpoint
from vextrus.kit.middleware import RequestMiddleware
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import PUBLIC
from vextrus.kit.service import LayerFactory, Service
from vextrus.kit.settings import Settings, get_settings
from vextrus.kit.telemetry import configure_tracing

GATEWAY_NAME = "gateway"

def vextrus_version() -> str:
    try:
        return package_version("vextrus")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0"


def build_app(
    services: Sequence[Service],
    settings: Settings | None = None,
    name: str | None = None,
    service_settings: Mapping[str, Mapping[str, object]] | None = None,
) -> FastAPI:
    """The ASGI app serving ``services``; ``service_settings`` overrides services' own settings by name."""
    settings = settings or get_settings()
    name = name or (services[0].name if len(services) == 1 else GATEWAY_NAME)
    version = vextrus_version()
    configure_logging(settings.log_level, settings.log_format)
    runtime = Runtime(settings, services, name, service_settings)
    tracer_provider = configure_tracing(name, settings.otlp_endpoint, version)
    runtime.dispatcher.use_tracer_provider(tracer_provider)
    layers: list[ASGIApp] = []  # the service layers, once Starlette has built the stack

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            try:
                for layer in layers:
                    close = getattr(layer, "aclose", None)
                    if close is not None:
                        await close()
            finally:
                await runtime.stop()
                if tracer_provider is not None:
                    tracer_provider.shutdown()

    app = FastAPI(
        title=f"Vextrus {name}",
        version=version,
        description="Vextrus ERP API. Errors are application/problem+json (RFC 9457).",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        # The kit traces requests itself (RequestMiddleware); FastAPI's native telemetry would
        # only repeat it at a cost on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = runtime
    runtime.app = app
    install_error_handlers(app)
    install_health_routes(app, version)
    app.router.routes.append(PlainRoute("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False))
    if runtime.keys is not None:
        keys = runtime.keys

        async def jwks() -> dict[str, Any]:
            return keys.jwks()

        app.add_api_route(
            "/.well-known/jwks.json",
            jwks,
            methods=["GET"],
            dependencies=[PUBLIC],
            tags=["security"],
            summary="Public keys that verify access tokens",
        )
    for service in services:
        SERVICE_INFO.labels(service.name, service.version).set(1)
        if service.router is not None:
            app.include_router(service.router)
    schema = build_schema([service.graphql for service in services if service.graphql], settings)
    if schema is not None:
        app.include_router(graphql_router(schema, settings), dependencies=[PUBLIC], tags=["graphql"])
    for service in services:
        # A service's ASGI layers (the descriptor field ``middleware``): inside CORS and the request
        # middleware, so their responses carry request ids, CORS and security headers.
        for factory in service.middleware:
            app.add_middleware(_build_layer, factory=factory, runtime=runtime, built=layers)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestMiddleware, service=name, tracer_provider=tracer_provider, access_log=settings.access_log)
    install_prefix_dispatch(app.router)
    return app


def _build_layer(app: ASGIApp, *, factory: LayerFactory, runtime: Runtime, built: list[ASGIApp]) -> ASGIApp:
    """Starlette calls this when it builds the middleware stack; the layer is kept to be closed."""
    layer = factory(app, runtime)
    built.append(layer)
    return layer
