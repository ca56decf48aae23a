"""Running consumer handlers, the same way on every transport (docs/events.md).

For each message and consumer, :meth:`ConsumerDispatcher.process`:

1. re-establishes the tenant (``acting_as``) and the trace (W3C ``traceparent``) of the message;
2. runs the handler in one transaction together with an inbox row ``(consumer, event id)``: a
   repeated delivery finds the row and has no second effect (exactly-once effect);
3. retries a failing handler in place with exponential backoff, ``max_attempts`` times in all;
4. then records a dead letter (``platform_dead_letters``) and, in the same transaction, an outbox
   row for ``<topic>.dlq`` carrying the error, so the dead letter reaches the bus as reliably as any
   event. The transport then moves on (on Kafka: commits the offset).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, TracerProvider
from prometheus_client import Counter, Histogram
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from vextrus.kit.db import Database, after_commit
from vextrus.kit.events import headers as h
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.models import DEAD, DeadLetter, InboxEntry, OutboxEvent
from vextrus.kit.events.outbox import OUTBOX_SIGNAL
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.service import Consumer
from vextrus.kit.tenancy import acting_as

log = structlog.get_logger("vextrus.consumers")

EVENTS_HANDLED = Counter(
    "events_handled_total",
    "Deliveries to consumers by outcome: ok, duplicate (dropped by the inbox), error (one failed "
    "attempt), dead_lettered",
    ["consumer", "topic", "outcome"],
)
EVENT_DELIVERY_SECONDS = Histogram(
    "events_delivery_seconds",
    "Time from an event's creation to the commit of a consumer's handler",
    ["consumer"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)

MAX_RETRY_SECONDS = 30.0
MAX_ERROR_CHARS = 4000


class InvalidMessageError(ValueError):
    """A message no handler can take (not an envelope, or headers contradicting it): dead-lettered
    at once, without retries."""


@dataclass(frozen=True)
class DeliveryContext:
    """What the transport knows about one message beyond its envelope."""

    key: str
    tenant_id: uuid.UUID | None
    traceparent: str | None
    source: str
    headers: Mapping[str, str] = field(default_factory=dict)
    bypass_inbox: frozenset[str] = frozenset()

    def bypasses(self, consumer: str) -> bool:
        return "*" in self.bypass_inbox or consumer in self.bypass_inbox


def delivery_context(headers: Mapping[str, str], envelope: Envelope, *, key: str, source: str) -> DeliveryContext:
    """Tenant and trace from the message headers, checked against the envelope."""
    tenant = envelope.tenantid
    tenant_header = headers.get(h.TENANT)
    if tenant_header:
        try:
            from_header = uuid.UUID(tenant_header)
        except ValueError:
            raise InvalidMessageError(f"{h.TENANT} header {tenant_header!r} is not a UUID") from None
        if from_header != envelope.tenantid:
            raise InvalidMessageError(f"{h.TENANT} header {tenant_header} does not match the envelope's tenant")
        tenant = from_header
    bypass = frozenset(name.strip() for name in headers.get(h.BYPASS_INBOX, "").split(",") if name.strip())
    return DeliveryContext(
        key=key,
        tenant_id=tenant,
        traceparent=headers.get(h.TRACEPARENT) or envelope.traceparent,
        source=source,
        headers=dict(headers),
        bypass_inbox=bypass,
    )


@dataclass(frozen=True)
class Outcome:
    status: Literal["handled", "duplicate", "dead"]
    attempts: int
    error: str | None = None


def retry_delay(attempt: int, base_seconds: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...): base, 2x, 4x ... capped."""
    return float(min(base_seconds * 2 ** (attempt - 1), MAX_RETRY_SECONDS))


class ConsumerDispatcher:
    """Delivers envelopes to consumers: exactly once in effect, retried, then dead-lettered."""

    def __init__(
        self,
        database: Database,
        *,
        max_attempts: int = 5,
        retry_base_seconds: float = 0.2,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self._database = database
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self._tracer = trace.get_tracer("vextrus.events", tracer_provider=tracer_provider)

    @property
    def serial(self) -> bool:
        """True on SQLite: one writer at a time, so handling partitions concurrently only adds lock waits."""
        return self._database.is_sqlite

    def use_tracer_provider(self, tracer_provider: TracerProvider | None) -> None:
        """Record consumer spans with ``tracer_provider`` (the app's, when OTLP export is configured)."""
        self._tracer = trace.get_tracer("vextrus.events", tracer_provider=tracer_provider)

    async def process(
        self, consumer: Consumer, envelope: Envelope, context: DeliveryContext, *, service: str
    ) -> Outcome:
        """Handle ``envelope`` with retries; dead-letter it after the last attempt. Raises only if the
        dead letter itself cannot be written (the transport then redelivers the message later)."""
        error_text = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                handled = await self.deliver(consumer, envelope, context)
            except Exception as error:
                error_text = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
                log.warning(
                    "consumer_attempt_failed",
                    consumer=consumer.name,
                    topic=consumer.topic,
                    event_id=envelope.id,
                    attempt=attempt,
                    error=error_text,
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(retry_delay(attempt, self.retry_base_seconds))
                continue
            return Outcome("handled" if handled else "duplicate", attempt)
        await self.dead_letter(
            consumer.name,
            service=service,
            topic=consumer.topic,
            event_id=envelope.id,
            body=envelope.model_dump_json(),
            context=context,
            error=error_text,
            attempts=self.max_attempts,
        )
        return Outcome("dead", self.max_attempts, error_text)

    async def deliver(self, consumer: Consumer, envelope: Envelope, context: DeliveryContext | None = None) -> bool:
        """One attempt: run the handler with its inbox row in one transaction. Returns False when the
        inbox already held the event (nothing ran); raises what the handler raised."""
        tenant = context.tenant_id if context else envelope.tenantid
        traceparent = context.traceparent if context else envelope.traceparent
        bypass = context.bypasses(consumer.name) if context else False
        token = otel_context.attach(propagate.extract({"traceparent": traceparent})) if traceparent else None
        try:
            with self._tracer.start_as_current_span(
                f"{consumer.topic} process",
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.destination.name": consumer.topic,
                    "messaging.consumer.group.name": consumer.name,
                    "messaging.message.id": envelope.id,
                },
            ):
                with acting_as(tenant_id=tenant):
                    handled = await self._run(consumer, envelope, bypass)
        except Exception:
            EVENTS_HANDLED.labels(consumer.name, consumer.topic, "error").inc()
            raise
        finally:
            if token is not None:
                otel_context.detach(token)
        if handled:
            EVENTS_HANDLED.labels(consumer.name, consumer.topic, "ok").inc()
            EVENT_DELIVERY_SECONDS.labels(consumer.name).observe(max((utcnow() - envelope.time).total_seconds(), 0.0))
        else:
            EVENTS_HANDLED.labels(consumer.name, consumer.topic, "duplicate").inc()
        return handled

    async def _run(self, consumer: Consumer, envelope: Envelope, bypass_inbox: bool) -> bool:
        insert = sqlite_insert if self._database.is_sqlite else postgresql_insert
        row = {"consumer": consumer.name, "event_id": envelope.id, "topic": envelope.type, "handled_at": utcnow()}
        statement = insert(InboxEntry).values(**row)
        keys = [InboxEntry.consumer, InboxEntry.event_id]
        if bypass_inbox:  # run again, and say when it last ran
            statement = statement.on_conflict_do_update(index_elements=keys, set_={"handled_at": row["handled_at"]})
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        try:
            async with self._database.transaction() as session:
                inserted = cast("CursorResult[Any]", await session.execute(statement))
                if not bypass_inbox and inserted.rowcount == 0:
                    # Handled before (or by a concurrent delivery that committed first): its effects stand.
                    raise _AlreadyHandled
                await consumer.handler(envelope, session)
        except _AlreadyHandled:
            return False
        return True

    async def dead_letter(
        self,
        consumer: str,
        *,
        service: str,
        topic: str,
        event_id: str,
        body: str,
        context: DeliveryContext,
        error: str,
        attempts: int,
    ) -> None:
        """Record (or update) the dead letter and queue its copy for ``<topic>.dlq`` in one transaction."""
        now = utcnow()
        dlq_headers = {
            key: value for key, value in context.headers.items() if key not in (h.BYPASS_INBOX, h.REPLAY, h.REQUEUE)
        }
        dlq_headers.update(
            {
                h.DLQ_CONSUMER: consumer,
                h.DLQ_ERROR: error[:1000],
                h.DLQ_ATTEMPTS: str(attempts),
                h.DLQ_SOURCE: context.source[:200],
                h.DLQ_FAILED_AT: now.isoformat(),
            }
        )
        for round_ in (1, 2):  # a concurrent first insert of the same dead letter: update it instead
            try:
                async with self._database.transaction() as session:
                    row = await session.scalar(
                        select(DeadLetter).where(DeadLetter.consumer == consumer, DeadLetter.event_id == event_id)
                    )
                    if row is None:
                        session.add(
                            DeadLetter(
                                consumer=consumer,
                                event_id=event_id,
                                topic=topic,
                                key=context.key[:200],
                                tenant_id=context.tenant_id,
                                envelope=body,
                                error=error,
                                attempts=attempts,
                                times_dead=1,
                                status=DEAD,
                                source=context.source[:200],
                                first_failed_at=now,
                                last_failed_at=now,
                            )
                        )
                    else:
                        row.error = error
                        row.attempts += attempts
                        row.times_dead += 1
                        row.status = DEAD
                        row.source = context.source[:200]
                        row.last_failed_at = now
                    session.add(
                        OutboxEvent(
                            id=new_id(),
                            service=service,
                            topic=topic + ".dlq",
                            key=context.key[:200],
                            envelope=body,
                            headers=json.dumps(dlq_headers),
                        )
                    )
                    after_commit(session, OUTBOX_SIGNAL.notify)
                    await session.flush()
            except IntegrityError:
                if round_ == 2:
                    raise
                continue
            break
        EVENTS_HANDLED.labels(consumer, topic, "dead_lettered").inc()
        log.error("event_dead_lettered", consumer=consumer, topic=topic, event_id=event_id, error=error[:500])


class _AlreadyHandled(Exception):
    """Raised inside the transaction to roll it back when the inbox already has the event."""
