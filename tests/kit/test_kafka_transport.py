"""The Kafka transport on a real broker (tansu), on SQLite and PostgreSQL: events cross the broker to
every consumer group member in per-aggregate order with their tenant and trace; the broker holds
them keyed by aggregate with CloudEvents headers; duplicates have no second effect; a message the
broker refuses is dead while the rest flows; a handler that always fails ends in ``<topic>.dlq``
and is requeued from the CLI; consumer lag, dead letters and readiness are reported; replays from
the CLI keep effects single unless the inbox is bypassed; topics are created idempotently."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from confluent_kafka.admin import AdminClient
from opentelemetry import context as otel_context
from opentelemetry import propagate
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from tests.conftest import PostgresServer, make_settings
from tests.kafka_broker import (
    ItemCreated,
    KafkaBroker,
    Probe,
    RawMessage,
    eventually,
    kafka_test_settings,
    make_probe,
)
from vextrus.kit.app import build_app
from vextrus.kit.events import Envelope, record_event
from vextrus.kit.events import headers as h
from vextrus.kit.events.kafka import KafkaOptions, read_topic
from vextrus.kit.events.models import DEAD, PENDING, SENT, OutboxEvent
from vextrus.kit.events.operations import list_dead_letters
from vextrus.kit.events.transport import topic_specs
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.runtime import Runtime
from vextrus.kit.service import load_registry
from vextrus.kit.settings import SettingsError, load_settings
from vextrus.kit.tenancy import Principal, acting_as

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@dataclass
class Bus:
    backend: str
    database_url: str
    broker: KafkaBroker
    runtime: Runtime
    client: httpx.AsyncClient
    probe: Probe

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("VEXTRUS_")}
        env.update(
            VEXTRUS_DATABASE_URL=self.database_url, VEXTRUS_EVENT_BUS=self.broker.url, VEXTRUS_LOG_LEVEL="WARNING"
        )
        return subprocess.run(
            [sys.executable, "-m", "vextrus", "events", *args], env=env, capture_output=True, text=True, timeout=120
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def bus(
    request: pytest.FixtureRequest, kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Bus]:
    """One probe service on the shared broker per backend: publishing, and consuming with two consumers."""
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"kafka-{backend}")
    server: PostgresServer | None = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bus.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_kafka")
    probe = make_probe()
    kafka_broker.create_topics(probe.specs())
    app = build_app([probe.service], make_settings(url, workdir, **kafka_test_settings(kafka_broker)))
    runtime: Runtime = app.state.runtime
    await upgrade(runtime.database, [platform_tree()])
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bus.test") as client:
                yield Bus(backend, url, kafka_broker, runtime, client, probe)
    finally:
        if server is not None:
            await server.drop(url)


@contextmanager
def traced(traceparent: str) -> Iterator[None]:
    token = otel_context.attach(propagate.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)


async def create_item(bus: Bus, name: str, *, key: str | None = None, tenant: uuid.UUID | None = None) -> Envelope:
    with acting_as(Principal(subject=uuid.uuid4(), tenant_id=tenant or uuid.uuid4())):
        async with bus.runtime.database.transaction() as session:
            return record_event(
                session, bus.probe.topic, ItemCreated(item_id=key or name, name=name), subject=key or name
            )


async def outbox_status(bus: Bus, event_id: str) -> str | None:
    async with bus.runtime.database.transaction() as session:
        return await session.scalar(select(OutboxEvent.status).where(OutboxEvent.id == uuid.UUID(event_id)))


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_events_cross_the_broker_to_every_consumer_in_order_with_tenant_and_trace(bus: Bus) -> None:
    tenant = uuid.uuid4()
    keys = [f"lot-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    recorded = []
    with traced(TRACEPARENT):
        for version in range(8):
            for key in keys:
                recorded.append(await create_item(bus, f"{key}-v{version}", key=key, tenant=tenant))
    names = [envelope.data["name"] for envelope in recorded]

    def arrived(suffix: str) -> bool:
        return sorted(n for n in bus.probe.seen(suffix) if n.startswith(tuple(keys))) == sorted(names)

    await eventually(lambda: arrived("audit") and arrived("mailer"))
    for suffix in ("audit", "mailer"):
        seen = bus.probe.seen(suffix)
        for key in keys:  # each aggregate's events in the order they were written
            assert [n for n in seen if n.startswith(key)] == [f"{key}-v{version}" for version in range(8)]
        for name in names:
            assert bus.probe.contexts[f"{bus.probe.consumer(suffix)}:{name}"] == (tenant, TRACEPARENT)
    assert {await outbox_status(bus, envelope.id) for envelope in recorded} == {SENT}

    # On the broker: key = aggregate id (one partition per key), the envelope whole, CloudEvents headers.
    held = {m.headers.get(h.ID): m for m in await asyncio.to_thread(bus.broker.messages, bus.probe.topic.name)}
    for envelope in recorded:
        message = held[envelope.id]
        assert message.key == envelope.subject
        assert Envelope.model_validate_json(message.value) == envelope
        assert message.headers[h.CONTENT_TYPE] == h.CLOUDEVENTS_JSON
        assert message.headers[h.TYPE] == bus.probe.topic.name
        assert message.headers[h.TENANT] == str(tenant)
        assert message.headers[h.TRACEPARENT] == TRACEPARENT
    for key in keys:
        assert len({held[e.id].partition for e in recorded if e.subject == key}) == 1


async def test_a_duplicate_on_the_broker_has_no_second_effect(bus: Bus) -> None:
    name = f"dup-{uuid.uuid4().hex[:6]}"
    envelope = await create_item(bus, name)
    await eventually(lambda: name in bus.probe.seen("audit") and name in bus.probe.seen("mailer"))
    consumer = bus.probe.consumer("audit")
    labels = {"consumer": consumer, "topic": bus.probe.topic.name, "outcome": "duplicate"}
    before = sample("events_handled_total", labels)
    headers = {h.ID: envelope.id, h.TENANT: str(envelope.tenantid), h.CONTENT_TYPE: h.CLOUDEVENTS_JSON}
    for _ in range(2):  # what a relay killed after the broker's ack but before marking the row resends
        await asyncio.to_thread(bus.broker.produce, bus.probe.topic.name, name, envelope.model_dump_json(), headers)
    await eventually(lambda: sample("events_handled_total", labels) == before + 2)
    assert bus.probe.seen("audit").count(name) == 1
    assert bus.probe.seen("mailer").count(name) == 1


async def test_a_message_with_a_lying_tenant_header_is_dead_lettered_unhandled(bus: Bus) -> None:
    name = f"forged-{uuid.uuid4().hex[:6]}"
    envelope = await create_item(bus, name)
    await eventually(lambda: name in bus.probe.seen("audit") and name in bus.probe.seen("mailer"))
    forged = envelope.model_copy(update={"id": str(uuid.uuid4())})
    headers = {h.ID: forged.id, h.TENANT: str(uuid.uuid4())}
    await asyncio.to_thread(bus.broker.produce, bus.probe.topic.name, name, forged.model_dump_json(), headers)

    async def dead() -> bool:
        letters = await list_dead_letters(bus.runtime.database, topic=bus.probe.topic.name, limit=1000)
        return len([letter for letter in letters if letter.event_id == forged.id]) == 2

    await eventually(dead)
    letters = await list_dead_letters(bus.runtime.database, topic=bus.probe.topic.name, limit=1000)
    assert all("does not match" in letter.error for letter in letters if letter.event_id == forged.id)
    assert bus.probe.seen("audit").count(name) == 1


async def test_a_message_the_broker_refuses_is_dead_and_the_rest_flows(bus: Bus) -> None:
    huge = await create_item(bus, "x" * 1_100_000, key=f"huge-{uuid.uuid4().hex[:6]}")
    name = f"after-{uuid.uuid4().hex[:6]}"
    after = await create_item(bus, name)
    await eventually(lambda: name in bus.probe.seen("audit"))

    async def huge_is_dead() -> bool:
        return await outbox_status(bus, huge.id) == DEAD

    await eventually(huge_is_dead, within=10)
    assert await outbox_status(bus, after.id) == SENT
    async with bus.runtime.database.transaction() as session:
        error = await session.scalar(select(OutboxEvent.last_error).where(OutboxEvent.id == uuid.UUID(huge.id)))
    assert error is not None
    assert "MSG_SIZE_TOO_LARGE" in error


async def test_handler_that_always_fails_ends_in_the_dlq_and_is_requeued_from_the_cli(bus: Bus) -> None:
    name = f"poison-{uuid.uuid4().hex[:6]}"
    bus.probe.fail[name] = -1
    envelope = await create_item(bus, name)
    consumers = {bus.probe.consumer("audit"), bus.probe.consumer("mailer")}
    topic = bus.probe.topic.name

    async def dead_letters(count: int) -> bool:
        letters = await list_dead_letters(bus.runtime.database, topic=topic, limit=1000)
        return len([letter for letter in letters if letter.event_id == envelope.id]) == count

    async def on_dlq() -> list[RawMessage]:
        messages = await asyncio.to_thread(bus.broker.messages, topic + ".dlq")
        return [m for m in messages if m.headers.get(h.ID) == envelope.id]

    async def dlq_holds_both() -> bool:
        return len(await on_dlq()) == 2

    await eventually(lambda: dead_letters(2))
    # The dead letters reached <topic>.dlq with the error, through the consumer's outbox.
    await eventually(dlq_holds_both)
    for message in await on_dlq():
        assert message.headers[h.DLQ_CONSUMER] in consumers
        assert f"cannot take {name}" in message.headers[h.DLQ_ERROR]
        assert message.headers[h.DLQ_ATTEMPTS] == "3"
        assert message.headers[h.DLQ_SOURCE].startswith(f"kafka:{topic}/")
        assert Envelope.model_validate_json(message.value) == envelope
    # Exposed as metrics and in /health/stats.
    metrics = (await bus.client.get("/metrics")).text
    for consumer in consumers:
        assert f'events_dead_letters{{consumer="{consumer}",topic="{topic}"}} ' in metrics
    stats = (await bus.client.get("/health/stats")).json()
    assert all(stats["dead_letters"][consumer][topic] >= 1 for consumer in consumers)

    listed = await asyncio.to_thread(bus.cli, "dlq", "list", "--topic", topic, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    mine = [row for row in rows if row["event_id"] == envelope.id]
    assert {row["consumer"] for row in mine} == consumers
    assert all(row["state"] == "dead" and row["attempts"] == 3 for row in mine)
    if bus.backend == "sqlite":  # one dead letter read back whole (the query is the list's)
        shown = await asyncio.to_thread(bus.cli, "dlq", "show", mine[0]["id"])
        assert json.loads(shown.stdout)["envelope"]["data"]["name"] == name

    bus.probe.fail.pop(name)  # the handler is fixed
    requeued = await asyncio.to_thread(bus.cli, "dlq", "requeue", *(row["id"] for row in mine))
    assert requeued.returncode == 0, requeued.stderr
    assert "2 dead letters requeued" in requeued.stdout
    await eventually(lambda: name in bus.probe.seen("audit") and name in bus.probe.seen("mailer"))
    await eventually(lambda: dead_letters(0))
    await asyncio.sleep(0.5)
    assert bus.probe.seen("audit").count(name) == 1
    assert bus.probe.seen("mailer").count(name) == 1
    closed = await list_dead_letters(bus.runtime.database, topic=topic, include_closed=True, limit=1000)
    assert {letter.state for letter in closed if letter.event_id == envelope.id} == {"resolved"}


async def test_consumer_lag_is_reported_while_handlers_are_behind(bus: Bus) -> None:
    key = f"gate-{uuid.uuid4().hex[:6]}"
    gate = asyncio.Event()
    bus.probe.gates[f"{key}-0"] = gate  # the first event's handler waits (in its transaction) for the gate
    topic = bus.probe.topic.name
    try:
        # One transaction: on SQLite the waiting handler holds the only write lock.
        with acting_as(tenant_id=uuid.uuid4()):
            async with bus.runtime.database.transaction() as session:
                for index in range(21):
                    item = ItemCreated(item_id=key, name=f"{key}-{index}")
                    record_event(session, bus.probe.topic, item, subject=key)
        # Read the transport directly while blocked: /health/stats would need the database too.
        await eventually(lambda: bus.runtime.transport.consumer_lag()[bus.probe.name][topic] >= 20, within=20)
    finally:
        gate.set()
    await eventually(lambda: len([n for n in bus.probe.seen("mailer") if n.startswith(key)]) == 21)

    async def caught_up() -> bool:
        stats = (await bus.client.get("/health/stats")).json()
        return int(stats["consumer_lag"][bus.probe.name][topic]) == 0

    await eventually(caught_up, within=10)
    metrics = (await bus.client.get("/metrics")).text
    assert f'events_consumer_lag{{service="{bus.probe.name}",topic="{topic}"}} 0.0' in metrics


async def test_readiness_shows_the_broker(bus: Bus) -> None:
    response = await bus.client.get("/health/ready")
    assert response.status_code == 200, response.text
    event_bus = response.json()["checks"]["event_bus"]
    assert event_bus["status"] == "ok"
    assert event_bus["transport"] == "kafka"
    assert event_bus["brokers"] == 1
    assert event_bus["missing_topics"] == []
    assert event_bus["consumer_groups"] == {f"vextrus.{bus.probe.name}": "running"}


async def test_replay_from_the_cli_keeps_effects_single_unless_the_inbox_is_bypassed(bus: Bus) -> None:
    topic = bus.probe.topic.name
    await asyncio.sleep(0.05)
    start = dt.datetime.now(dt.UTC)
    await asyncio.sleep(0.05)
    names = [f"replay-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    for name in names:
        await create_item(bus, name, key=names[0])
    await eventually(lambda: all(name in bus.probe.seen("mailer") for name in names))
    audit = bus.probe.consumer("audit")
    duplicates = {"consumer": audit, "topic": topic, "outcome": "duplicate"}
    before = sample("events_handled_total", duplicates)

    if bus.backend == "sqlite":  # reading the topic does not depend on the database
        listed = await asyncio.to_thread(bus.cli, "replay", "--topic", topic, "--from", start.isoformat(), "--dry-run")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.splitlines()[-1] == f"3 events of {topic} would be replayed"
        options = KafkaOptions(bus.broker.bootstrap)
        assert await asyncio.to_thread(read_topic, options, topic, offset=100_000) == []  # past the end

    replayed = await asyncio.to_thread(bus.cli, "replay", "--topic", topic, "--from", start.isoformat())
    assert replayed.returncode == 0, replayed.stderr
    assert f"queued 3 events of {topic}" in replayed.stdout
    await eventually(lambda: sample("events_handled_total", duplicates) == before + 3)
    assert [n for n in bus.probe.seen("audit") if n in names] == names

    bypassed = await asyncio.to_thread(
        bus.cli, "replay", "--topic", topic, "--from", start.isoformat(), "--bypass-inbox", audit
    )
    assert bypassed.returncode == 0, bypassed.stderr
    await eventually(lambda: [n for n in bus.probe.seen("audit") if n in names] == names + names)
    await asyncio.sleep(0.5)
    assert [n for n in bus.probe.seen("mailer") if n in names] == names
    async with bus.runtime.database.transaction() as session:
        copies = await session.scalar(
            select(func.count()).where(OutboxEvent.topic == topic, OutboxEvent.headers.is_not(None))
        )
        pending = await session.scalar(
            select(func.count()).where(OutboxEvent.topic == topic, OutboxEvent.status == PENDING)
        )
    assert copies is not None
    assert copies >= 6
    assert pending == 0


def test_topics_are_listed_and_created_once_with_their_dlq(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VEXTRUS_")}
    env.update(VEXTRUS_EVENT_BUS=kafka_broker.url, VEXTRUS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    registry = load_registry()
    topics = registry.topics()
    assert topics, "no registered service publishes a topic"
    listed = subprocess.run(
        [sys.executable, "-m", "vextrus", "events", "topics"], env=env, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()}
    assert set(rows) == set(topics)
    for topic in topics.values():
        assert rows[topic.name][:3] == [topic.owner, str(topic.partitions), f"{topic.retention_hours}h"]

    command = [sys.executable, "-m", "vextrus", "events", "create-topics"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    metadata = AdminClient({"bootstrap.servers": kafka_broker.bootstrap}).list_topics(timeout=10)
    for topic in topics.values():
        assert len(metadata.topics[topic.name].partitions) == topic.partitions
        assert len(metadata.topics[topic.name + ".dlq"].partitions) == 1
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    # every published topic and its .dlq, and the .dlq of a topic consumed but published by no
    # service served here (e.g. a service that has not landed yet)
    expected = len(topic_specs(list(registry)))
    assert expected >= 2 * len(topics)
    assert second.stdout.splitlines()[-1] == f"0 created, {expected} already existed"


async def test_a_process_creates_its_topics_at_start(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    probe = make_probe(consumers=())
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'start.db'}",
        tmp_path,
        **{**kafka_test_settings(kafka_broker), "kafka_create_topics": True},
    )
    runtime = Runtime(settings, [probe.service], probe.name)
    await runtime.start()
    try:
        admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap})

        def created() -> bool:
            held = admin.list_topics(timeout=5).topics
            return probe.topic.name in held and probe.topic.name + ".dlq" in held

        await eventually(lambda: asyncio.to_thread(created), within=20)
        held = admin.list_topics(timeout=5).topics
        assert len(held[probe.topic.name].partitions) == probe.topic.partitions
    finally:
        await runtime.stop()


@pytest.mark.parametrize(
    ("extra", "producer", "consumer", "admin"),
    [
        ({}, {}, {}, {}),
        (
            {"security.protocol": "SSL"},
            {"security.protocol": "SSL"},
            {"security.protocol": "SSL"},
            {"security.protocol": "SSL"},
        ),
        ({"consumer.fetch.wait.max.ms": 25}, {}, {"fetch.wait.max.ms": 25}, {}),
        ({"producer.linger.ms": 50}, {"linger.ms": 50}, {}, {}),
        ({"admin.socket.timeout.ms": 9000}, {}, {}, {"socket.timeout.ms": 9000}),
    ],
)
def test_extra_client_properties_reach_the_clients_they_name(
    extra: dict[str, object], producer: dict[str, object], consumer: dict[str, object], admin: dict[str, object]
) -> None:
    options = KafkaOptions("broker:9092", extra=extra)  # type: ignore[arg-type]
    configs = {
        "producer": options.producer_config(),
        "consumer": options.consumer_config("g"),
        "admin": options.admin_config(),
    }
    for kind, expected in (("producer", producer), ("consumer", consumer), ("admin", admin)):
        for key, value in expected.items():
            assert configs[kind][key] == value
        assert not any(key.startswith(("producer.", "consumer.", "admin.")) for key in configs[kind])
    assert configs["producer"]["enable.idempotence"] is True
    assert configs["producer"]["acks"] == "all"
    assert configs["consumer"]["enable.auto.commit"] is False


@pytest.mark.parametrize(
    ("overrides", "valid"),
    [
        ({"event_bus": "kafka://broker:9092"}, True),
        ({"event_bus": "kafka://broker:9092", "outbox_lease_seconds": 35}, False),
        ({"event_bus": "kafka://broker:9092", "outbox_lease_seconds": 36}, True),
        ({"event_bus": "kafka://broker:9092", "kafka_publish_timeout_seconds": 5, "outbox_lease_seconds": 11}, True),
        ({"event_bus": "memory", "outbox_lease_seconds": 5}, True),
        ({"event_bus": "kafka://broker:9092", "kafka_compression": "brotli"}, False),
        ({"event_bus": "kafka://broker:9092", "kafka_group_prefix": "bad prefix"}, False),
    ],
)
def test_kafka_settings_are_checked_at_start(overrides: dict[str, object], valid: bool) -> None:
    if valid:
        load_settings(**overrides)
    else:
        with pytest.raises(SettingsError):
            load_settings(**overrides)
