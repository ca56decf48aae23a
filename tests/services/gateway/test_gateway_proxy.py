"""Distributed mode: the gateway forwards /api/v1/<key> to the owning service over real sockets.

The upstream is a real server in a subprocess (gateway_servers.py probe); the gateway runs in
this process. Killing the upstream, a slow upstream, failing answers, and an upstream that drops
connections show the 503/504/502 problems, the circuit breaker and the retry rules."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_support import PROBE_KEY, Gateway, Process, bearer, free_port, gateway, gateway_events, sample

from vextrus.kit.security import TokenIssuer


@asynccontextmanager
async def through_gateway(tmp_path: Path, probe: Process, **gateway_settings: Any) -> AsyncIterator[Gateway]:
    routes = {PROBE_KEY: "probe", **gateway_settings.pop("routes", {})}
    urls = {"probe": probe.url, **gateway_settings.pop("service_urls", {})}
    async with gateway(
        tmp_path,
        gateway_settings={"routes": routes, **gateway_settings},
        service_urls=urls,
        jwks_url=f"{probe.url}/.well-known/jwks.json",
    ) as handle:
        yield handle


async def test_requests_reach_the_owning_service_with_forwarding_headers_and_no_client_identity(
    tmp_path: Path, probe: Process, issuer: TokenIssuer
) -> None:
    tenant = uuid.uuid4()
    token = bearer(issuer, tenant, "probe.self.read")
    spoofed = {
        "X-Tenant-ID": str(uuid.uuid4()),
        "X-User-ID": str(uuid.uuid4()),
        "X-Principal": "admin",
        "X-Vextrus-Internal": "1",
        "X-Company-ID": str(uuid.uuid4()),
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "X-Request-ID": "client-chosen-id",
    }
    async with through_gateway(tmp_path, probe) as gw:
        before = sample("gateway_requests_total", {"route": PROBE_KEY, "upstream": "probe", "status": "200"})
        response = await gw.client.get(f"{PROBE_KEY}/echo", params={"q": "ঢাকা 1"}, headers={**token, **spoofed})
        assert response.status_code == 200, response.text
        seen = response.json()
        headers = seen["headers"]
        for name in ("x-tenant-id", "x-user-id", "x-principal", "x-vextrus-internal"):
            assert name not in headers
        assert headers["authorization"] == token["Authorization"]  # the service verifies it again
        assert headers["x-company-id"] == spoofed["X-Company-ID"]  # checked against the token by the service
        assert headers["traceparent"] == spoofed["traceparent"]
        assert headers["x-forwarded-for"] == "203.0.113.7"
        assert headers["x-forwarded-host"] == "gateway.test"
        assert headers["x-request-id"] == response.headers["x-request-id"] == "client-chosen-id"
        assert seen["query"] == "q=%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE+1"
        assert response.headers.get_list("x-request-id") == ["client-chosen-id"]
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]
        assert (
            sample("gateway_requests_total", {"route": PROBE_KEY, "upstream": "probe", "status": "200"}) == before + 1
        )
        whoami = await gw.client.get(f"{PROBE_KEY}/whoami", headers=token)
        assert whoami.json() == {"tenant": str(tenant), "subject": whoami.json()["subject"]}
        metrics = (await gw.client.get("/metrics")).text
    assert 'route="/api/v1/probe/{path}"' in metrics  # the kit's RED metrics label forwarded requests


async def test_with_tracing_on_the_service_continues_the_gateways_span(tmp_path: Path, probe: Process) -> None:
    client_trace = "0af7651916cd43dd8448eb211c80319c"
    incoming = f"00-{client_trace}-b7ad6b7169203331-01"
    async with gateway(
        tmp_path,
        gateway_settings={"routes": {PROBE_KEY: "probe"}},
        service_urls={"probe": probe.url},
        otlp_endpoint=f"http://127.0.0.1:{free_port()}",  # spans are made (their export fails: no collector)
    ) as gw:
        response = await gw.client.get(f"{PROBE_KEY}/echo", headers={"traceparent": incoming})
    forwarded = response.json()["headers"]["traceparent"]
    version, trace_id, parent, flags = forwarded.split("-")
    assert (version, trace_id, flags) == ("00", client_trace, "01")  # the same trace...
    assert parent != "b7ad6b7169203331"  # ...continued from the gateway's own span


async def test_bad_credentials_are_refused_and_reported_without_a_flood_of_events(
    tmp_path: Path, probe: Process
) -> None:
    async with through_gateway(tmp_path, probe) as gw:
        failures_before = sample("gateway_auth_failures_total", {"reason": "unauthorized"})
        for _ in range(5):
            response = await gw.client.get(f"{PROBE_KEY}/whoami", headers={"Authorization": "Bearer not-a-token"})
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
        assert sample("gateway_auth_failures_total", {"reason": "unauthorized"}) == failures_before + 5
        events = await gateway_events(gw, "gateway.auth.failed")
    assert len(events) == 1  # sampled: one event per client address per window
    assert events[0]["client_ip"] == "203.0.113.7"
    assert events[0]["rejected"] == 1
    assert events[0]["_tenantid"] is None


async def test_a_killed_upstream_is_a_503_then_the_circuit_opens_half_opens_and_closes(
    tmp_path: Path, probe: Process
) -> None:
    settings = {"breaker_failure_threshold": 2, "breaker_open_seconds": 1.0, "retry_attempts": 0}
    async with through_gateway(tmp_path, probe, **settings) as gw:
        state = {"upstream": "probe"}
        assert (await gw.client.get(f"{PROBE_KEY}/echo")).status_code == 200
        assert sample("gateway_circuit_breaker_state", state) == 0
        probe.kill()
        unreachable = await gw.client.get(f"{PROBE_KEY}/echo")
        assert unreachable.status_code == 503
        body = unreachable.json()
        assert body["code"] == "service_unavailable"
        assert body["upstream"] == "probe"
        assert "unreachable" in body["detail"]
        assert unreachable.headers["retry-after"] == "1"
        assert (await gw.client.get(f"{PROBE_KEY}/echo")).status_code == 503  # second failure: opens
        assert sample("gateway_circuit_breaker_state", state) == 1
        started = time.monotonic()
        refused = await gw.client.get(f"{PROBE_KEY}/echo")
        assert time.monotonic() - started < 0.2  # refused at once, no connection attempted
        assert refused.status_code == 503
        assert "keeps failing" in refused.json()["detail"]
        assert int(refused.headers["retry-after"]) >= 1
        ready = (await gw.client.get("/health/ready")).json()
        probe_state = ready["checks"]["upstreams"]["upstreams"]["probe"]
        assert (probe_state["state"], probe_state["breaker"]) == ("down", "open")
        assert ready["checks"]["upstreams"]["available"].startswith("0/")
        await asyncio.sleep(1.1)
        assert sample("gateway_circuit_breaker_state", state) == 2  # half-open: one trial may go
        await asyncio.to_thread(probe.start)
        trial = await gw.client.get(f"{PROBE_KEY}/echo")
        assert trial.status_code == 200
        assert sample("gateway_circuit_breaker_state", state) == 0
        assert (await gw.client.get("/health/ready")).status_code == 200


async def test_upstream_503_answers_count_as_failures(tmp_path: Path, probe: Process) -> None:
    async with through_gateway(tmp_path, probe, breaker_failure_threshold=3, breaker_open_seconds=30) as gw:
        for _ in range(3):
            passed_on = await gw.client.get(f"{PROBE_KEY}/status/503")
            assert passed_on.status_code == 503
            assert passed_on.json() == {"status": 503}  # the upstream's own answer, passed on
        # 404 is the upstream's verdict on the request, not a failure of the upstream
        refused = await gw.client.get(f"{PROBE_KEY}/status/404")
        assert refused.status_code == 503
        assert refused.json()["code"] == "service_unavailable"
        assert sample("gateway_circuit_breaker_state", {"upstream": "probe"}) == 1


async def test_a_slow_upstream_is_a_504(tmp_path: Path, probe: Process) -> None:
    async with through_gateway(tmp_path, probe, upstream_read_timeout_seconds=0.5) as gw:
        started = time.monotonic()
        response = await gw.client.get(f"{PROBE_KEY}/slow", params={"seconds": 3})
        elapsed = time.monotonic() - started
        assert response.status_code == 504
        assert response.json()["code"] == "upstream_timeout"
        assert response.headers["content-type"] == "application/problem+json"
        assert elapsed < 2.0
        fast = await gw.client.get(f"{PROBE_KEY}/slow", params={"seconds": 0.1})
        assert fast.status_code == 200


async def test_an_upstream_without_a_url_is_a_503_naming_the_setting(tmp_path: Path, probe: Process) -> None:
    async with through_gateway(tmp_path, probe, routes={"/api/v1/nowhere": "nowhere"}) as gw:
        response = await gw.client.get("/api/v1/nowhere/x")
        unknown = await gw.client.get("/api/v1/unknown-service/x")
        ready = (await gw.client.get("/health/ready")).json()
    assert response.status_code == 503
    assert "VEXTRUS_SERVICE_URLS" in response.json()["detail"]
    assert unknown.status_code == 404  # no service owns it
    assert unknown.headers["content-type"] == "application/problem+json"
    assert ready["checks"]["upstreams"]["upstreams"]["nowhere"]["state"] == "unconfigured"


async def test_operators_see_the_route_table_and_the_breakers(
    tmp_path: Path, probe: Process, issuer: TokenIssuer
) -> None:
    async with through_gateway(tmp_path, probe) as gw:
        await gw.client.get(f"{PROBE_KEY}/echo")
        tenant_admin = await gw.client.get("/api/v1/gateway/routes", headers=bearer(issuer, uuid.uuid4(), "*"))
        operator = await gw.client.get(
            "/api/v1/gateway/routes", headers=bearer(issuer, uuid.uuid4(), "platform.gateway.read")
        )
    assert tenant_admin.status_code == 403  # '*' inside a tenant does not cover platform.*
    assert operator.status_code == 200
    body = operator.json()
    assert body["mode"] == "distributed"
    routes = {item["key"]: (item["upstream"], item["where"]) for item in body["routes"]}
    assert routes[PROBE_KEY] == ("probe", "remote")
    assert routes["/api/v1/gateway"] == ("gateway", "local")
    assert routes["/api/v1/configuration"] == ("configuration", "unconfigured")
    assert body["upstreams"] == [{"name": "probe", "url": probe.url, "breaker": "closed", "retry_after_seconds": 0.0}]


async def test_body_limits_refuse_by_declared_length_and_by_bytes_read(tmp_path: Path, probe: Process) -> None:
    limit = 256 * 1024
    async with through_gateway(tmp_path, probe, max_body_bytes=limit) as gw:
        key = {"X-Probe-Key": uuid.uuid4().hex}
        declared = await gw.client.put(f"{PROBE_KEY}/echo", content=b"x" * (limit + 1), headers=key)
        assert declared.status_code == 413
        assert declared.json()["code"] == "payload_too_large"

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(8):
                yield b"y" * (64 * 1024)

        streamed = await gw.client.post(f"{PROBE_KEY}/upload", content=chunks())
        assert streamed.status_code == 413
        fits = await gw.client.put(f"{PROBE_KEY}/echo", content=b"z" * limit, headers=key)
        assert fits.status_code == 200
        assert fits.json()["hits"] == 1  # the refused request never reached the service


OK_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"


class DroppingServer:
    """A raw HTTP/1.1 server that closes the first ``drops`` connections without answering, then
    answers ``answer``."""

    def __init__(self, drops: int, answer: bytes = OK_ANSWER) -> None:
        self.drops = drops
        self.answer = answer
        self.attempts: list[tuple[str, int]] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ")[0]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            chunked = any(line.lower().startswith("transfer-encoding") for line in lines[1:])
            if length:
                await reader.readexactly(length)
            elif chunked:
                while (await reader.readline()).strip() != b"0":
                    pass
            self.attempts.append((method, length))
            if len(self.attempts) <= self.drops:
                return  # closed without a word
            writer.write(self.answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> DroppingServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.parametrize(
    ("method", "body_bytes", "drops", "status", "attempts"),
    [
        ("GET", 0, 1, 200, 2),
        ("GET", 0, 2, 200, 3),
        ("GET", 0, 5, 502, 3),  # one try and two retries, then a 502
        ("HEAD", 0, 1, 200, 2),
        ("OPTIONS", 0, 1, 200, 2),
        ("DELETE", 0, 1, 200, 2),
        ("PUT", 1000, 1, 200, 2),  # idempotent, and its small body was kept to send again
        ("PUT", 200_000, 1, 502, 1),  # too large to keep: streamed once, never again
        ("POST", 10, 1, 502, 1),  # not idempotent: never sent twice
        ("PATCH", 10, 1, 502, 1),
    ],
)
async def test_only_idempotent_requests_are_retried(
    tmp_path: Path, method: str, body_bytes: int, drops: int, status: int, attempts: int
) -> None:
    async with DroppingServer(drops) as upstream:
        async with gateway(
            tmp_path,
            gateway_settings={"routes": {"/api/v1/flaky": "flaky"}, "retry_backoff_seconds": 0.01},
            service_urls={"flaky": f"http://127.0.0.1:{upstream.port}"},
        ) as gw:
            response = await gw.client.request(method, "/api/v1/flaky/thing", content=b"b" * body_bytes or None)
        assert response.status_code == status, response.text
        if status == 502:
            assert response.json()["code"] == "bad_gateway"
        assert [attempt[0] for attempt in upstream.attempts] == [method] * attempts
        assert all(length == body_bytes for _, length in upstream.attempts)


async def test_a_refused_connection_is_retried_for_a_get_only(tmp_path: Path) -> None:
    closed = free_port()
    async with gateway(
        tmp_path,
        gateway_settings={"routes": {"/api/v1/gone": "gone"}, "retry_backoff_seconds": 0.01},
        service_urls={"gone": f"http://127.0.0.1:{closed}"},
    ) as gw:
        before = sample("gateway_upstream_retries_total", {"upstream": "gone"})
        get = await gw.client.get("/api/v1/gone/x")
        after_get = sample("gateway_upstream_retries_total", {"upstream": "gone"})
        post = await gw.client.post("/api/v1/gone/x", json={})
        after_post = sample("gateway_upstream_retries_total", {"upstream": "gone"})
    assert (get.status_code, post.status_code) == (503, 503)
    assert after_get - before == 2
    assert after_post == after_get


@pytest.mark.parametrize(
    ("answer", "status", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end", 200, b"until the end"),  # no length
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 200, b"abcde"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b""),
        (b"this is not HTTP\r\n\r\n", 502, None),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort", None, None),  # cut short: aborted
    ],
)
async def test_answers_of_every_framing_pass_through_and_garbage_is_a_502(
    tmp_path: Path, answer: bytes, status: int | None, body: bytes | None
) -> None:
    async with DroppingServer(0, answer) as upstream:
        async with gateway(
            tmp_path,
            gateway_settings={"routes": {"/api/v1/raw": "raw"}},
            service_urls={"raw": f"http://127.0.0.1:{upstream.port}"},
            serve=True,  # a real server in front, so a broken answer can abort the connection
        ) as gw:
            if status is None:
                with pytest.raises(httpx.RemoteProtocolError):
                    await gw.client.get("/api/v1/raw/x")
                return
            response = await gw.client.get("/api/v1/raw/x")
    assert response.status_code == status
    if body is not None:
        assert response.content == body
    else:
        assert response.json()["code"] == "bad_gateway"
