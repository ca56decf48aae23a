"""Products and services: categories, units and conversions, HS codes, VAT codes and exemptions,
purchase/sale accounts, prices (with their own event), and quantity conversion."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

BASE = "/api/v1/products"


def cement(code: str = "MAT-CEM", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Portland Composite Cement, 50 kg bag",
        "name_bn": "পোর্টল্যান্ড কম্পোজিট সিমেন্ট",
        "category": "cement",
        "unit": "bag",
        "conversions": [{"unit": "kg", "factor": "0.02"}, {"unit": "ton", "factor": "20"}],
        "hs_code": "2523.29.00",
        "purchase_price": "510",
        "sale_price": "545.5",
        **extra,
    }


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_a_material(platform, client, tenant) -> None:
    body = await create(client, platform.headers(tenant), cement())
    assert (body["type"], body["unit"], body["hs_code"], body["hs_code_formatted"]) == (
        "goods",
        "bag",
        "25232900",
        "2523.29.00",
    )
    assert (body["purchase_price"], body["sale_price"], body["currency"]) == ("510.00", "545.50", "BDT")
    assert (body["vat_rate_code"], body["vat_exempt"], body["sd_rate"]) == ("STANDARD", False, "0.00")
    assert body["conversions"] == [{"unit": "kg", "factor": "0.02"}, {"unit": "ton", "factor": "20"}]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category": "labour"}, "body.category"),
        ({"category": "spaceships"}, "body.category"),
        ({"unit": "parsec"}, "body.unit"),
        ({"conversions": [{"unit": "bag", "factor": "1"}]}, "body.conversions.0.unit"),
        ({"conversions": [{"unit": "kg", "factor": "0"}]}, "body.conversions.0.factor"),
        ({"hs_code": "25"}, "body.hs_code"),
        ({"vat_rate_code": "EXEMPT"}, "body.exemption_reason"),
        ({"exemption_reason": "because"}, "body.exemption_reason"),
        ({"vat_rate_code": "VAT99"}, "body.vat_rate_code"),
        ({"sd_rate": "-5"}, "body.sd_rate"),
        ({"purchase_account_id": str(uuid.uuid4())}, "body.purchase_account_id"),
    ],
)
async def test_product_rules(platform, client, tenant, extra, field) -> None:
    response = await client.post(BASE, json=cement(**extra), headers=platform.headers(tenant))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_services_and_exempt_goods(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    mason = await create(
        client,
        headers,
        {
            "code": "SRV-MASON",
            "name": "Mason, per day",
            "type": "service",
            "category": "labour",
            "unit": "day",
            "purchase_price": "950",
        },
    )
    assert (mason["type"], mason["hs_code"]) == ("service", None)
    with_hs = await client.post(
        BASE,
        json={
            "code": "SRV-X",
            "name": "X",
            "type": "service",
            "category": "labour",
            "unit": "day",
            "hs_code": "25232900",
        },
        headers=headers,
    )
    assert with_hs.status_code == 422
    rice = await create(
        client,
        headers,
        {
            "code": "MAT-RICE",
            "name": "Coarse rice",
            "category": "other_goods",
            "unit": "kg",
            "vat_rate_code": "EXEMPT",
            "exemption_reason": "First Schedule, VAT and SD Act 2012",
            "exemption_reference": "First Schedule",
        },
    )
    assert (rice["vat_exempt"], rice["exemption_reason"]) == (True, "First Schedule, VAT and SD Act 2012")
    # Leaving the exempt code drops the reason.
    standard = await client.patch(f"{BASE}/{rice['id']}", json={"vat_rate_code": "REDUCED_5"}, headers=headers)
    assert (standard.json()["vat_exempt"], standard.json()["exemption_reason"]) == (False, None)


async def test_accounts_must_be_posting_accounts_of_the_right_type(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    await client.post("/api/v1/accounts/template", headers=headers)
    accounts = {
        item["code"]: item
        for item in (await client.get("/api/v1/accounts", params={"limit": 200}, headers=headers)).json()["items"]
    }
    ok = await create(
        client,
        headers,
        cement(purchase_account_id=accounts["1161"]["id"], sale_account_id=accounts["4300"]["id"]),
    )
    assert ok["purchase_account_id"] == accounts["1161"]["id"]
    for field, code, fragment in (
        ("purchase_account_id", "1160", "group"),
        ("sale_account_id", "5110", "expense"),
        ("purchase_account_id", "4300", "income"),
    ):
        response = await client.patch(f"{BASE}/{ok['id']}", json={field: accounts[code]["id"]}, headers=headers)
        assert response.status_code == 422, (field, code)
        assert fragment in response.json()["detail"]


async def test_quantity_conversion(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    product = await create(client, headers, cement())
    url = f"{BASE}/{product['id']}/convert"
    cases = [
        ("2", "ton", "bag", "40"),
        ("40", "bag", "ton", "2"),
        ("100", "kg", "bag", "2"),
        ("500", "g", "bag", "0.01"),
        ("3", "bag", "bag", "3"),
    ]
    for quantity, source, target, expected in cases:
        response = await client.get(
            url, params={"quantity": quantity, "from_unit": source, "to_unit": target}, headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["result"] == expected, (quantity, source, target)
    impossible = await client.get(url, params={"quantity": "1", "from_unit": "cft", "to_unit": "bag"}, headers=headers)
    assert impossible.status_code == 422
    unknown = await client.get(url, params={"quantity": "1", "from_unit": "parsec", "to_unit": "bag"}, headers=headers)
    assert unknown.status_code == 422


async def test_custom_units_and_the_catalogues(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    units = {item["code"]: item for item in (await client.get("/api/v1/units", headers=headers)).json()}
    assert {"cft", "sft", "rft", "bag", "ton", "kg", "cum"} <= set(units)
    assert (units["cft"]["dimension"], units["cft"]["base_unit"], units["cft"]["standard"]) == ("volume", "cum", True)
    assert units["ton"]["factor"] == "1000"
    truck = await client.post(
        "/api/v1/units",
        json={
            "code": "truckload",
            "name": "Truck load (500 cft)",
            "name_bn": "ট্রাক লোড",
            "dimension": "volume",
            "factor": "14.158423296",
        },
        headers=headers,
    )
    assert truck.status_code == 201, truck.text
    assert (
        await client.post("/api/v1/units", json={"code": "cft", "name": "x", "dimension": "volume"}, headers=headers)
    ).status_code == 409
    sand = await create(
        client,
        headers,
        {"code": "MAT-SAND", "name": "Sylhet sand", "category": "sand", "unit": "cft", "purchase_price": "52"},
    )
    converted = await client.get(
        f"{BASE}/{sand['id']}/convert",
        params={"quantity": "1", "from_unit": "truckload", "to_unit": "cft"},
        headers=headers,
    )
    assert converted.json()["result"] == "500"
    other_tenant = await client.get("/api/v1/units", headers=platform.headers(uuid.uuid4()))
    assert "truckload" not in {item["code"] for item in other_tenant.json()}
    currencies = (await client.get("/api/v1/currencies", headers=headers)).json()
    assert [item["code"] for item in currencies if item["base"]] == ["BDT"]
    assert currencies[0]["symbol"] == "৳"


async def test_search_and_filters(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    await create(client, headers, cement())
    await create(
        client,
        headers,
        {
            "code": "MAT-ROD-12",
            "name": "MS deformed bar 12 mm",
            "name_bn": "এমএস রড ১২ মিমি",
            "category": "steel",
            "unit": "ton",
        },
    )
    for q, expected in {
        "রড": ["MAT-ROD-12"],
        "cement": ["MAT-CEM"],
        "mat-": ["MAT-CEM", "MAT-ROD-12"],
        "25232900": ["MAT-CEM"],
    }.items():
        items = (await client.get(BASE, params={"q": q}, headers=headers)).json()["items"]
        assert [item["code"] for item in items] == expected, q
    steel = (await client.get(BASE, params={"category": "steel"}, headers=headers)).json()["items"]
    assert [item["code"] for item in steel] == ["MAT-ROD-12"]
