"""Events and metrics: rule changes write their CloudEvents to the outbox in the same transaction,
evaluations are announced as a sample (the sample rate is a setting), refused changes write nothing,
and the business metrics count evaluations, durations and cache hits."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from rules_support import ALL, BASE, create_rule, evaluate, publish, published_rule, unique_key
from sqlalchemy import select

from vextrus.kit.app import build_app
from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.tenancy import cross_tenant
from vextrus.services.rules.engine import rules_runtime


async def events(platform, tenant: uuid.UUID, topic: str) -> list[dict[str, Any]]:
    with cross_tenant():
        async with platform.runtime.database.transaction() as session:
            rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == topic))).scalars().all()
    found = [json.loads(row.envelope) for row in rows]
    return sorted((item for item in found if item["tenantid"] == str(tenant)), key=lambda item: item["time"])


async def test_rule_changes_are_announced(platform, client, tenant) -> None:
    actor = uuid.uuid4()
    headers = {"Authorization": f"Bearer {platform.token(tenant, ALL, subject=actor)}"}
    key = unique_key()
    created = await create_rule(client, headers, key)
    await client.patch(f"{BASE}/{key}", json={"name": "Renamed"}, headers=headers)
    await client.post(
        f"{BASE}/{key}/tests", json={"name": "more", "input": {"amount": 5}, "expected": {}}, headers=headers
    )
    assert (await publish(client, headers, key, 1)).status_code == 200
    await client.post(f"{BASE}/{key}/versions", json={}, headers=headers)
    # Refused changes announce nothing.
    await client.post(BASE, json={"key": key, "name": "dup", "content": {}}, headers=headers)
    await publish(client, headers, key, 1)
    await client.patch(f"{BASE}/{key}", json={"name": "Stale", "expected_revision": 1}, headers=headers)

    [created_event] = await events(platform, tenant, "rules.rule.created")
    assert created_event["source"] == "/vextrus/rules"
    assert created_event["subject"] == created["id"]
    assert created_event["actor"] == str(actor)
    assert created_event["data"] == {
        "tenant_id": str(tenant),
        "rule_id": created["id"],
        "key": key,
        "name": "Test rule",
        "source": "custom",
        "version": 1,
        "actor": str(actor),
    }
    updates = await events(platform, tenant, "rules.rule.updated")
    assert [(item["data"]["change"], item["data"]["version"], item["data"]["test"]) for item in updates] == [
        ("metadata", None, None),
        ("test_added", None, "more"),
        ("version_created", 2, None),
    ]
    [published] = await events(platform, tenant, "rules.rule.published")
    assert published["subject"] == created["id"]
    data = published["data"]
    assert (data["key"], data["version"], data["previous_version"], data["effective_to"]) == (key, 1, None, None)
    assert len(data["content_hash"]) == 64


@pytest.mark.parametrize(("rate", "expected"), [(1.0, 5), (0.0, 0)])
async def test_evaluation_events_follow_the_sample_rate(platform, tenant, rate, expected) -> None:
    """A second app on the same database with its own VEXTRUS_RULES_EVALUATION_EVENT_SAMPLE_RATE."""
    service = next(item for item in platform.runtime.services if item.name == "rules")
    overrides = {"rules": {"evaluation_event_sample_rate": rate}}
    app = build_app([service], platform.runtime.settings, service_settings=overrides)
    # No lifespan: only the outbox rows matter here, so this app's relay never starts (stopping a
    # relay whose wake-up races the cancellation can hang on Python 3.11's asyncio.wait_for).
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://rules.test"
        ) as client:
            headers = platform.headers(tenant, ALL)
            key = unique_key()
            await published_rule(client, headers, key)
            for amount in (1, 5000, 500000):
                assert (await evaluate(client, headers, key, {"amount": amount}, reference="DOC-7")).status_code == 200
            batch = await client.post(
                f"{BASE}/evaluate/batch",
                json={"items": [{"key": key, "context": {"amount": 2}}, {"key": key, "context": {"amount": "x"}}]},
                headers=headers,
            )
            assert batch.status_code == 200
    finally:
        await app.state.runtime.database.dispose()
    announced = await events(platform, tenant, "rules.evaluation.completed")
    assert len(announced) == expected
    if expected:
        first = announced[0]["data"]
        assert (first["key"], first["version"], first["outcome"], first["sample_rate"]) == (key, 1, "ok", 1.0)
        assert first["output"] == {"band": "small"}
        assert first["reference"] == "DOC-7"
        assert announced[0]["subject"] == first["evaluation_id"]
        # Each announced evaluation is the recorded one.
        history = {
            item["id"] for item in (await platform.client.get(f"{BASE}/evaluations", headers=headers)).json()["items"]
        }
        assert {item["data"]["evaluation_id"] for item in announced} == history


def sample_value(text: str, family: str, name: str, labels: dict[str, str]) -> float:
    for metric in text_string_to_metric_families(text):
        if metric.name != family:
            continue
        for sample in metric.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return float(sample.value)
    return 0.0


async def test_metrics_count_evaluations_and_cache_hits(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    await published_rule(client, headers, key)
    rules_runtime(platform.runtime).engine.clear()
    before = (await client.get("/metrics")).text
    for amount in (1, 2, 3):
        await evaluate(client, headers, key, {"amount": amount})
    await client.post(f"{BASE}/evaluate/batch", json={"items": [{"key": "ghost.rule", "context": {}}]}, headers=headers)
    after = (await client.get("/metrics")).text

    def delta(family: str, name: str, **labels: str) -> float:
        return sample_value(after, family, name, labels) - sample_value(before, family, name, labels)

    assert delta("rules_evaluation", "rules_evaluation_total", key=key, outcome="ok") == 3
    assert delta("rules_evaluation", "rules_evaluation_total", key="<unknown>", outcome="not_found") == 1
    assert delta("rules_evaluation_duration_seconds", "rules_evaluation_duration_seconds_count", key=key) == 3
    assert delta("rules_cache_misses", "rules_cache_misses_total") == 1
    assert delta("rules_cache_hits", "rules_cache_hits_total") == 2
