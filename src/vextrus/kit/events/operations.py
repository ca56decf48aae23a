"""Operating the event backbone: dead letters (list, inspect, requeue, discard) and replays.

Requeues and replays go back through the outbox: a copy of the original envelope (same event id)
is queued for the topic's owner and its relay publishes it again, to every consumer of the topic.
Consumers that already handled the event drop the copy (inbox), so effects stay exactly-once,
unless the replay names consumers in ``bypass_inbox`` (their handlers run again). The CLI
(`vextrus events dlq|replay`) is a thin layer over these functions.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.sql.selectable import Exists

from vextrus.kit.db import Database, after_commit
from vextrus.kit.events import headers as h
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.models import DEAD, DISCARDED, REQUEUED, SENT, DeadLetter, InboxEntry, OutboxEvent
from vextrus.kit.events.outbox import OUTBOX_SIGNAL
from vextrus.kit.models import new_id, utcnow

RESOLVED = "resolved"


def topic_owner(topic: str) -> str:
    return topic.split(".", 1)[0]


def parse_start(value: str) -> int | dt.datetime:
    """``--from``: an offset (``0``, ``1500``) or an ISO 8601 time with its timezone."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is neither an offset nor an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no timezone (add Z or +06:00)")
    return parsed


# -- dead letters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetterView:
    id: uuid.UUID
    consumer: str
    topic: str
    event_id: str
    key: str
    tenant_id: uuid.UUID | None
    state: str  # dead | requeued | resolved | discarded
    error: str
    attempts: int
    times_dead: int
    source: str | None
    first_failed_at: dt.datetime
    last_failed_at: dt.datetime
    requeued_at: dt.datetime | None
    envelope: str

    def as_dict(self) -> dict[str, object]:
        body: object
        try:
            body = json.loads(self.envelope)
        except ValueError:
            body = self.envelope
        return {
            "id": str(self.id),
            "consumer": self.consumer,
            "topic": self.topic,
            "event_id": self.event_id,
            "key": self.key,
            "tenant_id": str(self.tenant_id) if self.tenant_id else None,
            "state": self.state,
            "error": self.error,
            "attempts": self.attempts,
            "times_dead": self.times_dead,
            "source": self.source,
            "first_failed_at": self.first_failed_at.isoformat(),
            "last_failed_at": self.last_failed_at.isoformat(),
            "requeued_at": self.requeued_at.isoformat() if self.requeued_at else None,
            "envelope": body,
        }


def _handled() -> Exists:
    """True when the dead letter's consumer has since handled the event (its inbox holds it)."""
    return exists().where(and_(InboxEntry.consumer == DeadLetter.consumer, InboxEntry.event_id == DeadLetter.event_id))


def _view(row: DeadLetter, handled: bool) -> DeadLetterView:
    state = DISCARDED if row.status == DISCARDED else RESOLVED if handled else row.status
    return DeadLetterView(
        id=row.id,
        consumer=row.consumer,
        topic=row.topic,
        event_id=row.event_id,
        key=row.key,
        tenant_id=row.tenant_id,
        state=state,
        error=row.error,
        attempts=row.attempts,
        times_dead=row.times_dead,
        source=row.source,
        first_failed_at=row.first_failed_at,
        last_failed_at=row.last_failed_at,
        requeued_at=row.requeued_at,
        envelope=row.envelope,
    )


async def list_dead_letters(
    database: Database,
    *,
    consumer: str | None = None,
    topic: str | None = None,
    include_closed: bool = False,
    limit: int = 100,
) -> list[DeadLetterView]:
    """Dead letters, newest failure first; open ones only (dead or requeued, not yet handled) unless
    ``include_closed`` (also resolved and discarded)."""
    handled = _handled().label("handled")
    statement = select(DeadLetter, handled).order_by(DeadLetter.last_failed_at.desc(), DeadLetter.id).limit(limit)
    if consumer:
        statement = statement.where(DeadLetter.consumer == consumer)
    if topic:
        statement = statement.where(DeadLetter.topic == topic)
    if not include_closed:
        statement = statement.where(DeadLetter.status != DISCARDED, ~_handled())
    async with database.transaction() as session:
        rows = (await session.execute(statement)).all()
    return [_view(row, bool(is_handled)) for row, is_handled in rows]


async def get_dead_letter(database: Database, dead_letter_id: uuid.UUID) -> DeadLetterView | None:
    async with database.transaction() as session:
        found = (await session.execute(select(DeadLetter, _handled()).where(DeadLetter.id == dead_letter_id))).first()
    return None if found is None else _view(found[0], bool(found[1]))


class DeadLetterStateError(ValueError):
    pass


async def requeue_dead_letters(database: Database, ids: Sequence[uuid.UUID]) -> list[DeadLetterView]:
    """Queue each dead letter's event again for its topic (through the owner's outbox relay) and mark
    it requeued. Refuses (changing nothing) unknown ids, resolved or discarded letters, and letters
    whose body is not a valid envelope."""
    now = utcnow()
    async with database.transaction() as session:
        found = (await session.execute(select(DeadLetter, _handled()).where(DeadLetter.id.in_(ids)))).all()
        by_id = {row.id: (row, bool(is_handled)) for row, is_handled in found}
        for dead_letter_id in ids:
            if dead_letter_id not in by_id:
                raise LookupError(f"no dead letter {dead_letter_id}")
            row, is_handled = by_id[dead_letter_id]
            if is_handled or row.status == DISCARDED:
                state = RESOLVED if is_handled else DISCARDED
                raise DeadLetterStateError(f"dead letter {dead_letter_id} is {state}: nothing to requeue")
            try:
                Envelope.model_validate_json(row.envelope)
            except ValueError:
                raise DeadLetterStateError(
                    f"dead letter {dead_letter_id} holds no valid event envelope: it cannot be requeued"
                ) from None
        for dead_letter_id in ids:
            row, _ = by_id[dead_letter_id]
            session.add(
                OutboxEvent(
                    id=new_id(),
                    service=topic_owner(row.topic),
                    topic=row.topic,
                    key=row.key,
                    envelope=row.envelope,
                    headers=json.dumps({h.REQUEUE: str(row.id)}),
                )
            )
            row.status = REQUEUED
            row.requeued_at = now
        after_commit(session, OUTBOX_SIGNAL.notify)
    return [_view(by_id[dead_letter_id][0], False) for dead_letter_id in ids]


async def discard_dead_letters(database: Database, ids: Sequence[uuid.UUID]) -> int:
    """Close dead letters an operator decided not to requeue; they leave the open list and the metric."""
    async with database.transaction() as session:
        known = set((await session.execute(select(DeadLetter.id).where(DeadLetter.id.in_(ids)))).scalars())
        missing = [str(item) for item in ids if item not in known]
        if missing:
            raise LookupError(f"no dead letter {', '.join(missing)}")
        await session.execute(update(DeadLetter).where(DeadLetter.id.in_(ids)).values(status=DISCARDED))
    return len(ids)


async def open_dead_letters(database: Database, consumers: Iterable[str]) -> dict[tuple[str, str], int]:
    """(consumer, topic) -> dead letters not yet handled, requeued or discarded (the DLQ size)."""
    names = list(consumers)
    if not names:
        return {}
    statement = (
        select(DeadLetter.consumer, DeadLetter.topic, func.count())
        .where(DeadLetter.consumer.in_(names), DeadLetter.status == DEAD, ~_handled())
        .group_by(DeadLetter.consumer, DeadLetter.topic)
    )
    async with database.engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    return {(consumer, topic): int(count) for consumer, topic, count in rows}


# -- replays -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayItem:
    """One stored event to queue again: where it was (offset, time), its key and its envelope JSON."""

    offset: int
    partition: int
    time: dt.datetime | None
    key: str
    body: str


async def outbox_history(
    database: Database, topic: str, start: int | dt.datetime, *, limit: int | None = None
) -> list[ReplayItem]:
    """The memory bus keeps no log: its history is the outbox. Sent original events of ``topic``,
    oldest first; an offset counts them from 0 (in creation order), a time selects those created
    at or after it."""
    statement = (
        select(OutboxEvent.key, OutboxEvent.envelope, OutboxEvent.created_at)
        .where(OutboxEvent.topic == topic, OutboxEvent.status == SENT, OutboxEvent.headers.is_(None))
        .order_by(OutboxEvent.created_at, OutboxEvent.id)
    )
    first = 0
    if isinstance(start, dt.datetime):
        statement = statement.where(OutboxEvent.created_at >= start)
    else:
        first = start
        statement = statement.offset(start)
    if limit is not None:
        statement = statement.limit(limit)
    async with database.transaction() as session:
        rows = (await session.execute(statement)).all()
    return [
        ReplayItem(offset=first + index, partition=0, time=created, key=key, body=body)
        for index, (key, body, created) in enumerate(rows)
    ]


async def queue_replay(
    database: Database, topic: str, items: Sequence[ReplayItem], *, bypass_inbox: Sequence[str] = ()
) -> str:
    """Queue copies of ``items`` for ``topic`` through its owner's outbox relay; returns the replay id
    (in each copy's ``vextrus-replay`` header). Items that are not valid envelopes are refused."""
    replay_id = str(new_id())
    headers: dict[str, str] = {h.REPLAY: replay_id}
    if bypass_inbox:
        headers[h.BYPASS_INBOX] = ",".join(bypass_inbox)
    encoded = json.dumps(headers)
    for item in items:
        try:
            Envelope.model_validate_json(item.body)
        except ValueError:
            raise ValueError(f"{topic} offset {item.offset} is not a valid event envelope") from None
    async with database.transaction() as session:
        for item in items:
            session.add(
                OutboxEvent(
                    id=new_id(),
                    service=topic_owner(topic),
                    topic=topic,
                    key=item.key,
                    envelope=item.body,
                    headers=encoded,
                )
            )
        after_commit(session, OUTBOX_SIGNAL.notify)
    return replay_id
