"""Forwarding a request to the service that owns it (distributed mode), streaming both ways.

- One pool of keep-alive HTTP/1.1 connections per upstream (upstream_http.py: no cookie jar, no
  redirects, nothing kept between clients), with connect/read/write/pool timeouts.
- Request bodies stream to the upstream as they arrive and response bodies stream back as they
  come: an upload or an export never sits in the gateway's memory. The body limit is enforced on
  the bytes actually received.
- Retries only where sending again cannot do anything twice: idempotent methods (RFC 9110 §9.2.2:
  GET, HEAD, OPTIONS, TRACE, PUT, DELETE) after a failure to connect or a connection that broke
  before any answer; never POST or PATCH, never after a timeout waiting for the answer (the upstream
  may be working on it), and never for a body too large to keep for a second attempt.
- A circuit breaker per upstream; failures are connection errors, timeouts and 502/503/504 answers.
- Failures become problem+json: 503 unreachable or circuit open (with ``Retry-After``), 504
  timeout, 502 broken or invalid answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry import propagate, trace
from starlette.types import Message, Receive, Scope, Send

from vextrus.services.gateway.breaker import CircuitBreaker
from vextrus.services.gateway.metrics import CIRCUIT_BREAKER_STATE, UPSTREAM_DURATION, UPSTREAM_RETRIES
from vextrus.services.gateway.settings import GatewaySettings
from vextrus.services.gateway.upstream_http import (
    ConnectFailed,
    ConnectTimedOut,
    Disconnected,
    InvalidResponse,
    PoolTimedOut,
    ReadTimedOut,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    WriteTimedOut,
)

log = structlog.get_logger("vextrus.gateway")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
FAILURE_STATUSES = frozenset({502, 503, 504})
FEDERATION_ERRORS_HEADER = b"x-vextrus-federation-errors"

# Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the gateway sets itself.
_REQUEST_DROP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"expect",
        b"host",
        b"content-length",
        b"forwarded",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-request-id",
    }
)
# ...and in answers, also what the gateway's own request middleware adds (no duplicates).
_RESPONSE_DROP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"date",
        b"server",
        b"x-request-id",
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"strict-transport-security",
        FEDERATION_ERRORS_HEADER,
    }
)
# Past this many bytes of an answer, the client's disconnect is watched for while streaming.
_WATCH_DISCONNECT_ABOVE = 1024 * 1024


class ProxyError(Exception):
    """The gateway answers the client itself (no upstream answer to pass on)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        detail_bn: str,
        *,
        reason: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.detail_bn = detail_bn
        self.reason = reason
        self.retry_after = retry_after


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class ClientDisconnected(Exception):
    """The client went away while its request was being forwarded."""


class UpstreamAborted(Exception):
    """The upstream failed after its answer had started: the client's connection is aborted."""


def body_too_large(limit: int) -> ProxyError:
    return ProxyError(
        413,
        "payload_too_large",
        f"The request body is larger than {limit} bytes",
        f"অনুরোধের আকার {limit} বাইটের বেশি",
        reason="body_too_large",
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body (for small bodies kept to be sent again)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def stream_body(receive: Receive, limit: int, done: list[bool]) -> AsyncIterator[bytes]:
    """The request body chunk by chunk as the client sends it; sets ``done[0]`` at its end."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            done[0] = True
            return


@dataclass(frozen=True)
class Forwarded:
    status: int
    federation_errors: int = 0


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class Upstream:
    """A service the gateway forwards to: its URL, connection pool and circuit breaker."""

    def __init__(self, name: str, url: str, settings: GatewaySettings) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.settings = settings
        self.pool = UpstreamPool(
            self.url,
            max_connections=settings.upstream_max_connections,
            max_idle=settings.upstream_max_keepalive,
            connect_timeout=settings.upstream_connect_timeout_seconds,
            read_timeout=settings.upstream_read_timeout_seconds,
            write_timeout=settings.upstream_write_timeout_seconds,
            pool_timeout=settings.upstream_pool_timeout_seconds,
            keepalive_seconds=settings.upstream_keepalive_seconds,
        )
        self.breaker = CircuitBreaker(settings.breaker_failure_threshold, settings.breaker_open_seconds)
        CIRCUIT_BREAKER_STATE.labels(name).set_function(lambda: float(self.breaker.state))
        self._duration = UPSTREAM_DURATION.labels(name)
        self._retries = UPSTREAM_RETRIES.labels(name)

    async def aclose(self) -> None:
        await self.pool.aclose()

    async def probe(self, path: str, limit_seconds: float) -> int:
        """Status of a GET outside client traffic (health probes), no breaker involved."""
        async with asyncio.timeout(limit_seconds):
            response = await self.pool.request("GET", path.encode(), [(b"accept", b"application/json")])
            try:
                await response.read()
            finally:
                await response.aclose()
        return response.status

    def _headers(self, scope: Scope, request_id: str) -> list[tuple[bytes, bytes]]:
        headers = [(key, value) for key, value in scope["headers"] if key not in _REQUEST_DROP]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", str(client[0]).encode("latin-1")))
        headers.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode("latin-1")))
        host = _header(scope, b"host")
        if host:
            headers.append((b"x-forwarded-host", host))
        headers.append((b"x-request-id", request_id.encode("latin-1")))
        if trace.get_current_span().get_span_context().is_valid:  # tracing on: continue our span
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            if carrier:
                headers = [(key, value) for key, value in headers if key not in (b"traceparent", b"tracestate")]
                headers.extend((key.encode("latin-1"), value.encode("latin-1")) for key, value in carrier.items())
        return headers

    @staticmethod
    def _target(scope: Scope) -> bytes:
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string") or b""
        return bytes(raw_path) + (b"?" + query if query else b"")

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        request_id: str,
        body_limit: int,
        body: bytes | None = None,
    ) -> Forwarded:
        """Send the request upstream and stream the answer back; raise :class:`ProxyError` for a
        failure before the answer started (the caller answers with a problem)."""
        method = scope["method"]
        headers = self._headers(scope, request_id)
        length_header = _header(scope, b"content-length")
        chunked = _header(scope, b"transfer-encoding") is not None
        length = int(length_header) if length_header and length_header.isdigit() else 0
        body_done = [True]
        content: bytes | AsyncIterator[bytes] | None
        content_length: int | None = None
        replayable = True
        try:
            if body is not None:
                content = body
            elif not chunked and length == 0:
                content = None
            elif method in IDEMPOTENT_METHODS and not chunked and length <= self.settings.retry_body_max_bytes:
                content = await read_body(receive, body_limit)
            else:
                body_done[0] = False
                content = stream_body(receive, body_limit, body_done)
                content_length = None if chunked else length
                replayable = False
        except BodyTooLarge as error:
            raise body_too_large(error.limit) from None
        attempts = 1 + (self.settings.retry_attempts if method in IDEMPOTENT_METHODS and replayable else 0)
        response = await self._send(method, self._target(scope), headers, content, content_length, attempts)
        federation_errors = 0
        raw_errors = response.header(FEDERATION_ERRORS_HEADER)
        if raw_errors and raw_errors.isdigit():
            federation_errors = int(raw_errors)
        await self._stream_back(response, method, receive, send, watch=body_done[0])
        return Forwarded(response.status, federation_errors)

    async def _send(
        self,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        content: bytes | AsyncIterator[bytes] | None,
        content_length: int | None,
        attempts: int,
    ) -> UpstreamResponse:
        for attempt in range(attempts):
            if not self.breaker.allow():
                retry_after = self.breaker.retry_after()
                raise ProxyError(
                    503,
                    "service_unavailable",
                    f"The {self.name} service keeps failing; the gateway is not sending it requests for now",
                    f"{self.name} সেবাটি বারবার ব্যর্থ হচ্ছে; কিছুক্ষণ অনুরোধ পাঠানো বন্ধ আছে",
                    reason="circuit_open",
                    retry_after=retry_after or 1.0,
                )
            started = time.perf_counter()
            try:
                response = await self.pool.request(method, target, headers, content, content_length=content_length)
            except BodyTooLarge as error:
                self.breaker.release()
                raise body_too_large(error.limit) from None
            except ClientDisconnected:
                self.breaker.release()
                raise
            except PoolTimedOut:
                self.breaker.release()
                raise ProxyError(
                    503,
                    "service_unavailable",
                    f"Too many requests are waiting for the {self.name} service",
                    f"{self.name} সেবার জন্য অনেক অনুরোধ অপেক্ষায় আছে",
                    reason="pool_exhausted",
                    retry_after=1.0,
                ) from None
            except (ConnectFailed, ConnectTimedOut, Disconnected) as error:
                # Nothing was answered: an idempotent request with a body kept in memory may go again.
                self.breaker.failure()
                if attempt + 1 < attempts:
                    self._retries.inc()
                    await asyncio.sleep(self.settings.retry_backoff_seconds * 2**attempt)
                    continue
                raise self._transport_problem(error) from None
            except UpstreamError as error:
                self.breaker.failure()
                raise self._transport_problem(error) from None
            self._duration.observe(time.perf_counter() - started)
            if response.status in FAILURE_STATUSES:
                self.breaker.failure()
            else:
                self.breaker.success()
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _transport_problem(self, error: UpstreamError) -> ProxyError:
        name = self.name
        log.warning("upstream_failed", upstream=name, error=f"{type(error).__name__}: {error}"[:300])
        if isinstance(error, ConnectTimedOut | ReadTimedOut | WriteTimedOut):
            return ProxyError(
                504,
                "upstream_timeout",
                f"The {name} service did not answer in time",
                f"{name} সেবাটি সময়মতো সাড়া দেয়নি",
                reason="timeout",
            )
        if isinstance(error, ConnectFailed):
            return ProxyError(
                503,
                "service_unavailable",
                f"The {name} service is unreachable",
                f"{name} সেবাটিতে পৌঁছানো যাচ্ছে না",
                reason="unreachable",
                retry_after=1.0,
            )
        assert isinstance(error, Disconnected | InvalidResponse)
        return ProxyError(
            502,
            "bad_gateway",
            f"The {name} service broke the connection or sent an invalid answer",
            f"{name} সেবাটি সংযোগ ভেঙে দিয়েছে বা সঠিক উত্তর দেয়নি",
            reason="bad_gateway",
        )

    async def _stream_back(
        self, response: UpstreamResponse, method: str, receive: Receive, send: Send, *, watch: bool
    ) -> None:
        """Send the answer on as it arrives. Past the first megabyte (an export, not an API answer)
        the client's disconnect is watched for, so a client that left stops the transfer."""
        headers = [(key, value) for key, value in response.headers if key not in _RESPONSE_DROP]
        chunks = response.stream()
        try:
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            sent = 0
            try:
                async for chunk in chunks:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    sent += len(chunk)
                    if watch and sent > _WATCH_DISCONNECT_ABOVE and method != "HEAD":
                        await _until_disconnect(self._pump(chunks, send), receive)
                        return
            except UpstreamError as error:
                raise self._broke_mid_answer(error) from None
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    async def _pump(self, chunks: AsyncIterator[bytes], send: Send) -> None:
        try:
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except UpstreamError as error:
            raise self._broke_mid_answer(error) from None
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _broke_mid_answer(self, error: UpstreamError) -> UpstreamAborted:
        self.breaker.failure()
        log.warning("upstream_broke_mid_answer", upstream=self.name, error=f"{type(error).__name__}: {error}"[:300])
        return UpstreamAborted(f"{self.name} failed while its answer was being sent")


async def _until_disconnect(pump: Coroutine[Any, Any, None], receive: Receive) -> None:
    """Run ``pump`` (sending the answer) until it ends or the client disconnects."""

    async def disconnected() -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                return

    sender = asyncio.ensure_future(pump)
    watcher = asyncio.ensure_future(disconnected())
    try:
        done, _ = await asyncio.wait({sender, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, watcher):
            if not task.done():
                task.cancel()
        await asyncio.gather(sender, watcher, return_exceptions=True)
    if sender in done:
        sender.result()  # re-raise what the pump raised
