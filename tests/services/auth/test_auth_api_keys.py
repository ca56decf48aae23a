"""API keys: shown once and stored hashed, scoped to a subset of the creator's permissions,
accepted by every service as ``Authorization: ApiKey``, introspected, expiring and revocable."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid

from sqlalchemy import select
from tests.services.auth.conftest import BASE, PASSWORD, sign_in

from vextrus.kit.tenancy import acting_as
from vextrus.services.auth import events
from vextrus.services.auth.models import ApiKey


async def create_key(platform, headers, **body) -> dict:
    body.setdefault("name", "Tally ERP bridge")
    body.setdefault("permissions", ["configuration.setting.read"])
    response = await platform.client.post(f"{BASE}/api-keys", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def introspect(platform, key: str) -> dict:
    response = await platform.client.post(f"{BASE}/api-keys/introspect", json={"key": key})
    assert response.status_code == 200
    return response.json()


async def test_api_key_lifecycle(platform, sign_up, outbox) -> None:
    account = await sign_up()
    created = await create_key(platform, account.headers, permissions=["configuration.setting.read", "auth.user.read"])
    key = created["key"]
    assert key.startswith("vxk_")
    assert created["prefix"] == key[:12]
    assert created["company_ids"] == [str(account.company_id)]
    assert created["active"] is True

    # Stored as its sha256, never in clear.
    with acting_as(tenant_id=account.tenant_id):
        async with platform.runtime.database.transaction() as session:
            row = (await session.scalars(select(ApiKey).where(ApiKey.id == uuid.UUID(created["id"])))).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    listed = (await platform.client.get(f"{BASE}/api-keys", headers=account.headers)).json()["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "key" not in listed[0]

    answer = await introspect(platform, key)
    assert answer["active"] is True
    assert answer["tenant_id"] == str(account.tenant_id)
    assert answer["subject"] == created["id"]
    assert sorted(answer["permissions"]) == ["auth.user.read", "configuration.setting.read"]
    assert answer["company_ids"] == [str(account.company_id)]
    assert answer["roles"] == ["api-key"]

    # Every service takes it.
    api_key = {"Authorization": f"ApiKey {key}"}
    settings = await platform.client.get("/api/v1/configuration/settings", headers=api_key)
    assert settings.status_code == 200, settings.text
    users = await platform.client.get(f"{BASE}/users", headers=api_key)
    assert users.status_code == 200
    beyond = await platform.client.put(
        "/api/v1/configuration/settings/vat.withholding_entity", json={"value": True}, headers=api_key
    )
    assert beyond.status_code == 403

    revoked = await platform.client.delete(f"{BASE}/api-keys/{created['id']}", headers=account.headers)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    assert await introspect(platform, key) == {
        "active": False,
        "subject": None,
        "tenant_id": None,
        "permissions": None,
        "roles": None,
        "company_ids": None,
        "expires_at": None,
    }
    assert [item["data"]["api_key_id"] for item in await outbox(events.API_KEY_CREATED.name)].count(created["id"]) == 1
    assert len(await outbox(events.API_KEY_REVOKED.name, api_key_id=created["id"])) == 1


async def test_a_key_holds_a_subset_of_its_creators_permissions(platform, sign_up, add_user) -> None:
    account = await sign_up()
    member = await add_user(account, ("viewer",))
    pair = (await sign_in(platform.client, member.email, member.password)).json()
    member_headers = {"Authorization": f"Bearer {pair['access_token']}"}
    # The viewer may not manage API keys at all.
    refused = await platform.client.post(
        f"{BASE}/api-keys", json={"name": "x", "permissions": ["auth.user.read"]}, headers=member_headers
    )
    assert refused.status_code == 403
    # An administrator can, but never beyond what they hold, nor platform permissions.
    beyond = await platform.client.post(
        f"{BASE}/api-keys", json={"name": "x", "permissions": ["platform.tenant.read"]}, headers=account.headers
    )
    assert beyond.status_code == 422
    assert beyond.json()["errors"][0]["code"] == "platform_permission"
    scoped = platform.headers(account.tenant_id, ("auth.api-key.manage", "configuration.setting.read"))
    wider = await platform.client.post(
        f"{BASE}/api-keys", json={"name": "x", "permissions": ["configuration.*"]}, headers=scoped
    )
    assert (wider.status_code, wider.json()["code"]) == (403, "permission_not_held")
    reads = await create_key(platform, account.headers, permissions=["*.*.read"])
    assert "configuration.setting.read" in reads["permissions"]
    assert all(item.endswith(".read") and not item.startswith("platform.") for item in reads["permissions"])
    foreign_company = await platform.client.post(
        f"{BASE}/api-keys",
        json={"name": "x", "permissions": ["auth.user.read"], "company_ids": [str(uuid.uuid4())]},
        headers=account.headers,
    )
    assert foreign_company.status_code == 422
    assert foreign_company.json()["errors"][0]["field"] == "body.company_ids[0]"


async def test_keys_expire_and_die_with_their_creator(platform, sign_up, add_user) -> None:
    account = await sign_up()
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    short = await create_key(platform, account.headers, expires_at=soon.isoformat())
    assert (await introspect(platform, short["key"]))["active"] is True
    await asyncio.sleep((soon - dt.datetime.now(dt.UTC)).total_seconds() + 0.1)
    assert (await introspect(platform, short["key"]))["active"] is False

    too_long = await platform.client.post(
        f"{BASE}/api-keys",
        json={"name": "x", "permissions": ["auth.user.read"], "expires_at": "2099-01-01T00:00:00Z"},
        headers=account.headers,
    )
    assert too_long.status_code == 422

    member = await add_user(account, ("tenant-admin",))
    pair = (await sign_in(platform.client, member.email, PASSWORD)).json()
    key = await create_key(platform, {"Authorization": f"Bearer {pair['access_token']}"})
    assert (await introspect(platform, key["key"]))["active"] is True
    await platform.client.post(f"{BASE}/users/{member.user_id}/deactivate", headers=account.headers)
    assert (await introspect(platform, key["key"]))["active"] is False


async def test_unknown_keys_are_inactive(platform) -> None:
    for key in ("vxk_" + "x" * 43, "not-a-key", "vxr_" + "y" * 43):
        assert (await introspect(platform, key))["active"] is False
    response = await platform.client.get(f"{BASE}/me", headers={"Authorization": "ApiKey vxk_nothing"})
    assert response.status_code == 401
