"""Customers over HTTP: normalization of Bangladeshi identifiers, validation in both languages,
unique codes, optimistic locking, soft delete and restore, search, pagination, cache, tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

BASE = "/api/v1/customers"
ALL = ("master-data.customer.read", "master-data.customer.write", "master-data.customer.delete")


def customer(code: str = "C-1", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": "Bay of Bengal Garments Ltd.", "name_bn": "বে অব বেঙ্গল গার্মেন্টস লিমিটেড", **extra}


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(BASE, json=customer(**body), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_normalizes_identifiers_phones_and_address(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    response = await client.post(
        BASE,
        json=customer(
            code="c-0005",
            kind="corporate",
            tin="১৭৮৯-৪৫৬১-২৩৮০",
            bin="002345671 0102",
            phones=["01713-998877", "+880 1713 998877", "+880 2-9881234"],
            email="Admin@BOBGarments.COM.BD",
            billing_address={"line1": "Plot B-21, BSCIC", "district": "gazipur", "postal_code": "১৭০০"},
            credit_limit="1000000.5",
            contact_persons=[{"name": "Shirin Akter", "phone": "০১৮১৯-৪৫৬১২৩"}],
        ),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{BASE}/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["code"] == "C-0005"
    assert (body["tin"], body["tin_formatted"], body["tin_legacy"]) == ("178945612380", "1789-4561-2380", False)
    assert (body["bin"], body["bin_formatted"]) == ("0023456710102", "002345671-0102")
    assert [(phone["number"], phone["type"]) for phone in body["phones"]] == [
        ("+8801713998877", "mobile"),
        ("+88029881234", "fixed"),
    ]
    assert body["phones"][0]["formatted"] == "+880 1713-998877"
    assert body["phones"][0]["operator"] == "grameenphone"
    assert body["email"] == "Admin@bobgarments.com.bd"
    address = body["billing_address"]
    assert (address["district"], address["district_name"], address["district_name_bn"]) == ("BD-18", "Gazipur", "গাজীপুর")
    assert (address["division"], address["division_name_bn"], address["postal_code"]) == ("BD-C", "ঢাকা", "1700")
    assert body["credit_limit"] == "1000000.50"
    assert body["contact_persons"][0]["phone"] == "+8801819456123"
    assert (body["version"], body["status"], body["currency"], body["deleted_at"]) == (1, "active", "BDT", None)


@pytest.mark.parametrize(
    ("extra", "field", "bn_fragment"),
    [
        ({"tin": "12345"}, "body.tin", "ই-টিআইএন ১২ অঙ্কের"),
        ({"bin": "1234567890"}, "body.bin", "বিআইএন ৯ অঙ্কের"),
        ({"nid": "18991234567890123"}, "body.nid", "জন্মসাল"),
        ({"phones": ["01112345678"]}, "body.phones.0", "বন্ধ"),
        ({"phones": ["12"]}, "body.phones.0", "ফোন নম্বর"),
        ({"email": "not-an-email"}, "body.email", "ই-মেইল"),
        ({"billing_address": {"line1": "x", "district": "Atlantis"}}, "body.billing_address.district", "অজানা জেলা"),
        (
            {"billing_address": {"line1": "x", "district": "Sylhet", "division": "Dhaka"}},
            "body.billing_address.division",
            "বিভাগ",
        ),
        ({"billing_address": {"line1": "x", "postal_code": "12"}}, "body.billing_address.postal_code", "পোস্ট কোড"),
        ({"code": "C 1"}, "body.code", "কোড"),
    ],
)
async def test_invalid_values_are_refused_in_both_languages(
    platform, client, tenant, extra, field, bn_fragment
) -> None:
    body = customer(**extra)
    english = await client.post(BASE, json=body, headers=platform.headers(tenant, ALL))
    assert english.status_code == 422, english.text
    assert english.headers["content-type"] == "application/problem+json"
    assert english.json()["errors"][0]["field"] == field
    bengali = await client.post(BASE, json=body, headers=platform.headers(tenant, ALL, **{"Accept-Language": "bn"}))
    assert bn_fragment in bengali.json()["detail"]
    assert bn_fragment in bengali.json()["errors"][0]["reason"]
    # Nothing was created.
    listed = await client.get(BASE, headers=platform.headers(tenant, ALL))
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"code": "C-1"},
        customer(kind="alien"),
        customer(credit_limit="-1"),
        customer(credit_limit="1.001"),
        customer(credit_limit="NaN"),
        customer(payment_terms_days=400),
        customer(unknown_field=1),
        customer(phones=["01711111111"] * 6),
        customer(name="bad\x00name"),
    ],
)
async def test_malformed_bodies(platform, client, tenant, body) -> None:
    response = await client.post(BASE, json=body, headers=platform.headers(tenant, ALL))
    assert response.status_code == 422


async def test_codes_are_unique_per_tenant(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await create(client, headers, code="C-0001")
    duplicate = await client.post(BASE, json=customer(code="c-0001"), headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_code"
    # Another tenant may use the same code.
    other = await client.post(BASE, json=customer(code="C-0001"), headers=platform.headers(uuid.uuid4(), ALL))
    assert other.status_code == 201


async def test_optimistic_locking(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    created = await create(client, headers)
    url = f"{BASE}/{created['id']}"
    first = await client.patch(url, json={"credit_limit": "500000", "version": 1}, headers=headers)
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["credit_limit"], first.headers["etag"]) == (2, "500000.00", '"2"')
    stale = await client.patch(url, json={"credit_limit": "1"}, headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["current_version"] == 2
    disagree = await client.patch(url, json={"name": "X", "version": 2}, headers={**headers, "If-Match": '"1"'})
    assert disagree.status_code == 422
    ok = await client.patch(url, json={"status": "suspended"}, headers={**headers, "If-Match": '"2"'})
    assert (ok.status_code, ok.json()["version"], ok.json()["status"]) == (200, 3, "suspended")
    # A patch that changes nothing keeps the version.
    same = await client.patch(url, json={"status": "suspended"}, headers=headers)
    assert same.json()["version"] == 3
    null = await client.patch(url, json={"name": None}, headers=headers)
    assert null.status_code == 422


async def test_soft_delete_keeps_the_record_readable_and_restore_brings_it_back(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    created = await create(client, headers, code="C-DEL")
    url = f"{BASE}/{created['id']}"
    assert (await client.delete(url, headers={**headers, "If-Match": '"9"'})).status_code == 409
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.delete(url, headers=headers)).status_code == 204  # again: nothing changes
    still = await client.get(url, headers=headers)
    assert still.status_code == 200
    assert still.json()["deleted_at"] is not None
    assert (await client.get(BASE, headers=headers)).json()["items"] == []
    with_deleted = await client.get(BASE, params={"include_deleted": "true"}, headers=headers)
    assert [item["code"] for item in with_deleted.json()["items"]] == ["C-DEL"]
    edit = await client.patch(url, json={"name": "X"}, headers=headers)
    assert (edit.status_code, edit.json()["code"]) == (409, "record_deleted")
    # The code stays taken while the record is deleted.
    assert (await client.post(BASE, json=customer(code="C-DEL"), headers=headers)).status_code == 409
    restored = await client.post(f"{url}/restore", headers=headers)
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert [item["code"] for item in (await client.get(BASE, headers=headers)).json()["items"]] == ["C-DEL"]


async def test_search_by_code_names_identifiers_and_phone_in_any_format(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    await create(
        client,
        headers,
        code="C-0001",
        name="Gulshan Heights Owners",
        name_bn="গুলশান হাইটস মালিক সমিতি",
        tin="361452987013",
        bin="004512378-0101",
        phones=["01711-234567"],
    )
    await create(
        client,
        headers,
        code="C-0002",
        name="Roads and Highways Department",
        name_bn="সড়ক ও জনপথ অধিদপ্তর",
        bin="000198765",
        nid="4612398751",
        phones=["+880 1819-456123"],
    )
    cases = {
        "c-000": ["C-0001", "C-0002"],
        "C-0002": ["C-0002"],
        "gulshan": ["C-0001"],
        "HIGHWAYS": ["C-0002"],
        "জনপথ": ["C-0002"],
        "গুলশান": ["C-0001"],
        "3614-5298-7013": ["C-0001"],
        "৩৬১৪৫২৯৮৭০১৩": ["C-0001"],
        "004512378": ["C-0001"],
        "004512378-0101": ["C-0001"],
        "4612398751": ["C-0002"],
        "+8801711234567": ["C-0001"],
        "01711 234567": ["C-0001"],
        "০১৮১৯৪৫৬১২৩": ["C-0002"],
        "8801819456123": ["C-0002"],
        "nothing like it": [],
        "100%": [],
        "_": [],
    }
    for q, expected in cases.items():
        response = await client.get(BASE, params={"q": q}, headers=headers)
        assert response.status_code == 200, response.text
        assert [item["code"] for item in response.json()["items"]] == expected, q
    by_phone = await client.get(BASE, params={"phone": "01819-456123"}, headers=headers)
    assert [item["code"] for item in by_phone.json()["items"]] == ["C-0002"]
    by_tin = await client.get(BASE, params={"tin": "3614 5298 7013"}, headers=headers)
    assert [item["code"] for item in by_tin.json()["items"]] == ["C-0001"]
    assert (await client.get(BASE, params={"tin": "12"}, headers=headers)).status_code == 422
    assert (await client.get(BASE, params={"phone": "abc"}, headers=headers)).status_code == 422


async def test_filters_and_keyset_pagination(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    for number in range(7):
        await create(
            client,
            headers,
            code=f"C-{number:04d}",
            kind="individual" if number % 2 else "corporate",
            billing_address={"line1": "x", "district": "Rajshahi" if number < 3 else "Khulna"},
        )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(BASE, params=params, headers=headers)).json()
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"C-{number:04d}" for number in range(7)]
    individuals = await client.get(BASE, params={"kind": "individual"}, headers=headers)
    assert [item["code"] for item in individuals.json()["items"]] == ["C-0001", "C-0003", "C-0005"]
    rajshahi = await client.get(BASE, params={"district": "রাজশাহী"}, headers=headers)
    assert [item["code"] for item in rajshahi.json()["items"]] == ["C-0000", "C-0001", "C-0002"]
    assert (await client.get(BASE, params={"district": "Atlantis"}, headers=headers)).status_code == 422
    assert (await client.get(BASE, params={"cursor": "forged"}, headers=headers)).status_code == 422


async def test_reads_are_cached_and_invalidated_on_change(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    created = await create(client, headers)
    url = f"{BASE}/{created['id']}"

    def hits(text: str) -> float:
        return next(
            float(line.split()[-1]) for line in text.splitlines() if line.startswith("master_data_cache_hits_total")
        )

    first = await client.get(url, headers=headers)
    before = hits((await client.get("/metrics")).text)
    second = await client.get(url, headers=headers)
    assert second.json() == first.json()
    assert hits((await client.get("/metrics")).text) == before + 1
    await client.patch(url, json={"name": "Renamed Ltd."}, headers=headers)
    third = await client.get(url, headers=headers)
    assert (third.json()["name"], third.json()["version"], third.headers["etag"]) == ("Renamed Ltd.", 2, '"2"')


async def test_another_tenants_customer_is_not_found(platform, client, tenant) -> None:
    created = await create(client, platform.headers(tenant, ALL))
    other = platform.headers(uuid.uuid4(), ALL)
    url = f"{BASE}/{created['id']}"
    assert (await client.get(url, headers=other)).status_code == 404
    assert (await client.patch(url, json={"name": "X"}, headers=other)).status_code == 404
    assert (await client.delete(url, headers=other)).status_code == 404
    assert (await client.post(f"{url}/restore", headers=other)).status_code == 404
    assert (await client.get(BASE, headers=other)).json()["items"] == []
    assert (await client.get(f"{BASE}/{uuid.uuid4()}", headers=platform.headers(tenant, ALL))).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("GET", "", "master-data.customer.read"),
        ("POST", "", "master-data.customer.write"),
        ("PATCH", "/{id}", "master-data.customer.write"),
        ("DELETE", "/{id}", "master-data.customer.delete"),
        ("POST", "/{id}/restore", "master-data.customer.delete"),
    ],
)
async def test_each_route_needs_its_permission(platform, client, tenant, method, path, permission) -> None:
    created = await create(client, platform.headers(tenant, ALL), code=f"P-{uuid.uuid4().hex[:6]}")
    url = BASE + path.replace("{id}", created["id"])
    others = [item for item in ALL if item != permission]
    response = await client.request(method, url, json={"name": "X"}, headers=platform.headers(tenant, others))
    assert response.status_code == 403
    assert response.json()["permission"] == permission
