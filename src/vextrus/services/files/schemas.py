"""Pydantic input and output models of the file storage API. Inputs forbid unknown fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from vextrus.services.files.models import ENTITY_ID_LENGTH, ENTITY_TYPE_LENGTH
from vextrus.services.files.sniff import Kind

ENTITY_TYPE_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*){0,3}$"


def _printable(value: str) -> str:
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("must not contain control characters")
    return value


EntityType = Annotated[
    str,
    Field(
        min_length=1,
        max_length=ENTITY_TYPE_LENGTH,
        pattern=ENTITY_TYPE_PATTERN,
        description="What the file is attached to, e.g. `finance.invoice` or `projects.site`",
    ),
]
EntityId = Annotated[
    str,
    AfterValidator(_printable),
    Field(min_length=1, max_length=ENTITY_ID_LENGTH, description="The entity's id (a UUID or a document number)"),
]
DispositionName = Literal["attachment", "inline"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntityRef(BaseModel):
    entity_type: str
    entity_id: str


class AttachmentOut(EntityRef):
    id: uuid.UUID
    created_at: dt.datetime


class FileOut(BaseModel):
    id: uuid.UUID
    name: str
    content_type: str = Field(description="The type found in the content (never the declared one)")
    kind: Kind
    size: int
    sha256: str
    version: int = Field(description="Number of the current version (1, 2, ...)")
    attachments: list[AttachmentOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: uuid.UUID | None
    deleted_at: dt.datetime | None
    purge_after: dt.datetime | None = Field(description="When a deleted file may be purged for good")


class UploadOut(FileOut):
    deduplicated: bool = Field(description="The content was already stored for the tenant; no new bytes were used")


class VersionOut(BaseModel):
    number: int
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime
    created_by: uuid.UUID | None


class VersionList(BaseModel):
    items: list[VersionOut]


class FilePatch(_Input):
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None


class AttachIn(_Input):
    entity_type: EntityType
    entity_id: EntityId


class LinkIn(_Input):
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    expires_in: Annotated[int, Field(ge=10, le=604_800, description="Seconds; default 15 minutes")] | None = None
    disposition: DispositionName = "attachment"


class LinkOut(BaseModel):
    url: str
    expires_at: dt.datetime
    direct: bool = Field(description="True for an S3 presigned URL (the bucket serves it), False for a service link")
    file_id: uuid.UUID
    version: int


class LimitsOut(BaseModel):
    quota_bytes: int
    max_file_bytes: int
    kind_limits: dict[str, int]
    retention_days: int


class UsageOut(BaseModel):
    used_bytes: int
    blob_count: int
    file_count: int
    deleted_file_count: int
    limits: LimitsOut


class LimitsIn(_Input):
    """Limits for one tenant; null (or absent) means the service default."""

    quota_bytes: Annotated[int, Field(ge=0, le=2**62)] | None = None
    max_file_bytes: Annotated[int, Field(ge=1, le=2**62)] | None = None
    kind_limits: dict[Kind, Annotated[int, Field(ge=1, le=2**62)]] | None = None
    retention_days: Annotated[int, Field(ge=0, le=3650)] | None = None


class PurgeOut(BaseModel):
    purged_files: int
    freed_bytes: int
