"""Tenant isolation and permissions: another tenant's objects answer 404 (never 403), a route
without its permission answers 403 naming it, and on PostgreSQL the row-level security policies
hold on their own (checked as a non-superuser role)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

BASE = "/api/v1/organizations"
READS = (
    "organization.tenant.read",
    "organization.company.read",
    "organization.structure.read",
    "organization.membership.read",
)


@pytest.fixture
async def tenant_a(big_org) -> dict[str, Any]:
    """Tenant A with one object of every kind."""
    company = await big_org.create("/companies", {"code": "MPL", "name": "Meghna Properties Ltd.", "bin": "004627351"})
    division = await big_org.create("/divisions", {"company_id": company["id"], "code": "RE", "name": "Real Estate"})
    branch = await big_org.create(
        "/branches", {"company_id": company["id"], "code": "HO", "name": "Head Office", "bin_suffix": "0101"}
    )
    department = await big_org.create("/departments", {"company_id": company["id"], "code": "ACC", "name": "Accounts"})
    designation = await big_org.create("/designations", {"code": "MD", "name": "Managing Director"})
    member = uuid.uuid4()
    await big_org.post(f"/companies/{company['id']}/members", {"user_id": str(member)})
    return {
        "org": big_org,
        "company": company["id"],
        "division": division["id"],
        "branch": branch["id"],
        "department": department["id"],
        "designation": designation["id"],
        "member": str(member),
    }


async def test_another_tenants_objects_are_not_found(tenant_a, provisioner) -> None:
    other = await provisioner(uuid.uuid4())
    await other.set_plan("business")
    headers = other.headers(("*",))
    client = other.client
    a = tenant_a
    for method, path, body in [
        ("GET", f"/companies/{a['company']}", None),
        ("PATCH", f"/companies/{a['company']}", {"name": "Stolen Ltd."}),
        ("GET", f"/companies/{a['company']}/departments/tree", None),
        ("GET", f"/companies/{a['company']}/members", None),
        ("POST", f"/companies/{a['company']}/members", {"user_id": str(uuid.uuid4())}),
        ("PATCH", f"/companies/{a['company']}/members/{a['member']}", {"primary": True}),
        ("DELETE", f"/companies/{a['company']}/members/{a['member']}", None),
        ("GET", f"/divisions/{a['division']}", None),
        ("PATCH", f"/divisions/{a['division']}", {"name": "X"}),
        ("GET", f"/branches/{a['branch']}", None),
        ("PATCH", f"/branches/{a['branch']}", {"name": "X"}),
        ("GET", f"/departments/{a['department']}", None),
        ("PATCH", f"/departments/{a['department']}", {"name": "X"}),
        ("GET", f"/designations/{a['designation']}", None),
        ("PATCH", f"/designations/{a['designation']}", {"name": "X"}),
    ]:
        response = await client.request(method, BASE + path, json=body, headers=headers)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        assert response.json()["code"] == "not_found"

    # Linking to another tenant's company from a body is refused as an unknown reference.
    for path, body in [
        ("/divisions", {"company_id": a["company"], "code": "X", "name": "X"}),
        ("/branches", {"company_id": a["company"], "code": "X", "name": "X"}),
        ("/departments", {"company_id": a["company"], "code": "X", "name": "X"}),
    ]:
        response = await other.post(path, body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.company_id"
    member = await other.post(
        f"/companies/{other.company_id}/members", {"user_id": str(uuid.uuid4()), "department_id": a["department"]}
    )
    assert member.status_code == 422

    # Lists show only the caller's tenant; A's objects are untouched.
    for path in ("/companies", "/divisions", "/branches", "/departments", "/designations"):
        items = (await client.get(BASE + path, headers=headers)).json()["items"]
        assert not {item["id"] for item in items} & {a["company"], a["division"], a["branch"], a["department"]}
    mine = await a["org"].client.get(f"{BASE}/companies/{a['company']}", headers=a["org"].headers())
    assert mine.json()["name"] == "Meghna Properties Ltd."
    assert (await client.get(f"{BASE}/members/{a['member']}", headers=headers)).json() == []


WRITES = [
    ("PATCH", "/tenant", {"name": "X"}, "organization.tenant.update"),
    ("POST", "/companies", {"code": "X", "name": "X"}, "organization.company.write"),
    ("PATCH", "/companies/{company}", {"name": "X"}, "organization.company.write"),
    ("POST", "/divisions", {"company_id": "{company}", "code": "X", "name": "X"}, "organization.structure.write"),
    ("PATCH", "/divisions/{division}", {"name": "X"}, "organization.structure.write"),
    ("POST", "/branches", {"company_id": "{company}", "code": "X", "name": "X"}, "organization.structure.write"),
    ("PATCH", "/branches/{branch}", {"name": "X"}, "organization.structure.write"),
    ("POST", "/departments", {"company_id": "{company}", "code": "X", "name": "X"}, "organization.structure.write"),
    ("PATCH", "/departments/{department}", {"name": "X"}, "organization.structure.write"),
    ("POST", "/designations", {"code": "X", "name": "X"}, "organization.structure.write"),
    ("PATCH", "/designations/{designation}", {"name": "X"}, "organization.structure.write"),
    ("POST", "/companies/{company}/members", {"user_id": "{member}"}, "organization.membership.manage"),
    ("PATCH", "/companies/{company}/members/{member}", {"primary": True}, "organization.membership.manage"),
    ("DELETE", "/companies/{company}/members/{member}", None, "organization.membership.manage"),
    ("POST", "/tenants/provision", {}, "platform.tenant.provision"),
    ("POST", "/tenants/{tenant}/suspend", {"reason": "x"}, "platform.tenant.manage"),
    ("POST", "/tenants/{tenant}/close", {}, "platform.tenant.manage"),
    ("PUT", "/tenants/{tenant}/plan", {"plan": "trial"}, "platform.tenant.manage"),
]


@pytest.mark.parametrize(("method", "path", "body", "permission"), WRITES, ids=[f"{m} {p}" for m, p, _, _ in WRITES])
async def test_writes_need_their_permission(tenant_a, method, path, body, permission) -> None:
    org = tenant_a["org"]
    values = {**{key: value for key, value in tenant_a.items() if key != "org"}, "tenant": str(org.tenant_id)}
    path = path.format(**values)
    if body is not None:
        body = {key: value.format(**values) if isinstance(value, str) else value for key, value in body.items()}
    readers = org.headers(READS)
    response = await org.client.request(method, BASE + path, json=body, headers=readers)
    assert response.status_code == 403
    assert response.json()["permission"] == permission
    # Nothing changed: the tenant is still at its first version and active.
    tenant = (await org.client.get(f"{BASE}/tenant", headers=readers)).json()
    assert (tenant["version"], tenant["status"], tenant["name"]) == (2, "active", "Meghna Builders Ltd.")


@pytest.mark.parametrize(
    ("path", "permission"),
    [
        ("/tenant", "organization.tenant.read"),
        ("/companies", "organization.company.read"),
        ("/divisions", "organization.structure.read"),
        ("/branches", "organization.structure.read"),
        ("/departments", "organization.structure.read"),
        ("/designations", "organization.structure.read"),
        ("/companies/{company}/members", "organization.membership.read"),
    ],
)
async def test_reads_need_their_permission(tenant_a, path, permission) -> None:
    org = tenant_a["org"]
    others = [item for item in READS if item != permission]
    response = await org.client.get(BASE + path.format(company=tenant_a["company"]), headers=org.headers(others))
    assert response.status_code == 403
    assert response.json()["permission"] == permission


TABLES = (
    "org_tenants",
    "org_companies",
    "org_divisions",
    "org_branches",
    "org_departments",
    "org_designations",
    "org_memberships",
)


async def test_row_level_security_on_postgresql(platform, tenant_a, provisioner) -> None:
    """The services connect as a role row-level security binds: with a tenant set, raw SQL sees
    that tenant's rows only (its own tenant row included); only a cross-tenant transaction sees all."""
    if platform.backend != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    a = tenant_a["org"]
    b = await provisioner(uuid.uuid4())
    async with platform.runtime.database.engine.connect() as connection:
        flags = await connection.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'organization' AND c.relkind = 'r' "
                "AND c.relname LIKE 'org_%'"
            )
        )
        assert {row.relname: (row.relrowsecurity, row.relforcerowsecurity) for row in flags} == dict.fromkeys(
            TABLES, (True, True)
        )

        async def visible(tenant: uuid.UUID | None, sql: str, *, cross: bool = False) -> set[str]:
            await connection.rollback()
            if tenant is not None:
                await connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant)})
            if cross:
                await connection.execute(text("SELECT set_config('app.cross_tenant', 'on', true)"))
            return {str(row[0]) for row in await connection.execute(text(sql))}

        companies = "SELECT DISTINCT tenant_id FROM organization.org_companies"
        members = "SELECT DISTINCT tenant_id FROM organization.org_memberships"
        tenants = "SELECT id FROM organization.org_tenants"
        assert await visible(a.tenant_id, companies) == {str(a.tenant_id)}
        assert await visible(b.tenant_id, companies) == {str(b.tenant_id)}
        assert await visible(b.tenant_id, members) == {str(b.tenant_id)}
        assert await visible(b.tenant_id, tenants) == {str(b.tenant_id)}
        assert await visible(uuid.UUID(int=0), tenants) == set()  # the platform's id is no tenant
        assert await visible(None, tenants) == set()  # no tenant set: nothing
        assert {str(a.tenant_id), str(b.tenant_id)} <= await visible(None, tenants, cross=True)
        assert {str(a.tenant_id), str(b.tenant_id)} <= await visible(None, companies, cross=True)
        await connection.rollback()
