"""Chart of accounts: the Bangladesh template (idempotent), the tree, parent and type rules,
cycles, deleting with sub-accounts, and the cached tree following changes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

BASE = "/api/v1/accounts"
ALL = ("master-data.account.*",)


async def install(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post(f"{BASE}/template", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def by_code(client: httpx.AsyncClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    items = (await client.get(BASE, params={"q": code, "limit": 1}, headers=headers)).json()["items"]
    assert items, code
    assert items[0]["code"] == code
    found: dict[str, Any] = items[0]
    return found


def find(nodes: list[dict[str, Any]], code: str) -> dict[str, Any] | None:
    for node in nodes:
        if node["code"] == code:
            return node
        found = find(node["children"], code)
        if found is not None:
            return found
    return None


async def test_template_installs_once(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    first = await install(client, headers)
    assert first["created"] > 60
    assert first["existing"] == 0
    assert first["codes"][:3] == ["1000", "1100", "1110"]
    second = await install(client, headers)
    assert (second["created"], second["existing"], second["codes"]) == (0, first["created"], [])
    tree = (await client.get(f"{BASE}/tree", headers=headers)).json()
    assert [node["code"] for node in tree] == ["1000", "2000", "3000", "4000", "5000"]
    vat = find(tree, "2120")
    assert vat is not None
    assert (vat["name_bn"], vat["type"], vat["normal_balance"], vat["is_group"]) == (
        "প্রদেয় মূসক (উৎপাদ কর)",
        "liability",
        "credit",
        False,
    )
    depreciation = await by_code(client, headers, "1260")
    assert (depreciation["type"], depreciation["normal_balance"], depreciation["is_system"]) == (
        "asset",
        "credit",
        True,
    )
    assert find(tree, "1100")["children"][0]["code"] == "1110"  # type: ignore[index]


async def test_template_ids_are_stable_per_tenant_and_code(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await install(client, headers)
    cash = await by_code(client, headers, "1110")
    assert cash["id"] == str(uuid.uuid5(tenant, "master-data:account-template:1110"))


async def test_template_skips_codes_the_tenant_uses(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    own = await client.post(BASE, json={"code": "1100", "name": "My current assets", "type": "asset"}, headers=headers)
    assert own.status_code == 201
    result = await install(client, headers)
    assert "1100" not in result["codes"]
    # 1110's template parent (1100) exists but is a posting account: 1110 goes to the top level.
    cash = await by_code(client, headers, "1110")
    assert cash["parent_id"] is None


async def test_parent_rules(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await install(client, headers)
    assets = await by_code(client, headers, "1100")
    cash = await by_code(client, headers, "1110")
    income = await by_code(client, headers, "4000")
    ok = await client.post(
        BASE,
        json={
            "code": "1115",
            "name": "Petty cash, Gazipur site",
            "name_bn": "খুচরা নগদ, গাজীপুর সাইট",
            "type": "asset",
            "parent_id": assets["id"],
        },
        headers=headers,
    )
    assert ok.status_code == 201
    assert (ok.json()["normal_balance"], ok.json()["posting"]) == ("debit", True)
    for parent, field_reason in ((cash["id"], "group"), (income["id"], "asset"), (str(uuid.uuid4()), "No such")):
        refused = await client.post(
            BASE,
            json={"code": f"X-{uuid.uuid4().hex[:4]}", "name": "X", "type": "asset", "parent_id": parent},
            headers=headers,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "body.parent_id"
        assert field_reason in refused.json()["detail"]


async def test_moving_accounts_cannot_create_cycles(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await install(client, headers)
    assets = await by_code(client, headers, "1000")
    current = await by_code(client, headers, "1100")
    inventories = await by_code(client, headers, "1160")
    cycle = await client.patch(f"{BASE}/{assets['id']}", json={"parent_id": inventories["id"]}, headers=headers)
    assert cycle.status_code == 422
    itself = await client.patch(f"{BASE}/{current['id']}", json={"parent_id": current["id"]}, headers=headers)
    assert itself.status_code == 422
    non_current = await by_code(client, headers, "1200")
    moved = await client.patch(f"{BASE}/{inventories['id']}", json={"parent_id": non_current["id"]}, headers=headers)
    assert moved.status_code == 200
    tree = (await client.get(f"{BASE}/tree", headers=headers)).json()
    assert "1160" in [child["code"] for child in find(tree, "1200")["children"]]  # type: ignore[index]
    assert "1160" not in [child["code"] for child in find(tree, "1100")["children"]]  # type: ignore[index]


async def test_groups_with_children(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await install(client, headers)
    inventories = await by_code(client, headers, "1160")
    url = f"{BASE}/{inventories['id']}"
    assert (await client.delete(url, headers=headers)).json()["code"] == "account_has_children"
    assert (await client.patch(url, json={"is_group": False}, headers=headers)).status_code == 409
    for code in ("1161", "1162", "1163"):
        child = await by_code(client, headers, code)
        assert (await client.delete(f"{BASE}/{child['id']}", headers=headers)).status_code == 204
    assert (await client.delete(url, headers=headers)).status_code == 204
    tree = (await client.get(f"{BASE}/tree", headers=headers)).json()
    assert find(tree, "1160") is None
    assert find(tree, "1161") is None
    child = (await client.get(BASE, params={"q": "1161", "include_deleted": "true"}, headers=headers)).json()["items"][
        0
    ]
    refused = await client.post(f"{BASE}/{child['id']}/restore", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "record_deleted")
    assert (await client.post(f"{url}/restore", headers=headers)).status_code == 200
    assert (await client.post(f"{BASE}/{child['id']}/restore", headers=headers)).status_code == 200
    tree = (await client.get(f"{BASE}/tree", headers=headers)).json()
    assert [node["code"] for node in find(tree, "1160")["children"]] == ["1161"]  # type: ignore[index]


async def test_tree_follows_renames(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await install(client, headers)
    await client.get(f"{BASE}/tree", headers=headers)
    bank = await by_code(client, headers, "1120")
    renamed = await client.patch(
        f"{BASE}/{bank['id']}", json={"name": "Cash at bank: Sonali Bank", "version": bank["version"]}, headers=headers
    )
    assert renamed.status_code == 200
    tree = (await client.get(f"{BASE}/tree", headers=headers)).json()
    assert find(tree, "1120")["name"] == "Cash at bank: Sonali Bank"  # type: ignore[index]


async def test_account_type_cannot_be_patched_and_filters_work(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await install(client, headers)
    cash = await by_code(client, headers, "1110")
    assert (await client.patch(f"{BASE}/{cash['id']}", json={"type": "income"}, headers=headers)).status_code == 422
    groups = (await client.get(BASE, params={"type": "equity", "is_group": "true"}, headers=headers)).json()["items"]
    assert [item["code"] for item in groups] == ["3000"]
