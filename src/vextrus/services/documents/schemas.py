"""Pydantic input and output models of the document generator API. Inputs forbid unknown fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vextrus.services.documents.formatting import Language

TEMPLATE_KEY_PATTERN = r"^[a-z][a-z0-9]*([.-][a-z0-9]+)*$"
COLOUR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
ENTITY_TYPE_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*){0,3}$"

TemplateKey = Annotated[str, Field(min_length=2, max_length=60, pattern=TEMPLATE_KEY_PATTERN)]
Format = Literal["pdf", "xlsx"]
Mode = Literal["auto", "sync", "async"]
Status = Literal["queued", "rendering", "done", "failed"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RenderIn(_Input):
    template: TemplateKey = Field(description="A built-in (`mushak-6.3`, ...) or a registered template's key")
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        default=None, description="Template version; the current one when absent"
    )
    format: Format = "pdf"
    language: Language | None = Field(default=None, description="`en`, `bn` or `bilingual` (the template's default)")
    data: dict[str, Any] = Field(description="The document's data; each built-in template checks it (422 on errors)")
    mode: Mode = Field(
        default="auto", description="`sync` renders now, `async` queues a job; `auto` queues large documents"
    )
    filename: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    entity_type: Annotated[str, Field(max_length=60, pattern=ENTITY_TYPE_PATTERN)] | None = None
    entity_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class LinkOut(BaseModel):
    url: str
    expires_at: dt.datetime


class DocumentOut(BaseModel):
    id: uuid.UUID
    status: Status
    template: str
    template_version: int
    source: Literal["builtin", "registered"]
    format: Format
    language: Language
    mode: Literal["sync", "async"]
    title: str
    reference: str | None
    filename: str
    company_id: uuid.UUID | None
    entity_type: str | None
    entity_id: str | None
    file_id: uuid.UUID | None = Field(description="The output in file storage, once done")
    file_version: int | None
    size: int | None
    pages: int | None
    sha256: str | None
    attempts: int
    error_code: str | None
    error_detail: str | None
    requested_by: uuid.UUID | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    link: LinkOut | None = Field(default=None, description="A download link (in render responses)")


class TemplateIn(_Input):
    key: TemplateKey
    name: Annotated[str, Field(min_length=1, max_length=200)]
    name_bn: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    body: str = Field(
        min_length=1,
        description='Jinja2 HTML/CSS (sandboxed). May `{% extends "base.html" %}` for the letterhead; '
        "the data is `data`, helpers `money`, `taka`, `date`, `words`, `num`, `pick`.",
    )
    default_language: Language = "en"
    shared: bool = Field(default=False, description="For every tenant (needs platform.documents.manage)")


class TemplateVersionOut(BaseModel):
    number: int
    default_language: Language
    created_at: dt.datetime
    created_by: uuid.UUID | None


class TemplateOut(BaseModel):
    key: str
    name: str
    name_bn: str | None
    source: Literal["builtin", "registered"]
    shared: bool
    version: int
    formats: list[Format]
    default_language: Language


class TemplateList(BaseModel):
    items: list[TemplateOut]


class TemplateDetail(TemplateOut):
    versions: list[TemplateVersionOut]
    data_schema: dict[str, Any] | None = Field(description="JSON Schema of `data` (built-in templates)")
    example: dict[str, Any] | None = Field(description="Example `data` (built-in templates)")


class BrandingIn(_Input):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    name_bn: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    address_bn: Annotated[str, Field(max_length=500)] | None = None
    bin: Annotated[str, Field(max_length=40)] | None = None
    tin: Annotated[str, Field(max_length=40)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    email: Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    website: Annotated[str, Field(max_length=200)] | None = None
    letterhead_note: Annotated[str, Field(max_length=300)] | None = None
    footer_text: Annotated[str, Field(max_length=300)] | None = None
    primary_colour: Annotated[str, Field(pattern=COLOUR_PATTERN)] = "#1F4E79"
    accent_colour: Annotated[str, Field(pattern=COLOUR_PATTERN)] = "#DCE6F1"
    logo_file_id: uuid.UUID | None = Field(default=None, description="A PNG/JPEG in file storage")


class BrandingOut(BaseModel):
    id: uuid.UUID = Field(description="The company's id: a letterhead is addressed by its company")
    company_id: uuid.UUID
    name: str
    name_bn: str | None
    address: str | None
    address_bn: str | None
    bin: str | None
    tin: str | None
    phone: str | None
    email: str | None
    website: str | None
    letterhead_note: str | None
    footer_text: str | None
    primary_colour: str
    accent_colour: str
    logo_file_id: uuid.UUID | None
    version: int
    updated_at: dt.datetime


class BrandingList(BaseModel):
    items: list[BrandingOut]
