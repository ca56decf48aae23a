"""The organization part of the GraphQL schema: the Tenant and Company federation entities,
queries, mutations, errors and permissions."""

from __future__ import annotations

import uuid
from typing import Any

from vextrus.kit.graphql import build_schema
from vextrus.kit.settings import load_settings
from vextrus.services.organization import service as organization_service

BASE = "/api/v1/organizations"


async def gql(org, query: str, permissions: tuple[str, ...] = ("*",), **variables: Any) -> dict[str, Any]:
    response = await org.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=org.headers(permissions)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_tenant_and_companies(big_org) -> None:
    company = await big_org.create(
        "/companies", {"code": "MPL", "name": "Meghna Properties Ltd.", "bin": "004627351", "regulatory_body": "RAJUK"}
    )
    tenant = await gql(big_org, "{ organizationTenant { id slug status plan version } }")
    assert tenant["data"]["organizationTenant"] == {
        "id": str(big_org.tenant_id),
        "slug": big_org.slug,
        "status": "active",
        "plan": "business",
        "version": 2,
    }
    page = await gql(big_org, "{ organizationCompanies(limit: 1) { items { code } nextCursor } }")
    assert len(page["data"]["organizationCompanies"]["items"]) == 1
    rest = await gql(
        big_org,
        "query C($c: String) { organizationCompanies(limit: 5, cursor: $c) { items { code } nextCursor } }",
        c=page["data"]["organizationCompanies"]["nextCursor"],
    )
    assert [item["code"] for item in rest["data"]["organizationCompanies"]["items"]] == ["MPL"]
    one = await gql(
        big_org, "query($id: ID!) { organizationCompany(id: $id) { name bin regulatoryBody } }", id=company["id"]
    )
    assert one["data"]["organizationCompany"] == {
        "name": "Meghna Properties Ltd.",
        "bin": "004627351",
        "regulatoryBody": "RAJUK",
    }
    missing = await gql(big_org, "query($id: ID!) { organizationCompany(id: $id) { name } }", id=str(uuid.uuid4()))
    assert missing["errors"][0]["extensions"]["code"] == "not_found"
    malformed = await gql(big_org, '{ organizationCompany(id: "nope") { name } }')
    assert malformed["errors"][0]["extensions"]["code"] == "validation_failed"


async def test_entities_resolve_by_reference(big_org, provisioner) -> None:
    query = """
      query E($reps: [_Any!]!) {
        _entities(representations: $reps) {
          ... on Tenant { id slug status }
          ... on Company { id code name }
        }
      }"""
    other = await provisioner(uuid.uuid4())
    reps = [
        {"__typename": "Tenant", "id": str(big_org.tenant_id)},
        {"__typename": "Company", "id": str(big_org.company_id)},
        {"__typename": "Company", "id": str(other.company_id)},  # another tenant's: null
        {"__typename": "Tenant", "id": str(other.tenant_id)},
    ]
    result = await gql(big_org, query, reps=reps)
    assert "errors" not in result, result
    own_tenant, own_company, foreign_company, foreign_tenant = result["data"]["_entities"]
    assert own_tenant == {"id": str(big_org.tenant_id), "slug": big_org.slug, "status": "active"}
    assert own_company["id"] == str(big_org.company_id)
    assert own_company["name"] == "Meghna Builders Ltd."
    assert foreign_company is None
    assert foreign_tenant is None

    denied = await gql(big_org, query, ("organization.tenant.read",), reps=reps[1:2])
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"


def test_subgraph_declares_shareable_entities() -> None:
    parts = organization_service.graphql
    assert parts is not None
    schema = build_schema([parts], load_settings(env="test"))
    assert schema is not None
    sdl = schema.as_str()
    assert 'type Tenant @key(fields: "id") @shareable' in sdl
    assert 'type Company @key(fields: "id") @shareable' in sdl
    for name in ("OrgDepartment", "OrgDesignation", "OrgMembership", "OrgCompanyPage"):
        assert f"type {name}" in sdl


async def test_structure_and_memberships(big_org) -> None:
    company = str(big_org.company_id)
    await big_org.create("/departments", {"company_id": company, "code": "ENG", "name": "Engineering"})
    await big_org.create("/designations", {"code": "SE", "name": "Site Engineer", "grade": 6})
    departments = await gql(
        big_org, "query($c: ID!) { organizationDepartments(companyId: $c) { code companyId } }", c=company
    )
    assert departments["data"]["organizationDepartments"] == [{"code": "ENG", "companyId": company}]
    titles = await gql(big_org, "{ organizationDesignations { code grade } }")
    assert titles["data"]["organizationDesignations"] == [{"code": "SE", "grade": 6}]

    user = str(uuid.uuid4())
    added = await gql(
        big_org,
        "mutation($c: ID!, $u: ID!) { addOrganizationMember(companyId: $c, userId: $u) { userId primary } }",
        c=company,
        u=user,
    )
    assert added["data"]["addOrganizationMember"] == {"userId": user, "primary": True}
    again = await gql(
        big_org,
        "mutation($c: ID!, $u: ID!) { addOrganizationMember(companyId: $c, userId: $u) { userId } }",
        c=company,
        u=user,
    )
    assert again["errors"][0]["extensions"]["code"] == "already_member"
    memberships = await gql(
        big_org, "query($u: ID!) { organizationMemberships(userId: $u) { companyId primary } }", u=user
    )
    assert memberships["data"]["organizationMemberships"] == [{"companyId": company, "primary": True}]


async def test_update_tenant_mutation(big_org) -> None:
    mutation = """
      mutation($name: String, $nameBn: String, $v: Int) {
        updateOrganizationTenant(name: $name, nameBn: $nameBn, expectedVersion: $v) { name nameBn version }
      }"""
    changed = await gql(big_org, mutation, name="Meghna Group", nameBn="মেঘনা গ্রুপ", v=2)
    assert changed["data"]["updateOrganizationTenant"] == {"name": "Meghna Group", "nameBn": "মেঘনা গ্রুপ", "version": 3}
    stale = await gql(big_org, mutation, name="Other", v=2)
    assert stale["errors"][0]["extensions"]["code"] == "version_conflict"
    blank = await gql(big_org, mutation, name="  ")
    assert blank["errors"][0]["extensions"]["code"] == "validation_failed"
    assert blank["errors"][0]["extensions"]["errors"][0]["field"] == "name"
    denied = await gql(big_org, mutation, ("organization.tenant.read",), name="X")
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
    rest = await big_org.client.get(f"{BASE}/tenant", headers=big_org.headers())
    assert rest.json()["name"] == "Meghna Group"
