"""Transports carry envelopes from the relay to consumers. ``memory`` runs in-process (embedded
mode); the Kafka transport (distributed mode) implements the same interface."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import structlog

from vextrus.kit.events.envelope import Envelope
from vextrus.kit.service import Consumer

log = structlog.get_logger("vextrus.events")

Delivery = Callable[[Consumer, Envelope], Awaitable[None]]


class DeliveryFailedError(RuntimeError):
    """One or more consumers failed; the relay retries the event (the inbox drops repeats)."""


class Transport(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, envelope: Envelope, key: str) -> None: ...

    async def ping(self) -> dict[str, Any]: ...

    def subscribe(self, consumer: Consumer, deliver: Delivery) -> None: ...


class MemoryTransport:
    """Delivers each event to every in-process subscriber of its topic before ``publish`` returns."""

    name = "memory"

    def __init__(self) -> None:
        self._subscribers: dict[str, list[tuple[Consumer, Delivery]]] = defaultdict(list)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def subscribe(self, consumer: Consumer, deliver: Delivery) -> None:
        self._subscribers[consumer.topic].append((consumer, deliver))

    async def publish(self, envelope: Envelope, key: str) -> None:
        failures = []
        for consumer, deliver in self._subscribers.get(envelope.type, ()):
            try:
                await deliver(consumer, envelope)
            except Exception as error:  # one consumer must not starve the others
                log.warning("consumer_failed", consumer=consumer.name, topic=envelope.type, error=repr(error))
                failures.append(f"{consumer.name}: {error!r}")
        if failures:
            raise DeliveryFailedError("; ".join(failures))

    async def ping(self) -> dict[str, Any]:
        return {"transport": self.name, "subscriptions": sum(len(items) for items in self._subscribers.values())}


def build_transport(url: str) -> Transport:
    if url == "memory":
        return MemoryTransport()
    raise ValueError(f"event bus {url!r} is not available in this build (the Kafka transport is issue #4)")
