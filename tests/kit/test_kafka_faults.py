"""Faults on a real broker, on SQLite and PostgreSQL: a relay process killed (SIGKILL) in the middle
of a batch and restarted loses nothing and repeats no effect; a broker stopped while services keep
writing makes readiness fail and keeps every event in the outbox, and everything is delivered once
it is back. (A handler that always fails is in test_kafka_transport.py: dead letter, then requeue.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.kafka_broker import ItemCreated, KafkaBroker, Probe, eventually, kafka_test_settings, make_probe
from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.events import record_event
from vextrus.kit.events.consumers import ConsumerDispatcher
from vextrus.kit.events.models import DEAD, PENDING, SENT, OutboxEvent
from vextrus.kit.events.transport import build_transport
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA, utcnow
from vextrus.kit.runtime import Runtime
from vextrus.kit.tenancy import acting_as

BACKENDS = pytest.mark.parametrize("fresh_database_url", ["sqlite", "postgresql"], indirect=True)
REPOSITORY = Path(__file__).parents[2]


async def write_items(database: Database, probe: Probe, names: list[str], keys: int) -> None:
    """Record one event per name, spread over ``keys`` aggregates, 50 per transaction."""
    tenant = uuid.uuid4()
    with acting_as(tenant_id=tenant):
        for start in range(0, len(names), 50):
            async with database.transaction() as session:
                for index, name in enumerate(names[start : start + 50], start):
                    key = f"agg-{index % keys}"
                    record_event(session, probe.topic, ItemCreated(item_id=key, name=name), subject=key)


async def outbox_counts(database: Database) -> tuple[int, int, int]:
    """(sent, leased = pending and claimed by a relay right now, dead)."""
    async with database.transaction() as session:
        sent = await session.scalar(select(func.count()).where(OutboxEvent.status == SENT))
        leased = await session.scalar(
            select(func.count()).where(OutboxEvent.status == PENDING, OutboxEvent.next_attempt_at > utcnow())
        )
        dead = await session.scalar(select(func.count()).where(OutboxEvent.status == DEAD))
    return int(sent or 0), int(leased or 0), int(dead or 0)


def relay_process(env: dict[str, str], service: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.kafka_broker", "relay", service],
        env=env,
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


@BACKENDS
async def test_relay_killed_in_the_middle_of_a_batch_loses_nothing_and_repeats_no_effect(
    fresh_database_url: str, kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    probe = make_probe()
    kafka_broker.create_topics(probe.specs())
    lease = 6.5
    settings = make_settings(
        fresh_database_url,
        tmp_path,
        **{**kafka_test_settings(kafka_broker), "kafka_publish_timeout_seconds": 1, "outbox_lease_seconds": lease},
    )
    database = Database(fresh_database_url, [PLATFORM_SCHEMA])
    await upgrade(database, [platform_tree()])
    # The consumers run here; the relay runs in a process of its own, killed and started again.
    transport = build_transport(settings)
    transport.subscribe(probe.name, probe.service.consumes, ConsumerDispatcher(database, max_attempts=3))
    await transport.start()
    names = [f"item-{index:04d}" for index in range(400)]
    await write_items(database, probe, names, keys=12)
    env = {key: value for key, value in os.environ.items() if not key.startswith("VEXTRUS_")}
    env.update(
        VEXTRUS_DATABASE_URL=fresh_database_url,
        VEXTRUS_EVENT_BUS=kafka_broker.url,
        VEXTRUS_OUTBOX_BATCH_SIZE="25",
        VEXTRUS_OUTBOX_POLL_SECONDS="0.05",
        VEXTRUS_OUTBOX_LEASE_SECONDS=str(lease),
        VEXTRUS_KAFKA_PUBLISH_TIMEOUT_SECONDS="1",
        VEXTRUS_KAFKA_CREATE_TOPICS="false",
        VEXTRUS_LOG_LEVEL="WARNING",
    )
    duplicates = {"consumer": probe.consumer("audit"), "topic": probe.topic.name, "outcome": "duplicate"}
    duplicates_before = REGISTRY.get_sample_value("events_handled_total", duplicates) or 0.0
    relay = relay_process(env, probe.name)
    try:
        # Kill it once it has sent some rows and holds a claimed batch it has not marked yet.
        leased_at_kill = 0
        for _ in range(3):
            while True:
                sent, leased, _ = await outbox_counts(database)
                if sent >= 80 and leased > 0:
                    break
                assert relay.poll() is None, "the relay process died on its own"
                assert sent < len(names), "the relay finished before it could be killed"
                await asyncio.sleep(0.01)
            relay.send_signal(signal.SIGKILL)
            relay.wait(10)
            sent_at_kill, leased_at_kill, _ = await outbox_counts(database)
            if leased_at_kill > 0:
                break
            relay = relay_process(env, probe.name)  # it died between two batches: try again
        assert leased_at_kill > 0, "never killed in the middle of a batch"
        assert sent_at_kill < len(names)

        relay = relay_process(env, probe.name)
        await eventually(lambda: _all_sent(database, len(names)), within=90)
        for suffix in ("audit", "mailer"):
            await eventually(lambda suffix=suffix: len(probe.seen(suffix)) >= len(names), within=90)
        await asyncio.sleep(1.0)  # anything still to come would be a repeated effect
        for suffix in ("audit", "mailer"):
            seen = probe.seen(suffix)
            assert len(seen) == len(names), f"{suffix}: {len(seen)} effects for {len(names)} events"
            assert sorted(seen) == names
            for key in range(12):  # and each aggregate's effects in the order its events were written
                mine = [name for index, name in enumerate(names) if index % 12 == key]
                assert [name for name in seen if name in set(mine)] == mine
        assert (await outbox_counts(database))[2] == 0
        redelivered = (REGISTRY.get_sample_value("events_handled_total", duplicates) or 0.0) - duplicates_before
        print(f"killed with {leased_at_kill} rows leased; the inbox dropped {redelivered:g} redeliveries")
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait(10)
        await transport.stop()
        await database.dispose()


async def _all_sent(database: Database, total: int) -> bool:
    return (await outbox_counts(database))[0] == total


@BACKENDS
async def test_broker_outage_keeps_events_in_the_outbox_and_delivers_them_after_recovery(
    fresh_database_url: str, kafka_broker_factory: Callable[[], KafkaBroker], tmp_path: Path
) -> None:
    broker = kafka_broker_factory()
    probe = make_probe()
    broker.create_topics(probe.specs())
    settings = make_settings(
        fresh_database_url,
        tmp_path,
        **{**kafka_test_settings(broker), "kafka_publish_timeout_seconds": 2, "outbox_lease_seconds": 8},
    )
    app = build_app([probe.service], settings)
    runtime: Runtime = app.state.runtime
    await upgrade(runtime.database, [platform_tree()])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://outage.test") as client:
            before = [f"before-{index}" for index in range(5)]
            await write_items(runtime.database, probe, before, keys=3)
            await eventually(lambda: sorted(probe.seen("mailer")) == before)
            assert (await client.get("/health/ready")).status_code == 200

            broker.stop()
            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            body = ready.json()
            assert body["failing"] == ["event_bus"]
            assert body["checks"]["event_bus"]["error"]
            assert body["checks"]["database"]["status"] == "ok"

            during = [f"during-{index}" for index in range(12)]
            for index in range(0, len(during), 3):  # the services keep working and writing events
                await write_items(runtime.database, probe, during[index : index + 3], keys=3)
                await asyncio.sleep(0.3)
            await asyncio.sleep(settings.kafka_publish_timeout_seconds + 1)  # let the relay try and fail
            stats = (await client.get("/health/stats")).json()
            assert stats["outbox"][probe.name]["pending"] == len(during)
            assert stats["outbox"][probe.name]["dead"] == 0
            async with runtime.database.transaction() as session:
                errors = (
                    await session.scalars(select(OutboxEvent.last_error).where(OutboxEvent.status == PENDING))
                ).all()
            assert any(error and "timed out" in error.lower() for error in errors)
            assert (await client.get("/health/ready")).status_code == 503
            assert not any(name.startswith("during") for name in probe.seen("mailer"))

            started = dt.datetime.now(dt.UTC)
            broker.start()  # an empty broker (memory storage): the fixture re-creates the topics

            async def ready_again() -> bool:
                return (await client.get("/health/ready")).status_code == 200

            await eventually(ready_again, within=20)
            for suffix in ("audit", "mailer"):
                await eventually(lambda suffix=suffix: len(probe.seen(suffix)) >= len(before + during), within=60)
            await asyncio.sleep(1.0)
            for suffix in ("audit", "mailer"):
                assert sorted(probe.seen(suffix)) == sorted(before + during)
            sent, _, dead = await outbox_counts(runtime.database)
            assert (sent, dead) == (len(before + during), 0)
            print(f"recovered {len(during)} events in {(dt.datetime.now(dt.UTC) - started).total_seconds():.1f}s")
