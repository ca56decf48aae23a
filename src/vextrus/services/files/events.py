"""Events the file storage service publishes (it consumes none)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class EntityLink(BaseModel):
    entity_type: str
    entity_id: str


class FileUploaded(BaseModel):
    """A new file, or a new version of one, was stored."""

    tenant_id: uuid.UUID
    file_id: uuid.UUID
    version: int
    name: str
    content_type: str
    kind: str
    size: int
    sha256: str
    deduplicated: bool
    attachments: list[EntityLink]
    actor: uuid.UUID | None


class FileDeleted(BaseModel):
    """A file was deleted (softly): restorable until ``purge_after``."""

    tenant_id: uuid.UUID
    file_id: uuid.UUID
    name: str
    deleted_at: dt.datetime
    purge_after: dt.datetime
    actor: uuid.UUID | None


class FileRestored(BaseModel):
    tenant_id: uuid.UUID
    file_id: uuid.UUID
    name: str
    actor: uuid.UUID | None


class FilePurged(BaseModel):
    """A deleted file was removed for good after its retention period, with every version."""

    tenant_id: uuid.UUID
    file_id: uuid.UUID
    name: str
    freed_bytes: int


FILE_UPLOADED = Topic(
    "files.file.uploaded",
    FileUploaded,
    "A file or a new version of it was stored; subject is the file id.",
)
FILE_DELETED = Topic("files.file.deleted", FileDeleted, "A file was soft-deleted; subject is the file id.")
FILE_RESTORED = Topic("files.file.restored", FileRestored, "A deleted file was restored; subject is the file id.")
FILE_PURGED = Topic(
    "files.file.purged", FilePurged, "A deleted file was purged after retention; subject is the file id."
)

PUBLISHES: tuple[Topic, ...] = (FILE_UPLOADED, FILE_DELETED, FILE_RESTORED, FILE_PURGED)
HANDLERS: tuple[Consumer, ...] = ()
