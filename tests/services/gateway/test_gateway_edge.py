"""Embedded mode: services in the gateway's process get the edge — identity headers stripped,
credentials checked, rate limits (memory), body limits, CORS, security headers, GraphQL operation
metrics — while calls between services in the process pass untouched. On both databases (the
gateway's events go to the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
import strawberry
from fastapi import APIRouter, Query, Request
from gateway_support import Gateway, gateway, gateway_events, sample

from vextrus.kit.security import PUBLIC, require
from vextrus.kit.service import GraphQLParts, Service, load_registry
from vextrus.kit.tenancy import Principal, current_tenant_id

BACKENDS = ["sqlite", "postgresql"]
KEY = "/api/v1/edge-probe"
router = APIRouter(prefix=KEY)


@router.api_route("/echo", methods=["GET", "POST"])
async def echo(request: Request, _: object = PUBLIC) -> dict[str, Any]:
    body = await request.body()
    return {"headers": dict(request.headers), "body_bytes": len(body), "tenant": str(current_tenant_id())}


@router.get("/me")
async def me(principal: Principal = require("edge-probe.self.read")) -> dict[str, str]:
    return {"tenant": str(principal.tenant_id)}


@router.get("/fanout")
async def fanout(
    request: Request, calls: Annotated[int, Query(ge=1, le=50)], principal: Principal = require("edge-probe.self.read")
) -> dict[str, list[int]]:
    """Calls this same service in process ``calls`` times, as one service calls another."""
    clients = request.app.state.runtime.clients
    statuses = []
    for _ in range(calls):
        response = await clients.request("edge-probe", "GET", f"{KEY}/me", principal=principal)
        statuses.append(response.status_code)
    return {"statuses": statuses}


@strawberry.type
class EdgeProbeQuery:
    @strawberry.field
    def edge_probe(self) -> str:
        return "pong"


@strawberry.type
class EdgeProbeMutation:
    @strawberry.mutation
    def edge_probe_touch(self) -> str:
        return "touched"


EDGE_PROBE = Service(
    name="edge-probe",
    port=39008,
    title="Edge probe",
    router=router,
    graphql=GraphQLParts(query=EdgeProbeQuery, mutation=EdgeProbeMutation),
    permissions={"edge-probe.self.read": ""},
)
CONFIGURATION = load_registry().get("configuration")


@asynccontextmanager
async def embedded(tmp_path: Path, database_url: str, **gateway_settings: Any) -> AsyncIterator[Gateway]:
    cors = gateway_settings.pop("cors_origins", [])
    async with gateway(
        tmp_path,
        services=[EDGE_PROBE, CONFIGURATION],
        gateway_settings=gateway_settings,
        database_url=database_url,
        cors_origins=cors,
    ) as handle:
        yield handle


def headers(handle: Gateway, tenant: uuid.UUID, *permissions: str, subject: uuid.UUID | None = None) -> dict[str, str]:
    issuer = handle.runtime.issuer
    assert issuer is not None
    principal = Principal(
        subject=subject or uuid.uuid4(), tenant_id=tenant, permissions=frozenset(permissions or ("*",))
    )
    return {"Authorization": f"Bearer {issuer.issue(principal)}"}


pytestmark = pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)


async def test_client_identity_headers_never_reach_a_service(tmp_path: Path, fresh_database_url: str) -> None:
    tenant = uuid.uuid4()
    spoofed = {"X-Tenant-ID": str(uuid.uuid4()), "X-User-ID": "u", "Remote-User": "root", "X-Vextrus-Service": "auth"}
    async with embedded(tmp_path, fresh_database_url) as gw:
        response = await gw.client.get(f"{KEY}/echo", headers={**headers(gw, tenant), **spoofed})
    assert response.status_code == 200
    seen = response.json()
    assert not {"x-tenant-id", "x-user-id", "remote-user", "x-vextrus-service"} & set(seen["headers"])
    assert seen["tenant"] == "None"  # a public route: no principal bound from a header, nor from the token


async def test_anonymous_clients_are_limited_per_address_with_retry_after_and_one_event(
    tmp_path: Path, fresh_database_url: str
) -> None:
    settings = {"rate_limit_ip_per_second": 0.5, "rate_limit_ip_burst": 3}
    async with embedded(tmp_path, fresh_database_url, **settings) as gw:
        hits_before = sample("gateway_rate_limit_hits_total", {"scope": "ip"})
        statuses = [(await gw.client.get(f"{KEY}/echo")).status_code for _ in range(3)]
        refused = await gw.client.get(f"{KEY}/echo")
        again = await gw.client.get(f"{KEY}/echo", headers={"Accept-Language": "bn"})
        probes = [(await gw.client.get(path)).status_code for path in ("/health", "/health/ready", "/metrics") * 3]
        events = await gateway_events(gw, "gateway.rate.limited")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"  # one token every 2 s
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["x-content-type-options"] == "nosniff"
    body = refused.json()
    assert (body["code"], body["limit"], body["status"]) == ("rate_limited", "ip", 429)
    assert body["request_id"] == refused.headers["x-request-id"]
    assert again.json()["title"] == "অনেক বেশি অনুরোধ"
    assert probes == [200] * 9  # health probes and metrics are never limited
    assert sample("gateway_rate_limit_hits_total", {"scope": "ip"}) == hits_before + 2
    assert len(events) == 1
    assert (events[0]["scope"], events[0]["key"], events[0]["route"]) == ("ip", "203.0.113.7", KEY)
    assert events[0]["_tenantid"] is None


async def test_users_and_tenants_are_limited_separately(tmp_path: Path, fresh_database_url: str) -> None:
    settings = {
        "rate_limit_user_per_second": 0.1,
        "rate_limit_user_burst": 2,
        "rate_limit_tenant_per_second": 0.1,
        "rate_limit_tenant_burst": 5,
    }
    tenant, other_tenant = uuid.uuid4(), uuid.uuid4()
    async with embedded(tmp_path, fresh_database_url, **settings) as gw:
        alice = headers(gw, tenant)
        first = [(await gw.client.get(f"{KEY}/me", headers=alice)).status_code for _ in range(3)]
        bob, carol = headers(gw, tenant), headers(gw, tenant)
        rest = [(await gw.client.get(f"{KEY}/me", headers=who)).status_code for who in (bob, bob, carol, carol)]
        tenant_refusal = await gw.client.get(f"{KEY}/me", headers=headers(gw, tenant))
        elsewhere = await gw.client.get(f"{KEY}/me", headers=headers(gw, other_tenant))
        events = await gateway_events(gw, "gateway.rate.limited")
    assert first == [200, 200, 429]
    assert rest == [200, 200, 200, 429]  # the tenant's five tokens are spent
    assert tenant_refusal.json()["limit"] == "tenant"
    assert elsewhere.status_code == 200
    scopes = {(event["scope"], event["_tenantid"]) for event in events}
    assert scopes == {("user", str(tenant)), ("tenant", str(tenant))}


async def test_calls_between_services_in_process_pass_the_edge_untouched(
    tmp_path: Path, fresh_database_url: str
) -> None:
    settings = {"rate_limit_user_per_second": 0.1, "rate_limit_user_burst": 2}
    async with embedded(tmp_path, fresh_database_url, **settings) as gw:
        response = await gw.client.get(f"{KEY}/fanout", params={"calls": 10}, headers=headers(gw, uuid.uuid4()))
    assert response.status_code == 200, response.text
    assert response.json()["statuses"] == [200] * 10


async def test_bad_credentials_are_refused_at_the_edge_only_where_a_permission_is_needed(
    tmp_path: Path, fresh_database_url: str
) -> None:
    expired = {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl"}
    async with embedded(tmp_path, fresh_database_url) as gw:
        before = sample("gateway_requests_rejected_total", {"reason": "auth_failed"})
        protected = await gw.client.get("/api/v1/configuration/settings", headers=expired)
        public = await gw.client.get(f"{KEY}/echo", headers=expired)
        wrong_scheme = await gw.client.get(f"{KEY}/me", headers={"Authorization": "Basic dTpw"})
        anonymous = await gw.client.get(f"{KEY}/me")
        rejected = sample("gateway_requests_rejected_total", {"reason": "auth_failed"}) - before
        events = await gateway_events(gw, "gateway.auth.failed")
    assert protected.status_code == 401
    assert protected.headers["www-authenticate"] == "Bearer"
    assert public.status_code == 200  # e.g. a login call carrying a stale token still works
    assert wrong_scheme.status_code == 401
    assert anonymous.status_code == 401  # the service's own answer: no credentials at all
    assert rejected == 2
    assert len(events) == 1  # one client address, one event per window
    assert events[0]["rejected"] == 1


async def test_body_limits_for_services_in_process(tmp_path: Path, fresh_database_url: str) -> None:
    async with embedded(tmp_path, fresh_database_url, max_body_bytes=4096) as gw:
        declared = await gw.client.post(f"{KEY}/echo", content=b"x" * 5000)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"y" * 1000

        streamed = await gw.client.post(f"{KEY}/echo", content=chunks())
        fits = await gw.client.post(f"{KEY}/echo", content=b"z" * 4096)
    assert declared.status_code == 413
    assert declared.json()["code"] == "payload_too_large"
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/problem+json"
    assert fits.status_code == 200
    assert fits.json()["body_bytes"] == 4096


async def test_cors_preflight_and_cors_on_the_edge_answers(tmp_path: Path, fresh_database_url: str) -> None:
    origin = "https://erp.meghna.com.bd"
    async with embedded(
        tmp_path, fresh_database_url, cors_origins=[origin], rate_limit_ip_per_second=0.01, rate_limit_ip_burst=1
    ) as gw:
        preflight = await gw.client.options(
            f"{KEY}/echo",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x"},
        )
        await gw.client.get(f"{KEY}/echo", headers={"Origin": origin})
        limited = await gw.client.get(f"{KEY}/echo", headers={"Origin": origin})
        stranger = await gw.client.get("/health", headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert limited.status_code == 429
    assert limited.headers["access-control-allow-origin"] == origin  # a browser can read the 429
    assert "retry-after" in limited.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers


async def test_graphql_operations_are_counted_and_served(tmp_path: Path, fresh_database_url: str) -> None:
    async with embedded(tmp_path, fresh_database_url) as gw:
        queries = sample("gateway_graphql_operations_total", {"operation": "query", "outcome": "ok"})
        mutations = sample("gateway_graphql_operations_total", {"operation": "mutation", "outcome": "ok"})
        query = await gw.client.post("/graphql", json={"query": "query Ping { edgeProbe }", "operationName": "Ping"})
        mutation = await gw.client.post("/graphql", json={"query": "mutation { edgeProbeTouch }"})
        through_get = await gw.client.get("/graphql", params={"query": "{ edgeProbe }"})
        deep = "{ " + "a { " * 12 + "b" + " }" * 12 + " }"
        too_deep = await gw.client.post("/graphql", json={"query": deep})
    assert query.json() == {"data": {"edgeProbe": "pong"}}
    assert mutation.json() == {"data": {"edgeProbeTouch": "touched"}}
    assert through_get.json() == {"data": {"edgeProbe": "pong"}}
    assert "errors" in too_deep.json()
    assert sample("gateway_graphql_operations_total", {"operation": "query", "outcome": "ok"}) == queries + 3
    assert sample("gateway_graphql_operations_total", {"operation": "mutation", "outcome": "ok"}) == mutations + 1


async def test_readiness_lists_the_upstreams(tmp_path: Path, fresh_database_url: str) -> None:
    async with embedded(tmp_path, fresh_database_url) as gw:
        ready = await gw.client.get("/health/ready")
    assert ready.status_code == 200
    upstreams = ready.json()["checks"]["gateway.upstreams"]
    assert upstreams["mode"] == "embedded"
    assert upstreams["local"] == ["configuration", "edge-probe", "gateway"]
    for name, state in upstreams["upstreams"].items():  # registered services not served here
        assert state["state"] == "unconfigured", name


async def test_security_headers_and_hsts_over_https(tmp_path: Path, fresh_database_url: str) -> None:
    async with embedded(tmp_path, fresh_database_url) as gw:
        plain = await gw.client.get(f"{KEY}/echo")
        secure = await gw.client.get(f"https://gateway.test{KEY}/echo")
    for response in (plain, secure):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in plain.headers
    assert secure.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
