"""Sign-up: a tenant, its first company and its first administrator (tenant-admin), signed in;
validation names the fields; the organization service's refusals come through; the setting that
turns public sign-up off."""

from __future__ import annotations

import uuid

from tests.services.auth.conftest import BASE, PASSWORD, unique


def body(slug: str, email: str, password: str = PASSWORD) -> dict[str, object]:
    return {
        "organization": {"name": "Karnaphuli Builders", "slug": slug},
        "user": {"email": email, "password": password, "full_name": "Tanvir Hossain"},
    }


async def test_signup_creates_tenant_company_and_administrator(platform, sign_up, outbox) -> None:
    account = await sign_up(email=f"{unique('Tanvir')}@Example.COM.bd")
    assert account.tokens["token_type"] == "Bearer"
    assert account.tokens["expires_in"] == 900
    assert account.tokens["refresh_expires_in"] == 7 * 86400

    me = (await platform.client.get(f"{BASE}/me", headers=account.headers)).json()
    assert me["user"]["email"] == account.email.lower()
    assert me["user"]["status"] == "active"
    assert me["tenant"] == {
        "id": str(account.tenant_id),
        "slug": account.slug,
        "name": "Meghna Test Builders",
        "status": "active",
    }
    assert me["companies"] == [{"id": str(account.company_id), "name": "Meghna Test Builders", "primary": True}]
    assert me["acting_company_id"] == str(account.company_id)
    assert [role["role_key"] for role in me["roles"]] == ["tenant-admin"]
    assert "*" in me["permissions"]

    # The organization service has the tenant, its company and the administrator's membership.
    org = await platform.client.get("/api/v1/organizations/tenant", headers=account.headers)
    assert org.status_code == 200, org.text
    assert org.json()["slug"] == account.slug

    # Every built-in role exists for the new tenant.
    roles = (await platform.client.get(f"{BASE}/roles", headers=account.headers)).json()["items"]
    assert {
        "tenant-admin",
        "accountant",
        "finance-manager",
        "project-manager",
        "procurement-officer",
        "approver",
        "viewer",
    } <= {role["key"] for role in roles}

    events = await outbox("auth.user.registered", user_id=str(account.user_id))
    assert [event["data"] for event in events] == [
        {
            "user_id": str(account.user_id),
            "tenant_id": str(account.tenant_id),
            "email": account.email.lower(),
            "full_name": "Farhana Rahman",
        }
    ]
    assert events[0]["tenantid"] == str(account.tenant_id)


async def test_signup_refuses_a_weak_password_naming_the_field(platform) -> None:
    email = f"{unique('user')}@example.com"
    response = await platform.client.post(
        f"{BASE}/signup", json=body(unique("org"), email, email.split("@")[0]), headers={"Accept-Language": "bn"}
    )
    assert response.status_code == 422
    problem = response.json()
    fields = {(item["field"], item["code"]) for item in problem["errors"]}
    assert ("body.user.password", "same_as_email") in fields
    assert all(item["reason"] and not item["reason"].isascii() for item in problem["errors"])  # Bengali reasons


async def test_signup_validates_fields(platform) -> None:
    response = await platform.client.post(
        f"{BASE}/signup",
        json={
            "organization": {"name": " ", "slug": "No Spaces"},
            "user": {"email": "not-an-email", "password": PASSWORD, "full_name": "X", "phone": "01112345678"},
        },
    )
    assert response.status_code == 422
    fields = {item["field"] for item in response.json()["errors"]}
    assert {"body.organization.name", "body.organization.slug", "body.user.email", "body.user.phone"} <= fields


async def test_a_taken_slug_is_refused_and_nothing_is_created(platform, sign_up) -> None:
    first = await sign_up()
    email = f"{unique('second')}@example.com"
    response = await platform.client.post(f"{BASE}/signup", json=body(first.slug, email))
    assert response.status_code == 409
    assert response.json()["code"] == "slug_taken"
    login = await platform.client.post(f"{BASE}/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401


async def test_signup_disabled_by_setting(auth_app) -> None:
    async with auth_app(signup_enabled=False) as (client, _):
        response = await client.post(
            f"{BASE}/signup", json=body(unique("org"), f"{unique('x')}@example.com"), headers={"Accept-Language": "bn"}
        )
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "signup_disabled"
    assert problem["detail"]
    assert not problem["detail"].isascii()


async def test_signup_tokens_carry_the_claims(platform, sign_up) -> None:
    account = await sign_up()
    principal = await platform.runtime.verifier.verify(account.tokens["access_token"])
    assert principal.subject == account.user_id
    assert principal.tenant_id == account.tenant_id
    assert principal.company_ids == (account.company_id,)
    assert principal.roles == ("tenant-admin",)
    assert "*" in principal.permissions
    assert principal.email == account.email
    assert isinstance(uuid.UUID(account.tokens["session_id"]), uuid.UUID)
