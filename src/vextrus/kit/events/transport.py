"""Transports carry events from the outbox relay to consumers (docs/events.md).

A transport has a small interface: ``publish`` a batch and report, per message, whether the bus
acknowledged it; ``subscribe`` a service's consumers; ``ping`` the bus; report consumer lag.
``memory`` runs in-process (embedded mode) and delivers before ``publish`` returns; ``kafka://``
(:mod:`vextrus.kit.events.kafka`) goes through a broker. Both hand every message to the same
:class:`~vextrus.kit.events.consumers.ConsumerDispatcher`, so handlers, retries, the inbox and
dead letters behave the same on either bus.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from vextrus.kit.events import headers as h
from vextrus.kit.events.consumers import ConsumerDispatcher, delivery_context
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.service import PLATFORM_TOPICS, Consumer, Service

if TYPE_CHECKING:
    from vextrus.kit.settings import Settings

log = structlog.get_logger("vextrus.events")

DLQ_SUFFIX = ".dlq"
DLQ_PARTITIONS = 1
DLQ_RETENTION_HOURS = 30 * 24


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the broker should hold it."""

    name: str
    partitions: int
    retention_hours: int
    owner: str


def topic_specs(services: Iterable[Service], consumed: Iterable[str] = ()) -> list[TopicSpec]:
    """The topics ``services`` publish (and the kit's ``platform.*`` topics, which every process may
    publish), and a ``.dlq`` topic for each of those and each ``consumed`` one."""
    specs: dict[str, TopicSpec] = {}
    dead_letter_sources: set[str] = set(consumed)
    for topic in PLATFORM_TOPICS:
        specs[topic.name] = TopicSpec(topic.name, topic.partitions, topic.retention_hours, topic.owner)
        dead_letter_sources.add(topic.name)
    for service in services:
        for topic in service.publishes:
            specs[topic.name] = TopicSpec(topic.name, topic.partitions, topic.retention_hours, topic.owner)
            dead_letter_sources.add(topic.name)
        dead_letter_sources.update(consumer.topic for consumer in service.consumes)
    for name in sorted(dead_letter_sources):
        owner = name.split(".", 1)[0]
        specs[dlq_topic(name)] = TopicSpec(dlq_topic(name), DLQ_PARTITIONS, DLQ_RETENTION_HOURS, owner)
    return list(specs.values())


@dataclass(frozen=True)
class Outgoing:
    """One message to send: topic, key (the aggregate id), the envelope JSON as stored in the outbox,
    the parsed envelope (``None`` if the stored JSON is not a valid envelope) and extra headers."""

    topic: str
    key: str
    body: str
    envelope: Envelope | None
    headers: Mapping[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        """The standard headers (content type, id, type, tenant, trace) plus this message's own."""
        headers = {h.CONTENT_TYPE: h.CLOUDEVENTS_JSON}
        if self.envelope is not None:
            headers[h.ID] = self.envelope.id
            headers[h.TYPE] = self.envelope.type
            headers[h.SOURCE] = self.envelope.source
            if self.envelope.tenantid is not None:
                headers[h.TENANT] = str(self.envelope.tenantid)
            if self.envelope.traceparent:
                headers[h.TRACEPARENT] = self.envelope.traceparent
        headers.update(self.headers)
        return headers


class PublishError(Exception):
    """The bus did not take a message. ``retriable``: the bus is unavailable or busy (the event waits
    in the outbox and is sent later, however long that takes); otherwise the bus refused this message
    for good (e.g. too large) and the outbox row is marked dead. ``attempted=False``: the message was
    held back (an earlier message of its key failed) and the try does not count."""

    def __init__(self, message: str, *, retriable: bool, attempted: bool = True) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.attempted = attempted


class Transport(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: Sequence[Outgoing]) -> list[PublishError | None]:
        """Send ``messages``; return, per message, ``None`` once the bus acknowledged it."""
        ...

    def subscribe(self, service: str, consumers: Sequence[Consumer], dispatcher: ConsumerDispatcher) -> None:
        """Deliver the topics of ``consumers`` to them; ``service`` names the consumer group."""
        ...

    async def ping(self) -> dict[str, Any]:
        """Details of the bus; raises when it is unreachable (readiness turns 503)."""
        ...

    def consumer_lag(self) -> dict[str, dict[str, int]]:
        """Messages not yet handled: consumer group (service) -> topic -> count."""
        ...


@dataclass(frozen=True)
class DeadLetterMessage:
    """A message the memory bus carried to a ``.dlq`` topic (what Kafka would hold)."""

    topic: str
    key: str
    body: str
    headers: Mapping[str, str]


class MemoryTransport:
    """In-process bus: delivers each message to every subscriber of its topic before ``publish``
    returns (so the outbox row is marked sent only after every consumer handled the event or
    dead-lettered it). Messages to ``.dlq`` topics are kept in :attr:`dead_letters`."""

    name = "memory"

    def __init__(self, dead_letter_capacity: int = 1000) -> None:
        self._subscribers: dict[str, list[tuple[str, Consumer, ConsumerDispatcher]]] = defaultdict(list)
        self.dead_letters: deque[DeadLetterMessage] = deque(maxlen=dead_letter_capacity)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def subscribe(self, service: str, consumers: Sequence[Consumer], dispatcher: ConsumerDispatcher) -> None:
        for consumer in consumers:
            self._subscribers[consumer.topic].append((service, consumer, dispatcher))

    async def publish(self, messages: Sequence[Outgoing]) -> list[PublishError | None]:
        results: list[PublishError | None] = []
        failed_keys: set[tuple[str, str]] = set()
        for message in messages:
            if (message.topic, message.key) in failed_keys:
                results.append(PublishError("an earlier event of this key failed", retriable=True, attempted=False))
                continue
            try:
                await self._deliver(message)
            except PublishError as error:
                failed_keys.add((message.topic, message.key))
                results.append(error)
            except Exception as error:
                failed_keys.add((message.topic, message.key))
                log.warning("memory_delivery_failed", topic=message.topic, error=repr(error))
                results.append(PublishError(repr(error)[:2000], retriable=True))
            else:
                results.append(None)
        return results

    async def _deliver(self, message: Outgoing) -> None:
        headers = message.all_headers()
        if message.topic.endswith(DLQ_SUFFIX):
            self.dead_letters.append(DeadLetterMessage(message.topic, message.key, message.body, headers))
        subscribers = self._subscribers.get(message.topic, ())
        if not subscribers:
            return
        if message.envelope is None:
            raise PublishError("not a valid event envelope", retriable=False)
        context = delivery_context(headers, message.envelope, key=message.key, source=f"memory:{message.topic}")
        for service, consumer, dispatcher in subscribers:
            await dispatcher.process(consumer, message.envelope, context, service=service)

    async def ping(self) -> dict[str, Any]:
        return {"transport": self.name, "subscriptions": sum(len(items) for items in self._subscribers.values())}

    def consumer_lag(self) -> dict[str, dict[str, int]]:
        lag: dict[str, dict[str, int]] = defaultdict(dict)
        for topic, subscribers in self._subscribers.items():
            for service, _, _ in subscribers:
                lag[service][topic] = 0
        return dict(lag)


def build_transport(settings: Settings, topics: Sequence[TopicSpec] = ()) -> Transport:
    """The transport named by ``VEXTRUS_EVENT_BUS``; ``topics`` are created on a broker at start
    when ``VEXTRUS_KAFKA_CREATE_TOPICS`` is on."""
    if settings.event_bus == "memory":
        return MemoryTransport()
    from vextrus.kit.events.kafka import KafkaOptions, KafkaTransport

    return KafkaTransport(KafkaOptions.from_settings(settings), topics)
