"""Memberships of users in companies: exactly one primary company per user and tenant, the
max-users limit, assignments to departments and designations, events and access."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

BASE = "/api/v1/organizations"
READ = ("platform.tenant.read",)


async def add(org, company_id: Any, user: uuid.UUID, **extra: Any):
    return await org.post(f"/companies/{company_id}/members", {"user_id": str(user), **extra})


async def primaries(org, user: uuid.UUID) -> list[str]:
    rows = (await org.client.get(f"{BASE}/members/{user}", headers=org.headers())).json()
    return [row["company_id"] for row in rows if row["primary"]]


async def access(org, user: uuid.UUID) -> list[tuple[str, bool]]:
    response = await org.client.get(f"{BASE}/access/{user}", headers=org.platform.headers(org.tenant_id, READ))
    return [(item["id"], item["primary"]) for item in response.json()["companies"]]


async def test_exactly_one_primary_company(big_org, events) -> None:
    first = str(big_org.company_id)
    second = (await big_org.create("/companies", {"code": "MPL", "name": "Meghna Properties Ltd."}))["id"]
    third = (await big_org.create("/companies", {"code": "KRMC", "name": "Karnaphuli Ready-Mix Concrete Ltd."}))["id"]
    user = uuid.uuid4()

    joined = await add(big_org, second, user)
    assert joined.status_code == 201, joined.text
    assert joined.json()["primary"] is True  # a user's first company is primary, asked or not
    assert (await add(big_org, first, user)).json()["primary"] is False
    moved = await add(big_org, third, user, primary=True)
    assert moved.json()["primary"] is True
    assert await primaries(big_org, user) == [third]
    assert await access(big_org, user) == [(third, True), (second, False), (first, False)]

    # Primary moves by PATCH; it cannot be switched off, only moved.
    refused = await big_org.client.patch(
        f"{BASE}/companies/{third}/members/{user}", json={"primary": False}, headers=big_org.headers()
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "primary_required"
    made = await big_org.client.patch(
        f"{BASE}/companies/{first}/members/{user}", json={"primary": True}, headers=big_org.headers()
    )
    assert made.status_code == 200
    assert await primaries(big_org, user) == [first]

    # Removing the primary membership promotes the oldest remaining one.
    removed = await big_org.client.delete(f"{BASE}/companies/{first}/members/{user}", headers=big_org.headers())
    assert removed.status_code == 204
    assert await primaries(big_org, user) == [second]
    await big_org.client.delete(f"{BASE}/companies/{second}/members/{user}", headers=big_org.headers())
    await big_org.client.delete(f"{BASE}/companies/{third}/members/{user}", headers=big_org.headers())
    assert await access(big_org, user) == []
    gone = await big_org.client.delete(f"{BASE}/companies/{third}/members/{user}", headers=big_org.headers())
    assert gone.status_code == 404

    mine = lambda item: item["data"]["user_id"] == str(user)  # noqa: E731
    assert len(await events("organization.membership.added", mine)) == 3
    assert len(await events("organization.membership.removed", mine)) == 3
    updated = await events("organization.membership.updated", mine)
    # Demoted: second (third made primary), third (first made primary); promoted after removals:
    # second (first removed), third (second removed); and first, made primary by PATCH.
    assert sorted((item["data"]["company_id"], item["data"]["primary"]) for item in updated) == sorted(
        [(second, False), (third, False), (first, True), (second, True), (third, True)]
    )


@pytest.mark.parametrize(
    ("plan_users", "existing_extra", "outcome"),
    [
        (2, 0, 201),  # admin + this user = 2
        (2, 1, 409),  # admin + 1 + this user = 3 > 2
        (3, 1, 201),
    ],
)
async def test_max_users_counts_distinct_members(big_org, plan_users, existing_extra, outcome) -> None:
    for _ in range(existing_extra):
        assert (await add(big_org, big_org.company_id, uuid.uuid4())).status_code == 201
    await big_org.set_plan("business", max_users=plan_users)
    response = await add(big_org, big_org.company_id, uuid.uuid4())
    assert response.status_code == outcome, response.text
    if outcome == 409:
        assert (response.json()["code"], response.json()["limit"], response.json()["allowed"]) == (
            "plan_limit_reached",
            "max_users",
            plan_users,
        )


async def test_an_existing_member_joins_another_company_at_the_user_limit(big_org) -> None:
    other = (await big_org.create("/companies", {"code": "MPL", "name": "Meghna Properties Ltd."}))["id"]
    await big_org.set_plan("business", max_users=1)  # only the administrator
    assert (await add(big_org, big_org.company_id, uuid.uuid4())).status_code == 409
    # The administrator is already counted: joining a second company adds no user.
    joined = await add(big_org, other, big_org.admin_id)
    assert joined.status_code == 201
    assert joined.json()["primary"] is False


async def test_assignments_and_refusals(big_org) -> None:
    company = str(big_org.company_id)
    accounts = await big_org.create(
        "/departments", {"company_id": company, "code": "ACC", "name": "Accounts & Finance"}
    )
    accountant = await big_org.create("/designations", {"code": "ACCT", "name": "Accountant", "name_bn": "হিসাবরক্ষক"})
    other_company = await big_org.create("/companies", {"code": "MPL", "name": "Meghna Properties Ltd."})
    foreign_department = await big_org.create(
        "/departments", {"company_id": other_company["id"], "code": "ACC", "name": "Accounts"}
    )
    user = uuid.uuid4()

    cases = [
        ({"department_id": foreign_department["id"]}, 422, "body.department_id"),
        ({"department_id": str(uuid.uuid4())}, 422, "body.department_id"),
        ({"designation_id": str(uuid.uuid4())}, 422, "body.designation_id"),
        ({"primary": "yes"}, 422, "body.primary"),
    ]
    for extra, status, field in cases:
        response = await add(big_org, company, user, **extra)
        assert response.status_code == status
        assert response.json()["errors"][0]["field"] == field
    member = await add(
        big_org,
        company,
        user,
        department_id=accounts["id"],
        designation_id=accountant["id"],
        display_name="Shirin Akter",
    )
    assert member.status_code == 201
    again = await add(big_org, company, user)
    assert (again.status_code, again.json()["code"]) == (409, "already_member")

    body = (
        await big_org.client.get(f"{BASE}/access/{user}", headers=big_org.platform.headers(big_org.tenant_id, READ))
    ).json()
    assert body["departments"] == [
        {"id": accounts["id"], "company_id": company, "code": "ACC", "name": "Accounts & Finance"}
    ]
    assert body["designations"][0]["code"] == "ACCT"

    stale = await big_org.client.patch(
        f"{BASE}/companies/{company}/members/{user}",
        json={"designation_id": None, "expected_version": 7},
        headers=big_org.headers(),
    )
    assert stale.status_code == 409
    cleared = await big_org.client.patch(
        f"{BASE}/companies/{company}/members/{user}", json={"designation_id": None}, headers=big_org.headers()
    )
    assert (cleared.json()["designation_id"], cleared.json()["version"]) == (None, 2)

    listed = await big_org.client.get(
        f"{BASE}/companies/{company}/members", headers=big_org.headers(("organization.membership.read",))
    )
    assert {item["user_id"] for item in listed.json()["items"]} == {str(big_org.admin_id), str(user)}

    # An inactive company takes no new members, and is left out of a user's access.
    await big_org.client.patch(
        f"{BASE}/companies/{other_company['id']}", json={"is_active": False}, headers=big_org.headers()
    )
    closed = await add(big_org, other_company["id"], uuid.uuid4())
    assert (closed.status_code, closed.json()["code"]) == (409, "company_inactive")


async def test_membership_metrics(big_org, client) -> None:
    def added(text: str) -> float:
        for family in text_string_to_metric_families(text):
            if family.name == "organization_memberships":
                for sample in family.samples:
                    if sample.name == "organization_memberships_total" and sample.labels["action"] == "added":
                        return sample.value
        return 0.0

    before = added((await client.get("/metrics")).text)
    await add(big_org, big_org.company_id, uuid.uuid4())
    refused = await add(big_org, uuid.uuid4(), uuid.uuid4())
    assert refused.status_code == 404
    assert added((await client.get("/metrics")).text) == before + 1
