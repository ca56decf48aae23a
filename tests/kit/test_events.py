"""Outbox, relay and consumers on SQLite and PostgreSQL: events commit with the change or not at
all, reach every consumer, survive consumer failures with retries, keep per-aggregate order,
have their effects exactly once, and end as dead letters after the last attempt."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import make_settings
from vextrus.kit.db import after_commit
from vextrus.kit.events import Envelope, record_event
from vextrus.kit.events.models import DEAD, SENT, OutboxEvent
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.runtime import Runtime
from vextrus.kit.service import Consumer, Service, Topic
from vextrus.kit.tenancy import Principal, acting_as

pytestmark = pytest.mark.parametrize("fresh_database_url", ["sqlite", "postgresql"], indirect=True)


class ItemCreated(BaseModel):
    item_id: str
    name: str


ITEM_CREATED = Topic("probe.item.created", ItemCreated, "An item was created (test topic)")


@dataclass
class Effects:
    """What consumers did, recorded only when their transaction committed."""

    seen: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    failures_left: dict[str, int] = field(default_factory=dict)
    envelopes: list[Envelope] = field(default_factory=list)

    def handler(self, name: str):  # type: ignore[no-untyped-def]
        async def handle(envelope: Envelope, session: AsyncSession) -> None:
            item = envelope.data["name"]
            if self.failures_left.get(item, 0) > 0:
                self.failures_left[item] -= 1
                raise RuntimeError(f"{name} cannot take {item} yet")
            self.envelopes.append(envelope)
            after_commit(session, lambda: self.seen[name].append(item))

        return handle


@pytest.fixture
async def probe(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Runtime, Effects]]:
    effects = Effects()
    service = Service(
        name="probe",
        port=39001,
        title="Probe",
        publishes=[ITEM_CREATED],
        consumes=[
            Consumer(ITEM_CREATED.name, effects.handler("audit"), "probe.audit"),
            Consumer(ITEM_CREATED.name, effects.handler("mailer"), "probe.mailer"),
        ],
    )
    settings = make_settings(fresh_database_url, tmp_path, outbox_max_attempts=3, outbox_retry_base_seconds=0.01)
    runtime = Runtime(settings, [service], "probe")
    await upgrade(runtime.database, [platform_tree()])
    try:
        yield runtime, effects
    finally:
        await runtime.stop()


async def create_item(runtime: Runtime, tenant: uuid.UUID, name: str, *, key: str | None = None) -> Envelope:
    async with runtime.database.transaction() as session:
        return record_event(session, ITEM_CREATED, ItemCreated(item_id=key or name, name=name), subject=key or name)


async def statuses(runtime: Runtime) -> dict[str, int]:
    async with runtime.database.transaction() as session:
        rows = await session.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status))
        return {status: count for status, count in rows.all()}


async def test_committed_event_reaches_every_consumer_with_its_envelope(probe: tuple[Runtime, Effects]) -> None:
    runtime, effects = probe
    tenant, user = uuid.uuid4(), uuid.uuid4()
    with acting_as(Principal(subject=user, tenant_id=tenant)):
        recorded = await create_item(runtime, tenant, "cement")
    await runtime.relay.drain()
    assert effects.seen == {"audit": ["cement"], "mailer": ["cement"]}
    delivered = effects.envelopes[0]
    assert delivered.id == recorded.id
    assert delivered.specversion == "1.0"
    assert delivered.type == "probe.item.created"
    assert delivered.source == "/vextrus/probe"
    assert delivered.subject == "cement"
    assert delivered.tenantid == tenant
    assert delivered.actor == str(user)
    assert delivered.time.tzinfo is not None
    assert await statuses(runtime) == {SENT: 1}


async def test_rolled_back_change_publishes_nothing(probe: tuple[Runtime, Effects]) -> None:
    runtime, effects = probe
    with pytest.raises(RuntimeError, match="business rule"):
        async with runtime.database.transaction() as session:
            record_event(session, ITEM_CREATED, ItemCreated(item_id="x", name="steel"), subject="x")
            raise RuntimeError("business rule failed after the event was staged")
    await runtime.relay.drain()
    assert effects.seen == {}
    assert await statuses(runtime) == {}


async def test_wrong_payload_type_is_refused(probe: tuple[Runtime, Effects]) -> None:
    runtime, _ = probe

    class Other(BaseModel):
        x: int

    async with runtime.database.transaction() as session:
        with pytest.raises(TypeError, match="expects ItemCreated"):
            record_event(session, ITEM_CREATED, Other(x=1), subject="x")


async def test_failing_consumer_is_retried_and_others_do_not_repeat(probe: tuple[Runtime, Effects]) -> None:
    runtime, effects = probe
    effects.failures_left["bricks"] = 2  # both consumers fail twice, then succeed
    await create_item(runtime, uuid.uuid4(), "bricks")
    for _ in range(50):
        await runtime.relay.drain()
        if (await statuses(runtime)).get(SENT):
            break
        await asyncio.sleep(0.02)
    assert await statuses(runtime) == {SENT: 1}
    # The first consumer to fail stops the others only until the retry; the inbox makes each effect single.
    assert effects.seen["audit"] == ["bricks"]
    assert effects.seen["mailer"] == ["bricks"]


async def test_redelivery_of_the_same_event_has_one_effect(probe: tuple[Runtime, Effects]) -> None:
    runtime, effects = probe
    envelope = await create_item(runtime, uuid.uuid4(), "sand")
    await runtime.relay.drain()
    for _ in range(3):  # what a relay killed before marking the row would do after its lease
        await runtime.transport.publish(envelope, envelope.subject or "")
    assert effects.seen == {"audit": ["sand"], "mailer": ["sand"]}


async def test_events_of_one_aggregate_keep_their_order(probe: tuple[Runtime, Effects]) -> None:
    runtime, effects = probe
    effects.failures_left["rod-v1"] = 1
    await create_item(runtime, uuid.uuid4(), "rod-v1", key="rod")
    await create_item(runtime, uuid.uuid4(), "rod-v2", key="rod")
    await create_item(runtime, uuid.uuid4(), "cement-v1", key="cement")
    await runtime.relay.relay_once()
    # rod-v1 failed, so rod-v2 must wait; the other aggregate is not held up.
    assert effects.seen["audit"] == ["cement-v1"]
    for _ in range(50):
        await asyncio.sleep(0.02)
        await runtime.relay.drain()
        if len(effects.seen["audit"]) == 3:
            break
    assert effects.seen["audit"] == ["cement-v1", "rod-v1", "rod-v2"]


async def test_event_is_dead_after_the_last_attempt(probe: tuple[Runtime, Effects]) -> None:
    runtime, effects = probe
    effects.failures_left["gravel"] = 99
    await create_item(runtime, uuid.uuid4(), "gravel")
    for _ in range(100):
        await runtime.relay.drain()
        if (await statuses(runtime)).get(DEAD):
            break
        await asyncio.sleep(0.02)
    assert await statuses(runtime) == {DEAD: 1}
    backlog = await runtime.relay.backlog()
    assert backlog["probe"]["dead"] == 1
    assert effects.seen == {}


async def test_background_relay_delivers_after_commit(probe: tuple[Runtime, Effects]) -> None:
    runtime, effects = probe
    await runtime.start()
    await create_item(runtime, uuid.uuid4(), "tiles")
    for _ in range(100):
        if effects.seen.get("mailer"):
            break
        await asyncio.sleep(0.02)
    assert effects.seen["mailer"] == ["tiles"]
