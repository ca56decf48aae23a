"""Rules and their versions over HTTP: drafts with optimistic locking, publishing (test cases must
pass), effective dates, one published version at a time (also enforced by the database), deletion."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rules_support import (
    ALL,
    BANDS,
    BANDS_TESTS,
    BASE,
    create_rule,
    evaluate,
    publish,
    published_rule,
    q,
    table_model,
    unique_key,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vextrus.kit.tenancy import acting_as
from vextrus.services.rules.models import RuleVersion

TIERS = table_model([("< 1000", q("bronze")), ("", q("gold"))], output="tier")
TIERS_TESTS = [{"name": "small", "input": {"amount": 1}, "expected": {"tier": "bronze"}}]


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


async def test_create_rule_starts_with_a_draft(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    response = await client.post(
        BASE,
        json={"key": key, "name": "Amount bands", "description": "Bands", "content": BANDS, "tests": BANDS_TESTS},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{BASE}/{key}"
    body = response.json()
    assert (body["key"], body["latest_version"], body["published_version"], body["test_count"]) == (key, 1, None, 2)
    assert body["source"] == "custom"
    [version] = body["versions"]
    assert (version["version"], version["status"], version["effective_from"]) == (1, "draft", None)
    stored = (await client.get(f"{BASE}/{key}/versions/1", headers=headers)).json()
    assert stored["content"] == BANDS
    assert len(stored["content_hash"]) == 64

    again = await client.post(BASE, json={"key": key, "name": "Again", "content": BANDS}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "rule_exists"
    listed = (await client.get(BASE, params={"prefix": "test."}, headers=headers)).json()
    assert [item["key"] for item in listed["items"]] == [key]


@pytest.mark.parametrize("key", ["templates", "evaluations", "evaluate", "Bad.Key", "a", "bd..vat", "bd.vat.", "x y"])
async def test_bad_or_reserved_keys_are_refused(platform, client, tenant, key) -> None:
    response = await client.post(
        BASE, json={"key": key, "name": "x", "content": BANDS}, headers=platform.headers(tenant, ALL)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.key"


async def test_a_draft_cannot_be_evaluated_by_default(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(client, headers, key)
    response = await evaluate(client, headers, key, {"amount": 5})
    assert response.status_code == 409
    assert response.json()["code"] == "no_effective_version"
    pinned = await evaluate(client, headers, key, {"amount": 5}, version=1)  # trying a draft explicitly
    assert pinned.status_code == 200
    assert pinned.json()["result"] == {"band": "small"}


async def test_publish_makes_the_version_effective(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(client, headers, key)
    before = dt.datetime.now(dt.UTC)
    response = await publish(client, headers, key, 1)
    assert response.status_code == 200, response.text
    version = response.json()
    assert version["status"] == "published"
    assert dt.datetime.fromisoformat(version["effective_from"]) >= before.replace(microsecond=0)
    assert version["effective_to"] is None
    assert response.headers["etag"] == f'"{version["revision"]}"'
    result = await evaluate(client, headers, key, {"amount": 5000})
    assert result.status_code == 200
    assert (result.json()["version"], result.json()["result"]) == (1, {"band": "medium"})
    # Published versions are frozen.
    changed = await client.put(f"{BASE}/{key}/versions/1", json={"content": TIERS}, headers=headers)
    assert changed.status_code == 409
    assert changed.json()["code"] == "version_not_draft"
    twice = await publish(client, headers, key, 1)
    assert twice.status_code == 409


async def test_new_version_supersedes_the_published_one(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key)
    draft = await client.post(f"{BASE}/{key}/versions", json={"comment": "copy"}, headers=headers)
    assert draft.status_code == 201
    assert (draft.json()["version"], draft.json()["status"], draft.json()["content"]) == (2, "draft", BANDS)
    changed = table_model([("< 500", q("small")), ("", q("large"))])
    updated = await client.put(
        f"{BASE}/{key}/versions/2",
        json={"content": changed, "expected_revision": draft.json()["revision"]},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["revision"] == draft.json()["revision"] + 1
    assert (await publish(client, headers, key, 2)).status_code == 200

    versions = {item["version"]: item for item in (await client.get(f"{BASE}/{key}/versions", headers=headers)).json()}
    assert (versions[1]["status"], versions[2]["status"]) == ("superseded", "published")
    assert versions[1]["effective_to"] == versions[2]["effective_from"]
    result = await evaluate(client, headers, key, {"amount": 700})
    assert (result.json()["version"], result.json()["result"]) == (2, {"band": "large"})
    rule = (await client.get(f"{BASE}/{key}", headers=headers)).json()
    assert (rule["latest_version"], rule["published_version"]) == (2, 2)


async def test_drafts_use_optimistic_locking(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(client, headers, key)
    current = (await client.get(f"{BASE}/{key}/versions/1", headers=headers)).json()["revision"]
    first = await client.put(
        f"{BASE}/{key}/versions/1", json={"content": TIERS}, headers={**headers, "If-Match": f'"{current}"'}
    )
    assert first.status_code == 200
    stale = await client.put(
        f"{BASE}/{key}/versions/1", json={"content": BANDS}, headers={**headers, "If-Match": f'"{current}"'}
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["current_revision"] == current + 1
    # The same content again is not a change.
    same = await client.put(f"{BASE}/{key}/versions/1", json={"content": TIERS}, headers=headers)
    assert same.json()["revision"] == current + 1
    # Concurrent writers: exactly one wins.
    import asyncio

    writes = await asyncio.gather(
        *[
            client.put(
                f"{BASE}/{key}/versions/1",
                json={"content": table_model([("", q(f"v{index}"))], output="tier"), "expected_revision": current + 1},
                headers=headers,
            )
            for index in range(3)
        ]
    )
    assert sorted(response.status_code for response in writes) == [200, 409, 409]


async def test_publish_needs_every_test_case_to_pass(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(
        client,
        headers,
        key,
        tests=[
            *BANDS_TESTS,
            {"name": "wrong expectation", "input": {"amount": 5000}, "expected": {"band": "small"}},
            {"name": "missing input", "input": {}, "expected": {"band": "small"}},
        ],
    )
    response = await publish(client, headers, key, 1)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "tests_failed"
    assert body["failed_cases"] == ["missing input", "wrong expectation"]
    assert "wrong expectation" in body["detail"]
    assert {item["field"] for item in body["errors"]} == {"tests.missing input", "tests.wrong expectation"}
    failing = next(item for item in body["results"] if item["name"] == "wrong expectation")
    assert failing["actual"] == {"band": "medium"}
    assert failing["mismatches"] == ["$.band: expected 'small', got 'medium'"]
    # Nothing was published.
    assert (await client.get(f"{BASE}/{key}", headers=headers)).json()["published_version"] is None
    # Fixing the test cases lets it through.
    fixed = await client.put(
        f"{BASE}/{key}/tests/wrong expectation",
        json={"input": {"amount": 5000}, "expected": {"band": "medium"}},
        headers=headers,
    )
    assert fixed.status_code == 200
    assert (await client.delete(f"{BASE}/{key}/tests/missing input", headers=headers)).status_code == 204
    run = (await client.post(f"{BASE}/{key}/test", json={"version": 1}, headers=headers)).json()
    assert (run["passed"], run["total"], run["failed"]) == (True, 3, 0)
    assert (await publish(client, headers, key, 1)).status_code == 200


async def test_publish_needs_at_least_one_test_case(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(client, headers, key, tests=[])
    response = await publish(client, headers, key, 1)
    assert response.status_code == 422
    assert response.json()["code"] == "no_test_cases"
    added = await client.post(
        f"{BASE}/{key}/tests",
        json={"name": "one", "input": {"amount": 1}, "expected": {"band": "small"}},
        headers=headers,
    )
    assert added.status_code == 201
    duplicate = await client.post(
        f"{BASE}/{key}/tests", json={"name": "one", "input": {"amount": 1}, "expected": {}}, headers=headers
    )
    assert duplicate.status_code == 409
    assert [item["name"] for item in (await client.get(f"{BASE}/{key}/tests", headers=headers)).json()["items"]] == [
        "one"
    ]
    assert (await publish(client, headers, key, 1)).status_code == 200


async def test_test_run_reports_engine_errors(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    model = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request"},
            {
                "id": "calc",
                "type": "expressionNode",
                "name": "Calculate",
                "content": {"expressions": [{"id": "a", "key": "vat", "value": "number(amount) * 0.15"}]},
            },
            {"id": "out", "type": "outputNode", "name": "Response"},
        ],
        "edges": [
            {"id": "1", "sourceId": "in", "targetId": "calc"},
            {"id": "2", "sourceId": "calc", "targetId": "out"},
        ],
    }
    await create_rule(
        client,
        headers,
        key,
        model,
        tests=[
            {"name": "ok", "input": {"amount": "100.00"}, "expected": {"vat": 15}},
            {"name": "text amount", "input": {"amount": "a lot"}, "expected": {"vat": 0}},
        ],
    )
    run = (await client.post(f"{BASE}/{key}/test", headers=headers)).json()
    assert (run["passed"], run["failed"], run["version"]) == (False, 1, 1)
    failing = next(item for item in run["results"] if not item["passed"])
    assert failing["name"] == "text amount"
    assert "number(amount)" in failing["error"]


async def test_effective_dates_pick_the_version_in_force(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    now = dt.datetime.now(dt.UTC)
    fy_start = dt.datetime(2025, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=6)))
    await create_rule(client, headers, key, TIERS, TIERS_TESTS)
    first = await publish(client, headers, key, 1, effective_from=fy_start.isoformat())
    assert first.status_code == 200
    assert first.json()["effective_from"] == "2025-06-30T18:00:00Z"
    # Version 2 takes effect in ten days: until then version 1 stays in force.
    await client.post(
        f"{BASE}/{key}/versions",
        json={"content": table_model([("< 5000", q("bronze")), ("", q("platinum"))], output="tier")},
        headers=headers,
    )
    later = now + dt.timedelta(days=10)
    second = await publish(client, headers, key, 2, effective_from=later.isoformat())
    assert second.status_code == 200, second.text

    cases = [
        (None, 1, "gold"),
        (now + dt.timedelta(days=9), 1, "gold"),
        (later, 2, "platinum"),
        (later + dt.timedelta(days=400), 2, "platinum"),
        (fy_start, 1, "gold"),
    ]
    for at, version, tier in cases:
        extra = {"at": at.isoformat()} if at else {}
        response = await evaluate(client, headers, key, {"amount": 9000}, **extra)
        assert response.status_code == 200, (at, response.text)
        assert (response.json()["version"], response.json()["result"]["tier"]) == (version, tier), at
    before = await evaluate(client, headers, key, {"amount": 9000}, at=(fy_start - dt.timedelta(seconds=1)).isoformat())
    assert before.status_code == 409
    assert before.json()["code"] == "no_effective_version"

    versions = {item["version"]: item for item in (await client.get(f"{BASE}/{key}/versions", headers=headers)).json()}
    assert versions[1]["status"] == "superseded"
    assert versions[1]["effective_to"] == iso(later)


async def test_effective_window_rules(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    now = dt.datetime.now(dt.UTC)
    await create_rule(client, headers, key, TIERS, TIERS_TESTS)
    inverted = await publish(
        client, headers, key, 1, effective_from=now.isoformat(), effective_to=(now - dt.timedelta(days=1)).isoformat()
    )
    assert inverted.status_code == 422
    assert inverted.json()["errors"][0]["field"] == "body.effective_to"
    naive = await publish(client, headers, key, 1, effective_from="2026-01-01T00:00:00")
    assert naive.status_code == 422
    # A version that ends: after effective_to no version is in force.
    ends = now + dt.timedelta(days=30)
    assert (await publish(client, headers, key, 1, effective_to=ends.isoformat())).status_code == 200
    after = await evaluate(client, headers, key, {"amount": 1}, at=(ends + dt.timedelta(seconds=1)).isoformat())
    assert after.status_code == 409
    # A new version may not start before the published one did.
    await client.post(f"{BASE}/{key}/versions", json={}, headers=headers)
    early = await publish(client, headers, key, 2, effective_from=(now - dt.timedelta(days=1)).isoformat())
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "body.effective_from"


async def test_only_one_published_version_per_rule_in_the_database(platform, client, tenant) -> None:
    """The partial unique index refuses a second published version even if the code were wrong."""
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key)
    await client.post(f"{BASE}/{key}/versions", json={}, headers=headers)
    with acting_as(tenant_id=tenant):
        with pytest.raises(IntegrityError):
            async with platform.runtime.database.transaction() as session:
                draft = (
                    await session.scalars(
                        select(RuleVersion).where(RuleVersion.tenant_id == tenant, RuleVersion.number == 2)
                    )
                ).one()
                draft.status = "published"
                await session.flush()
    versions = (await client.get(f"{BASE}/{key}/versions", headers=headers)).json()
    assert [item["status"] for item in versions] == ["published", "draft"]


async def test_concurrent_publishes_leave_one_published(platform, client, tenant) -> None:
    import asyncio

    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await create_rule(client, headers, key)
    await client.post(f"{BASE}/{key}/versions", json={}, headers=headers)
    await client.post(f"{BASE}/{key}/versions", json={}, headers=headers)
    responses = await asyncio.gather(*[publish(client, headers, key, number) for number in (1, 2, 3)])
    assert all(response.status_code in (200, 409, 422) for response in responses), [r.text for r in responses]
    versions = (await client.get(f"{BASE}/{key}/versions", headers=headers)).json()
    assert [item["status"] for item in versions].count("published") == 1


async def test_version_from_an_older_version_and_draft_deletion(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key)
    second = await client.post(f"{BASE}/{key}/versions", json={"content": TIERS}, headers=headers)
    assert second.status_code == 201
    third = await client.post(f"{BASE}/{key}/versions", json={"from_version": 1}, headers=headers)
    assert third.json()["content"] == BANDS
    both = await client.post(f"{BASE}/{key}/versions", json={"from_version": 1, "content": TIERS}, headers=headers)
    assert both.status_code == 422
    missing = await client.post(f"{BASE}/{key}/versions", json={"from_version": 99}, headers=headers)
    assert missing.status_code == 404
    assert (await client.delete(f"{BASE}/{key}/versions/2", headers=headers)).status_code == 204
    assert (await client.delete(f"{BASE}/{key}/versions/1", headers=headers)).status_code == 409
    assert (await client.get(f"{BASE}/{key}/versions/2", headers=headers)).status_code == 404
    assert [item["version"] for item in (await client.get(f"{BASE}/{key}/versions", headers=headers)).json()] == [1, 3]


async def test_rename_and_delete_rules(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    draft_only, published = unique_key(), unique_key()
    created = await create_rule(client, headers, draft_only)
    renamed = await client.patch(
        f"{BASE}/{draft_only}",
        json={"name": "Renamed", "description": "বিবরণ"},
        headers={**headers, "If-Match": f'"{created["revision"]}"'},
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Renamed", "বিবরণ")
    stale = await client.patch(f"{BASE}/{draft_only}", json={"name": "X", "expected_revision": 1}, headers=headers)
    assert stale.status_code == 409
    null_name = await client.patch(f"{BASE}/{draft_only}", json={"name": None}, headers=headers)
    assert null_name.status_code == 422
    assert (await client.delete(f"{BASE}/{draft_only}", headers=headers)).status_code == 204
    assert (await client.get(f"{BASE}/{draft_only}", headers=headers)).status_code == 404

    await published_rule(client, headers, published)
    refused = await client.delete(f"{BASE}/{published}", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "rule_published"


async def test_template_install_is_idempotent_and_keeps_tenant_edits(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    first = await client.post(f"{BASE}/templates/install", json={"keys": ["approval.purchase-order"]}, headers=headers)
    assert first.json()["items"] == [{"key": "approval.purchase-order", "status": "installed", "version": 1}]
    # The tenant lowers its department-head threshold to 25,000 in version 2.
    rule = (await client.get(f"{BASE}/approval.purchase-order/versions/1", headers=headers)).json()
    content = rule["content"]
    table = next(node for node in content["nodes"] if node["type"] == "decisionTableNode")
    table["content"]["rules"][0]["in_amount"] = "> 25000"
    await client.post(f"{BASE}/approval.purchase-order/versions", json={"content": content}, headers=headers)
    blocked = await publish(client, headers, "approval.purchase-order", 2)
    assert blocked.status_code == 422  # the stored case "50,000 needs no approval" now fails
    assert "50,000 needs no approval" in blocked.json()["failed_cases"]
    await client.put(
        f"{BASE}/approval.purchase-order/tests/50,000 needs no approval",
        json={"input": {"amount": "25000.00", "department": "procurement"}, "expected": {"steps": []}},
        headers=headers,
    )
    assert (await publish(client, headers, "approval.purchase-order", 2)).status_code == 200

    again = await client.post(f"{BASE}/templates/install", json={}, headers=headers)
    statuses = {item["key"]: (item["status"], item["version"]) for item in again.json()["items"]}
    assert statuses["approval.purchase-order"] == ("exists", 2)
    assert statuses["bd.vat.rate"] == ("installed", 1)
    result = await evaluate(client, headers, "approval.purchase-order", {"amount": "30000", "department": "it"})
    assert [step["role"] for step in result.json()["result"]["steps"]] == ["department-head"]
    unknown = await client.post(f"{BASE}/templates/install", json={"keys": ["bd.nope"]}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.keys.0"


async def test_unknown_rule_and_version_are_404(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    for method, path in [
        ("GET", f"{BASE}/{key}"),
        ("GET", f"{BASE}/{key}/versions"),
        ("GET", f"{BASE}/{key}/versions/1"),
        ("POST", f"{BASE}/{key}/versions/1/publish"),
        ("POST", f"{BASE}/{key}/test"),
        ("GET", f"{BASE}/{key}/tests"),
        ("POST", f"{BASE}/{key}/evaluate"),
    ]:
        body = {"context": {}} if path.endswith("evaluate") else {}
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
    await create_rule(client, headers, key)
    assert (await client.get(f"{BASE}/{key}/versions/7", headers=headers)).status_code == 404
    assert (await evaluate(client, headers, key, {}, version=7)).status_code == 404
    assert (
        await client.put(f"{BASE}/{key}/tests/nope", json={"input": {}, "expected": {}}, headers=headers)
    ).status_code == 404


async def test_rules_listing_is_paged_by_key(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    keys = sorted(f"page.k{index}{uuid.uuid4().hex[:4]}" for index in range(5))
    for key in keys:
        await create_rule(client, headers, key)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(BASE, params=params, headers=headers)).json()
        seen.extend(item["key"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == keys
