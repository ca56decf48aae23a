"""Helpers of the audit tests: events delivered to the audit consumers as the bus would."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from vextrus.kit.events.consumers import delivery_context
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.service import Consumer

BASE = "/api/v1/audit"
TOPIC = "configuration.setting.updated"


def audit_consumer(platform: Any, topic: str = TOPIC) -> Consumer:
    """The audit service's consumer of ``topic`` (built from the registry)."""
    audit = next(service for service in platform.runtime.services if service.name == "audit")
    return next(consumer for consumer in audit.consumes if consumer.topic == topic)


def envelope(
    tenant: uuid.UUID,
    *,
    topic: str = TOPIC,
    subject: str = "setting-1",
    actor: str | None = None,
    time: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Envelope:
    return Envelope(
        source=f"/vextrus/{topic.split('.', 1)[0]}",
        type=topic,
        subject=subject,
        tenantid=tenant,
        actor=actor,
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        data=data if data is not None else {"key": "vat.withholding_entity", "value": True},
        **({"time": time} if time else {}),
    )


async def deliver(platform: Any, *envelopes: Envelope, concurrently: bool = False) -> None:
    """Hand envelopes to the audit consumer through the kit's dispatcher (inbox, retries), as a
    transport does; ``concurrently`` as Kafka partitions are handled on PostgreSQL."""
    runtime = platform.runtime

    async def one(item: Envelope) -> None:
        consumer = audit_consumer(platform, item.type)
        context = delivery_context({}, item, key=item.subject or "", source="test")
        outcome = await runtime.dispatcher.process(consumer, item, context, service="audit")
        assert outcome.status in ("handled", "duplicate"), outcome

    if concurrently:
        await asyncio.gather(*(one(item) for item in envelopes))
    else:
        for item in envelopes:
            await one(item)


async def events(platform: Any, tenant: uuid.UUID, **params: Any) -> dict[str, Any]:
    headers = platform.headers(tenant, ("audit.*",))
    response = await platform.client.get(f"{BASE}/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def verify(platform: Any, tenant: uuid.UUID) -> dict[str, Any]:
    response = await platform.client.get(f"{BASE}/verify", headers=platform.headers(tenant, ("audit.chain.verify",)))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def until_recorded(platform: Any, tenant: uuid.UUID, count: int, **params: Any) -> list[dict[str, Any]]:
    """Drain the relay until the tenant's trail holds ``count`` matching records (access denials
    counted in the current window are written first, as at the window's end)."""
    for _ in range(200):
        await platform.runtime.denials.flush()
        await platform.runtime.relay.drain()
        found: list[dict[str, Any]] = (await events(platform, tenant, **params))["items"]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the audit trail did not reach {count} records for {params}")
