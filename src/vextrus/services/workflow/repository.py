"""Every query of the workflow service; all of them start from the current tenant (default deny)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.services.workflow.models import OPEN, RUNNING, Definition, HistoryEntry, Instance, StepRun, Task


class DefinitionRepository(TenantRepository[Definition]):
    model = Definition

    async def current(self, key: str) -> Definition | None:
        return await self.first(Definition.key == key, Definition.is_current.is_(True))

    async def version(self, key: str, number: int) -> Definition | None:
        return await self.first(Definition.key == key, Definition.number == number)

    async def versions(self, key: str) -> Sequence[Definition]:
        return await self.all(Definition.key == key, order_by=[Definition.number.desc()])

    async def keys(self) -> set[str]:
        result = await self.session.execute(
            select(Definition.key).where(Definition.tenant_id == self.tenant_id).distinct()
        )
        return set(result.scalars().all())

    async def all_current(self) -> Sequence[Definition]:
        return await self.all(Definition.is_current.is_(True), order_by=[Definition.key])

    async def retire(self, key: str) -> None:
        await self.session.execute(
            update(Definition)
            .where(Definition.tenant_id == self.tenant_id, Definition.key == key, Definition.is_current.is_(True))
            .values(is_current=False)
        )


class InstanceRepository(TenantRepository[Instance]):
    model = Instance

    async def lock(self, ident: uuid.UUID) -> Instance | None:
        """The instance, locked for this transaction (PostgreSQL): decisions on one process queue up."""
        statement = (
            self.select().where(Instance.id == ident).with_for_update().execution_options(populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def by_start_key(self, key: str) -> Instance | None:
        return await self.first(Instance.start_key == key)

    async def running_for(self, definition_key: str, business_key: str) -> Instance | None:
        return await self.first(
            Instance.definition_key == definition_key,
            Instance.business_key == business_key,
            Instance.status == RUNNING,
        )

    async def page(
        self,
        page: PageRequest,
        *,
        definition: str | None = None,
        status: str | None = None,
        state: str | None = None,
        business_key: str | None = None,
        requested_by: uuid.UUID | None = None,
        company_id: uuid.UUID | None = None,
    ) -> Page[Instance]:
        statement = self.select()
        for column, value in (
            (Instance.definition_key, definition),
            (Instance.status, status),
            (Instance.state, state),
            (Instance.business_key, business_key),
            (Instance.requested_by, requested_by),
            (Instance.company_id, company_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        return await paginate(
            self.session, statement, [Instance.started_at, Instance.id], page, lambda row: row, descending=True
        )

    async def in_system_states(self, states_by_definition: dict[uuid.UUID, set[str]]) -> Sequence[Instance]:
        """Running instances sitting in a system state of their definition version."""
        if not states_by_definition:
            return []
        conditions = [
            and_(Instance.definition_id == definition, Instance.state.in_(states))
            for definition, states in states_by_definition.items()
        ]
        return await self.all(Instance.status == RUNNING, or_(*conditions))

    async def running_definitions(self) -> Sequence[uuid.UUID]:
        result = await self.session.execute(
            select(Instance.definition_id)
            .where(Instance.tenant_id == self.tenant_id, Instance.status == RUNNING)
            .distinct()
        )
        return list(result.scalars().all())


class TaskRepository(TenantRepository[Task]):
    model = Task

    async def fresh(self, ident: uuid.UUID) -> Task | None:
        """The task as committed now (after taking its instance's lock)."""
        statement = self.select().where(Task.id == ident).execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).one_or_none()

    async def of_instance(self, instance_id: uuid.UUID) -> Sequence[Task]:
        return await self.all(Task.instance_id == instance_id, order_by=[Task.created_at, Task.id])

    async def open_of_instance(self, instance_id: uuid.UUID) -> Sequence[Task]:
        return await self.all(Task.instance_id == instance_id, Task.status == OPEN, order_by=[Task.created_at, Task.id])

    async def of_step(self, instance_id: uuid.UUID, entry_seq: int, step: int | None) -> Sequence[Task]:
        return await self.all(
            Task.instance_id == instance_id,
            Task.entry_seq == entry_seq,
            Task.step == step if step is not None else Task.step.is_(None),
            order_by=[Task.seat, Task.created_at],
        )

    async def page(
        self,
        page: PageRequest,
        *,
        mine: tuple[uuid.UUID, Iterable[str], dt.datetime] | None = None,
        status: str | None = None,
        instance_id: uuid.UUID | None = None,
        definition: str | None = None,
        instances: Iterable[uuid.UUID] | None = None,
    ) -> Page[Task]:
        statement = self.select()
        if mine is not None:
            subject, roles, now = mine
            who = [
                Task.assignee_user_id == subject,
                and_(Task.delegate_user_id == subject, Task.delegate_from <= now, Task.delegate_until > now),
            ]
            role_list = list(roles)
            if role_list:
                who.append(Task.assignee_role.in_(role_list))
            statement = statement.where(or_(*who))
        if status is not None:
            statement = statement.where(Task.status == status)
        if instance_id is not None:
            statement = statement.where(Task.instance_id == instance_id)
        if definition is not None:
            statement = statement.where(
                Task.instance_id.in_(
                    select(Instance.id).where(
                        Instance.tenant_id == self.tenant_id, Instance.definition_key == definition
                    )
                )
            )
        return await paginate(
            self.session, statement, [Task.created_at, Task.id], page, lambda row: row, descending=True
        )

    async def due_for_reminder(self, now: dt.datetime, limit: int) -> Sequence[Task]:
        result = await self.session.scalars(
            self.select()
            .where(Task.status == OPEN, Task.reminded_at.is_(None), Task.remind_at <= now)
            .order_by(Task.remind_at)
            .limit(limit)
        )
        return result.all()

    async def past_due(self, now: dt.datetime, limit: int) -> Sequence[Task]:
        result = await self.session.scalars(
            self.select()
            .where(Task.status == OPEN, Task.breached_at.is_(None), Task.due_at <= now)
            .order_by(Task.due_at)
            .limit(limit)
        )
        return result.all()


class HistoryRepository(TenantRepository[HistoryEntry]):
    model = HistoryEntry

    async def of_instance(self, instance_id: uuid.UUID) -> Sequence[HistoryEntry]:
        return await self.all(HistoryEntry.instance_id == instance_id, order_by=[HistoryEntry.at, HistoryEntry.id])

    async def by_idempotency_key(self, key: str) -> HistoryEntry | None:
        return await self.first(HistoryEntry.idempotency_key == key)

    async def last_decision(self, task_id: uuid.UUID) -> HistoryEntry | None:
        result = await self.session.scalars(
            self.select()
            .where(HistoryEntry.task_id == task_id)
            .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
            .limit(1)
        )
        return result.first()


class StepRunRepository(TenantRepository[StepRun]):
    model = StepRun

    async def of_instance(self, instance_id: uuid.UUID) -> Sequence[StepRun]:
        return await self.all(
            StepRun.instance_id == instance_id, order_by=[StepRun.entry_seq, StepRun.position, StepRun.kind]
        )

    async def get_run(self, instance_id: uuid.UUID, entry_seq: int, position: int, kind: str) -> StepRun | None:
        return await self.first(
            StepRun.instance_id == instance_id,
            StepRun.entry_seq == entry_seq,
            StepRun.position == position,
            StepRun.kind == kind,
        )


async def count_running_by_definition(session: AsyncSession) -> dict[str, int]:
    """Running processes of every tenant by definition key (for the gauge; call inside cross_tenant())."""
    result = await session.execute(
        select(Instance.definition_key, func.count())
        .where(Instance.status == RUNNING)
        .group_by(Instance.definition_key)
    )
    return {key: int(count) for key, count in result.all()}
