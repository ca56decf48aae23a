"""The engine's two modes: async (default) evaluates on zen's threads without the GIL, so an
expensive model neither freezes the event loop nor outlives its timeout; sync evaluates on the
loop and gives the same decisions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from rules_support import ALL, BANDS, BASE, create_rule, evaluate, expression_model, published_rule, unique_key

from vextrus.kit.app import build_app

# ~0.3-1.5 s of zen work depending on the machine: far beyond any real rule.
SLOW = expression_model({"total": "sum(map([0..1500000], # * 2))"})


@asynccontextmanager
async def rules_app(platform, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The rules service alone on the platform's database, with its own settings (no lifespan)."""
    service = next(item for item in platform.runtime.services if item.name == "rules")
    app = build_app([service], platform.runtime.settings, service_settings={"rules": settings})
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://rules.test"
        ) as client:
            yield client
    finally:
        await app.state.runtime.database.dispose()


async def test_an_expensive_model_does_not_freeze_the_event_loop(platform, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    async with rules_app(platform, evaluation_mode="async", evaluation_timeout_seconds=120) as client:
        key = unique_key()
        await create_rule(client, headers, key, SLOW, tests=[])
        started = time.perf_counter()
        slow = asyncio.create_task(evaluate(client, headers, key, {}, version=1))
        answered_meanwhile = 0
        while not slow.done():
            health = await client.get("/health")
            assert health.status_code == 200
            if not slow.done():
                answered_meanwhile += 1
            await asyncio.sleep(0.01)
        response = await slow
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.json()["result"] == {"total": 2_250_001_500_000}
    # The loop kept answering while zen worked (a synchronous evaluation would have held the GIL).
    assert answered_meanwhile >= 3, (answered_meanwhile, elapsed)


async def test_an_evaluation_past_its_timeout_is_a_recorded_422(platform, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    async with rules_app(platform, evaluation_mode="async", evaluation_timeout_seconds=0.05) as client:
        key = unique_key()
        await create_rule(client, headers, key, SLOW, tests=[])
        response = await evaluate(client, headers, key, {}, version=1)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "evaluation_failed"
    assert "longer than 0.05 s" in body["detail"]
    history = (await platform.client.get(f"{BASE}/evaluations", params={"key": key}, headers=headers)).json()
    assert [item["outcome"] for item in history["items"]] == ["error"]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_both_modes_give_the_same_decisions(platform, tenant, mode) -> None:
    headers = platform.headers(tenant, ALL)
    async with rules_app(platform, evaluation_mode=mode) as client:
        key = unique_key()
        await published_rule(client, headers, key, BANDS)
        single = await evaluate(client, headers, key, {"amount": 5000})
        assert single.json()["result"] == {"band": "medium"}
        assert single.json()["duration_ms"] > 0
        amounts = [1, 999, 1000, 100000, 100001, "x"]
        batch = await client.post(
            f"{BASE}/evaluate/batch",
            json={"items": [{"key": key, "context": {"amount": amount}} for amount in amounts]},
            headers=headers,
        )
    bands = [item["result"] for item in batch.json()["items"]]
    assert bands == [
        {"band": "small"},
        {"band": "small"},
        {"band": "medium"},
        {"band": "medium"},
        {"band": "large"},
        {},
    ]
