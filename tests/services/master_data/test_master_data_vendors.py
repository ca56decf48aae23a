"""Vendors: TIN rules (required for contractors, unique per tenant), trade licence expiry, bank
routing numbers, mobile wallets, and the approval flow pending → approved | blacklisted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

BASE = "/api/v1/vendors"
ALL = ("master-data.vendor.*",)
WRITE = ("master-data.vendor.read", "master-data.vendor.write")


def vendor(code: str = "V-1", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": "Shitalakshya Cement Industries Ltd.", "name_bn": "শীতলক্ষ্যা সিমেন্ট", **extra}


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(BASE, json=vendor(**body), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def tomorrow() -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()


async def test_create_a_supplier_with_bank_account_and_wallets(platform, client, tenant) -> None:
    body = await create(
        client,
        platform.headers(tenant, ALL),
        kind="supplier",
        tin="2234-5678-9012",
        bin="001122334-0101",
        trade_licence_number=" ncc/2025/004512 ",
        trade_licence_expiry=tomorrow(),
        phones=["01713456789"],
        address={"line1": "Kanchpur", "district": "Narayanganj"},
        bank_account={
            "bank_name": "Sonali Bank PLC",
            "account_name": "Shitalakshya Cement",
            "account_number": "0102-0330-04512",
            "routing_number": "200 670 439",
        },
        mobile_wallets=[{"provider": "bkash", "number": "০১৭১৩-৪৫৬৭৮৯"}],
    )
    assert body["approval_status"] == "pending"
    assert (body["tin"], body["tin_formatted"]) == ("223456789012", "2234-5678-9012")
    assert body["trade_licence_number"] == "NCC/2025/004512"
    assert body["trade_licence_expired"] is False
    assert body["bank_account"]["routing_number"] == "200670439"
    assert body["bank_account"]["account_number"] == "0102033004512"
    assert body["mobile_wallets"] == [{"provider": "bkash", "number": "+8801713456789", "account_type": "merchant"}]
    assert body["address"]["district"] == "BD-40"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"kind": "contractor"}, "body.tin"),
        ({"tin": "123"}, "body.tin"),
        (
            {"bank_account": {"bank_name": "B", "account_name": "A", "account_number": "123", "routing_number": "12"}},
            "body.bank_account.account_number",
        ),
        (
            {
                "bank_account": {
                    "bank_name": "B",
                    "account_name": "A",
                    "account_number": "123456",
                    "routing_number": "12",
                }
            },
            "body.bank_account.routing_number",
        ),
        ({"mobile_wallets": [{"provider": "bkash", "number": "029123456"}]}, "body.mobile_wallets.0.number"),
        ({"trade_licence_number": "#!"}, "body.trade_licence_number"),
    ],
)
async def test_vendor_rules(platform, client, tenant, extra, field) -> None:
    response = await client.post(BASE, json=vendor(**extra), headers=platform.headers(tenant, ALL))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_contractor_keeps_its_tin(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    contractor = await create(client, headers, kind="contractor", tin="556789012345")
    url = f"{BASE}/{contractor['id']}"
    assert (await client.patch(url, json={"tin": None}, headers=headers)).status_code == 422
    supplier = await create(client, headers, code="V-2")
    assert (
        await client.patch(f"{BASE}/{supplier['id']}", json={"kind": "contractor"}, headers=headers)
    ).status_code == 422
    became = await client.patch(
        f"{BASE}/{supplier['id']}", json={"kind": "contractor", "tin": "667890123456"}, headers=headers
    )
    assert became.status_code == 200


async def test_tin_is_unique_per_tenant_among_vendors(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    first = await create(client, headers, code="V-1", tin="223456789012")
    duplicate = await client.post(BASE, json=vendor(code="V-2", tin="2234 5678 9012"), headers=headers)
    assert duplicate.status_code == 409
    assert (duplicate.json()["code"], duplicate.json()["vendor_id"]) == ("duplicate_tin", first["id"])
    second = await create(client, headers, code="V-2")
    clash = await client.patch(f"{BASE}/{second['id']}", json={"tin": "223456789012"}, headers=headers)
    assert clash.status_code == 409
    # Another tenant, and a customer of this tenant, may carry the same TIN.
    await create(client, platform.headers(uuid.uuid4(), ALL), code="V-1", tin="223456789012")
    customer = await client.post(
        "/api/v1/customers", json={"code": "C-1", "name": "X", "tin": "223456789012"}, headers=platform.headers(tenant)
    )
    assert customer.status_code == 201


async def test_approval_flow(platform, client, tenant) -> None:
    approver = uuid.uuid4()
    headers = {"Authorization": f"Bearer {platform.token(tenant, ALL, subject=approver)}"}
    created = await create(client, headers, trade_licence_expiry=tomorrow())
    url = f"{BASE}/{created['id']}"
    no_reason = await client.post(f"{url}/blacklist", json={}, headers=headers)
    assert no_reason.status_code == 422
    approved = await client.post(f"{url}/approve", json={"reason": "Documents verified", "version": 1}, headers=headers)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["approval_status"], body["approval_reason"], body["version"]) == ("approved", "Documents verified", 2)
    assert body["approval_changed_by"] == str(approver)
    again = await client.post(f"{url}/approve", json={}, headers=headers)
    assert (again.status_code, again.json()["code"], again.json()["approval_status"]) == (
        409,
        "invalid_transition",
        "approved",
    )
    stale = await client.post(f"{url}/blacklist", json={"reason": "x", "version": 1}, headers=headers)
    assert stale.status_code == 409
    blacklisted = await client.post(f"{url}/blacklist", json={"reason": "Short-loaded trucks"}, headers=headers)
    assert (blacklisted.json()["approval_status"], blacklisted.json()["approval_reason"]) == (
        "blacklisted",
        "Short-loaded trucks",
    )
    assert (await client.get(BASE, params={"approval_status": "blacklisted"}, headers=headers)).json()["items"][0][
        "id"
    ] == created["id"]
    reinstated = await client.post(f"{url}/reinstate", json={"reason": "Settled"}, headers=headers)
    assert reinstated.json()["approval_status"] == "pending"


async def test_an_expired_trade_licence_blocks_approval(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL, **{"Accept-Language": "bn"})
    created = await create(client, headers, trade_licence_expiry="2020-06-30")
    assert created["trade_licence_expired"] is True
    url = f"{BASE}/{created['id']}"
    refused = await client.post(f"{url}/approve", json={}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "trade_licence_expiry"
    assert "নবায়ন" in refused.json()["detail"]
    renewed = await client.patch(url, json={"trade_licence_expiry": tomorrow()}, headers=headers)
    assert renewed.json()["trade_licence_expired"] is False
    assert (await client.post(f"{url}/approve", json={}, headers=headers)).status_code == 200


async def test_approval_needs_its_own_permission(platform, client, tenant) -> None:
    created = await create(client, platform.headers(tenant, ALL))
    denied = await client.post(f"{BASE}/{created['id']}/approve", json={}, headers=platform.headers(tenant, WRITE))
    assert denied.status_code == 403
    assert denied.json()["permission"] == "master-data.vendor.approve"


async def test_a_deleted_vendor_cannot_be_approved(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    created = await create(client, headers)
    await client.delete(f"{BASE}/{created['id']}", headers=headers)
    response = await client.post(f"{BASE}/{created['id']}/approve", json={}, headers=headers)
    assert (response.status_code, response.json()["code"]) == (409, "record_deleted")


async def test_search_vendors_by_wallet_number(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await create(client, headers, code="V-BRK", mobile_wallets=[{"provider": "nagad", "number": "01715112233"}])
    await create(client, headers, code="V-OTH", phones=["01819000111"])
    found = await client.get(BASE, params={"q": "+880 1715-112233"}, headers=headers)
    assert [item["code"] for item in found.json()["items"]] == ["V-BRK"]
