"""One pure-ASGI middleware for what every request needs: request id, log context, trace span,
RED metrics by route template, and security headers (plus HSTS on requests that came over HTTPS,
directly or through a proxy uvicorn trusts). One layer keeps the per-request cost low."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import structlog
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vextrus.kit.logging import start_request_context
from vextrus.kit.metrics import HTTP_DURATION, HTTP_IN_PROGRESS, HTTP_REQUESTS
from vextrus.kit.tenancy import bind_principal

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"
log = structlog.get_logger("vextrus.http")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestMiddleware:
    def __init__(
        self, app: ASGIApp, service: str, tracer_provider: TracerProvider | None = None, access_log: bool = False
    ) -> None:
        self.app = app
        self.service = service
        self.access_log = access_log
        self._in_progress = HTTP_IN_PROGRESS.labels(service)
        self._tracer = tracer_provider.get_tracer("vextrus.http") if tracer_provider else None
        # Label lookups cost more than the increments: keep the children per label set.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        start_request_context(request_id=request_id, service=self.service)
        bind_principal(None)  # nothing of a previous request on this task survives
        status_holder = [500]
        request_id_header = (b"x-request-id", request_id.encode())
        https = scope.get("scheme") == "https"

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", ()))
                headers.append(request_id_header)
                headers.extend(_SECURITY_HEADERS)
                if https:
                    headers.append(_HSTS)
                message["headers"] = headers
            await send(message)

        started = time.perf_counter()
        self._in_progress.inc()
        try:
            if self._tracer is not None:
                await self._traced(scope, receive, send_wrapper, status_holder)
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            bind_principal(None)
            self._in_progress.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            method = scope["method"]
            status = status_holder[0]
            counter = self._counters.get((method, template, status))
            if counter is None:
                counter = self._counters[(method, template, status)] = HTTP_REQUESTS.labels(
                    self.service, method, template, str(status)
                )
            counter.inc()
            histogram = self._histograms.get((method, template))
            if histogram is None:
                histogram = self._histograms[(method, template)] = HTTP_DURATION.labels(self.service, method, template)
            histogram.observe(elapsed)
            if self.access_log or status_holder[0] >= 500:
                log.info(
                    "request",
                    method=method,
                    route=template,
                    path=scope["path"],
                    status=status_holder[0],
                    duration_ms=round(elapsed * 1000, 2),
                )

    async def _traced(self, scope: Scope, receive: Receive, send: Send, status_holder: list[int]) -> None:
        assert self._tracer is not None
        carrier = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope.get("headers", ())}
        context = propagate.extract(carrier)
        name = f"{scope['method']} {scope['path']}"
        with self._tracer.start_as_current_span(name, context=context, kind=SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", scope["method"])
            span.set_attribute("url.path", scope["path"])
            span.set_attribute("vextrus.service", self.service)
            try:
                await self.app(scope, receive, send)
            finally:
                route: Any = scope.get("route")
                if route is not None:
                    span.update_name(f"{scope['method']} {route.path}")
                    span.set_attribute("http.route", route.path)
                span.set_attribute("http.response.status_code", status_holder[0])
                if status_holder[0] >= 500:
                    span.set_status(Status(StatusCode.ERROR))
