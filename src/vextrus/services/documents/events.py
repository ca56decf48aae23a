"""Events the document generator publishes (it consumes none)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class DocumentRendered(BaseModel):
    """A document was rendered and stored in file storage."""

    tenant_id: uuid.UUID
    document_id: uuid.UUID
    company_id: uuid.UUID | None
    template: str
    template_version: int
    format: str
    language: str
    reference: str | None
    file_id: uuid.UUID
    file_version: int
    size: int
    pages: int | None
    entity_type: str | None
    entity_id: str | None
    requested_by: uuid.UUID | None


class DocumentFailed(BaseModel):
    """A background render failed for good (after its attempts)."""

    tenant_id: uuid.UUID
    document_id: uuid.UUID
    template: str
    error_code: str
    error_detail: str
    attempts: int


class TemplateRegistered(BaseModel):
    """A template or a new version of it was registered (``tenant_id`` null: shared by all tenants)."""

    tenant_id: uuid.UUID | None
    key: str
    version: int
    actor: uuid.UUID | None


DOCUMENT_RENDERED = Topic(
    "documents.document.rendered",
    DocumentRendered,
    "A document was rendered and stored; subject is the document id. Carries the file id for attaching or mailing.",
)
DOCUMENT_FAILED = Topic(
    "documents.document.failed", DocumentFailed, "A background render failed after its attempts; subject is the id."
)
TEMPLATE_REGISTERED = Topic(
    "documents.template.registered", TemplateRegistered, "A template version was registered; subject is the key."
)

PUBLISHES: tuple[Topic, ...] = (DOCUMENT_RENDERED, DOCUMENT_FAILED, TEMPLATE_REGISTERED)
HANDLERS: tuple[Consumer, ...] = ()
