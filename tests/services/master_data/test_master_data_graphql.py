"""GraphQL: the federation entities (Customer, Vendor, Product, Account) resolve by reference,
queries search and page, vendor approval mutations, permissions."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


async def gql(client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def seed_records(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    await client.post("/api/v1/accounts/template", headers=headers)
    customer = await client.post(
        "/api/v1/customers",
        json={
            "code": "C-1",
            "name": "Gulshan Heights",
            "name_bn": "গুলশান হাইটস",
            "bin": "004512378-0101",
            "phones": ["01711234567"],
        },
        headers=headers,
    )
    vendor = await client.post(
        "/api/v1/vendors", json={"code": "V-1", "name": "Karnaphuli Steel", "tin": "334567890123"}, headers=headers
    )
    product = await client.post(
        "/api/v1/products",
        json={"code": "MAT-ROD", "name": "MS rod 12 mm", "category": "steel", "unit": "ton", "sale_price": "96500"},
        headers=headers,
    )
    account = (await client.get("/api/v1/accounts", params={"q": "1110"}, headers=headers)).json()["items"][0]
    return {
        "Customer": customer.json()["id"],
        "Vendor": vendor.json()["id"],
        "Product": product.json()["id"],
        "Account": account["id"],
    }


async def test_entities_resolve_by_reference(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    ids = await seed_records(client, headers)
    query = """
      query($representations: [_Any!]!) {
        _entities(representations: $representations) {
          __typename
          ... on Customer { id code nameBn binFormatted phones }
          ... on Vendor { id code approvalStatus tin }
          ... on Product { id code salePrice unit }
          ... on Account { id code type normalBalance posting }
        }
      }
    """
    representations = [{"__typename": name, "id": ident} for name, ident in ids.items()]
    body = await gql(client, headers, query, representations=representations)
    assert "errors" not in body, body
    customer, vendor, product, account = body["data"]["_entities"]
    assert customer == {
        "__typename": "Customer",
        "id": ids["Customer"],
        "code": "C-1",
        "nameBn": "গুলশান হাইটস",
        "binFormatted": "004512378-0101",
        "phones": ["+8801711234567"],
    }
    assert (vendor["approvalStatus"], vendor["tin"]) == ("pending", "334567890123")
    assert (product["salePrice"], product["unit"]) == ("96500.00", "ton")
    assert (account["code"], account["type"], account["normalBalance"], account["posting"]) == (
        "1110",
        "asset",
        "debit",
        True,
    )


async def test_queries_and_the_chart(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    ids = await seed_records(client, headers)
    body = await gql(
        client,
        headers,
        """query($vendor: ID!) { customers(q: "গুলশান") { items { code } nextCursor }
             vendor(id: $vendor) { code kind }
             products(limit: 1) { items { code } }
             accounts(q: "21", limit: 2) { items { code } nextCursor }
             chartOfAccounts }""",
        vendor=ids["Vendor"],
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["customers"] == {"items": [{"code": "C-1"}], "nextCursor": None}
    assert data["vendor"] == {"code": "V-1", "kind": "supplier"}
    assert data["products"]["items"] == [{"code": "MAT-ROD"}]
    assert [item["code"] for item in data["accounts"]["items"]] == ["2100", "2110"]
    assert data["accounts"]["nextCursor"]
    assert [node["code"] for node in data["chartOfAccounts"]] == ["1000", "2000", "3000", "4000", "5000"]


async def test_vendor_approval_mutations(platform, client, tenant) -> None:
    headers = platform.headers(tenant)
    ids = await seed_records(client, headers)
    approved = await gql(
        client, headers, "mutation($id: ID!) { approveVendor(id: $id) { approvalStatus version } }", id=ids["Vendor"]
    )
    assert approved["data"]["approveVendor"] == {"approvalStatus": "approved", "version": 2}
    again = await gql(
        client, headers, "mutation($id: ID!) { approveVendor(id: $id) { approvalStatus } }", id=ids["Vendor"]
    )
    assert again["errors"][0]["extensions"]["code"] == "invalid_transition"
    blacklisted = await gql(
        client,
        headers,
        "mutation($id: ID!, $reason: String!) "
        "{ blacklistVendor(id: $id, reason: $reason) { approvalStatus approvalReason } }",
        id=ids["Vendor"],
        reason="Fake mill certificates",
    )
    assert blacklisted["data"]["blacklistVendor"] == {
        "approvalStatus": "blacklisted",
        "approvalReason": "Fake mill certificates",
    }


async def test_permissions_and_other_tenants(platform, client, tenant) -> None:
    ids = await seed_records(client, platform.headers(tenant))
    reader = platform.headers(tenant, ("master-data.product.read",))
    denied = await gql(client, reader, "query($id: ID!) { customer(id: $id) { code } }", id=ids["Customer"])
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
    mutation = await gql(client, reader, "mutation($id: ID!) { approveVendor(id: $id) { code } }", id=ids["Vendor"])
    assert mutation["errors"][0]["extensions"]["code"] == "forbidden"
    stranger = platform.headers(uuid.uuid4())
    missing = await gql(client, stranger, "query($id: ID!) { customer(id: $id) { code } }", id=ids["Customer"])
    assert missing["errors"][0]["extensions"]["code"] == "not_found"
    garbage = await gql(client, stranger, '{ product(id: "not-a-uuid") { code } }')
    assert garbage["errors"][0]["extensions"]["code"] == "not_found"
    anonymous = await gql(client, {}, "query($id: ID!) { customer(id: $id) { code } }", id=ids["Customer"])
    assert anonymous["errors"][0]["extensions"]["code"] == "unauthorized"


async def test_cost_price_is_null_without_the_cost_permission_in_rest_and_graphql(platform, client, tenant) -> None:
    """A sensitive field: readers see a product's purchase (cost) price only with
    master-data.product.cost.read (or the write permission that sets prices)."""
    created = await client.post(
        "/api/v1/products",
        json={
            "code": "MAT-CEM",
            "name": "Portland cement",
            "category": "cement",
            "unit": "bag",
            "purchase_price": "510",
            "sale_price": "560",
        },
        headers=platform.headers(tenant),
    )
    assert created.status_code == 201, created.text
    product_id = created.json()["id"]
    query = """
      query($id: ID!) {
        product(id: $id) { code purchasePrice salePrice }
        products(q: "MAT-CEM") { items { purchasePrice } }
      }
    """
    cases = {
        ("master-data.product.read",): None,
        ("master-data.product.read", "master-data.product.cost.read"): "510.00",
        ("master-data.product.read", "master-data.product.write"): "510.00",
    }
    for permissions, expected in cases.items():
        headers = platform.headers(tenant, permissions)
        one = (await client.get(f"/api/v1/products/{product_id}", headers=headers)).json()
        listed = (await client.get("/api/v1/products", params={"q": "MAT-CEM"}, headers=headers)).json()["items"]
        assert (one["purchase_price"], one["sale_price"]) == (expected, "560.00"), permissions
        assert [item["purchase_price"] for item in listed] == [expected], permissions
        body = await gql(client, headers, query, id=product_id)
        assert "errors" not in body, body
        graph = body["data"]
        assert (graph["product"]["purchasePrice"], graph["product"]["salePrice"]) == (
            None if expected is None else "510.00",
            "560.00",
        ), permissions
        assert [item["purchasePrice"] for item in graph["products"]["items"]] == [graph["product"]["purchasePrice"]]
