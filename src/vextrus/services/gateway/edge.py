"""The gateway's edge: what every request from outside goes through, in both run modes.

In order: identity headers a client may not send are removed; the body size is checked (by
``Content-Length`` at once, by the bytes actually read otherwise: 413); credentials are verified
(the kit's verifier: local keys or the JWKS, cached) — bad credentials are refused here (401) for a
route that requires a permission, and otherwise the request goes on as anonymous; the rate limits
are taken (429 with ``Retry-After``); then the request goes to the service that owns its route key:
in this process (embedded mode, no network hop) or over HTTP (distributed mode, see proxy.py).

Calls between services served by this process (the kit's in-process clients) do not come from
outside: they pass through untouched (a context variable marks the request being handled).
Health probes and /metrics are not rate limited. The kit's request middleware sits outside this
layer: every answer, the edge's own included, has a request id, security headers and CORS.
"""

from __future__ import annotations

import asyncio
import time
from contextvars import ContextVar
from typing import Any

import structlog
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vextrus.kit.dispatch import path_key
from vextrus.kit.errors import AppError, problem_response, register_error_titles
from vextrus.kit.events.outbox import record_event
from vextrus.kit.ratelimit import Limit, RateLimiter, build_rate_limiter
from vextrus.kit.runtime import Runtime
from vextrus.kit.service import Topic, load_registry
from vextrus.kit.tenancy import Principal
from vextrus.services.gateway import operations
from vextrus.services.gateway.events import (
    AUTH_FAILED,
    FEDERATION_ERROR,
    RATE_LIMITED,
    AuthFailed,
    EventSampler,
    FederationError,
    RateLimited,
)
from vextrus.services.gateway.metrics import (
    AUTH_FAILURES,
    GRAPHQL_OPERATIONS,
    RATE_LIMIT_HITS,
    REQUESTS,
    REQUESTS_REJECTED,
    UPSTREAM_DURATION,
)
from vextrus.services.gateway.proxy import (
    BodyTooLarge,
    ClientDisconnected,
    ProxyError,
    Upstream,
    body_too_large,
    read_body,
)
from vextrus.services.gateway.routes import GRAPHQL_KEY, GRAPHQL_UPSTREAM, RouteTable, build_route_table
from vextrus.services.gateway.settings import GatewaySettings

log = structlog.get_logger("vextrus.gateway")

register_error_titles(
    {
        "bad_gateway": {"en": "Bad gateway", "bn": "সংশ্লিষ্ট সেবার উত্তর সঠিক নয়"},
    }
)

_INSIDE: ContextVar[bool] = ContextVar("vextrus_gateway_inside", default=False)
EXEMPT_KEYS = frozenset({"/health", "/metrics"})
# Route labels for paths no service owns: the kit's own (bounded set); anything else is <unmatched>.
_KIT_KEYS = frozenset({GRAPHQL_KEY, "/openapi.json", "/api", "/.well-known"})
UNMATCHED = "<unmatched>"
LOCAL = "local"


class _Rejected(Exception):
    def __init__(self, status: int, code: str, detail: str, detail_bn: str, reason: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.detail_bn, self.reason = status, code, detail, detail_bn, reason
        self.headers: dict[str, str] = extra.pop("headers", {})
        self.extra = extra


class Edge:
    """The gateway's ASGI layer (a ``middleware`` entry of the gateway's Service descriptor)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.settings = settings = runtime.settings_of(GatewaySettings)
        services = {service.name: service for service in load_registry()}
        services.update({service.name: service for service in runtime.services})
        self.local = frozenset(service.name for service in runtime.services)
        self.table: RouteTable = build_route_table(services.values(), settings.routes)
        if settings.federation_url and not any(service.graphql for service in runtime.services):
            self.table.claim(GRAPHQL_KEY, GRAPHQL_UPSTREAM)
        urls = dict(runtime.settings.service_urls)
        if settings.federation_url:
            urls[GRAPHQL_UPSTREAM] = settings.federation_url
        remote = sorted(set(self.table.owners.values()) - self.local)
        self.upstreams = {name: Upstream(name, urls[name], settings) for name in remote if name in urls}
        self.unconfigured = [name for name in remote if name not in urls]
        self.strip = frozenset(name.encode("latin-1") for name in settings.strip_headers)
        self.body_limits = dict(settings.body_limits)
        self.limiter: RateLimiter | None = None
        self.limits: dict[str, Limit | None] = {
            "ip": _limit(settings.rate_limit_ip_per_second, settings.rate_limit_ip_burst),
            "user": _limit(settings.rate_limit_user_per_second, settings.rate_limit_user_burst),
            "tenant": _limit(settings.rate_limit_tenant_per_second, settings.rate_limit_tenant_burst),
        }
        if settings.rate_limit_enabled and any(self.limits.values()):
            self.limiter = build_rate_limiter(runtime.settings.cache_url)
        self.sampler = EventSampler(settings.event_window_seconds, settings.events_per_minute)
        self._tasks: set[asyncio.Task[None]] = set()
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._durations: dict[str, Any] = {}
        self._bucket_names: dict[tuple[Any, Any], tuple[str, str]] = {}
        self.max_body_bytes = settings.max_body_bytes
        runtime.app.state.gateway = self  # for the readiness check and tests
        if self.unconfigured:
            log.warning("upstreams_without_url", upstreams=self.unconfigured, setting="VEXTRUS_SERVICE_URLS")

    @property
    def mode(self) -> str:
        return "distributed" if self.upstreams else "embedded"

    async def aclose(self) -> None:
        """Close the upstream pools and the rate limiter; let pending event writes finish."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5.0)
        for upstream in self.upstreams.values():
            await upstream.aclose()
        if self.limiter is not None:
            await self.limiter.close()

    # ---- the request path -------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _INSIDE.get():
            await self.app(scope, receive, send)
            return
        key = path_key(get_route_path(scope))
        if key in EXEMPT_KEYS:
            await self.app(scope, receive, send)
            return
        token = _INSIDE.set(True)
        try:
            await self._handle(scope, receive, send, key)
        finally:
            _INSIDE.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, key: str) -> None:
        # One pass over the headers: what to strip, the credentials, the body's length.
        headers = scope["headers"]
        authorization: bytes | None = None
        length: bytes | None = None
        chunked = strip = False
        for name, value in headers:
            if name == b"authorization":
                authorization = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name in self.strip or name.startswith(b"x-vextrus-"):
                strip = True
        if strip:
            scope["headers"] = [
                (name, value)
                for name, value in headers
                if name not in self.strip and not name.startswith(b"x-vextrus-")
            ]
        owner = self.table.owner(key)
        route = key if owner is not None or key in _KIT_KEYS else UNMATCHED
        upstream_label = owner or LOCAL
        limit = self.body_limits.get(key, self.max_body_bytes)
        try:
            if length is not None and length.isdigit() and int(length) > limit:
                error = body_too_large(limit)
                raise _Rejected(error.status, error.code, error.detail, error.detail_bn, error.reason)
            principal = await self._identify(scope, key, authorization) if authorization else None
            if self.limiter is not None:
                await self._rate_limit(scope, principal, route)
        except _Rejected as rejected:
            await self._reject(scope, receive, send, rejected, route, upstream_label)
            return
        if owner is not None and owner not in self.local:
            await self._forward(scope, receive, send, key, owner, route, limit)
        else:
            has_body = chunked or (length is not None and length != b"0")
            await self._local(scope, receive, send, key, owner, route, limit, has_body)

    async def _identify(self, scope: Scope, key: str, header: bytes) -> Principal | None:
        """The verified principal; refuses bad credentials on protected routes (else anonymous)."""
        scheme, _, secret = header.decode("latin-1").partition(" ")
        scheme, secret = scheme.lower(), secret.strip()
        try:
            if scheme == "bearer" and secret:
                principal: Principal = await self.runtime.verifier.verify(secret)
            elif scheme == "apikey" and secret:
                principal = await self.runtime.api_keys.resolve(secret)
            else:
                raise AppError(
                    401,
                    "unauthorized",
                    "Use 'Authorization: Bearer <token>' or 'Authorization: ApiKey <key>'",
                    "'Authorization: Bearer <token>' অথবা 'Authorization: ApiKey <key>' ব্যবহার করুন",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return principal
        except AppError as error:
            reason, detail = error.code, error.detail or error.code
            AUTH_FAILURES.labels(reason).inc()
            ip = self._client_ip(scope)
            self._emit(
                AUTH_FAILED,
                ip,
                lambda count: AuthFailed(
                    reason=reason,
                    detail=detail,
                    client_ip=ip,
                    method=scope["method"],
                    route=key if self.table.owner(key) else UNMATCHED,
                    rejected=count,
                    window_seconds=self.sampler.window_seconds,
                ),
            )
            if self.table.requires_credentials(key, scope["method"], get_route_path(scope)):
                raise _Rejected(
                    error.status,
                    error.code,
                    error.detail or "",
                    error.detail_bn or "",
                    "auth_failed",
                    headers=dict(error.headers or {}),
                ) from None
            return None  # a public route: the request goes on without an identity

    @staticmethod
    def _client_ip(scope: Scope) -> str:
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    async def _rate_limit(self, scope: Scope, principal: Principal | None, route: str) -> None:
        assert self.limiter is not None
        buckets: list[tuple[str, str, Limit]] = []
        if principal is None:
            ip_limit = self.limits["ip"]
            if ip_limit is not None:
                buckets.append(("ip", self._client_ip(scope), ip_limit))
        else:
            names = self._bucket_names.get((principal.tenant_id, principal.subject))
            if names is None:
                if len(self._bucket_names) > 50_000:
                    self._bucket_names.clear()
                tenant = str(principal.tenant_id)
                names = self._bucket_names[(principal.tenant_id, principal.subject)] = (
                    f"{tenant}:{principal.subject}",
                    tenant,
                )
            user_limit, tenant_limit = self.limits["user"], self.limits["tenant"]
            if user_limit is not None:
                buckets.append(("user", names[0], user_limit))
            if tenant_limit is not None:
                buckets.append(("tenant", names[1], tenant_limit))
        if not buckets:
            return
        decision = await self.limiter.take([(f"{scope_}:{key}", limit) for scope_, key, limit in buckets])
        if decision.allowed:
            return
        refused_scope, refused_key, limit = buckets[decision.index]
        RATE_LIMIT_HITS.labels(refused_scope).inc()
        tenant_id = principal.tenant_id if principal is not None else None
        self._emit(
            RATE_LIMITED,
            f"{refused_scope}:{refused_key}",
            lambda count: RateLimited(
                scope=refused_scope,
                key=refused_key.rsplit(":", 1)[-1] if refused_scope == "user" else refused_key,
                method=scope["method"],
                route=route,
                limit_per_second=limit.rate,
                burst=limit.burst,
                rejected=count,
                window_seconds=self.sampler.window_seconds,
            ),
            tenant_id=tenant_id,
        )
        raise _Rejected(
            429,
            "rate_limited",
            f"Too many requests for this {refused_scope}: at most {limit.rate:g} per second "
            f"(bursts of {limit.burst}); retry after {decision.retry_after_header} s",
            f"এই {refused_scope}-এর জন্য অনেক বেশি অনুরোধ; {decision.retry_after_header} সেকেন্ড পরে আবার চেষ্টা করুন",
            "rate_limited",
            headers={"Retry-After": decision.retry_after_header},
            limit=refused_scope,
        )

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, rejected: _Rejected, route: str, upstream: str
    ) -> None:
        REQUESTS_REJECTED.labels(rejected.reason).inc()
        self._count(route, upstream, rejected.status)
        response = problem_response(
            Request(scope),
            rejected.status,
            rejected.code,
            rejected.detail or None,
            rejected.detail_bn or None,
            headers=rejected.headers,
            extra=rejected.extra or None,
        )
        await response(scope, receive, send)

    def _count(self, route: str, upstream: str, status: int) -> None:
        counter = self._counters.get((route, upstream, status))
        if counter is None:
            counter = self._counters[(route, upstream, status)] = REQUESTS.labels(route, upstream, str(status))
        counter.inc()

    # ---- in this process (embedded) ---------------------------------------------------------

    async def _local(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: str,
        owner: str | None,
        route: str,
        limit: int,
        has_body: bool,
    ) -> None:
        status = [500]
        upstream = owner or LOCAL
        duration = None
        if owner is not None:
            duration = self._durations.get(owner)
            if duration is None:
                duration = self._durations[owner] = UPSTREAM_DURATION.labels(owner)
        started = time.perf_counter()
        operation: str | None = None
        if key == GRAPHQL_KEY:
            operation, receive = await self._graphql_operation(scope, receive, limit)
            if operation is None:
                error = body_too_large(limit)
                rejected = _Rejected(error.status, error.code, error.detail, error.detail_bn, error.reason)
                await self._reject(scope, receive, send, rejected, route, upstream)
                return
        elif has_body:
            receive = _limited(receive, limit)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if duration is not None:
                    duration.observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._count(route, upstream, status[0])
            if operation is not None:
                GRAPHQL_OPERATIONS.labels(operation, "ok" if status[0] < 400 else "error").inc()

    async def _graphql_operation(self, scope: Scope, receive: Receive, limit: int) -> tuple[str | None, Receive]:
        """The operation type, and a receive that replays the body read to find it (None: too large)."""
        if scope["method"] != "POST":
            return operations.from_query_string(scope.get("query_string", b"")), receive
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge:
            return None, receive
        except ClientDisconnected:
            return operations.UNKNOWN, receive
        replayed = [False]

        async def replay() -> Message:
            if not replayed[0]:
                replayed[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return operations.from_body(body), replay

    # ---- over HTTP (distributed) ------------------------------------------------------------

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, key: str, owner: str, route: str, limit: int
    ) -> None:
        upstream = self.upstreams.get(owner)
        scope["route"] = _UpstreamRoute(f"{key}/{{path}}" if key != GRAPHQL_KEY else key)
        operation: str | None = None
        body: bytes | None = None
        request_id = str(scope.get("state", {}).get("request_id", ""))
        try:
            if upstream is None:
                raise ProxyError(
                    503,
                    "service_unavailable",
                    f"The {owner} service is not served here and VEXTRUS_SERVICE_URLS has no URL for it",
                    f"{owner} সেবাটি এখানে চলছে না এবং VEXTRUS_SERVICE_URLS-এ এর ঠিকানা নেই",
                    reason="no_upstream",
                )
            if key == GRAPHQL_KEY:
                if scope["method"] == "POST":
                    try:
                        body = await read_body(receive, limit)
                    except BodyTooLarge:
                        raise body_too_large(limit) from None
                    operation = operations.from_body(body)
                else:
                    operation = operations.from_query_string(scope.get("query_string", b""))
            forwarded = await upstream.forward(scope, receive, send, request_id=request_id, body_limit=limit, body=body)
        except ProxyError as error:
            headers = {"Retry-After": str(max(1, round(error.retry_after)))} if error.retry_after else {}
            rejected = _Rejected(
                error.status, error.code, error.detail, error.detail_bn, error.reason, headers=headers, upstream=owner
            )
            if operation is not None:
                GRAPHQL_OPERATIONS.labels(operation, "error").inc()
                self._graphql_failed(operation, error.status, 0, error.detail)
            await self._reject(scope, receive, send, rejected, route, owner)
            return
        except ClientDisconnected:
            self._count(route, owner, 499)
            return
        self._count(route, owner, forwarded.status)
        if operation is not None:
            failed = forwarded.federation_errors > 0 or forwarded.status >= 500
            GRAPHQL_OPERATIONS.labels(operation, "error" if failed or forwarded.status >= 400 else "ok").inc()
            if failed:
                self._graphql_failed(operation, forwarded.status, forwarded.federation_errors, "subgraph fetch failed")

    def _graphql_failed(self, operation: str, status: int, failures: int, detail: str) -> None:
        self._emit(
            FEDERATION_ERROR,
            f"{operation}:{status}",
            lambda count: FederationError(
                upstream=GRAPHQL_UPSTREAM,
                operation=operation,
                status=status,
                failures=failures,
                detail=detail,
                occurrences=count,
                window_seconds=self.sampler.window_seconds,
            ),
        )

    # ---- sampled events ---------------------------------------------------------------------

    def _emit(self, topic: Topic, key: str, build: Any, tenant_id: Any = None) -> None:
        count = self.sampler.admit(topic.name, key)
        if count is None:
            return
        payload = build(count)
        task = asyncio.get_running_loop().create_task(self._write_event(topic, payload, key, tenant_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write_event(self, topic: Topic, payload: Any, subject: str, tenant_id: Any) -> None:
        try:
            async with self.runtime.database.transaction() as session:
                record_event(
                    session,
                    topic,
                    payload,
                    subject=subject,
                    tenant_id=tenant_id,
                    actor="gateway",
                    platform_wide=tenant_id is None,
                )
        except Exception as error:  # an event lost is logged, never a failed request
            log.warning("gateway_event_not_recorded", topic=topic.name, error=f"{type(error).__name__}: {error}"[:300])


def _limit(rate: float, burst: int) -> Limit | None:
    """A bucket's limit; a rate of 0 turns the bucket off."""
    return Limit(rate, burst) if rate > 0 else None


class _UpstreamRoute:
    """What the kit's request middleware labels a forwarded request with (a route template)."""

    def __init__(self, path: str) -> None:
        self.path = path


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses (413) a body growing past ``limit`` while the app reads it."""
    received = [0]

    async def limited() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            received[0] += len(message.get("body", b""))
            if received[0] > limit:
                raise HTTPException(413, f"The request body is larger than {limit} bytes")
        return message

    return limited


def edge_layer(app: ASGIApp, runtime: Runtime) -> ASGIApp:
    """The gateway's layer factory (``Service.middleware``)."""
    return Edge(app, runtime)
