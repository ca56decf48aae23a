"""Every query of the rules engine; all tenant-scoped (default deny)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, insert, or_, select

from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.services.rules.models import (
    STATUS_PUBLISHED,
    STATUS_SUPERSEDED,
    Evaluation,
    Rule,
    RuleTestCase,
    RuleVersion,
)


@dataclass(frozen=True)
class VersionRef:
    """What evaluation needs of a version, without its (possibly large) content."""

    id: uuid.UUID
    rule_id: uuid.UUID
    key: str
    number: int
    content_hash: str


class RuleRepository(TenantRepository[Rule]):
    model = Rule

    async def by_key(self, key: str, *, for_update: bool = False) -> Rule | None:
        statement = self.select().where(Rule.key == key)
        if for_update:
            statement = statement.with_for_update()
        result = await self.session.scalars(statement)
        return result.one_or_none()

    async def keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        result = await self.session.scalars(
            select(Rule.key).where(Rule.tenant_id == self.tenant_id, Rule.key.in_(keys))
        )
        return set(result.all())

    async def page(self, page: PageRequest, *, prefix: str | None = None) -> Page[Rule]:
        statement = self.select()
        if prefix:
            statement = statement.where(Rule.key.startswith(prefix, autoescape=True))
        return await paginate(self.session, statement, [Rule.key], page, lambda row: row)


class VersionRepository(TenantRepository[RuleVersion]):
    model = RuleVersion

    async def of_rule(self, rule_id: uuid.UUID) -> Sequence[RuleVersion]:
        return await self.all(RuleVersion.rule_id == rule_id, order_by=[RuleVersion.number])

    async def of_rules(self, rule_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[RuleVersion]]:
        found: dict[uuid.UUID, list[RuleVersion]] = {ident: [] for ident in rule_ids}
        if rule_ids:
            for row in await self.all(RuleVersion.rule_id.in_(rule_ids), order_by=[RuleVersion.number]):
                found[row.rule_id].append(row)
        return found

    async def number(self, rule_id: uuid.UUID, number: int) -> RuleVersion | None:
        return await self.first(RuleVersion.rule_id == rule_id, RuleVersion.number == number)

    async def published(self, rule_id: uuid.UUID) -> RuleVersion | None:
        return await self.first(RuleVersion.rule_id == rule_id, RuleVersion.status == STATUS_PUBLISHED)

    async def latest(self, rule_id: uuid.UUID) -> RuleVersion | None:
        result = await self.session.scalars(
            self.select().where(RuleVersion.rule_id == rule_id).order_by(RuleVersion.number.desc()).limit(1)
        )
        return result.first()

    async def ever_published(self, rule_id: uuid.UUID) -> bool:
        found = await self.first(
            RuleVersion.rule_id == rule_id, RuleVersion.status.in_((STATUS_PUBLISHED, STATUS_SUPERSEDED))
        )
        return found is not None

    def _refs(self) -> Any:
        return (
            select(RuleVersion.id, RuleVersion.rule_id, Rule.key, RuleVersion.number, RuleVersion.content_hash)
            .join(Rule, Rule.id == RuleVersion.rule_id)
            .where(RuleVersion.tenant_id == self.tenant_id, Rule.tenant_id == self.tenant_id)
        )

    async def effective(self, keys: Sequence[str], at: dt.datetime) -> dict[str, VersionRef]:
        """The version of each rule effective at ``at`` (published or superseded, window containing it)."""
        if not keys:
            return {}
        statement = (
            self._refs()
            .where(
                Rule.key.in_(keys),
                RuleVersion.status.in_((STATUS_PUBLISHED, STATUS_SUPERSEDED)),
                RuleVersion.effective_from <= at,
                or_(RuleVersion.effective_to.is_(None), RuleVersion.effective_to > at),
            )
            .order_by(Rule.key, RuleVersion.effective_from.desc())
        )
        found: dict[str, VersionRef] = {}
        for row in (await self.session.execute(statement)).all():
            found.setdefault(row.key, VersionRef(row.id, row.rule_id, row.key, row.number, row.content_hash))
        return found

    async def ref(self, key: str, number: int) -> VersionRef | None:
        statement = self._refs().where(Rule.key == key, RuleVersion.number == number)
        row = (await self.session.execute(statement)).first()
        return None if row is None else VersionRef(row.id, row.rule_id, row.key, row.number, row.content_hash)

    async def content(self, version_id: uuid.UUID) -> str | None:
        result = await self.session.scalars(
            select(RuleVersion.content).where(RuleVersion.tenant_id == self.tenant_id, RuleVersion.id == version_id)
        )
        return result.first()


class TestCaseRepository(TenantRepository[RuleTestCase]):
    model = RuleTestCase

    async def of_rule(self, rule_id: uuid.UUID) -> Sequence[RuleTestCase]:
        return await self.all(RuleTestCase.rule_id == rule_id, order_by=[RuleTestCase.name])

    async def by_name(self, rule_id: uuid.UUID, name: str) -> RuleTestCase | None:
        return await self.first(RuleTestCase.rule_id == rule_id, RuleTestCase.name == name)

    async def counts(self, rule_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        found = dict.fromkeys(rule_ids, 0)
        if rule_ids:
            statement = (
                select(RuleTestCase.rule_id, func.count())
                .where(RuleTestCase.tenant_id == self.tenant_id, RuleTestCase.rule_id.in_(rule_ids))
                .group_by(RuleTestCase.rule_id)
            )
            for rule_id, count in (await self.session.execute(statement)).all():
                found[rule_id] = int(count)
        return found


@dataclass(frozen=True)
class EvaluationFilter:
    key: str | None = None
    version: int | None = None
    outcome: str | None = None
    reference: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class EvaluationRepository(TenantRepository[Evaluation]):
    model = Evaluation

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert history rows in one statement (``tenant_id`` is set here, never by the caller)."""
        if not rows:
            return
        tenant = self.tenant_id
        # A Core multi-row insert: the ORM's bulk path costs several times more per row.
        table: Table = Evaluation.__table__  # type: ignore[assignment]
        await self.session.execute(insert(table), [{**row, "tenant_id": tenant} for row in rows])

    async def page(self, page: PageRequest, where: EvaluationFilter) -> Page[Evaluation]:
        statement = self.select()
        if where.key is not None:
            statement = statement.where(Evaluation.rule_key == where.key)
        if where.version is not None:
            statement = statement.where(Evaluation.version == where.version)
        if where.outcome is not None:
            statement = statement.where(Evaluation.outcome == where.outcome)
        if where.reference is not None:
            statement = statement.where(Evaluation.reference == where.reference)
        if where.since is not None:
            statement = statement.where(Evaluation.evaluated_at >= where.since)
        if where.until is not None:
            statement = statement.where(Evaluation.evaluated_at < where.until)
        return await paginate(
            self.session, statement, [Evaluation.evaluated_at, Evaluation.id], page, lambda row: row, descending=True
        )
