"""Bulk import (``POST /api/v1/{entity}/import``): upsert by code with the REST API's rules.

The central property: a row the REST API refuses is refused by the import with the same field and
code, and a row it accepts is accepted; importing the same rows again changes nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent


async def imported(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    entity: str,
    rows: list[dict[str, Any]],
    *,
    dry_run: bool = False,
    status: int = 200,
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/{entity}/import", json={"rows": rows, "dry_run": dry_run, **extra}, headers=headers
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def statuses(result: dict[str, Any]) -> list[str]:
    return [item["status"] for item in result["results"]]


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


async def events_of(platform: Any, tenant: uuid.UUID) -> list[dict[str, Any]]:
    async with platform.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.service == "master-data"))).scalars().all()
    found = [json.loads(row.envelope) for row in rows]
    return sorted([item for item in found if item["tenantid"] == str(tenant)], key=lambda item: item["time"])


async def test_dry_run_then_upsert_by_code_is_idempotent(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ("master-data.product.*",))
    rows = [cement("mat-cem"), cement("MAT-OPC", name="Ordinary Portland Cement"), cement("BAD", unit="parsec")]

    dry = await imported(client, headers, "products", rows, dry_run=True)
    assert statuses(dry) == ["created", "created", "invalid"]
    assert (dry["created"], dry["invalid"], dry["dry_run"]) == (2, 1, True)
    assert dry["results"][0]["code"] == "MAT-CEM"
    assert dry["results"][0]["id"] is None
    assert (await client.get("/api/v1/products", headers=headers)).json()["items"] == []

    first = await imported(client, headers, "products", rows)
    assert statuses(first) == ["created", "created", "invalid"]
    stored = (await client.get("/api/v1/products", headers=headers)).json()["items"]
    assert [item["code"] for item in stored] == ["MAT-CEM", "MAT-OPC"]
    assert stored[0]["id"] == first["results"][0]["id"]
    assert (stored[0]["hs_code"], stored[0]["sale_price"], stored[0]["version"]) == ("25232900", "545.50", 1)

    again = await imported(client, headers, "products", rows)
    assert statuses(again) == ["unchanged", "unchanged", "invalid"]
    assert again["results"][0]["id"] == first["results"][0]["id"]
    after = (await client.get("/api/v1/products", headers=headers)).json()["items"]
    assert after == stored

    # A row carrying only some fields changes only those (as PATCH does).
    changed = await imported(client, headers, "products", [{"code": "MAT-CEM", "sale_price": "560"}])
    assert statuses(changed) == ["updated"]
    assert changed["results"][0]["changed"] == ["sale_price"]
    product = (await client.get(f"/api/v1/products/{stored[0]['id']}", headers=headers)).json()
    assert (product["sale_price"], product["purchase_price"], product["version"]) == ("560.00", "510.00", 2)
    assert product["name_bn"] == "পোর্টল্যান্ড কম্পোজিট সিমেন্ট"


async def test_import_publishes_the_events_of_single_changes(platform, client, tenant) -> None:
    actor = uuid.uuid4()
    headers = {"Authorization": f"Bearer {platform.token(tenant, ('*',), subject=actor)}"}
    await imported(client, headers, "products", [cement("C-1"), cement("C-2")], dry_run=True)
    await imported(client, headers, "products", [cement("C-1"), cement("C-2")])
    await imported(client, headers, "products", [cement("C-1"), cement("C-2")])
    await imported(
        client, headers, "products", [{"code": "C-1", "purchase_price": "520"}, {"code": "C-2", "name": "X"}]
    )
    events = await events_of(platform, tenant)
    assert [item["type"] for item in events] == [
        "master-data.product.created",
        "master-data.product.created",
        "master-data.product.updated",
        "master-data.product.price_updated",
        "master-data.product.updated",
    ]
    assert all(item["actor"] == str(actor) for item in events)
    assert events[0]["data"]["record"]["hs_code_formatted"] == "2523.29.00"
    assert events[3]["data"]["purchase_price"] == {"old": "510.00", "new": "520.00"}


# Rows the REST API refuses, and the field it names: the import refuses them with the same field
# (without the API's `body.` prefix) and the same code.
PRODUCT_CASES = [
    {"category": "labour"},
    {"category": "spaceships"},
    {"unit": "parsec"},
    {"conversions": [{"unit": "bag", "factor": "1"}]},
    {"conversions": [{"unit": "kg", "factor": "0"}]},
    {"hs_code": "25"},
    {"vat_rate_code": "EXEMPT"},
    {"exemption_reason": "because"},
    {"vat_rate_code": "VAT99"},
    {"sd_rate": "-5"},
    {"purchase_price": "12.345"},
    {"purchase_account_id": str(uuid.uuid4())},
    {"name": ""},
    {"colour": "grey"},
    {"code": "bad code!"},
]
CUSTOMER_CASES = [
    {"tin": "12345"},
    {"bin": "12"},
    {"nid": "123"},
    {"phones": ["01112345678"]},
    {"phones": ["12"]},
    {"email": "not-an-email"},
    {"billing_address": {"line1": "House 1", "district": "Atlantis"}},
    {"billing_address": {"line1": "House 1", "district": "Comilla", "division": "Sylhet"}},
    {"billing_address": {"line1": "House 1", "postal_code": "12"}},
    {"kind": "alien"},
    {"credit_limit": "-1"},
    {"payment_terms_days": 400},
    {"contact_persons": [{"name": "Rahim", "phone": "123"}]},
]
VENDOR_CASES = [
    {"kind": "contractor"},
    {"tin": "1234"},
    {"bank_account": {"bank_name": "Sonali", "account_name": "X", "account_number": "12", "routing_number": "1"}},
    {"mobile_wallets": [{"provider": "bkash", "number": "123"}]},
    {"mobile_wallets": [{"provider": "paypal", "number": "01711234567"}]},
    {"trade_licence_number": "#"},
]


async def refusals(
    client: httpx.AsyncClient, headers: dict[str, str], entity: str, body: dict[str, Any]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    api = await client.post(f"/api/v1/{entity}", json=body, headers=headers)
    assert api.status_code == 422, api.text
    api_errors = [(item["field"].removeprefix("body."), item["code"]) for item in api.json()["errors"]]
    result = await imported(client, headers, entity, [body], dry_run=True)
    row = result["results"][0]
    assert row["status"] == "invalid", row
    return api_errors, [(item["field"], item["code"]) for item in row["errors"]]


@pytest.mark.parametrize("extra", PRODUCT_CASES)
async def test_products_are_refused_as_the_api_refuses_them(platform, client, tenant, extra) -> None:
    api, bulk = await refusals(client, platform.headers(tenant), "products", cement(**extra))
    assert bulk == api


@pytest.mark.parametrize("extra", CUSTOMER_CASES)
async def test_customers_are_refused_as_the_api_refuses_them(platform, client, tenant, extra) -> None:
    body = {"code": "C-1", "name": "Rupayan Housing Estate", **extra}
    api, bulk = await refusals(client, platform.headers(tenant), "customers", body)
    assert bulk == api


@pytest.mark.parametrize("extra", VENDOR_CASES)
async def test_vendors_are_refused_as_the_api_refuses_them(platform, client, tenant, extra) -> None:
    body = {"code": "V-1", "name": "Bashundhara Cement Mills", **extra}
    api, bulk = await refusals(client, platform.headers(tenant), "vendors", body)
    assert bulk == api


async def test_rows_the_api_accepts_are_stored_as_the_api_stores_them(platform, client, tenant) -> None:
    """The same body through POST and through the import gives the same record."""
    headers = platform.headers(tenant)
    body = {
        "kind": "supplier",
        "name": "Meghna Sand Traders",
        "name_bn": "মেঘনা বালু ব্যবসায়ী",
        "tin": "৩৬১৪ ৫২৯৮ ৭০১৩",
        "phones": ["01711-234567", "+880 2 9551234"],
        "address": {"line1": "Ghat Road", "district": "কুমিল্লা", "postal_code": "3500"},
        "bank_account": {
            "bank_name": "Sonali Bank",
            "account_name": "Meghna Sand Traders",
            "account_number": "0012345678",
            "routing_number": "200270522",
        },
        "mobile_wallets": [{"provider": "bkash", "number": "01811-234567"}],
    }
    api = await client.post("/api/v1/vendors", json={"code": "V-API", **body}, headers=headers)
    assert api.status_code == 201, api.text
    result = await imported(client, headers, "vendors", [{"code": "V-IMP", **{**body, "tin": "123456789012"}}])
    assert statuses(result) == ["created"]
    stored = (await client.get(f"/api/v1/vendors/{result['results'][0]['id']}", headers=headers)).json()
    ignore = {"id", "code", "tin", "tin_formatted", "created_at", "updated_at", "created_by", "updated_by"}
    assert {k: v for k, v in stored.items() if k not in ignore} == {
        k: v for k, v in api.json().items() if k not in ignore
    }
    assert stored["approval_status"] == "pending"


async def test_vendor_tins_stay_unique(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    base = {"name": "Supplier", "kind": "supplier"}
    await imported(client, headers, "vendors", [{"code": "V-1", "tin": "361452987013", **base}])
    result = await imported(
        client,
        headers,
        "vendors",
        [
            {"code": "V-2", "tin": "3614-5298-7013", **base},  # taken by V-1
            {"code": "V-3", "tin": "123456789012", **base},
            {"code": "V-4", "tin": "123456789012", **base},  # taken by V-3 just above
            {"code": "V-1", "tin": "361452987013", **base},  # its own TIN: unchanged
        ],
    )
    assert statuses(result) == ["invalid", "created", "invalid", "unchanged"]
    assert result["results"][0]["errors"][0]["field"] == "tin"
    assert "V-1" in result["results"][0]["errors"][0]["reason"]
    assert "V-3" in result["results"][2]["errors"][0]["reason"]


async def test_codes_are_checked_once_per_request_and_deleted_records_are_not_revived(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    created = await imported(client, headers, "customers", [{"code": "C-1", "name": "Old customer"}])
    await client.delete(f"/api/v1/customers/{created['results'][0]['id']}", headers=headers)
    result = await imported(
        client,
        headers,
        "customers",
        [
            {"code": "c-1", "name": "Revived?"},
            {"code": "C-2", "name": "New"},
            {"code": " c-2 ", "name": "Twice"},
            {"name": "No code"},
            {"code": 7, "name": "A number"},
        ],
    )
    assert statuses(result) == ["invalid", "created", "invalid", "invalid", "invalid"]
    assert [row["errors"][0]["code"] for row in result["results"] if row["errors"]] == [
        "record_deleted",
        "duplicate",
        "missing",
        "string_type",
    ]
    assert "row 1" in result["results"][2]["errors"][0]["reason"]
    bn = result["results"][0]["errors"][0]["reason_bn"]
    assert bn
    assert "মুছে" in bn


async def test_accounts_by_parent_code_in_the_same_request_and_assumed_in_dry_runs(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    rows = [
        {"code": "9000", "name": "Site assets", "name_bn": "সাইট সম্পদ", "type": "asset", "is_group": True},
        {"code": "9010", "name": "Site cash", "type": "asset", "parent_code": "9000"},
        {"code": "9020", "name": "Site income", "type": "income", "parent_code": "9000"},
        {"code": "9030", "name": "Orphan", "type": "asset", "parent_code": "9999"},
    ]
    dry = await imported(client, headers, "accounts", rows, dry_run=True)
    assert statuses(dry) == ["created", "created", "invalid", "invalid"]
    assert [(e["field"], e["code"]) for e in dry["results"][2]["errors"]] == [("parent_code", "invalid")]
    assert dry["results"][3]["errors"][0]["field"] == "parent_code"

    # A later batch of the same dry run: the parent is only assumed (an earlier batch creates it).
    later = await imported(
        client,
        headers,
        "accounts",
        [{"code": "9011", "name": "Petty cash", "type": "asset", "parent_code": "9000"}],
        dry_run=True,
        assume=[{"code": "9000", "type": "asset", "is_group": True}],
    )
    assert statuses(later) == ["created"]
    # Outside a dry run an assumption is no account.
    refused = await imported(
        client,
        headers,
        "accounts",
        [{"code": "9011", "name": "Petty cash", "type": "asset", "parent_code": "9000"}],
        assume=[{"code": "9000", "type": "asset", "is_group": True}],
    )
    assert statuses(refused) == ["invalid"]

    committed = await imported(client, headers, "accounts", rows[:2])
    assert statuses(committed) == ["created", "created"]
    child = (await client.get(f"/api/v1/accounts/{committed['results'][1]['id']}", headers=headers)).json()
    assert (child["parent_id"], child["normal_balance"]) == (committed["results"][0]["id"], "debit")

    moves = await imported(
        client,
        headers,
        "accounts",
        [
            {"code": "9000", "type": "income"},  # the type cannot change
            {"code": "9000", "parent_code": "9010"},  # duplicate code in the request
        ],
    )
    assert [row["errors"][0]["code"] for row in moves["results"]] == ["immutable", "duplicate"]
    cycle = await imported(client, headers, "accounts", [{"code": "9000", "parent_code": "9010"}])
    assert cycle["results"][0]["errors"][0]["field"] == "parent_code"
    posting = await imported(client, headers, "accounts", [{"code": "9000", "is_group": False}])
    assert posting["results"][0]["errors"][0]["code"] == "account_has_children"


async def test_products_name_their_accounts_by_code(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    assert (await client.post("/api/v1/accounts/template", headers=headers)).status_code == 200
    result = await imported(
        client,
        headers,
        "products",
        [
            cement("P-1", purchase_account_code="1161", sale_account_code="4300"),
            cement("P-2", purchase_account_code="4300"),  # an income account for purchases
            cement("P-3", purchase_account_code="0000"),
            cement("P-4", sale_account_code="4000"),  # a group
            cement("P-5", purchase_account_code="1161", purchase_account_id=str(uuid.uuid4())),
        ],
    )
    assert statuses(result) == ["created", "invalid", "invalid", "invalid", "invalid"]
    assert [row["errors"][0]["field"] for row in result["results"][1:]] == [
        "purchase_account_code",
        "purchase_account_code",
        "sale_account_code",
        "purchase_account_code",
    ]
    product = (await client.get(f"/api/v1/products/{result['results'][0]['id']}", headers=headers)).json()
    accounts = (await client.get("/api/v1/accounts", params={"q": "1161"}, headers=headers)).json()["items"]
    assert product["purchase_account_id"] == accounts[0]["id"]


async def test_import_needs_the_write_permission_and_stays_in_the_tenant(platform, client, tenant) -> None:
    reader = platform.headers(tenant, ("master-data.product.read",))
    denied = await client.post("/api/v1/products/import", json={"rows": [cement()]}, headers=reader)
    assert denied.status_code == 403
    assert denied.json()["permission"] == "master-data.product.write"
    await imported(client, platform.headers(tenant), "products", [cement("SHARED")])
    other = uuid.uuid4()
    result = await imported(client, platform.headers(other), "products", [cement("SHARED")])
    assert statuses(result) == ["created"]  # the other tenant's code is not seen


@pytest.mark.parametrize(
    "body",
    [
        {"rows": []},
        {"rows": [{"code": f"P-{i}"} for i in range(1001)]},
        {"rows": [cement()], "unknown": 1},
        {"rows": "nope"},
    ],
)
async def test_malformed_requests_are_422(platform, client, tenant, body) -> None:
    response = await client.post("/api/v1/products/import", json=body, headers=platform.headers(tenant))
    assert response.status_code == 422, response.text


async def test_the_public_client_imports_and_reads_page_by_page(platform, tenant) -> None:
    """client.py: what other services use (in-process here), as a minted principal or a forwarded header."""
    from vextrus.kit.errors import AppError
    from vextrus.kit.tenancy import Principal
    from vextrus.services.master_data.client import MasterDataClient, write_permission

    principal = Principal(subject=uuid.uuid4(), tenant_id=tenant, permissions=frozenset({write_permission("products")}))
    importer = MasterDataClient(platform.runtime, principal=principal)
    rows = [cement(f"P-{number:03d}") for number in range(205)] + [cement("P-BAD", unit="parsec")]
    dry = await importer.import_rows("products", rows[:100], dry_run=True)
    assert (dry.dry_run, dry.created, dry.results[0].id) == (True, 100, None)
    batches = [await importer.import_rows("products", chunk, dry_run=False) for chunk in (rows[:150], rows[150:])]
    assert [(batch.created, batch.invalid) for batch in batches] == [(150, 0), (55, 1)]
    problem = batches[1].results[-1].errors[0]
    assert (problem.field, problem.code, batches[1].results[-1].status) == ("unit", "invalid", "invalid")

    reader = MasterDataClient(
        platform.runtime, authorization=platform.headers(tenant, ("master-data.product.read",))["Authorization"]
    )
    codes = [item["code"] async for item in reader.records("products", {"category": "cement"})]
    assert codes == [f"P-{number:03d}" for number in range(205)]
    with pytest.raises(AppError) as refused:
        await reader.import_rows("products", rows[:1], dry_run=True)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    with pytest.raises(AppError) as invalid:
        await reader.page("products", {"type": "spaceship"})
    assert invalid.value.status == 422
    assert invalid.value.errors[0].field == "query.type"
    with pytest.raises(ValueError):
        MasterDataClient(platform.runtime)
