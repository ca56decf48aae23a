"""Evaluation over HTTP: one decision, batches, engine errors as 422 (recorded, never a 500), and the
history of every evaluation with filters and keyset pagination."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from rules_support import ALL, BASE, evaluate, expression_model, published_rule, unique_key

VAT = expression_model({"vat": "round(number(amount) * 0.15, 2)", "gross": "round(number(amount) * 1.15, 2)"})
VAT_TESTS = [{"name": "100 taka", "input": {"amount": "100.00"}, "expected": {"vat": 15, "gross": 115}}]


async def test_evaluate_returns_result_version_and_duration(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key, VAT, VAT_TESTS)
    response = await evaluate(client, headers, key, {"amount": "1234.50"}, reference="INV-2025-26-000042")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["key"] == key
    assert body["version"] == 1
    assert body["result"] == {"vat": 185.18, "gross": 1419.68}
    assert 0 < body["duration_ms"] < 1000
    assert dt.datetime.fromisoformat(body["evaluated_at"]).tzinfo is not None
    assert body["trace"] is None
    uuid.UUID(body["evaluation_id"])

    traced = await evaluate(client, headers, key, {"amount": 10}, trace=True)
    assert set(traced.json()["trace"]) == {"in", "calc", "out"}

    recorded = await client.get(f"{BASE}/evaluations/{body['evaluation_id']}", headers=headers)
    assert recorded.status_code == 200
    assert recorded.json() == {
        "id": body["evaluation_id"],
        "key": key,
        "version": 1,
        "outcome": "ok",
        "input": {"amount": "1234.50"},
        "output": {"vat": 185.18, "gross": 1419.68},
        "error": None,
        "duration_ms": pytest.approx(body["duration_ms"], abs=0.001),
        "reference": "INV-2025-26-000042",
        "actor": recorded.json()["actor"],
        "evaluated_at": recorded.json()["evaluated_at"],
    }


@pytest.mark.parametrize(
    ("context", "fragment"),
    [
        ({}, "number(amount)"),
        ({"amount": "one lakh"}, "number(amount)"),
        ({"amount": None}, "number(amount)"),
        ({"amount": [1, 2]}, "number(amount)"),
    ],
)
async def test_engine_errors_are_422_and_recorded(platform, client, tenant, context, fragment) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key, VAT, VAT_TESTS)
    response = await evaluate(client, headers, key, context)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "evaluation_failed"
    assert fragment in body["engine_error"]
    assert "Stack backtrace" not in body["detail"]
    assert (body["key"], body["version"]) == (key, 1)
    history = (await client.get(f"{BASE}/evaluations", params={"key": key}, headers=headers)).json()["items"]
    assert [(item["outcome"], item["input"], item["output"]) for item in history] == [("error", context, None)]
    assert fragment in history[0]["error"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"context": "amount=5"},
        {"context": [1]},
        {"context": {}, "version": 0},
        {"context": {}, "at": "yesterday"},
        {"context": {}, "at": "2026-01-01T00:00:00"},
        {"context": {}, "unknown": 1},
        {"context": {}, "reference": ""},
    ],
)
async def test_malformed_requests_are_422(platform, client, tenant, body) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key, VAT, VAT_TESTS)
    response = await client.post(f"{BASE}/{key}/evaluate", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"


async def test_oversized_context_is_refused(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key, VAT, VAT_TESTS)
    response = await evaluate(client, headers, key, {"amount": 1, "notes": "x" * 70_000})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "body.context",
        "code": "too_large",
        "reason": response.json()["errors"][0]["reason"],
    }


async def test_batch_evaluates_each_item_on_its_own(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    vat, draft_only = unique_key(), unique_key()
    await published_rule(client, headers, vat, VAT, VAT_TESTS)
    await client.post(BASE, json={"key": draft_only, "name": "Draft", "content": VAT}, headers=headers)
    items = [
        {"key": vat, "context": {"amount": "200.00"}, "reference": "PO-1"},
        {"key": vat, "context": {"amount": "bad"}},
        {"key": "nowhere.rule", "context": {}},
        {"key": draft_only, "context": {"amount": 1}},
        {"key": draft_only, "context": {"amount": 100}, "version": 1},
        {"key": vat, "context": {"amount": 1}, "version": 9},
        {"key": vat, "context": {"amount": "1000"}},
    ]
    response = await client.post(f"{BASE}/evaluate/batch", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["items"]
    assert [item["index"] for item in results] == list(range(len(items)))
    assert [(item["ok"], (item["error"] or {}).get("code")) for item in results] == [
        (True, None),
        (False, "evaluation_failed"),
        (False, "not_found"),
        (False, "no_effective_version"),
        (True, None),
        (False, "not_found"),
        (True, None),
    ]
    assert results[0]["result"] == {"vat": 30, "gross": 230}
    assert results[4]["result"] == {"vat": 15, "gross": 115}
    assert results[6]["version"] == 1
    assert (body["succeeded"], body["failed"]) == (3, 4)
    history = (await client.get(f"{BASE}/evaluations", headers=headers)).json()["items"]
    # Evaluated items are recorded (4: three ok, one engine error); unresolved ones are not.
    assert sorted(item["outcome"] for item in history) == ["error", "ok", "ok", "ok"]
    assert {item["reference"] for item in history} == {"PO-1", None}


async def test_batch_limits(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key, VAT, VAT_TESTS)
    empty = await client.post(f"{BASE}/evaluate/batch", json={"items": []}, headers=headers)
    assert empty.status_code == 422
    too_many = [{"key": key, "context": {"amount": 1}}] * 501
    response = await client.post(f"{BASE}/evaluate/batch", json={"items": too_many}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.items"
    assert (await client.get(f"{BASE}/evaluations", headers=headers)).json()["items"] == []


async def test_history_filters_and_pages(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    first, second = unique_key("hist"), unique_key("hist")
    await published_rule(client, headers, first, VAT, VAT_TESTS)
    await published_rule(client, headers, second, VAT, VAT_TESTS)
    started = dt.datetime.now(dt.UTC)
    for amount in range(7):
        await evaluate(client, headers, first, {"amount": amount}, reference=f"DOC-{amount % 2}")
    await evaluate(client, headers, first, {"amount": "x"})
    await client.post(
        f"{BASE}/evaluate/batch", json={"items": [{"key": second, "context": {"amount": 5}}] * 3}, headers=headers
    )

    async def collect(**params) -> list[dict]:
        items, cursor = [], None
        while True:
            query = {"limit": 3, **params, **({"cursor": cursor} if cursor else {})}
            response = await client.get(f"{BASE}/evaluations", params=query, headers=headers)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items

    everything = await collect()
    assert len(everything) == 11
    assert len({item["id"] for item in everything}) == 11
    stamps = [(item["evaluated_at"], item["id"]) for item in everything]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert len(await collect(key=first)) == 8
    assert [item["input"]["amount"] for item in await collect(key=first, outcome="ok")] == list(range(6, -1, -1))
    assert len(await collect(outcome="error")) == 1
    assert len(await collect(reference="DOC-1")) == 3
    assert len(await collect(key=second, version=1)) == 3
    assert await collect(key=second, version=2) == []
    assert len(await collect(since=started.isoformat())) == 11
    assert await collect(until=started.isoformat()) == []
    bad_cursor = await client.get(f"{BASE}/evaluations", params={"cursor": "nonsense"}, headers=headers)
    assert bad_cursor.status_code == 422
    naive = await client.get(f"{BASE}/evaluations", params={"since": "2026-01-01T00:00:00"}, headers=headers)
    assert naive.status_code == 422
    assert (await client.get(f"{BASE}/evaluations/{uuid.uuid4()}", headers=headers)).status_code == 404


async def test_concurrent_evaluations_are_all_recorded(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key, VAT, VAT_TESTS)
    responses = await asyncio.gather(*[evaluate(client, headers, key, {"amount": index}) for index in range(20)])
    assert all(response.status_code == 200 for response in responses)
    history = (await client.get(f"{BASE}/evaluations", params={"limit": 50}, headers=headers)).json()["items"]
    assert sorted(item["input"]["amount"] for item in history) == list(range(20))
