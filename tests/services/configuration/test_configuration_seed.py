"""The demo seed: the demo tenants' settings and flags, and running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.services.configuration import service

BASE = "/api/v1/configuration"
MEGHNA = next(tenant for tenant in DEMO_TENANTS if tenant.slug == "meghna-group")
PADMA = next(tenant for tenant in DEMO_TENANTS if tenant.slug == "padma-developers")


async def snapshot(platform) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for demo in DEMO_TENANTS:
        headers = platform.headers(demo.id, ("configuration.*",))
        settings = (await platform.client.get(f"{BASE}/settings", headers=headers)).json()["items"]
        state[f"{demo.slug}:settings"] = settings
        for key in ("finance.mushak-pdf-v2", "scm.three-way-match", "projects.gantt-view"):
            flag = await platform.client.get(f"{BASE}/flags/{key}", headers=headers)
            assert flag.status_code == 200, flag.text
            state[f"{demo.slug}:{key}"] = flag.json()
        history = await platform.client.get(f"{BASE}/history", params={"limit": 200}, headers=headers)
        state[f"{demo.slug}:history"] = [item["id"] for item in history.json()["items"]]
    return state


async def test_seed_is_idempotent(platform) -> None:
    assert service.seed is not None
    await service.seed(SeedContext(platform.runtime))
    first = await snapshot(platform)
    await service.seed(SeedContext(platform.runtime))
    assert await snapshot(platform) == first

    padma = {item["key"]: item for item in first["padma-developers:settings"]}
    meghna = {item["key"]: item for item in first["meghna-group:settings"]}
    assert (padma["localization.language"]["value"], padma["localization.language"]["source"]) == ("bn", "tenant")
    assert padma["vat.withholding_entity"]["value"] is False
    assert meghna["localization.language"]["value"] == "en"
    assert (meghna["vat.withholding_entity"]["value"], meghna["vat.withholding_entity"]["version"]) == (True, 1)

    mushak = first["meghna-group:finance.mushak-pdf-v2"]
    assert (mushak["enabled"], mushak["rollout_percentage"]) == (True, 25)
    assert mushak["evaluation"]["reason"] in ("rollout", "not_in_rollout")
    assert first["padma-developers:scm.three-way-match"]["evaluation"] == {
        "key": "scm.three-way-match",
        "enabled": False,
        "reason": "override",
        "bucket": None,
        "subject": None,
    }
    assert first["meghna-group:scm.three-way-match"]["evaluation"]["enabled"] is True
    gantt = first["meghna-group:projects.gantt-view"]
    assert (gantt["enabled"], gantt["evaluation"]["reason"]) == (False, "disabled")
    assert first["padma-developers:projects.gantt-view"]["description_bn"]


async def test_seed_keeps_what_an_administrator_changed(platform) -> None:
    assert service.seed is not None
    await service.seed(SeedContext(platform.runtime))
    headers = platform.headers(PADMA.id, ("configuration.*",))
    before = (await platform.client.get(f"{BASE}/settings/localization.language", headers=headers)).json()
    changed = await platform.client.put(
        f"{BASE}/settings/localization.language",
        json={"value": "en", "expected_version": before["version"]},
        headers=headers,
    )
    assert changed.status_code == 200
    await service.seed(SeedContext(platform.runtime))
    after = (await platform.client.get(f"{BASE}/settings/localization.language", headers=headers)).json()
    assert (after["value"], after["version"]) == ("en", changed.json()["version"])
    # Put the demo tenant back as the seed leaves it.
    await platform.client.put(f"{BASE}/settings/localization.language", json={"value": "bn"}, headers=headers)
