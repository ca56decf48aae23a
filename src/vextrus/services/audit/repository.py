"""Every query of the audit service. Reads start from the current tenant (default deny)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.audit.chain import CHECKPOINT_TYPE, GENESIS
from vextrus.services.audit.models import AuditRecord, ChainHead, RetentionPolicy


@dataclass(frozen=True)
class EventFilter:
    type: str | None = None
    actor: str | None = None
    subject: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    occurred_from: dt.datetime | None = None
    occurred_to: dt.datetime | None = None


def records(where: EventFilter) -> Select[Any]:
    statement = select(AuditRecord).where(AuditRecord.tenant_id == require_tenant_id())
    if where.type is not None:
        statement = statement.where(AuditRecord.type == where.type)
    if where.actor is not None:
        statement = statement.where(AuditRecord.actor == where.actor)
    if where.subject is not None:
        statement = statement.where(AuditRecord.subject == where.subject)
    if where.entity_type is not None:
        statement = statement.where(AuditRecord.entity_type == where.entity_type)
    if where.entity_id is not None:
        statement = statement.where(AuditRecord.entity_id == where.entity_id)
    if where.occurred_from is not None:
        statement = statement.where(AuditRecord.occurred_at >= where.occurred_from)
    if where.occurred_to is not None:
        statement = statement.where(AuditRecord.occurred_at < where.occurred_to)
    return statement


async def get(session: AsyncSession, record_id: uuid.UUID) -> AuditRecord | None:
    statement = select(AuditRecord).where(AuditRecord.tenant_id == require_tenant_id(), AuditRecord.id == record_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def batch(
    session: AsyncSession,
    where: EventFilter,
    limit: int,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
) -> Sequence[AuditRecord]:
    """Up to ``limit`` records by ``seq``: ascending after ``after_seq`` or descending before ``before_seq``."""
    statement = records(where)
    if before_seq is not None:
        statement = statement.where(AuditRecord.seq < before_seq).order_by(AuditRecord.seq.desc())
    else:
        statement = statement.where(AuditRecord.seq > (after_seq or 0)).order_by(AuditRecord.seq)
    rows: Sequence[AuditRecord] = (await session.execute(statement.limit(limit))).scalars().all()
    return rows


async def has_event(session: AsyncSession, tenant_id: uuid.UUID, event_id: str) -> bool:
    statement = select(AuditRecord.id).where(AuditRecord.tenant_id == tenant_id, AuditRecord.event_id == event_id)
    return (await session.execute(statement)).first() is not None


async def lock_head(session: AsyncSession, tenant_id: uuid.UUID) -> ChainHead:
    """The tenant's chain head, created if missing, locked until the transaction ends (PostgreSQL:
    ``FOR UPDATE``; SQLite: every write transaction holds the database's one write lock)."""
    is_postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql_insert if is_postgres else sqlite_insert
    await session.execute(
        insert(ChainHead)
        .values(tenant_id=tenant_id, last_seq=0, last_hash=GENESIS, updated_at=dt.datetime.now(dt.UTC))
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    statement = select(ChainHead).where(ChainHead.tenant_id == tenant_id).execution_options(populate_existing=True)
    if is_postgres:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one()


async def head(session: AsyncSession, tenant_id: uuid.UUID) -> ChainHead | None:
    statement = select(ChainHead).where(ChainHead.tenant_id == tenant_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def seq_bounds(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[int | None, int | None]:
    statement = select(func.min(AuditRecord.seq), func.max(AuditRecord.seq)).where(AuditRecord.tenant_id == tenant_id)
    low, high = (await session.execute(statement)).one()
    return low, high


async def checkpoint_hash(session: AsyncSession, tenant_id: uuid.UUID, through_seq: int) -> str | None:
    """The hash recorded by the checkpoint that purged the records up to ``through_seq``."""
    statement = select(AuditRecord.payload).where(
        AuditRecord.tenant_id == tenant_id, AuditRecord.type == CHECKPOINT_TYPE
    )
    for payload in (await session.execute(statement)).scalars():
        data = json.loads(payload)
        if data.get("purged_through_seq") == through_seq:
            return str(data.get("purged_through_hash"))
    return None


async def chain_batch(
    session: AsyncSession, tenant_id: uuid.UUID, after_seq: int, through_seq: int, limit: int
) -> Sequence[Row[Any]]:
    """Records ``after_seq < seq <= through_seq`` in order, as plain rows (no ORM objects: a verify
    reads the whole chain)."""
    statement = (
        select(*AuditRecord.__table__.columns)
        .where(AuditRecord.tenant_id == tenant_id, AuditRecord.seq > after_seq, AuditRecord.seq <= through_seq)
        .order_by(AuditRecord.seq)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def first_recent_seq(session: AsyncSession, tenant_id: uuid.UUID, cutoff: dt.datetime) -> int | None:
    """The lowest ``seq`` of a record that occurred at or after ``cutoff`` (purges stop before it)."""
    statement = select(func.min(AuditRecord.seq)).where(
        AuditRecord.tenant_id == tenant_id, AuditRecord.occurred_at >= cutoff
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def delete_through(session: AsyncSession, tenant_id: uuid.UUID, through_seq: int) -> int:
    """Delete the records up to ``through_seq``; the database allows it only below a checkpoint."""
    result = await session.execute(
        delete(AuditRecord).where(AuditRecord.tenant_id == tenant_id, AuditRecord.seq <= through_seq)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def policy(session: AsyncSession) -> RetentionPolicy | None:
    statement = select(RetentionPolicy).where(RetentionPolicy.tenant_id == require_tenant_id())
    return (await session.execute(statement)).scalar_one_or_none()


async def tenants_with_records(session: AsyncSession) -> list[uuid.UUID]:
    """Every tenant with a chain (run inside ``cross_tenant``)."""
    return list((await session.execute(select(ChainHead.tenant_id))).scalars())


async def set_rls_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """On PostgreSQL, bind the running transaction to ``tenant_id`` for row-level security (for
    events that carry no tenant, recorded in the platform chain)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)})
