"""Every query of the import-export service; tenant-scoped except the stale-job sweep."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.repository import TenantRepository
from vextrus.services.exchange.models import Job


class Jobs(TenantRepository[Job]):
    model = Job

    def listed(self, entity: str | None, status: str | None, mode: str | None) -> Select[Any]:
        statement = self.select()
        for column, value in ((Job.entity, entity), (Job.status, status), (Job.mode, mode)):
            if value is not None:
                statement = statement.where(column == value)
        return statement

    async def locked(self, job_id: uuid.UUID) -> Job | None:
        """The job, its row locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
        result = await self.session.scalars(self.select().where(Job.id == job_id).with_for_update())
        return result.one_or_none()

    async def active_commit_of(self, source_job_id: uuid.UUID) -> Job | None:
        return await self.first(Job.source_job_id == source_job_id, Job.status.in_(("queued", "running")))


async def stale_jobs(session: AsyncSession, before: dt.datetime) -> Sequence[Job]:
    """Queued or running jobs whose process stopped reporting (every tenant: call cross-tenant)."""
    rows = await session.scalars(
        select(Job).where(Job.status.in_(("queued", "running")), Job.heartbeat_at < before).limit(100)
    )
    return rows.all()


async def jobs_among(session: AsyncSession, job_ids: Sequence[uuid.UUID]) -> Sequence[Job]:
    """The jobs with these ids, whatever their tenant (call cross-tenant)."""
    rows = await session.scalars(select(Job).where(Job.id.in_(job_ids)))
    return rows.all()


async def heartbeat(session: AsyncSession, job_ids: Sequence[uuid.UUID], now: dt.datetime) -> None:
    if job_ids:
        await session.execute(update(Job).where(Job.id.in_(job_ids)).values(heartbeat_at=now))
