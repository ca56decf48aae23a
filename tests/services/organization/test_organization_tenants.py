"""The tenant: its administrator's profile edits, platform operators' lifecycle and plan changes,
and the events and metrics they produce."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

BASE = "/api/v1/organizations"
MANAGE = ("platform.tenant.manage",)


def samples(text: str, name: str) -> dict[str, float]:
    """``{status: value}`` of the metric sample ``name``."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[sample.labels["status"]] = sample.value
    return found


async def test_admin_reads_and_edits_the_tenant_profile(org, events) -> None:
    profile = await org.client.get(f"{BASE}/tenant", headers=org.headers())
    assert profile.status_code == 200
    assert profile.headers["etag"] == '"1"'
    assert profile.json()["status"] == "active"

    changed = await org.client.patch(
        f"{BASE}/tenant",
        json={"name": "Meghna Group", "name_bn": "মেঘনা গ্রুপ", "type": "both"},
        headers={**org.headers(("organization.tenant.update",)), "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["name_bn"], changed.json()["version"]) == (
        "Meghna Group",
        "মেঘনা গ্রুপ",
        2,
    )
    stale = await org.client.patch(
        f"{BASE}/tenant", json={"name": "Other", "expected_version": 1}, headers=org.headers()
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["current_version"] == 2

    updated = await events("organization.tenant.updated", lambda item: item["tenantid"] == str(org.tenant_id))
    assert len(updated) == 1
    assert updated[0]["data"]["changes"]["name"] == {"old": "Meghna Builders Ltd.", "new": "Meghna Group"}
    assert updated[0]["actor"] == str(org.admin_id)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"plan": "enterprise"}, "body.plan"),
        ({"status": "active"}, "body.status"),
        ({"max_users": 1000}, "body.max_users"),
        ({"name": None}, "body.name"),
        ({"name": ""}, "body.name"),
        ({"type": "shipping"}, "body.type"),
    ],
)
async def test_admin_cannot_change_plan_or_status(org, patch, field) -> None:
    response = await org.client.patch(f"{BASE}/tenant", json=patch, headers=org.headers())
    assert response.status_code == 422
    assert field in [item["field"] for item in response.json()["errors"]]
    profile = (await org.client.get(f"{BASE}/tenant", headers=org.headers())).json()
    assert (profile["plan"], profile["status"], profile["version"]) == ("trial", "active", 1)


async def test_tenant_profile_needs_its_permissions(org) -> None:
    reader = org.headers(("organization.tenant.read",))
    assert (await org.client.get(f"{BASE}/tenant", headers=reader)).status_code == 200
    denied = await org.client.patch(f"{BASE}/tenant", json={"name": "X"}, headers=reader)
    assert denied.status_code == 403
    assert denied.json()["permission"] == "organization.tenant.update"
    assert (
        await org.client.get(f"{BASE}/tenant", headers=org.headers(("organization.company.read",)))
    ).status_code == 403


async def test_lifecycle_suspend_reactivate_close(org, events) -> None:
    operator = org.operator()
    path = f"{BASE}/tenants/{org.tenant_id}"

    no_reason = await org.client.post(f"{path}/suspend", json={}, headers=operator)
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "body.reason"

    suspended = await org.client.post(f"{path}/suspend", json={"reason": "Invoice overdue 60 days"}, headers=operator)
    assert suspended.status_code == 200, suspended.text
    body = suspended.json()
    assert (body["status"], body["status_reason"]) == ("suspended", "Invoice overdue 60 days")
    assert body["suspended_at"]
    assert body["status_changed_at"]

    # The auth service sees it at the next login / refresh.
    lookup = await org.client.get(f"{BASE}/tenants/by-slug/{org.slug}", headers=org.operator(("platform.tenant.read",)))
    assert lookup.json()["status"] == "suspended"
    access = await org.client.get(
        f"{BASE}/access/{org.admin_id}", headers=org.platform.headers(org.tenant_id, ("platform.tenant.read",))
    )
    assert access.json()["tenant"]["status"] == "suspended"

    # Its organisation is frozen, still readable.
    frozen = await org.post("/designations", {"code": "MD", "name": "Managing Director"})
    assert frozen.status_code == 409
    assert (frozen.json()["code"], frozen.json()["tenant_status"]) == ("tenant_not_active", "suspended")
    assert (await org.client.get(f"{BASE}/companies", headers=org.headers())).status_code == 200
    renamed = await org.client.patch(f"{BASE}/tenant", json={"name": "Renamed"}, headers=org.headers())
    assert (renamed.status_code, renamed.json()["code"]) == (409, "tenant_not_active")

    again = await org.client.post(f"{path}/suspend", json={"reason": "again"}, headers=operator)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"

    reactivated = await org.client.post(f"{path}/reactivate", headers=operator)
    assert reactivated.status_code == 200
    assert (reactivated.json()["status"], reactivated.json()["suspended_at"]) == ("active", None)
    assert (await org.post("/designations", {"code": "MD", "name": "Managing Director"})).status_code == 201

    closed = await org.client.post(f"{path}/close", json={"reason": "Contract ended"}, headers=operator)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_at"]
    reopen = await org.client.post(f"{path}/reactivate", headers=operator)
    assert reopen.status_code == 409
    assert reopen.json()["code"] == "invalid_transition"

    mine = lambda item: item["tenantid"] == str(org.tenant_id)  # noqa: E731
    assert [item["data"]["reason"] for item in await events("organization.tenant.suspended", mine)] == [
        "Invoice overdue 60 days"
    ]
    reactivations = await events("organization.tenant.reactivated", mine)
    assert [(item["data"]["previous_status"], item["data"]["status"]) for item in reactivations] == [
        ("suspended", "active")
    ]
    assert [item["data"]["status"] for item in await events("organization.tenant.closed", mine)] == ["closed"]


async def test_lifecycle_needs_platform_manage(org, client) -> None:
    path = f"{BASE}/tenants/{org.tenant_id}/suspend"
    for headers in (org.headers(("*",)), org.operator(("platform.tenant.read",))):
        denied = await client.post(path, json={"reason": "x"}, headers=headers)
        assert denied.status_code == 403
        assert denied.json()["permission"] == "platform.tenant.manage"
    unknown = await client.post(f"{BASE}/tenants/{uuid.uuid4()}/suspend", json={"reason": "x"}, headers=org.operator())
    assert unknown.status_code == 404


async def test_plan_changes(org) -> None:
    upgraded = await org.set_plan("growth")
    assert (upgraded["plan"], upgraded["limits"]) == (
        "growth",
        {"max_users": 25, "max_companies": 3, "max_projects": 20},
    )
    custom = await org.set_plan("growth", max_users=40, max_projects=0)
    assert custom["limits"] == {"max_users": 40, "max_companies": 3, "max_projects": 0}

    operator = org.operator()
    unknown = await org.client.put(f"{BASE}/tenants/{org.tenant_id}/plan", json={"plan": "gold"}, headers=operator)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.plan"

    await org.create("/companies", {"code": "MPL", "name": "Meghna Properties Ltd."})
    below = await org.client.put(f"{BASE}/tenants/{org.tenant_id}/plan", json={"plan": "trial"}, headers=operator)
    assert below.status_code == 409
    assert (below.json()["code"], below.json()["limit"], below.json()["usage"]) == (
        "limit_below_usage",
        "max_companies",
        2,
    )
    plans = await org.client.get(f"{BASE}/plans", headers=org.headers(("organization.tenant.read",)))
    assert [plan["code"] for plan in plans.json()] == ["trial", "growth", "business", "enterprise"]


async def test_tenant_metrics(org, client) -> None:
    text = (await client.get("/metrics")).text
    gauge, counter = samples(text, "organization_tenants_by_status"), samples(text, "organization_tenants_total")
    await client.post(f"{BASE}/tenants/{org.tenant_id}/suspend", json={"reason": "audit"}, headers=org.operator())
    text = (await client.get("/metrics")).text
    # The gauge is a count from the database; the counter counts tenants entering a status.
    after = samples(text, "organization_tenants_by_status")
    assert set(after) == {"active", "suspended", "closed"}
    assert after["suspended"] == gauge.get("suspended", 0) + 1
    assert after["active"] == gauge["active"] - 1
    assert samples(text, "organization_tenants_total")["suspended"] == counter.get("suspended", 0) + 1
