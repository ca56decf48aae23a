"""Permissions and tenant isolation: every route refuses a caller without its permission (403), and
another tenant's rules, versions, tests and evaluations are simply not there (404)."""

from __future__ import annotations

import uuid

import pytest
from rules_support import ALL, BASE, evaluate, published_rule, unique_key

KEY = "perm.rule"

# (method, path, body, the permission the route needs)
ROUTES = [
    ("GET", BASE, None, "rules.rule.read"),
    ("POST", BASE, {"key": "x.y", "name": "x", "content": {}}, "rules.rule.write"),
    ("GET", f"{BASE}/templates", None, "rules.rule.read"),
    ("POST", f"{BASE}/templates/install", {}, "rules.template.install"),
    ("GET", f"{BASE}/evaluations", None, "rules.evaluation.read"),
    ("GET", f"{BASE}/evaluations/{uuid.uuid4()}", None, "rules.evaluation.read"),
    ("POST", f"{BASE}/evaluate/batch", {"items": [{"key": KEY, "context": {}}]}, "rules.rule.evaluate"),
    ("GET", f"{BASE}/{KEY}", None, "rules.rule.read"),
    ("PATCH", f"{BASE}/{KEY}", {"name": "x"}, "rules.rule.write"),
    ("DELETE", f"{BASE}/{KEY}", None, "rules.rule.write"),
    ("POST", f"{BASE}/{KEY}/evaluate", {"context": {}}, "rules.rule.evaluate"),
    ("GET", f"{BASE}/{KEY}/versions", None, "rules.rule.read"),
    ("POST", f"{BASE}/{KEY}/versions", {}, "rules.rule.write"),
    ("GET", f"{BASE}/{KEY}/versions/1", None, "rules.rule.read"),
    ("PUT", f"{BASE}/{KEY}/versions/1", {"content": {}}, "rules.rule.write"),
    ("DELETE", f"{BASE}/{KEY}/versions/1", None, "rules.rule.write"),
    ("POST", f"{BASE}/{KEY}/versions/1/publish", {}, "rules.rule.publish"),
    ("GET", f"{BASE}/{KEY}/tests", None, "rules.rule.read"),
    ("POST", f"{BASE}/{KEY}/tests", {"name": "t", "input": {}, "expected": {}}, "rules.rule.write"),
    ("PUT", f"{BASE}/{KEY}/tests/t", {"input": {}, "expected": {}}, "rules.rule.write"),
    ("DELETE", f"{BASE}/{KEY}/tests/t", None, "rules.rule.write"),
    ("POST", f"{BASE}/{KEY}/test", {}, "rules.rule.test"),
]


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
async def test_each_route_needs_its_permission(platform, client, tenant, method, path, body, permission) -> None:
    # Every other rules permission, but not this one.
    others = {item for _, _, _, item in ROUTES} - {permission}
    response = await client.request(method, path, json=body, headers=platform.headers(tenant, sorted(others)))
    assert response.status_code == 403, response.text
    problem = response.json()
    assert (problem["code"], problem["permission"]) == ("forbidden", permission)
    anonymous = await client.request(method, path, json=body)
    assert anonymous.status_code == 401


async def test_a_reader_cannot_change_publish_or_evaluate(platform, client, tenant) -> None:
    admin = platform.headers(tenant, ALL)
    reader = platform.headers(tenant, ("rules.rule.read",))
    key = unique_key()
    await published_rule(client, admin, key)
    assert (await client.get(f"{BASE}/{key}", headers=reader)).status_code == 200
    assert (await evaluate(client, reader, key, {"amount": 1})).status_code == 403
    assert (await client.post(f"{BASE}/{key}/versions", json={}, headers=reader)).status_code == 403
    evaluator = platform.headers(tenant, ("rules.rule.evaluate",))
    assert (await evaluate(client, evaluator, key, {"amount": 1})).status_code == 200
    assert (await client.get(f"{BASE}/evaluations", headers=evaluator)).status_code == 403
    writer = platform.headers(tenant, ("rules.rule.write",))
    await client.post(f"{BASE}/{key}/versions", json={}, headers=writer)
    assert (await client.post(f"{BASE}/{key}/versions/2/publish", json={}, headers=writer)).status_code == 403
    assert (await client.get(f"{BASE}/{key}", headers=reader)).json()["published_version"] == 1


async def test_another_tenants_rules_are_not_found(platform, client) -> None:
    owner, other = uuid.uuid4(), uuid.uuid4()
    mine, theirs = platform.headers(owner, ALL), platform.headers(other, ALL)
    key = unique_key()
    await published_rule(client, mine, key)
    evaluated = await evaluate(client, mine, key, {"amount": 5})
    evaluation_id = evaluated.json()["evaluation_id"]

    for method, path, body in [
        ("GET", f"{BASE}/{key}", None),
        ("PATCH", f"{BASE}/{key}", {"name": "stolen"}),
        ("DELETE", f"{BASE}/{key}", None),
        ("POST", f"{BASE}/{key}/evaluate", {"context": {"amount": 5}}),
        ("POST", f"{BASE}/{key}/evaluate", {"context": {"amount": 5}, "version": 1}),
        ("GET", f"{BASE}/{key}/versions", None),
        ("GET", f"{BASE}/{key}/versions/1", None),
        ("POST", f"{BASE}/{key}/versions", {}),
        ("PUT", f"{BASE}/{key}/versions/1", {"content": {}}),
        ("POST", f"{BASE}/{key}/versions/1/publish", {}),
        ("GET", f"{BASE}/{key}/tests", None),
        ("POST", f"{BASE}/{key}/tests", {"name": "x", "input": {}, "expected": {}}),
        ("DELETE", f"{BASE}/{key}/tests/small", None),
        ("POST", f"{BASE}/{key}/test", {}),
        ("GET", f"{BASE}/evaluations/{evaluation_id}", None),
    ]:
        response = await client.request(method, path, json=body, headers=theirs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "not_found"

    batch = await client.post(
        f"{BASE}/evaluate/batch", json={"items": [{"key": key, "context": {"amount": 5}}]}, headers=theirs
    )
    assert batch.json()["items"][0]["error"]["code"] == "not_found"
    assert (await client.get(BASE, headers=theirs)).json()["items"] == []
    assert (await client.get(f"{BASE}/evaluations", headers=theirs)).json()["items"] == []
    # The other tenant may use the same key for a rule of its own.
    await published_rule(client, theirs, key)
    assert (await evaluate(client, theirs, key, {"amount": 5})).status_code == 200
    # And the owner's rule is untouched.
    rule = (await client.get(f"{BASE}/{key}", headers=mine)).json()
    assert (rule["name"], rule["published_version"], rule["latest_version"]) == ("Test rule", 1, 1)
    assert len((await client.get(f"{BASE}/evaluations", headers=mine)).json()["items"]) == 1
