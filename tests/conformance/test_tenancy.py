"""Tenant isolation, generated over every registered service (DESIGN.md §3, §7).

- Every table a service owns carries ``tenant_id``, unless the table declares itself platform-wide
  (``__table_args__ = {"info": {"platform_wide": "<why>"}}``); on PostgreSQL every tenant table has
  a FORCEd row-level-security policy, and the platform under test runs as a role RLS binds.
- Over the route table: the demo organisation is seeded, every list route is read as its
  administrator, and every route addressing one of the listed objects by id is called as a user of
  another tenant holding every permission: reads and deletes answer 404, and no call changes the
  object.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_client import REGISTRY
from sqlalchemy import text

from tests.conftest import Platform
from vextrus.demo import DEMO_TENANTS
from vextrus.kit.errors import install_error_handlers
from vextrus.kit.service import SeedContext, Service, load_registry
from vextrus.kit.tenancy import acting_as, cross_tenant
from vextrus.services.configuration.models import TenantSetting

SERVICES = list(load_registry())
SERVICE_IDS = [service.name for service in SERVICES]
MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def tenant_tables(service: Service) -> list[Any]:
    if service.metadata is None:
        return []
    return [table for table in service.metadata.tables.values() if not table.info.get("platform_wide")]


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
def test_every_table_is_tenant_owned_or_declared_platform_wide(service: Service) -> None:
    if service.metadata is None:
        return
    for table in service.metadata.tables.values():
        reason = table.info.get("platform_wide")
        if reason:
            assert isinstance(reason, str), f"{table.name}: say why it is platform-wide"
            assert len(reason) > 10, f"{table.name}: say why it is platform-wide"
            continue
        assert "tenant_id" in table.columns, f"{service.name}: {table.name} has no tenant_id"


async def test_row_level_security_binds_the_platform_on_postgresql(platform: Platform) -> None:
    if platform.backend != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    async with platform.runtime.database.transaction() as session:
        role = await session.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"))
        assert role.one() == (False, False), "the platform under test must run as a role that RLS binds"
        missing = []
        for service in SERVICES:
            for table in tenant_tables(service):
                row = await session.execute(
                    text(
                        "SELECT c.relrowsecurity, c.relforcerowsecurity, (SELECT count(*) FROM pg_policies p"
                        " WHERE p.schemaname = n.nspname AND p.tablename = c.relname)"
                        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = :schema AND c.relname = :table"
                    ),
                    {"schema": service.schema, "table": table.name},
                )
                enabled, forced, policies = row.one()
                if not (enabled and forced and policies):
                    missing.append(f"{service.schema}.{table.name}")
    assert not missing, f"tenant tables without a FORCEd RLS policy: {missing}"


async def test_policies_hide_other_tenants_rows_unless_cross_tenant(platform: Platform, tenant: uuid.UUID) -> None:
    """The database itself, not only the repositories, keeps tenants apart on PostgreSQL."""
    if platform.backend != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    written = await platform.client.put(
        "/api/v1/configuration/settings/localization.language",
        json={"value": "bn"},
        headers=platform.headers(tenant, ("configuration.setting.write",)),
    )
    assert written.status_code == 200, written.text
    count = text("SELECT count(*) FROM configuration.cfg_settings WHERE tenant_id = :tenant")
    with acting_as(tenant_id=uuid.uuid4()):
        async with platform.runtime.database.transaction() as session:
            assert (await session.execute(count, {"tenant": tenant})).scalar_one() == 0
    with acting_as(tenant_id=tenant):
        async with platform.runtime.database.transaction() as session:
            assert (await session.execute(count, {"tenant": tenant})).scalar_one() == 1
    with cross_tenant():
        async with platform.runtime.database.transaction() as session:
            assert (await session.execute(count, {"tenant": tenant})).scalar_one() == 1


async def test_a_write_into_another_tenant_is_refused_counted_and_changes_nothing(
    platform: Platform, tenant: uuid.UUID
) -> None:
    """A defect that writes another tenant's row: PostgreSQL refuses it, the kit answers 403 and
    counts it in tenant_isolation_violations_total (the alert VextrusTenantIsolationViolation)."""
    if platform.backend != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    other = uuid.uuid4()
    leaky = FastAPI()  # a deliberately broken endpoint on the platform's runtime and error handling
    leaky.state.runtime = platform.runtime
    install_error_handlers(leaky)

    @leaky.post("/leak")
    async def leak() -> dict[str, str]:
        with acting_as(tenant_id=tenant):
            async with platform.runtime.database.transaction() as session:
                session.add(TenantSetting(tenant_id=other, key="localization.language", value="bn"))
        return {}

    labels = {"service": platform.runtime.name, "kind": "row_security"}
    before = REGISTRY.get_sample_value("tenant_isolation_violations_total", labels) or 0.0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(leaky, raise_app_exceptions=False), base_url="http://vextrus.test"
    ) as client:
        refused = await client.post("/leak")
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "tenant_isolation"
    assert REGISTRY.get_sample_value("tenant_isolation_violations_total", labels) == before + 1
    with cross_tenant():
        async with platform.runtime.database.transaction() as session:
            count = text("SELECT count(*) FROM configuration.cfg_settings WHERE tenant_id = :tenant")
            assert (await session.execute(count, {"tenant": other})).scalar_one() == 0
    exported = await platform.client.get("/metrics")
    assert 'tenant_isolation_violations_total{kind="row_security"' in exported.text


def _item_routes(service: Service) -> dict[str, list[APIRoute]]:
    """Routes addressing one object by id: ``<collection>/{x_id}...``, grouped by collection path."""
    assert service.router is not None
    routes = [route for route in service.router.routes if isinstance(route, APIRoute)]
    collections = {route.path for route in routes if "GET" in route.methods and not route.param_convertors}
    grouped: dict[str, list[APIRoute]] = {}
    for route in routes:
        if len(route.param_convertors) != 1:
            continue
        (name,) = route.param_convertors
        if not (name == "id" or name.endswith("_id")):
            continue  # objects are addressed by id; keyed catalogue entries (settings/{key}) are not
        for collection in collections:
            if route.path.startswith(f"{collection}/{{{name}}}"):
                grouped.setdefault(collection, []).append(route)
    return grouped


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@pytest.fixture(scope="module")
async def seeded(platform: Platform) -> Platform:
    for service in SERVICES:
        if service.seed is not None:
            await service.seed(SeedContext(platform.runtime))
    await platform.runtime.relay.drain()
    return platform


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
async def test_another_tenants_objects_are_404_and_unchanged(seeded: Platform, service: Service) -> None:
    if service.router is None:
        return
    demo = DEMO_TENANTS[0]
    owner = seeded.headers(demo.id, ("*",), company_ids=[company.id for company in demo.companies])
    stranger = seeded.headers(uuid.uuid4(), ("*",), company_ids=[uuid.uuid4()])
    client = seeded.client
    checked = 0
    for collection, routes in _item_routes(service).items():
        listing = await client.get(collection, headers=owner)
        if listing.status_code != 200 or not isinstance(listing.json(), dict):
            continue
        for item in listing.json().get("items", [])[:3]:
            object_id = _uuid(item.get("id")) if isinstance(item, dict) else None
            if object_id is None:
                continue
            item_path = f"{collection}/{object_id}"
            before = await client.get(item_path, headers=owner)
            for route in routes:
                (name,) = route.param_convertors
                path = route.path.replace(f"{{{name}}}", str(object_id))
                for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                    response = await client.request(method, path, json={}, headers=stranger)
                    allowed = {404} if method in ("GET", "DELETE") else {404, 422}
                    assert response.status_code in allowed, f"{method} {path} as another tenant: {response.status_code}"
                    checked += 1
            after = await client.get(item_path, headers=owner)
            assert (before.status_code, before.content) == (after.status_code, after.content), item_path
    if _item_routes(service):
        assert checked, f"{service.name}: no seeded object reachable through its list routes; seed demo data"
