"""Exports: the list APIs' filters, CSV and XLSX, page after page, the template's columns (so an
export imports back unchanged), and the caller's own permissions."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from exchange_support import BASE, IMPORTER, XLSX, dry_run, read_csv, read_xlsx

from vextrus.services.exchange.layouts import LAYOUTS

CATEGORIES = ("cement", "brick", "sand")


async def seed_products(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> None:
    assert (await client.post("/api/v1/accounts/template", headers=headers)).status_code == 200
    rows = [
        {
            "code": f"P-{number:04d}",
            "name": f"Material {number}",
            "name_bn": f"সামগ্রী {number}",
            "category": CATEGORIES[number % 3],
            "unit": "bag" if number % 3 == 0 else "cft",
            "conversions": [{"unit": "kg", "factor": "0.02"}] if number % 3 == 0 else [],
            "sale_price": f"{500 + number}.50",
            "purchase_account_code": "1161",
        }
        for number in range(count)
    ]
    for start in range(0, count, 500):
        response = await client.post(
            "/api/v1/products/import", json={"rows": rows[start : start + 500]}, headers=headers
        )
        assert response.status_code == 200
        assert response.json()["created"] == len(rows[start : start + 500])


async def export(client: httpx.AsyncClient, headers: dict[str, str], entity: str, **params: Any) -> httpx.Response:
    return await client.get(f"{BASE}/exports/{entity}", params=params, headers=headers)


async def test_csv_export_with_filters_streams_every_page(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    await seed_products(client, headers, 650)
    response = await export(client, headers, "products", category="cement")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="products-' in response.headers["content-disposition"]
    rows = read_csv(response.content)
    assert rows[0] == [column.key for column in LAYOUTS["products"].columns]
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(body) == 217  # every third of 650, over two pages of the list API
    first = body[0]
    assert (first["code"], first["category"], first["conversions"], first["sale_price"]) == (
        "P-0000",
        "cement",
        "kg=0.02",
        "500.50",
    )
    assert (first["purchase_account"], first["version"], first["name_bn"]) == ("1161", "1", "সামগ্রী 0")
    searched = read_csv((await export(client, headers, "products", q="P-06")).content)
    assert len(searched) == 1 + 50


async def test_xlsx_export_is_typed_and_imports_back_unchanged(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    await seed_products(client, headers, 240)
    response = await export(client, headers, "products", format="xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    rows = read_xlsx(response.content)
    assert len(rows) == 241
    columns = rows[0]
    first = dict(zip(columns, rows[1], strict=True))
    assert first["sale_price"] == 500.5
    assert isinstance(first["version"], int)

    again = await dry_run(client, headers, "products", response.content, content_type=XLSX)
    assert again["counts"] == {
        "total": 240,
        "processed": 240,
        "created": 0,
        "updated": 0,
        "unchanged": 240,
        "invalid": 0,
    }
    assert set(again["columns"]) >= {"id", "version", "updated_at"}  # known, read-only: not imported

    csv_again = await dry_run(client, headers, "products", (await export(client, headers, "products")).content)
    assert csv_again["counts"]["unchanged"] == 240


async def test_other_entities(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    await client.post("/api/v1/accounts/template", headers=headers)
    accounts = read_csv((await export(client, headers, "accounts", type="asset", is_group="false")).content)
    by_code = {row[0]: dict(zip(accounts[0], row, strict=True)) for row in accounts[1:]}
    assert by_code["1161"]["parent_code"] == "1160"
    assert by_code["1161"]["is_group"] == "false"
    assert all(row["type"] == "asset" for row in by_code.values())

    vendor = {
        "code": "V-1",
        "name": "Bashundhara Cement",
        "tin": "361452987013",
        "phones": ["01711234567"],
        "address": {"line1": "Plot 5", "district": "Narayanganj"},
        "bank_account": {
            "bank_name": "Sonali Bank",
            "account_name": "Bashundhara",
            "account_number": "0012345678",
            "routing_number": "200270522",
        },
    }
    assert (await client.post("/api/v1/vendors", json=vendor, headers=headers)).status_code == 201
    rows = read_csv((await export(client, headers, "vendors", district="নারায়ণগঞ্জ")).content)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["approval_status"], record["bank_routing_number"]) == ("pending", "200270522")
    assert record["address_district"].startswith("BD-")  # stored as its ISO code, imports back as is
    assert record["phones"] == "+8801711234567"
    assert record["tin"] == "361452987013"
    assert len(read_csv((await export(client, headers, "vendors", district="Dhaka")).content)) == 1


async def test_filters_are_the_list_apis(platform, client, tenant) -> None:
    headers = platform.headers(tenant, IMPORTER)
    foreign = await export(client, headers, "products", approval_status="approved")
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "query.approval_status"
    bad = await export(client, headers, "products", type="spaceship")
    assert bad.status_code == 422  # master data's own answer
    assert bad.json()["errors"][0]["field"] == "query.type"
    bengali = await client.get(
        f"{BASE}/exports/customers", params={"tin": "12"}, headers={**headers, "Accept-Language": "bn"}
    )
    assert bengali.status_code == 422
    assert "টিআইএন" in bengali.json()["detail"]


async def test_exports_need_both_permissions(platform, client, tenant) -> None:
    no_export = platform.headers(tenant, ("master-data.*",))
    refused = await export(client, no_export, "products")
    assert (refused.status_code, refused.json()["permission"]) == (403, "exchange.export.read")
    no_read = platform.headers(tenant, ("exchange.*",))
    refused = await export(client, no_read, "products")
    assert (refused.status_code, refused.json()["permission"]) == (403, "master-data.product.read")
    # products without account.read: the account columns stay blank, the export works
    headers = platform.headers(tenant, IMPORTER)
    await seed_products(client, headers, 3)
    products_only = platform.headers(tenant, ("exchange.export.read", "master-data.product.read"))
    rows = read_csv((await export(client, products_only, "products")).content)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["purchase_account"], Decimal(record["sale_price"])) == ("", Decimal("500.50"))
    other = await export(client, platform.headers(uuid.uuid4(), IMPORTER), "products")
    assert read_csv(other.content)[1:] == []  # another tenant's records are not there
