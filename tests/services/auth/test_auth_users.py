"""Users: invitation and its acceptance, profiles (Bengali name, mobile number, language),
activation, password change and the reset flow delivered by an outbox event."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from tests.services.auth.conftest import BASE, PASSWORD, outbox_events, sign_in, unique

from vextrus.services.auth import events

NEW_PASSWORD = "Jamuna-Bridge-1998"


async def test_invitation_is_accepted_once(platform, sign_up, outbox) -> None:
    account = await sign_up()
    email = f"{unique('nusrat')}@example.com.bd"
    invited = await platform.client.post(
        f"{BASE}/users/invite",
        json={
            "email": email.upper(),
            "full_name": "Nusrat Jahan",
            "name_bn": "নুসরাত জাহান",
            "phone": "01712-345678",
            "preferred_language": "bn",
            "roles": ["project-manager"],
        },
        headers=account.headers,
    )
    assert invited.status_code == 201, invited.text
    user = invited.json()
    assert (user["status"], user["email"], user["phone"]) == ("invited", email, "+8801712345678")
    # Not yet able to sign in.
    assert (await sign_in(platform.client, email, PASSWORD)).status_code == 401

    event = (await outbox("auth.user.invited", user_id=user["id"]))[-1]
    assert event["data"]["preferred_language"] == "bn"
    token = event["data"]["invitation_token"]
    weak = await platform.client.post(f"{BASE}/invitations/accept", json={"token": token, "password": "password123"})
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "body.password"
    accepted = await platform.client.post(f"{BASE}/invitations/accept", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 204
    again = await platform.client.post(f"{BASE}/invitations/accept", json={"token": token, "password": PASSWORD})
    assert (again.status_code, again.json()["code"]) == (400, "invalid_token")

    pair = await sign_in(platform.client, email, PASSWORD)
    assert pair.status_code == 200
    principal = await platform.runtime.verifier.verify(pair.json()["access_token"])
    assert principal.roles == ("project-manager",)
    assert principal.company_ids == ()  # memberships are the organization service's to give
    activated = await outbox(events.USER_ACTIVATED.name, user_id=user["id"])
    assert activated[-1]["data"]["via"] == "invitation"


async def test_invitation_input_is_checked(platform, sign_up) -> None:
    account = await sign_up()
    duplicate = await platform.client.post(
        f"{BASE}/users/invite", json={"email": account.email, "full_name": "Again"}, headers=account.headers
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "user_exists")
    invalid = await platform.client.post(
        f"{BASE}/users/invite",
        json={
            "email": f"{unique('x')}@example.com",
            "full_name": "Rezaul Karim",
            "phone": "01112345678",  # Citycell, closed
            "preferred_language": "fr",
            "roles": ["no-such-role"],
        },
        headers=account.headers,
    )
    assert invalid.status_code == 422
    assert {"body.phone", "body.preferred_language"} <= {item["field"] for item in invalid.json()["errors"]}
    unknown_role = await platform.client.post(
        f"{BASE}/users/invite",
        json={"email": f"{unique('x')}@example.com", "full_name": "Rezaul Karim", "roles": ["no-such-role"]},
        headers=account.headers,
    )
    assert unknown_role.status_code == 422
    assert unknown_role.json()["errors"][0]["field"] == "body.roles[0]"
    bogus = await platform.client.post(f"{BASE}/invitations/accept", json={"token": "vxi_nope", "password": PASSWORD})
    assert bogus.status_code == 400


async def test_profiles_are_edited_with_optimistic_locking(platform, sign_up, add_user, outbox) -> None:
    account = await sign_up()
    member = await add_user(account)
    current = (await platform.client.get(f"{BASE}/users/{member.user_id}", headers=account.headers)).json()
    changed = await platform.client.patch(
        f"{BASE}/users/{member.user_id}",
        json={"name_bn": "শিরিন আক্তার", "phone": "+880 1911-000003", "expected_version": current["version"]},
        headers=account.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name_bn"], changed.json()["phone"]) == ("শিরিন আক্তার", "+8801911000003")
    stale = await platform.client.patch(
        f"{BASE}/users/{member.user_id}",
        json={"full_name": "X", "expected_version": current["version"]},
        headers=account.headers,
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    updated = await outbox(events.USER_UPDATED.name, user_id=str(member.user_id))
    assert updated[-1]["data"]["changes"]["phone"] == {"old": None, "new": "+8801911000003"}

    # Everyone edits their own profile.
    pair = (await sign_in(platform.client, member.email, member.password)).json()
    mine = await platform.client.patch(
        f"{BASE}/me", json={"preferred_language": "bn"}, headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert mine.status_code == 200
    assert mine.json()["preferred_language"] == "bn"
    null = await platform.client.patch(f"{BASE}/me", json={"full_name": None}, headers=account.headers)
    assert null.status_code == 422


async def test_users_are_listed_by_status(platform, sign_up, add_user) -> None:
    account = await sign_up()
    await add_user(account)
    await platform.client.post(
        f"{BASE}/users/invite", json={"email": f"{unique('p')}@example.com", "full_name": "P"}, headers=account.headers
    )
    everyone = (await platform.client.get(f"{BASE}/users", headers=account.headers)).json()["items"]
    assert len(everyone) == 3
    invited = (await platform.client.get(f"{BASE}/users?status=invited", headers=account.headers)).json()["items"]
    assert [item["status"] for item in invited] == ["invited"]
    first = (await platform.client.get(f"{BASE}/users?limit=2", headers=account.headers)).json()
    rest = (
        await platform.client.get(f"{BASE}/users?limit=2&cursor={first['next_cursor']}", headers=account.headers)
    ).json()
    assert len(first["items"]) + len(rest["items"]) == 3
    assert rest["next_cursor"] is None


async def test_nobody_deactivates_themselves(platform, sign_up) -> None:
    account = await sign_up()
    response = await platform.client.post(f"{BASE}/users/{account.user_id}/deactivate", headers=account.headers)
    assert (response.status_code, response.json()["code"]) == (409, "invalid_user_state")


async def test_password_change(platform, sign_up, outbox) -> None:
    account = await sign_up()
    wrong = await platform.client.post(
        f"{BASE}/password/change",
        json={"current_password": "Not-The-Password-1", "new_password": NEW_PASSWORD},
        headers=account.headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.current_password"
    weak = await platform.client.post(
        f"{BASE}/password/change",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=account.headers,
    )
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "body.new_password"
    changed = await platform.client.post(
        f"{BASE}/password/change",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=account.headers,
    )
    assert changed.status_code == 204
    assert (await sign_in(platform.client, account.email, PASSWORD)).status_code == 401
    assert (await sign_in(platform.client, account.email, NEW_PASSWORD)).status_code == 200
    # Every earlier session ended.
    old = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": account.tokens["refresh_token"]})
    assert old.status_code == 401
    assert (await outbox("auth.password.changed", user_id=str(account.user_id)))[-1]["data"]["via"] == "change"


async def test_password_reset_flow(platform, sign_up, outbox) -> None:
    account = await sign_up()
    for _ in range(5):  # a locked account can still be reset
        await sign_in(platform.client, account.email, "Wrong-Password-1")
    unknown = await platform.client.post(
        f"{BASE}/password/reset-request", json={"email": f"{unique('nobody')}@example.com"}
    )
    requested = await platform.client.post(f"{BASE}/password/reset-request", json={"email": account.email})
    assert unknown.status_code == requested.status_code == 202
    assert unknown.json() == requested.json()  # tells nothing

    await platform.client.post(f"{BASE}/password/reset-request", json={"email": account.email, "tenant": account.slug})
    requests = await outbox(events.PASSWORD_RESET_REQUESTED.name, user_id=str(account.user_id))
    assert len(requests) == 2
    first, latest = requests[0]["data"]["reset_token"], requests[1]["data"]["reset_token"]
    stale = await platform.client.post(f"{BASE}/password/reset", json={"token": first, "new_password": NEW_PASSWORD})
    assert (stale.status_code, stale.json()["code"]) == (400, "invalid_token")  # only the newest link works
    weak = await platform.client.post(f"{BASE}/password/reset", json={"token": latest, "new_password": account.email})
    assert weak.status_code == 422
    done = await platform.client.post(f"{BASE}/password/reset", json={"token": latest, "new_password": NEW_PASSWORD})
    assert done.status_code == 204
    assert (await sign_in(platform.client, account.email, NEW_PASSWORD)).status_code == 200  # unlocked too
    reused = await platform.client.post(f"{BASE}/password/reset", json={"token": latest, "new_password": PASSWORD})
    assert reused.status_code == 400
    assert (await outbox("auth.password.changed", user_id=str(account.user_id)))[-1]["data"]["via"] == "reset"


@pytest.mark.parametrize(
    ("password", "code"),
    [("short", "too_short"), ("password1234", "common_password"), ("{local}", "same_as_email")],
)
async def test_the_password_policy_applies_to_every_new_password(platform, sign_up, password: str, code: str) -> None:
    account = await sign_up()
    await platform.client.post(f"{BASE}/password/reset-request", json={"email": account.email})
    token = (await outbox_events(platform, events.PASSWORD_RESET_REQUESTED.name, user_id=str(account.user_id)))[-1]
    chosen = password.format(local=account.email.split("@")[0])
    response = await platform.client.post(
        f"{BASE}/password/reset", json={"token": token["data"]["reset_token"], "new_password": chosen}
    )
    assert response.status_code == 422
    assert code in {item["code"] for item in response.json()["errors"]}


async def _holders(platform, account, query: str) -> list[str]:
    """Every user id of ``GET /users?<query>``, paging one user at a time (keyset pagination)."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        url = f"{BASE}/users?limit=1&{query}" + (f"&cursor={cursor}" if cursor else "")
        response = await platform.client.get(url, headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        found.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


async def test_users_are_listed_by_role(platform, sign_up, add_user, add_company) -> None:
    account = await sign_up()
    tenant_wide = await add_user(account, ("accountant",))
    in_company = await add_user(account, ("viewer",))
    other_company = await add_company(account, (in_company.user_id,))
    scoped = await platform.client.post(
        f"{BASE}/users/{in_company.user_id}/roles",
        json={"role": "accountant", "company_id": str(other_company)},
        headers=account.headers,
    )
    assert scoped.status_code == 201, scoped.text
    expiring = await add_user(account)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    assigned = await platform.client.post(
        f"{BASE}/users/{expiring.user_id}/roles",
        json={"role": "accountant", "expires_at": expires.isoformat()},
        headers=account.headers,
    )
    assert assigned.status_code == 201, assigned.text
    await add_user(account, ("viewer",))
    stranger = await sign_up()  # another organisation's accountant is never listed
    await add_user(stranger, ("accountant",))

    accountants = {str(tenant_wide.user_id), str(in_company.user_id), str(expiring.user_id)}
    assert sorted(await _holders(platform, account, "role=accountant")) == sorted(accountants)
    # In the first company: the tenant-wide holders only (the other's assignment is scoped elsewhere).
    in_first = await _holders(platform, account, f"role=accountant&company_id={account.company_id}")
    assert sorted(in_first) == sorted([str(tenant_wide.user_id), str(expiring.user_id)])
    assert sorted(await _holders(platform, account, f"role=accountant&company_id={other_company}")) == sorted(
        accountants
    )
    assert await _holders(platform, account, "role=accountant&status=invited") == []
    assert await _holders(platform, account, "role=site-engineer") == []  # a role nobody holds
    assert await _holders(platform, account, "role=no-such-role") == []  # well-formed, unknown: empty
    assert await _holders(platform, account, "role=tenant-admin") == [str(account.user_id)]

    await asyncio.sleep(max(0.0, (expires - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)
    assert sorted(await _holders(platform, account, "role=accountant")) == sorted(
        [str(tenant_wide.user_id), str(in_company.user_id)]
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("role=Accountant", "query.role"),
        ("role=a", "query.role"),
        ("role=acc%20ountant", "query.role"),
        ("role=" + "a" * 65, "query.role"),
        ("role=accountant&company_id=not-a-uuid", "query.company_id"),
        ("company_id=3f1c9a52-7d1e-4b8a-9c0e-2a6b5d4e8f10", "query.company_id"),
    ],
)
async def test_the_role_filter_is_checked(platform, sign_up, query: str, field: str) -> None:
    account = await sign_up()
    response = await platform.client.get(f"{BASE}/users?{query}", headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == [field]
