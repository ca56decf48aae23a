"""The demo seed: every demo user signs in with the documented password and holds their role;
seeding twice changes nothing."""

from __future__ import annotations

from tests.services.auth.conftest import BASE, sign_in

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext, load_registry
from vextrus.services.auth import service
from vextrus.services.auth.seed import DEMO_PASSWORD


async def snapshot(platform) -> dict[str, object]:
    state: dict[str, object] = {}
    for tenant in DEMO_TENANTS:
        headers = platform.headers(tenant.id, ("auth.*",))
        users = (await platform.client.get(f"{BASE}/users?limit=200", headers=headers)).json()["items"]
        state[f"{tenant.slug}:users"] = sorted((item["id"], item["version"], item["status"]) for item in users)
        roles = (await platform.client.get(f"{BASE}/roles", headers=headers)).json()["items"]
        state[f"{tenant.slug}:roles"] = sorted((item["key"], item["version"]) for item in roles)
        for user in tenant.users:
            assigned = (await platform.client.get(f"{BASE}/users/{user.id}/roles", headers=headers)).json()["items"]
            state[f"{user.key}:roles"] = sorted(item["role_key"] for item in assigned)
    return state


async def test_demo_users_sign_in_with_their_roles(platform) -> None:
    organization = load_registry().get("organization")
    assert service.seed is not None
    assert organization.seed is not None
    await organization.seed(SeedContext(platform.runtime))
    await service.seed(SeedContext(platform.runtime))
    first = await snapshot(platform)
    await service.seed(SeedContext(platform.runtime))
    assert await snapshot(platform) == first

    for tenant in DEMO_TENANTS:
        for user in tenant.users:
            assert first[f"{user.key}:roles"] == [user.role]
    admin = DEMO_TENANTS[0].users[0]
    response = await sign_in(platform.client, admin.email, DEMO_PASSWORD, tenant=DEMO_TENANTS[0].slug)
    assert response.status_code == 200, response.text
    principal = await platform.runtime.verifier.verify(response.json()["access_token"])
    assert principal.subject == admin.id
    assert (principal.tenant_id, principal.roles) == (DEMO_TENANTS[0].id, ("tenant-admin",))
    padma = DEMO_TENANTS[1]
    accountant = next(user for user in padma.users if user.role == "accountant")
    response = await sign_in(platform.client, accountant.email, DEMO_PASSWORD)
    assert response.status_code == 200, response.text
    me = (
        await platform.client.get(f"{BASE}/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    ).json()
    assert me["user"]["preferred_language"] == "bn"
    assert me["user"]["name_bn"] == "শারমিন সুলতানা"
    assert me["tenant"]["slug"] == padma.slug
    assert me["companies"], "the organization seed made the demo memberships"
    assert "finance.*" in me["permissions"]
