"""Running consumer handlers: one transaction per event, inbox de-duplication, tenant context."""

from __future__ import annotations

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vextrus.kit.db import Database
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.models import InboxEntry
from vextrus.kit.service import Consumer
from vextrus.kit.tenancy import acting_as

EVENTS_HANDLED = Counter("events_handled_total", "Events handled by consumers", ["consumer", "topic", "outcome"])


class ConsumerDispatcher:
    """Delivers an envelope to a consumer exactly once in effect."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def deliver(self, consumer: Consumer, envelope: Envelope) -> None:
        try:
            with acting_as(tenant_id=envelope.tenantid):
                async with self._database.transaction() as session:
                    seen = await session.scalar(
                        select(InboxEntry.event_id).where(
                            InboxEntry.consumer == consumer.name, InboxEntry.event_id == envelope.id
                        )
                    )
                    if seen is not None:
                        raise _AlreadyHandled
                    session.add(InboxEntry(consumer=consumer.name, event_id=envelope.id, topic=envelope.type))
                    try:
                        await session.flush()
                    except IntegrityError:
                        # A concurrent delivery of the same event committed first; its effects stand.
                        raise _AlreadyHandled from None
                    await consumer.handler(envelope, session)
        except _AlreadyHandled:
            EVENTS_HANDLED.labels(consumer.name, envelope.type, "duplicate").inc()
            return
        except Exception:
            EVENTS_HANDLED.labels(consumer.name, envelope.type, "error").inc()
            raise
        EVENTS_HANDLED.labels(consumer.name, envelope.type, "ok").inc()


class _AlreadyHandled(Exception):
    """Raised inside the transaction to roll it back when the inbox already has the event."""
