"""Calls from one service to another through the other's HTTP API.

DESIGN.md §1: a service talks to another only through its events, its HTTP/GraphQL API, or the small
``client.py`` the owner publishes; those client modules are built on :class:`ServiceClients`.

- A service served by this same process (embedded mode) is called in-process through ASGI: no
  network hop, same middleware, same checks. Its request runs in a task of its own so that the
  principal it binds never leaks back into the caller's context.
- Any other service is reached at its URL from ``VEXTRUS_SERVICE_URLS`` with pooled connections and
  the ``VEXTRUS_SERVICE_CALL_TIMEOUT_SECONDS`` timeout.

Every call carries a bearer token: the caller's own (forwarded) or one minted for a principal by
a process that holds the signing key. On SQLite a caller must not hold its own write transaction
open across a call (the callee needs the same single writer lock): call first, then write.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.tenancy import Principal

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

SERVICE_TOKEN_TTL_SECONDS = 60


class _IsolatedASGITransport(httpx.ASGITransport):
    """ASGI transport that serves each request in a task of its own (a copy of the caller's context)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await asyncio.create_task(super().handle_async_request(request))


_PROBLEM_KEYS = frozenset(
    {"type", "title", "status", "code", "detail", "detail_bn", "instance", "errors", "request_id"}
)


def upstream_error(service: str, status: int, body: Any) -> AppError:
    """Another service's problem+json answer as the caller's :class:`AppError`, unchanged (status,
    code, details, field errors, extra members); a 502 when the answer is not a problem document."""
    if not isinstance(body, dict):
        return AppError(502, "bad_gateway", f"The {service} service answered {status} without a problem document")
    errors = [
        FieldError(str(item.get("field", "")), str(item.get("code", "invalid")), str(item.get("reason", "")))
        for item in body.get("errors") or ()
        if isinstance(item, dict)
    ]
    extra = {key: value for key, value in body.items() if key not in _PROBLEM_KEYS}
    return AppError(
        status,
        str(body.get("code") or "upstream_error"),
        body.get("detail"),
        body.get("detail_bn"),
        errors=errors,
        extra=extra or None,
    )


class ServiceClients:
    """One pooled HTTP client per callee service, in-process where the callee is served here."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._clients: dict[str, httpx.AsyncClient] = {}

    def _served_here(self, service: str) -> bool:
        return any(item.name == service for item in self._runtime.services)

    def client(self, service: str) -> httpx.AsyncClient:
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        timeout = httpx.Timeout(self._runtime.settings.service_call_timeout_seconds)
        if self._served_here(service) and self._runtime.app is not None:
            transport = _IsolatedASGITransport(self._runtime.app, raise_app_exceptions=False)
            client = httpx.AsyncClient(transport=transport, base_url=f"http://{service}.internal", timeout=timeout)
        else:
            url = self._runtime.settings.service_urls.get(service)
            if not url:
                raise AppError(
                    503,
                    "service_unavailable",
                    f"The {service} service is not served here and VEXTRUS_SERVICE_URLS has no URL for it",
                )
            client = httpx.AsyncClient(base_url=url, timeout=timeout)
        self._clients[service] = client
        return client

    def token_for(self, principal: Principal) -> str:
        """A short-lived token for ``principal``; only a process holding the signing key can mint one."""
        issuer = self._runtime.issuer
        if issuer is None:
            raise AppError(503, "service_unavailable", "This process holds no signing key to call as a service")
        return issuer.issue(principal, SERVICE_TOKEN_TTL_SECONDS)

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        principal: Principal | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call ``service``; a network failure answers 503 (502/504 by cause), never a traceback."""
        headers = dict(kwargs.pop("headers", None) or {})
        bearer = token or (self.token_for(principal) if principal is not None else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            return await self.client(service).request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException:
            raise AppError(504, "upstream_timeout", f"The {service} service did not answer in time") from None
        except httpx.TransportError as error:
            raise AppError(503, "service_unavailable", f"The {service} service is unreachable: {error}") from None

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
