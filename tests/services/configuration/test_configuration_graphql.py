"""The configuration part of the GraphQL schema: queries, mutations, errors and permissions."""

from __future__ import annotations

import uuid
from typing import Any

BASE = "/api/v1/configuration"


async def gql(
    platform, tenant: uuid.UUID | None, query: str, permissions: tuple[str, ...] = ("*",), **variables: Any
) -> dict[str, Any]:
    headers = platform.headers(tenant, (*permissions, "platform.flag.manage")) if tenant else {}
    response = await platform.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_settings_query_and_mutation(platform, tenant) -> None:
    listed = await gql(platform, tenant, "{ configurationSettings { key value defaultValue source version } }")
    settings = {item["key"]: item for item in listed["data"]["configurationSettings"]}
    assert settings["vat.registered"] == {
        "key": "vat.registered",
        "value": True,
        "defaultValue": True,
        "source": "default",
        "version": 0,
    }

    mutation = """
      mutation Set($key: String!, $value: JSON!, $expected: Int) {
        updateConfigurationSetting(key: $key, value: $value, expectedVersion: $expected) {
          key value source version updatedBy updatedAt
        }
      }"""
    changed = await gql(platform, tenant, mutation, key="localization.language", value="bn", expected=0)
    item = changed["data"]["updateConfigurationSetting"]
    assert (item["value"], item["source"], item["version"]) == ("bn", "tenant", 1)
    assert item["updatedAt"]
    assert item["updatedBy"]

    # REST sees the GraphQL change (same service functions, same cache invalidation).
    rest = await platform.client.get(f"{BASE}/settings/localization.language", headers=platform.headers(tenant))
    assert (rest.json()["value"], rest.json()["version"]) == ("bn", 1)
    one = await gql(platform, tenant, '{ configurationSetting(key: "localization.language") { value version } }')
    assert one["data"]["configurationSetting"] == {"value": "bn", "version": 1}

    invalid = await gql(platform, tenant, mutation, key="localization.language", value="fr")
    assert invalid["data"] is None
    assert invalid["errors"][0]["extensions"]["code"] == "validation_failed"
    assert invalid["errors"][0]["extensions"]["errors"][0]["field"] == "value"
    stale = await gql(platform, tenant, mutation, key="localization.language", value="en", expected=0)
    assert stale["errors"][0]["extensions"]["code"] == "version_conflict"
    unknown = await gql(platform, tenant, mutation, key="nope.nothing", value=1)
    assert unknown["errors"][0]["extensions"]["code"] == "not_found"

    reset = await gql(
        platform,
        tenant,
        'mutation { resetConfigurationSetting(key: "localization.language", expectedVersion: 1) '
        "{ value source version } }",
    )
    assert reset["data"]["resetConfigurationSetting"] == {"value": "en", "source": "default", "version": 2}

    schema = await gql(platform, tenant, "{ configurationSchema { key labelBn choices defaultValue } }")
    by_key = {item["key"]: item for item in schema["data"]["configurationSchema"]}
    assert by_key["localization.language"] == {
        "key": "localization.language",
        "labelBn": "ভাষা",
        "choices": ["en", "bn"],
        "defaultValue": "en",
    }


async def test_flags_query_and_override_mutation(platform, tenant) -> None:
    key = f"test.flag-{uuid.uuid4().hex[:8]}"
    created = await platform.client.post(
        f"{BASE}/flags",
        json={"key": key, "description": "x", "enabled": True, "rollout_percentage": 100},
        headers=platform.headers(tenant, ("platform.flag.manage",)),
    )
    assert created.status_code == 201
    query = """query Flag($key: String!) {
        featureFlag(key: $key) { key enabled rolloutPercentage override evaluation { enabled reason } }
    }"""
    flag = (await gql(platform, tenant, query, key=key))["data"]["featureFlag"]
    assert flag == {
        "key": key,
        "enabled": True,
        "rolloutPercentage": 100,
        "override": None,
        "evaluation": {"enabled": True, "reason": "rollout"},
    }

    set_override = """mutation Off($key: String!) {
        setFeatureFlagOverride(key: $key, enabled: false) { override evaluation { enabled reason } }
    }"""
    result = (await gql(platform, tenant, set_override, key=key))["data"]["setFeatureFlagOverride"]
    assert result == {"override": False, "evaluation": {"enabled": False, "reason": "override"}}
    evaluated = await gql(
        platform,
        tenant,
        'query($key: String!) { evaluateFeatureFlag(key: $key, subject: "u1") { enabled reason } }',
        key=key,
    )
    assert evaluated["data"]["evaluateFeatureFlag"] == {"enabled": False, "reason": "override"}
    removed = await gql(
        platform, tenant, "mutation($key: String!) { removeFeatureFlagOverride(key: $key) { override } }", key=key
    )
    assert removed["data"]["removeFeatureFlagOverride"] == {"override": None}

    page = await gql(platform, tenant, "{ featureFlags(limit: 1) { items { key } nextCursor } }")
    assert len(page["data"]["featureFlags"]["items"]) == 1
    assert page["data"]["featureFlags"]["nextCursor"]
    missing = await gql(platform, tenant, query, key="no.such-flag")
    assert missing["errors"][0]["extensions"]["code"] == "not_found"
    malformed = await gql(platform, tenant, query, key="Not A Key\u0000")
    assert malformed["errors"][0]["extensions"]["code"] == "not_found"


async def test_graphql_permissions(platform, tenant) -> None:
    anonymous = await gql(platform, None, "{ configurationSettings { key } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "unauthorized"
    forbidden = await gql(
        platform,
        tenant,
        'mutation { updateConfigurationSetting(key: "vat.registered", value: false) { version } }',
        ("configuration.setting.read",),
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "forbidden"
    read = await gql(
        platform,
        tenant,
        '{ configurationSetting(key: "vat.registered") { value version } }',
        ("configuration.setting.read",),
    )
    assert read["data"]["configurationSetting"] == {"value": True, "version": 0}
    flags = await gql(platform, tenant, "{ featureFlags { items { key } } }", ("configuration.setting.read",))
    assert flags["errors"][0]["extensions"]["code"] == "forbidden"
