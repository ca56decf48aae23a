"""Recording events in the transactional outbox.

``record_event`` adds the event to the session of the change it announces: both commit or neither
does. After the commit, running relays are woken so delivery does not wait for the next poll.
"""

from __future__ import annotations

import asyncio
import uuid

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.service import Topic
from vextrus.kit.telemetry import current_traceparent
from vextrus.kit.tenancy import current_principal, current_tenant_id


class OutboxSignal:
    """Wakes relays after a commit that wrote outbox rows (a missed wake-up costs one poll)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Event] = set()

    def subscribe(self) -> asyncio.Event:
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        return waiter

    def unsubscribe(self, waiter: asyncio.Event) -> None:
        self._waiters.discard(waiter)

    def notify(self) -> None:
        for waiter in self._waiters:
            waiter.set()


OUTBOX_SIGNAL = OutboxSignal()


def record_event(
    session: AsyncSession,
    topic: Topic,
    payload: BaseModel,
    *,
    subject: str | uuid.UUID,
    tenant_id: uuid.UUID | None = None,
    actor: str | None = None,
    platform_wide: bool = False,
) -> Envelope:
    """Stage ``payload`` as a ``topic`` event about ``subject`` (the aggregate id, also the key).

    The tenant is ``tenant_id`` or the current one; ``platform_wide=True`` records an event that
    belongs to no tenant (e.g. a change to a platform-wide definition).
    """
    if not isinstance(payload, topic.payload):
        raise TypeError(f"{topic.name} expects {topic.payload.__name__}, got {type(payload).__name__}")
    principal = current_principal()
    envelope = Envelope(
        source=f"/vextrus/{topic.owner}",
        type=topic.name,
        subject=str(subject),
        dataschemaversion=topic.version,
        tenantid=None if platform_wide else (tenant_id or current_tenant_id()),
        actor=actor or (str(principal.subject) if principal else None),
        traceparent=current_traceparent(),
        data=payload.model_dump(mode="json"),
    )
    session.add(
        OutboxEvent(
            id=uuid.UUID(envelope.id),
            service=topic.owner,
            topic=topic.name,
            key=str(subject),
            envelope=envelope.model_dump_json(),
        )
    )
    after_commit(session, OUTBOX_SIGNAL.notify)
    return envelope
