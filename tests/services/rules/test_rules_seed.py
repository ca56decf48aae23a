"""The demo seed: every demo tenant has the shipped rules published, a few recorded decisions, and
Meghna a draft under review; running the seed again changes nothing."""

from __future__ import annotations

from typing import Any

from rules_support import BASE

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.services.rules import service
from vextrus.services.rules.seed import SAMPLE_DECISIONS
from vextrus.services.rules.templates import templates

MEGHNA = next(tenant for tenant in DEMO_TENANTS if tenant.slug == "meghna-group")


async def snapshot(platform) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for demo in DEMO_TENANTS:
        headers = platform.headers(demo.id, ("rules.*",))
        rules = (await platform.client.get(BASE, headers=headers)).json()["items"]
        state[f"{demo.slug}:rules"] = rules
        for rule in rules:
            versions = await platform.client.get(f"{BASE}/{rule['key']}/versions", headers=headers)
            state[f"{demo.slug}:{rule['key']}"] = versions.json()
        # the decisions the seed took (other services' seeds evaluate rules in the demo tenants too)
        history = []
        for *_, reference in SAMPLE_DECISIONS.get(demo.slug, []):
            found = await platform.client.get(f"{BASE}/evaluations", params={"reference": reference}, headers=headers)
            history.extend(found.json()["items"])
        state[f"{demo.slug}:history"] = history
    return state


async def test_seed_is_idempotent(platform) -> None:
    assert service.seed is not None
    await service.seed(SeedContext(platform.runtime))
    first = await snapshot(platform)
    await service.seed(SeedContext(platform.runtime))
    assert await snapshot(platform) == first

    for demo in DEMO_TENANTS:
        rules = {rule["key"]: rule for rule in first[f"{demo.slug}:rules"]}
        assert set(rules) == set(templates())
        assert all(rule["published_version"] == 1 and rule["source"] == "template" for rule in rules.values())
        references = {reference for *_, reference in SAMPLE_DECISIONS.get(demo.slug, [])}
        history = first[f"{demo.slug}:history"]
        assert {item["reference"] for item in history} == references
        assert all(item["outcome"] == "ok" for item in history)
    meghna = {
        item["reference"]: item for item in first["meghna-group:history"] if item["key"] == "approval.purchase-order"
    }
    purchase = meghna["PO-2025-26-000042"]["output"]
    assert [step["role"] for step in purchase["steps"]] == ["department-head", "finance-manager"]
    withholding = first["meghna-group:bd.withholding.rate"]
    assert [(item["version"], item["status"]) for item in withholding] == [(1, "published"), (2, "draft")]
    assert "FY2026-27" in withholding[1]["comment"]
    padma = first["padma-developers:bd.withholding.rate"]
    assert [item["status"] for item in padma] == ["published"]

    # The draft is a real candidate: it fails the stored contractor cases until they are updated.
    headers = platform.headers(MEGHNA.id, ("rules.*",))
    run = (await platform.client.post(f"{BASE}/bd.withholding.rate/test", json={"version": 2}, headers=headers)).json()
    assert not run["passed"]
    assert {item["name"] for item in run["results"] if not item["passed"]} == {
        "contractor with TIN",
        "contractor without TIN",
    }
