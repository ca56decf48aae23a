"""Events: each change writes its CloudEvents envelope to the outbox in the same transaction;
refused and no-op changes write nothing; the relay delivers them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent


async def events_of(platform, tenant: uuid.UUID) -> list[dict[str, Any]]:
    async with platform.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.service == "master-data"))).scalars().all()
    found = [json.loads(row.envelope) for row in rows]
    return sorted([item for item in found if item["tenantid"] == str(tenant)], key=lambda item: item["time"])


async def test_customer_lifecycle_events(platform, client, tenant) -> None:
    actor = uuid.uuid4()
    headers = {"Authorization": f"Bearer {platform.token(tenant, ('*',), subject=actor)}"}
    created = (
        await client.post(
            "/api/v1/customers", json={"code": "C-1", "name": "Gulshan Heights", "tin": "361452987013"}, headers=headers
        )
    ).json()
    url = f"/api/v1/customers/{created['id']}"
    # Refused and no-op changes publish nothing.
    await client.post("/api/v1/customers", json={"code": "C-2", "name": "X", "tin": "1"}, headers=headers)
    await client.patch(url, json={"name": "Gulshan Heights", "version": 1}, headers=headers)
    await client.patch(url, json={"credit_limit": "1", "version": 7}, headers=headers)
    await client.patch(url, json={"credit_limit": "250000", "name_bn": "গুলশান হাইটস"}, headers=headers)
    await client.delete(url, headers=headers)
    await client.delete(url, headers=headers)
    await client.post(f"{url}/restore", headers=headers)

    events = await events_of(platform, tenant)
    assert [item["type"] for item in events] == [
        "master-data.customer.created",
        "master-data.customer.updated",
        "master-data.customer.deleted",
        "master-data.customer.updated",
    ]
    assert all(item["subject"] == created["id"] and item["actor"] == str(actor) for item in events)
    assert all(item["source"] == "/vextrus/master-data" for item in events)
    created_event, updated, deleted, restored = (item["data"] for item in events)
    assert (created_event["code"], created_event["version"], created_event["record"]["tin_formatted"]) == (
        "C-1",
        1,
        "3614-5298-7013",
    )
    assert updated["changes"] == {
        "credit_limit": {"old": "0.00", "new": "250000.00"},
        "name_bn": {"old": None, "new": "গুলশান হাইটস"},
    }
    assert updated["version"] == 2
    assert (deleted["version"], deleted["code"]) == (3, "C-1")
    assert restored["changes"]["deleted_at"]["new"] is None


async def test_vendor_approval_and_product_price_events(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    vendor = (
        await client.post(
            "/api/v1/vendors",
            json={"code": "V-1", "name": "Dhaleshwari Auto Bricks", "tin": "445678901234"},
            headers=headers,
        )
    ).json()
    await client.post(f"/api/v1/vendors/{vendor['id']}/approve", json={}, headers=headers)
    await client.post(
        f"/api/v1/vendors/{vendor['id']}/blacklist", json={"reason": "Under-burnt bricks"}, headers=headers
    )
    product = (
        await client.post(
            "/api/v1/products",
            json={
                "code": "MAT-BRK",
                "name": "First-class bricks",
                "category": "brick",
                "unit": "pcs",
                "purchase_price": "12.5",
            },
            headers=headers,
        )
    ).json()
    await client.patch(
        f"/api/v1/products/{product['id']}", json={"purchase_price": "13", "sale_price": "14"}, headers=headers
    )
    await client.patch(f"/api/v1/products/{product['id']}", json={"description": "Machine-made"}, headers=headers)

    events = await events_of(platform, tenant)
    kinds = [item["type"] for item in events]
    assert kinds == [
        "master-data.vendor.created",
        "master-data.vendor.approved",
        "master-data.vendor.blacklisted",
        "master-data.product.created",
        "master-data.product.updated",
        "master-data.product.price_updated",
        "master-data.product.updated",
    ]
    approved, blacklisted = events[1]["data"], events[2]["data"]
    assert (approved["old_status"], approved["new_status"], approved["tin"]) == ("pending", "approved", "445678901234")
    assert (blacklisted["new_status"], blacklisted["reason"]) == ("blacklisted", "Under-burnt bricks")
    price = events[5]["data"]
    assert price["purchase_price"] == {"old": "12.50", "new": "13.00"}
    assert price["sale_price"] == {"old": None, "new": "14.00"}
    assert price["currency"] == "BDT"


async def test_the_relay_delivers_master_data_events(platform, client, tenant) -> None:
    await client.post(
        "/api/v1/customers", json={"code": "C-9", "name": "Delivered Ltd."}, headers=platform.headers(tenant)
    )
    mine: list[OutboxEvent] = []
    for _ in range(100):
        await platform.runtime.relay.drain()
        async with platform.runtime.database.transaction() as session:
            rows = (
                (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == "master-data.customer.created")))
                .scalars()
                .all()
            )
        mine = [row for row in rows if json.loads(row.envelope)["tenantid"] == str(tenant)]
        if mine and all(row.status == "sent" for row in mine):
            break
    assert len(mine) == 1
    assert mine[0].status == "sent"
