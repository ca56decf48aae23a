"""The demo seed: the chart of accounts and realistic records for the demo tenants; stable ids;
running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from vextrus.demo import DEMO_TENANTS, demo_id
from vextrus.kit.service import SeedContext
from vextrus.services import master_data

MEGHNA = next(tenant for tenant in DEMO_TENANTS if tenant.slug == "meghna-group")
PADMA = next(tenant for tenant in DEMO_TENANTS if tenant.slug == "padma-developers")


async def snapshot(platform) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for tenant in DEMO_TENANTS:
        headers = platform.headers(tenant.id, ("master-data.*",))
        for entity in ("customers", "vendors", "products", "accounts"):
            response = await platform.client.get(f"/api/v1/{entity}", params={"limit": 200}, headers=headers)
            assert response.status_code == 200
            state[f"{tenant.slug}:{entity}"] = response.json()["items"]
    return state


async def test_seed_is_idempotent_and_realistic(platform) -> None:
    seed = master_data.service.seed
    assert seed is not None
    await seed(SeedContext(platform.runtime))
    first = await snapshot(platform)
    await seed(SeedContext(platform.runtime))
    assert await snapshot(platform) == first

    vendors = {item["code"]: item for item in first["meghna-group:vendors"]}
    assert vendors["V-CEM-001"]["id"] == str(demo_id("master-data:vendor", "meghna-group:V-CEM-001"))
    assert vendors["V-CEM-001"]["approval_status"] == "approved"
    assert vendors["V-TRN-001"]["approval_status"] == "blacklisted"
    assert vendors["V-TRN-001"]["approval_reason"]
    assert vendors["V-SND-001"]["trade_licence_expired"] is True
    assert vendors["V-CON-001"]["kind"] == "contractor"
    assert vendors["V-CON-001"]["tin"]
    assert vendors["V-BRK-001"]["mobile_wallets"][0]["provider"] == "bkash"

    customers = {item["code"]: item for item in first["meghna-group:customers"]}
    assert {item["kind"] for item in customers.values()} == {"corporate", "government", "ngo", "individual"}
    assert customers["C-0002"]["billing_address"]["district"] == "BD-13"

    products = {item["code"]: item for item in first["meghna-group:products"]}
    cement = products["MAT-CEM-PCC"]
    assert (cement["unit"], cement["purchase_price"], cement["hs_code_formatted"]) == ("bag", "510.00", "2523.29.00")
    accounts = {item["id"]: item["code"] for item in first["meghna-group:accounts"]}
    assert accounts[cement["purchase_account_id"]] == "1161"
    assert products["MAT-RICE"]["vat_exempt"] is True
    assert products["MAT-TIL-24"]["sd_rate"] == "10.00"
    assert {"1000", "2120", "5500"} <= set(accounts.values())

    padma = {item["code"]: item for item in first["padma-developers:products"]}
    assert padma["FLAT-PT-B"]["sale_price"] == "6500.00"
    assert first["padma-developers:customers"][0]["name_bn"] == "ডাঃ নাসরিন সুলতানা"
    assert PADMA.id != MEGHNA.id
