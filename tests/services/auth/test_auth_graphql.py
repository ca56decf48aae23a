"""GraphQL: the signed-in user, users and roles, and the ``User`` federation entity."""

from __future__ import annotations

from tests.services.auth.conftest import BASE


async def graphql(platform, query: str, headers: dict[str, str], variables: dict | None = None) -> dict:
    response = await platform.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_me_users_and_roles(platform, sign_up, add_user) -> None:
    account = await sign_up()
    member = await add_user(account, ("accountant",))
    body = await graphql(
        platform,
        "{ authMe { user { id email } tenantSlug roles permissions }"
        " authUsers(limit: 10) { items { id fullName status } nextCursor }"
        " authRoles { key inherits builtin } }",
        account.headers,
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["authMe"]["user"]["id"] == str(account.user_id)
    assert data["authMe"]["tenantSlug"] == account.slug
    assert data["authMe"]["roles"] == ["tenant-admin"]
    assert {item["id"] for item in data["authUsers"]["items"]} == {str(account.user_id), str(member.user_id)}
    roles = {item["key"]: item for item in data["authRoles"]}
    assert roles["accountant"]["inherits"] == ["viewer"]


async def test_user_entities_resolve_in_the_tenant_only(platform, sign_up) -> None:
    account = await sign_up()
    other = await sign_up()
    query = '{ _entities(representations: [{__typename: "User", id: "%s"}]) { ... on User { id fullName } } }'
    own = await graphql(platform, query % account.user_id, account.headers)
    assert own["data"]["_entities"] == [{"id": str(account.user_id), "fullName": "Farhana Rahman"}]
    foreign = await graphql(platform, query % account.user_id, other.headers)
    assert foreign["data"]["_entities"] == [None]
    denied = await graphql(
        platform, "{ authUsers { nextCursor } }", platform.headers(account.tenant_id, ("auth.self.read",))
    )
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
    rest = await platform.client.get(f"{BASE}/users", headers=account.headers)
    assert rest.status_code == 200
