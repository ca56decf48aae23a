"""GraphQL in distributed mode, with Apollo's own tools run by Node:

- every registered service's subgraph (``{ _service { sdl } }``) composes into one supergraph with
  ``@apollo/composition`` — any composition error fails;
- three services run as real servers (``vextrus serve <name>``: configuration, organization,
  rules), Apollo's federation gateway (``federation/gateway.mjs``, ``@apollo/gateway`` with
  IntrospectAndCompose) composes them, and the Python gateway forwards /graphql to it: one
  operation reads from all three, and a reference to organization's ``Tenant`` from a fourth
  subgraph is resolved by organization's ``resolve_reference`` (``_entities``);
- the limits hold through the gateway (depth, aliases), introspection is off in production and
  a failing subgraph's details do not reach the client; a failing subgraph is counted and reported
  (``gateway.federation.error``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
import uvicorn
from gateway_support import ROOT, Process, bearer, free_port, gateway, gateway_events, issuer_for, sample, wait_http
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from tests.conftest import make_settings

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.app import build_app
from vextrus.kit.security import TokenIssuer
from vextrus.kit.service import Registry, SeedContext, load_registry
from vextrus.services.gateway.federation import Subgraph, compose, subgraphs

FEDERATION_DIR = ROOT / "federation"
SUBGRAPH_SERVICES = ("configuration", "organization", "rules")
TENANT = DEMO_TENANTS[0]
VEXTRUS = str(Path(sys.executable).with_name("vextrus"))


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The federation packages, installed from federation/package-lock.json when missing."""
    if shutil.which("node") is None:
        pytest.fail("Node.js 20+ is required for the federation tests")
    if not (FEDERATION_DIR / "node_modules" / "@apollo" / "gateway").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FEDERATION_DIR, check=True, timeout=600)
    return FEDERATION_DIR / "node_modules"


async def test_every_registered_subgraph_composes_into_a_supergraph(node_modules: Path) -> None:
    graphs = await subgraphs(load_registry(), make_settings("sqlite+aiosqlite:///unused.db", Path("/tmp")))
    assert {"configuration", "organization", "rules"} <= {graph.name for graph in graphs}
    composition = compose(graphs, FEDERATION_DIR)
    assert composition.errors == []
    assert composition.supergraph is not None
    for graph in graphs:
        assert f'@join__graph(name: "{graph.name}"' in composition.supergraph


async def test_a_composition_error_is_reported_not_hidden(node_modules: Path) -> None:
    clash = [
        Subgraph("one", "http://one/graphql", "type Query { price: Int }"),
        Subgraph("two", "http://two/graphql", "type Query { price: String }"),
    ]
    composition = compose(clash, FEDERATION_DIR)
    assert not composition.ok
    assert any("price" in error["message"] for error in composition.errors)


# ---- a running federation ----------------------------------------------------------------------


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Tenant:
    """A reference to organization's Tenant: only the key, organization resolves the rest."""

    id: strawberry.ID


@strawberry.type
class ProbeNode:
    name: str

    @strawberry.field
    def child(self) -> ProbeNode:
        return ProbeNode(name=self.name + "+")


@strawberry.type
class Query:
    @strawberry.field
    def gateway_probe_tenant(self) -> Tenant:
        return Tenant(id=strawberry.ID(str(TENANT.id)))

    @strawberry.field
    def gateway_probe_node(self) -> ProbeNode:
        return ProbeNode(name="root")


def reference_subgraph() -> Any:
    schema = strawberry.federation.Schema(query=Query, federation_version="2.11")
    return GraphQL(schema)


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory, node_modules: Path) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("federation")
    keys = workdir / "keys"
    keys.mkdir()
    issuer_for(keys)
    env = {
        "VEXTRUS_ENV": "test",
        "VEXTRUS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'vextrus.db'}",
        "VEXTRUS_SIGNING_KEY_PATH": str(keys / "signing-key.pem"),
        "VEXTRUS_LOG_LEVEL": "WARNING",
    }
    registry = load_registry()
    services = [registry.get(name) for name in SUBGRAPH_SERVICES]
    subprocess.run([VEXTRUS, "migrate", *SUBGRAPH_SERVICES], env={**os.environ, **env}, check=True, cwd=ROOT)

    async def seed() -> None:
        from vextrus.kit.settings import load_settings

        settings = load_settings(
            env="test",
            database_url=env["VEXTRUS_DATABASE_URL"],
            signing_key_path=Path(env["VEXTRUS_SIGNING_KEY_PATH"]),
            log_level="WARNING",
        )
        app = build_app(list(Registry(services)), settings)
        async with app.router.lifespan_context(app):
            for service in services:
                if service.seed is not None:
                    await service.seed(SeedContext(app.state.runtime))
            await app.state.runtime.relay.drain()

    asyncio.run(seed())
    servers: dict[str, Process] = {}
    for name in SUBGRAPH_SERVICES:
        port = free_port()
        command = [VEXTRUS, "serve", name, "--port", str(port)]
        servers[name] = Process(command, port, workdir / f"{name}.log", env=env).start()
    reference_port = free_port()
    reference = uvicorn.Server(
        uvicorn.Config(reference_subgraph(), host="127.0.0.1", port=reference_port, log_config=None, access_log=False)
    )
    threading.Thread(target=reference.run, daemon=True).start()
    wait_http(f"http://127.0.0.1:{reference_port}/graphql?query=%7B__typename%7D")
    urls = {name: f"{server.url}/graphql" for name, server in servers.items()}
    urls["probe"] = f"http://127.0.0.1:{reference_port}/graphql"

    def federation_gateway(**extra: str) -> Process:
        port = free_port()
        node_env = {
            "VEXTRUS_FEDERATION_PORT": str(port),
            "VEXTRUS_FEDERATION_SUBGRAPHS": json.dumps(urls),
            **extra,
        }
        command = ["node", str(FEDERATION_DIR / "gateway.mjs")]
        return Process(command, port, workdir / f"federation-{port}.log", env=node_env).start()

    development = federation_gateway(VEXTRUS_GRAPHQL_MAX_DEPTH="4", VEXTRUS_GRAPHQL_MAX_ALIASES="3")
    production = federation_gateway(VEXTRUS_ENV="production")
    try:
        yield {
            "servers": servers,
            "development": development,
            "production": production,
            "issuer": issuer_for(keys),
            "workdir": workdir,
        }
    finally:
        for process in (development, production, *servers.values()):
            process.stop()
        reference.should_exit = True


CROSSING = """
query Overview {
  configurationSetting(key: "localization.timezone") { key value }
  organizationTenant { id slug name }
  organizationCompanies(limit: 5) { items { id name } }
  rules(limit: 5) { items { key } }
  gatewayProbeTenant { id slug name status }
}
"""


def demo_admin(issuer: TokenIssuer) -> dict[str, str]:
    return bearer(issuer, TENANT.id, "*", subject=TENANT.users[0].id)


async def test_one_query_crosses_three_services_and_resolves_a_reference(
    tmp_path: Path, federation: dict[str, Any]
) -> None:
    node = federation["development"]
    async with gateway(tmp_path, gateway_settings={"federation_url": node.url}) as gw:
        before = sample("gateway_graphql_operations_total", {"operation": "query", "outcome": "ok"})
        response = await gw.client.post(
            "/graphql", json={"query": CROSSING, "operationName": "Overview"}, headers=demo_admin(federation["issuer"])
        )
        anonymous = await gw.client.post("/graphql", json={"query": "{ organizationTenant { id } }"})
        counted = sample("gateway_graphql_operations_total", {"operation": "query", "outcome": "ok"}) - before
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data = body["data"]
    assert data["configurationSetting"] == {"key": "localization.timezone", "value": "Asia/Dhaka"}
    assert data["organizationTenant"]["slug"] == TENANT.slug
    assert {item["name"] for item in data["organizationCompanies"]["items"]} == {c.name for c in TENANT.companies}
    assert isinstance(data["rules"]["items"], list)
    # the fourth subgraph only knows the id: organization filled in the rest (_entities)
    assert data["gatewayProbeTenant"] == {
        "id": str(TENANT.id),
        "slug": TENANT.slug,
        "name": TENANT.name,
        "status": "active",
    }
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "unauthorized"  # each service verifies
    assert counted == 2


def nested(depth: int) -> str:
    return "{ gatewayProbeNode { " + "child { " * (depth - 1) + "name" + " }" * (depth - 1) + " } }"


async def test_limits_hold_through_the_gateway(tmp_path: Path, federation: dict[str, Any]) -> None:
    node = federation["development"]  # started with max depth 4 and max aliases 3
    headers = demo_admin(federation["issuer"])
    aliases = "{ " + " ".join(f"a{n}: gatewayProbeNode {{ name }}" for n in range(4)) + " }"
    async with gateway(tmp_path, gateway_settings={"federation_url": node.url}) as gw:
        allowed = await gw.client.post("/graphql", json={"query": nested(4)}, headers=headers)
        too_deep = await gw.client.post("/graphql", json={"query": nested(5)}, headers=headers)
        hidden = await gw.client.post(
            "/graphql",
            json={"query": "query { ...F } fragment F on Query { " + nested(5)[2:-2] + " }"},
            headers=headers,
        )
        many = await gw.client.post("/graphql", json={"query": aliases}, headers=headers)
        introspection = await gw.client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert "errors" not in allowed.json(), allowed.text
    assert "exceeds maximum operation depth of 4" in too_deep.json()["errors"][0]["message"]
    assert "exceeds maximum operation depth of 4" in hidden.json()["errors"][0]["message"]
    assert "4 aliases found" in many.json()["errors"][0]["message"]
    assert introspection.json()["data"]["__schema"]["queryType"]["name"] == "Query"  # allowed outside production


async def test_production_turns_introspection_off(tmp_path: Path, federation: dict[str, Any]) -> None:
    async with gateway(tmp_path, gateway_settings={"federation_url": federation["production"].url}) as gw:
        introspection = await gw.client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
        typename = await gw.client.post("/graphql", json={"query": "{ __typename }"})
    assert "data" not in introspection.json() or introspection.json()["data"] is None
    assert "introspection" in introspection.json()["errors"][0]["message"].lower()
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_a_failing_subgraph_is_counted_reported_and_not_detailed_in_production(
    tmp_path: Path, federation: dict[str, Any]
) -> None:
    rules: Process = federation["servers"]["rules"]
    headers = demo_admin(federation["issuer"])
    query = {"query": "{ organizationTenant { slug } rules(limit: 1) { items { key } } }"}
    rules.kill()
    try:
        async with gateway(tmp_path / "dev", gateway_settings={"federation_url": federation["development"].url}) as gw:
            before = sample("gateway_graphql_operations_total", {"operation": "query", "outcome": "error"})
            development = await gw.client.post("/graphql", json=query, headers=headers)
            after = sample("gateway_graphql_operations_total", {"operation": "query", "outcome": "error"})
            events = await gateway_events(gw, "gateway.federation.error")
        async with gateway(tmp_path / "prod", gateway_settings={"federation_url": federation["production"].url}) as gw:
            production = await gw.client.post("/graphql", json=query, headers=headers)
    finally:
        await asyncio.to_thread(rules.start)
    assert development.status_code == 200
    body = development.json()
    assert body["data"] is None  # rules is a non-null root field: its failure nulls the whole answer
    assert "failed" in body["errors"][0]["message"]  # outside production the cause is shown
    assert after == before + 1
    assert len(events) == 1
    assert events[0]["operation"] == "query"
    assert events[0]["failures"] >= 1
    masked = production.json()
    assert masked["errors"][0]["message"] == "Internal server error"
    text = json.dumps(masked["errors"])
    assert "127.0.0.1" not in text
    assert "ECONNREFUSED" not in text
