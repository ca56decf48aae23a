"""Roles and role assignments through the API: the seeded roles, custom roles with inheritance,
no cycles, no platform permissions, nobody grants what they do not hold, assignments with expiry
and company scope, and the permission catalogue."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from tests.services.auth.conftest import BASE, PASSWORD, sign_in

from vextrus.kit.service import load_registry
from vextrus.services.auth import events


async def roles_by_key(platform, account) -> dict[str, dict]:
    items = (await platform.client.get(f"{BASE}/roles", headers=account.headers)).json()["items"]
    return {item["key"]: item for item in items}


async def token_of(platform, email: str, password: str = PASSWORD):
    pair = (await sign_in(platform.client, email, password)).json()
    return pair, await platform.runtime.verifier.verify(pair["access_token"])


async def test_seeded_roles_inherit(platform, sign_up) -> None:
    account = await sign_up()
    roles = await roles_by_key(platform, account)
    assert roles["tenant-admin"]["permissions"] == ["*"]
    assert roles["tenant-admin"]["builtin"] is True
    assert roles["finance-manager"]["inherits"] == ["accountant", "approver"]
    assert set(roles["finance-manager"]["effective_permissions"]) >= {"finance.*", "workflow.task.*", "*.*.read"}
    assert roles["viewer"]["permissions"] == ["*.*.read"]


async def test_role_inheritance_reaches_the_token(platform, sign_up, add_user, outbox) -> None:
    account = await sign_up()
    created = await platform.client.post(
        f"{BASE}/roles",
        json={
            "key": "site-auditor",
            "name": "Site auditor",
            "name_bn": "সাইট নিরীক্ষক",
            "permissions": ["configuration.history.read"],
            "inherits": ["approver"],
        },
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    role = created.json()
    assert role["inherits"] == ["approver"]
    assert created.headers["location"] == f"{BASE}/roles/{role['id']}"
    member = await add_user(account, ("site-auditor",))
    _, principal = await token_of(platform, member.email)
    assert principal.roles == ("site-auditor",)
    # Its own permission, its parent's (approver), and the grandparent's (viewer, expanded).
    assert {"configuration.history.read", "workflow.task.*", "configuration.setting.read", "auth.user.read"} <= set(
        principal.permissions
    )
    assert principal.has("configuration.flag.read")
    assert not principal.has("configuration.setting.write")
    assert not any(item.startswith("platform.") for item in principal.permissions)
    changes = await outbox(events.ROLE_CHANGED.name, role_id=role["id"])
    assert [item["data"]["action"] for item in changes] == ["created"]


async def test_cycles_and_platform_permissions_are_refused(platform, sign_up) -> None:
    account = await sign_up()
    roles = await roles_by_key(platform, account)
    cycle = await platform.client.patch(
        f"{BASE}/roles/{roles['viewer']['id']}", json={"inherits": ["finance-manager"]}, headers=account.headers
    )
    assert cycle.status_code == 422
    error = cycle.json()["errors"][0]
    assert (error["field"], error["code"]) == ("body.inherits", "inheritance_cycle")
    assert "viewer" in error["reason"]
    assert "finance-manager" in error["reason"]

    for permission in ("platform.tenant.manage", "platform.*"):
        refused = await platform.client.post(
            f"{BASE}/roles",
            json={"key": "operator", "name": "Operator", "permissions": ["configuration.setting.read", permission]},
            headers={**account.headers, "Accept-Language": "bn"},
        )
        assert refused.status_code == 422
        error = refused.json()["errors"][0]
        assert (error["field"], error["code"]) == ("body.permissions[1]", "platform_permission")
    unknown = await platform.client.post(
        f"{BASE}/roles",
        json={"key": "typo", "name": "Typo", "permissions": ["configuration.setting.raed", "Bad Key"]},
        headers=account.headers,
    )
    assert [item["code"] for item in unknown.json()["errors"]] == ["unknown_permission", "invalid_permission"]
    duplicate = await platform.client.post(
        f"{BASE}/roles", json={"key": "viewer", "name": "Viewer again"}, headers=account.headers
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "role_exists")
    admin = await platform.client.patch(
        f"{BASE}/roles/{roles['tenant-admin']['id']}", json={"permissions": ["auth.*"]}, headers=account.headers
    )
    assert (admin.status_code, admin.json()["code"]) == (409, "role_builtin")


async def test_nobody_grants_what_they_do_not_hold(platform, sign_up, add_user) -> None:
    account = await sign_up()
    roles = await roles_by_key(platform, account)
    manager = await add_user(account)
    # A role manager who holds only auth permissions (a custom role).
    grant = await platform.client.post(
        f"{BASE}/roles",
        json={"key": "people-admin", "name": "People admin", "permissions": ["auth.*"]},
        headers=account.headers,
    )
    assert grant.status_code == 201
    assigned = await platform.client.post(
        f"{BASE}/users/{manager.user_id}/roles", json={"role": "people-admin"}, headers=account.headers
    )
    assert assigned.status_code == 201, assigned.text
    pair, principal = await token_of(platform, manager.email)
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert principal.has("auth.role.assign")

    escalate = await platform.client.post(
        f"{BASE}/users/{manager.user_id}/roles", json={"role": "tenant-admin"}, headers=headers
    )
    assert (escalate.status_code, escalate.json()["code"]) == (403, "permission_not_held")
    broader = await platform.client.post(
        f"{BASE}/roles", json={"key": "wide", "name": "Wide", "permissions": ["*.*.read"]}, headers=headers
    )
    assert broader.status_code == 403
    inherit = await platform.client.post(
        f"{BASE}/roles", json={"key": "sneaky", "name": "Sneaky", "inherits": ["tenant-admin"]}, headers=headers
    )
    assert inherit.status_code == 403
    widen = await platform.client.patch(
        f"{BASE}/roles/{roles['viewer']['id']}", json={"permissions": ["*"]}, headers=headers
    )
    assert widen.status_code == 403
    allowed = await platform.client.post(
        f"{BASE}/roles", json={"key": "reader", "name": "Reader", "permissions": ["auth.user.read"]}, headers=headers
    )
    assert allowed.status_code == 201


async def test_assignments_expire(platform, sign_up, add_user) -> None:
    account = await sign_up()
    member = await add_user(account)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    assigned = await platform.client.post(
        f"{BASE}/users/{member.user_id}/roles",
        json={"role": "accountant", "expires_at": expires.isoformat()},
        headers=account.headers,
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["active"] is True
    _, before = await token_of(platform, member.email)
    assert before.has("finance.invoice.post")
    assert before.roles == ("accountant",)
    await asyncio.sleep((expires - dt.datetime.now(dt.UTC)).total_seconds() + 0.1)
    _, after = await token_of(platform, member.email)
    assert not after.has("finance.invoice.post")
    assert after.roles == ()
    listed = (await platform.client.get(f"{BASE}/users/{member.user_id}/roles", headers=account.headers)).json()
    assert [item["active"] for item in listed["items"]] == [False]

    past = await platform.client.post(
        f"{BASE}/users/{member.user_id}/roles",
        json={"role": "accountant", "expires_at": "2020-01-01T00:00:00+06:00"},
        headers=account.headers,
    )
    assert past.status_code == 422
    naive = await platform.client.post(
        f"{BASE}/users/{member.user_id}/roles",
        json={"role": "accountant", "expires_at": "2030-01-01T00:00:00"},
        headers=account.headers,
    )
    assert naive.status_code == 422


async def test_company_scoped_assignment(platform, sign_up, add_user, add_company) -> None:
    account = await sign_up()
    member = await add_user(account, ("viewer",))
    other_company = await add_company(account, (member.user_id,))
    # The member's first company is the new one (their only membership so far), so add the first too.
    added = await platform.client.post(
        f"/api/v1/organizations/companies/{account.company_id}/members",
        json={"user_id": str(member.user_id)},
        headers=account.headers,
    )
    assert added.status_code == 201, added.text
    scoped = await platform.client.post(
        f"{BASE}/users/{member.user_id}/roles",
        json={"role": "accountant", "company_id": str(other_company)},
        headers=account.headers,
    )
    assert scoped.status_code == 201, scoped.text
    outside = await platform.client.post(
        f"{BASE}/users/{member.user_id}/roles",
        json={"role": "accountant", "company_id": str(uuid.uuid4())},
        headers=account.headers,
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "body.company_id"

    pair, principal = await token_of(platform, member.email)
    primary = principal.company_ids[0]
    in_other = await platform.client.post(
        f"{BASE}/refresh", json={"refresh_token": pair["refresh_token"], "company_id": str(other_company)}
    )
    acting_other = await platform.runtime.verifier.verify(in_other.json()["access_token"])
    assert acting_other.has("finance.invoice.post")
    # Company-scoped permissions stay in their company: the token names it alone.
    assert acting_other.company_ids == (other_company,)
    back = await platform.client.post(
        f"{BASE}/refresh",
        json={"refresh_token": in_other.json()["refresh_token"], "company_id": str(account.company_id)},
    )
    acting_first = await platform.runtime.verifier.verify(back.json()["access_token"])
    assert not acting_first.has("finance.invoice.post")
    assert acting_first.company_ids[0] == account.company_id
    assert primary in (account.company_id, other_company)


async def test_roles_in_use_and_the_last_administrator(platform, sign_up, add_user) -> None:
    account = await sign_up()
    roles = await roles_by_key(platform, account)
    custom = (
        await platform.client.post(
            f"{BASE}/roles",
            json={"key": "estimator", "name": "Estimator", "permissions": [], "inherits": ["viewer"]},
            headers=account.headers,
        )
    ).json()
    member = await add_user(account, ("estimator",))
    in_use = await platform.client.delete(f"{BASE}/roles/{custom['id']}", headers=account.headers)
    assert (in_use.status_code, in_use.json()["code"]) == (409, "role_in_use")
    builtin = await platform.client.delete(f"{BASE}/roles/{roles['viewer']['id']}", headers=account.headers)
    assert (builtin.status_code, builtin.json()["code"]) == (409, "role_builtin")

    assignments = (await platform.client.get(f"{BASE}/users/{member.user_id}/roles", headers=account.headers)).json()
    removed = await platform.client.delete(
        f"{BASE}/users/{member.user_id}/roles/{assignments['items'][0]['id']}", headers=account.headers
    )
    assert removed.status_code == 204
    deleted = await platform.client.delete(f"{BASE}/roles/{custom['id']}", headers=account.headers)
    assert deleted.status_code == 204
    assert (await platform.client.get(f"{BASE}/roles/{custom['id']}", headers=account.headers)).status_code == 404

    mine = (await platform.client.get(f"{BASE}/users/{account.user_id}/roles", headers=account.headers)).json()
    last = await platform.client.delete(
        f"{BASE}/users/{account.user_id}/roles/{mine['items'][0]['id']}", headers=account.headers
    )
    assert (last.status_code, last.json()["code"]) == (409, "last_administrator")


async def test_roles_of_another_tenant_are_not_found(platform, sign_up) -> None:
    first = await sign_up()
    second = await sign_up()
    role_id = (await roles_by_key(platform, first))["viewer"]["id"]
    assert (await platform.client.get(f"{BASE}/roles/{role_id}", headers=second.headers)).status_code == 404
    patched = await platform.client.patch(f"{BASE}/roles/{role_id}", json={"name": "x"}, headers=second.headers)
    assert patched.status_code == 404
    user = await platform.client.get(f"{BASE}/users/{first.user_id}", headers=second.headers)
    assert user.status_code == 404


async def test_role_changes_are_optimistically_locked(platform, sign_up) -> None:
    account = await sign_up()
    role = (await roles_by_key(platform, account))["approver"]
    ok = await platform.client.patch(
        f"{BASE}/roles/{role['id']}",
        json={"name": "Approver (tender)", "expected_version": role["version"]},
        headers=account.headers,
    )
    assert ok.status_code == 200
    stale = await platform.client.patch(
        f"{BASE}/roles/{role['id']}",
        json={"name": "Approver again", "expected_version": role["version"]},
        headers=account.headers,
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")


async def test_permission_catalogue_lists_every_service(platform, sign_up) -> None:
    account = await sign_up()
    response = await platform.client.get(f"{BASE}/permissions", headers=account.headers)
    assert response.status_code == 200
    listed = {(item["key"], item["service"]) for item in response.json()["items"]}
    expected = {(key, service.name) for service in load_registry() for key in service.permissions}
    assert listed == expected
    services = {service for _, service in listed}
    assert {"auth", "organization", "configuration"} <= services
    assert ("platform.keys.rotate", "auth") in listed
