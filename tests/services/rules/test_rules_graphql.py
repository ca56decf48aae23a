"""The rules part of the GraphQL schema: the federated ``Rule`` entity, queries, mutations,
errors and permissions."""

from __future__ import annotations

import uuid
from typing import Any

from rules_support import ALL, BASE, create_rule, expression_model, published_rule, unique_key

RULE_FIELDS = "id key name source latestVersion publishedVersion testCount versions { version status effectiveFrom }"


async def gql(platform, tenant: uuid.UUID | None, query: str, permissions=ALL, **variables: Any) -> dict[str, Any]:
    headers = platform.headers(tenant, permissions) if tenant else {}
    response = await platform.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_rule_queries(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key("gql")
    created = await published_rule(client, headers, key)
    one = await gql(platform, tenant, f"query($key: String!) {{ rule(key: $key) {{ {RULE_FIELDS} }} }}", key=key)
    rule = one["data"]["rule"]
    assert rule["key"] == key
    assert (rule["publishedVersion"], rule["latestVersion"], rule["testCount"], rule["source"]) == (1, 1, 2, "custom")
    assert rule["versions"][0]["status"] == "published"
    assert rule["id"] != created["key"]
    listed = await gql(platform, tenant, f'{{ rules(prefix: "gql.") {{ items {{ {RULE_FIELDS} }} nextCursor }} }}')
    assert [item["key"] for item in listed["data"]["rules"]["items"]] == [key]
    missing = await gql(platform, tenant, '{ rule(key: "no.such") { id } }')
    assert missing["errors"][0]["extensions"]["code"] == "not_found"
    bad_key = await gql(platform, tenant, '{ rule(key: "Not A Key") { id } }')
    assert bad_key["errors"][0]["extensions"]["code"] == "not_found"


async def test_rule_entity_resolves_by_reference(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(client, headers, key)
    rule_id = (await gql(platform, tenant, f'{{ rule(key: "{key}") {{ id }} }}'))["data"]["rule"]["id"]
    query = "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Rule { id key latestVersion } } }"
    found = await gql(platform, tenant, query, reps=[{"__typename": "Rule", "id": rule_id}])
    assert found["data"]["_entities"] == [{"id": rule_id, "key": key, "latestVersion": 1}]
    # Another tenant cannot resolve it.
    stranger = await gql(platform, uuid.uuid4(), query, reps=[{"__typename": "Rule", "id": rule_id}])
    assert stranger["errors"][0]["extensions"]["code"] == "not_found"
    sdl = (await gql(platform, tenant, "{ _service { sdl } }"))["data"]["_service"]["sdl"]
    assert 'type Rule @key(fields: "id") @shareable' in sdl


async def test_evaluate_and_history(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    model = expression_model({"band": "number(amount) > 100000 ? 'large' : 'small'"})
    await published_rule(
        client, headers, key, model, [{"name": "big", "input": {"amount": 1e6}, "expected": {"band": "large"}}]
    )
    mutation = """
      mutation($key: String!, $context: JSON!, $reference: String) {
        evaluateRule(key: $key, context: $context, reference: $reference) { evaluationId key version result durationMs }
      }"""
    done = await gql(platform, tenant, mutation, key=key, context={"amount": 150000}, reference="PO-9")
    result = done["data"]["evaluateRule"]
    assert (result["version"], result["result"]) == (1, {"band": "large"})
    failed = await gql(platform, tenant, mutation, key=key, context={"amount": "x"})
    assert failed["data"] is None
    assert failed["errors"][0]["extensions"]["code"] == "evaluation_failed"
    not_object = await gql(platform, tenant, mutation, key=key, context=[1, 2])
    assert not_object["errors"][0]["extensions"]["code"] == "validation_failed"
    history = await gql(
        platform,
        tenant,
        f'{{ ruleEvaluations(key: "{key}") {{ items {{ id outcome reference output }} nextCursor }} }}',
    )
    items = history["data"]["ruleEvaluations"]["items"]
    # The failed evaluation is recorded too (the error is raised after the commit).
    assert [(item["outcome"], item["reference"]) for item in items] == [("error", None), ("ok", "PO-9")]
    assert items[1]["id"] == result["evaluationId"]


async def test_publish_and_install_mutations(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(
        client, headers, key, tests=[{"name": "wrong", "input": {"amount": 1}, "expected": {"band": "x"}}]
    )
    publish = """mutation($key: String!, $version: Int!) {
      publishRuleVersion(key: $key, version: $version) { publishedVersion }
    }"""
    refused = await gql(platform, tenant, publish, key=key, version=1)
    assert refused["errors"][0]["extensions"]["code"] == "tests_failed"
    await client.put(
        f"{BASE}/{key}/tests/wrong", json={"input": {"amount": 1}, "expected": {"band": "small"}}, headers=headers
    )
    published = await gql(platform, tenant, publish, key=key, version=1)
    assert published["data"]["publishRuleVersion"] == {"publishedVersion": 1}
    install = 'mutation { installRuleTemplates(keys: ["bd.vat.rate"]) { key status version } }'
    assert (await gql(platform, tenant, install))["data"]["installRuleTemplates"] == [
        {"key": "bd.vat.rate", "status": "installed", "version": 1}
    ]
    assert (await gql(platform, tenant, install))["data"]["installRuleTemplates"][0]["status"] == "exists"


async def test_graphql_permissions(platform, tenant) -> None:
    denied = await gql(platform, tenant, '{ rule(key: "a.b") { id } }', permissions=("rules.rule.evaluate",))
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
    anonymous = await gql(platform, None, "{ rules { items { id } } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "unauthorized"
    mutation = 'mutation { evaluateRule(key: "a.b", context: {}) { key } }'
    reader = await gql(platform, tenant, mutation, permissions=("rules.rule.read",))
    assert reader["errors"][0]["extensions"]["code"] == "forbidden"
