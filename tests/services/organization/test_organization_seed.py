"""The demo seed: both demo tenants with realistic companies and structure, every demo user a
member, stable ids; running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.services.organization import service as organization

BASE = "/api/v1/organizations"
MEGHNA = next(tenant for tenant in DEMO_TENANTS if tenant.slug == "meghna-group")
PADMA = next(tenant for tenant in DEMO_TENANTS if tenant.slug == "padma-developers")


async def snapshot(platform) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for demo in DEMO_TENANTS:
        headers = platform.headers(demo.id)
        for path in ("/tenant", "/companies", "/divisions", "/branches", "/departments", "/designations"):
            response = await platform.client.get(
                BASE + path, params={} if path == "/tenant" else {"limit": 200}, headers=headers
            )
            assert response.status_code == 200, response.text
            state[f"{demo.slug}:{path}"] = response.json()
        for user in demo.users:
            access = await platform.client.get(
                f"{BASE}/access/{user.id}", headers=platform.headers(demo.id, ("platform.tenant.read",))
            )
            state[f"{demo.slug}:access:{user.key}"] = access.json()
    return state


async def test_seed_is_idempotent_and_realistic(platform) -> None:
    assert organization.seed is not None
    await organization.seed(SeedContext(platform.runtime))
    first = await snapshot(platform)
    await organization.seed(SeedContext(platform.runtime))
    assert await snapshot(platform) == first

    meghna = first["meghna-group:/tenant"]
    assert (meghna["id"], meghna["slug"], meghna["type"], meghna["plan"]) == (
        str(MEGHNA.id),
        "meghna-group",
        "both",
        "business",
    )
    assert meghna["usage"] == {"users": len(MEGHNA.users), "companies": 3}
    padma = first["padma-developers:/tenant"]
    assert (padma["type"], padma["name_bn"], padma["plan"]) == ("real-estate", "পদ্মা ডেভেলপার্স", "growth")

    companies = {item["id"]: item for item in first["meghna-group:/companies"]["items"]}
    assert set(companies) == {str(company.id) for company in MEGHNA.companies}
    builders = companies[str(MEGHNA.companies[0].id)]
    assert (builders["code"], builders["regulatory_body"], builders["vat_status"]) == ("MBL", "RAJUK", "registered")
    assert len(builders["tin"]) == 12
    assert len(builders["bin"]) == 9
    assert builders["address"]["district"] == "Dhaka"
    concrete = companies[str(MEGHNA.companies[2].id)]
    assert (concrete["regulatory_body"], concrete["address"]["division"]) == ("CDA", "Chattogram")
    padma_company = first["padma-developers:/companies"]["items"][0]
    assert (padma_company["regulatory_body"], padma_company["address"]["district"]) == ("RDA", "Rajshahi")

    branches = first["meghna-group:/branches"]["items"]
    assert all(
        len(item["bin"]) == 13 and item["bin"].startswith(companies[item["company_id"]]["bin"]) for item in branches
    )
    assert sum(item["is_head_office"] for item in branches) == 3  # one per company
    departments = {item["code"] for item in first["meghna-group:/departments"]["items"]}
    assert {"ACC", "PROC", "ENG", "PROJ", "HR"} <= departments
    divisions = {item["name"] for item in first["meghna-group:/divisions"]["items"]}
    assert {"Construction", "Real Estate"} <= divisions
    titles = {item["name"] for item in first["padma-developers:/designations"]["items"]}
    assert {"Managing Director", "Chief Financial Officer", "Accountant", "Procurement Officer"} <= titles

    # The administrator belongs to every company (primary: the first); others to the first only.
    admin = first["meghna-group:access:meghna-admin"]
    assert [item["id"] for item in admin["companies"]] == [str(company.id) for company in MEGHNA.companies]
    assert [item["primary"] for item in admin["companies"]] == [True, False, False]
    for user in MEGHNA.users[1:]:
        access = first[f"meghna-group:access:{user.key}"]
        assert [(item["id"], item["primary"]) for item in access["companies"]] == [(str(MEGHNA.companies[0].id), True)]
    accountant = first["padma-developers:access:padma-accountant"]
    assert accountant["departments"][0]["code"] == "ACC"
    assert accountant["designations"][0]["code"] == "ACCT"

    tree = await platform.client.get(
        f"{BASE}/companies/{MEGHNA.companies[0].id}/departments/tree", headers=platform.headers(MEGHNA.id)
    )
    engineering = next(node for node in tree.json() if node["code"] == "ENG")
    assert [child["code"] for child in engineering["children"]] == ["QS"]
    accounts = next(node for node in tree.json() if node["code"] == "ACC")
    cfo = next(user for user in MEGHNA.users if user.role == "finance-manager")
    assert accounts["head_user_id"] == str(cfo.id)
