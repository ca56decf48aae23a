"""The audit service's subscriptions: every topic of every registered service, and the kit's own
(``platform.access.denied``), taken from the registry when the process starts: a service added
later is audited without a change here.

One consumer per topic, named ``audit.trail:<topic>`` (dead letters and requeues name it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from vextrus.kit.service import Consumer, Topic, load_registry
from vextrus.services.audit.service import record_envelope

PUBLISHES: tuple[Topic, ...] = ()
CONSUMER_PREFIX = "audit.trail:"


def consumer_for(topic: str) -> Consumer:
    return Consumer(topic, record_envelope, f"{CONSUMER_PREFIX}{topic}")


class RegistryConsumers(Sequence[Consumer]):
    """The consumers, built on first use from the registry (entry points are loaded by then; the
    audit service's own module can not list them while it is being imported)."""

    def __init__(self) -> None:
        self._consumers: list[Consumer] | None = None

    def _all(self) -> list[Consumer]:
        if self._consumers is None:
            topics = sorted(load_registry().topics())
            self._consumers = [consumer_for(topic) for topic in topics]
        return self._consumers

    @overload
    def __getitem__(self, index: int) -> Consumer: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Consumer]: ...

    def __getitem__(self, index: int | slice) -> Consumer | Sequence[Consumer]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Consumer]:
        return iter(self._all())


HANDLERS = RegistryConsumers()
