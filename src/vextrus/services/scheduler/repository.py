"""Every query of the scheduler. Tenant routes go through TenantRepository (default deny); the
runner claims due work of every tenant inside ``cross_tenant()`` (it is the platform's own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.services.scheduler.models import Job, Run


class JobRepository(TenantRepository[Job]):
    model = Job

    async def by_key(self, key: str) -> Job | None:
        return await self.first(Job.key == key)

    async def count(self) -> int:
        result = await self.session.execute(
            select(func.count()).select_from(Job).where(Job.tenant_id == self.tenant_id)
        )
        return int(result.scalar_one())

    async def page(self, page: PageRequest, status: str | None = None) -> Page[Job]:
        statement = self.select()
        if status is not None:
            statement = statement.where(Job.status == status)
        return await paginate(self.session, statement, [Job.key, Job.id], page, lambda row: row)


class RunRepository(TenantRepository[Run]):
    model = Run

    async def page(self, page: PageRequest, job_id: Any, status: str | None = None) -> Page[Run]:
        statement = self.select().where(Run.job_id == job_id)
        if status is not None:
            statement = statement.where(Run.status == status)
        return await paginate(
            self.session, statement, [Run.scheduled_for, Run.id], page, lambda row: row, descending=True
        )


async def due_jobs(session: AsyncSession, now: dt.datetime, limit: int) -> Sequence[Job]:
    """Active jobs due by ``now`` of every tenant, locked (PostgreSQL skips rows another replica holds)."""
    statement = (
        select(Job)
        .where(Job.status == "active", Job.next_run_at.is_not(None), Job.next_run_at <= now)
        .order_by(Job.next_run_at)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return (await session.scalars(statement)).all()


async def runs_to_resume(session: AsyncSession, now: dt.datetime, limit: int) -> Sequence[Run]:
    """Runs waiting for a retry, and runs whose replica died holding them (lease expired)."""
    statement = (
        select(Run)
        .where(
            or_(
                and_(Run.status == "retrying", Run.next_attempt_at <= now),
                and_(Run.status == "running", Run.lease_until < now),
            )
        )
        .order_by(Run.scheduled_for)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return (await session.scalars(statement)).all()
