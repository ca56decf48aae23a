"""Events: every change writes its CloudEvents envelope to the outbox in the same transaction,
the relay delivers it, and refused changes write nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent

BASE = "/api/v1/configuration"


async def outbox(platform, topic: str, predicate: Any) -> list[tuple[OutboxEvent, dict[str, Any]]]:
    async with platform.runtime.database.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.topic == topic))).scalars().all()
    found = [(row, json.loads(row.envelope)) for row in rows]
    return sorted([(row, envelope) for row, envelope in found if predicate(envelope)], key=lambda item: item[1]["time"])


async def test_setting_change_records_an_event(platform, client, tenant) -> None:
    subject = uuid.uuid4()
    headers = {"Authorization": f"Bearer {platform.token(tenant, ('configuration.*',), subject=subject)}"}
    first = await client.put(f"{BASE}/settings/vat.withholding_entity", json={"value": True}, headers=headers)
    assert first.status_code == 200
    await client.delete(f"{BASE}/settings/vat.withholding_entity", headers=headers)
    # Refused and no-op changes publish nothing.
    await client.put(f"{BASE}/settings/vat.withholding_entity", json={"value": "true"}, headers=headers)
    await client.put(
        f"{BASE}/settings/vat.withholding_entity", json={"value": False, "expected_version": 9}, headers=headers
    )
    await client.delete(f"{BASE}/settings/vat.withholding_entity", headers=headers)
    # The relay (running in the background, or drained here) delivers both through the transport.
    for _ in range(100):
        await platform.runtime.relay.drain()
        pending = await outbox(
            platform,
            "configuration.setting.updated",
            lambda item: item["tenantid"] == str(tenant),
        )
        if all(row.status == "sent" for row, _ in pending):
            break
        await asyncio.sleep(0.05)

    events = await outbox(platform, "configuration.setting.updated", lambda item: item["tenantid"] == str(tenant))
    assert len(events) == 2
    (row, updated), (_, reset) = events
    assert row.service == "configuration"
    assert row.status == "sent"
    assert updated["source"] == "/vextrus/configuration"
    assert updated["type"] == "configuration.setting.updated"
    assert updated["actor"] == str(subject)
    assert updated["subject"] == row.key == reset["subject"]  # the setting row: one key, ordered
    assert updated["data"] == {
        "tenant_id": str(tenant),
        "key": "vat.withholding_entity",
        "old_value": False,
        "new_value": True,
        "source": "tenant",
        "version": 1,
        "action": "updated",
        "actor": str(subject),
    }
    assert reset["data"] == {
        "tenant_id": str(tenant),
        "key": "vat.withholding_entity",
        "old_value": True,
        "new_value": False,
        "source": "default",
        "version": 2,
        "action": "reset",
        "actor": str(subject),
    }


async def test_flag_changes_record_events(platform, client, tenant) -> None:
    key = f"test.flag-{uuid.uuid4().hex[:8]}"
    headers = platform.headers(tenant, ("configuration.*", "platform.flag.manage"))
    await client.post(f"{BASE}/flags", json={"key": key, "description": "x"}, headers=headers)
    await client.patch(f"{BASE}/flags/{key}", json={"enabled": True, "rollout_percentage": 10}, headers=headers)
    await client.put(f"{BASE}/flags/{key}/override", json={"enabled": False}, headers=headers)
    await client.delete(f"{BASE}/flags/{key}/override", headers=headers)
    await client.post(f"{BASE}/flags", json={"key": key, "description": "duplicate"}, headers=headers)

    events = [
        envelope
        for _, envelope in await outbox(
            platform, "configuration.flag.updated", lambda item: item["data"]["flag_key"] == key
        )
    ]
    assert [item["data"]["action"] for item in events] == ["created", "updated", "override_set", "override_removed"]
    created, updated, override_set, removed = events
    # Platform-wide changes carry no tenant; override changes carry the tenant they affect.
    assert created["tenantid"] is None
    assert updated["tenantid"] is None
    assert override_set["tenantid"] == removed["tenantid"] == str(tenant)
    assert {item["subject"] for item in events} == {key}
    assert created["data"]["changes"]["rollout_percentage"] == {"old": None, "new": 100}
    assert updated["data"]["changes"] == {
        "enabled": {"old": False, "new": True},
        "rollout_percentage": {"old": 100, "new": 10},
    }
    assert updated["data"]["version"] == 2
    assert override_set["data"]["changes"] == {"enabled": {"old": None, "new": False}}
    assert override_set["data"]["tenant_id"] == str(tenant)
    assert removed["data"]["changes"] == {"enabled": {"old": False, "new": None}}
    assert all(item["actor"] for item in events)
