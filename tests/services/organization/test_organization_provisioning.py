"""Provisioning a tenant (the auth service's signup), finding it by slug, and a user's access:
the organization side of the identity contract, over HTTP and through client.py."""

from __future__ import annotations

import uuid

import pytest

from vextrus.kit.errors import AppError
from vextrus.services.organization.client import (
    PLATFORM_TENANT_ID,
    OrganizationClient,
    TenantRef,
    service_subject,
)

BASE = "/api/v1/organizations"
PROVISION = ("platform.tenant.provision",)
READ = ("platform.tenant.read",)


def body(tenant: uuid.UUID, slug: str, admin: uuid.UUID | None = None, **extra: object) -> dict[str, object]:
    return {
        "tenant_id": str(tenant),
        "name": "Jamuna Engineering Ltd.",
        "slug": slug,
        "admin_user_id": str(admin or uuid.uuid4()),
        **extra,
    }


async def test_provision_creates_tenant_company_and_primary_membership(platform, client, tenant) -> None:
    admin, slug = uuid.uuid4(), f"jamuna-{tenant.hex[:8]}"
    response = await client.post(
        f"{BASE}/tenants/provision",
        json=body(tenant, slug, admin, name_bn="যমুনা ইঞ্জিনিয়ারিং লিমিটেড", type="both"),
        headers=platform.headers(tenant, PROVISION),
    )
    assert response.status_code == 201, response.text
    result = response.json()
    company_id = result["company"]["id"]
    assert result == {
        "tenant": {"id": str(tenant), "slug": slug, "name": "Jamuna Engineering Ltd.", "status": "active"},
        "company": {"id": company_id, "name": "Jamuna Engineering Ltd."},
    }

    profile = (await client.get(f"{BASE}/tenant", headers=platform.headers(tenant, subject=admin))).json()
    assert profile["name_bn"] == "যমুনা ইঞ্জিনিয়ারিং লিমিটেড"
    assert profile["type"] == "both"
    assert profile["plan"] == "trial"
    assert profile["limits"] == {"max_users": 5, "max_companies": 1, "max_projects": 3}
    assert profile["usage"] == {"users": 1, "companies": 1}

    company = (await client.get(f"{BASE}/companies/{company_id}", headers=platform.headers(tenant))).json()
    assert company["name"] == "Jamuna Engineering Ltd."
    assert company["fiscal_year_start_month"] == 7
    assert company["base_currency"] == "BDT"
    assert company["vat_status"] == "unregistered"

    access = await client.get(f"{BASE}/access/{admin}", headers=platform.headers(tenant, READ))
    assert access.status_code == 200
    assert access.json()["companies"] == [
        {"id": company_id, "code": slug.upper()[:20].rstrip("-"), "name": "Jamuna Engineering Ltd.", "primary": True}
    ]


async def test_provision_is_idempotent_on_the_tenant_id(platform, client, tenant) -> None:
    request = body(tenant, f"idem-{tenant.hex[:8]}")
    headers = platform.headers(tenant, PROVISION)
    first = await client.post(f"{BASE}/tenants/provision", json=request, headers=headers)
    again = await client.post(f"{BASE}/tenants/provision", json=request, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    companies = (await client.get(f"{BASE}/companies", headers=platform.headers(tenant))).json()["items"]
    assert len(companies) == 1

    other_slug = await client.post(
        f"{BASE}/tenants/provision", json={**request, "slug": f"other-{tenant.hex[:8]}"}, headers=headers
    )
    assert other_slug.status_code == 409
    assert other_slug.json()["code"] == "tenant_exists"


async def test_a_slug_belongs_to_one_tenant(platform, client, tenant) -> None:
    slug = f"taken-{tenant.hex[:8]}"
    first = await client.post(
        f"{BASE}/tenants/provision", json=body(tenant, slug), headers=platform.headers(tenant, PROVISION)
    )
    assert first.status_code == 201
    other = uuid.uuid4()
    response = await client.post(
        f"{BASE}/tenants/provision",
        json=body(other, slug),
        headers={**platform.headers(other, PROVISION), "Accept-Language": "bn"},
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "slug_taken"
    assert slug in problem["detail"]
    assert "প্রতিষ্ঠান" in problem["detail"]
    # Nothing of the refused tenant exists.
    missing = await client.get(f"{BASE}/tenants/{other}", headers=platform.headers(other, READ))
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("ab", "invalid_slug"),
        ("x" * 51, "invalid_slug"),
        ("Meghna", "invalid_slug"),
        ("-meghna", "invalid_slug"),
        ("meghna-", "invalid_slug"),
        ("meghna--group", "invalid_slug"),
        ("meghna_group", "invalid_slug"),
        ("meghna group", "invalid_slug"),
        ("মেঘনা-গ্রুপ", "invalid_slug"),
        ("admin", "reserved_slug"),
        ("www", "reserved_slug"),
    ],
)
async def test_invalid_slugs_are_refused(platform, client, tenant, slug: str, code: str) -> None:
    response = await client.post(
        f"{BASE}/tenants/provision", json=body(tenant, slug), headers=platform.headers(tenant, PROVISION)
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(item["field"], item["code"]) for item in errors] == [("body.slug", code)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "body.name"),
        ({"name": "   "}, "body.name"),
        ({"name": "Bad\x00name"}, "body.name"),
        ({"name": "x" * 201}, "body.name"),
        ({"type": "shipping"}, "body.type"),
        ({"admin_user_id": "not-a-uuid"}, "body.admin_user_id"),
        ({"tenant_id": str(PLATFORM_TENANT_ID)}, "body.tenant_id"),
        ({"plan": "enterprise"}, "body.plan"),
    ],
)
async def test_invalid_provisioning_requests_are_refused(platform, client, tenant, changes, field) -> None:
    request = {**body(tenant, f"bad-{tenant.hex[:8]}"), **changes}
    response = await client.post(f"{BASE}/tenants/provision", json=request, headers=platform.headers(tenant, PROVISION))
    assert response.status_code == 422, response.text
    assert field in [item["field"] for item in response.json()["errors"]]
    lookup = await client.get(f"{BASE}/tenants/by-slug/bad-{tenant.hex[:8]}", headers=platform.headers(tenant, READ))
    assert lookup.status_code == 404


async def test_platform_routes_need_platform_permissions(platform, client, tenant) -> None:
    # A tenant administrator holds `*`, which never covers the platform namespace.
    admin = platform.headers(tenant, ("*",))
    assert (
        await client.post(f"{BASE}/tenants/provision", json=body(tenant, "nope-x1"), headers=admin)
    ).status_code == 403
    assert (await client.get(f"{BASE}/tenants/by-slug/meghna-group", headers=admin)).status_code == 403
    denied = await client.get(f"{BASE}/access/{uuid.uuid4()}", headers=admin)
    assert denied.status_code == 403
    assert denied.json()["permission"] == "platform.tenant.read"
    assert (await client.get(f"{BASE}/tenants", headers=admin)).status_code == 403


async def test_by_slug_finds_any_tenant(platform, client, tenant) -> None:
    slug = f"find-{tenant.hex[:8]}"
    await client.post(f"{BASE}/tenants/provision", json=body(tenant, slug), headers=platform.headers(tenant, PROVISION))
    # Looked up as the platform, not as the tenant itself.
    headers = platform.headers(PLATFORM_TENANT_ID, READ)
    found = await client.get(f"{BASE}/tenants/by-slug/{slug}", headers=headers)
    assert found.status_code == 200
    assert found.json() == {"id": str(tenant), "slug": slug, "name": "Jamuna Engineering Ltd.", "status": "active"}
    missing = await client.get(f"{BASE}/tenants/by-slug/no-such-{tenant.hex[:8]}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_access_of_users_with_and_without_membership(platform, client, tenant) -> None:
    admin = uuid.uuid4()
    await client.post(
        f"{BASE}/tenants/provision",
        json=body(tenant, f"acc-{tenant.hex[:8]}", admin),
        headers=platform.headers(tenant, PROVISION),
    )
    headers = platform.headers(tenant, READ)
    stranger = await client.get(f"{BASE}/access/{uuid.uuid4()}", headers=headers)
    assert stranger.status_code == 200
    assert stranger.json()["companies"] == []
    assert stranger.json()["departments"] == []
    assert stranger.json()["tenant"]["status"] == "active"

    unknown_tenant = uuid.uuid4()
    missing = await client.get(f"{BASE}/access/{admin}", headers=platform.headers(unknown_tenant, READ))
    assert missing.status_code == 404


async def test_provisioning_records_events(platform, client, tenant, events) -> None:
    admin, slug = uuid.uuid4(), f"ev-{tenant.hex[:8]}"
    response = await client.post(
        f"{BASE}/tenants/provision", json=body(tenant, slug, admin), headers=platform.headers(tenant, PROVISION)
    )
    company_id = response.json()["company"]["id"]
    await client.post(
        f"{BASE}/tenants/provision", json=body(tenant, slug, admin), headers=platform.headers(tenant, PROVISION)
    )
    mine = lambda item: item["tenantid"] == str(tenant)  # noqa: E731
    created = await events("organization.tenant.created", mine)
    assert len(created) == 1  # the idempotent repeat records nothing
    assert created[0]["subject"] == str(tenant)
    assert created[0]["data"]["slug"] == slug
    assert created[0]["data"]["admin_user_id"] == str(admin)
    assert created[0]["data"]["company_id"] == company_id
    companies = await events("organization.company.created", mine)
    assert [item["subject"] for item in companies] == [company_id]
    members = await events("organization.membership.added", mine)
    assert len(members) == 1
    assert members[0]["data"]["user_id"] == str(admin)
    assert members[0]["data"]["primary"] is True


# --- the client other services use -------------------------------------------------------------------


async def test_client_provisions_finds_and_reports_access(platform, tenant) -> None:
    organization = OrganizationClient(platform.runtime)
    admin, slug = uuid.uuid4(), f"cli-{tenant.hex[:8]}"
    provisioned = await organization.provision_tenant(
        tenant_id=tenant, name="Padma Steel Ltd.", slug=slug, admin_user_id=admin, type="construction"
    )
    assert provisioned.tenant_id == tenant
    assert provisioned.slug == slug
    assert provisioned.status == "active"
    assert provisioned.created
    again = await organization.provision_tenant(
        tenant_id=tenant, name="Padma Steel Ltd.", slug=slug, admin_user_id=admin
    )
    assert again.company_id == provisioned.company_id
    assert not again.created

    assert await organization.tenant_by_slug(slug) == TenantRef(tenant, slug, "Padma Steel Ltd.", "active")
    assert await organization.tenant_by_slug(f"none-{tenant.hex[:8]}") is None
    assert await organization.tenant_by_slug("../../etc") is None

    access = await organization.access_of(tenant, admin)
    assert access.tenant.active
    assert access.company_ids == (provisioned.company_id,)
    assert access.primary_company_id == provisioned.company_id
    assert access.companies[0].primary
    nobody = await organization.access_of(tenant, uuid.uuid4())
    assert nobody.company_ids == ()


async def test_client_passes_upstream_errors_through(platform, tenant) -> None:
    organization = OrganizationClient(platform.runtime)
    slug = f"dup-{tenant.hex[:8]}"
    await organization.provision_tenant(tenant_id=tenant, name="Karnaphuli Ltd.", slug=slug, admin_user_id=uuid.uuid4())
    with pytest.raises(AppError) as taken:
        await organization.provision_tenant(
            tenant_id=uuid.uuid4(), name="Another Ltd.", slug=slug, admin_user_id=uuid.uuid4()
        )
    assert (taken.value.status, taken.value.code) == (409, "slug_taken")
    assert taken.value.detail
    assert slug in taken.value.detail
    assert taken.value.detail_bn
    assert "প্রতিষ্ঠান" in taken.value.detail_bn

    with pytest.raises(AppError) as invalid:
        await organization.provision_tenant(
            tenant_id=uuid.uuid4(), name="X Ltd.", slug="No Good", admin_user_id=uuid.uuid4()
        )
    assert invalid.value.status == 422
    assert [item.field for item in invalid.value.errors] == ["body.slug"]

    with pytest.raises(AppError) as unknown:
        await organization.access_of(uuid.uuid4(), uuid.uuid4())
    assert (unknown.value.status, unknown.value.code) == (404, "not_found")


def test_service_subjects_are_stable_uuid5() -> None:
    assert service_subject("auth") == uuid.uuid5(uuid.NAMESPACE_URL, "vextrus:service:auth")
    assert service_subject("auth") != service_subject("organization")
    assert uuid.UUID(int=0) == PLATFORM_TENANT_ID
