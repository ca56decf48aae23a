"""Every query of the document generator."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.documents.models import Branding, Document, Template, TemplateVersion


class TemplateRepository:
    """Registered templates: the tenant's own and the shared ones (``tenant_id`` NULL)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visible(self) -> Sequence[Template]:
        tenant = require_tenant_id()
        statement = select(Template).where(or_(Template.tenant_id == tenant, Template.tenant_id.is_(None)))
        return (await self.session.scalars(statement.order_by(Template.key))).all()

    async def by_key(self, key: str) -> Template | None:
        """The tenant's own template of that key, else the shared one."""
        tenant = require_tenant_id()
        statement = select(Template).where(
            Template.key == key, or_(Template.tenant_id == tenant, Template.tenant_id.is_(None))
        )
        rows = (await self.session.scalars(statement)).all()
        own = [row for row in rows if row.tenant_id is not None]
        chosen = own or list(rows)
        return chosen[0] if chosen else None

    async def owned(self, key: str, tenant_id: uuid.UUID | None) -> Template | None:
        column = Template.tenant_id.is_(None) if tenant_id is None else Template.tenant_id == tenant_id
        return (await self.session.scalars(select(Template).where(Template.key == key, column))).one_or_none()

    def add(self, template: Template) -> Template:
        if template.tenant_id is not None and template.tenant_id != require_tenant_id():
            raise PermissionError("cannot register a template for another tenant")
        self.session.add(template)
        return template

    async def versions(self, template_id: uuid.UUID) -> Sequence[TemplateVersion]:
        statement = select(TemplateVersion).where(TemplateVersion.template_id == template_id)
        return (await self.session.scalars(statement.order_by(TemplateVersion.number.desc()))).all()

    async def version(self, template_id: uuid.UUID, number: int) -> TemplateVersion | None:
        statement = select(TemplateVersion).where(
            TemplateVersion.template_id == template_id, TemplateVersion.number == number
        )
        return (await self.session.scalars(statement)).one_or_none()

    def add_version(self, version: TemplateVersion) -> TemplateVersion:
        self.session.add(version)
        return version


class BrandingRepository(TenantRepository[Branding]):
    model = Branding

    async def of_company(self, company_id: uuid.UUID) -> Branding | None:
        return await self.first(Branding.company_id == company_id)

    async def every(self) -> Sequence[Branding]:
        return await self.all(order_by=[Branding.name, Branding.id])


class DocumentRepository(TenantRepository[Document]):
    model = Document

    async def page(
        self,
        page: PageRequest,
        *,
        template: str | None = None,
        status: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
    ) -> Page[Document]:
        statement = self.select()
        if template is not None:
            statement = statement.where(Document.template_key == template)
        if status is not None:
            statement = statement.where(Document.status == status)
        if entity_type is not None:
            statement = statement.where(Document.entity_type == entity_type)
        if entity_id is not None:
            statement = statement.where(Document.entity_id == entity_id)
        return await paginate(
            self.session, statement, [Document.created_at, Document.id], page, lambda row: row, descending=True
        )

    async def by_reference(self, template: str, reference: str) -> Document | None:
        return await self.first(Document.template_key == template, Document.reference == reference)


async def claim_next(session: AsyncSession, now: dt.datetime, lease_seconds: float) -> Document | None:
    """The oldest job that is due (queued and past ``not_before``, or rendering with an expired lease),
    leased to the caller. Runs across tenants (the caller opens ``cross_tenant()``); on PostgreSQL
    rows another worker holds are skipped."""
    statement = (
        select(Document)
        .where(
            or_(
                (Document.status == "queued") & or_(Document.not_before.is_(None), Document.not_before <= now),
                (Document.status == "rendering") & (Document.lease_until < now),
            )
        )
        .order_by(Document.created_at, Document.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job = (await session.scalars(statement)).one_or_none()
    if job is None:
        return None
    job.status = "rendering"
    job.attempts += 1
    job.lease_until = now + dt.timedelta(seconds=lease_seconds)
    await session.flush()
    return job
