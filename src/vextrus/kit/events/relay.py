"""The outbox relay: sends committed outbox rows through the transport, with retry and backoff.

Each round (1) claims due rows in a short transaction by leasing them (``next_attempt_at`` moves
past the lease; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several relays can run), (2) publishes
them with no transaction open, (3) marks each sent, retried later, or dead after
``max_attempts``. A relay killed between (2) and (3) re-sends after the lease: delivery is
at-least-once and consumers de-duplicate by event id. Events of one key (aggregate) stay in
order: a row waits while an earlier row of its key is waiting for a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
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
from vextrus.kit.events.transport import Transport
from vextrus.kit.models import utcnow

log = structlog.get_logger("vextrus.relay")

EVENTS_PUBLISHED = Counter("events_published_total", "Events sent by the outbox relay", ["topic"])
EVENTS_PUBLISH_FAILURES = Counter(
    "events_publish_failures_total", "Failed attempts to send an outbox event", ["topic", "final"]
)

LEASE = dt.timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 300


def backoff(attempts: int, base_seconds: float = 1.0) -> dt.timedelta:
    """Delay before retry number ``attempts``: base, 2x base, 4x base ... capped at five minutes."""
    return dt.timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


@dataclass(frozen=True)
class _Claimed:
    id: object
    topic: str
    key: str
    envelope: str
    attempts: int


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
    ) -> None:
        self._database = database
        self._transport = transport
        self._services = tuple(services)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_attempts = max_attempts
        self._retry_base_seconds = retry_base_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None and self._services:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
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
            while True:
                waiter.clear()
                try:
                    handled = await self.relay_once()
                except Exception:
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
                row.next_attempt_at = now + LEASE
            return [_Claimed(row.id, row.topic, row.key, row.envelope, row.attempts) for row in rows]

    async def relay_once(self) -> int:
        """Claim, send and mark one batch; return how many rows it handled."""
        claimed = await self._claim()
        if not claimed:
            return 0
        failed_keys: set[str] = set()
        outcomes: list[tuple[_Claimed, str | None]] = []
        for row in claimed:
            if row.key in failed_keys:
                outcomes.append((row, "skipped"))
                continue
            try:
                await self._transport.publish(Envelope.model_validate_json(row.envelope), row.key)
            except Exception as error:
                failed_keys.add(row.key)
                outcomes.append((row, repr(error)[:2000]))
                continue
            outcomes.append((row, None))
        await self._mark(outcomes)
        return len(claimed)

    async def _mark(self, outcomes: list[tuple[_Claimed, str | None]]) -> None:
        now = utcnow()
        async with self._database.transaction() as session:
            for row, error in outcomes:
                values: dict[str, object]
                if error is None:
                    values = {"status": SENT, "sent_at": now, "last_error": None}
                    EVENTS_PUBLISHED.labels(row.topic).inc()
                elif error == "skipped":
                    values = {"next_attempt_at": now}
                else:
                    attempts = row.attempts + 1
                    final = attempts >= self._max_attempts
                    values = {
                        "attempts": attempts,
                        "last_error": error,
                        "status": DEAD if final else PENDING,
                        "next_attempt_at": now + backoff(attempts, self._retry_base_seconds),
                    }
                    EVENTS_PUBLISH_FAILURES.labels(row.topic, str(final).lower()).inc()
                    log.warning("event_publish_failed", topic=row.topic, attempts=attempts, final=final, error=error)
                await session.execute(update(OutboxEvent).where(OutboxEvent.id == row.id).values(**values))

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
