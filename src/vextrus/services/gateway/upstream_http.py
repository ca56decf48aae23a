"""A lean HTTP/1.1 client for the gateway's upstream calls: asyncio protocols, the httptools parser
(C, the one uvicorn uses), a keep-alive connection pool per upstream, streaming both ways.

Why not httpx: measured on the benchmark machine, one request through httpx's transport costs about
1 ms of CPU (httpcore, anyio, h11 in pure Python), this client about 30 µs; the gateway pays it
on every request (docs/benchmarks.md). httpx stays for everything that is not the hot path.

What it does: request head and body written with backpressure (``transport.write`` then wait while
the socket buffer is full); a body of unknown length goes ``Transfer-Encoding: chunked``; the answer's
head is awaited with the read timeout, its body is handed out chunk by chunk as it arrives, reading
paused while more than ``_HIGH_WATER`` bytes wait for the consumer. A connection goes back to the
pool only after a complete exchange both sides want to keep alive; anything else closes it.
Timeouts: connect, read (head, and between body chunks), write (a full socket buffer), pool (no
free connection). Errors are the classes below; :class:`Disconnected` before any answer means the
upstream may or may not have acted on the request (retry idempotent requests only).
"""

from __future__ import annotations

import asyncio
import select
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httptools

_HIGH_WATER = 256 * 1024  # queued answer bytes above which the socket is not read
_LOW_WATER = 64 * 1024

Headers = list[tuple[bytes, bytes]]


class UpstreamError(Exception):
    """A failure talking to the upstream."""


class ConnectFailed(UpstreamError):
    """No connection could be made (refused, unreachable): nothing was sent."""


class ConnectTimedOut(UpstreamError):
    """The connection was not established in time: nothing was sent."""


class PoolTimedOut(UpstreamError):
    """No connection became free in time (too many requests in flight)."""


class Disconnected(UpstreamError):
    """The upstream closed the connection before its answer was complete."""


class ReadTimedOut(UpstreamError):
    """The upstream did not send its answer (or the next part of it) in time."""


class WriteTimedOut(UpstreamError):
    """The upstream did not take the request (its body) in time."""


class InvalidResponse(UpstreamError):
    """The upstream's answer is not valid HTTP/1.1."""


class _Exchange:
    """One request/answer on a connection: the answer's head, then its body as it arrives."""

    def __init__(self, connection: _Connection, head_only: bool) -> None:
        self.connection = connection
        self.head_only = head_only
        self.head: asyncio.Future[tuple[int, Headers]] = asyncio.get_running_loop().create_future()
        self.headers: Headers = []
        self.chunks: deque[bytes] = deque()
        self.queued = 0
        self.waiter: asyncio.Future[None] | None = None
        self.complete = False
        self.error: UpstreamError | None = None
        self.until_close = False  # no length, not chunked: the body ends when the connection does
        self.received_any = False

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def fail(self, error: UpstreamError) -> None:
        if self.complete or self.error is not None:
            return
        self.error = error
        if not self.head.done():
            self.head.set_exception(error)
            self.head.exception()  # retrieved: never "exception was never retrieved"
        self._wake()

    def finish(self) -> None:
        self.complete = True
        self._wake()


class _Connection(asyncio.Protocol):
    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool
        self.transport: Any = None  # asyncio's or uvloop's TCP transport
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.reusable = True
        self.idle_since = 0.0
        self.exchange: _Exchange | None = None
        self._writable: asyncio.Future[None] | None = None
        self._reading_paused = False

    # ---- asyncio ----
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        exchange = self.exchange
        if exchange is None or exchange.complete:  # more than was asked for: a broken connection
            self.close()
            return
        exchange.received_any = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.reusable = False
        except httptools.HttpParserError as error:
            self.reusable = False
            exchange.fail(InvalidResponse(f"invalid answer: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        exchange = self.exchange
        if exchange is not None and not exchange.complete:
            if exchange.until_close and exchange.head.done():
                exchange.finish()
            else:
                exchange.fail(Disconnected("the upstream closed the connection before its answer was complete"))

    def pause_writing(self) -> None:
        if self._writable is None or self._writable.done():
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    # ---- httptools callbacks ----
    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.exchange is not None
        self.exchange.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        exchange = self.exchange
        assert exchange is not None
        status = self.parser.get_status_code()
        names = {name for name, _ in exchange.headers}
        if not self.parser.should_keep_alive():
            self.reusable = False
        if exchange.head.done():  # the exchange already failed (timed out)
            self.reusable = False
            return
        if exchange.head_only or status in (204, 304):
            exchange.head.set_result((status, exchange.headers))
            exchange.finish()
            if exchange.head_only:
                self.reusable = False  # the parser would wait for a body a HEAD answer does not have
            return
        exchange.until_close = b"content-length" not in names and b"transfer-encoding" not in names
        if exchange.until_close:
            self.reusable = False
        exchange.head.set_result((status, exchange.headers))

    def on_body(self, body: bytes) -> None:
        exchange = self.exchange
        assert exchange is not None
        if exchange.head_only:
            return
        exchange.chunks.append(body)
        exchange.queued += len(body)
        if exchange.queued > _HIGH_WATER and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()
        exchange._wake()

    def on_message_complete(self) -> None:
        if self.exchange is not None and not self.exchange.complete:
            self.exchange.finish()

    # ---- used by the pool ----
    def resume_reading_if_drained(self, exchange: _Exchange) -> None:
        if self._reading_paused and exchange.queued < _LOW_WATER and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()

    async def write(self, data: bytes, limit_seconds: float) -> None:
        if self.closed or self.transport is None:
            raise Disconnected("the connection to the upstream is closed")
        self.transport.write(data)
        writable = self._writable
        if writable is not None and not writable.done():
            try:
                async with asyncio.timeout(limit_seconds):
                    await writable
            except TimeoutError:
                raise WriteTimedOut("the upstream did not take the request in time") from None
        if self.closed:
            raise Disconnected("the upstream closed the connection while the request was being sent")

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None and not self.closed:
            self.transport.close()

    def dropped(self) -> bool:
        """An idle connection the upstream has closed (or written to) though the loop has not
        noticed yet: readable while nothing was asked means end of stream or garbage."""
        if self.closed or self.transport is None:
            return True
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return False
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class UpstreamResponse:
    """An answer whose body is read with :meth:`stream`; :meth:`aclose` gives the connection back."""

    def __init__(self, pool: UpstreamPool, connection: _Connection, exchange: _Exchange, status: int, headers: Headers):
        self.status = status
        self.headers = headers
        self._pool = pool
        self._connection = connection
        self._exchange = exchange
        self._released = False

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    async def stream(self) -> AsyncIterator[bytes]:
        exchange, connection = self._exchange, self._connection
        loop = asyncio.get_running_loop()
        while True:
            while exchange.chunks:
                chunk = exchange.chunks.popleft()
                exchange.queued -= len(chunk)
                connection.resume_reading_if_drained(exchange)
                yield chunk
            if exchange.complete:
                return
            if exchange.error is not None:
                raise exchange.error
            exchange.waiter = loop.create_future()
            try:
                async with asyncio.timeout(self._pool.read_timeout):
                    await exchange.waiter
            except TimeoutError:
                raise ReadTimedOut("the upstream stopped sending its answer") from None
            finally:
                exchange.waiter = None

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.stream()])

    async def aclose(self) -> None:
        if self._released:
            return
        self._released = True
        complete = self._exchange.complete and not self._exchange.chunks
        self._pool._release(self._connection, reuse=complete and self._connection.reusable)


class UpstreamPool:
    """Keep-alive connections to one upstream (``http://host:port`` or ``https://...``)."""

    def __init__(
        self,
        url: str,
        *,
        max_connections: int,
        max_idle: int,
        connect_timeout: float,
        read_timeout: float,
        write_timeout: float,
        pool_timeout: float,
        keepalive_seconds: float = 30.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream URL {url!r} must be http(s)://host[:port][/prefix]")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/").encode()
        self.host_header = parts.netloc.encode()
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self.pool_timeout = pool_timeout
        self.keepalive_seconds = keepalive_seconds
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self), self.host, self.port, ssl=self._ssl
                )
        except TimeoutError:
            raise ConnectTimedOut(f"no connection to {self.host}:{self.port} in {self.connect_timeout:g} s") from None
        except OSError as error:
            raise ConnectFailed(f"cannot connect to {self.host}:{self.port}: {error.strerror or error}") from None
        return connection

    async def _acquire(self) -> _Connection:
        try:
            async with asyncio.timeout(self.pool_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolTimedOut(f"no free connection to {self.host}:{self.port}") from None
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.idle_since < self.keepalive_seconds and not connection.dropped():
                return connection
            connection.close()
        try:
            return await self._connect()
        except BaseException:
            self._slots.release()
            raise

    def _release(self, connection: _Connection, *, reuse: bool) -> None:
        connection.exchange = None
        if reuse and not connection.closed and len(self._idle) < self.max_idle:
            connection.idle_since = time.monotonic()
            connection.parser = httptools.HttpResponseParser(connection)
            self._idle.append(connection)
        else:
            connection.close()
        self._slots.release()

    def _head(self, method: bytes, target: bytes, headers: Sequence[tuple[bytes, bytes]], framing: bytes) -> bytes:
        lines = [method, b" ", self.prefix, target, b" HTTP/1.1\r\nhost: ", self.host_header, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        lines += (framing, b"\r\n")
        return b"".join(lines)

    async def request(
        self,
        method: str,
        target: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes | AsyncIterator[bytes] | None = None,
        *,
        content_length: int | None = None,
    ) -> UpstreamResponse:
        """Send a request (``target``: path and query, raw) and wait for the answer's head.

        ``headers`` must not carry Host or framing headers (Content-Length, Transfer-Encoding):
        the framing follows ``body`` — its length for bytes, ``content_length`` for a stream of
        known length, chunked otherwise.
        """
        connection = await self._acquire()
        exchange = _Exchange(connection, head_only=method == "HEAD")
        connection.exchange = exchange
        verb = method.encode("ascii")
        try:
            if body is None:
                framing = b"content-length: 0\r\n" if method in ("POST", "PUT", "PATCH") else b""
                await connection.write(self._head(verb, target, headers, framing), self.write_timeout)
            elif isinstance(body, bytes):
                framing = b"content-length: %d\r\n" % len(body)
                await connection.write(self._head(verb, target, headers, framing) + body, self.write_timeout)
            else:
                chunked = content_length is None
                framing = (
                    b"transfer-encoding: chunked\r\n"
                    if content_length is None
                    else b"content-length: %d\r\n" % content_length
                )
                await connection.write(self._head(verb, target, headers, framing), self.write_timeout)
                async for chunk in body:
                    if chunk:
                        data = b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk
                        await connection.write(data, self.write_timeout)
                if chunked:
                    await connection.write(b"0\r\n\r\n", self.write_timeout)
            try:
                async with asyncio.timeout(self.read_timeout):
                    status, response_headers = await exchange.head
            except TimeoutError:
                raise ReadTimedOut(f"no answer from {self.host}:{self.port} in {self.read_timeout:g} s") from None
        except BaseException:
            connection.close()
            self._release(connection, reuse=False)
            raise
        return UpstreamResponse(self, connection, exchange, status, response_headers)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def state(self) -> dict[str, Any]:
        return {"idle": len(self._idle)}
