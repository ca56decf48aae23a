"""Every query of the notification service."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.services.notification.models import (
    Delivery,
    InboxItem,
    Notification,
    Preference,
    TaskAssignee,
    Template,
)

DUE = ("pending", "deferred", "digest", "retrying")


class TemplateRepository(TenantRepository[Template]):
    model = Template

    async def find(self, event: str, channel: str, language: str) -> Template | None:
        return await self.first(Template.event == event, Template.channel == channel, Template.language == language)

    async def of_event(self, event: str) -> Sequence[Template]:
        return await self.all(Template.event == event)


class PreferenceRepository(TenantRepository[Preference]):
    model = Preference

    async def of_user(self, user_id: uuid.UUID) -> Preference | None:
        return await self.first(Preference.user_id == user_id)


class NotificationRepository(TenantRepository[Notification]):
    model = Notification

    async def by_event_id(self, event_id: str) -> Notification | None:
        return await self.first(Notification.event_id == event_id)

    async def page(self, page: PageRequest, event: str | None) -> Page[Notification]:
        statement = self.select()
        if event is not None:
            statement = statement.where(Notification.event == event)
        return await paginate(
            self.session, statement, [Notification.created_at, Notification.id], page, lambda row: row, descending=True
        )


class DeliveryRepository(TenantRepository[Delivery]):
    model = Delivery

    async def of_notification(self, notification_id: uuid.UUID) -> Sequence[Delivery]:
        return await self.all(Delivery.notification_id == notification_id, order_by=[Delivery.created_at, Delivery.id])

    async def digest_batch(self, user_id: uuid.UUID, channel: str, exclude: uuid.UUID) -> Sequence[Delivery]:
        return await self.all(
            Delivery.user_id == user_id,
            Delivery.channel == channel,
            Delivery.status == "digest",
            Delivery.id != exclude,
            order_by=[Delivery.created_at, Delivery.id],
        )


class InboxRepository(TenantRepository[InboxItem]):
    model = InboxItem

    def _mine(self, user_id: uuid.UUID, roles: Sequence[str]) -> object:
        mine = InboxItem.user_id == user_id
        return or_(mine, InboxItem.role.in_(list(roles))) if roles else mine

    async def feed(
        self, user_id: uuid.UUID, roles: Sequence[str], page: PageRequest, unread_only: bool
    ) -> Page[InboxItem]:
        statement = self.select().where(self._mine(user_id, roles))  # type: ignore[arg-type]
        if unread_only:
            statement = statement.where(InboxItem.read_at.is_(None))
        return await paginate(
            self.session, statement, [InboxItem.created_at, InboxItem.id], page, lambda row: row, descending=True
        )

    async def unread(self, user_id: uuid.UUID, roles: Sequence[str]) -> int:
        statement = (
            select(func.count())
            .select_from(InboxItem)
            .where(InboxItem.tenant_id == self.tenant_id, self._mine(user_id, roles), InboxItem.read_at.is_(None))  # type: ignore[arg-type]
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def mine(self, item_id: uuid.UUID, user_id: uuid.UUID, roles: Sequence[str]) -> InboxItem | None:
        return await self.first(InboxItem.id == item_id, self._mine(user_id, roles))

    async def read_all(self, user_id: uuid.UUID, roles: Sequence[str], now: dt.datetime) -> int:
        statement = (
            update(InboxItem)
            .where(InboxItem.tenant_id == self.tenant_id, self._mine(user_id, roles), InboxItem.read_at.is_(None))  # type: ignore[arg-type]
            .values(read_at=now)
        )
        result = await self.session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)


class TaskAssigneeRepository(TenantRepository[TaskAssignee]):
    model = TaskAssignee

    async def of_task(self, task_id: uuid.UUID) -> TaskAssignee | None:
        return await self.first(TaskAssignee.task_id == task_id)


async def claim_due(session: AsyncSession, now: dt.datetime, lease_seconds: float, limit: int) -> list[Delivery]:
    """Due deliveries (and ones whose sender died: ``sending`` past the lease), leased to the caller.
    Runs across tenants (the caller opens ``cross_tenant()``); on PostgreSQL rows another worker
    holds are skipped."""
    statement = (
        select(Delivery)
        .where(
            or_(
                Delivery.status.in_(DUE) & (Delivery.next_attempt_at <= now),
                (Delivery.status == "sending") & (Delivery.lease_until < now),
            )
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.scalars(statement)).all())
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.lease_until = now + dt.timedelta(seconds=lease_seconds)
    await session.flush()
    return rows
