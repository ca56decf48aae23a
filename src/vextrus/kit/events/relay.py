"""The outbox relay: sends committed outbox rows through the transport, with retry and backoff.

Each round (1) claims due rows in a short transaction by leasing them (``next_attempt_at`` moves
past the lease; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several relays can run), (2) publishes
the batch with no transaction open and waits for the bus to acknowledge each message, (3) marks
each row sent, to retry later, or dead. A relay killed between (2) and (3) re-sends after the
lease: delivery is at-least-once and consumers de-duplicate by event id (inbox). Events of one key
(aggregate) stay in order: a row waits while an earlier row of its key is waiting for a retry.

Failures: while the bus is unavailable (:class:`PublishError` with ``retriable``) rows wait with a
capped backoff for as long as it takes, never dead; a message the bus refuses for good (too
large, not an envelope) is dead at once; any other error counts toward ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from prometheus_client import Counter
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import aliased

from vextrus.kit.db import Database
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.models import DEAD, PENDING, SENT, OutboxEvent
from vextrus.kit.events.outbox import OUTBOX_SIGNAL
from vextrus.kit.events.transport import Outgoing, PublishError, Transport
from vextrus.kit.models import utcnow
from vextrus.kit.service import PLATFORM_OWNER

log = structlog.get_logger("vextrus.relay")

EVENTS_PUBLISHED = Counter("events_published_total", "Events sent by the outbox relay", ["topic"])
EVENTS_PUBLISH_FAILURES = Counter(
    "events_publish_failures_total", "Failed attempts to send an outbox event", ["topic", "final"]
)

MAX_BACKOFF_SECONDS = 300


def backoff(attempts: int, base_seconds: float = 1.0, cap_seconds: float = MAX_BACKOFF_SECONDS) -> dt.timedelta:
    """Delay before retry number ``attempts``: base, 2x base, 4x base ... capped."""
    return dt.timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


@dataclass(frozen=True)
class _Claimed:
    id: object
    topic: str
    key: str
    envelope: str
    attempts: int
    headers: str | None

    def outgoing(self) -> Outgoing:
        try:
            envelope: Envelope | None = Envelope.model_validate_json(self.envelope)
        except ValueError:
            envelope = None
        headers = json.loads(self.headers) if self.headers else {}
        return Outgoing(self.topic, self.key, self.envelope, envelope, headers)


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        transport: Transport,
        services: Sequence[str],
        *,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        max_attempts: int = 10,
        retry_base_seconds: float = 1.0,
        retry_max_seconds: float = 60.0,
        lease_seconds: float = 60.0,
    ) -> None:
        self._database = database
        self._transport = transport
        # Every relay also sends the kit's own events (``platform.*``, e.g. access denials), which
        # any process may write: rows are leased, so relays sharing the outbox never send one twice
        # at once.
        self._services = (*services, PLATFORM_OWNER) if services else ()
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_attempts = max_attempts
        self._retry_base_seconds = retry_base_seconds
        self._retry_max_seconds = retry_max_seconds
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        if self._task is None and self._services:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            # The flag ends the loop even if a driver turns the cancellation into another error
            # that the round's error handling catches (the loop then exits at its next check).
            self._stopping = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        waiter = OUTBOX_SIGNAL.subscribe()
        try:
            while not self._stopping:
                waiter.clear()
                try:
                    handled = await self.relay_once()
                except Exception:
                    if self._stopping:
                        break
                    log.exception("relay_round_failed")
                    handled = 0
                if handled >= self._batch_size:
                    continue
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
                # that arrives as the signal fires, and stop() would then wait forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_seconds):
                        await waiter.wait()
        finally:
            OUTBOX_SIGNAL.unsubscribe(waiter)

    async def _claim(self) -> list[_Claimed]:
        now = utcnow()
        earlier = aliased(OutboxEvent)
        blocked_by_earlier = exists().where(
            and_(
                earlier.service == OutboxEvent.service,
                earlier.key == OutboxEvent.key,
                earlier.status == PENDING,
                earlier.created_at < OutboxEvent.created_at,
                earlier.next_attempt_at > now,
            )
        )
        statement = (
            select(OutboxEvent)
            .where(
                OutboxEvent.status == PENDING,
                OutboxEvent.service.in_(self._services),
                OutboxEvent.next_attempt_at <= now,
                ~blocked_by_earlier,
            )
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
            .limit(self._batch_size)
        )
        if not self._database.is_sqlite:
            statement = statement.with_for_update(skip_locked=True, of=OutboxEvent)
        async with self._database.transaction() as session:
            rows = (await session.execute(statement)).scalars().all()
            for row in rows:
                row.next_attempt_at = now + self._lease
            return [_Claimed(row.id, row.topic, row.key, row.envelope, row.attempts, row.headers) for row in rows]

    async def relay_once(self) -> int:
        """Claim, send and mark one batch; return how many rows it handled."""
        claimed = await self._claim()
        if not claimed:
            return 0
        results: Sequence[BaseException | None]
        try:
            results = await self._transport.publish([row.outgoing() for row in claimed])
        except Exception as error:  # the transport itself failed: every row counts one attempt
            log.exception("relay_publish_failed")
            results = [error] * len(claimed)
        await self._mark(list(zip(claimed, results, strict=True)))
        return len(claimed)

    async def _mark(self, outcomes: list[tuple[_Claimed, BaseException | None]]) -> None:
        now = utcnow()
        sent = [row for row, error in outcomes if error is None]
        async with self._database.transaction() as session:
            if sent:
                await session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_([row.id for row in sent]))
                    .values(status=SENT, sent_at=now, last_error=None)
                )
                for row in sent:
                    EVENTS_PUBLISHED.labels(row.topic).inc()
            for row, error in outcomes:
                if error is None:
                    continue
                values = self._failure(row, error, now)
                await session.execute(update(OutboxEvent).where(OutboxEvent.id == row.id).values(**values))

    def _failure(self, row: _Claimed, error: BaseException, now: dt.datetime) -> dict[str, object]:
        if isinstance(error, PublishError) and not error.attempted:
            return {"next_attempt_at": now}  # held back behind an earlier event of its key
        attempts = row.attempts + 1
        message = (str(error) if isinstance(error, PublishError) else repr(error))[:2000]
        if isinstance(error, PublishError) and error.retriable:
            final = False
            delay = backoff(attempts, self._retry_base_seconds, self._retry_max_seconds)
        else:
            final = isinstance(error, PublishError) or attempts >= self._max_attempts
            delay = backoff(attempts, self._retry_base_seconds)
        EVENTS_PUBLISH_FAILURES.labels(row.topic, str(final).lower()).inc()
        log.warning("event_publish_failed", topic=row.topic, attempts=attempts, final=final, error=message)
        return {
            "attempts": attempts,
            "last_error": message,
            "status": DEAD if final else PENDING,
            "next_attempt_at": now + delay,
        }

    async def drain(self, max_rounds: int = 1000) -> None:
        """Relay until nothing is due (tests, seeding, shutdown)."""
        for _ in range(max_rounds):
            if await self.relay_once() == 0:
                return

    async def backlog(self) -> dict[str, dict[str, float]]:
        """Pending and dead counts and the oldest pending age (seconds), per service."""
        statement = (
            select(OutboxEvent.service, OutboxEvent.status, func.count(), func.min(OutboxEvent.created_at))
            .where(OutboxEvent.status != SENT, OutboxEvent.service.in_(self._services))
            .group_by(OutboxEvent.service, OutboxEvent.status)
        )
        result: dict[str, dict[str, float]] = {
            service: {"pending": 0, "dead": 0, "oldest_pending_seconds": 0.0} for service in self._services
        }
        async with self._database.engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        now = utcnow()
        for service, status, count, oldest in rows:
            result[service][status] = count
            if status == PENDING and oldest is not None:
                oldest_aware = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
                result[service]["oldest_pending_seconds"] = max((now - oldest_aware).total_seconds(), 0.0)
        return result
